"""The survey annex (`surveyapp report`): its structure, numbers, quotes and safety, opened
with python-docx; the same content as Markdown; the workspace's download."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile

import docx
import pandas as pd
import pytest
from click.testing import CliRunner

from surveyapp.cli import main
from surveyapp.questionnaire.synthetic import synthetic_responses
from surveyapp.store.codings import Codebook
from surveyapp.store.connection import connect
from surveyapp.store.invitations import create_invitations, find_invitation
from surveyapp.store.responses import submit_response
from surveyapp.store.surveys import change_schedule
from surveyapp.testing import seed_responses
from surveyapp.web import create_app

REGIONS = ["africa", "arab_states", "asia_pacific", "europe_central_asia",
           "latin_america_caribbean"]  # fmt: skip
INTERFACE = [
    "Thematic interface between country offices and SOCPRO should be better arranged",
    "The lack of clarity of the technical cooperation project teams on the relation"
    " between them and the Flagship Programme",
    "Still stronger HQ-Field / Field-HQ connect needed.",
    "There is lack of coordination in Flagship Programme and projects.",
    "There is need for continuous engagement between the Flagship Programme and Country Projects",
    "Country projects and the programme work side by side without a common plan",
    "Headquarters and the field do not share what they learn",
    "Coordination between flagship projects is weak",
    "Projects do not know what the programme offers them",
    "Unclear roles between the global programme and country projects",
]
# Answers that a careless writer would turn into a field, a formula or markup.
HOSTILE = [
    '=HYPERLINK("http://evil.example","click")',
    '{ DDE "cmd" "/c calc" }',
    '=cmd|" /C calc"!A0',
    '@SUM(1+1)*cmd|" /C calc"!A0',
    '{ INCLUDEPICTURE "http://evil.example/x.png" } <script>alert(1)</script>',
]
CAPACITIES = ["Lack of human resources", "More support from Geneva is needed",
              "Too few specialists"]  # fmt: skip
CONSTITUENT_ONLY = "Only our ministry said this about the interface"
GRID_PAGES = ["Relevance", "Coherence", "Effectiveness", "Response to COVID-19", "Impact",
              "Sustainability"]  # fmt: skip


def field_survey(db, questionnaire, invited: int, frame: pd.DataFrame, linked: int):
    """Invite `invited` people across the regions; `linked` of the rows answer through
    their link, the rest through the open link; return nothing."""
    tokens = []
    for number, region in enumerate(REGIONS):
        count = invited // len(REGIONS) + (number < invited % len(REGIONS))
        tokens += create_invitations(db, questionnaire.id, count, {"region": region})
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    for number, row in enumerate(rows):
        row.pop("response_id", None)
        if number < linked:
            token = tokens[number * 3 % len(tokens)]
        else:
            token = create_invitations(db, questionnaire.id, 1, channel="open")[0]
        assert submit_response(db, questionnaire, find_invitation(db, questionnaire.id, token),
                               row, "en")  # fmt: skip
    change_schedule(db, questionnaire.id, {"opens": "2020-10-05T00:00:00+00:00",
                                           "closes": "2020-10-26T00:00:00+00:00"})  # fmt: skip


@pytest.fixture(scope="module")
def fielded(tmp_path_factory):
    """Staff: 232 invited, 62 answered by link + 2 imported (64, 28%), 3 by the open link;
    constituents: 41 invited, 9 answered (22%). ana coded constraints: Interface (14
    respondents), Fiscal space (5, hostile texts), Internal capacities (3)."""
    folder = tmp_path_factory.mktemp("annex")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SURVEYAPP_INSTANCE", str(folder / "instance"))
        database = str(folder / "survey.db")
        app = create_app({"TESTING": True, "SECRET_KEY": "test-only", "DATABASE": database})
        questionnaires = app.extensions["questionnaires"]
        db = connect(database)
        staff = synthetic_responses(questionnaires["staff"], 67, seed=14)
        staff["constraints"] = INTERFACE + HOSTILE + CAPACITIES + [None] * 49
        field_survey(db, questionnaires["staff"], 232, staff.iloc[:65], linked=62)
        imported = synthetic_responses(questionnaires["staff"], 2, seed=15)
        imported["constraints"] = None
        imported["response_id"] = None
        seed_responses(db, questionnaires["staff"], imported, source="import")
        constituents = synthetic_responses(questionnaires["constituents"], 9, seed=16)
        constituents["constraints"] = INTERFACE[:3] + [CONSTITUENT_ONLY] + [None] * 5
        field_survey(db, questionnaires["constituents"], 41, constituents, linked=9)
        book = Codebook(db, "constraints")
        codes = {
            name: book.add_code(name, "ana", description=f"Answers on {name.lower()}.")
            for name in ("Interface", "Fiscal space", "Internal capacities")
        }
        for survey in ("staff", "constituents"):
            for row in db[f"responses_{survey}"].rows:
                text = row["constraints"]
                code = (
                    "Interface" if text in INTERFACE or text == CONSTITUENT_ONLY
                    else "Fiscal space" if text in HOSTILE
                    else "Internal capacities" if text in CAPACITIES else None
                )  # fmt: skip
                if code:
                    book.set_codes(survey, row["response_id"], [codes[code]], "ana")
        db.close()
        yield {"app": app, "folder": folder, "database": database, "patch": patch}


def report(fielded, *args, expect=0):
    """Run `surveyapp report` over the fielded database; return the click result."""
    result = CliRunner().invoke(main, ["--db", fielded["database"], "report", *map(str, args)])
    assert result.exit_code == expect, result.output
    assert "Traceback" not in result.output
    return result


@pytest.fixture(scope="module")
def annex(fielded):
    """The annex of both surveys, in English, opened with python-docx."""
    path = fielded["folder"] / "annex.docx"
    report(fielded, "staff,constituents", "-o", path)
    return {"path": path, "document": docx.Document(str(path))}


def body(document) -> list[tuple[str, object]]:
    """Return the document's blocks in order: (heading1-3 | caption | quote | text, text),
    ("figure", None) and ("table", table)."""
    blocks = []
    for item in document.iter_inner_content():
        if isinstance(item, docx.table.Table):
            blocks.append(("table", item))
            continue
        style = item.style.name
        if item._p.xpath(".//w:drawing"):
            blocks.append(("figure", None))
        elif style.startswith("Heading"):
            blocks.append((f"heading{style[-1]}", item.text))
        elif style in ("Caption", "Quote"):
            blocks.append((style.lower(), item.text))
        elif item.text.strip():
            blocks.append(("text", item.text))
    return blocks


def section(blocks, title: str, level: int = 1) -> list:
    """Return the blocks under a heading, up to the next heading of its level or above."""
    start = blocks.index((f"heading{level}", title)) + 1
    end = next(
        (i for i in range(start, len(blocks))
         if blocks[i][0].startswith("heading") and int(blocks[i][0][-1]) <= level),
        len(blocks),
    )  # fmt: skip
    return blocks[start:end]


def cells(table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def test_the_sections_come_in_the_issue_s_order(annex):
    blocks = body(annex["document"])
    level1 = [text for kind, text in blocks if kind == "heading1"]
    assert level1 == ["Method", *GRID_PAGES, "Priorities", "Open answers"]
    method = [text for kind, text in section(blocks, "Method") if kind == "heading2"]
    assert method == ["Survey of ILO staff", "Survey of constituents and partners", "Analysis"]


def test_every_grid_has_one_figure_one_table_and_its_tests(annex, fielded):
    blocks = body(annex["document"])
    questionnaire = fielded["app"].extensions["questionnaires"]["staff"]
    grids = 0
    for page in GRID_PAGES:
        for heading in [t for k, t in section(blocks, page) if k == "heading2"]:
            grid = section(blocks, heading, 2)
            kinds = [kind for kind, _ in grid]
            assert kinds.count("figure") == 1 and kinds.count("table") == 1, heading
            assert ("heading3", "Test of difference between the groups") in grid
            assert any(k == "text" and "p = " in t for k, t in grid), heading
            grids += 1
    agreement = [q for q in questionnaire.questions if q.kind.scale_grid
                 and any(c.missing for c in q.choices)]  # fmt: skip
    assert grids == len(agreement) == 12
    captions = [text for kind, text in blocks if kind == "caption"]
    figures = [c for c in captions if c.startswith("Figure ")]
    assert [int(re.match(r"Figure (\d+):", c).group(1)) for c in figures] == list(
        range(1, len(figures) + 1)
    )


def test_a_grid_table_gives_percentages_base_and_agree_share(annex):
    blocks = body(annex["document"])
    grid = section(blocks, "Gender and leaving no one behind (LNOB)", 2)
    table = cells(next(item for kind, item in grid if kind == "table"))
    assert table[0] == ["Group", "n", "Agree", "Somewhat agree", "Somewhat disagree",
                        "Disagree", "Do not know (count)", "Agree + Somewhat agree"]  # fmt: skip
    assert table[1][0].startswith("The design of the Flagship Programme")  # the statement
    assert len(set(table[1])) == 1  # one cell across the table
    groups = [row[0] for row in table[2:]]
    assert groups == ["All", "Survey of ILO staff", "Survey of constituents and partners"]
    for row in table[2:]:
        shares = [int(v.rstrip("%")) for v in row[2:6]]
        assert 98 <= sum(shares) <= 102
        assert row[7] == f"{int(row[7].rstrip('%'))}%"


def test_the_method_gives_the_response_rates_from_the_database(annex):
    blocks = body(annex["document"])
    staff = " ".join(t for k, t in section(blocks, "Survey of ILO staff", 2) if k == "text")
    assert "232 people were invited and 64 responded" in staff
    assert "a response rate of 64 of 232, 28%" in staff
    assert "open from 5 October 2020 to 26 October 2020" in staff
    assert "Africa, 16 of 47 (34%)" in staff  # every third link used: 16 of Africa's 47
    assert "2 of the responses were imported" in staff
    assert "3 responses came through the open link" in staff
    assert "The tables count its 67 completed responses" in staff
    others = " ".join(
        t for k, t in section(blocks, "Survey of constituents and partners", 2) if k == "text"
    )
    assert "a response rate of 9 of 41, 22%" in others
    analysis = " ".join(t for k, t in section(blocks, "Analysis", 2) if k == "text")
    assert "Answers “Do not know” are counted apart" in analysis
    assert "Groups with fewer than 5 answers are suppressed" in analysis
    assert "not weighted" in analysis and "Kruskal-Wallis" in analysis


def test_the_priorities_table_gives_each_survey_s_mean_rating_shaded(annex, fielded):
    blocks = body(annex["document"])
    priorities = section(blocks, "Priorities")
    assert [kind for kind, _ in priorities].count("figure") == 1
    table = next(item for kind, item in priorities if kind == "table")
    rows = cells(table)
    db = connect(fielded["database"])
    for column, title in ((1, "All"), (2, "Survey of ILO staff"),
                          (3, "Survey of constituents and partners")):  # fmt: skip
        assert rows[0][column].startswith(title)
        surveys = ["staff", "constituents"] if title == "All" else (
            ["staff"] if "staff" in title else ["constituents"])  # fmt: skip
        ratings = pd.concat(
            [pd.DataFrame(db[f"responses_{s}"].rows)["priority_areas.informal_economy"]
             for s in surveys]
        ).dropna().astype(int)  # fmt: skip
        row = next(r for r in rows if r[0] == "Informal Economy")
        assert row[column] == f"{ratings.mean():.2f}"
    means = [float(r[1]) for r in rows[1:]]
    assert means == sorted(means, reverse=True)  # by the overall index, as Table 6
    fills = table._tbl.xpath(".//w:shd/@w:fill")
    assert len(fills) == 3 * 20 and len(set(fills)) > 5


def test_quotes_only_for_codes_at_or_above_the_minimum_cell(annex):
    blocks = body(annex["document"])
    question = next(t for k, t in section(blocks, "Open answers") if k == "heading2")
    open_answers = section(blocks, question, 2)
    table = cells(next(item for kind, item in open_answers if kind == "table"))
    assert table[0][:3] == ["Code", "All: n", "All: %"]
    interface = next(r for r in table if r[0] == "Interface")
    assert interface[1:5] == ["14", "64%", "10", "56%"]  # 22 answered, 18 of them staff
    assert interface[5:] == ["suppressed", "suppressed"]  # 4 constituents answered
    assert [kind for kind, _ in open_answers].count("figure") == 1
    for code, quoted in (("Interface", True), ("Fiscal space", True),
                         ("Internal capacities", False)):  # fmt: skip
        part = section(blocks, code, 3)
        quotes = [text for kind, text in part if kind == "quote"]
        assert ("text", f"Answers on {code.lower()}.") in part
        if quoted:
            assert 1 <= len(quotes) <= 3
            assert set(quotes) <= set(INTERFACE + HOSTILE)  # the answer alone, as written
        else:
            assert quotes == []
            assert ("text", "Fewer than 5 respondents mention this code: their answers are"
                    " not quoted.") in part  # fmt: skip
    every_quote = [text for kind, text in blocks if kind == "quote"]
    assert CONSTITUENT_ONLY not in every_quote  # a suppressed group is never quoted


def test_no_answer_becomes_a_field_or_a_macro(annex):
    document = annex["document"]
    quoted = [p.text for p in document.paragraphs if p.style.name == "Quote"]
    hostile_quoted = [text for text in quoted if text in HOSTILE]
    assert len(hostile_quoted) == 3  # Fiscal space's three quotes
    with zipfile.ZipFile(annex["path"]) as package:
        names = package.namelist()
        xml = package.read("word/document.xml").decode()
    assert not [n for n in names if "vba" in n.lower() or n.endswith(".bin")]
    instructions = re.findall(r"<w:instrText[^>]*>([^<]*)</w:instrText>", xml)
    assert {i.split()[0] for i in instructions} == {"TOC", "SEQ"}
    assert all(re.fullmatch(r' (TOC \\o "1-2" \\h \\z \\u|SEQ (Figure|Table) \\\* ARABIC) ', i)
               for i in instructions)  # fmt: skip
    assert "fldSimple" not in xml and "DDE" not in "".join(instructions)
    for text in hostile_quoted:  # each stays one text run's words
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        escaped = escaped.replace('"', "&quot;") if escaped not in xml else escaped
        assert escaped in xml


def test_captions_contents_and_page_numbers_are_word_fields(annex):
    document = annex["document"]
    section_ = document.sections[0]
    assert (round(section_.page_width.mm), round(section_.page_height.mm)) == (210, 297)
    assert section_.page_width < section_.page_height  # portrait
    footer = section_.footer._element.xml
    assert " PAGE " in footer
    captions = [p for p in document.paragraphs if p.style.name == "Caption"]
    assert captions and all(p._p.xpath(".//w:instrText") for p in captions)
    styles = {p.style.name for p in document.paragraphs}
    assert {"Title", "Heading 1", "Heading 2", "Heading 3", "Caption", "Quote"} <= styles
    assert {t.style.name for t in document.tables} == {"Table Grid"}
    runs = [r for p in document.paragraphs for r in p.runs]
    assert not [r.text for r in runs if r._r.rPr is not None]  # no manual formatting


def test_the_annex_in_french_and_as_markdown(fielded):
    folder = fielded["folder"]
    report(fielded, "staff,constituents", "--lang", "fr", "-o", folder / "annexe.md")
    text = (folder / "annexe.md").read_text(encoding="utf-8")
    for heading in ("## Méthodologie", "## Pertinence", "## Priorités", "## Réponses ouvertes"):
        assert f"\n{heading}\n" in text
    assert "un taux de réponse de 64 sur 232, 28\u00a0%" in text
    assert "**Tableau 1\u00a0: " in text and "**Figure 1\u00a0: " in text
    figures = sorted((folder / "annexe-figures").glob("figure-*.png"))
    assert len(figures) == text.count("](annexe-figures/figure-") == 14
    assert '> \\=HYPERLINK("http://evil.example","click")' in text or "\\{ DDE" in text
    assert "<script>" not in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["staff", "-o", "annex.pdf"], "FILE.docx or FILE.md"),
        (["nobody", "-o", "annex.docx"], "no survey 'nobody'"),
        (["staff", "--codes", "region", "-o", "annex.docx"], "'region' is not a free-text"),
        (["staff", "--lang", "de", "-o", "annex.docx"], "'de' is not a language of staff"),
        (["staff", "--question", "pillars", "-o", "annex.docx"], "pillars"),
    ],
)
def test_bad_requests_say_what_is_wrong_and_write_nothing(fielded, tmp_path, args, message):
    out = tmp_path / "out"
    out.mkdir()
    args = [str(out / a) if a.startswith("annex.") else a for a in args]
    result = report(fielded, *args, expect=2)
    assert message in result.output
    assert not list(out.iterdir())


def test_the_workspace_downloads_the_annex_of_the_page_s_choices(fielded):
    from surveyapp.store.evaluators import add_evaluator
    from surveyapp.testing import PASSWORD, sign_in

    client = fielded["app"].test_client()
    page = "/evaluate/crosstabs/annex.docx?survey=constituents&lang=es&min_cell=3"
    assert client.get(page).status_code == 302  # signed-in evaluators only
    add_evaluator(connect(fielded["database"]), "ana", PASSWORD)
    sign_in(client, "ana")
    offered = client.get("/evaluate/crosstabs/?survey=constituents&min_cell=3")
    assert 'formaction="/evaluate/crosstabs/annex.docx"' in offered.get_data(as_text=True)
    assert "Download the annex (Word)" in offered.get_data(as_text=True)
    answer = client.get(page)
    assert answer.status_code == 200
    assert answer.mimetype.endswith("wordprocessingml.document")
    path = fielded["folder"] / "download.docx"
    path.write_bytes(answer.data)
    headings = [p.text for p in docx.Document(str(path)).paragraphs
                if p.style.name == "Heading 1"]  # fmt: skip
    assert headings[0] == "Metodología" and "Prioridades" in headings
    assert client.get(page + "&by=nothing").status_code == 400


def test_text_keeps_only_what_a_document_can_hold():
    from surveyapp.report.text import plain

    assert plain("a\x00b\x0b\tc\r\nd\u00a0%\ufffe") == "ab c d\u00a0%"


SOFFICE, PDFTOPPM = shutil.which("soffice"), shutil.which("pdftoppm")


@pytest.mark.skipif(
    not (SOFFICE and PDFTOPPM and shutil.which("pdfinfo")),
    reason="rendering needs LibreOffice (soffice) and poppler-utils (pdfinfo, pdftoppm)",
)
def test_libreoffice_renders_every_page_on_a4(annex, tmp_path):
    profile = f"-env:UserInstallation=file://{tmp_path / 'profile'}"  # its own, not the user's
    subprocess.run(  # noqa: S603 - our own command, no shell
        [SOFFICE, profile, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
         str(annex["path"])],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    pdf = tmp_path / "annex.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)  # noqa: S603, S607
    pages = int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))
    width, height = map(
        float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info.stdout).groups()
    )
    assert (round(width), round(height)) == (595, 842)  # A4 portrait, in points
    assert pages >= 2 + len(GRID_PAGES) + 2  # contents, method, a page per section at least
    subprocess.run([PDFTOPPM, "-png", "-r", "30", str(pdf), str(tmp_path / "page")],  # noqa: S603
                   check=True, timeout=300)  # fmt: skip
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == pages
    from PIL import Image

    for image in images:  # every page carries something (the footer's number at least)
        with Image.open(image) as page:
            assert page.convert("L").getextrema()[0] < 128, image.name


def test_the_banner_puts_table_6_s_blocks_side_by_side(fielded):
    pytest.importorskip(
        "surveyapp.analysis.banner", reason="the banner tables (issue 14) are not merged here"
    )
    path = fielded["folder"] / "table6.docx"
    banner = "staff, staff by region, constituents"
    report(fielded, "staff,constituents", "--banner", banner, "--question", "priority_areas",
           "--codes", "constraints", "-o", path)  # fmt: skip
    blocks = body(docx.Document(str(path)))
    assert [t for k, t in blocks if k == "heading1"] == ["Method", "Priorities", "Open answers"]
    rows = cells(next(item for kind, item in section(blocks, "Priorities") if kind == "table"))
    top = list(dict.fromkeys(rows[0][1:]))  # the blocks, each merged over its groups
    assert top == ["Survey of ILO staff", "Survey of ILO staff by region",
                   "Survey of constituents and partners"]  # fmt: skip
    headers = rows[1]
    assert headers[0] == "Item"
    db = connect(fielded["database"])
    staff = pd.DataFrame(db["responses_staff"].rows)
    africa = staff[staff["region"] == "africa"]["priority_areas.informal_economy"]
    column = next(i for i, h in enumerate(headers) if h.startswith("Africa"))
    row = next(r for r in rows if r[0] == "Informal Economy")
    ratings = africa.dropna().astype(int)
    expected = "suppressed" if len(ratings) < 5 else f"{ratings.mean():.2f}"
    assert row[column] == expected
    everyone = staff["priority_areas.informal_economy"].dropna().astype(int)
    assert row[1] == f"{everyone.mean():.2f}"
