"""The Method section's sentences: each survey's fielding and response rate, then the analysis.

The sentences are the templates of `surveyapp.report.words`; every number comes from the
database (`surveyapp.store.rates`, `surveyapp.store.surveys`) as the annex is built.
"""

from __future__ import annotations

from babel.dates import format_date
from babel.numbers import format_percent

from surveyapp.analysis.words import choice_labels
from surveyapp.questionnaire.model import Questionnaire, translate
from surveyapp.store.invitations import attribute_keys
from surveyapp.store.rates import response_rates
from surveyapp.store.responses import response_count
from surveyapp.store.surveys import schedule

# English dates as the ILO writes them (5 October 2020), not the United States' way.
LOCALES = {"en": "en_GB"}


def percent(share: float, language: str) -> str:
    """Return a share as a whole percentage written in the language (28%, 28 %)."""
    return format_percent(share, locale=language)


def day(moment, language: str) -> str:
    """Return a date written out in the language (2 November 2026, 2 novembre 2026)."""
    return format_date(moment.date(), format="long", locale=LOCALES.get(language, language))


def fielding(db, questionnaire: Questionnaire, words: dict, language: str) -> str:
    """Return the sentence saying when a survey was open."""
    title = translate(questionnaire.title, language)
    dates = schedule(db, questionnaire.id)
    if dates["opens"] and dates["closes"]:
        return words["fielded"].format(
            title=title, opens=day(dates["opens"], language), closes=day(dates["closes"], language)
        )
    if dates["opens"]:
        return words["fielded_from"].format(title=title, opens=day(dates["opens"], language))
    return words["no_dates"].format(title=title)


def attribute_labels(questionnaire: Questionnaire, attribute: str, language: str) -> dict:
    """Return the labels of an invitation attribute's values where a question of the same
    name has them as choices (region=africa is "Africa"); else nothing."""
    question = questionnaire.question(attribute)
    labels = choice_labels(question, language) if question is not None else None
    return {str(value): label for value, label in (labels or {}).items()}


def rate_sentences(db, questionnaire: Questionnaire, words: dict, language: str) -> list[str]:
    """Return the sentences of a survey's response rate, overall then by invitation attribute."""
    overall = response_rates(db, questionnaire.id)
    invited = sum(row["invited"] for row in overall)
    responded = sum(row["responded"] for row in overall)
    imported = sum(row["imported"] for row in overall)
    open_link = sum(row["completed_open_link"] for row in overall)
    if invited:
        sentences = [
            words["rate"].format(
                invited=invited,
                responded=responded,
                rate=percent(responded / invited, language),
            )
        ]
    else:
        sentences = [words["no_invitations"]]
    for attribute in attribute_keys(db, questionnaire.id):
        labels = attribute_labels(questionnaire, attribute, language)
        groups = [
            words["rate_group"].format(
                group=labels.get(row["group"], row["group"]),
                responded=row["responded"],
                invited=row["invited"],
                rate=percent(row["response_rate"], language)
                if row["response_rate"] is not None
                else "–",
            )
            for row in response_rates(db, questionnaire.id, attribute)
        ]
        sentences.append(
            words["rate_by"].format(
                attribute=attribute, groups=words["list_separator"].join(groups)
            )
        )
    if imported:
        sentences.append(words["imported"].format(imported=imported))
    if open_link:
        sentences.append(words["open_link"].format(count=open_link))
    sentences.append(words["completed"].format(count=response_count(db, questionnaire.id)))
    return sentences


def survey_paragraph(db, questionnaire: Questionnaire, words: dict, language: str) -> str:
    """Return the paragraph describing one survey's fielding and responses."""
    return " ".join(
        [fielding(db, questionnaire, words, language)]
        + rate_sentences(db, questionnaire, words, language)
    )


def analysis_paragraphs(
    words: dict, missing: list[str], min_cell: int, suppressed: str, weighting: dict
) -> list[str]:
    """Return the paragraphs on how the answers were analysed.

    ``missing`` are the labels of the non-substantive answers ("Do not know");
    ``weighting`` has ``weight``, ``poststratify`` and ``shares`` (empty when unweighted).
    """
    paragraphs = []
    if missing:
        paragraphs.append(words["dont_know"].format(missing=", ".join(missing)))
    paragraphs.append(words["suppression"].format(min_cell=min_cell, suppressed=suppressed))
    if weighting.get("weight"):
        paragraphs.append(words["weighted"].format(column=weighting["weight"]))
    elif weighting.get("poststratify"):
        paragraphs.append(
            words["poststratified"].format(
                column=weighting["poststratify"], shares=weighting.get("shares") or ""
            )
        )
    else:
        paragraphs.append(words["unweighted"])
    paragraphs.append(words["tests"])
    return paragraphs
