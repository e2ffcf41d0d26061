"""End to end in a real browser: Debian's Chromium, driven by Playwright, on a real server.

`surveyapp serve` runs in a subprocess over a temporary database. Two staff respondents
answer through their invitation links, one starting on a phone and finishing on a desktop
after leaving midway, one on a desktop; axe-core checks every page they see; an evaluator
signs in, clusters the open answers and opens a cross-tab chart, and axe-core checks the
sign-in page and every evaluator page; the constituents survey is answered with JavaScript
switched off. On a second server, a questionnaire with every scale (and each made longer)
is measured at 320, 390 and 768 pixels, and a questionnaire of conditions on the same page
checks static/conditions.js. On a third, a French and a Spanish respondent each answer both
questionnaires in their language. Screenshots of every page go to test-artifacts/e2e/.

Needs /usr/bin/chromium (apt-get install chromium) and, for the accessibility check,
axe-core from npm (`make e2e-deps`); without them the tests are skipped, saying why.
"""

from __future__ import annotations

import csv
import json
import re
import socket
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("Chromium not installed: apt-get install chromium", allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright not installed: pip install -e '.[test]'"
)

import sqlite_utils  # noqa: E402
import yaml  # noqa: E402

from surveyapp.questionnaire.loading import load_questionnaire  # noqa: E402
from surveyapp.questionnaire.model import translate  # noqa: E402
from surveyapp.store.connection import connect  # noqa: E402
from surveyapp.store.invitations import create_invitations  # noqa: E402
from surveyapp.store.responses import response_table  # noqa: E402
from surveyapp.testing import PASSWORD, ServeProcess  # noqa: E402

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
# Headless, as root, with no network but the loopback: nothing phones home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
# The two respondents' answers to the open question differ, so that they can be clustered.
CONSTRAINTS = [
    "Fiscal space was too small and ministries of finance were hard to convince.",
    "Staff turnover in country offices and short project cycles broke continuity.",
    "Employers' organisations were rarely consulted on the design of the schemes.",
]
SERIOUS = ("serious", "critical")
# What a respondent page says in each language: its progress, its buttons, its thank-you.
WORDS = {
    "en": (r"Page (\d+) of (\d+)", "Next", "Submit", "Thank you"),
    "fr": (r"Page (\d+) sur (\d+)", "Suivant", "Envoyer", "Merci"),
    "es": (r"Página (\d+) de (\d+)", "Siguiente", "Enviar", "Gracias"),
}


def _port_free(port: int) -> bool:
    """Whether nothing listens on the port any more (closed connections may linger)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class Server:
    url: str
    links: list[str]
    log: Path


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real `surveyapp serve` on a free port of 127.0.0.1, stopped when the module ends."""
    live = ServeProcess(
        tmp_path_factory.mktemp("e2e"), options=("--questionnaires", str(ROOT / "questionnaires"))
    )
    live.cli("init-db")
    try:
        live.start(timeout=30)
        links_csv = live.folder / "links.csv"
        live.cli("invite", "staff", "--count", "2", "-o", str(links_csv), "--base-url", live.base)
        live.cli("add-evaluator", "eva", "--password-stdin", stdin=PASSWORD + "\n")
        with links_csv.open(newline="") as handle:
            links = [row["link"] for row in csv.DictReader(handle)]
        assert len(links) == 2 and all(link.startswith(live.base + "/s/staff/") for link in links)
        yield Server(live.base, links, live.log)
    finally:
        live.stop()
        deadline = time.monotonic() + 10
        while not _port_free(live.port) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _port_free(live.port), f"port {live.port} still taken after the server stopped"


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        # Playwright's own browser download does not work here: always Debian's Chromium.
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def artifacts():
    """test-artifacts/e2e/, emptied of the screenshots of an earlier run."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in [*ARTIFACTS.glob("*.png"), *ARTIFACTS.glob("*.json")]:
        old.unlink()
    return ARTIFACTS


class Axe:
    """Runs axe-core on a page and keeps every violation, by page."""

    def __init__(self):
        self.pages: dict[str, list[dict]] = {}

    def check(self, page, where: str) -> None:
        # The pages' Content-Security-Policy (script-src 'self') forbids this injected
        # script: the contexts that run the check are made with bypass_csp=True for it.
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        self.pages[where] = [
            {
                "id": violation["id"],
                "impact": violation["impact"],
                "help": violation["help"],
                "targets": [node["target"] for node in violation["nodes"]],
            }
            for violation in result["violations"]
        ]

    def serious(self) -> list[str]:
        return [
            f"{where}: {v['id']} ({v['impact']}) {v['help']}: {v['targets']}"
            for where, violations in self.pages.items()
            for v in violations
            if v["impact"] in SERIOUS
        ]


@pytest.fixture(scope="module")
def axe(artifacts):
    """The axe-core checker, or None when axe-core is not installed (npm missing)."""
    checker = Axe() if AXE.exists() else None
    yield checker
    if checker is not None:
        (artifacts / "axe-violations.json").write_text(json.dumps(checker.pages, indent=1))


def _pick(seed: str, key: str, count: int) -> int:
    return zlib.crc32(f"{seed}:{key}".encode()) % count


def _progress(page, language: str = "en") -> tuple[int, int]:
    text = page.locator("#progress-text").inner_text().strip()
    match = re.fullmatch(WORDS[language][0], text)
    assert match, f"no progress text on {page.url}: {text!r}"
    return int(match.group(1)), int(match.group(2))


def _answer_page(page, seed: str, touch: bool, texts: dict[str, str]) -> dict[str, object]:
    """Answer every question on the page as a person does; return what was given."""

    def press(locator):
        locator.tap() if touch else locator.click()

    given: dict[str, object] = {}
    radios = page.locator("input[type=radio]")
    names = list(dict.fromkeys(radios.nth(i).get_attribute("name") for i in range(radios.count())))
    for name in names:
        options = page.locator(f'input[type=radio][name="{name}"]')
        choice = options.nth(_pick(seed, name, options.count()))
        value = choice.get_attribute("value")
        press(page.locator(f'label.option:has(input[name="{name}"][value="{value}"])'))
        assert choice.is_checked(), f"{name}={value} not checked after pressing its label"
        given[name] = value
    boxes = page.locator("input[type=checkbox]")
    for name in dict.fromkeys(boxes.nth(i).get_attribute("name") for i in range(boxes.count())):
        options = page.locator(f'input[type=checkbox][name="{name}"]')
        picks = sorted({_pick(seed, f"{name}{n}", options.count()) for n in range(2)})
        values = [options.nth(i).get_attribute("value") for i in picks]
        for i, value in zip(picks, values, strict=True):
            press(page.locator(f'label.option:has(input[name="{name}"][value="{value}"])'))
            assert options.nth(i).is_checked(), f"{name}={value} not ticked"
        given[name] = sorted(values)
    for box in page.locator("input[type=text], textarea").all():
        if not box.is_visible():  # a question whose condition fails, hidden by the script
            continue
        name = box.get_attribute("name")
        value = "3" if "number" in (box.get_attribute("class") or "") else f"{seed} {name}"
        value = texts.get(name, value)
        box.fill(value)
        given[name] = value
    for rank in page.locator("fieldset.rank").all():
        selects = rank.locator("select").all()
        shift = _pick(seed, "rank", len(selects))
        for position, select in enumerate(selects):
            value = str((position + shift) % len(selects) + 1)
            select.select_option(value)
            given[select.get_attribute("name")] = value
    for select in page.locator("select").all():
        name = select.get_attribute("name")
        if name not in given:
            values = [o.get_attribute("value") for o in select.locator("option").all()]
            given[name] = values[-1]
            select.select_option(values[-1])
    return given


def _shown_answers(page, given: dict[str, object]) -> dict[str, object]:
    """What the page shows for the questions answered earlier."""
    shown: dict[str, object] = {}
    for name, value in given.items():
        if isinstance(value, list):
            boxes = page.locator(f'input[type=checkbox][name="{name}"]:checked').all()
            shown[name] = sorted(box.get_attribute("value") for box in boxes)
        elif page.locator(f'input[type=radio][name="{name}"]').count():
            checked = page.locator(f'input[type=radio][name="{name}"]:checked')
            shown[name] = checked.get_attribute("value") if checked.count() else None
        else:
            shown[name] = page.locator(f'[name="{name}"]').input_value()
    return shown


def _press_button(page, label: str, touch: bool = False, timeout: float = 30_000) -> None:
    button = page.get_by_role("button", name=label, exact=True)
    with page.expect_navigation(timeout=timeout):
        button.tap() if touch else button.click(timeout=timeout)


@dataclass
class Visit:
    """What one respondent saw and gave, page by page."""

    shots: list[str] = field(default_factory=list)
    given: dict[int, dict[str, object]] = field(default_factory=dict)
    titles: dict[int, str] = field(default_factory=dict)
    failed_requests: list[str] = field(default_factory=list)
    left_after: int = 0
    resumed_at: int = 0
    resumed_title: str = ""
    back_at: int = 0
    shown_after_back: dict[str, object] = field(default_factory=dict)
    reopened: str = ""


def _watch(page, visit: Visit) -> None:
    """Record every request of the page that fails (an error page, a missing stylesheet)."""

    def seen(response):
        if response.status >= 400:
            visit.failed_requests.append(f"{response.status} {response.url}")

    page.on("response", seen)


def _answer_pages(
    page,
    visit,
    who,
    device,
    axe,
    pages=None,
    texts=None,
    touch=False,
    language="en",
    check=None,
    answer=None,
):
    """Answer page after page (`pages` of them, or up to the Submit); return the last number.

    `check(page, where)` is called on each page before it is answered; `answer(page, seed,
    touch, texts)` answers it (by default as a person does, pressing each answer).
    """
    answer = answer or _answer_page
    _, next_button, submit_button, _ = WORDS[language]
    answered = 0
    while pages is None or answered < pages:
        number, total = _progress(page, language)
        visit.titles[number] = page.locator("h1").inner_text()
        if axe is not None:
            axe.check(page, f"{device} {who} page {number} ({visit.titles[number]})")
        if check is not None:
            check(page, f"{device} {who} page {number}")
        if page.locator("#q-priority_areas").count():
            assert page.locator("#q-priority_areas fieldset.grid-row").count() == 20
        visit.given[number] = answer(page, f"{who}-{number}", touch, texts or {})
        shot = ARTIFACTS / f"{device}-{who}-page{number:02d}.png"
        page.screenshot(path=shot, full_page=True)  # answered, before moving on
        visit.shots.append(shot.name)
        last = number == total
        _press_button(page, submit_button if last else next_button, touch)
        assert not page.locator(".alert").count(), page.locator(".alert").inner_text()
        answered += 1
        if last:
            break
    return number


def _thanks(page, visit, who, device, axe, language="en") -> None:
    assert page.locator("h1").inner_text() == WORDS[language][3]
    shot = ARTIFACTS / f"{device}-{who}-thanks.png"
    page.screenshot(path=shot, full_page=True)
    visit.shots.append(shot.name)
    if axe is not None:
        axe.check(page, f"{device} {who} thank-you page")


def _context(browser, device: dict, axe, **options):
    return browser.new_context(**device, bypass_csp=axe is not None, **options)


@pytest.fixture(scope="module")
def phone_then_desktop(server, browser, artifacts, axe):
    """Respondent 1: four pages on a phone, leaves, resumes on a desktop and finishes."""
    visit = Visit()
    texts = {"constraints": CONSTRAINTS[0]}
    phone = _context(browser, PHONE, axe)
    page = phone.new_page()
    _watch(page, visit)
    page.goto(server.links[0])
    left_after = _answer_pages(page, visit, "r1", "phone", axe, pages=4, texts=texts, touch=True)
    phone.close()

    desktop = _context(browser, DESKTOP, axe)
    page = desktop.new_page()
    _watch(page, visit)
    page.goto(server.links[0])
    visit.resumed_at = _progress(page)[0]
    visit.resumed_title = page.locator("h1").inner_text()
    _press_button(page, "Previous")
    visit.back_at = _progress(page)[0]
    page.screenshot(
        path=ARTIFACTS / f"desktop-r1-page{visit.back_at:02d}-back.png", full_page=True
    )
    if axe is not None:
        axe.check(page, f"desktop r1 page {visit.back_at} (back)")
    visit.shown_after_back = _shown_answers(page, visit.given[visit.back_at])
    _press_button(page, "Next")
    assert _progress(page)[0] == visit.resumed_at
    _answer_pages(page, visit, "r1", "desktop", axe, texts=texts)
    _thanks(page, visit, "r1", "desktop", axe)
    visit.left_after = left_after
    page.goto(server.links[0])
    visit.reopened = page.locator("h1").inner_text()
    if axe is not None:
        axe.check(page, "desktop r1 link used again")
    desktop.close()
    return visit


@pytest.fixture(scope="module")
def desktop_only(server, browser, artifacts, axe):
    """Respondent 2: the whole questionnaire on a desktop."""
    visit = Visit()
    context = _context(browser, DESKTOP, axe)
    page = context.new_page()
    _watch(page, visit)
    page.goto(server.links[1])
    _answer_pages(page, visit, "r2", "desktop", axe, texts={"constraints": CONSTRAINTS[1]})
    _thanks(page, visit, "r2", "desktop", axe)
    context.close()
    return visit


@pytest.fixture(scope="module")
def phone_open_link(server, browser, artifacts, axe):
    """A constituent answers the whole survey on a phone through the open link."""
    visit = Visit()
    context = _context(browser, PHONE, axe)
    page = context.new_page()
    _watch(page, visit)
    page.goto(server.url + "/s/constituents/open")
    texts = {"constraints": CONSTRAINTS[2]}
    _answer_pages(page, visit, "c1", "phone", axe, texts=texts, touch=True)
    _thanks(page, visit, "c1", "phone", axe)
    context.close()
    return visit


def test_phone_respondent_leaves_and_resumes_on_desktop(phone_then_desktop):
    visit = phone_then_desktop
    assert visit.left_after == 4
    assert visit.resumed_at == 5, "the link should resume on the page after the last answered"
    assert visit.resumed_title == visit.titles[5]
    assert visit.back_at == 4
    assert visit.shown_after_back == visit.given[4], "answers given on the phone are lost"
    assert "phone-r1-page01.png" in visit.shots and "desktop-r1-page10.png" in visit.shots
    assert visit.reopened == "Your answers were already received"
    assert not visit.failed_requests


def test_desktop_respondent_answers_every_page(desktop_only):
    assert sorted(desktop_only.titles) == list(range(1, 11))
    assert "desktop-r2-thanks.png" in desktop_only.shots
    assert not desktop_only.failed_requests


def test_constituent_answers_everything_on_a_phone(phone_open_link):
    visit = phone_open_link
    assert sorted(visit.titles) == list(range(1, max(visit.titles) + 1))
    assert any("Priorities" in title for title in visit.titles.values())
    assert "phone-c1-thanks.png" in visit.shots
    assert not visit.failed_requests


def test_respondent_pages_have_no_serious_accessibility_violation(
    axe, phone_then_desktop, desktop_only, phone_open_link
):
    if axe is None:
        pytest.skip(
            "axe-core not installed (needs npm): run `make e2e-deps`; accessibility not checked"
        )
    # Every page answered, each thank-you page, and for r1 page 4 seen again on the desktop
    # and the page saying that the link was used already.
    visits = (phone_then_desktop, desktop_only, phone_open_link)
    seen = sum(len(visit.given) + 1 for visit in visits) + 2
    assert len(axe.pages) == seen, sorted(axe.pages)
    problems = axe.serious()
    assert not problems, "axe-core found serious violations:\n" + "\n".join(problems)


def _csp_errors(page, errors: list[str]) -> None:
    """Record what the Content-Security-Policy blocks on the page (reported on the console)."""

    def seen(message):
        if message.type == "error" and "Content Security Policy" in message.text:
            errors.append(message.text)

    page.on("console", seen)


def test_evaluator_signs_in_clusters_and_sees_a_chart(
    server, browser, artifacts, phone_then_desktop, desktop_only, phone_open_link
):
    context = browser.new_context(**DESKTOP)  # the real CSP applies here
    page = context.new_page()
    errors: list[str] = []
    _csp_errors(page, errors)
    page.goto(server.url + "/evaluate/sign-in")
    page.get_by_label("Name").fill("eva")
    page.get_by_label("Password").fill(PASSWORD)
    _press_button(page, "Sign in")
    assert page.url == server.url + "/evaluate/"
    staff = page.locator("table.numbers tbody tr", has_text="Survey of ILO staff")
    cells = staff.locator("td").all_inner_texts()
    assert cells[:3] == ["2", "2", "2"], cells  # invited, started, completed
    page.screenshot(path=artifacts / "desktop-evaluator-1-surveys.png", full_page=True)

    page.goto(server.url + "/evaluate/coding/constraints")
    page.screenshot(path=artifacts / "desktop-evaluator-2-coding.png", full_page=True)
    page.locator("#k").fill("2")
    # Clustering runs in the background: the click lands at once on the job's page, which
    # follows it (static/job.js) and goes on to the clusters by itself. The first clustering
    # loads the sentence-embedding model into the server: on a busy machine that alone can
    # take minutes.
    _press_button(page, "Cluster the answers")
    if "/jobs/" in page.url:  # not yet done (a clustering that is quick goes straight on)
        assert re.search(r"/evaluate/coding/constraints/jobs/\d+$", page.url), page.url
        assert page.locator("progress#job-bar").count() == 1
        page.screenshot(path=artifacts / "desktop-evaluator-3-job.png", full_page=True)
    clusters = re.compile(r".*/evaluate/coding/constraints/clusterings/\d+$")
    try:
        page.wait_for_url(clusters, timeout=180_000)
    except sync_api.TimeoutError:
        raise AssertionError(page.locator("main").inner_text()) from None
    page.screenshot(path=artifacts / "desktop-evaluator-3-clustering.png", full_page=True)
    assert page.locator("section.cluster").count() == 2
    body = page.locator("main").inner_text()
    assert all(text in body for text in CONSTRAINTS)

    page.goto(server.url + "/evaluate/crosstabs/?survey=staff&by=survey&min_cell=1")
    chart = page.locator("section.crosstab figure img").first
    chart.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=chart.element_handle(), timeout=15000
    )
    page.screenshot(path=artifacts / "desktop-evaluator-4-crosstabs.png", full_page=True)
    assert errors == []
    context.close()


EVALUATOR_PAGES = (
    "/evaluate/",
    "/evaluate/surveys/staff",
    "/evaluate/coding/",
    "/evaluate/coding/constraints",
    "/evaluate/coding/constraints/answers",
    "/evaluate/coding/constraints/answers?state=unreviewed&q=a",
    "/evaluate/coding/constraints/walk?state=unreviewed",
    "/evaluate/coding/constraints/history",
    "/evaluate/coding/constraints/suggestions",
    "/evaluate/coding/constraints/agreement",
    "/evaluate/coding/constraints/frequency",
    "/evaluate/crosstabs/?survey=staff&by=survey&min_cell=1",
)


def test_evaluator_pages_have_no_serious_accessibility_violation(server, browser, artifacts):
    """axe-core on the sign-in page and every evaluator page, a clustering included."""
    if not AXE.exists():
        pytest.skip(
            "axe-core not installed (needs npm): run `make e2e-deps`; accessibility not checked"
        )
    checker = Axe()
    context = browser.new_context(**DESKTOP, bypass_csp=True)
    page = context.new_page()
    page.goto(server.url + "/evaluate/sign-in")
    checker.check(page, "sign-in")
    page.get_by_label("Name").fill("eva")
    page.get_by_label("Password").fill(PASSWORD)
    _press_button(page, "Sign in")
    for path in EVALUATOR_PAGES:
        response = page.goto(server.url + path)
        assert response.status == 200, path
        checker.check(page, path)
    page.goto(server.url + "/evaluate/coding/constraints")
    clustering = page.locator("a[href*='/clusterings/']").first
    if clustering.count():  # made by the evaluator test before this one
        clustering.click()
        checker.check(page, "clustering")
    (artifacts / "axe-evaluator-violations.json").write_text(json.dumps(checker.pages, indent=1))
    context.close()
    problems = checker.serious()
    assert not problems, "axe-core found serious violations:\n" + "\n".join(problems)


def test_constituents_answer_without_javascript(server, browser, artifacts):
    context = browser.new_context(**DESKTOP, java_script_enabled=False)
    page = context.new_page()
    errors: list[str] = []
    _csp_errors(page, errors)
    page.goto(server.url + "/s/constituents/open")
    assert re.search(r"/s/constituents/[^/]+$", page.url)
    for number in (1, 2):
        assert _progress(page)[0] == number
        page.screenshot(path=artifacts / f"desktop-nojs-page{number:02d}.png", full_page=True)
        if number == 1:  # shown without the script, with its condition in words
            assert page.locator("#if-organisation_other .condition").inner_text() == (
                "Only if you chose “Other”:"
            )
        given = _answer_page(page, f"nojs-{number}", False, {})
        _press_button(page, "Next")
        assert not page.locator(".alert").count(), page.locator(".alert").inner_text()
        if number == 1 and given["organisation"] != "other":  # typed in, yet not applying
            assert "“If your organization is of another type, what is it?” was not kept" in (
                page.locator(".notice").inner_text()
            )
    assert _progress(page)[0] == 3
    page.screenshot(path=artifacts / "desktop-nojs-page03.png", full_page=True)
    assert errors == []
    context.close()


# Scales as the languages to come will write them ("Plutôt pas d'accord" is longer than
# "Somewhat disagree"), and scales of other lengths, beside those of the questionnaires.
OTHER_SCALES = {
    "french_agreement": [
        "Tout à fait d'accord",
        "Plutôt d'accord",
        "Plutôt pas d'accord",
        "Pas du tout d'accord",
        "Ne sait pas",
    ],
    "spanish_agreement": [
        "Totalmente de acuerdo",
        "Parcialmente de acuerdo",
        "Parcialmente en desacuerdo",
        "Totalmente en desacuerdo",
        "No sabe",
    ],
    "french_priority": [
        "Priorité absolue",
        "Priorité élevée",
        "Priorité moyenne",
        "Priorité faible",
        "Pas une priorité",
    ],
    "two": ["Yes", "No"],
    "three": ["Yes", "No", "Not sure"],
    "four": ["Very useful", "Somewhat useful", "Not very useful", "Not useful at all"],
    "seven": [
        "Strongly disagree",
        "Disagree",
        "Somewhat disagree",
        "Neither agree nor disagree",
        "Somewhat agree",
        "Agree",
        "Strongly agree",
    ],
}
WIDTHS = (320, 390, 768)
CONDITIONS = {
    "id": "conditions",
    "title": "Conditions on the same page",
    "open_link": True,
    "pages": [
        {
            "name": "first",
            "title": "First page",
            "questions": [
                {
                    "name": "role",
                    "type": "select_one",
                    "label": "What is your role?",
                    "choices": [
                        {"name": "staff", "label": "Staff"},
                        {"name": "other", "label": "Other"},
                    ],
                },
                {
                    "name": "role_other",
                    "type": "text",
                    "label": "If your role is Other, which?",
                    "relevant": {"question": "role", "equals": "other"},
                },
                {
                    "name": "topics",
                    "type": "select_multiple",
                    "label": "Which topics?",
                    "choices": [
                        {"name": "health", "label": "Health"},
                        {"name": "media", "label": "Media"},
                    ],
                },
                {
                    "name": "media_which",
                    "type": "text",
                    "label": "Which media?",
                    "relevant": {"question": "topics", "contains": "media"},
                },
                {
                    "name": "both",
                    "type": "text",
                    "label": "Which other role in the media?",
                    "relevant": {
                        "all": [
                            {"question": "role", "equals": "other"},
                            {"question": "topics", "contains": "media"},
                        ]
                    },
                },
                {
                    "name": "office",
                    "type": "select_one",
                    "appearance": "dropdown",
                    "label": "Where do you work?",
                    "choices": [
                        {"name": "hq", "label": "Headquarters"},
                        {"name": "country", "label": "Country office"},
                        {"name": "regional", "label": "Regional office"},
                    ],
                },
                {
                    "name": "office_detail",
                    "type": "text",
                    "label": "Which office?",
                    "relevant": {"question": "office", "in": ["country", "regional"]},
                },
                {
                    "name": "years",
                    "type": "integer",
                    "label": "Years in the ILO",
                    "min": 0,
                    "max": 50,
                },
                {
                    "name": "senior",
                    "type": "text",
                    "label": "Your senior role?",
                    "relevant": {"question": "years", "min": 5},
                },
                {
                    "name": "newcomer",
                    "type": "text",
                    "label": "How did you join?",
                    "relevant": {"question": "years", "min": 0, "max": 1},
                },
                {"name": "joined", "type": "date", "label": "When did you join?"},
                {
                    "name": "recent",
                    "type": "text",
                    "label": "Your first impressions?",
                    "relevant": {"question": "joined", "above": "2026-01-31"},
                },
            ],
        },
        {
            "name": "second",
            "title": "Second page",
            "questions": [{"name": "remarks", "type": "text", "label": "Remarks"}],
        },
    ],
}


def _longer(label: str) -> str:
    """A label half as long again, each word too ("Somewhat" -> "SomewhatSome")."""
    return " ".join(word + word[: len(word) // 2] for word in label.split())


def _scales_questionnaire() -> tuple[dict, list[str]]:
    """A one-page questionnaire with a grid of two statements for every scale of the
    questionnaires, each scale made 50% longer, and OTHER_SCALES; and the names of the
    grids whose scale is the questionnaires' own."""
    scales: dict[str, list[str]] = {}
    for path in sorted((ROOT / "questionnaires").glob("*.yaml")):
        for question in load_questionnaire(path).questions:
            if question.kind.scale_grid:
                labels = [translate(choice.label, "en") for choice in question.choices]
                if labels not in scales.values():
                    scales[f"{path.stem}_{question.name}"] = labels
    own = list(scales)
    for name in own:
        scales[f"{name}_longer"] = [_longer(label) for label in scales[name]]
    scales.update(OTHER_SCALES)
    questions = [
        {
            "name": name,
            "type": "grid",
            "label": f"Scale {name.replace('_', ' ')}",
            "choices": [{"name": f"c{n}", "label": label} for n, label in enumerate(labels)],
            "items": [
                {"name": "one", "label": "A first statement to rate on this scale"},
                {"name": "two", "label": "A second one"},
            ],
        }
        for name, labels in scales.items()
    ]
    definition = {
        "id": "scales",
        "title": "Every scale",
        "open_link": True,
        "pages": [{"name": "scales", "title": "Every scale", "questions": questions}],
    }
    return definition, own


@pytest.fixture(scope="module")
def test_questionnaires_server(tmp_path_factory):
    """A real server over the scales and conditions questionnaires, both by open link."""
    folder = tmp_path_factory.mktemp("e2e-questionnaires")
    questionnaires = folder / "questionnaires"
    questionnaires.mkdir()
    scales, own = _scales_questionnaire()
    for definition in (scales, CONDITIONS):
        text = yaml.safe_dump(definition, allow_unicode=True, sort_keys=False)
        (questionnaires / f"{definition['id']}.yaml").write_text(text, encoding="utf-8")
    live = ServeProcess(folder, options=("--questionnaires", str(questionnaires)))
    live.cli("init-db")
    try:
        live.start(timeout=30)
        yield live.base, own
    finally:
        live.stop()


# Every grid row's buttons on the page, measured: the text of each label within its
# button (a Range: text that overflows its box is outside it), the radio within it, each
# button within the row, no button overlapping the one before, each after the one before
# (on its line, or on a line below); on wide screens the scale's headings, each within
# the column of its radio buttons and clear of the heading before.
MEASURE_SCALES = """() => {
  const problems = [], lines = {};
  const flag = (bad, message) => { if (bad) problems.push(message); };
  const box = element => element.getBoundingClientRect();
  const text = element => {
    const range = document.createRange();
    range.selectNodeContents(element);
    return range.getBoundingClientRect();
  };
  const within = (inner, outer) => inner.left >= outer.left - 0.5
    && inner.right <= outer.right + 0.5 && inner.top >= outer.top - 0.5
    && inner.bottom <= outer.bottom + 0.5;
  const overlap = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5
    && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5;
  for (const row of document.querySelectorAll("fieldset.grid-row")) {
    const where = row.id;
    const area = box(row.querySelector(".options"));
    const buttons = [...row.querySelectorAll("label.option")];
    lines[where] = new Set(buttons.map(button => Math.round(box(button).top))).size;
    buttons.forEach((button, i) => {
      const b = box(button), label = button.querySelector("span");
      const name = `${where} "${label.textContent}"`;
      flag(box(label).width > 1 && !within(text(label), b), `${name}: label overflows its button`);
      flag(!within(box(button.querySelector("input")), b), `${name}: radio outside its button`);
      flag(!within(b, area), `${name}: button outside its row`);
      if (i === 0) return;
      const before = box(buttons[i - 1]);
      flag(overlap(before, b), `${name}: overlaps the button before`);
      const sameLine = Math.abs(b.top - before.top) < 1;
      const after = sameLine ? b.left >= before.right - 0.5 : b.top >= before.bottom - 0.5;
      flag(!after, `${name}: not after the button before`);
    });
  }
  for (const grid of document.querySelectorAll("fieldset.grid")) {
    const head = grid.querySelector(".grid-head");
    if (!box(head).height) continue;  // no headings on phones: each button has its label
    const cells = [...head.children].slice(1);
    const buttons = [...grid.querySelector("fieldset.grid-row").querySelectorAll("label.option")];
    cells.forEach((cell, i) => {
      const t = text(cell), column = box(buttons[i]);
      const name = `${grid.id} heading "${cell.textContent}"`;
      const inColumn = t.left >= column.left - 0.5 && t.right <= column.right + 0.5;
      flag(!inColumn, `${name}: outside its column`);
      flag(i > 0 && overlap(text(cells[i - 1]), t), `${name}: overlaps the heading before`);
    });
  }
  return {problems, lines};
}"""


def _device(width: int) -> dict:
    phone = width < 768
    return {"viewport": {"width": width, "height": 900}, "is_mobile": phone, "has_touch": phone}


@pytest.mark.parametrize("width", WIDTHS)
def test_scale_labels_stay_inside_their_buttons(
    test_questionnaires_server, browser, artifacts, width
):
    """Every scale at 320, 390 and 768 pixels: labels wrap inside their buttons, in order."""
    base, own = test_questionnaires_server
    context = browser.new_context(**_device(width))
    page = context.new_page()
    page.goto(base + "/s/scales/open")
    page.screenshot(path=artifacts / f"scales-{width}.png", full_page=True)
    measured = page.evaluate(MEASURE_SCALES)
    context.close()
    rows = measured["lines"]
    assert len(rows) == 2 * (2 * len(own) + len(OTHER_SCALES)), sorted(rows)
    assert not measured["problems"], "\n".join(measured["problems"])
    # the questionnaires' own scales are one line of buttons on a phone
    on_two_lines = [
        row for row, lines in rows.items() if row.split("-")[1].split(".")[0] in own and lines > 1
    ]
    assert not on_two_lines


def _visible(page, name: str) -> bool:
    return page.locator(f"#if-{name}").is_visible()


def test_script_shows_a_question_only_while_its_condition_holds(
    test_questionnaires_server, browser, artifacts
):
    """static/conditions.js mirrors equals, in, contains, bounds and all on the same page."""
    base, _ = test_questionnaires_server
    context = browser.new_context(**PHONE)  # the real CSP applies: the script is 'self'
    page = context.new_page()
    errors: list[str] = []
    _csp_errors(page, errors)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(base + "/s/conditions/open")
    names = ("role_other", "media_which", "both", "office_detail")
    seen = lambda: {name: _visible(page, name) for name in names}  # noqa: E731
    hidden = dict.fromkeys(names, False)
    assert seen() == hidden
    assert not _visible(page, "senior") and not _visible(page, "newcomer")  # no years yet
    assert page.locator("#if-senior .condition").inner_text() == (
        "Only if your answer to “Years in the ILO” is at least 5:"
    )
    years = page.locator("#years")
    for typed, senior, newcomer in (("4", False, False), ("5", True, False), ("1", False, True),
                                    ("0", False, True), ("", False, False)):  # fmt: skip
        years.fill(typed)
        assert (_visible(page, "senior"), _visible(page, "newcomer")) == (senior, newcomer), typed
    years.fill("7")
    joined = page.locator("#joined")  # a date picker: its value is YYYY-MM-DD or nothing
    for typed, recent in (("2026-01-31", False), ("2026-02-01", True), ("", False)):
        joined.fill(typed)
        assert _visible(page, "recent") is recent, typed
    page.get_by_label("Other", exact=True).check()
    assert seen() == {**hidden, "role_other": True}
    page.get_by_label("Media", exact=True).check()
    assert seen() == {**hidden, "role_other": True, "media_which": True, "both": True}
    page.get_by_label("Staff", exact=True).check()
    assert seen() == {**hidden, "media_which": True}
    page.get_by_label("Where do you work?").select_option("country")
    assert _visible(page, "office_detail")
    page.get_by_label("Where do you work?").select_option("hq")
    assert not _visible(page, "office_detail")
    # typed in, then the answer changed: hidden, and the next page says it was not kept
    page.get_by_label("Other", exact=True).check()
    page.get_by_label("If your role is Other, which?").fill("Consultant")
    page.get_by_label("Staff", exact=True).check()
    assert not _visible(page, "role_other")
    page.screenshot(path=artifacts / "phone-conditions-page01.png", full_page=True)
    _press_button(page, "Next", touch=True)
    assert page.locator("h1").inner_text() == "Second page"
    notice = page.locator(".notice").inner_text()
    assert "Your answer to “If your role is Other, which?” was not kept" in notice
    page.screenshot(path=artifacts / "phone-conditions-page02-not-kept.png", full_page=True)
    page.get_by_role("link", name="Change your answers on that page").click()
    assert page.locator("h1").inner_text() == "First page"
    assert not _visible(page, "role_other")  # the saved answer is Staff
    assert errors == []
    context.close()


# French and Spanish respondents (issue 11): both questionnaires in each language, the
# language given with the invitation or chosen with the switch, on a 360-pixel phone or a
# desktop; each page checked for its language, for text wider than the screen, and by axe.
PHONE_360 = {"viewport": {"width": 360, "height": 780}, "is_mobile": True, "has_touch": True}
LANGUAGE_NAMES = {"fr": "Français", "es": "Español"}
LANGUAGE_ANSWERS = {
    "fr": "Les ministères des finances ont réduit la marge budgétaire de la protection sociale.",
    "es": "Los ministerios de hacienda recortaron el margen fiscal de la protección social.",
}
# (survey, language, how the language is chosen, device)
LANGUAGE_RESPONDENTS = [
    ("staff", "fr", "invitation", "phone360"),
    ("staff", "es", "switch", "desktop"),
    ("constituents", "fr", "switch", "desktop"),
    ("constituents", "es", "invitation", "phone360"),
]
DEVICES = {"phone360": PHONE_360, "desktop": DESKTOP}
# The grid rows whose scale of buttons takes more than one line.
SCALES_ON_TWO_LINES = """() => [...document.querySelectorAll("fieldset.grid-row")].filter(row =>
  new Set([...row.querySelectorAll("label.option")].map(
    button => Math.round(button.getBoundingClientRect().top))).size > 1).map(row => row.id)"""


@pytest.fixture(scope="module")
def languages_server(tmp_path_factory):
    """A server of its own over the shipped questionnaires, for the French and Spanish walks."""
    for survey in ("staff", "constituents"):
        languages = load_questionnaire(ROOT / "questionnaires" / f"{survey}.yaml").languages
        if not {"fr", "es"} <= set(languages):
            pytest.skip(f"questionnaires/{survey}.yaml is not in French and Spanish yet")
    live = ServeProcess(
        tmp_path_factory.mktemp("e2e-languages"),
        options=("--questionnaires", str(ROOT / "questionnaires")),
    )
    live.cli("init-db")
    try:
        live.start(timeout=30)
        yield live
    finally:
        live.stop()


def _invitation_link(live: ServeProcess, survey: str, language: str | None) -> str:
    """Make one invitation link, in `language` when given (as `invite --lang` does)."""
    store = connect(str(live.db))
    try:
        token = create_invitations(store, survey, 1, language=language)[0]
    finally:
        store.close()
    return f"{live.base}/s/{survey}/{token}"


# Answers a whole page in one go (the English walks press every answer; these walks are
# about the language): one choice per radio group, varying with the row; the first two
# boxes of each group, every visible text box, ranks in order, each drop-down's last option;
# each change announced as a click would, for static/conditions.js.
FILL_PAGE = """(texts) => {
  const given = {};
  const changed = input => input.dispatchEvent(new Event("change", {bubbles: true}));
  const groups = {};
  for (const input of document.querySelectorAll("input[type=radio]")) {
    (groups[input.name] = groups[input.name] || []).push(input);
  }
  Object.values(groups).forEach((options, row) => {
    const input = options[row % options.length];
    input.checked = true; changed(input); given[input.name] = input.value;
  });
  for (const input of document.querySelectorAll("input[type=checkbox]")) {
    given[input.name] = given[input.name] || [];
    if (given[input.name].length < 2) {
      input.checked = true; changed(input); given[input.name].push(input.value);
    }
  }
  for (const rank of document.querySelectorAll("fieldset.rank")) {
    rank.querySelectorAll("select").forEach((select, i) => {
      select.value = String(i + 1); changed(select); given[select.name] = select.value;
    });
  }
  for (const select of document.querySelectorAll("select")) {
    if (!(select.name in given)) {
      select.value = select.options[select.options.length - 1].value; changed(select);
      given[select.name] = select.value;
    }
  }
  for (const box of document.querySelectorAll("input[type=text], textarea")) {
    if (!box.offsetParent) continue;  // a question whose condition fails, hidden
    const number = box.classList.contains("number");
    box.value = texts[box.name] || (number ? "3" : "Texte libre / texto libre");
    given[box.name] = box.value;
  }
  return given;
}"""


def _fill_page(page, seed: str, touch: bool, texts: dict[str, str]) -> dict[str, object]:
    """Answer every question on the page at once (see FILL_PAGE); return what was given."""
    return page.evaluate(FILL_PAGE, texts)


@dataclass
class LanguageWalk:
    """What a French or Spanish respondent saw: the visit, and what was wrong on its pages."""

    visit: Visit
    problems: list[str]


@pytest.fixture(scope="module")
def language_walks(languages_server, browser, artifacts):
    """Each respondent of LANGUAGE_RESPONDENTS answers a whole questionnaire."""
    axe = Axe() if AXE.exists() else None
    walks = {}
    for survey, language, chosen, device in LANGUAGE_RESPONDENTS:
        who = f"{survey}-{language}"
        visit, problems = Visit(), []
        context = _context(browser, DEVICES[device], axe)
        page = context.new_page()
        _watch(page, visit)
        invited = language if chosen == "invitation" else None
        page.goto(_invitation_link(languages_server, survey, invited))
        if chosen == "switch":
            assert page.locator("html").get_attribute("lang") == "en"
            switch = page.get_by_role("navigation", name="Language")
            with page.expect_navigation():
                switch.get_by_role("link", name=LANGUAGE_NAMES[language]).click()
        if axe is not None and device == "desktop":
            axe.check(page, f"{device} {who} page 1")

        def check(page, where, language=language, problems=problems):
            if page.locator("html").get_attribute("lang") != language:
                problems.append(f"{where}: not in {language}")
            current = page.locator('nav.languages a[aria-current="true"]')
            if current.get_attribute("hreflang") != language:
                problems.append(f"{where}: the switch does not mark {language}")
            wider = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
            if wider > 0:
                problems.append(f"{where}: {wider} px wider than the screen")
            wrapped = page.evaluate(SCALES_ON_TWO_LINES)
            if wrapped:
                problems.append(f"{where}: scales on more than one line: {wrapped}")

        texts = {"constraints": LANGUAGE_ANSWERS[language]}
        touch = device != "desktop"
        _answer_pages(
            page,
            visit,
            who,
            device,
            axe if device == "phone360" else None,  # the desktop walks: first and last page
            texts=texts,
            touch=touch,
            language=language,
            check=check,
            answer=_fill_page,
        )
        _thanks(page, visit, who, device, axe, language)
        context.close()
        walks[who] = LanguageWalk(visit, problems)
    if axe is not None:
        violations = json.dumps(axe.pages, indent=1)
        (artifacts / "axe-violations-languages.json").write_text(violations)
    return walks, axe


def test_french_and_spanish_respondents_answer_both_questionnaires(
    language_walks, languages_server
):
    walks, _ = language_walks
    for survey, language, _, device in LANGUAGE_RESPONDENTS:
        walk = walks[f"{survey}-{language}"]
        assert sorted(walk.visit.titles) == list(range(1, max(walk.visit.titles) + 1))
        assert f"{device}-{survey}-{language}-thanks.png" in walk.visit.shots
        assert not walk.visit.failed_requests
        assert not walk.problems, walk.problems
    store = sqlite_utils.Database(languages_server.db)
    for survey in ("staff", "constituents"):
        rows = list(store.query(f"select language, constraints from {response_table(survey)}"))
        assert {row["language"]: row["constraints"] for row in rows} == LANGUAGE_ANSWERS
    store.close()


def test_french_and_spanish_pages_have_no_accessibility_violation(language_walks):
    walks, axe = language_walks
    if axe is None:
        pytest.skip(
            "axe-core not installed (needs npm): run `make e2e-deps`; accessibility not checked"
        )
    # every page of the phone walks, the first and the thank-you page of the desktop walks
    checked = [
        len(walks[f"{survey}-{language}"].visit.given) + 1 if device == "phone360" else 2
        for survey, language, _, device in LANGUAGE_RESPONDENTS
    ]
    assert len(axe.pages) == sum(checked), sorted(axe.pages)
    found = [
        f"{where}: {v['id']} ({v['impact']}) {v['help']}: {v['targets']}"
        for where, violations in axe.pages.items()
        for v in violations
    ]
    assert not found, "axe-core found violations:\n" + "\n".join(found)
