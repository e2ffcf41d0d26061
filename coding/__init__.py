"""Analysis of survey answers (clustering of free text, cross-tabs); no Flask."""
