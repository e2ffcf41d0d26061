"""surveyapp: field evaluation surveys online and analyse their answers.

One sub-package per concern: `questionnaire` (the model and its question types), `store`
(SQLite: every table and every query), `web` (the Flask app), `analysis` (analysis over
stored answers); `cli` is the `surveyapp` command and `server` runs the production server.
"""
