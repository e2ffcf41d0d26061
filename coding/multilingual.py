"""Answers in several languages: which model embeds them, and the stop words of their labels.

A response records the language it was answered in; the caller passes one language code per
answer ("en", "fr", "es", "fr-CA" counts as "fr"). A new language is added here: its stop
words, if its labels are to leave out its small words.
"""

from __future__ import annotations

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

ENGLISH = "en"

FRENCH_STOP_WORDS = frozenset(
    """
    afin ai ainsi alors après as au aucun aucune aussi autre autres aux avaient avait avant
    avec avez avoir avons beaucoup bien car ce ceci cela celle celles celui certain certaine
    certaines certains ces cet cette ceux chaque chez comme comment contre dans de depuis des
    deux doit doivent donc dont du elle elles en encore entre est et étaient était étant été
    être eu eux fait faire fois font ici il ils je la laquelle le lequel les leur leurs lors
    lui ma mais me même mêmes mes moi moins mon ne ni non nos notamment notre nous on ont ou
    où par parce parmi pas pendant peu peut peuvent plus plusieurs pour pourquoi quand que
    quel quelle quelles quels qui sa sans se selon sera seront ses si soit son sont sous
    sur ta te tes toi ton tous tout toute toutes très trop tu un une vers vos votre vous ça
    """.split()  # noqa: SIM905 - a block of words reads better than a list of strings
)

SPANISH_STOP_WORDS = frozenset(
    """
    además al algo algún alguna algunas alguno algunos ante antes así aún cada como con
    contra cual cuál cuando de debe deben del desde donde dónde durante el él ella ellas
    ellos en entre era eran es esa esas ese eso esos esta está estaba estaban estado están
    estar este esto estos etc fue fueron ha han hasta hay la las le les lo los mas más me
    mi mis misma mismo mucha muchas mucho muchos muy nada ni no nos nosotros otra otras otro
    otros para pero poco por porque puede pueden que qué quien quién se según ser si sí sido
    siendo sin sobre son su sus también tan tanto te tiene tienen toda todas todo todos tu
    tus un una unas uno unos ya yo
    """.split()  # noqa: SIM905 - a block of words reads better than a list of strings
)

STOP_WORDS = {"en": ENGLISH_STOP_WORDS, "fr": FRENCH_STOP_WORDS, "es": SPANISH_STOP_WORDS}


def primary_language(code) -> str | None:
    """Return a language code's primary part, lower case ("fr-CA" gives "fr"; None stays None)."""
    if not isinstance(code, str) or not code.strip():
        return None
    return code.strip().split("-")[0].split("_")[0].lower()


def needs_multilingual(languages) -> bool:
    """Whether answers in these languages need the multilingual model: any not in English."""
    return any(primary_language(language) not in (ENGLISH, None) for language in languages)


def stop_words(languages) -> list[str]:
    """Return the stop words of every language given (English's when none is known)."""
    known = {primary_language(language) for language in languages} & set(STOP_WORDS)
    words = set().union(*(STOP_WORDS[language] for language in known or {ENGLISH}))
    return sorted(words)
