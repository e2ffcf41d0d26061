"""The respondent's language: which one, the switch between them, and the catalogues.

A respondent page is in the language asked for with `?lang=` (the switch), else the
invitation's, else the best of the browser's (Accept-Language), else the survey's first.
The same language chooses the questionnaire's texts and, through Flask-Babel, every word
of the app (`surveyapp/web/translations`); evaluator pages are in English.
"""

from __future__ import annotations

import functools
import os
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

import flask_babel
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from flask import g, has_request_context, request
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header
from wtforms.i18n import messages_path

from surveyapp.analysis.words import own_name

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
COMPILE = "pybabel compile -d surveyapp/web/translations"
# Babel's locale for a language where its default writes dates otherwise than the ILO
# does ("2 November 2026", not "November 2, 2026").
LOCALES = {"en": "en_GB"}
# The first of a month where a language writes it otherwise than other days: 1er novembre.
FIRST_OF_MONTH = {"fr": "d'er' MMMM y"}


def choose(languages: tuple[str, ...], invited: str | None = None) -> str:
    """Return the language of a page among `languages`, in the order the module says."""
    wanted = request.args.get("lang")
    if wanted in languages:
        return wanted
    if invited in languages:
        return invited
    header = request.headers.get("Accept-Language", "")
    return best_language(header[:500], tuple(languages))


@functools.lru_cache(maxsize=512)
def best_language(header: str, languages: tuple[str, ...]) -> str:
    """Return the language of `languages` a browser's Accept-Language header prefers."""
    best = parse_accept_header(header, LanguageAccept).best_match(languages)
    return best or languages[0]


def asked_for(languages: tuple[str, ...]) -> str | None:
    """Return the language `?lang=` asks for, if it is one of `languages`."""
    wanted = request.args.get("lang")
    return wanted if wanted in languages else None


def use(language: str, languages: tuple[str, ...]) -> str:
    """Make `language` the one of every word of this request; `languages` the switch's."""
    g.language = language
    g.languages = tuple(languages)
    flask_babel.refresh()
    return language


def locale() -> str | None:
    """Flask-Babel's locale selector: the language chosen for this page, else English."""
    if not has_request_context():
        return None
    language = g.get("language") or "en"
    return LOCALES.get(language, language)


def switch() -> list[tuple[str, str, str]]:
    """Return the language switch of this page: (language, its name, link) of each.

    Empty on pages without a choice: evaluator pages, and surveys in one language.
    """
    languages = g.get("languages", ())
    if len(languages) < 2:
        return []
    kept = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    page = request.script_root + request.path
    return [
        (language, own_name(language), f"{page}?{urlencode([*kept, ('lang', language)])}")
        for language in languages
    ]


def day(moment: datetime) -> str:
    """Return a day (and its time, unless midnight) as the page's language writes it."""
    first = FIRST_OF_MONTH.get(g.get("language")) if moment.day == 1 else None
    text = flask_babel.format_date(moment, first or "long")
    if moment.hour or moment.minute:
        time = flask_babel.format_time(moment, "HH:mm")
        return flask_babel.gettext("%(day)s, %(time)s UTC", day=text, time=time)
    return text


class WTFormsMessages:
    """WTForms' own messages in the language of the request (its `Meta.get_translations`)."""

    def gettext(self, string):
        return _wtforms(str(flask_babel.get_locale() or "en")).gettext(string)

    def ngettext(self, singular, plural, n):
        return _wtforms(str(flask_babel.get_locale() or "en")).ngettext(singular, plural, n)


@functools.cache
def _wtforms(locale_name: str) -> Translations:
    return Translations.load(messages_path(), [locale_name], domain="wtforms")


def compile_catalogues(folder: Path = TRANSLATIONS):
    """Compile each catalogue (`.po`) whose `.mo` is missing or older, as `make` does.

    Raises RuntimeError naming the command to run when a missing one cannot be written.
    """
    for source in sorted(folder.glob("*/LC_MESSAGES/*.po")):
        compiled = source.with_suffix(".mo")
        if compiled.exists() and compiled.stat().st_mtime >= source.stat().st_mtime:
            continue
        try:
            with source.open("rb") as handle:
                catalogue = read_po(handle)
            partial = compiled.with_suffix(f".mo-{os.getpid()}")
            with partial.open("wb") as handle:
                write_mo(handle, catalogue)
            os.replace(partial, compiled)  # whole or not at all, for other processes
        except OSError as error:
            if not compiled.exists():
                raise RuntimeError(
                    f"the translations are not compiled and cannot be ({error}):"
                    f" run `{COMPILE}` (make install does)"
                ) from error
