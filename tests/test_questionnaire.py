"""Questionnaires load and validate with clear messages, and conditions decide what is shown."""

from __future__ import annotations

import copy
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml

from surveyapp.questionnaire.conditions import Condition, parse_condition
from surveyapp.questionnaire.loading import (
    load_questionnaire,
    load_questionnaires,
    parse_questionnaire,
)
from surveyapp.questionnaire.model import CRITERIA, QuestionnaireError, translate

ROOT = Path(__file__).resolve().parent.parent

REGIONS = [
    "Africa",
    "Arab States",
    "Asia and the Pacific",
    "Europe and Central Asia",
    "Latin America and the Caribbean",
]
TABLE_6 = [
    "Informal Economy",
    "Financing of social protection",
    "Unemployment",
    "Health",
    "Social Dialogue",
    "Delivery of social protection",
    "Pensions",
    "MIS/Digitalisation",
    "Communication/Culture of SP",
    "Legal",
    "Actuarial",
    "Disability benefits",
    "Child/family benefits",
    "Long Term Care",
    "Work Injury benefits",
    "Maternity benefits",
    "Future of Work",
    "Short Term benefits",
    "Investment",
    "Climate Change",
]
PRIORITY_SCALE = [
    ("5", "Top priority"),
    ("4", "High priority"),
    ("3", "Moderate priority"),
    ("2", "Low priority"),
    ("1", "Not a priority"),
]
AGREEMENT = ["Agree", "Somewhat agree", "Somewhat disagree", "Disagree", "Do not know"]
SURVEYS = ["staff", "constituents"]


def labels(entries, language="en"):
    return [translate(entry.label, language) for entry in entries]


@pytest.fixture(scope="module")
def shipped():
    return load_questionnaires(ROOT / "questionnaires")


# The shipped questionnaires


def test_shipped_questionnaires_load(shipped):
    assert sorted(shipped) == sorted(SURVEYS)
    for survey_id, questionnaire in shipped.items():
        assert questionnaire.id == survey_id
        assert questionnaire.path.endswith(f"{survey_id}.yaml")
        assert re.fullmatch(r"[0-9a-f]{16}", questionnaire.version)


@pytest.mark.parametrize("survey", SURVEYS)
def test_region_offers_the_ilo_regions_and_one_global_choice(shipped, survey):
    region = shipped[survey].question("region")
    assert region.type == "select_one"
    names = labels(region.choices)
    assert len(names) == len(REGIONS) + 1
    assert [name for name in names if name in REGIONS] == REGIONS
    [other] = [name for name in names if name not in REGIONS]
    assert re.search(r"global|headquarters", other, re.IGNORECASE)


def test_staff_and_constituents_have_their_own_profile_questions(shipped):
    staff, constituents = shipped["staff"], shipped["constituents"]
    assert staff.question("office").type == "select_one"
    assert staff.question("role").type == "select_one"
    assert constituents.question("organisation").type == "select_one"
    assert staff.question("organisation") is None
    assert constituents.question("office") is None
    assert constituents.question("role") is None


@pytest.mark.parametrize("survey", SURVEYS)
def test_priority_grid_reproduces_table_6(shipped, survey):
    grid = shipped[survey].question("priority_areas")
    assert grid.type == "grid"
    assert labels(grid.items) == TABLE_6
    assert [(c.name, translate(c.label)) for c in grid.choices] == PRIORITY_SCALE
    assert [c.value for c in grid.choices] == [5, 4, 3, 2, 1]
    assert not any(c.missing for c in grid.choices)


@pytest.mark.parametrize("survey", SURVEYS)
def test_agreement_grids_use_the_agreement_scale(shipped, survey):
    grids = [
        q for q in shipped[survey].questions if q.type == "grid" and q.name != "priority_areas"
    ]
    assert len(grids) >= 10
    for grid in grids:
        assert labels(grid.choices) == AGREEMENT, grid.name
        missing = [translate(c.label) for c in grid.choices if c.missing]
        assert missing == ["Do not know"], grid.name
        assert [c.value for c in grid.choices if not c.missing] == [4, 3, 2, 1], grid.name


@pytest.mark.parametrize("survey", SURVEYS)
def test_pillars_is_a_rank_of_four_items(shipped, survey):
    pillars = shipped[survey].question("pillars")
    assert pillars.type == "rank"
    assert len(pillars.items) == 4
    assert pillars.choices == ()


@pytest.mark.parametrize("survey", SURVEYS)
def test_constraints_is_multiline_text(shipped, survey):
    constraints = shipped[survey].question("constraints")
    assert constraints.type == "text"
    assert constraints.multiline
    assert constraints.max_length == 5000


def test_shared_questions_can_be_analysed_together(shipped):
    staff, constituents = shipped["staff"], shipped["constituents"]
    shared = {q.name for q in staff.questions} & {q.name for q in constituents.questions}
    assert {"region", "pillars", "priority_areas", "constraints", "relevance"} <= shared
    for name in sorted(shared):
        mine, theirs = staff.question(name), constituents.question(name)
        assert mine.type == theirs.type, name
        assert mine.items == theirs.items, name
        assert mine.choices == theirs.choices, name
        assert [c.name for c in mine.columns()] == [c.name for c in theirs.columns()], name


@pytest.mark.parametrize("survey", SURVEYS)
def test_grids_carry_evaluation_criteria(shipped, survey):
    grids = [q for q in shipped[survey].questions if q.type == "grid"]
    assert all(grid.criterion in CRITERIA for grid in grids)


def test_grids_together_cover_the_evaluation_criteria(shipped):
    criteria = {q.criterion for s in shipped.values() for q in s.questions if q.type == "grid"}
    assert {"relevance", "coherence", "effectiveness", "impact", "sustainability"} <= criteria


@pytest.mark.parametrize("survey", SURVEYS)
def test_export_columns_are_unique(shipped, survey):
    names = [column.name for column in shipped[survey].columns()]
    assert len(names) == len(set(names))


# Bad definitions


def valid_definition():
    """A small definition with a question of most types, changed one way by each bad case."""
    return {
        "id": "mini",
        "title": "Mini survey",
        "languages": ["en", "fr"],
        "choice_lists": {
            "agreement": [
                {"name": "agree", "label": "Agree", "value": 2},
                {"name": "disagree", "label": "Disagree", "value": 1},
                {"name": "dont_know", "label": "Do not know", "missing": True},
            ]
        },
        "pages": [
            {
                "name": "p1",
                "title": {"en": "First page", "fr": "Première page"},
                "questions": [
                    {
                        "name": "q1",
                        "type": "select_one",
                        "label": {"en": "Office", "fr": "Bureau"},
                        "required": True,
                        "choices": [
                            {"name": "hq", "label": "Headquarters"},
                            {"name": "country", "label": "Country office"},
                        ],
                    },
                    {
                        "name": "q2",
                        "type": "select_multiple",
                        "label": "Topics",
                        "choices": [
                            {"name": "health", "label": "Health"},
                            {"name": "media", "label": "Media"},
                        ],
                    },
                    {
                        "name": "q3",
                        "type": "grid",
                        "label": "Do you agree?",
                        "criterion": "relevance",
                        "choices": "agreement",
                        "items": [
                            {"name": "one", "label": "Statement one"},
                            {"name": "two", "label": "Statement two"},
                        ],
                    },
                ],
            },
            {
                "name": "p2",
                "title": "Second page",
                "questions": [
                    {"name": "q4", "type": "integer", "label": "Years", "min": 0, "max": 50},
                    {
                        "name": "q5",
                        "type": "rank",
                        "label": "Rank the pillars",
                        "items": [
                            {"name": "a", "label": "Pillar A"},
                            {"name": "b", "label": "Pillar B"},
                        ],
                    },
                    {
                        "name": "q6",
                        "type": "text",
                        "label": "Why?",
                        "relevant": {"question": "q1", "equals": "hq"},
                    },
                    {
                        "name": "q7",
                        "type": "decimal",
                        "label": "Share",
                        "relevant": {"question": "q4", "min": 1},
                    },
                ],
            },
        ],
    }


def find_question(definition, name):
    return next(
        q for page in definition["pages"] for q in page["questions"] if q.get("name") == name
    )


def on_question(name, /, **changes):
    return lambda definition: find_question(definition, name).update(changes)


def without(name, key):
    return lambda definition: find_question(definition, name).pop(key)


def on_survey(**changes):
    return lambda definition: definition.update(changes)


def on_page(index, /, **changes):
    return lambda definition: definition["pages"][index].update(changes)


def add_question(index, question):
    return lambda definition: definition["pages"][index]["questions"].append(question)


def on_agreement(position, **changes):
    return lambda d: d["choice_lists"]["agreement"][position].update(changes)


def write(folder, definition, name="mini.yaml"):
    path = folder / name
    path.write_text(yaml.safe_dump(definition, sort_keys=False, allow_unicode=True), "utf-8")
    return path


HQ = {"name": "hq", "label": "Headquarters"}
ONE = {"name": "one", "label": "Statement one"}
Q1_IS_HQ = {"question": "q1", "equals": "hq"}


def when(**condition):
    """Give q7, the last question, this condition."""
    return on_question("q7", relevant=condition)


BAD_DEFINITIONS = [
    # questions
    (on_question("q1", type="slider"), "question 'q1'", "type 'slider' is not one of select_one"),
    (without("q1", "type"), "question 'q1'", "'type' is missing"),
    (without("q1", "label"), "question 'q1'", "'label' is missing"),
    (on_question("q1", label=" "), "question 'q1'", "label must be non-empty text"),
    (on_question("q6", name="q1"), "question 'q1'", "this question name appears twice"),
    (
        on_question("q1", name="Q1"),
        "page 'p1', question 1",
        "question name 'Q1' must be lower-case",
    ),
    (
        on_question("q1", name="my q"),
        "page 'p1', question 1",
        "question name 'my q' must be lower-case",
    ),
    (
        on_question("q1", name="1q"),
        "page 'p1', question 1",
        "question name '1q' must be lower-case",
    ),
    (on_question("q1", requird=True), "question 'q1'", "unknown key requird"),
    (on_question("q1", required="yes"), "question 'q1'", "required must be true or false"),
    (add_question(1, "q8"), "page 'p2', question 5", "a question must be a mapping, not str"),
    (
        add_question(1, {"name": "n1", "type": "note", "label": "Note", "required": True}),
        "question 'n1'",
        "'required' does not apply to a note question",
    ),
    (on_question("q1", choices=[HQ, HQ]), "question 'q1'", "choice 'hq' appears twice"),
    (without("q1", "choices"), "question 'q1'", "a select_one question needs 'choices'"),
    (on_question("q1", choices=[]), "question 'q1'", "choices must be a list name or a non-empty"),
    (
        on_question("q3", choices="rating"),
        "question 'q3'",
        "choices 'rating' is not a list in 'choice_lists'",
    ),
    (
        on_question("q1", choices=[{"name": "Head Office", "label": "HQ"}]),
        "question 'q1'",
        "choice name 'Head Office' must be lower-case",
    ),
    (
        on_question("q1", choices=[{"name": "1.5", "label": "HQ"}]),
        "question 'q1'",
        "choice name '1.5' must be lower-case",
    ),
    (
        on_question("q1", choices=[{"name": True, "label": "Yes"}]),
        "question 'q1'",
        "choice name must be a name, not True",
    ),
    (on_question("q1", choices=[{"name": "hq"}]), "question 'q1'", "'label' is missing"),
    (
        on_question("q1", choices=[{**HQ, "missing": "yes"}]),
        "question 'q1'",
        "missing must be true or false",
    ),
    (on_question("q1", choices=[{**HQ, "code": 1}]), "question 'q1'", "unknown key code"),
    (
        on_agreement(0, value="high"),
        "choice list 'agreement'",
        "value of choice 'agree' must be a number",
    ),
    (
        on_survey(choice_lists={"Agreement": [HQ]}),
        "choice list 'Agreement'",
        "list name 'Agreement' must be lower-case",
    ),
    (on_survey(choice_lists=[HQ]), None, "choice_lists must be a mapping"),
    (without("q3", "items"), "question 'q3'", "a grid question needs 'items'"),
    (on_question("q3", items=[]), "question 'q3'", "items must be a non-empty list"),
    (on_question("q3", items=[ONE, ONE]), "question 'q3'", "item 'one' appears twice"),
    (
        on_question("q5", items=[{"name": "A", "label": "Pillar A"}]),
        "question 'q5'",
        "item name 'A' must be lower-case",
    ),
    (on_question("q5", items=[{**ONE, "rank": 1}]), "question 'q5'", "unknown key rank"),
    (
        on_question("q5", choices="agreement"),
        "question 'q5'",
        "'choices' does not apply to a rank question",
    ),
    (on_question("q4", min=10, max=5), "question 'q4'", "min 10 is greater than max 5"),
    (on_question("q4", min=0.5), "question 'q4'", "min must be a whole number"),
    (on_question("q7", max="lots"), "question 'q7'", "max must be a number"),
    (on_question("q4", max_length=10), "question 'q4'", "'max_length' does not apply to a"),
    (on_question("q6", max_length=0), "question 'q6'", "max_length must be between 1 and"),
    (
        on_question("q1", appearance="slider"),
        "question 'q1'",
        "appearance 'slider' is not one of dropdown, radio",
    ),
    (
        on_question("q6", appearance="dropdown"),
        "question 'q6'",
        "appearance 'dropdown' is not one of multiline",
    ),
    (on_question("q4", appearance="multiline"), "question 'q4'", "'appearance' does not apply"),
    (
        on_question("q2", max_choices=3),
        "question 'q2'",
        "max_choices must be between 0 and the number of choices",
    ),
    (
        on_question("q2", min_choices=2, max_choices=1),
        "question 'q2'",
        "min_choices 2 is greater than max_choices 1",
    ),
    (on_question("q3", criterion="efficacy"), "question 'q3'", "criterion 'efficacy' is not"),
    (on_question("q3", figure="two"), "question 'q3'", "figure must be a whole number"),
    # conditions
    (
        on_question("q1", relevant={"question": "q4", "answered": True}),
        "question 'q1'",
        "relevant: 'q4' is not an earlier question",
    ),
    (
        on_question("q4", relevant={"question": "q4", "min": 1}),
        "question 'q4'",
        "relevant: 'q4' is not an earlier question",
    ),
    (when(question="nobody", equals="hq"), "question 'q7'", "'nobody' is not an earlier question"),
    (
        on_question("q7", relevant={"question": "q1", "in": "hq"}),
        "question 'q7'",
        "'in' needs a non-empty list of choices",
    ),
    (
        on_question("q7", relevant={"question": "q1", "is": "hq"}),
        "question 'q7'",
        "a condition needs exactly one test",
    ),
    (
        when(question="q1", equals="hq", not_equals="country"),
        "question 'q7'",
        "a condition needs exactly one test of equals",
    ),
    (when(equals="hq"), "question 'q7'", "a condition needs 'question'"),
    (
        when(question="q1", contains="hq"),
        "question 'q7'",
        "'contains' applies to a select_multiple question",
    ),
    (
        when(question="q2", equals="health"),
        "question 'q7'",
        "use 'contains' for the select_multiple question 'q2'",
    ),
    (
        when(question="q3.three", equals="agree"),
        "question 'q7'",
        "'three' is not an item of question 'q3'",
    ),
    (
        when(question="q3", equals="agree"),
        "question 'q7'",
        "name an item of 'q3', as q3.ITEM",
    ),
    (
        when(question="q1", min=1),
        "question 'q7'",
        "'min' applies to a rank, integer, decimal or date question",
    ),
    (when(question="q4", min="two"), "question 'q7'", "'min' must be a number"),
    (when(question="q4", max=True), "question 'q7'", "'max' must be a number"),
    (when(question="q1", answered="yes"), "question 'q7'", "'answered' must be true or false"),
    (
        when(question="q6", equals=["a", "b"]),
        "question 'q7'",
        "compare with a choice name or a number",
    ),
    (
        on_question("q7", relevant={"all": [Q1_IS_HQ], "question": "q1"}),
        "question 'q7'",
        "'all' must stand alone in its mapping",
    ),
    (
        on_question("q7", relevant={"any": []}),
        "question 'q7'",
        "'any' needs a non-empty list of conditions",
    ),
    (
        on_question("q7", relevant={"not": [Q1_IS_HQ]}),
        "question 'q7'",
        "a condition must be a mapping",
    ),
    (on_question("q7", relevant="q1 = hq"), "question 'q7'", "a condition must be a mapping"),
    # languages and texts
    (on_question("q1", label={"fr": "Bureau"}), "question 'q1'", "label has no text in 'en'"),
    (
        on_question("q1", label={"en": "Office", "de": "Büro"}),
        "question 'q1'",
        "label is in 'de', which is not in 'languages'",
    ),
    (
        on_question("q1", label={"en": "Office", "fr": ""}),
        "question 'q1'",
        "label in 'fr' must be non-empty text",
    ),
    (on_question("q1", hint=["a hint"]), "question 'q1'", "hint must be non-empty text"),
    (
        on_question("q1", choices=[{"name": "hq", "label": {"fr": "Siège"}}]),
        "question 'q1'",
        "label of choice 'hq' has no text in 'en'",
    ),
    (on_survey(languages="en"), None, "languages must be a list of language codes"),
    (on_survey(languages=[]), None, "languages must be a list of language codes"),
    (on_survey(languages=["English"]), None, "languages must be a list of language codes"),
    (on_survey(languages=["en", "en"]), None, "language 'en' appears twice"),
    (on_survey(title={"fr": "Mini"}), None, "title has no text in 'en'"),
    # the survey and its pages
    (on_survey(theme="dark"), None, "unknown key theme"),
    (on_survey(id="Mini Survey"), None, "id 'Mini Survey' must be lower-case"),
    (on_survey(title=None), None, "'title' is missing"),
    (on_survey(open_link="yes"), None, "open_link must be true or false, not 'yes'"),
    (
        on_survey(opens=date(2026, 11, 23), closes=date(2026, 11, 2)),
        None,
        "opens must be before closes",
    ),
    (
        on_survey(opens=date(2026, 11, 2), closes=date(2026, 11, 2)),
        None,
        "opens must be before closes",
    ),
    (on_survey(opens="2 November 2026"), None, "opens must be a date such as 2026-11-02"),
    (on_survey(closes="2026-13-01"), None, "closes must be a date such as 2026-11-02"),
    (on_survey(closes=20261123), None, "closes must be a date such as 2026-11-02"),
    (on_survey(pages=[]), None, "'pages' is missing"),
    (on_survey(pages={"p1": []}), None, "pages must be a list"),
    (on_page(1, questions=[]), "page 'p2'", "'questions' is missing"),
    (on_page(1, questions="q4"), "page 'p2'", "questions must be a list"),
    (on_page(1, questoins=[]), "page 'p2'", "unknown key questoins"),
    (on_page(1, name="p1"), None, "page 'p1' appears twice"),
    (on_page(0, name="First page"), "page 1", "page name 'First page' must be lower-case"),
    (on_page(0, criterion="efficacy"), "page 'p1'", "criterion 'efficacy' is not one of"),
]


def _case_id(case):
    _change, where, phrase = case
    return re.sub(r"[^a-z0-9]+", "-", f"{where or 'survey'} {phrase}".lower()).strip("-")


def test_the_valid_definition_loads(tmp_path):
    questionnaire = load_questionnaire(write(tmp_path, valid_definition()))
    assert [q.name for q in questionnaire.questions] == [f"q{n}" for n in range(1, 8)]


@pytest.mark.parametrize(
    "change, where, phrase", [pytest.param(*case, id=_case_id(case)) for case in BAD_DEFINITIONS]
)
def test_bad_definition_is_refused(tmp_path, change, where, phrase):
    definition = valid_definition()
    change(definition)
    path = write(tmp_path, definition)
    with pytest.raises(QuestionnaireError) as error:
        load_questionnaire(path)
    message = str(error.value)
    assert message.startswith(f"{path}: ")
    if where:
        assert f": {where}: " in message
    assert phrase in message


JUNK = [
    None,
    "",
    "Bad Name",
    0,
    -1,
    1.5,
    True,
    [],
    {},
    ["x"],
    {"x": 1},
    [{"x": 1}],
    {1: "a", "b": 2},
]


def _places(value, path=()):
    """Yield the path to every value inside a definition."""
    yield path
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _places(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _places(inner, (*path, index))


@pytest.mark.parametrize("junk", JUNK, ids=repr)
def test_any_wrong_value_is_refused_without_a_traceback(junk):
    base = valid_definition()
    crashes = []
    for path in list(_places(base))[1:]:
        definition = copy.deepcopy(base)
        container = definition
        for key in path[:-1]:
            container = container[key]
        container[path[-1]] = copy.deepcopy(junk)
        try:
            parse_questionnaire(definition, "junk.yaml")
        except QuestionnaireError as error:
            assert str(error).startswith("junk.yaml: ")
        except Exception as error:  # collect every crash, not only the first
            crashes.append(f"{'/'.join(map(str, path))}: {type(error).__name__}: {error}")
    assert crashes == []


BAD_FILES = [
    pytest.param(
        b"id: mini\ntitle: Mini\npages:\n  - name: p1\n   questions: []\n",
        ["line 5", "not valid YAML"],
        id="yaml-syntax-error",
    ),
    pytest.param(b"id: mini\ntitle: [Mini\n", ["line 3", "not valid YAML"], id="unclosed-list"),
    pytest.param(b"id: mini\n\ttitle: Mini\n", ["line 2", "not valid YAML"], id="tab"),
    pytest.param(
        "id: mini\ntitle: Enquête\n".encode("latin-1"), ["is not UTF-8 text"], id="latin-1"
    ),
    pytest.param(b"- id: mini\n- title: Mini\n", ["must be a mapping, not list"], id="list"),
    pytest.param(b"mini\n", ["must be a mapping, not str"], id="scalar"),
    pytest.param(b"", ["must be a mapping"], id="empty-file"),
    pytest.param(
        b"id: mini\ntitle: Mini\nopens: 2026-11-31\n",
        ["line 3", "'2026-11-31' is not a valid date"],
        id="impossible-date",
    ),
    pytest.param(
        b"id: mini\ntitle: Mini\ncloses: 2026-11-02 25:00:00\n",
        ["line 3", "is not a valid date"],
        id="impossible-time",
    ),
    pytest.param(b"id: mini\ntitle: !!int many\n", ["not valid YAML"], id="bad-int-tag"),
    pytest.param(b"id: mini\ntitle: !!timestamp x\n", ["not valid YAML"], id="bad-tag"),
    pytest.param(b"id: !!python/name:os.system\n", ["not valid YAML"], id="python-tag"),
]


@pytest.mark.parametrize("content, phrases", BAD_FILES)
def test_bad_file_is_refused(tmp_path, content, phrases):
    path = tmp_path / "mini.yaml"
    path.write_bytes(content)
    with pytest.raises(QuestionnaireError) as error:
        load_questionnaire(path)
    message = str(error.value)
    assert message.startswith(f"{path}: ")
    for phrase in phrases:
        assert phrase in message


def test_missing_file_is_refused(tmp_path):
    path = tmp_path / "absent.yaml"
    with pytest.raises(QuestionnaireError, match="cannot be read: No such file") as error:
        load_questionnaire(path)
    assert str(error.value).startswith(f"{path}: ")


def test_folder_is_not_a_file(tmp_path):
    with pytest.raises(QuestionnaireError, match="cannot be read"):
        load_questionnaire(tmp_path)


def test_folder_loads_every_survey_by_id(tmp_path):
    write(tmp_path, valid_definition(), "a.yaml")
    write(tmp_path, {**valid_definition(), "id": "other"}, "b.yaml")
    (tmp_path / "notes.txt").write_text("not a questionnaire", "utf-8")
    assert sorted(load_questionnaires(tmp_path)) == ["mini", "other"]


def test_two_files_with_the_same_survey_id_are_refused(tmp_path):
    first = write(tmp_path, valid_definition(), "a.yaml")
    second = write(tmp_path, valid_definition(), "b.yaml")
    with pytest.raises(QuestionnaireError) as error:
        load_questionnaires(tmp_path)
    assert str(error.value) == f"{second}: survey id 'mini' is used by {first}"


def test_bad_file_in_a_folder_is_named(tmp_path):
    write(tmp_path, valid_definition(), "a.yaml")
    bad = tmp_path / "b.yaml"
    bad.write_text("- a list\n", "utf-8")
    with pytest.raises(QuestionnaireError, match=f"^{re.escape(str(bad))}: "):
        load_questionnaires(tmp_path)


def test_empty_folder_is_refused(tmp_path):
    with pytest.raises(QuestionnaireError, match=r"holds no \*\.yaml questionnaire"):
        load_questionnaires(tmp_path)


def test_missing_folder_is_refused(tmp_path):
    with pytest.raises(QuestionnaireError, match="the questionnaire folder does not exist"):
        load_questionnaires(tmp_path / "absent")


def test_schedule_dates_are_read_as_utc(tmp_path):
    definition = {
        **valid_definition(),
        "opens": date(2026, 11, 2),
        "closes": "2026-11-23T12:00:00+02:00",
    }
    questionnaire = load_questionnaire(write(tmp_path, definition))
    assert questionnaire.opens == datetime(2026, 11, 2, tzinfo=UTC)
    assert questionnaire.closes == datetime(2026, 11, 23, 10, tzinfo=UTC)


def test_text_question_length_defaults_by_appearance(tmp_path):
    definition = valid_definition()
    definition["pages"][1]["questions"].append(
        {"name": "long", "type": "text", "appearance": "multiline", "label": "More"}
    )
    questionnaire = load_questionnaire(write(tmp_path, definition))
    assert questionnaire.question("q6").max_length == 300
    assert questionnaire.question("long").max_length == 5000


# Conditions

CONDITION_SURVEY = parse_questionnaire(
    {
        "id": "conditions",
        "title": "Conditions",
        "pages": [
            {
                "name": "only",
                "questions": [
                    {
                        "name": "office",
                        "type": "select_one",
                        "label": "Office",
                        "choices": [
                            {"name": "hq", "label": "Headquarters"},
                            {"name": "regional", "label": "Regional office"},
                            {"name": "country", "label": "Country office"},
                        ],
                    },
                    {
                        "name": "topics",
                        "type": "select_multiple",
                        "label": "Topics",
                        "choices": [
                            {"name": "health", "label": "Health"},
                            {"name": "media", "label": "Media"},
                        ],
                    },
                    {
                        "name": "statements",
                        "type": "grid",
                        "label": "Do you agree?",
                        "choices": [
                            {"name": "agree", "label": "Agree"},
                            {"name": "dont_know", "label": "Do not know", "missing": True},
                        ],
                        "items": [
                            {"name": "one", "label": "One"},
                            {"name": "two", "label": "Two"},
                        ],
                    },
                    {
                        "name": "scale",
                        "type": "grid",
                        "label": "From 0 to 2",
                        "choices": [{"name": str(n), "label": str(n)} for n in range(3)],
                        "items": [
                            {"name": "one", "label": "One"},
                            {"name": "two", "label": "Two"},
                        ],
                    },
                    {
                        "name": "pillars",
                        "type": "rank",
                        "label": "Rank",
                        "items": [
                            {"name": "a", "label": "A"},
                            {"name": "b", "label": "B"},
                        ],
                    },
                    {"name": "years", "type": "integer", "label": "Years"},
                    {"name": "share", "type": "decimal", "label": "Share"},
                ],
            }
        ],
    }
)
EARLIER = {q.name: q for q in CONDITION_SURVEY.questions}


def condition(raw) -> Condition:
    return parse_condition(raw, EARLIER)


HQ_OFFICE = {"question": "office", "equals": "hq"}
THREE_YEARS = {"question": "years", "min": 3}

CONDITION_CASES = [
    # equals / not_equals / in / not_in on a select_one
    (HQ_OFFICE, {"office": "hq"}, True),
    (HQ_OFFICE, {"office": "country"}, False),
    (HQ_OFFICE, {"office": None}, False),
    (HQ_OFFICE, {"office": ""}, False),
    (HQ_OFFICE, {}, False),
    ({"question": "office", "not_equals": "hq"}, {"office": "country"}, True),
    ({"question": "office", "not_equals": "hq"}, {"office": "hq"}, False),
    ({"question": "office", "not_equals": "hq"}, {"office": None}, True),
    ({"question": "office", "not_equals": "hq"}, {}, True),
    ({"question": "office", "in": ["hq", "regional"]}, {"office": "regional"}, True),
    ({"question": "office", "in": ["hq", "regional"]}, {"office": "country"}, False),
    ({"question": "office", "in": ["hq", "regional"]}, {"office": None}, False),
    ({"question": "office", "not_in": ["hq"]}, {"office": "country"}, True),
    ({"question": "office", "not_in": ["hq"]}, {"office": "hq"}, False),
    ({"question": "office", "not_in": ["hq"]}, {"office": None}, True),
    # a grid item and a number compared as text
    ({"question": "statements.one", "equals": "agree"}, {"statements.one": "agree"}, True),
    ({"question": "statements.one", "equals": "agree"}, {"statements.two": "agree"}, False),
    ({"question": "scale.one", "equals": 0}, {"scale.one": "0"}, True),
    ({"question": "years", "equals": 3}, {"years": "3"}, True),
    ({"question": "years", "equals": 3}, {"years": 3}, True),
    ({"question": "pillars.a", "equals": 1}, {"pillars.a": "1"}, True),
    # contains on a select_multiple: stored 1/0, read from CSV as "1"/"0"
    ({"question": "topics", "contains": "media"}, {"topics.media": 1}, True),
    ({"question": "topics", "contains": "media"}, {"topics.media": "1"}, True),
    ({"question": "topics", "contains": "media"}, {"topics.media": 0}, False),
    ({"question": "topics", "contains": "media"}, {"topics.media": "0"}, False),
    ({"question": "topics", "contains": "media"}, {"topics.media": None}, False),
    ({"question": "topics", "contains": "media"}, {"topics.media": ""}, False),
    ({"question": "topics", "contains": "media"}, {"topics.health": 1}, False),
    # answered
    ({"question": "office", "answered": True}, {"office": "hq"}, True),
    ({"question": "office", "answered": True}, {"office": None}, False),
    ({"question": "office", "answered": True}, {"office": ""}, False),
    ({"question": "office", "answered": True}, {}, False),
    ({"question": "office", "answered": False}, {"office": None}, True),
    ({"question": "office", "answered": False}, {"office": "hq"}, False),
    ({"question": "years", "answered": True}, {"years": 0}, True),
    ({"question": "years", "answered": True}, {"years": "0"}, True),
    ({"question": "topics", "answered": True}, {"topics.health": 0, "topics.media": 0}, False),
    ({"question": "topics", "answered": True}, {"topics.health": "0", "topics.media": "1"}, True),
    ({"question": "topics", "answered": True}, {"topics.health": None}, False),
    ({"question": "topics", "answered": False}, {"topics.health": "0", "topics.media": "0"}, True),
    ({"question": "topics", "answered": False}, {"topics.health": 1, "topics.media": 0}, False),
    ({"question": "statements", "answered": True}, {"statements.two": "dont_know"}, True),
    ({"question": "statements", "answered": True}, {"statements.one": None}, False),
    ({"question": "statements", "answered": False}, {"statements.one": ""}, True),
    ({"question": "statements.one", "answered": True}, {"statements.two": "agree"}, False),
    ({"question": "scale", "answered": True}, {"scale.one": "0", "scale.two": None}, True),
    ({"question": "scale", "answered": True}, {"scale.one": 0}, True),
    ({"question": "scale", "answered": False}, {"scale.one": "0"}, False),
    ({"question": "scale", "answered": False}, {"scale.one": None, "scale.two": ""}, True),
    ({"question": "pillars", "answered": True}, {"pillars.a": "2", "pillars.b": "1"}, True),
    ({"question": "pillars", "answered": True}, {"pillars.a": None, "pillars.b": None}, False),
    # min / max on numbers, as stored and as read from CSV
    (THREE_YEARS, {"years": "3"}, True),
    (THREE_YEARS, {"years": 3}, True),
    (THREE_YEARS, {"years": "12"}, True),
    (THREE_YEARS, {"years": "2"}, False),
    (THREE_YEARS, {"years": 2}, False),
    (THREE_YEARS, {"years": " 4 "}, True),
    (THREE_YEARS, {"years": "three"}, False),
    (THREE_YEARS, {"years": "nan"}, False),
    (THREE_YEARS, {"years": None}, False),
    (THREE_YEARS, {"years": ""}, False),
    (THREE_YEARS, {}, False),
    ({"question": "years", "max": 10}, {"years": "10"}, True),
    ({"question": "years", "max": 10}, {"years": "11"}, False),
    ({"question": "years", "max": 10}, {"years": "ten"}, False),
    ({"question": "years", "max": 10}, {"years": None}, False),
    ({"question": "share", "max": 12.5}, {"share": "12.5"}, True),
    ({"question": "share", "max": 12.5}, {"share": 12.6}, False),
    ({"question": "share", "min": -1}, {"share": "-0.5"}, True),
    ({"question": "pillars.a", "max": 1}, {"pillars.a": "1"}, True),
    ({"question": "pillars.a", "max": 1}, {"pillars.a": 2}, False),
    # combinations
    ({"all": [HQ_OFFICE, THREE_YEARS]}, {"office": "hq", "years": "3"}, True),
    ({"all": [HQ_OFFICE, THREE_YEARS]}, {"office": "hq", "years": "1"}, False),
    ({"all": [HQ_OFFICE, THREE_YEARS]}, {}, False),
    ({"any": [HQ_OFFICE, THREE_YEARS]}, {"office": "country", "years": "3"}, True),
    ({"any": [HQ_OFFICE, THREE_YEARS]}, {"office": "country", "years": "x"}, False),
    ({"any": [HQ_OFFICE, THREE_YEARS]}, {}, False),
    ({"not": HQ_OFFICE}, {"office": "country"}, True),
    ({"not": HQ_OFFICE}, {"office": "hq"}, False),
    ({"not": HQ_OFFICE}, {"office": None}, True),
    ({"not": THREE_YEARS}, {"years": "three"}, True),
    (
        {"all": [{"not": HQ_OFFICE}, {"any": [THREE_YEARS, {"question": "share", "max": 0}]}]},
        {"office": "regional", "share": "0"},
        True,
    ),
]


def _condition_id(case):
    raw, row, expected = case
    words = re.findall(r"[\w.-]+", f"{raw} when {row or 'nothing'} is {expected}")
    return "-".join(word for word in words if word != "question")


@pytest.mark.parametrize(
    "raw, row, expected",
    [pytest.param(*case, id=_condition_id(case)) for case in CONDITION_CASES],
)
def test_condition_holds_on_answers(raw, row, expected):
    assert condition(raw).holds(row) is expected


def test_condition_reads_the_named_column():
    assert condition(HQ_OFFICE) == Condition(
        "equals", question="office", column="office", operand="hq"
    )
    grid = condition({"question": "statements.two", "equals": "agree"})
    assert (grid.question, grid.column) == ("statements", "statements.two")
    assert condition({"question": "office", "in": ["hq"]}).operand == ("hq",)
    assert condition({"question": "years", "equals": 3}).operand == "3"


def test_condition_names_the_questions_it_reads():
    raw = {"all": [HQ_OFFICE, {"not": {"question": "pillars.a", "max": 1}}]}
    assert condition(raw).questions() == {"office", "pillars"}
    assert condition({"question": "scale", "answered": True}).questions() == {"scale"}


def test_condition_built_by_hand_holds():
    hand = Condition("min", question="years", column="years", operand=2)
    assert hand.holds({"years": "2"})
    assert not hand.holds({"years": "two"})
    assert not Condition("not", parts=(hand,)).holds({"years": 5})


# Texts in several languages


def test_translate_falls_back_to_the_first_language():
    text = {"en": "Region", "fr": "Région"}
    assert translate(text, "fr") == "Région"
    assert translate(text, "de") == "Region"
    assert translate(text) == "Region"
    assert translate({"en": "Region"}, "fr") == "Region"
    assert translate(None, "fr") == ""


def test_plain_text_is_in_the_first_language(tmp_path):
    definition = {**valid_definition(), "languages": ["fr", "en"]}
    definition["pages"][0]["questions"][0]["label"] = {"fr": "Bureau", "en": "Office"}
    questionnaire = load_questionnaire(write(tmp_path, definition))
    assert questionnaire.title == {"fr": "Mini survey"}
    q2 = questionnaire.question("q2")
    assert q2.label == {"fr": "Topics"}
    assert translate(q2.label, "en") == "Topics"
    assert q2.choices[0].label == {"fr": "Health"}


def test_text_mapping_follows_the_order_of_languages(tmp_path):
    definition = valid_definition()
    definition["pages"][0]["questions"][0]["label"] = {"fr": "Bureau", "en": "Office"}
    questionnaire = load_questionnaire(write(tmp_path, definition))
    label = questionnaire.question("q1").label
    assert list(label) == ["en", "fr"]
    assert translate(label, "es") == "Office"
    assert translate(label, "fr") == "Bureau"
    assert translate(questionnaire.pages[0].title, "fr") == "Première page"
    assert translate(questionnaire.pages[1].title, "fr") == "Second page"


def test_column_label_joins_question_and_item(tmp_path):
    definition = valid_definition()
    definition["pages"][0]["questions"][2]["items"][0]["label"] = {
        "en": "Statement one",
        "fr": "Énoncé un",
    }
    questionnaire = load_questionnaire(write(tmp_path, definition))
    column = questionnaire.column("q3.one")
    assert column.label("fr") == "Do you agree? - Énoncé un"
    assert column.label() == "Do you agree? - Statement one"
    assert questionnaire.column("q2.media").label("fr") == "Topics - Media"


# Versions


def test_same_content_has_the_same_version(tmp_path):
    first = load_questionnaire(write(tmp_path, valid_definition(), "a.yaml"))
    reordered = dict(reversed(list(valid_definition().items())))
    text = "# a comment changes nothing\n" + yaml.safe_dump(reordered, default_flow_style=True)
    other = tmp_path / "b.yaml"
    other.write_text(text, "utf-8")
    second = load_questionnaire(other)
    assert first.version == second.version
    assert re.fullmatch(r"[0-9a-f]{16}", first.version)


@pytest.mark.parametrize(
    "change",
    [
        on_question("q1", label={"en": "Office", "fr": "Lieu de travail"}),
        on_question("q6", label="Why not?"),
        on_agreement(2, label="Cannot say"),
        on_question("q4", max=60),
        on_survey(closes=date(2026, 11, 23)),
    ],
    ids=["label-in-french", "label", "choice-label", "bound", "schedule"],
)
def test_changed_content_has_a_new_version(tmp_path, change):
    before = load_questionnaire(write(tmp_path, valid_definition(), "a.yaml"))
    definition = valid_definition()
    change(definition)
    after = load_questionnaire(write(tmp_path, definition, "b.yaml"))
    assert after.version != before.version
