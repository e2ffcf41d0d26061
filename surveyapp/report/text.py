"""Text from the database made safe to lay out: only characters a document can hold."""

from __future__ import annotations

import re

# XML 1.0 forbids these control characters (and Word cannot show them); tabs and line
# breaks become spaces, so an answer is one paragraph of plain text. Non-breaking spaces
# (French "28\u00a0%") are kept.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
SPACES = re.compile(r"[ \t\n\r\f\v\u2028\u2029]+")


def plain(text) -> str:
    """Return text as one line of characters a Word or Markdown document can hold."""
    return SPACES.sub(" ", CONTROL.sub("", str(text))).strip()
