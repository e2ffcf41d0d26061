"""Answers in several languages: which model embeds them, and the stop words of their labels.

A response records the language it was answered in; the caller passes one language code per
answer ("en", "fr", "es"; "fr-CA" counts as "fr"). A new language is added here: its stop
words, so that its small words stay out of labels.

Which model (figures from benchmarks/multilingual.py on tests/data/constraints_trilingual.csv,
the 188 labelled answers in en, fr and es, 7 codes; consensus clustering, 3 orders x 3
seeds, mean ± sd; suggestions from 5 coded English answers per code, 30 draws):

===========================================  ================  ===================
                                             all-MiniLM-L6-v2  multilingual USE v3
===========================================  ================  ===================
ARI, English alone, k=7                      0.319 ± 0.015     0.310 ± 0.036
ARI, English alone, k=auto                   0.268 ± 0.016     0.308 ± 0.034
ARI, French alone / Spanish alone, k=7       0.084 / 0.047     0.242 / 0.234
ARI, the 564 answers mixed, k=7              0.044 ± 0.003     0.312 ± 0.012
ARI of the mixed clusters against language   0.518 ± 0.004     -0.005 ± 0.000
FR/ES answer's nearest English is its own    44%               99.5%
suggestions on English answers               0.650 ± 0.038     0.623 ± 0.040
suggestions on French and Spanish answers    0.368 ± 0.036     0.609 ± 0.042
===========================================  ================  ===================

On mixed answers MiniLM groups by language and the multilingual model by meaning. On
English alone neither is clearly better (a tie at k=7, the multilingual model ahead at
k=auto, MiniLM's suggestions 3 points more accurate), so a question whose answers are all
in English keeps all-MiniLM-L6-v2, unchanged, and a question with any answer in another
language (French or Spanish alone included: MiniLM is English-only) uses the multilingual
model. Subtracting each language's mean vector is not needed: the multilingual model's
clusters already ignore the language (it lifts MiniLM's mixed ARI only to 0.13).
"""

from __future__ import annotations

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

ENGLISH = "en"

FRENCH_STOP_WORDS = frozenset(
    """
    à afin ai ainsi alors après as au aucun aucune aussi autre autres aux avaient avait avant
    avec avez avoir avons beaucoup bien car ce ceci cela celle celles celui certain certaine
    certaines certains ces cet cette ceux chaque chez comme comment contre dans de depuis des
    deux doit doivent donc dont du elle elles en encore entre est et étaient était étant été
    être eu eux fait faire fois font ici il ils je la laquelle le lequel les leur leurs lors
    lui ma mais me même mêmes mes moi moins mon ne ni non nos notamment notre nous on ont ou
    où par parce parmi pas pendant peu peut peuvent plus plusieurs pour pourquoi quand que
    quel quelle quelles quels qui sa sans se selon sera seront ses si soit son sont sous
    sur ta te tes toi ton tous tout toute toutes très trop tu un une vers vos votre vous ça
    c d j l m n qu s t y
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
    tus un una unas uno unos ya yo a e o u y
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
