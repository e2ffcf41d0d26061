"""Analysis over stored answers: cross-tabulations, open answers and report files."""
