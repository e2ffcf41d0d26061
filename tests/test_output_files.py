"""Where -o writes: standard output, links, devices and pipes, and missing folders."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
import threading
import zipfile

import openpyxl
import pandas as pd
import pyreadstat
import pytest
from click.testing import CliRunner

from exports._files import OutputError, replaced
from surveyapp.cli import main
from surveyapp.questionnaire.synthetic import synthetic_responses
from surveyapp.testing import seed_responses

HEADER = "response_id,language,region,region_other"


@pytest.fixture
def fielded(app, db):
    """Synthetic responses: 6 to the demo questionnaire, 40 to the staff one."""
    for survey, count in (("demo", 6), ("staff", 40)):
        questionnaire = app.extensions["questionnaires"][survey]
        seed_responses(db, questionnaire, synthetic_responses(questionnaire, count, seed=1))
    return app


@pytest.fixture
def options(fielded, questionnaire_dir):
    return ["--db", fielded.config["DATABASE"], "--questionnaires", str(questionnaire_dir)]


@pytest.fixture
def run(options, tmp_path, monkeypatch):
    """Run a command in the CLI from inside tmp_path; return the click result."""
    monkeypatch.chdir(tmp_path)

    def invoke(*args, expect=0):
        result = CliRunner().invoke(main, [*options, *map(str, args)])
        assert result.exit_code == expect, result.output
        assert "Traceback" not in result.output
        return result

    return invoke


def command(options, *args) -> list[str]:
    """Return the argument list that runs surveyapp in a process of its own."""
    return [sys.executable, "-m", "surveyapp", *options, *map(str, args)]


def test_dash_writes_csv_to_standard_output_and_no_file(run, tmp_path):
    result = run("export", "demo", "-o", "-")
    assert result.stdout.startswith(HEADER)
    assert len(result.stdout.splitlines()) == 7
    assert "written to standard output" in result.stderr
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize(
    "args",
    [("export", "demo", "--format", "xlsx"), ("crosstab", "staff", "--format", "xlsx")],
)
def test_dash_writes_a_workbook_down_a_pipe(run, tmp_path, args):
    result = run(*args, "-o", "-")
    book = openpyxl.load_workbook(io.BytesIO(result.stdout_bytes))
    assert book.sheetnames
    assert not (tmp_path / "-").exists()


def test_dash_writes_an_spss_file_down_a_pipe(run, tmp_path):
    result = run("export", "demo", "--format", "sav", "-o", "-")
    (tmp_path / "piped.sav").write_bytes(result.stdout_bytes)
    data, _meta = pyreadstat.read_sav(str(tmp_path / "piped.sav"))
    assert len(data) == 6


def test_dash_writes_markdown_and_other_csv_commands_to_standard_output(run, tmp_path):
    assert run("crosstab", "staff", "--format", "md", "-o", "-").stdout.startswith("## ")
    assert run("dictionary", "demo", "-o", "-").stdout.startswith("column,question")
    assert not (tmp_path / "-").exists()


def test_a_chart_is_not_written_to_standard_output(run):
    result = run("chart", "staff", "-o", "-", expect=2)
    assert "a chart is written to a file" in result.output


def test_a_symbolic_link_is_written_through_and_stays_a_link(run, tmp_path):
    (tmp_path / "data").mkdir()
    target = tmp_path / "data" / "staff.csv"
    target.write_text("old\n")
    target.chmod(0o640)
    link = tmp_path / "link.csv"
    link.symlink_to("data/staff.csv")
    run("export", "demo", "-o", link)
    assert link.is_symlink() and os.readlink(link) == "data/staff.csv"
    assert target.read_text().startswith(HEADER)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # the file keeps its permissions
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["staff.csv"]


def test_a_dangling_link_gets_its_file(run, tmp_path):
    link = tmp_path / "chart.png"
    link.symlink_to(tmp_path / "made.png")
    run("chart", "staff", "--question", "relevance", "-o", link)
    assert link.is_symlink()
    assert (tmp_path / "made.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_fifo_is_written_into_and_stays_a_fifo(run, tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()), daemon=True)
    reader.start()
    run("export", "demo", "-o", fifo)
    reader.join(timeout=30)
    assert received and received[0].startswith(HEADER)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_character_device_is_written_into_and_stays_a_device(run, tmp_path):
    (tmp_path / "dev").mkdir()
    null = tmp_path / "dev" / "null"
    try:
        os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a twin of /dev/null
    except (PermissionError, OSError) as error:
        pytest.skip(f"cannot make a device here: {error}")
    run("export", "demo", "--format", "xlsx", "-o", null)
    assert stat.S_ISCHR(os.lstat(null).st_mode)
    assert [p.name for p in null.parent.iterdir()] == ["null"]


@pytest.mark.parametrize("descriptor", ["link", "/dev/fd/1"])
def test_a_link_to_standard_output_writes_down_the_pipe(options, tmp_path, descriptor):
    # /dev/stdout is such a link (to /proc/self/fd/1); one made here stands in for it, so
    # that a fault could only ever replace a link of this test's own.
    (tmp_path / "dev").mkdir()
    link = tmp_path / "dev" / "stdout"
    link.symlink_to("/proc/self/fd/1")
    target = link if descriptor == "link" else descriptor
    done = subprocess.run(
        command(options, "export", "demo", "-o", target), capture_output=True, timeout=120
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().startswith(HEADER)
    assert link.is_symlink() and os.readlink(link) == "/proc/self/fd/1"
    assert [p.name for p in link.parent.iterdir()] == ["stdout"]


def test_a_link_to_standard_output_redirected_to_a_file_fills_the_file(options, tmp_path):
    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")
    out = tmp_path / "out.csv"
    with out.open("wb") as handle:
        done = subprocess.run(
            command(options, "export", "demo", "-o", link),
            stdout=handle,
            stderr=subprocess.PIPE,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr.decode()
    assert out.read_text().startswith(HEADER)
    assert link.is_symlink()


@pytest.mark.parametrize(
    "args",
    [
        ("chart", "staff", "-o", "figures/agreement.png"),
        ("export", "demo", "-o", "figures/demo.csv"),
        ("export", "demo", "--format", "sav", "-o", "figures/demo.sav"),
        ("crosstab", "staff", "--format", "xlsx", "-o", "figures/table.xlsx"),
        ("dictionary", "demo", "-o", "figures/dictionary.csv"),
        ("invite", "demo", "--count", "2", "-o", "figures/links.csv"),
    ],
)
def test_a_missing_folder_is_named_and_nothing_is_done(run, tmp_path, args):
    result = run(*args, expect=2)
    assert "folder 'figures' does not exist" in result.output
    assert not (tmp_path / "figures").exists()


def test_invitations_are_not_made_when_the_links_cannot_be_written(run, fielded):
    run("invite", "demo", "--count", "2", "-o", "nowhere/links.csv", expect=2)
    status = run("status", "demo").output
    assert " 0 " in status.splitlines()[2]  # none invited


def test_a_folder_is_not_a_file(run, tmp_path):
    (tmp_path / "out").mkdir()
    result = run("export", "demo", "-o", "out", expect=2)
    assert "'out' is a folder" in result.output


class Terminal(io.StringIO):
    """Standard output as a terminal."""

    buffer = io.BytesIO()

    def isatty(self):
        return True


def test_binary_content_is_refused_on_a_terminal(monkeypatch):
    monkeypatch.setattr(sys, "stdout", Terminal())
    with pytest.raises(OutputError, match="binary"), replaced("-", binary=True) as partial:
        partial.write_bytes(b"PK")
    with replaced("-") as partial:
        partial.write_text("text is fine\n")
    assert sys.stdout.buffer.getvalue() == b"text is fine\n"


def test_nothing_is_left_behind_when_writing_fails(tmp_path):
    target = tmp_path / "x.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError), replaced(target) as partial:
        partial.write_text("half")
        raise RuntimeError("failed")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.csv"]


def test_the_workbook_piped_is_the_workbook_written(run, tmp_path):
    piped = run("export", "demo", "--format", "xlsx", "-o", "-").stdout_bytes
    run("export", "demo", "--format", "xlsx", "-o", tmp_path / "demo.xlsx")
    written = tmp_path / "demo.xlsx"
    with zipfile.ZipFile(io.BytesIO(piped)) as a, zipfile.ZipFile(written) as b:
        sheet = "xl/worksheets/sheet1.xml"
        assert a.read(sheet) == b.read(sheet)
    assert pd.read_excel(io.BytesIO(piped)).shape == pd.read_excel(written).shape
