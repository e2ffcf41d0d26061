"""Banner tables: blocks of columns side by side, Table 6 rebuilt in its own layout."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.utils import get_column_letter
from scipy import stats

from coding.difference import TEST_COLUMNS
from surveyapp.analysis.banner import banner_means
from surveyapp.analysis.survey_tables import CrosstabError, make_crosstab
from surveyapp.cli import main
from surveyapp.questionnaire.synthetic import synthetic_responses
from surveyapp.testing import seed_responses

BANNER = "staff, staff by region, constituents"
TABLE_6_BANNER = "staff, staff by region except global, constituents"
STAFF, PARTNERS = "Survey of ILO staff", "Survey of constituents and partners"
BY_REGION = "Survey of ILO staff by region"
REGIONS = {
    "africa": "Africa",
    "arab_states": "Arab States",
    "asia_pacific": "Asia and the Pacific",
    "europe_central_asia": "Europe and Central Asia",
    "latin_america_caribbean": "Latin America and the Caribbean",
}
# Table 6 of the report (lines 2363-2560 of the seed text), in its order: the mean
# priority (5 = top priority) for staff overall, each staff region as above, constituents.
TABLE_6 = {
    ("informal_economy", "Informal Economy"): [4.71, 4.83, 5.00, 4.59, 4.64, 5.00, 4.43],
    ("financing", "Financing of social protection"): [4.59, 4.75, 4.33, 4.41, 4.73, 4.60, 5.00],
    ("unemployment", "Unemployment"): [4.30, 3.92, 5.00, 4.44, 4.18, 4.80, 4.50],
    ("health", "Health"): [4.25, 4.60, 4.33, 4.25, 4.00, 4.00, 3.67],
    ("social_dialogue", "Social Dialogue"): [4.11, 4.18, 3.33, 4.19, 4.09, 4.00, 4.20],
    ("delivery", "Delivery of social protection"): [4.09, 4.18, 3.00, 4.29, 3.80, 4.20, 4.67],
    ("pensions", "Pensions"): [4.04, 4.09, 4.33, 3.81, 3.90, 4.80, 4.57],
    ("mis_digitalisation", "MIS/Digitalisation"): [3.80, 4.18, 2.00, 3.88, 3.40, 4.00, 3.86],
    ("communication", "Communication/Culture of SP"): [3.79, 4.00, 2.50, 4.00, 3.36, 4.00, 4.40],
    ("legal", "Legal"): [3.77, 3.77, 4.00, 3.73, 3.88, 4.00, 3.83],
    ("actuarial", "Actuarial"): [3.74, 3.89, 3.67, 3.71, 3.70, 4.00, 3.00],
    ("disability", "Disability benefits"): [3.72, 4.22, 3.50, 3.56, 3.70, 3.40, 3.80],
    ("child_family", "Child/family benefits"): [3.69, 4.00, 2.50, 3.69, 3.50, 3.80, 4.71],
    ("long_term_care", "Long Term Care"): [3.64, 3.60, 3.00, 3.31, 3.91, 4.40, 4.43],
    ("work_injury", "Work Injury benefits"): [3.64, 3.80, 2.50, 3.75, 3.60, 3.40, 4.20],
    ("maternity", "Maternity benefits"): [3.61, 3.80, 3.00, 3.56, 3.50, 3.80, 4.20],
    ("future_of_work", "Future of Work"): [3.57, 3.50, 3.67, 3.63, 3.45, 3.40, 4.29],
    ("short_term", "Short Term benefits"): [3.55, 3.80, 4.00, 3.38, 3.50, 3.60, 3.00],
    ("investment", "Investment"): [3.52, 4.00, 3.67, 3.59, 3.18, 3.40, 3.67],
    ("climate_change", "Climate Change"): [3.31, 3.30, 3.67, 3.38, 2.80, 4.00, 3.57],
}


def gives(total: int, n: int, mean: float) -> bool:
    """Whether n ratings adding up to total have a mean that rounds to `mean`, off the
    rounding boundary (so 2-decimal rounding cannot go either way)."""
    return abs(total / n - mean) < 0.0049


def ways(mean: float, sizes: range) -> list[tuple[int, int]]:
    """Return (n, sum) pairs of ratings 1-5 whose mean rounds to `mean`, fewest first."""
    return [(n, t) for n in sizes for t in range(n, 5 * n + 1) if gives(t, n, mean)]


def ratings(total: int, n: int) -> list[int]:
    """Return n ratings of 1-5 adding up to total, as even as they can be."""
    return [total // n + (1 if i < total % n else 0) for i in range(n)]


def table_6_responses() -> tuple[list[dict], list[dict]]:
    """Return staff and constituents whose ratings give Table 6.

    Per area, each region gets the fewest ratings (5 or more: the default minimum cell)
    with its mean, then staff at headquarters (region "global", not a column of Table 6)
    bring the staff's mean to the overall index; respondent k of a group rates the areas
    for which the group has more than k ratings.
    """
    staff: dict[str, list[dict]] = {region: [] for region in [*REGIONS, "global"]}
    partners: list[dict] = []
    for (item, _label), (overall, *regional, constituents) in TABLE_6.items():
        column = f"priority_areas.{item}"
        chosen = [ways(mean, range(5, 41))[0] for mean in regional]
        n, total = sum(n for n, _t in chosen), sum(t for _n, t in chosen)
        chosen.append(
            next((m, t) for m in range(1, 60) for t in range(m, 5 * m + 1)
                 if gives(total + t, n + m, overall))
        )  # fmt: skip
        for region, (n, total) in zip(staff, chosen, strict=True):
            people = staff[region]
            people += [{"region": region} for _ in range(n - len(people))]
            for person, rating in zip(people, ratings(total, n), strict=False):
                person[column] = str(rating)
        n, total = ways(constituents, range(5, 10))[0]
        partners += [{"region": "africa"} for _ in range(n - len(partners))]
        for person, rating in zip(partners, ratings(total, n), strict=False):
            person[column] = str(rating)
    return [person for people in staff.values() for person in people], partners


@pytest.fixture
def table_6(app, db):
    """The app with staff and constituents whose priority ratings give Table 6."""
    staff, partners = table_6_responses()
    questionnaires = app.extensions["questionnaires"]
    seed_responses(db, questionnaires["staff"], staff)
    seed_responses(db, questionnaires["constituents"], partners)
    return app


def test_table_6_is_rebuilt_in_its_layout(table_6, db):
    questionnaires = table_6.extensions["questionnaires"]
    result = make_crosstab(db, questionnaires, ["staff", "constituents"], stat="mean",
                           questions=["priority_areas"], banner=TABLE_6_BANNER)  # fmt: skip
    assert result.blocks == [STAFF, BY_REGION, PARTNERS]
    assert [b.groups for b in result.banner] == [[STAFF], list(REGIONS.values()), [PARTNERS]]
    [(_block, table)] = result.tables
    layout = banner_means(table, result.words)
    assert layout.columns == [
        (STAFF, STAFF),
        *[(BY_REGION, label) for label in REGIONS.values()],
        (PARTNERS, PARTNERS),
    ]
    assert layout.spans == [(STAFF, 1), (BY_REGION, 5), (PARTNERS, 1)]
    assert layout.items == [label for _item, label in TABLE_6]  # the report's order
    got = layout.mean.round(2).to_numpy().tolist()
    assert got == list(TABLE_6.values())
    assert not layout.suppressed.to_numpy().any()
    assert (layout.n.to_numpy() >= 5).all()


def command(app, questionnaire_dir, *args, expect=0):
    """Run surveyapp over the app's database and questionnaires; return the result."""
    result = CliRunner().invoke(
        main,
        ["--db", app.config["DATABASE"], "--questionnaires", str(questionnaire_dir),
         *map(str, args)],
    )  # fmt: skip
    assert result.exit_code == expect, result.output
    assert "Traceback" not in result.output
    return result


def test_table_6_in_every_file_format(table_6, questionnaire_dir, tmp_path):
    def run(*args):
        return command(table_6, questionnaire_dir, *args)

    query = ["staff,constituents", "--stat", "mean", "--question", "priority_areas"]
    rows = list(
        csv.DictReader(io.StringIO(run("crosstab", *query, "--banner", TABLE_6_BANNER).output))
    )
    assert list(rows[0]) == [
        "survey", "question", "item", "item_label", "block", "group", "n", "mean",
    ]  # fmt: skip
    assert list(dict.fromkeys((r["block"], r["group"]) for r in rows)) == [
        (STAFF, STAFF),
        *[(BY_REGION, label) for label in REGIONS.values()],
        (PARTNERS, PARTNERS),
    ]
    assert {r["survey"] for r in rows if r["block"] == BY_REGION} == {"staff"}
    informal = [round(float(r["mean"]), 2) for r in rows if r["item"] == "informal_economy"]
    assert informal == TABLE_6[("informal_economy", "Informal Economy")]
    markdown = run("crosstab", *query, "--banner", TABLE_6_BANNER, "--format", "md").output
    header = [c.strip() for c in markdown.splitlines()[2].strip("|").split(" | ")]
    assert header[:3] == ["Item", STAFF, f"{STAFF} n"]  # n varies by area: a column of its own
    assert f"{BY_REGION}: Africa" in header and f"{BY_REGION}: Africa n" in header
    assert header[-2:] == [PARTNERS, f"{PARTNERS} n"]
    first = [c.strip() for c in markdown.splitlines()[4].strip("|").split(" | ")]
    means = [first[header.index(name)] for name in header[1:] if not name.endswith(" n")]
    assert first[0] == "Informal Economy"
    assert means == [f"{v:.2f}" for v in TABLE_6[("informal_economy", "Informal Economy")]]
    out = tmp_path / "table6.xlsx"
    run("crosstab", *query, "--banner", TABLE_6_BANNER, "--format", "xlsx", "-o", out)
    sheet = openpyxl.load_workbook(out)["priority_areas"]
    merged = {str(r) for r in sheet.merged_cells.ranges}
    regional = sum(name.startswith(BY_REGION) for name in header)  # means, and n where it varies
    last, partners = get_column_letter(3 + regional), get_column_letter(4 + regional)
    assert {
        "A2:A3",
        "B2:C2",
        f"D2:{last}2",
        f"{partners}2:{get_column_letter(5 + regional)}2",
    } <= merged
    assert [sheet.cell(2, c).value for c in (1, 2, 4, 4 + regional)] == [
        "Item", STAFF, BY_REGION, PARTNERS,
    ]  # fmt: skip
    assert [c.value for c in sheet[3]][1:6] == ["Survey of ILO staff", "Survey of ILO staff n",
                                                "Africa", "Africa n", "Arab States"]  # fmt: skip
    assert sheet["A4"].value == "Informal Economy" and sheet["B4"].value == pytest.approx(
        4.71, 0.001
    )
    assert sheet["B4"].number_format == "0.00" and sheet.freeze_panes == "B4"
    heat = tmp_path / "table6.svg"
    run("chart", *query, "--banner", TABLE_6_BANNER, "-o", heat)
    drawing = heat.read_text(encoding="utf-8")
    assert BY_REGION in drawing and "4.71" in drawing and "Africa" in drawing


@pytest.fixture
def fielded(app, db):
    """Both surveys with synthetic responses: 40 staff over the regions, 9 constituents."""
    questionnaires = app.extensions["questionnaires"]
    for survey, count in (("staff", 40), ("constituents", 9)):
        seed_responses(
            db, questionnaires[survey], synthetic_responses(questionnaires[survey], count, seed=3)
        )
    return app


def test_distribution_csv_has_a_block_column_before_group(fielded, questionnaire_dir):
    output = command(fielded, questionnaire_dir, "crosstab", "staff,constituents",
                     "--question", "relevance", "--banner", BANNER).output  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(output)))
    assert list(rows[0]) == ["survey", "question", "item", "item_label", "block", "group",
                             "value", "value_label", "count", "percent"]  # fmt: skip
    assert "All" not in {r["group"] for r in rows}
    assert [b for b in dict.fromkeys(r["block"] for r in rows)] == [STAFF, BY_REGION, PARTNERS]
    weighted = command(fielded, questionnaire_dir, "crosstab", "staff,constituents",
                       "--question", "relevance", "--banner", BANNER, "--poststratify", "survey",
                       "--shares", "staff=0.5,constituents=0.5").output  # fmt: skip
    assert next(csv.reader(io.StringIO(weighted)))[4:10] == [
        "block", "group", "value", "value_label", "count", "weighted_count",
    ]  # fmt: skip


def test_each_block_is_suppressed_weighted_and_tested_on_its_own(fielded, db):
    questionnaires = fielded.extensions["questionnaires"]
    frame = make_crosstab(db, questionnaires, ["staff"], questions=["priority_areas"]).frame
    health = frame["priority_areas.health"].astype(float)
    sizes = health.groupby(frame.region).count()  # synthetic: 4 to 9 ratings per region
    shown, hidden = sorted(sizes[sizes >= 7].index), sorted(sizes[sizes < 7].index)
    assert len(shown) >= 2 and hidden
    labels = {**REGIONS, "global": "Global / headquarters"}
    common = {"stat": "mean", "questions": ["priority_areas"], "banner": BANNER}
    result = make_crosstab(db, questionnaires, ["staff", "constituents"], min_cell=7, **common)
    [(block, table)] = result.tables
    cells = table.set_index(["item", "block", "group"])
    assert all(cells.loc[("health", BY_REGION, labels[r]), "suppressed"] for r in hidden)
    assert not any(cells.loc[("health", BY_REGION, labels[r]), "suppressed"] for r in shown)
    assert cells.loc[("health", STAFF, STAFF), "n"] == 40  # the staff as a whole
    assert cells.loc[("health", PARTNERS, PARTNERS), "n"] == 9  # 9 of 9: not suppressed
    # Tests: only the regions block has groups to compare; its test is the regions' own.
    tests = result.tests(block)
    assert list(tests.columns) == ["block", *TEST_COLUMNS]
    assert set(tests.block) == {BY_REGION}
    row = tests.set_index("item").loc["health"]
    expected = stats.kruskal(*[health[frame.region == r].dropna() for r in shown])
    assert row.statistic == pytest.approx(expected.statistic)
    assert row.p_value == pytest.approx(expected.pvalue)
    assert all(labels[r] in row.left_out for r in hidden) and "(each n < 7)" in row.left_out
    # Weights: post-stratifying on survey moves no block's mean (each is one survey), only
    # a table that pools the surveys.
    weighted = make_crosstab(db, questionnaires, ["staff", "constituents"], poststratify="survey",
                             shares="staff=0.5,constituents=0.5", **common)  # fmt: skip
    plain = make_crosstab(db, questionnaires, ["staff", "constituents"], **common)
    assert weighted.tables[0][1]["mean"].tolist() == pytest.approx(
        plain.tables[0][1]["mean"].tolist(), nan_ok=True
    )
    by_weight = make_crosstab(db, questionnaires, ["staff", "constituents"], weight="response_id",
                              **common)  # fmt: skip
    moved = by_weight.tables[0][1].set_index(["item", "block", "group"])["mean"]
    ids = frame["response_id"].astype(float)
    answered = health.notna()
    expected_mean = (health[answered] * ids[answered]).sum() / ids[answered].sum()
    assert moved.loc[("health", STAFF, STAFF)] == pytest.approx(expected_mean)


@pytest.mark.parametrize(
    "banner, message",
    [
        ("staff, staff by regoin", "block 2 'staff by regoin': no question 'regoin' in staff"),
        (
            "staff by priority_areas",
            "block 1 'staff by priority_areas': 'priority_areas' is not a single-choice",
        ),
        ("donors", "block 1 'donors': no survey 'donors'"),
        ("staff, demo", "block 2 'demo': survey 'demo' is not among those tabulated"),
        ("staff,, constituents", "block 2 is empty"),
        ("staff region", "block 1 'staff region': write SURVEY or SURVEY by QUESTION"),
        ("staff, constituents, staff", "block 3 'staff': the same as block 1 'staff'"),
        ("", "the banner is empty"),
        ("staff by region except globl", "no choice 'globl' in region (africa, arab_states,"),
        ("staff by code:constraints except x", "except works with a single-choice question"),
        ("staff by code:nosuch", "block 1 'staff by code:nosuch': "),
    ],
)
def test_bad_banners_are_refused_with_the_block_at_fault(
    fielded, questionnaire_dir, banner, message
):
    result = command(fielded, questionnaire_dir, "crosstab", "staff,constituents",
                     "--banner", banner, expect=2)  # fmt: skip
    assert message in " ".join(result.output.split())
    chart = command(fielded, questionnaire_dir, "chart", "staff,constituents", "--banner", banner,
                    "-o", "never.png", expect=2)  # fmt: skip
    assert message in " ".join(chart.output.split())


def test_by_and_banner_together_are_refused(fielded, db, questionnaire_dir):
    result = command(fielded, questionnaire_dir, "crosstab", "staff", "--by", "region",
                     "--banner", "staff", expect=2)  # fmt: skip
    assert "either --by or --banner" in result.output
    with pytest.raises(CrosstabError, match="either by"):
        make_crosstab(
            db, fielded.extensions["questionnaires"], ["staff"], "region", banner="staff"
        )


def test_agreement_chart_groups_bars_under_blocks(fielded, questionnaire_dir, tmp_path):
    out = tmp_path / "relevance.svg"
    command(fielded, questionnaire_dir, "chart", "staff,constituents", "--question", "relevance",
            "--banner", BANNER, "-o", out)  # fmt: skip
    drawing = out.read_text(encoding="utf-8")
    assert drawing.count(BY_REGION) == 1  # one statement: one block heading
    assert STAFF in drawing and PARTNERS in drawing and "Africa" in drawing


def test_workspace_takes_a_banner(client, auth, fielded):
    auth.sign_in()
    query = (
        "?survey=staff&survey=constituents&stat=mean&banner=staff,+staff+by+region,+constituents"
    )
    page = client.get(f"/evaluate/crosstabs/{query}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="banner"' in html and 'value="staff, staff by region, constituents"' in html
    assert f'<th scope="colgroup" colspan="6">{BY_REGION}</th>' in html
    assert f'<th scope="col" rowspan="2">{STAFF} (n = 40)</th>' in html
    assert '<td class="text">Survey of ILO staff by region</td>' in html  # the tests' block
    chart = client.get(f"/evaluate/crosstabs/chart/priority_areas.svg{query}")
    assert chart.status_code == 200 and BY_REGION in chart.get_data(as_text=True)
    download = client.get(f"/evaluate/crosstabs/download.csv{query}")
    assert "banner" in download.headers["Content-Disposition"]
    assert download.get_data(as_text=True).splitlines()[0].endswith("block,group,n,mean")
    bad = client.get("/evaluate/crosstabs/?survey=staff&banner=staff+by+regoin")
    assert bad.status_code == 400
    assert (
        "block 1 &#39;staff by regoin&#39;: no question &#39;regoin&#39; in staff"
        in bad.get_data(as_text=True)
    )


def test_a_block_may_group_by_codes(app, db):
    # Twelve staff: 1-6 agree, 7-10 disagree, 11 agree, 12 disagree; ana coded 1-6
    # Funding, 5-9 Staffing (5 and 6 carry both), 10 no code; 11 is not coded yet.
    from surveyapp.analysis.report_files import notes_of
    from surveyapp.store.codings import Codebook

    item = "relevance.gender_lnob"
    ratings = ["agree"] * 6 + ["disagree"] * 4 + ["agree", "disagree"]
    rows = [{item: rating, "constraints": f"answer {n}"} for n, rating in enumerate(ratings, 1)]
    rows[-1]["constraints"] = ""
    seed_responses(db, app.extensions["questionnaires"]["staff"], rows)
    book = Codebook(db, "constraints")
    funding, staffing = book.add_code("Funding", "ana"), book.add_code("Staffing", "ana")
    for n in range(1, 11):
        book.set_codes("staff", n, [funding] * (n <= 6) + [staffing] * (5 <= n <= 9), "ana")
    banner = "staff, staff by code:constraints"
    result = make_crosstab(db, app.extensions["questionnaires"], ["staff"], min_cell=1,
                           questions=["relevance"], banner=banner)  # fmt: skip
    [(block, table)] = result.tables
    agree = table[(table.item == "gender_lnob") & (table.value == "agree")]
    counts = dict(zip(zip(agree.block, agree.group, strict=True), agree["count"], strict=True))
    by_codes = "Survey of ILO staff by code:constraints"
    assert counts[(STAFF, STAFF)] == 7  # everyone once
    assert counts[(by_codes, "Funding")] == 6 and counts[(by_codes, "Staffing")] == 2
    assert result.banner[1].groups[:2] == ["Funding", "Staffing"]
    assert result.tests(block).empty  # overlapping groups: no test; staff alone: no test
    assert any(note.startswith(f"{by_codes}: Groups: the codes of constraints") for note in
               notes_of(result, block))  # fmt: skip
