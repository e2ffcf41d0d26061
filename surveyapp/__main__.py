"""Run the surveyapp command as `python -m surveyapp`."""

from .cli import main

main(prog_name="surveyapp")
