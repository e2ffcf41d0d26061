"""Non-answers: open answers that say nothing ("N/A", "none", "-", "rien", "nada").

An answer is a non-answer when, case, accents, punctuation and spacing aside, it is one of
the phrases below in English, French or Spanish, or nothing but punctuation. Only the whole
answer counts: "None of the funds arrived" is an answer.
"""

from __future__ import annotations

import re
import unicodedata

# Each phrase as `normal_form` leaves it: lower case, no accents, no apostrophes, every other
# punctuation mark a space, single spaces.
NON_ANSWERS = frozenset(
    {
        # English
        "n a",
        "na",
        "n a n a",
        "none",
        "none really",
        "nil",
        "null",
        "nothing",
        "nothing really",
        "nothing else",
        "nothing to add",
        "nothing to say",
        "nothing to report",
        "nothing at all",
        "no comment",
        "no comments",
        "no answer",
        "no opinion",
        "no idea",
        "no",
        "nope",
        "not applicable",
        "not sure",
        "dont know",
        "do not know",
        "i dont know",
        "i do not know",
        "idk",
        "unknown",
        "pass",
        # French
        "aucun",
        "aucune",
        "aucun commentaire",
        "rien",
        "rien a ajouter",
        "rien a dire",
        "rien a signaler",
        "rien de plus",
        "ras",
        "neant",
        "non",
        "sans objet",
        "so",
        "sans commentaire",
        "pas de commentaire",
        "pas d avis",
        "pas davis",
        "je ne sais pas",
        "je sais pas",
        "ne sais pas",
        "nsp",
        # Spanish
        "ninguno",
        "ninguna",
        "nada",
        "nada mas",
        "nada que agregar",
        "nada que anadir",
        "nada que decir",
        "no aplica",
        "no procede",
        "sin comentarios",
        "sin comentario",
        "sin respuesta",
        "sin opinion",
        "no se",
        "no lo se",
        "no sabe",
        "ns nc",
    }
)

_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc`´]")
_NOT_WORD = re.compile(r"[\W_]+")


def normal_form(text: str) -> str:
    """Return the text in lower case without accents, apostrophes or other punctuation."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = _APOSTROPHES.sub("", plain)
    return _NOT_WORD.sub(" ", plain).strip()


def is_non_answer(text) -> bool:
    """Whether an answer says nothing: a known non-answer phrase, or only punctuation.

    Empty and blank answers are not non-answers here: they are no answer at all.
    """
    if not isinstance(text, str) or not text.strip():
        return False
    normal = normal_form(text)
    return not normal or normal in NON_ANSWERS
