"""The rules of the layout, checked: who may import what, who writes SQL, who spells columns.

- `coding/` and `exports/` import neither `surveyapp`, Flask nor SQL: an evaluator uses them
  from a notebook on an exported CSV.
- Only `surveyapp/store/` reads and writes tables (the tests that inspect what is stored
  aside).
- Only `surveyapp/questionnaire/` spells export column ids (`QUESTION.ITEM`) and knows the
  question types by name: everything else asks the question and its type.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SQL = re.compile(
    r"\.execute\(|\.query\(|\bdb\[|\.conn\b|\bselect\b.+\bfrom\b|\binsert\s+into\b"
    r"|\bdelete\s+from\b|\bupdate\s+\w+\s+set\b|\bcreate\s+(table|index)\b",
    re.IGNORECASE,
)
COLUMN_ID = re.compile(r"\.name\}\.\{|\"\{[^}]*\}\.\{[^}]*\.name\}")
TYPE_NAME = re.compile(
    r"""\btype\s*(==|!=|in\b|not\s+in\b)|==\s*["'](select_one|select_multiple|grid|rank|text|integer|decimal|note|date)["']"""
)


def modules(folder: str) -> list[Path]:
    """Return the Python modules under a top-level folder of the repository."""
    return sorted((ROOT / folder).rglob("*.py"))


def imported(path: Path) -> set[str]:
    """Return the top-level names of the modules a file imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("folder", ["coding", "exports"])
def test_analysis_and_writers_import_neither_the_app_nor_sql(folder):
    forbidden = {"surveyapp", "flask", "werkzeug", "sqlite3", "sqlite_utils"}
    found = {str(p.relative_to(ROOT)): imported(p) & forbidden for p in modules(folder)}
    assert not {path: names for path, names in found.items() if names}


def test_only_the_store_reads_and_writes_tables():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in modules("surveyapp")
        if "store" not in path.relative_to(ROOT).parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if SQL.search(line)
    ]
    assert not found


def test_only_the_questionnaire_spells_column_ids():
    files = modules("surveyapp") + sorted((ROOT / "surveyapp").rglob("*.html"))
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in files
        if "questionnaire" not in path.relative_to(ROOT).parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if COLUMN_ID.search(line)
    ]
    assert not found


def test_only_the_question_types_know_the_types_by_name():
    allowed = ROOT / "surveyapp" / "questionnaire" / "types"
    # The XLSForm readers read the form's own words (its types select_one, note, begin_group;
    # the tokens of a relevant expression), XLSForm's vocabulary rather than ours; writing a
    # form goes through each question type (QuestionType.xlsform_rows).
    readers = ("importing.py", "kobomatrix.py", "reading.py", "relevant.py")
    xlsform_words = {ROOT / "surveyapp" / "xlsform" / name for name in readers}
    files = modules("surveyapp") + sorted((ROOT / "surveyapp").rglob("*.html"))
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in files
        if allowed not in path.parents and path not in xlsform_words
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if TYPE_NAME.search(line)
    ]
    assert not found


def test_response_tables_are_named_in_one_place():
    found = [
        str(path.relative_to(ROOT))
        for path in modules("surveyapp")
        if re.search(r"[\"']responses_", path.read_text(encoding="utf-8"))
        and path.relative_to(ROOT) != Path("surveyapp/store/responses.py")
    ]
    assert not found
