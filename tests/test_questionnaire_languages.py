"""The shipped questionnaires are whole in English, French and Spanish, and follow one glossary.

Every text (titles, description, page intros, labels, hints, items, choices) is given in every
language of the survey; the French and Spanish use the terms of `questionnaires/glossary.csv`
wherever the English uses its English term; French and Spanish punctuation is written the way
each language writes it. A failure names the survey, the place and the text.
"""

from __future__ import annotations

import copy
import csv
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from surveyapp.questionnaire.loading import load_questionnaires, parse_questionnaire
from surveyapp.questionnaire.model import Questionnaire, Text

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "questionnaires"
GLOSSARY = FOLDER / "glossary.csv"
SURVEYS = ["staff", "constituents"]
LANGUAGES = ["en", "fr", "es"]
NBSP = "\u00a0"  # the one non-breaking space French typography uses in these files

# Translations that are rightly the English text itself, (language, text): why.
SAME_AS_ENGLISH = {
    ("fr", "Impact"): "the evaluation criterion is 'impact' in French too",
    ("fr", "Pensions"): "the same word in French",
    ("es", "No"): "the same word in Spanish",
}


@pytest.fixture(scope="module")
def shipped() -> dict[str, Questionnaire]:
    return load_questionnaires(FOLDER)


def texts(questionnaire: Questionnaire) -> Iterator[tuple[str, Text]]:
    """Yield every text of a questionnaire with its place: ("question 'region': hint", text)."""
    yield "title", questionnaire.title
    if questionnaire.description:
        yield "description", questionnaire.description
    first = questionnaire.languages[0]
    for list_name, choices in (questionnaire.definition.get("choice_lists") or {}).items():
        for choice in choices:
            label = choice["label"]
            label = label if isinstance(label, dict) else {first: str(label)}
            yield f"choice list '{list_name}': choice '{choice['name']}'", label
    for page in questionnaire.pages:
        yield f"page '{page.name}': title", page.title
        if page.intro:
            yield f"page '{page.name}': intro", page.intro
        for question in page.questions:
            where = f"question '{question.name}'"
            yield f"{where}: label", question.label
            if question.hint:
                yield f"{where}: hint", question.hint
            for item in question.items:
                yield f"{where}: item '{item.name}': label", item.label
                if item.hint:
                    yield f"{where}: item '{item.name}': hint", item.hint
            for choice in question.choices:
                yield f"{where}: choice '{choice.name}'", choice.label


# 1. Every text in every language


def missing_translations(questionnaire: Questionnaire) -> list[str]:
    first = questionnaire.languages[0]
    problems = []
    for place, text in texts(questionnaire):
        for language in questionnaire.languages:
            value = text.get(language)
            if value is None or not value.strip():
                problems.append(f"{place}: no text in '{language}'")
            elif (
                language != first
                and value.strip() == text[first].strip()
                and (language, value.strip()) not in SAME_AS_ENGLISH
            ):
                problems.append(f"{place}: the '{language}' text is the English one: {value!r}")
    return problems


@pytest.mark.parametrize("survey", SURVEYS)
def test_every_text_is_given_in_every_language(shipped, survey):
    questionnaire = shipped[survey]
    assert list(questionnaire.languages) == LANGUAGES
    problems = missing_translations(questionnaire)
    assert not problems, f"{questionnaire.path}:\n  " + "\n  ".join(problems)


def test_the_allow_list_of_untranslated_texts_is_used(shipped):
    used = {
        (language, text[language].strip())
        for questionnaire in shipped.values()
        for _, text in texts(questionnaire)
        for language in text
    }
    assert set(SAME_AS_ENGLISH) <= used, set(SAME_AS_ENGLISH) - used


def test_a_text_left_in_english_is_found(shipped):
    definition = copy.deepcopy(shipped["staff"].definition)
    office = definition["pages"][0]["questions"][1]
    office["choices"][0]["label"]["es"] = "Headquarters"
    del office["label"]["fr"]
    problems = missing_translations(parse_questionnaire(definition, "copy"))
    assert problems == [
        "question 'office': label: no text in 'fr'",
        "question 'office': choice 'headquarters': the 'es' text is the English one: "
        "'Headquarters'",
    ]


# French and Spanish punctuation


def french_typography(text: str) -> list[str]:
    problems = []
    if "'" in text or '"' in text:
        problems.append("straight quote or apostrophe (French uses ’ and « »)")
    if "\u202f" in text:
        problems.append("narrow no-break space (these files use U+00A0 throughout)")
    for match in re.finditer(r"[;:?!»]", text):
        if text[match.start() - 1 : match.start()] != NBSP:
            problems.append(f"no U+00A0 before {match.group()!r} at {match.start()}")
    for match in re.finditer("«", text):
        if text[match.end() : match.end() + 1] != NBSP:
            problems.append(f"no U+00A0 after '«' at {match.start()}")
    return problems


def spanish_typography(text: str) -> list[str]:
    problems = []
    if '"' in text or "'" in text:
        problems.append("straight quote or apostrophe (Spanish uses « »)")
    for opening, closing in (("¿", "?"), ("¡", "!")):
        if text.count(opening) != text.count(closing):
            problems.append(
                f"{text.count(closing)} {closing!r} but {text.count(opening)} {opening!r}"
            )
    if re.search(r"\s[?!:;»]|«\s", text):
        problems.append("a space before ? ! : ; » or after «")
    return problems


TYPOGRAPHY = {"fr": french_typography, "es": spanish_typography}


@pytest.mark.parametrize("survey", SURVEYS)
@pytest.mark.parametrize("language", sorted(TYPOGRAPHY))
def test_punctuation_follows_the_language(shipped, survey, language):
    problems = [
        f"{place}: {problem}: {text[language]!r}"
        for place, text in texts(shipped[survey])
        if language in text
        for problem in TYPOGRAPHY[language](text[language])
    ]
    assert not problems, "\n  ".join([shipped[survey].path, *problems])


def test_the_typography_checks_find_mistakes():
    assert french_typography("Où travaillez-vous\u00a0?") == []
    assert french_typography("«\u00a0Autre\u00a0»\u00a0;") == []
    assert len(french_typography("Où travaillez-vous ? « Autre »")) == 3
    assert french_typography("l'OIT") != []
    assert spanish_typography("Si eligió «Otra», ¿cuál es su función?") == []
    assert spanish_typography("¿En qué región trabaja") != []
    assert spanish_typography("En qué región trabaja?") != []


# 2. The glossary


def read_glossary(path: Path = GLOSSARY) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def fold(text: str) -> str:
    """Text as the glossary compares it: case-folded, ’ as ', no-break spaces as spaces."""
    return text.casefold().replace("\u2019", "'").replace(NBSP, " ").replace("\u202f", " ")


def english_pattern(term: str) -> re.Pattern:
    """Match a term as whole words, hyphen or space alike, singular or plural."""
    words = re.split(r"[-\s]+", fold(term).strip())
    body = r"[-\s]+".join(re.escape(word) for word in words)
    if re.search(r"[^aeiou]y$", words[-1]):
        body = body[:-1] + "(?:y|ies)"  # synergy, synergies
    elif words[-1][-1:].isalpha():
        body += "(?:s|es)?"
    return re.compile(rf"(?<!\w){body}(?!\w)")


def alternatives(cell: str) -> list[str]:
    return [fold(form.strip()) for form in cell.split("|")]


def contains(text: str, forms: list[str]) -> bool:
    folded = fold(text)
    return any(re.search(rf"(?<!\w){re.escape(form)}", folded) for form in forms)


def terms_used(english: str, glossary: list[dict[str, str]]) -> list[dict[str, str]]:
    """The glossary rows whose term the English text uses, a term inside a longer one aside.

    In "Knowledge development and sharing" only the row of the whole phrase counts, not the
    row of "knowledge development", which the French and Spanish rightly word differently.
    """
    folded = fold(english)
    found = [
        (match.start(), match.end(), row)
        for row in glossary
        for match in english_pattern(row["en"]).finditer(folded)
    ]
    used = []
    for start, end, row in found:
        inside_longer = any(s <= start and end <= e and e - s > end - start for s, e, _ in found)
        if not inside_longer and row not in used:
            used.append(row)
    return used


def glossary_mismatches(questionnaire: Questionnaire, glossary) -> list[str]:
    first = questionnaire.languages[0]
    problems = []
    for place, text in texts(questionnaire):
        for row in terms_used(text[first], glossary):
            for language in questionnaire.languages[1:]:
                forms = alternatives(row[language])
                if language in text and not contains(text[language], forms):
                    problems.append(
                        f"{place}: the English has {row['en']!r}, the '{language}' text none of "
                        f"{' | '.join(forms)}: {text[language]!r}"
                    )
    return problems


@pytest.mark.parametrize("survey", SURVEYS)
def test_translations_use_the_glossary(shipped, survey):
    problems = glossary_mismatches(shipped[survey], read_glossary())
    assert not problems, f"{shipped[survey].path}:\n  " + "\n  ".join(problems)


def test_a_term_translated_otherwise_is_found(shipped):
    definition = copy.deepcopy(shipped["staff"].definition)
    coherence = next(page for page in definition["pages"] if page["name"] == "coherence")
    item = coherence["questions"][1]["items"][0]
    item["label"]["fr"] = (
        "Les projets vedettes ont établi des synergies sous l’égide du Programme phare."
    )
    problems = glossary_mismatches(parse_questionnaire(definition, "copy"), read_glossary())
    assert len(problems) == 1
    assert problems[0].startswith(
        "question 'coherence_projects': item 'project_synergies': label: the English has "
        "'flagship project', the 'fr' text none of projet phare | projets phares"
    )


@pytest.mark.parametrize(
    ("term", "text", "found"),
    [
        ("synergy", "Programme synergies", True),
        ("long-term care", "Long Term Care", True),
        ("constituents", "constituents' needs", True),
        ("partner", "Strategic partnerships", False),
        ("region", "Regional office", False),
        ("ILO", "Training (e.g. ITCILO, TRANSFORM)", False),
    ],
)
def test_glossary_terms_match_whole_words_singular_or_plural(term, text, found):
    assert bool(english_pattern(term).search(fold(text))) is found


def test_a_term_inside_a_longer_term_is_left_to_the_longer():
    glossary = [
        {"en": "knowledge development", "fr": "développement des connaissances", "es": "x"},
        {"en": "knowledge development and sharing", "fr": "développement et partage", "es": "x"},
    ]
    assert terms_used("Knowledge development and sharing", glossary) == [glossary[1]]
    assert terms_used("Knowledge development", glossary) == [glossary[0]]


# 3. The glossary file


def test_glossary_is_well_formed():
    raw = GLOSSARY.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "glossary.csv starts with a byte-order mark"
    raw.decode("utf-8")
    with GLOSSARY.open(encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["en", "fr", "es", "note"]
    problems, seen = [], {}
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != 4:
            problems.append(f"line {line}: {len(row)} fields, not 4: {row}")
            continue
        en, fr, es, _note = row
        if not en.strip():
            problems.append(f"line {line}: no English term")
        elif fold(en) in seen:
            problems.append(f"line {line}: {en!r} is already on line {seen[fold(en)]}")
        else:
            seen[fold(en)] = line
        for language, cell in (("fr", fr), ("es", es)):
            if not cell.strip() or any(not form.strip() for form in cell.split("|")):
                problems.append(f"line {line}: {en!r} has a blank '{language}' form: {cell!r}")
        problems += [f"line {line}: {en!r}: fr {problem}" for problem in french_typography(fr)]
        problems += [f"line {line}: {en!r}: es {problem}" for problem in spanish_typography(es)]
    assert not problems, "glossary.csv:\n  " + "\n  ".join(problems)


def test_glossary_gives_the_scales(shipped):
    """The agreement and priority scales are in the glossary, word for word."""
    glossary = {row["en"]: row for row in read_glossary()}
    for survey in SURVEYS:
        for question in shipped[survey].questions:
            for choice in question.choices:
                if question.type == "grid":
                    row = glossary.get(choice.label["en"])
                    assert row, (
                        f"{survey}: {question.name}: {choice.label['en']!r} not in glossary"
                    )
                    assert (choice.label["fr"], choice.label["es"]) == (row["fr"], row["es"])
