"""The trilingual set of constraint answers (tests/data/constraints_trilingual.csv).

Each of the 188 labelled English answers with its French and Spanish translation: three rows
per answer, the same code, the English unchanged, and the ILO's terms used consistently.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"
LANGUAGES = ["en", "fr", "es"]
# Answers whose translation may equal the English (e.g. an answer that is only "COVID-19").
SAME_AS_ENGLISH: set[tuple[int, str]] = set()
# English wording (a regular expression) -> what the French and the Spanish must then contain.
TERMS = [
    (r"flagship programme", "programme phare", "programa emblemático"),
    (r"social protection floor", "socle de protection sociale", "piso de protección social"),
    (r"social dialogue", "dialogue social", "diálogo social"),
    (r"constituents", "mandants", "mandantes"),
    (r"headquarters|\bHQ\b", "siège", "sede"),
    (r"\bfield\b", "terrain", "terreno"),
    (r"country offices?", "de pays", "de país"),
    (r"\bDWT\b", "ETD", "ETD"),
    (
        r"workers' organi[sz]ations",
        "organisations de travailleurs",
        "organizaciones de trabajadores",
    ),
    (r"employers' organi[sz]ations", "d'employeurs", "de empleadores"),
    (r"COVID-19", "COVID-19", "COVID-19"),
]


def read(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def source():
    return read("constraints_labelled.csv")


@pytest.fixture(scope="module")
def rows():
    return read("constraints_trilingual.csv")


def test_columns_and_row_count(rows, source):
    with (DATA / "constraints_trilingual.csv").open(encoding="utf-8", newline="") as f:
        assert next(csv.reader(f)) == ["answer", "code", "language", "text"]
    assert len(source) == 188
    assert len(rows) == 3 * len(source)


def test_each_answer_has_en_fr_es_in_order_with_one_code(rows, source):
    expected = [(n, lang) for n in range(1, len(source) + 1) for lang in LANGUAGES]
    assert [(int(r["answer"]), r["language"]) for r in rows] == expected
    for i in range(0, len(rows), 3):
        assert {r["code"] for r in rows[i : i + 3]} == {source[i // 3]["code"]}


def test_english_rows_are_the_source_texts(rows, source):
    english = [r for r in rows if r["language"] == "en"]
    assert [(r["code"], r["text"]) for r in english] == [(s["code"], s["text"]) for s in source]


def test_no_blank_and_no_untranslated_text(rows):
    english = {int(r["answer"]): r["text"] for r in rows if r["language"] == "en"}
    for r in rows:
        assert r["text"].strip() == r["text"] and r["text"], r
        n = int(r["answer"])
        if r["language"] != "en" and (n, r["language"]) not in SAME_AS_ENGLISH:
            assert r["text"] != english[n], r


def test_counts_per_code_equal_the_source(rows, source):
    wanted = Counter(s["code"] for s in source)
    for lang in LANGUAGES:
        assert Counter(r["code"] for r in rows if r["language"] == lang) == wanted, lang


def test_ilo_terms_are_translated_consistently(rows):
    by_answer: dict[int, dict[str, str]] = {}
    for r in rows:
        by_answer.setdefault(int(r["answer"]), {})[r["language"]] = r["text"]
    for english, french, spanish in TERMS:
        matched = [t for t in by_answer.values() if re.search(english, t["en"], re.IGNORECASE)]
        assert matched, english  # a term no answer uses checks nothing
        for texts in matched:
            assert french.lower() in texts["fr"].lower(), (english, texts["fr"])
            assert spanish.lower() in texts["es"].lower(), (english, texts["es"])
