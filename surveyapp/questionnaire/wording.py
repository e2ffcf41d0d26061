"""The words the app itself says to a respondent (messages, conditions), in their language.

`_` and `ngettext` mark a message that is translated each time it is shown (a form's
messages are made once and shown in many languages); `gettext` translates at once. The
catalogues are the web app's (`surveyapp/web/translations`), which it plugs in with
`use_translations`; outside a web request, and without the web app, every message is
English, so the command line checks answers in English. This package imports no Flask.
"""

from __future__ import annotations

import gettext as gettext_module
from collections.abc import Callable

from babel.support import LazyProxy

_ENGLISH = gettext_module.NullTranslations()
_translations: Callable[[], gettext_module.NullTranslations] = lambda: _ENGLISH  # noqa: E731


def use_translations(current: Callable[[], gettext_module.NullTranslations]):
    """Take the respondent's messages from `current()`: the translations of this request."""
    global _translations
    _translations = current


def gettext(message: str, **values) -> str:
    """Return a message in the respondent's language, its `%(name)s` filled from `values`."""
    text = _translations().gettext(message)
    return text % values if values else text


def _plural(singular: str, plural: str, num: int, **values) -> str:
    return _translations().ngettext(singular, plural, num) % {"num": num, **values}


def _(message: str, **values) -> LazyProxy:
    """Return a message that is translated whenever it is shown (made once, shown often)."""
    return LazyProxy(gettext, message, enable_cache=False, **values)


def ngettext(singular: str, plural: str, num: int, **values) -> LazyProxy:
    """Return a message about `num` things (`%(num)d`), translated whenever it is shown."""
    return LazyProxy(_plural, singular, plural, num, enable_cache=False, **values)


def N_(message: str) -> str:  # noqa: N802 - the name gettext's tools look for
    """Mark a message for the catalogues where it is written; `gettext` translates it later."""
    return message


def quoted(text: str) -> str:
    """Return a text within the quotation marks of the respondent's language: “Other”."""
    return gettext("“%(text)s”", text=text)


def listed(words: list[str], last: str) -> str:
    """Return words as a list ending in `last` ("or" or "and"): “A”, “B” or “C”."""
    if len(words) == 1:
        return words[0]
    head = ", ".join(words[:-1])
    if last == "or":
        return gettext("%(head)s or %(last)s", head=head, last=words[-1])
    return gettext("%(head)s and %(last)s", head=head, last=words[-1])
