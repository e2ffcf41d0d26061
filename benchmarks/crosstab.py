"""Time and memory of `surveyapp crosstab staff --by region --stat distribution`.

For 10,000 and 100,000 synthetic complete staff responses: the command end to end (a fresh
process: start-up, reading SQLite, tabulating every shared grid, writing the CSV) with its
peak memory, and in the same run the time of the pure counting step against a lower bound,
one numpy.bincount over the same integer codes. `--counts 500` makes a quick trial run.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from coding.crosstab import count_answers, encode_groups, encode_values
from surveyapp.analysis.survey_tables import block_of, groups_of, responses_of
from surveyapp.questionnaire.synthetic import synthetic_responses
from surveyapp.store.connection import connect, get_db
from surveyapp.testing import seed_responses, surveyapp_command
from surveyapp.web import create_app

COUNTS = (10_000, 100_000)
REPEATS = 5


def fill(database: str, count: int):
    """Store synthetic complete staff responses (run in a process of its own)."""
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE": database})
    questionnaire = app.extensions["questionnaires"]["staff"]
    frame = synthetic_responses(questionnaire, count, seed=count)
    db = connect(database)
    try:
        seed_responses(db, questionnaire, frame, source="import")
    finally:
        db.close()


def filled(database: str, count: int):
    """Fill the database in a fresh process; return the app over it.

    A child's peak memory as the kernel reports it starts from its parent's at the fork, so
    this process stays small: the answers are made and stored elsewhere.
    """
    process = multiprocessing.get_context("spawn").Process(target=fill, args=(database, count))
    process.start()
    process.join()
    if process.exitcode:
        raise SystemExit(f"filling the database failed ({process.exitcode})")
    return create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE": database})


def end_to_end(database: str, output: str) -> tuple[float, float]:
    """Run the command in a fresh process; return seconds and its peak memory in MB."""
    command = [
        *surveyapp_command(), "--db", database,
        "crosstab", "staff", "--by", "region", "--stat", "distribution", "-o", output,
    ]  # fmt: skip
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603
    _pid, status, usage = os.wait4(process.pid, 0)  # this child's own peak, not the largest's
    took = time.perf_counter() - start
    if status:
        raise SystemExit(f"surveyapp crosstab failed: {process.stderr.read().decode()}")
    return took, usage.ru_maxrss / 1024


def counting(app) -> tuple[float, float, int]:
    """Return the best time of the counting step and of its bincount bound, and the cells."""
    with app.app_context():
        questionnaires = app.extensions["questionnaires"]
        frame = responses_of(get_db(), questionnaires, ["staff"])
        groups, order = groups_of(frame, questionnaires, ["staff"], "region")
        grids = [q for q in questionnaires["staff"].questions if q.kind.scale_grid]
        group_codes, labels = encode_groups(groups, order)
        prepared = []
        for question in grids:
            block = block_of(question)
            for column, _item, _label in block.items:
                prepared.append((encode_values(frame[column], block.scale), len(block.scale)))
    n_groups = len(labels)
    ours, bound = [], []
    for _ in range(REPEATS):
        start = time.perf_counter()
        for values, n_values in prepared:
            count_answers(values, group_codes, n_values, n_groups)
        ours.append(time.perf_counter() - start)
        flat = [(group_codes * n_values + values, n_values) for values, n_values in prepared]
        start = time.perf_counter()
        for index, n_values in flat:
            np.bincount(index, minlength=n_groups * n_values)
        bound.append(time.perf_counter() - start)
    return min(ours), min(bound), len(prepared)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=list(COUNTS))
    args = parser.parse_args(argv)
    print("surveyapp crosstab staff --by region --stat distribution, synthetic staff responses")
    for count in args.counts:
        with tempfile.TemporaryDirectory() as folder:
            database = f"{folder}/bench.db"
            start = time.perf_counter()
            app = filled(database, count)
            print(f"  {count:>7} responses (stored in {time.perf_counter() - start:.1f} s)")
            took, peak = end_to_end(database, f"{folder}/crosstab.csv")
            rows = len(Path(f"{folder}/crosstab.csv").read_text().splitlines()) - 1
            print(f"    end to end: {took:.2f} s, peak memory {peak:.0f} MB, {rows} CSV rows")
            ours, bound, items = counting(app)
            print(
                f"    counting step ({items} items): {ours * 1000:.1f} ms;"
                f" bincount bound {bound * 1000:.1f} ms; ratio {ours / bound:.2f}x"
            )


if __name__ == "__main__":
    main()
