"""The few fixed words the evaluator's files carry, in English, French and Spanish.

Questionnaire texts come from the questionnaire itself; these are the words the analysis
and the exports write around them: table headings, the All row, notes under tables, the
names of the languages. `coding/` and `exports/` write English by default and take these
words as parameters (they import nothing from here). French and Spanish are written as
official statistics write them: "réponses exprimées" and "respuestas válidas" are the
answers other than "Do not know", "effectif" and "recuento" a count of respondents. French
has a non-breaking space (\u00a0) before ; and : and inside « », and the typographic
apostrophe, as the questionnaires and the respondent pages' catalogue have.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from babel import Locale, UnknownLocaleError

from surveyapp.questionnaire.model import Questionnaire
from surveyapp.questionnaire.types import CHOSEN, NOT_CHOSEN

ENGLISH = "en"

WORDS = {
    # groups and rows of the tables
    "all": {"en": "All", "fr": "Ensemble", "es": "Total"},
    "no_answer": {"en": "(no answer)", "fr": "(sans réponse)", "es": "(sin respuesta)"},
    "not_recorded": {"en": "(not recorded)", "fr": "(non enregistrée)", "es": "(no registrado)"},
    "uncoded": {"en": "(uncoded)", "fr": "(non codé)", "es": "(sin codificar)"},
    "base": {
        "en": "Base: substantive answers",
        "fr": "Base\u00a0: réponses exprimées",
        "es": "Base: respuestas válidas",
    },
    # table headings
    "item": {"en": "Item", "fr": "Item", "es": "Ítem"},
    "group": {"en": "Group", "fr": "Groupe", "es": "Grupo"},
    "count": {"en": "{label} (count)", "fr": "{label} (effectif)", "es": "{label} (recuento)"},
    "weighted_count": {
        "en": "{label} (weighted count)",
        "fr": "{label} (effectif pondéré)",
        "es": "{label} (recuento ponderado)",
    },
    "suppressed": {"en": "suppressed", "fr": "masqué", "es": "omitido"},
    # the export's own columns and sheets
    "response_id": {
        "en": "Response number",
        "fr": "Numéro de réponse",
        "es": "Número de respuesta",
    },
    "language": {
        "en": "Language answered in",
        "fr": "Langue de réponse",
        "es": "Idioma de respuesta",
    },
    "sheet_responses": {"en": "Responses", "fr": "Réponses", "es": "Respuestas"},
    "sheet_dictionary": {
        "en": "Data dictionary",
        "fr": "Dictionnaire des données",
        "es": "Diccionario de datos",
    },
    # titles and notes under the tables
    "crosstab_title": {
        "en": "Cross-tabulation of {surveys} by {by}",
        "fr": "Tableau croisé de {surveys} par {by}",
        "es": "Tabla cruzada de {surveys} por {by}",
    },
    "percent_note": {
        "en": "Percentages of the substantive answers; n = their number{apart}.",
        "fr": "Pourcentages des réponses exprimées\u00a0; n = leur nombre{apart}.",
        "es": "Porcentajes de las respuestas válidas; n = su número{apart}.",
    },
    "counted_apart": {
        "en": " ({missing} counted apart, not in the percentages)",
        "fr": " (réponses «\u00a0{missing}\u00a0» comptées à part, hors pourcentages)",
        "es": " (respuestas «{missing}» contadas aparte, fuera de los porcentajes)",
    },
    "mean_note": {
        "en": "Mean rating (index) of those who rated the item, to two decimals; n = their"
        " number, in the group's header where it is the same for every item.",
        "fr": "Note moyenne (indice) des personnes qui ont noté l’item, à deux décimales\u00a0;"
        " n = leur nombre, dans l’en-tête du groupe lorsqu’il est le même pour tous les"
        " items.",
        "es": "Puntuación media (índice) de quienes puntuaron el ítem, con dos decimales;"
        " n = su número, en el encabezado del grupo cuando es el mismo para todos los"
        " ítems.",
    },
    "min_cell_note": {
        "en": "Groups with fewer than {min_cell} answers are suppressed to preserve"
        " confidentiality.",
        "fr": "Les groupes de moins de {min_cell} réponses sont masqués pour préserver la"
        " confidentialité.",
        "es": "Los grupos con menos de {min_cell} respuestas se omiten para preservar la"
        " confidencialidad.",
    },
    "weighted_percent_note": {
        "en": "Percentages and weighted counts weighted by {column}; n and counts are"
        " numbers of respondents.",
        "fr": "Pourcentages et effectifs pondérés par {column}\u00a0; n et les effectifs sont des"
        " nombres de répondants.",
        "es": "Porcentajes y recuentos ponderados por {column}; n y los recuentos son"
        " números de encuestados.",
    },
    "poststratified_percent_note": {
        "en": "Percentages and weighted counts post-stratified on {column}; n and counts"
        " are numbers of respondents.",
        "fr": "Pourcentages et effectifs pondérés par post-stratification selon {column}\u00a0;"
        " n et les effectifs sont des nombres de répondants.",
        "es": "Porcentajes y recuentos ponderados por posestratificación según {column};"
        " n y los recuentos son números de encuestados.",
    },
    "weighted_mean_note": {
        "en": "Means weighted by {column}; n is the number of respondents.",
        "fr": "Moyennes pondérées par {column}\u00a0; n est le nombre de répondants.",
        "es": "Medias ponderadas por {column}; n es el número de encuestados.",
    },
    "poststratified_mean_note": {
        "en": "Means post-stratified on {column}; n is the number of respondents.",
        "fr": "Moyennes pondérées par post-stratification selon {column}\u00a0; n est le nombre"
        " de répondants.",
        "es": "Medias ponderadas por posestratificación según {column}; n es el número de"
        " encuestados.",
    },
    "surveys_note": {
        "en": "Surveys: {surveys}; groups: {by}.",
        "fr": "Enquêtes\u00a0: {surveys}\u00a0; groupes\u00a0: {by}.",
        "es": "Encuestas: {surveys}; grupos: {by}.",
    },
    # charts (the keys of exports.charts.CHART_WORDS)
    "chart_suppressed": {
        "en": "suppressed (n<{min_cell})",
        "fr": "masqué (n<{min_cell})",
        "es": "omitido (n<{min_cell})",
    },
    "chart_percent": {
        "en": "Percent of substantive answers.",
        "fr": "Pourcentage des réponses exprimées.",
        "es": "Porcentaje de las respuestas válidas.",
    },
    "chart_percent_excluding": {
        "en": "Percent of substantive answers ({excluded} excluded).",
        "fr": "Pourcentage des réponses exprimées (hors {excluded}).",
        "es": "Porcentaje de las respuestas válidas (sin contar {excluded}).",
    },
    "chart_mean_darker": {
        "en": "Mean rating ({low} to {high}); darker is higher.",
        "fr": "Note moyenne (de {low} à {high})\u00a0; plus foncé = plus élevé.",
        "es": "Puntuación media (de {low} a {high}); más oscuro = más alta.",
    },
    "chart_mean_lighter": {
        "en": "Mean rating ({low} to {high}); lighter is higher.",
        "fr": "Note moyenne (de {low} à {high})\u00a0; plus clair = plus élevé.",
        "es": "Puntuación media (de {low} a {high}); más claro = más alta.",
    },
    "chart_mean_suppressed": {
        "en": " – suppressed (fewer than {min_cell} ratings).",
        "fr": " – masqué (moins de {min_cell} notes).",
        "es": " – omitido (menos de {min_cell} puntuaciones).",
    },
}
# The words the question types write themselves, in English: the labels of a multiple
# choice's 0/1 columns, and what a date column holds (`value_format`, in the dictionary).
TYPE_LABELS = {
    CHOSEN: {"en": CHOSEN, "fr": "choisi", "es": "elegido"},
    NOT_CHOSEN: {"en": NOT_CHOSEN, "fr": "non choisi", "es": "no elegido"},
    "ISO date (YYYY-MM-DD)": {
        "en": "ISO date (YYYY-MM-DD)",
        "fr": "date ISO (AAAA-MM-JJ)",
        "es": "fecha ISO (AAAA-MM-DD)",
    },
}
# The same for words with a number: a rank's values ("rank 2").
TYPE_PATTERNS = [
    (re.compile(r"rank ([0-9]+)\Z"), {"fr": "rang {0}", "es": "posición {0}"}),
]
CHART_KEYS = (
    "chart_suppressed",
    "chart_percent",
    "chart_percent_excluding",
    "chart_mean_darker",
    "chart_mean_lighter",
    "chart_mean_suppressed",
)


class LanguageError(ValueError):
    """A language the questionnaires are not written in, said in plain words."""


def in_language(table: dict[str, dict[str, str]], language: str | None) -> dict[str, str]:
    """Return a table of words (key: {language: text}) in one language, English where the
    table lacks it."""
    return {key: texts.get(language or ENGLISH, texts[ENGLISH]) for key, texts in table.items()}


def words_in(language: str | None) -> dict[str, str]:
    """Return every fixed word in a language (English for a language the table lacks)."""
    return in_language(WORDS, language)


def chart_words(language: str | None) -> dict[str, str]:
    """Return the words a chart writes, keyed as `exports.charts.CHART_WORDS`."""
    words = words_in(language)
    return {key.removeprefix("chart_"): words[key] for key in CHART_KEYS}


@functools.cache
def language_name(language: str, in_language: str | None = None) -> str:
    """Return a language's name in another language, from Babel ("fr" in English: "French").

    Capitalised, as a label or a choice shows it ("Français"); the code itself when Babel
    does not know the language.
    """
    try:
        names = Locale.parse(in_language or ENGLISH).languages
    except (ValueError, LookupError, UnknownLocaleError):  # a language Babel lacks: Tetun
        names = Locale.parse(ENGLISH).languages
    name = names.get(language)
    return name[:1].upper() + name[1:] if name else language


def own_name(language: str) -> str:
    """Return a language's name in itself ("Français"), as a language choice shows it."""
    return language_name(language, language)


def language_choices(languages: Iterable[str]) -> list[tuple[str, str]]:
    """Return (code, name in itself) of each language, as a choice of language lists them."""
    return [(code, own_name(code)) for code in languages]


def language_names(languages: Iterable[str], in_language: str | None = None) -> dict[str, str]:
    """Return {code: name in `in_language`} for the languages, in their order."""
    return {code: language_name(code, in_language) for code in languages}


def shared_languages(questionnaires: Iterable[Questionnaire]) -> list[str]:
    """Return the languages every one of the questionnaires is written in, in the first's order."""
    questionnaires = list(questionnaires)
    if not questionnaires:
        return []
    first, *others = questionnaires
    return [code for code in first.languages if all(code in q.languages for q in others)]


def label_language(questionnaires: Iterable[Questionnaire], language: str | None) -> str:
    """Return the language to label in: the one asked for, else the first questionnaire's first.

    Raises LanguageError when a questionnaire is not written in the language asked for.
    """
    questionnaires = list(questionnaires)
    if not language:
        return questionnaires[0].languages[0] if questionnaires else ENGLISH
    for questionnaire in questionnaires:
        if language not in questionnaire.languages:
            raise LanguageError(
                f"'{language}' is not a language of {questionnaire.id}"
                f" ({', '.join(questionnaire.languages)})"
            )
    return language


def fixed_label(label, language: str | None):
    """Return a word a question type writes itself (chosen, not chosen) in a language."""
    if not isinstance(label, str):
        return label
    if label in TYPE_LABELS:
        return TYPE_LABELS[label].get(language or ENGLISH, label)
    for pattern, texts in TYPE_PATTERNS:
        found = pattern.match(label)
        if found and language in texts:
            return texts[language].format(*found.groups())
    return label


def choice_labels(question, language: str | None = None) -> dict | None:
    """Return the label of each stored value of a question in a language, or None."""
    labels = question.kind.value_labels(question, language)
    if labels is None:
        return None
    return {value: fixed_label(label, language) for value, label in labels.items()}
