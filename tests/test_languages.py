"""Respondents get every page in their language, chosen as issue 11 says, and no English left.

Every respondent page (each page of each trilingual questionnaire, every validation message,
every special page) is rendered in French and in Spanish through the test client, and its
visible text (attributes a person sees included) must hold no English: no English message of
the catalogue or text of the questionnaire of more than one word, and none of a list of
common English words. Text marked as another language (`lang="en"`, the switch's
"English") is left aside. The catalogues must be whole; the language must be chosen in the
order ?lang, invitation, browser, survey, kept on resume without a cookie, and recorded.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from babel.support import Translations

from surveyapp.questionnaire.answers import shown_questions
from surveyapp.questionnaire.loading import load_questionnaire, load_questionnaires
from surveyapp.questionnaire.model import Questionnaire, Text
from surveyapp.store.connection import get_db
from surveyapp.store.invitations import create_invitations
from surveyapp.store.surveys import change_schedule
from surveyapp.testing import CSRF, Respondent, answers_for
from surveyapp.web.languages import compile_catalogues

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "surveyapp" / "web" / "translations"
TRILINGUAL = Path(__file__).resolve().parent / "data" / "demo_trilingual.yaml"
LANGUAGES = ("fr", "es")
NBSP = "\u00a0"
# English words that have no business on a French or Spanish page...
COMMON_ENGLISH = frozenset(
    (  # noqa: SIM905 - a list of words reads best as words
        "the and please your you page next back previous submit answer answers question "
        "questions this that with was were not only of to for is are or on if choose give "
        "number link survey saved required thank thanks received closed open invitation until "
        "again check will kept which what when how have has been from by at it be agree "
        "disagree know yes more less least most between every each error"
    ).split()
)
# ... unless they are words of the page's language too.
OWN_WORDS = {
    "fr": {"page", "question", "questions", "invitation", "on", "or"},
    "es": {"error"},
}
PLACEHOLDER = re.compile(r"%\(\w+\)[a-z]|%%")
SENTENCE = re.compile(r"\||[.;:!?](?:\s|$)")
TEXT_ANSWER = "lorem ipsum"  # what respondents type in the tests: no language of ours


def shipped_trilingual() -> list[str]:
    """The shipped questionnaires that are in English, French and Spanish already."""
    found = load_questionnaires(ROOT / "questionnaires")
    return sorted(k for k, q in found.items() if {"en", *LANGUAGES} <= set(q.languages))


SHIPPED = shipped_trilingual()


@pytest.fixture
def questionnaire_dir(tmp_path):
    """The trilingual test questionnaire and the shipped questionnaires that are trilingual."""
    folder = tmp_path / "questionnaires"
    folder.mkdir()
    shutil.copy(TRILINGUAL, folder)
    for survey in SHIPPED:
        shutil.copy(ROOT / "questionnaires" / f"{survey}.yaml", folder)
    return folder


# The catalogues


def catalogue(language: str):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


def _strings(message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def _ids(message) -> tuple[str, ...]:
    return message.id if isinstance(message.id, tuple) else (message.id,)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set:
    """The msgids `pybabel extract` finds in the code and templates, as `make translations`."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run(  # noqa: S603 - our own tool, no shell
        [str(pybabel), "-q", "extract", "-F", "babel.cfg", "-o", str(pot), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        return {message.id for message in read_po(handle) if message.id}


@pytest.mark.parametrize("language", ["en", *LANGUAGES])
def test_every_message_is_translated_and_none_is_fuzzy(language, extracted):
    found = catalogue(language)
    assert not found.fuzzy
    untranslated = [m.id for m in found if m.id and not all(_strings(m))]
    fuzzy = [m.id for m in found if m.id and m.fuzzy]
    assert not untranslated and not fuzzy
    missing = extracted - {m.id for m in found if m.id}
    assert not missing, f"run `make translations` and translate: {sorted(missing)}"
    wrong_placeholders = [(m.id, errors) for m, errors in found.check()]
    assert not wrong_placeholders


def test_french_is_written_with_french_typography():
    """A non-breaking space before ; : ! ? and inside « », never a plain one or none, and
    the typographic apostrophe (l’avenir) as in the questionnaires."""
    problems = []
    for message in catalogue("fr"):
        for text in _strings(message) if message.id else ():
            for bad in (r"[ \w][;:!?](?!\w)", r"«[^\u00a0]", r"[^\u00a0]»", "'"):
                if re.search(bad, PLACEHOLDER.sub("x", text)):
                    problems.append(text)
    assert not problems


def test_catalogues_missing_or_older_than_their_po_are_compiled_at_start(tmp_path):
    """pip install without make leaves no .mo: the app compiles them when it starts."""
    folder = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, folder, ignore=shutil.ignore_patterns("*.mo"))
    compile_catalogues(folder)
    compiled = folder / "fr" / "LC_MESSAGES" / "messages.mo"
    with compiled.open("rb") as handle:
        assert Translations(handle).gettext("Next") == "Suivant"
    source = compiled.with_suffix(".po")
    source.write_text(source.read_text().replace('"Suivant"', '"Page suivante"'))
    os.utime(compiled, (0, 0))  # older than its .po: compiled again
    compile_catalogues(folder)
    with compiled.open("rb") as handle:
        assert Translations(handle).gettext("Next") == "Page suivante"
    assert sorted(p.name for p in compiled.parent.iterdir()) == ["messages.mo", "messages.po"]


# Finding English on a page


class VisibleText(HTMLParser):
    """The text a person sees on a page: text (no script or style) and the attributes read
    out or shown (alt, title, aria-label, placeholder, a button input's value), leaving out
    what is marked as another language than the page's."""

    SHOWN = ("alt", "title", "aria-label", "placeholder")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.language = None
        self.parts: list[str] = []
        self.skipping: list[str] = []  # open elements whose text is not the page's language
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.language = attrs.get("lang")
        elif "lang" in attrs and attrs["lang"] != self.language or self.skipping:
            if tag not in ("input", "br", "img", "meta", "link"):
                self.skipping.append(tag)
            return
        if tag in ("script", "style"):
            self.hidden += 1
        self.parts.extend(attrs[name] for name in self.SHOWN if attrs.get(name))
        if tag == "input" and attrs.get("type") in ("submit", "button", "reset"):
            self.parts.append(attrs.get("value") or "")

    def handle_endtag(self, tag):
        if self.skipping:
            if tag == self.skipping[-1]:
                self.skipping.pop()
            return
        if tag in ("script", "style"):
            self.hidden -= 1

    def handle_data(self, data):
        if not self.skipping and not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> tuple[str | None, str]:
    """Return a page's language and its visible text, spaces made plain and single."""
    parser = VisibleText()
    parser.feed(html)
    text = " ".join(parser.parts).replace(NBSP, " ").replace("\u202f", " ")
    return parser.language, re.sub(r"\s+", " ", text).strip()


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def _fragments(text: str) -> list[str]:
    """The sentences (and parts between placeholders) of an English text of several words."""
    parts = (part.strip(" .,;:!?()“”\n") for part in SENTENCE.split(PLACEHOLDER.sub("|", text)))
    return [" ".join(part.split()) for part in parts if len(_words(part)) > 1]


def questionnaire_texts(questionnaire: Questionnaire) -> list[Text]:
    """Every text of a questionnaire a respondent can see."""
    texts = [questionnaire.title, questionnaire.description]
    for page in questionnaire.pages:
        texts += [page.title, page.intro]
        for question in page.questions:
            texts += [question.label, question.hint]
            texts += [part for item in question.items for part in (item.label, item.hint)]
            texts += [choice.label for choice in question.choices]
    return [text for text in texts if text]


def english_sources(language: str, questionnaires) -> list[str]:
    """The English a page in `language` must not show: messages and questionnaire texts.

    A questionnaire text of a few words given the same in both languages (a name) is the
    translation itself.
    """
    sources = set()
    own = {m.id: _strings(m) for m in catalogue(language) if m.id}
    for message in catalogue("en"):
        for english in _ids(message) if message.id else ():
            sources.update(_fragments(english))
            translated = own.get(message.id, ())
            if len(_words(english)) == 1 and english.casefold() not in (
                t.casefold() for t in translated
            ):
                sources.add(english.strip(" .,;:!?()"))  # Next, Submit, Language...
    for questionnaire in questionnaires:
        for text in questionnaire_texts(questionnaire):
            english = text.get("en", "")
            if text.get(language) == english and len(_words(english)) <= 4:
                continue
            for paragraph in english.split("\n\n"):
                if len(_words(paragraph)) > 1:
                    sources.add(" ".join(paragraph.split()))
    return sorted(sources, key=len, reverse=True)


def english_left(html: str, language: str, sources: list[str]) -> list[str]:
    """Return the English found on a page that should be in `language`."""
    page_language, text = visible_text(html)
    found = [] if page_language == language else [f'<html lang="{page_language}">']
    folded = text.casefold()
    for source in sources:
        if re.search(rf"(?<!\w){re.escape(source.casefold())}(?!\w)", folded):
            found.append(source)
    common = COMMON_ENGLISH - OWN_WORDS.get(language, set())
    found += sorted({word for word in _words(text) if word in common})
    return found


@pytest.fixture(scope="module")
def sources() -> dict[str, list[str]]:
    """The English sources of each language, over the questionnaires these tests serve."""
    questionnaires = [load_questionnaire(TRILINGUAL)] + [
        load_questionnaire(ROOT / "questionnaires" / f"{survey}.yaml") for survey in SHIPPED
    ]
    return {language: english_sources(language, questionnaires) for language in LANGUAGES}


def test_the_check_finds_english_left_and_leaves_other_marked_languages(sources):
    french = sources["fr"]
    clean = (
        '<html lang="fr"><head><title>Merci</title><style>p {color: red}</style></head>'
        '<nav aria-label="Langue"><a lang="en" hreflang="en">English</a></nav>'
        "<p>Vos réponses ont bien été reçues.</p><script>var next = 1;</script></html>"
    )
    assert english_left(clean, "fr", french) == []
    for english, expected in [
        ("<p>Please answer this question.</p>", "Please answer this question"),
        ("<p>Veuillez vérifier vos réponses</p><p>Page 2 of 5</p>", "of"),
        ('<button type="submit">Next</button>', "Next"),
        ('<input type="submit" value="Envoyer maintenant, thank you">', "thank"),
        ('<input type="text" placeholder="YYYY-MM-DD">', "YYYY-MM-DD"),
        ('<nav aria-label="Language"></nav>', "Language"),
        ("<p>Uniquement si you chose « Autre » :</p>", "you"),
        ("<p>Your answers were received.</p>", "Your answers were received"),
        ("<h1>Trilingual test survey</h1>", "Trilingual test survey"),
    ]:
        page = f'<html lang="fr"><body>{english}</body></html>'
        assert expected in english_left(page, "fr", french), english
    assert english_left('<html lang="en"><p>Merci</p></html>', "fr", french) == [
        '<html lang="en">'
    ]


# Walking the pages in French and Spanish


class Checked:
    """Every page one test sees, checked for English left; the problems kept by page."""

    def __init__(self, language: str, sources: list[str]):
        self.language, self.sources = language, sources
        self.problems: dict[str, list[str]] = {}
        self.pages = 0

    def __call__(self, response, where: str, status: int | None = None):
        if status is not None:
            assert response.status_code == status, where
        html = response.get_data(as_text=True)
        found = english_left(html, self.language, self.sources)
        if found:
            self.problems[where] = found
        self.pages += 1
        return html

    def assert_none(self):
        assert self.pages
        assert not self.problems, self.problems


# Answers to tests/data/demo_trilingual.yaml: each page's wrong answers, then good ones that
# show every conditional question (an answer that will not be kept included).
TRILINGUAL_PAGES = [
    (
        [
            {},
            {"region": "mars"},
            {"region": "other"},
            {"region": "asia", "topics": ["health", "pensions", "media"]},
            {"region": "asia", "organisation": "ministry"},
        ],
        {"region": "africa", "region_other": TEXT_ANSWER, "topics": ["health", "media"]},
    ),
    (
        [
            {"statements.one": "agree"},
            {"statements.one": "agree", "statements.two": "yes"},
            {"statements.one": "agree", "statements.two": "agree", "partners": ["unions"]},
            {
                "statements.one": "agree",
                "statements.two": "agree",
                "partners": ["ministries", "unions", "employers", "agencies"],
                "channels": ["mail", "meeting"],
            },
            {
                "statements.one": "agree",
                "statements.two": "agree",
                "partners": ["ministries", "unions"],
                "channels": ["mail"],
            },
        ],
        {
            "statements.one": "disagree",
            "statements.two": "agree",
            "media_partner": TEXT_ANSWER,
            "partners": ["ministries", "unions"],
            "channels": ["mail", "meeting"],
        },
    ),
    ([{"countries": "100"}, {"countries": "abc"}, {"countries": "9" * 40}], {"countries": "3"}),
    (
        [
            {"years": "2.5"},
            {"share": "-1"},
            {"budget": "101"},
            {"spent": "abc", "started": "2015-01-01"},
            {"started": "02/11/2026", "ended": "2000-01-01", "planned": "2031-01-01"},
        ],
        {"years": "6", "share": "0.5", "started": "2019-01-01", "senior": TEXT_ANSWER},
    ),
    (
        [
            {"pillars.a": "1"},
            {"pillars.a": "1", "pillars.b": "1", "pillars.c": "2", "pillars.d": "3"},
            {"pillars.a": "1", "pillars.b": "1", "pillars.c": "1", "pillars.d": "2"},
            {"pillars.a": "1", "pillars.b": "1", "pillars.c": "1", "pillars.d": "1"},
            {"constraints": "x" * 51},
        ],
        {"constraints": TEXT_ANSWER, "nothing_said": TEXT_ANSWER},
    ),
]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_and_message_of_the_test_questionnaire(app, client, db, language, sources):
    questionnaire = app.extensions["questionnaires"]["trilingual"]
    checked = Checked(language, sources[language])
    token = create_invitations(db, "trilingual", 1)[0]
    person = Respondent(client, f"/s/trilingual/{token}")
    person.page = client.get(f"{person.link}?lang={language}")  # the switch, once
    seen = set()
    for number, (wrong, good) in enumerate(TRILINGUAL_PAGES, 1):
        html = checked(person.page, f"page {number}", 200)
        seen.update(re.findall(r'id="q-([a-z_]+)"', html))
        for answers in wrong:  # each from the page the one before came back with
            html = checked(person.submit(answers), f"page {number} with {answers}", 422)
            assert 'class="alert"' in html
        assert person.submit(good).status_code == 302, person.page.get_data(as_text=True)
        if number == 1:  # the answer to a question that did not apply is named
            assert 'class="notice"' in person.page.get_data(as_text=True)
    html = checked(person.page, "thank-you page", 200)
    assert 'class="notice"' in html  # nothing_said, which applied only without constraints
    assert seen == {q.name for q in questionnaire.questions}
    checked(client.get(person.link), "link used again", 200)
    checked.assert_none()


def _page_of(html: str) -> int:
    return int(re.search(r'<form method="post" action="[^"]*page=(\d+)', html).group(1))


def test_expired_page_is_said_in_the_respondents_language(app, client, db, sources):
    for language in LANGUAGES:
        checked = Checked(language, sources[language])
        token = create_invitations(db, "trilingual", 1, language=language)[0]
        person = Respondent(client, f"/s/trilingual/{token}")
        app.config["WTF_CSRF_TIME_LIMIT"] = -1  # every token is issued already out of date
        person.open()
        html = checked(person.submit({"region": "asia"}), "expired", 422)
        assert 'role="alert"' in html
        checked.assert_none()


@pytest.mark.parametrize("language", LANGUAGES)
def test_answers_not_saved_are_said_in_the_respondents_language(
    app, client, db, language, sources
):
    """The database locked past busy_timeout (another connection holds its write lock): the
    page of answers not saved, and the error page of an open link not started, both 503."""
    checked = Checked(language, sources[language])
    token = create_invitations(db, "trilingual", 1, language=language)[0]
    change_schedule(db, "trilingual", {"open_link": 1})
    person = Respondent(client, f"/s/trilingual/{token}")
    person.open()
    with app.app_context():
        get_db().execute("pragma busy_timeout = 100")  # the server thread's connection
    holder = sqlite3.connect(app.config["DATABASE"], isolation_level=None)
    holder.execute("begin immediate")
    try:
        html = checked(person.submit(TRILINGUAL_PAGES[0][1]), "answers not saved", 503)
        assert 'role="alert"' in html and TEXT_ANSWER in html
        checked(client.get(f"/s/trilingual/open?lang={language}"), "open link not saved", 503)
    finally:
        holder.rollback()
        holder.close()
    checked.assert_none()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_special_page(app, client, db, language, sources):
    checked = Checked(language, sources[language])
    lang = f"lang={language}"
    checked(client.get(f"/?{lang}"), "home page", 200)
    checked(client.get(f"/s/trilingual/open?{lang}"), "invitation only", 404)
    checked(client.get(f"/s/trilingual/no-such-link?{lang}"), "unknown link", 404)
    checked(client.get(f"/s/no-such-survey/abc?{lang}"), "unknown survey", 404)
    checked(client.get("/nothing/here", headers={"Accept-Language": language}), "no page", 404)
    token = create_invitations(db, "trilingual", 1, language=language)[0]
    big = {"constraints": "x" * 400_000}
    checked(client.post(f"/s/trilingual/{token}", data=big), "too large", 413)
    for opens, closes, status, name in [
        ("2100-01-01T09:30:00+00:00", "2100-02-01T00:00:00+00:00", 403, "not open yet"),
        ("2020-01-01T00:00:00+00:00", "2020-02-01T00:00:00+00:00", 410, "closed"),
    ]:
        change_schedule(db, "trilingual", {"opens": opens, "closes": closes, "open_link": 1})
        checked(client.get(f"/s/trilingual/{token}"), name, status)
        checked(client.get(f"/?{lang}"), f"home page, survey {name}", 200)
    change_schedule(
        db, "trilingual", {"opens": None, "closes": "2100-01-01T00:00:00+00:00", "open_link": 1}
    )
    checked(client.get(f"/?{lang}"), "home page, open to all", 200)
    app.config["LINK_ATTEMPTS"] = 0
    checked(client.get(f"/s/trilingual/no-such-link?{lang}"), "too many links", 429)
    app.config["OPEN_LINK_STARTS"] = 0
    checked(client.get(f"/s/trilingual/open?{lang}"), "too many starts", 429)
    checked.assert_none()


@pytest.mark.skipif(not SHIPPED, reason="the shipped questionnaires are not trilingual yet")
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("survey", SHIPPED)
def test_every_page_of_the_shipped_questionnaires(app, client, db, survey, language, sources):
    """Each page, once with its missing answers' messages, then answered (the first choice
    everywhere, a text to each question shown: one that does not apply is left out)."""
    questionnaire = app.extensions["questionnaires"][survey]
    checked = Checked(language, sources[language])
    token = create_invitations(db, survey, 1, language=language)[0]
    person = Respondent(client, f"/s/{survey}/{token}")
    person.open()
    answered, seen = {}, set()
    for _ in range(len(questionnaire.pages) + 1):
        html = checked(person.page, f"{survey} page {_ + 1}", 200)
        if "<form" not in html:
            break
        seen.update(re.findall(r'id="q-([a-z_]+)"', html))
        page = questionnaire.pages[_page_of(html) - 1]
        if any(q.required for q in page.questions):
            checked(person.submit({}), f"{survey} page {page.name} unanswered", 422)
            person.open(page=_page_of(html))
        answers = {}
        for question in shown_questions(page, answered, decided=False):
            given = answers_for(question)
            if question.kind.open_text:
                given = dict.fromkeys(given, TEXT_ANSWER)
            answers.update(given)
        answered.update({k: v for k, v in answers.items() if not isinstance(v, list)})
        assert person.submit(answers).status_code == 302
    assert "<form" not in html, "the questionnaire did not end"
    assert seen == {q.name for q in questionnaire.questions}
    checked.assert_none()


# Choosing the language


def _lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


def _link(db, language=None) -> str:
    return f"/s/trilingual/{create_invitations(db, 'trilingual', 1, language=language)[0]}"


@pytest.mark.parametrize(
    "query, invited, browser, expected",
    [
        ("?lang=fr", "es", "es", "fr"),  # ?lang beats the invitation's language
        ("", "es", "fr", "es"),  # the invitation's beats the browser's
        ("", None, "es;q=0.9, de", "es"),  # the browser's beats the survey's first
        ("", None, "de", "en"),  # the survey's first
        ("?lang=de", None, "fr", "fr"),  # a language the survey has not is ignored
        ("?lang=xx-<script>", "es", "", "es"),
    ],
)
def test_language_is_chosen_in_order(client, db, query, invited, browser, expected):
    response = client.get(_link(db, invited) + query, headers={"Accept-Language": browser})
    assert response.status_code == 200
    assert _lang(response) == expected
    page = response.get_data(as_text=True)
    title = {"en": "About you", "fr": "Votre profil", "es": "Su perfil"}[expected]
    progress = {"en": "Page 1 of", "fr": "Page 1 sur", "es": "Página 1 de"}[expected]
    assert f"<h1>{title}</h1>" in page and progress in page  # the same language throughout


def test_switch_names_each_language_in_itself_and_marks_the_current_one(client, db):
    link = _link(db)
    page = client.get(link + "?lang=es").get_data(as_text=True)
    switch = re.search(r'<nav class="languages" aria-label="Idioma">(.*?)</nav>', page).group(1)
    links = re.findall(
        r'<a href="([^"]+)" lang="(\w+)" hreflang="(\w+)"([^>]*)>([^<]+)</a>', switch
    )
    assert [(lang, hreflang, name) for _, lang, hreflang, _, name in links] == [
        ("en", "en", "English"),
        ("fr", "fr", "Français"),
        ("es", "es", "Español"),
    ]
    assert [current for *_, current, _ in links] == ["", "", ' aria-current="true"']
    assert links[1][0] == link + "?lang=fr"
    assert "<script" not in switch and "onclick" not in switch  # plain links


def test_invited_respondent_chooses_a_language_answers_resumes_and_gets_no_cookie(app, client, db):
    link = _link(db, "en")
    responses = [client.get(link), client.get(link + "?lang=es")]
    person = Respondent(client, link)
    person.open()
    responses.append(person.page)
    assert _lang(person.page) == "es"
    for wrong, good in TRILINGUAL_PAGES[:2]:
        responses.append(person.submit(wrong[0]))
        person.open()
        responses.append(person.submit(good))
        responses.append(person.page)
    assert all("Set-Cookie" not in r.headers for r in responses)
    # resumed from another browser that prefers French: still Spanish, still no cookie
    other = app.test_client()
    resumed = other.get(link, headers={"Accept-Language": "fr"})
    assert _lang(resumed) == "es" and "Set-Cookie" not in resumed.headers
    assert "<h1>Afrique</h1>" not in resumed.get_data(as_text=True)
    assert "<h1>África</h1>" in resumed.get_data(as_text=True)
    other_person = Respondent(other, link)
    other_person.page = resumed
    for _, good in TRILINGUAL_PAGES[2:]:
        last = other_person.submit(good)
        assert "Set-Cookie" not in last.headers and "Set-Cookie" not in other_person.page.headers
    assert last.headers["Location"].endswith("lang=es")
    thanks = other_person.page
    assert _lang(thanks) == "es" and "<h1>Gracias</h1>" in thanks.get_data(as_text=True)
    [row] = db.query("select language from responses_trilingual")
    assert row["language"] == "es"


def test_open_link_keeps_the_choice_on_its_link(app, client, db):
    change_schedule(db, "trilingual", {"open_link": 1})
    started = client.get("/s/trilingual/open?lang=fr")
    assert started.status_code == 302 and started.headers["Location"].endswith("?lang=fr")
    page = client.get(started.headers["Location"])
    assert _lang(page) == "fr"
    token = CSRF.search(page.get_data(as_text=True))
    assert token
    again = client.get("/s/trilingual/open", headers={"Accept-Language": "es"})
    assert _lang(client.get(again.headers["Location"])) == "fr"  # kept on the link


def test_evaluator_pages_stay_in_english(client):
    page = client.get("/evaluate/sign-in?lang=fr", headers={"Accept-Language": "fr"})
    assert _lang(page) == "en"
    assert "Evaluator sign-in" in page.get_data(as_text=True)
    assert 'class="languages"' not in page.get_data(as_text=True)
