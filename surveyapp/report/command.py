"""`surveyapp report`: the survey annex of the evaluation report, as Word or Markdown."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from surveyapp.report.content import AnnexError, AnnexRequest, build_annex

FORMATS = (".docx", ".md")


def write_annex(db, questionnaires: dict, request: AnnexRequest, output: str | Path) -> dict:
    """Build the annex and write it as .docx or .md (figures beside it); return its counts."""
    from exports._files import replaced
    from surveyapp.report.markdown import write_markdown
    from surveyapp.report.word import write_docx

    output = Path(output)
    with tempfile.TemporaryDirectory(prefix="annex-") as folder:
        annex = build_annex(db, questionnaires, request, Path(folder))
        if output.suffix.lower() == ".md":
            write_markdown(annex, output)
        else:
            with replaced(output, binary=True) as partial:
                write_docx(annex, partial)
    return {
        "sections": len(annex.headings(1)),
        "figures": len(annex.figures()),
        "tables": sum(1 for b in annex.blocks if type(b).__name__ == "Table"),
    }


def _output(value: str) -> str:
    """Check -o: a .docx or .md file in a folder that exists."""
    from exports._files import OutputError, check_output

    if Path(value).suffix.lower() not in FORMATS:
        raise click.BadParameter("the annex is written as FILE.docx or FILE.md", param_hint="-o")
    try:
        check_output(value, binary=True)
    except OutputError as error:
        raise click.BadParameter(str(error), param_hint="-o") from None
    return value


@click.command(
    "report",
    epilog="Example:\n\n\b\n    surveyapp report staff,constituents --codes constraints"
    ' --banner "staff, staff by region, constituents" -o annex.docx',
)
@click.argument("surveys", metavar="SURVEY[,SURVEY...]")
@click.option(
    "-o",
    "--output",
    required=True,
    help="FILE.docx (Word) or FILE.md (Markdown, figures in FILE-figures/).",
)
@click.option(
    "--banner",
    metavar="BLOCKS",
    help="The priorities table's column blocks, e.g. \"staff, staff by region,"
    ' constituents" [the surveys side by side].',
)
@click.option(
    "--question",
    "questions",
    multiple=True,
    help="Only this grid (repeat); default: every shared grid.",
)
@click.option(
    "--codes",
    "codes",
    multiple=True,
    metavar="QUESTION",
    help="An open question whose codes to show (repeat); default: every coded one.",
)
@click.option(
    "--min-cell",
    default=5,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Groups with fewer answers are suppressed; codes with fewer are not quoted.",
)
@click.option("--weight", help="A numeric column holding each response's weight.")
@click.option(
    "--poststratify",
    metavar="QUESTION|survey",
    help="Weight responses so this question's shares match --shares.",
)
@click.option(
    "--shares",
    metavar="NAME=SHARE,...",
    help="Shares for --poststratify, e.g. staff=0.8,constituents=0.2.",
)
@click.option(
    "--lang",
    "language",
    metavar="LANG",
    help="Write in this language of every survey [the first's first].",
)
@click.pass_obj
def report(context, surveys, output, banner, questions, codes, min_cell, weight, poststratify,
           shares, language):  # fmt: skip
    """Write the survey annex of the evaluation report as Word (or Markdown).

    In order: the method (each survey's dates, invited, responses and response rate, as
    "64 of 232, 28%", by invitation attribute; open-link and imported responses; how "Do
    not know" is treated; the suppression rule, weighting and tests); a section per page of
    agreement grids, each grid with its chart, its table and the test of difference; the
    priorities (mean ratings as a shaded table, as the report's Table 6, and the heat
    chart); the open answers (per coded question, respondents per code by survey, a bar
    chart, each code's description and up to three answers quoted). Figures and tables are
    numbered; the contents and page numbers are Word fields (update them with F9).
    """
    from surveyapp.store.connection import get_db

    _output(output)
    names = [name.strip() for name in surveys.split(",") if name.strip()]
    for name in names:
        context.questionnaire(name)
    request = AnnexRequest(
        names, banner=banner, questions=list(questions), codes=list(codes) or None,
        min_cell=min_cell, weight=weight, poststratify=poststratify, shares=shares,
        language=language,
    )  # fmt: skip
    with context.app.app_context():
        try:
            counts = write_annex(get_db(), context.app.extensions["questionnaires"], request,
                                 output)  # fmt: skip
        except AnnexError as error:
            raise click.UsageError(str(error)) from None
    click.echo(
        f"annex written to {output}: {counts['sections']} sections, {counts['figures']}"
        f" figures, {counts['tables']} tables",
        err=True,
    )
