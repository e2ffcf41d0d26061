"""Run the surveyapp command as `python -m surveyapp`."""

from surveyapp.cli import main

main(prog_name="surveyapp")
