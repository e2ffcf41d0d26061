"""The survey annex of an evaluation report: method, grids, priorities and open answers.

`content` reads the database into a neutral document (`document`); `word` writes it as a
Word file, `markdown` as Markdown with its figures beside it; `command` is `surveyapp report`.
"""
