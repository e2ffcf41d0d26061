"""The workspace's words are marked for translation in a domain of their own (issue 11).

`make translations` extracts the evaluator templates and modules into `workspace.pot` and
the respondent's into `messages.pot`; the committed `workspace.pot` must be what extraction
gives (so a new word gets marked and extracted), no respondent catalogue may gain a
workspace word, and the workspace stays in English: each of its words reads as itself.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import flask_babel
import pytest
from babel.messages.pofile import read_po

from surveyapp.questionnaire.synthetic import synthetic_responses
from surveyapp.testing import seed_responses

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "surveyapp" / "web" / "translations"
WORKSPACE_FILES = re.compile(
    r"surveyapp/web/(auth|surveys|coding|crosstabs)\.py"
    r"|surveyapp/web/templates/(workspace\.html|(auth|surveys|coding|crosstabs)/)"
)
LEFT_OVER = re.compile(r"%\(\w+\)s|\b_\(|\bgettext\(")


def extract(config: str, folder: Path):
    """Return the catalogue `pybabel extract` makes with `config`, as `make translations`."""
    pot = folder / f"{Path(config).stem}.pot"
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run(  # noqa: S603 - our own tool, no shell
        [str(pybabel), "-q", "extract", "-F", config, "--add-location=file", "-o", str(pot), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        return read_po(handle)


def entries(found) -> dict:
    """Each message of a catalogue with the files it comes from."""
    return {m.id: sorted({path for path, _line in m.locations}) for m in found if m.id}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    return extract("babel-workspace.cfg", tmp_path_factory.mktemp("workspace"))


def test_the_committed_workspace_catalogue_is_what_extraction_gives(workspace):
    with (TRANSLATIONS / "workspace.pot").open("rb") as handle:
        committed = read_po(handle)
    extracted = entries(workspace)
    assert len(extracted) > 100
    assert entries(committed) == extracted, "run `make translations` and commit workspace.pot"
    assert {path for paths in extracted.values() for path in paths} >= {
        "surveyapp/web/auth.py",
        "surveyapp/web/coding/answers.py",
        "surveyapp/web/templates/workspace.html",
        "surveyapp/web/templates/crosstabs/tables.html",
    }


def test_the_respondent_catalogues_hold_no_workspace_word(tmp_path):
    respondent = entries(extract("babel.cfg", tmp_path))
    assert respondent
    from_workspace = [
        i for i, paths in respondent.items() if any(map(WORKSPACE_FILES.match, paths))
    ]
    assert not from_workspace
    for language in ("en", "fr", "es"):
        with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            catalogue = {m.id for m in read_po(handle) if m.id}
        assert catalogue <= set(respondent), language


def test_every_workspace_word_reads_as_itself_on_the_workspace(app, workspace):
    with app.test_request_context("/evaluate/"):
        for message in workspace:
            if isinstance(message.id, tuple):
                singular, plural = message.id
                assert flask_babel.ngettext(singular, plural, 1) == singular % {"num": 1}
                assert flask_babel.ngettext(singular, plural, 2) == plural % {"num": 2}
            elif message.id:
                assert flask_babel.gettext(message.id) == message.id


@pytest.mark.parametrize(
    "path",
    [
        "/evaluate/",
        "/evaluate/surveys/demo",
        "/evaluate/coding/",
        "/evaluate/crosstabs/?survey=demo",
    ],
)
def test_workspace_pages_show_their_words_filled_in(client, auth, db, app, path):
    demo = app.extensions["questionnaires"]["demo"]
    seed_responses(db, demo, synthetic_responses(demo, 12, seed=3))
    auth.sign_in()
    response = client.get(path, follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'class="sign-out"' in page and "Sign out" in page
    assert not LEFT_OVER.search(page)
