"""Every `surveyapp` command explains itself: help text that ends with an example, and docs."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from surveyapp.cli import main

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", [None, *sorted(main.commands)])
def test_help_ends_with_an_example(name):
    args = [name, "--help"] if name else ["--help"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.output.strip().splitlines()]
    assert lines[-2:-1] == ["Example:"] or lines[-3:-2] == ["Example:"], result.output
    assert lines[-1].startswith(f"surveyapp {name or ''}".strip()), lines[-1]


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_command_has_help_and_is_in_the_readme(name):
    assert main.commands[name].help
    assert f"surveyapp {name}" in README
