"""Measure the weight of every respondent page of both questionnaires (HTML, CSS, gzip)."""

from __future__ import annotations

import gzip
import re
import tempfile
from pathlib import Path

from surveyapp.questionnaire.answers import shown_questions
from surveyapp.store.connection import get_db
from surveyapp.store.invitations import create_invitations
from surveyapp.testing import Respondent, answers_for
from surveyapp.web import create_app


def page_weights(app, survey: str) -> list[tuple[str, int, int]]:
    """Walk a questionnaire and return (page title, raw bytes, gzip bytes) of each page."""
    questionnaire = app.extensions["questionnaires"][survey]
    with app.app_context():
        token = create_invitations(get_db(), survey, 1)[0]
    person = Respondent(app.test_client(), f"/s/{survey}/{token}")
    person.open()
    weights, answered = [], {}
    while True:
        html = person.page.get_data()
        text = html.decode()
        title = re.search(r"<h1>(.*?)</h1>", text).group(1)
        weights.append((title, len(html), len(gzip.compress(html, compresslevel=1))))
        if "Thank you" in text:
            return weights
        page = next(p for p in questionnaire.pages if p.title["en"] == title)
        answers = {}
        for question in shown_questions(page, answered, decided=False):
            answers.update(answers_for(question))
        answered.update({k: v for k, v in answers.items() if not isinstance(v, list)})
        person.submit(answers)


def main():
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE": f"{folder}/b.db"})
        css = (Path(app.static_folder) / "survey.css").read_bytes()
        css_gz = len(gzip.compress(css, compresslevel=1))
        print(f"stylesheet (fetched once, then cached): {len(css)} bytes, {css_gz} gzip")
        own = (Path(app.static_folder) / "workspace.css").read_bytes()
        print(
            f"workspace.css (evaluators' pages only, never a respondent's): {len(own)} bytes,"
            f" {len(gzip.compress(own, compresslevel=1))} gzip"
        )
        for script in sorted(Path(app.static_folder).glob("*.js")):
            body = script.read_bytes()
            size = len(gzip.compress(body, compresslevel=1))
            print(
                f"script {script.name} (only on pages that use it, cached): {len(body)} bytes,"
                f" {size} gzip"
            )
        largest = (0, "", "")
        for survey in ("staff", "constituents"):
            print(f"\n{survey}: page, HTML bytes, HTML gzip bytes")
            for title, raw, packed in page_weights(app, survey):
                print(f"  {title:<45} {raw:>7} {packed:>6}")
                largest = max(largest, (raw, packed, f"{survey}: {title}"))
        raw, packed, name = largest
        print(
            f"\nlargest page: {name}: {raw} bytes HTML + {len(css)} CSS = {raw + len(css)} bytes"
            f" ({packed + css_gz} bytes gzip); no images, no web fonts"
        )


if __name__ == "__main__":
    main()
