"""Text from the database made safe to lay out: only characters a document can hold."""

from __future__ import annotations

import re

# XML 1.0 forbids these control characters (and Word cannot show them); tabs and line
# breaks become spaces, so an answer is one paragraph of plain text.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def plain(text) -> str:
    """Return text as one line of characters a Word or Markdown document can hold."""
    text = CONTROL.sub("", str(text))
    return " ".join(text.split())
