"""The rules of a codebook, apart from where it is kept: code names and coding errors."""

from __future__ import annotations

MAX_NAME = 120


class CodingError(ValueError):
    """A codebook operation that cannot be done, said in plain words."""


def code_name(name: str, taken: list[str]) -> str:
    """Return a new code name tidied (spaces folded), or raise CodingError if it cannot be used.

    ``taken`` holds the names of the other live codes; names differing only in case clash.
    """
    name = " ".join((name or "").split())
    if not name:
        raise CodingError("a code needs a name")
    if len(name) > MAX_NAME:
        raise CodingError(f"a code name must be under {MAX_NAME} characters")
    for other in taken:
        if other.casefold() == name.casefold():
            raise CodingError(f"there is already a code named '{other}'")
    return name


def unique_name(name: str, taken: list[str]) -> str:
    """Return the name, numbered "(2)", "(3)"... until no taken name has it (case aside)."""
    folded = {other.casefold() for other in taken}
    base, number = name, 2
    while name.casefold() in folded:
        name, number = f"{base} ({number})", number + 1
    return name
