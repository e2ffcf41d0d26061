"""Groups of respondents for tables: by survey, by language, or by a single-choice answer."""

from __future__ import annotations

import pandas as pd

from coding.tidy import ALL, NO_ANSWER, UNCODED
from surveyapp.analysis.words import language_names, words_in
from surveyapp.questionnaire.model import Questionnaire, translate

BY_SURVEY = "survey"
BY_LANGUAGE = "language"
NOT_RECORDED = ""  # the grouping value of a response whose language was not recorded
CODE_PREFIX = "code:"  # by code:QUESTION (or code:QUESTION@CODER): the codes of its answers
# The words a grouping by codes writes, in the languages of `surveyapp.analysis.words`.
CODE_WORDS = {
    "no_code": {"en": "(no code)", "fr": "(aucun code)", "es": "(sin código)"},
    "not_coded": {
        "en": "(not coded yet)",
        "fr": "(pas encore codée)",
        "es": "(aún sin codificar)",
    },
    "consensus": {
        "en": "the consensus coding",
        "fr": "le codage de consensus",
        "es": "la codificación de consenso",
    },
    "coder": {
        "en": "{coder}'s coding",
        "fr": "le codage de {coder}",
        "es": "la codificación de {coder}",
    },
    "overlap_note": {
        "en": "Groups: the codes of {question} ({coding}); a respondent whose answer carries"
        " several codes counts in each of their groups, and once in {all}; the groups"
        " overlap, so no test of difference is made.",
        "fr": "Groupes\u00a0: les codes de {question} ({coding})\u00a0; une personne dont la"
        " réponse porte plusieurs codes compte dans chacun de leurs groupes, et une fois dans"
        " «\u00a0{all}\u00a0»\u00a0; les groupes se recoupent, aucun test de différence n’est"
        " fait.",
        "es": "Grupos: los códigos de {question} ({coding}); quien dio una respuesta con"
        " varios códigos cuenta en cada uno de sus grupos, y una vez en «{all}»; los grupos"
        " se solapan, por lo que no se hace ninguna prueba de diferencia.",
    },
}


class GroupingError(ValueError):
    """Responses that cannot be grouped as asked, said in plain words."""


def group_labels(
    questionnaires: dict[str, Questionnaire], surveys: list[str], by: str, language=None
) -> tuple[dict[str, dict], list[str]]:
    """Return, per survey, each grouping value's label, and the labels in questionnaire order.

    With ``by="survey"`` a survey's responses all carry its title (the value is the survey id);
    with ``by="language"`` the value is the language answered in, labelled with its name
    (`NOT_RECORDED` when unknown); otherwise ``by`` must be a single-choice question of every
    survey, and each choice name maps to its label. Labels are in ``language`` (by default
    each questionnaire's first).
    """
    if by == BY_SURVEY:
        titles = {s: translate(questionnaires[s].title, language) for s in surveys}
        return {s: {s: titles[s]} for s in surveys}, [titles[s] for s in surveys]
    if by == BY_LANGUAGE:
        unknown = words_in(language)["not_recorded"]
        codes = list(dict.fromkeys(c for s in surveys for c in questionnaires[s].languages))
        names = {**language_names(codes, language), NOT_RECORDED: unknown}
        return {s: names for s in surveys}, list(names.values())
    labels: dict[str, dict] = {}
    order: list[str] = []
    kinds = set()
    for survey in surveys:
        question = questionnaires[survey].question(by)
        if question is None or not question.kind.single_choice:
            raise GroupingError(
                f"'{by}' is not a single-choice question of survey '{survey}'"
                " (group by survey, language or such a question)"
            )
        kinds.add(question.kind.name)
        if len(kinds) > 1:
            raise GroupingError(f"'{by}' is not the same kind of question in every survey")
        labels[survey] = {c.name: translate(c.label, language) for c in question.choices}
        order += [label for label in labels[survey].values() if label not in order]
    return labels, order


def groupings(
    questionnaires: dict[str, Questionnaire], surveys: list[str], language=None
) -> list[tuple[str, str]]:
    """Return the groupings that work for all these surveys: (by, label), in questionnaire order.

    Survey and language always work; a single-choice question is offered when every survey
    asks it as the same kind (`group_labels` accepts it), labelled with its question label.
    """
    offered = [(BY_SURVEY, "Survey"), (BY_LANGUAGE, words_in(language)["language"])]
    for question in questionnaires[surveys[0]].questions if surveys else []:
        if not question.kind.single_choice or question.name in (BY_SURVEY, BY_LANGUAGE):
            continue
        try:
            group_labels(questionnaires, surveys, question.name, language)
        except GroupingError:
            continue
        offered.append((question.name, translate(question.label, language)))
    return offered


def code_grouping(by: str) -> tuple[str, str | None] | None:
    """Return (question, coder or None) for a grouping by codes, code:QUESTION[@CODER], else
    None."""
    if not by.startswith(CODE_PREFIX):
        return None
    question, _, coder = by[len(CODE_PREFIX) :].partition("@")
    if not question.strip():
        raise GroupingError("name the open question after code:, e.g. code:constraints")
    return question.strip(), coder.strip() or None


def code_words(language: str | None) -> dict[str, str]:
    """Return the words of a grouping by codes in a language (English when not known)."""
    return {key: texts.get(language or "en", texts["en"]) for key, texts in CODE_WORDS.items()}


def grouping_values(frame: pd.DataFrame, by: str) -> pd.Series:
    """Return the value each response is grouped by: its survey, language or answer."""
    if by == BY_SURVEY:
        return frame.survey
    if by == BY_LANGUAGE:
        return frame.language.astype("object").where(frame.language.notna(), NOT_RECORDED)
    return frame[by]


def group_of(values: pd.Series, surveys: pd.Series, labels: dict[str, dict]) -> pd.Series:
    """Return each response's group label from its grouping value and its survey (NaN if none)."""
    pairs = zip(surveys, values, strict=True)
    return pd.Series(
        [labels[survey].get(value) for survey, value in pairs], index=values.index, dtype=object
    )


def frequency_in(
    table: pd.DataFrame, questionnaires: dict, surveys: list[str], by: str, language: str
) -> pd.DataFrame:
    """Return a code frequency table made in the questionnaires' first language in another.

    The groups (each survey's title, choice's label or language's name, the All and
    no-answer rows; by language, no answer is a language not recorded) and the uncoded row
    are put in ``language``; the codes are the coder's own words and stay as written.
    """
    first, _ = group_labels(questionnaires, surveys, by)
    wanted, _ = group_labels(questionnaires, surveys, by, language)
    words = words_in(language)
    unknown = words["not_recorded"] if by == BY_LANGUAGE else words["no_answer"]
    groups = {ALL: words["all"], NO_ANSWER: unknown}
    for survey in surveys:
        for value, label in first[survey].items():
            groups.setdefault(label, wanted[survey][value])
    table = table.copy()
    table["group"] = table["group"].map(lambda label: groups.get(label, label))
    table["code"] = table["code"].replace({UNCODED: words["uncoded"]})
    return table
