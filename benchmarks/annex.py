"""Time and size of the survey annex, `surveyapp report staff,constituents -o annex.docx`.

Two databases, both with the shipped questionnaires, synthetic answers and the open
question "constraints" coded by one coder (the 188 labelled answers of
tests/data/constraints_labelled.csv, in turn): the report's 64 staff + 9 constituents
responses (232 and 41 invited), and 10,000 responses (9,000 staff, 1,000 constituents,
imported). The command runs end to end in a fresh process (start-up, reading SQLite, every
table and test of difference, the figures at 300 dpi, the quotes' embeddings, writing the
file); the figures are the best of REPEATS runs. `--small-only` skips the 10,000.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from surveyapp.questionnaire.synthetic import synthetic_responses
from surveyapp.store.codings import Codebook
from surveyapp.store.connection import connect
from surveyapp.store.invitations import create_invitations, find_invitation
from surveyapp.store.responses import submit_response
from surveyapp.testing import labelled_answers, seed_responses
from surveyapp.web import create_app

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 3
SIZES = {
    "64 + 9": {"staff": 64, "constituents": 9},
    "10,000": {"staff": 9000, "constituents": 1000},
}
INVITED = {"staff": 232, "constituents": 41}


def fill(database: str, counts: dict[str, int]) -> None:
    """Store synthetic responses and code their constraints; the report's counts through
    invitation links, larger counts imported."""
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE": database})
    questionnaires = app.extensions["questionnaires"]
    texts = labelled_answers()
    db = connect(database)
    try:
        for number, (survey, count) in enumerate(counts.items()):
            questionnaire = questionnaires[survey]
            frame = synthetic_responses(questionnaire, count, seed=number)
            frame["constraints"] = [texts.text[i % len(texts)] for i in range(count)]
            if count <= INVITED[survey]:
                tokens = create_invitations(db, survey, INVITED[survey], {"region": "africa"})
                rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
                for token, row in zip(tokens, rows, strict=False):
                    row.pop("response_id", None)
                    submit_response(db, questionnaire, find_invitation(db, survey, token), row)
            else:
                frame["response_id"] = None
                seed_responses(db, questionnaire, frame, source="import")
        book = Codebook(db, "constraints")
        codes = {name: book.add_code(name.replace("_", " ").capitalize(), "bench")
                 for name in texts.code.unique()}  # fmt: skip
        code_of = dict(zip(texts.text, texts.code, strict=True))
        for survey in counts:
            for row in db[f"responses_{survey}"].rows_where(select="response_id, constraints"):
                book.set_codes(survey, row["response_id"], [codes[code_of[row["constraints"]]]],
                               "bench")  # fmt: skip
    finally:
        db.close()


def run_report(database: str, output: Path) -> float:
    """Run `surveyapp report` in a fresh process; return its wall time in seconds."""
    env = {**os.environ, "SURVEYAPP_INSTANCE": str(output.parent / "instance")}
    env.pop("SURVEYAPP_QUESTIONNAIRES", None)
    start = time.perf_counter()
    subprocess.run(  # noqa: S603 - our own command, no shell
        [sys.executable, "-m", "surveyapp", "--db", database, "report", "staff,constituents",
         "-o", str(output)],
        check=True, capture_output=True, cwd=ROOT, env=env, timeout=3600,
    )  # fmt: skip
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small-only", action="store_true", help="Only 64 + 9 responses.")
    args = parser.parse_args()
    print(f"{'responses':>10} {'fill s':>8} {'report s':>9} {'docx KB':>8} {'md + PNG KB':>12}")
    for label, counts in SIZES.items():
        if args.small_only and label != "64 + 9":
            continue
        with tempfile.TemporaryDirectory(prefix="annex-bench-") as folder:
            folder = Path(folder)
            database = str(folder / "survey.db")
            start = time.perf_counter()
            fill(database, counts)
            filled = time.perf_counter() - start
            docx = folder / "annex.docx"
            seconds = min(run_report(database, docx) for _ in range(REPEATS))
            run_report(database, folder / "annex.md")
            markdown = (folder / "annex.md").stat().st_size + sum(
                p.stat().st_size for p in (folder / "annex-figures").iterdir()
            )
            print(f"{label:>10} {filled:8.1f} {seconds:9.1f} {docx.stat().st_size / 1024:8.0f}"
                  f" {markdown / 1024:12.0f}")  # fmt: skip


if __name__ == "__main__":
    main()
