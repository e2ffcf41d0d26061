"""Question types: one description per type, asked by everything else; the date type."""

from __future__ import annotations

import ast
import re
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import yaml
from werkzeug.datastructures import MultiDict
from wtforms import validators
from wtforms.fields import StringField

from surveyapp.questionnaire.answers import NOT_SHOWN, check_answers
from surveyapp.questionnaire.conditions import parse_condition
from surveyapp.questionnaire.dictionary import data_dictionary
from surveyapp.questionnaire.forms import (
    answers_formdata,
    form_answers,
    formdata_answers,
    page_form_class,
)
from surveyapp.questionnaire.loading import load_questionnaire, parse_questionnaire
from surveyapp.questionnaire.model import QuestionnaireError
from surveyapp.questionnaire.synthetic import synthetic_responses
from surveyapp.questionnaire.types import GIVE_A_DATE, QUESTION_TYPES, QuestionType
from surveyapp.store.responses import completed_responses, response_table

ROOT = Path(__file__).resolve().parent.parent

QUESTIONNAIRE_PACKAGE = ROOT / "surveyapp" / "questionnaire"
TYPES_PACKAGE = QUESTIONNAIRE_PACKAGE / "types"
WIDGETS = ROOT / "surveyapp" / "web" / "widgets.py"
TEMPLATE = ROOT / "surveyapp" / "web" / "templates" / "respond" / "_questions.html"
CHOICES = [{"name": "hq", "label": "Headquarters"}, {"name": "country", "label": "Country"}]
ITEMS = [{"name": "a", "label": "Item A"}, {"name": "b", "label": "Item B"}]

# One question of every type and appearance.
EVERY_TYPE = parse_questionnaire(
    {
        "id": "every",
        "title": "Every type",
        "pages": [
            {
                "name": "all",
                "questions": [
                    {
                        "name": "office",
                        "type": "select_one",
                        "label": "Office",
                        "choices": CHOICES,
                    },
                    {
                        "name": "unit",
                        "type": "select_one",
                        "appearance": "dropdown",
                        "label": "Unit",
                        "choices": CHOICES,
                    },
                    {
                        "name": "topics",
                        "type": "select_multiple",
                        "label": "T",
                        "choices": CHOICES,
                    },
                    {
                        "name": "scale",
                        "type": "grid",
                        "label": "Scale",
                        "choices": CHOICES,
                        "items": ITEMS,
                    },
                    {"name": "order", "type": "rank", "label": "Order", "items": ITEMS},
                    {"name": "why", "type": "text", "label": "Why?"},
                    {"name": "more", "type": "text", "appearance": "multiline", "label": "More"},
                    {"name": "years", "type": "integer", "label": "Years", "min": 0, "max": 9},
                    {"name": "share", "type": "decimal", "label": "Share", "max": 1.5},
                    {"name": "intro", "type": "note", "label": "A note"},
                    {"name": "started", "type": "date", "label": "Started"},
                ],
            }
        ],
    }
)
EVERY = {q.name: q for q in EVERY_TYPE.questions}

DATES = {
    "id": "dates",
    "title": "Dates",
    "pages": [
        {
            "name": "when",
            "questions": [
                {
                    "name": "started",
                    "type": "date",
                    "label": "When did you start?",
                    "required": True,
                    "min": date(2020, 1, 1),
                    "max": "2026-12-31",
                },
                {"name": "ended", "type": "date", "label": "When did it end?"},
            ],
        },
        {
            "name": "early",
            "questions": [
                {
                    "name": "why_early",
                    "type": "text",
                    "label": "Why so early?",
                    "relevant": {"question": "started", "max": date(2021, 12, 31)},
                }
            ],
        },
    ],
}


def dates_questionnaire(**changes):
    definition = yaml.safe_load(yaml.safe_dump(DATES))
    definition["pages"][0]["questions"][0].update(changes)
    return parse_questionnaire(definition, "dates.yaml")


def bound_form(questionnaire, data, page=0):
    page = questionnaire.pages[page]
    form = page_form_class(page, list(page.questions), None)(formdata=MultiDict(data))
    return form, form.validate()


# The registry and the rule that everything else asks it


def test_every_type_is_registered_under_its_name():
    assert list(QUESTION_TYPES) == [
        "select_one",
        "select_multiple",
        "grid",
        "rank",
        "text",
        "integer",
        "decimal",
        "note",
        "date",
    ]
    for name, kind in QUESTION_TYPES.items():
        assert isinstance(kind, QuestionType) and kind.name == name
    assert EVERY["scale"].kind is QUESTION_TYPES["grid"]


FLAGS = {
    # name: (is_answer, single_choice, open_text, scale_grid, has_choices, has_items, numeric)
    "select_one": (True, True, False, False, True, False, False),
    "select_multiple": (True, False, False, False, True, False, False),
    "grid": (True, False, False, True, True, True, False),
    "rank": (True, False, False, False, False, True, False),
    "text": (True, False, True, False, False, False, False),
    "integer": (True, False, False, False, False, False, True),
    "decimal": (True, False, False, False, False, False, True),
    "note": (False, False, False, False, False, False, False),
    "date": (True, False, False, False, False, False, False),
}


@pytest.mark.parametrize("name", FLAGS)
def test_types_classify_themselves_for_the_analysis(name):
    kind = QUESTION_TYPES[name]
    flags = ("is_answer", "single_choice", "open_text", "scale_grid")
    flags += ("has_choices", "has_items", "numeric")
    assert tuple(getattr(kind, flag) for flag in flags) == FLAGS[name]


SQL_TYPES = {
    "select_one": str,
    "select_multiple": int,
    "grid": str,
    "rank": int,
    "text": str,
    "integer": int,
    "decimal": float,
    "date": str,
}


@pytest.mark.parametrize("name", SQL_TYPES)
def test_columns_take_the_sql_type_of_their_question_type(name):
    question = next(q for q in EVERY_TYPE.questions if q.type == name)
    assert {column.sql_type for column in question.columns()} == {SQL_TYPES[name]}


def test_every_type_is_documented_in_the_format_readme():
    readme = (ROOT / "questionnaires" / "README.md").read_text(encoding="utf-8")
    assert [n for n in QUESTION_TYPES if f"\n| `{n}` |" not in readme] == []


def test_every_type_and_appearance_is_rendered_by_its_macro(app):
    template = app.jinja_env.get_template("respond/_questions.html").module
    form = page_form_class(EVERY_TYPE.pages[0], EVERY_TYPE.questions, None)()
    for question in EVERY_TYPE.questions:
        html = str(template.render_question(question, form, None))
        assert f'id="q-{question.name}"' in html, question.name
        assert question.label["en"] in html, question.name


def _compares_a_type(node: ast.AST) -> bool:
    """Whether an expression is a question's type (`q.type`, `kind`) or a type's name."""
    if isinstance(node, ast.Attribute) and node.attr in ("type", "kind"):
        return True
    if isinstance(node, ast.Name) and node.id in ("type", "kind"):
        return True
    if isinstance(node, ast.Constant):
        return node.value in QUESTION_TYPES
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return any(_compares_a_type(element) for element in node.elts)
    return False


def type_checks(path) -> list[str]:
    """Return the lines of a module that compare question types or test a type's class."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            is_none = any(isinstance(o, ast.Constant) and o.value is None for o in operands)
            if not is_none and any(_compares_a_type(o) for o in operands):
                found.append(f"{path.name}:{node.lineno}")
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "isinstance":
            classes = ast.unparse(node.args[1]) if len(node.args) == 2 else ""
            if re.search(r"\b(?!QuestionType\b)\w+Type\b", classes):
                found.append(f"{path.name}:{node.lineno}")
    return found


def test_only_the_types_module_compares_question_types():
    modules = [
        p for p in sorted(QUESTIONNAIRE_PACKAGE.rglob("*.py")) if TYPES_PACKAGE not in p.parents
    ]
    assert [line for path in [*modules, WIDGETS] for line in type_checks(path)] == []
    template = TEMPLATE.read_text(encoding="utf-8")
    names = "|".join(QUESTION_TYPES)
    compares = rf"""(\btype|\bkind)\s*(==|!=|\bin\b|\bnot\s+in\b)|(==|!=)\s*["']({names})["']"""
    assert re.findall(compares, template) == []


def test_the_type_check_finds_what_it_forbids(tmp_path):
    module = tmp_path / "offender.py"
    module.write_text(
        "a = q.type == 'grid'\nb = q.kind in (x, y)\nc = 'rank' != name\n"
        "d = name in ('date', 'other')\ne = isinstance(k, RankType)\n"
        "f = kind is None\ng = test in ('min', 'max')\nh = isinstance(k, QuestionType)\n",
        encoding="utf-8",
    )
    assert type_checks(module) == [f"offender.py:{n}" for n in range(1, 6)]


def test_only_the_types_module_spells_column_ids():
    spelled = re.compile(r"\}\.\{|~\s*[\"']\.[\"']\s*~")
    files = [*sorted(QUESTIONNAIRE_PACKAGE.rglob("*.py")), WIDGETS, TEMPLATE]
    found = [
        f"{path.name}:{number}"
        for path in files
        if TYPES_PACKAGE not in path.parents
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if spelled.search(line)
    ]
    assert found == []


def test_the_words_chosen_and_not_chosen_live_in_one_place():
    files = [*sorted(QUESTIONNAIRE_PACKAGE.rglob("*.py")), WIDGETS, TEMPLATE]
    found = [p for p in files if re.search(r"[\"'](not )?chosen[\"']", p.read_text())]
    assert found == [TYPES_PACKAGE / "base.py"]


# What each type says about its columns and values


def test_a_part_names_its_column():
    topics, scale = EVERY["topics"], EVERY["scale"]
    assert topics.column_of("country").name == "topics.country"
    assert topics.column_of(topics.choices[0]) is topics.columns()[0]
    assert scale.column_of(scale.items[1]).item is scale.items[1]
    assert EVERY["order"].column_of("b").name == "order.b"
    with pytest.raises(KeyError):
        EVERY["office"].column_of("hq")


VALUE_LABELS = {
    "office": {"hq": "Headquarters", "country": "Country"},
    "scale": {"hq": "Headquarters", "country": "Country"},
    "topics": {0: "not chosen", 1: "chosen"},
    "order": {1: "rank 1", 2: "rank 2"},
    "why": None,
    "years": None,
    "started": None,
}


@pytest.mark.parametrize("name", VALUE_LABELS)
def test_value_labels_say_what_stored_values_mean(name):
    question = EVERY[name]
    assert question.kind.value_labels(question, "en") == VALUE_LABELS[name]


def test_a_question_hidden_but_answered_counts_only_real_answers():
    topics, scale = EVERY["topics"], EVERY["scale"]
    unticked = {"topics.hq": 0, "topics.country": "0"}
    assert topics.kind.given_columns(topics, unticked) == []
    assert topics.kind.given_columns(topics, {"topics.country": 1}) == ["topics.country"]
    assert scale.kind.given_columns(scale, {"scale.a": "", "scale.b": "hq"}) == ["scale.b"]


@pytest.mark.parametrize(
    "name, value, problem",
    [
        ("topics", "1", None),
        ("topics", "0", None),
        ("topics", "", None),
        ("topics", "yes", "must be 0, 1 or empty"),
        ("topics", "2", "must be 0, 1 or empty"),
        ("years", "many", None),  # left to the form's check
        ("started", "soon", None),
    ],
)
def test_an_imported_cell_is_checked_before_the_form(name, value, problem):
    assert EVERY[name].kind.import_problem(value) == problem


def test_failed_columns_are_those_of_the_fields_that_failed():
    page = EVERY_TYPE.pages[0]
    data = {"topics": ["abroad"], "scale.a": "maybe", "scale.b": "hq"}
    data |= {"order.a": "1", "order.b": "1", "years": "10", "started": "soon"}
    form = page_form_class(page, page.questions, None)(formdata=MultiDict(data))
    assert not form.validate()
    failed = {q.name: q.kind.failed_columns(form, q) for q in page.questions}
    assert failed == {
        "office": [],
        "unit": [],
        "topics": ["topics.hq", "topics.country"],
        "scale": ["scale.a"],
        "order": ["order.a", "order.b"],  # a rank fails as a whole
        "why": [],
        "more": [],
        "years": ["years"],
        "share": [],
        "intro": [],
        "started": ["started"],
    }


def test_example_answers_of_every_type_pass_the_form_and_come_back():
    page = EVERY_TYPE.pages[0]
    data = MultiDict()
    for question in page.questions:
        for name, value in question.kind.example_formdata(question).items():
            for one in value if isinstance(value, list) else [value]:
                data.add(name, one)
    form_class = page_form_class(page, page.questions, None)
    form = form_class(formdata=data)
    assert form.validate(), form.errors
    row = form_answers(form, page.questions)
    assert set(row) == {c.name for c in EVERY_TYPE.columns()}
    assert all(value is not None for value in row.values())
    assert row["order.b"] == 2 and row["topics.hq"] == 1 and row["started"] == "2026-11-02"
    again = form_class(formdata=answers_formdata(page.questions, row))
    assert again.validate() and form_answers(again, page.questions) == row
    assert formdata_answers(page.questions, data)["topics.country"] == 0


def test_synthetic_numbers_stay_within_their_bounds():
    definition = {
        "id": "numbers",
        "title": "Numbers",
        "pages": [
            {
                "name": "only",
                "questions": [
                    {"name": "share", "type": "decimal", "label": "S", "min": 0.5, "max": 0.7},
                    {"name": "big", "type": "integer", "label": "B", "min": 500},
                    {"name": "low", "type": "integer", "label": "L", "max": -5},
                    {"name": "none", "type": "decimal", "label": "N"},
                ],
            }
        ],
    }
    frame = synthetic_responses(parse_questionnaire(definition), 200, seed=2)
    assert frame["share"].between(0.5, 0.7).all() and frame["share"].nunique() > 1
    assert frame["big"].between(500, 600).all()
    assert frame["low"].between(-105, -5).all()
    assert frame["none"].between(0, 100).all()


# The date type: its definition


def test_a_date_question_loads_with_its_bounds_as_dates(tmp_path):
    path = tmp_path / "dates.yaml"
    path.write_text(yaml.safe_dump(DATES), encoding="utf-8")
    questionnaire = load_questionnaire(path)
    started = questionnaire.question("started")
    assert (started.type, started.min, started.max) == (
        "date",
        date(2020, 1, 1),
        date(2026, 12, 31),
    )
    assert started.required and started.kind is QUESTION_TYPES["date"]
    assert [c.name for c in questionnaire.columns()] == ["started", "ended", "why_early"]
    assert questionnaire.question("ended").min is None


@pytest.mark.parametrize(
    "changes, phrase",
    [
        ({"min": "2026-13-01"}, "question 'started': min must be a date such as 2026-11-02"),
        ({"max": "31/12/2026"}, "max must be a date such as 2026-11-02, not '31/12/2026'"),
        ({"min": "2026-1-5"}, "min must be a date such as 2026-11-02, not '2026-1-5'"),
        ({"min": 2026}, "min must be a date such as 2026-11-02"),
        ({"min": True}, "min must be a date such as 2026-11-02"),
        ({"min": "2026-11-02T10:00:00"}, "min must be a date such as 2026-11-02"),
        ({"min": "2027-01-01"}, "min 2027-01-01 is greater than max 2026-12-31"),
        ({"choices": CHOICES}, "'choices' does not apply to a date question"),
        ({"max_length": 10}, "'max_length' does not apply to a date question"),
        ({"appearance": "multiline"}, "'appearance' does not apply to a date question"),
    ],
    ids=lambda value: re.sub(r"\W+", "-", str(value))[:40],
)
def test_a_bad_date_definition_is_refused_naming_its_place(changes, phrase):
    with pytest.raises(QuestionnaireError) as error:
        dates_questionnaire(**changes)
    assert str(error.value).startswith("dates.yaml: question 'started': ")
    assert phrase in str(error.value)


def test_a_date_and_time_in_yaml_is_not_a_date_bound(tmp_path):
    path = tmp_path / "dates.yaml"
    text = yaml.safe_dump(DATES).replace("min: 2020-01-01", "min: 2020-01-01 10:00:00")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(QuestionnaireError, match="question 'started': min must be a date such"):
        load_questionnaire(path)


def test_an_impossible_date_bound_in_yaml_names_its_line(tmp_path):
    path = tmp_path / "dates.yaml"
    text = yaml.safe_dump(DATES).replace("max: '2026-12-31'", "max: 2026-02-30")
    assert "2026-02-30" in text
    path.write_text(text, encoding="utf-8")
    with pytest.raises(QuestionnaireError, match=r"line \d+.*'2026-02-30' is not a valid date"):
        load_questionnaire(path)


@pytest.mark.parametrize("junk", [None, "", "Bad Name", 0, 1.5, True, [], {}, ["x"], {"x": 1}])
@pytest.mark.parametrize("key", ["min", "max", "required", "label"])
def test_any_wrong_value_in_a_date_question_is_refused_without_a_traceback(junk, key):
    try:
        dates_questionnaire(**{key: junk})
    except QuestionnaireError as error:
        assert str(error).startswith("dates.yaml: ")


# The date type: its form field


@pytest.mark.parametrize(
    "given, stored",
    [
        ("2026-11-02", "2026-11-02"),
        (" 2020-01-01 ", "2020-01-01"),
        ("2026-12-31", "2026-12-31"),
        ("2024-02-29", "2024-02-29"),
    ],
)
def test_a_good_date_is_stored_as_iso_text(given, stored):
    questionnaire = dates_questionnaire()
    form, valid = bound_form(questionnaire, {"started": given})
    assert valid, form.errors
    assert form_answers(form, list(questionnaire.pages[0].questions)) == {
        "started": stored,
        "ended": None,
    }


@pytest.mark.parametrize(
    "given, message",
    [
        ("02/11/2026", GIVE_A_DATE),
        ("2026-1-2", GIVE_A_DATE),
        ("2026-13-01", GIVE_A_DATE),
        ("2023-02-29", GIVE_A_DATE),
        ("tomorrow", GIVE_A_DATE),
        ("2026-11-02T10:00", GIVE_A_DATE),
        ("٢٠٢٦-١١-٠٢", GIVE_A_DATE),  # digits of another script
        ("20261102", GIVE_A_DATE),
        ("2019-12-31", "Please give a date from 2020-01-01 to 2026-12-31."),
        ("2027-01-01", "Please give a date from 2020-01-01 to 2026-12-31."),
        ("", "Please answer this question."),
        ("   ", "Please answer this question."),
    ],
)
def test_a_bad_date_is_refused_with_a_clear_message(given, message):
    form, valid = bound_form(dates_questionnaire(), {"started": given})
    assert not valid
    assert form.errors == {"started": [message]}


@pytest.mark.parametrize(
    "bounds, given, message",
    [
        ({"max": None}, "2019-12-31", "Please give a date on or after 2020-01-01."),
        ({"min": None}, "2027-01-01", "Please give a date on or before 2026-12-31."),
    ],
)
def test_a_date_beyond_one_bound_names_that_bound(bounds, given, message):
    form, valid = bound_form(dates_questionnaire(**bounds), {"started": given})
    assert form.errors == {"started": [message]}


def test_an_optional_date_may_be_left_empty_but_not_malformed():
    questionnaire = dates_questionnaire()
    form, valid = bound_form(questionnaire, {"started": "2026-11-02", "ended": ""})
    assert valid and form_answers(form, list(questionnaire.pages[0].questions))["ended"] is None
    form, valid = bound_form(questionnaire, {"started": "2026-11-02", "ended": "2026-11"})
    assert form.errors == {"ended": [GIVE_A_DATE]}


def test_a_stored_date_comes_back_to_the_form():
    questionnaire = dates_questionnaire()
    questions = list(questionnaire.pages[0].questions)
    data = answers_formdata(questions, {"started": "2026-11-02", "ended": None})
    assert data.to_dict(flat=False) == {"started": ["2026-11-02"]}
    form = page_form_class(questionnaire.pages[0], questions, None)(formdata=data)
    assert form.validate() and form["started"]._value() == "2026-11-02"


def test_a_date_is_shown_as_a_date_input_that_works_as_text(app):
    questionnaire = dates_questionnaire()
    page = questionnaire.pages[0]
    template = app.jinja_env.get_template("respond/_questions.html").module
    form = page_form_class(page, list(page.questions), None)(formdata=MultiDict({"started": "x"}))
    form.validate()
    html = str(template.render_question(questionnaire.question("started"), form, None))
    assert re.search(r'<input type="date" id="started" name="started" value="x"', html)
    assert 'min="2020-01-01"' in html and 'max="2026-12-31"' in html
    assert '<label class="question-label" for="started">When did you start?' in html
    assert str(GIVE_A_DATE) in html and 'aria-invalid="true"' in html
    assert "(2020-01-01 to 2026-12-31)" in html


# The date type: whole answers, the dictionary, synthetic answers, conditions


def test_whole_answers_with_dates_are_checked_like_the_form():
    questionnaire = dates_questionnaire()
    clean, errors, first_bad = check_answers(questionnaire, {"started": "2021-05-01"})
    assert errors == {} and clean == {"started": "2021-05-01", "ended": None, "why_early": None}
    clean, errors, first_bad = check_answers(
        questionnaire, {"started": "2026-02-30", "ended": "2026-05-01"}
    )
    assert errors == {"started": [GIVE_A_DATE]} and first_bad == 0
    late = {"started": "2025-05-01", "why_early": "Because"}
    assert check_answers(questionnaire, late)[1] == {"why_early": [NOT_SHOWN]}
    early = {"started": "2020-05-01", "why_early": "Because"}
    assert check_answers(questionnaire, early)[0]["why_early"] == "Because"


def test_the_dictionary_describes_a_date_column():
    dictionary = data_dictionary(dates_questionnaire())
    row = dictionary.set_index("column").loc["started"]
    assert (row["type"], row["choices"], row["label"]) == (
        "date",
        "ISO date (YYYY-MM-DD)",
        "When did you start?",
    )


def test_synthetic_dates_lie_within_the_bounds():
    frame = synthetic_responses(dates_questionnaire(), 300, seed=4)
    started = frame["started"]
    assert started.map(lambda value: date.fromisoformat(value).isoformat() == value).all()
    assert started.between("2020-01-01", "2026-12-31").all() and started.nunique() > 100
    ended = frame["ended"].map(date.fromisoformat)
    assert (ended.max() - ended.min()).days <= 364
    early = frame["started"] <= "2021-12-31"
    assert frame.loc[~early, "why_early"].isna().all()
    assert frame.loc[early, "why_early"].notna().all()


@pytest.mark.parametrize(
    "bounds, low, high",
    [
        ({"min": "2026-03-01", "max": None}, "2026-03-01", "2027-02-28"),
        ({"min": None, "max": "2026-03-01"}, "2025-03-02", "2026-03-01"),
    ],
)
def test_synthetic_dates_with_one_bound_span_a_year(bounds, low, high):
    frame = synthetic_responses(dates_questionnaire(**bounds), 300, seed=5)
    assert frame["started"].between(low, high).all()


DATE_CONDITIONS = [
    ({"question": "started", "min": date(2026, 1, 1)}, {"started": "2026-01-01"}, True),
    ({"question": "started", "min": "2026-01-01"}, {"started": "2025-12-31"}, False),
    ({"question": "started", "max": date(2026, 1, 1)}, {"started": "2025-12-31"}, True),
    ({"question": "started", "max": date(2026, 1, 1)}, {"started": "2026-01-02"}, False),
    ({"question": "started", "max": date(2026, 1, 1)}, {"started": "1/1/2025"}, False),
    ({"question": "started", "max": date(2026, 1, 1)}, {"started": None}, False),
    ({"question": "started", "equals": date(2026, 1, 1)}, {"started": "2026-01-01"}, True),
    ({"question": "started", "in": ["2026-01-01"]}, {"started": "2026-01-02"}, False),
    ({"question": "started", "answered": True}, {"started": "2026-01-02"}, True),
]


@pytest.mark.parametrize("raw, row, expected", DATE_CONDITIONS)
def test_conditions_compare_dates(raw, row, expected):
    earlier = {q.name: q for q in dates_questionnaire().questions}
    assert parse_condition(raw, earlier).holds(row) is expected


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"question": "started", "min": 3}, "'min' must be a date such as 2026-11-02"),
        ({"question": "started", "max": "soon"}, "'max' must be a date such as 2026-11-02"),
        ({"question": "started", "equals": "soon"}, "'equals' must be a date such as"),
        ({"question": "started", "contains": "x"}, "'contains' applies to a select_multiple"),
    ],
)
def test_a_bad_condition_on_a_date_is_refused(raw, message):
    earlier = {q.name: q for q in dates_questionnaire().questions}
    with pytest.raises(ValueError, match=message):
        parse_condition(raw, earlier)


def test_a_number_condition_names_every_type_it_applies_to():
    with pytest.raises(ValueError, match="'max' applies to a rank, integer, decimal or date"):
        parse_condition({"question": "why", "max": 3}, EVERY)


def test_conditions_read_a_choice_column_and_count_answers_as_the_type_does():
    contains = parse_condition({"question": "topics", "contains": "country"}, EVERY)
    assert contains.column == "topics.country"
    answered = parse_condition({"question": "topics", "answered": True}, EVERY)
    assert not answered.holds({"topics.hq": 0, "topics.country": "0", "topics.old": 1})
    assert answered.holds({"topics.hq": "0", "topics.country": 1})
    scale = parse_condition({"question": "scale", "answered": True}, EVERY)
    assert scale.holds({"scale.b": "0"})


# The date type through the web form and the store


@pytest.fixture
def questionnaire_dir(questionnaire_dir):
    """The usual questionnaires and the dates one."""
    (questionnaire_dir / "dates.yaml").write_text(yaml.safe_dump(DATES), encoding="utf-8")
    return questionnaire_dir


def test_a_respondent_answers_a_date_and_it_is_stored_as_text(app, db, invite, respondent):
    person = respondent(invite("dates"))
    assert 'type="date"' in person.page.get_data(as_text=True)
    page = person.submit({"started": "2 Nov 2026"}).get_data(as_text=True)
    assert str(GIVE_A_DATE) in page
    person.submit({"started": "2020-06-01", "ended": "2021-01-31"})
    person.submit({"why_early": "A pilot"})
    columns = db[response_table("dates")].columns_dict
    assert columns["started"] is str and columns["ended"] is str
    frame = completed_responses(db, app.extensions["questionnaires"]["dates"])
    assert frame[["started", "ended", "why_early"]].to_dict("records") == [
        {"started": "2020-06-01", "ended": "2021-01-31", "why_early": "A pilot"}
    ]
    assert np.asarray(frame["started"]).dtype == object


@pytest.mark.parametrize("appearance", [None, "multiline"])
@pytest.mark.parametrize("given", ["", "   ", "\n\t"])
def test_a_required_text_needs_more_than_spaces(appearance, given):
    question = {"name": "why", "type": "text", "label": "Why?", "required": True}
    if appearance:
        question["appearance"] = appearance
    definition = {"id": "t", "title": "T", "pages": [{"name": "p", "questions": [question]}]}
    form, valid = bound_form(parse_questionnaire(definition), {"why": given})
    assert form.errors == {"why": ["Please answer this question."]}
    form, valid = bound_form(parse_questionnaire(definition), {"why": " 0 "})
    assert valid and form.data["why"] == "0"


def test_two_messages_of_one_field_share_one_described_paragraph(app):
    template = app.jinja_env.get_template("respond/_questions.html").module
    page = EVERY_TYPE.pages[0]
    form = page_form_class(page, page.questions, None)(formdata=MultiDict({"years": "many"}))
    form.validate()
    form["years"].errors = ["Please give a whole number.", "Please give a smaller number."]
    html = str(template.render_question(EVERY["years"], form, None))
    assert html.count('id="years-error"') == 1
    assert 'aria-describedby="years-error"' in html
    assert all(message in html for message in form.errors["years"])


@pytest.mark.parametrize(
    ("definition", "given", "message"),
    [
        ({"type": "integer", "min": 1, "max": 365}, "many", "Please give a whole number."),
        ({"type": "decimal", "min": 0, "max": 1}, "half", "Please give a number, such as 2.5."),
        ({"type": "date", "min": "2016-01-01", "max": "2020-12-31"}, "soon", GIVE_A_DATE),
    ],
)
def test_an_unreadable_answer_gets_one_message_not_also_the_range(definition, given, message):
    question = {"name": "q", "label": "Q?", **definition}
    questionnaire = parse_questionnaire(
        {"id": "t", "title": "T", "pages": [{"name": "p", "questions": [question]}]}
    )
    form, valid = bound_form(questionnaire, {"q": given})
    assert not valid
    assert form.errors == {"q": [message]}


class Email(QuestionType):
    """A type added by a test, as a new type is added: its description and nothing else."""

    name = "email"
    value_format = "an e-mail address"

    def fields(self, question, language):
        address = validators.Regexp(r"[^@\s]+@[^@\s]+\Z", message="Please give an address.")
        return {question.name: StringField("Address", validators=[validators.Optional(), address])}

    def synthetic(self, question, count, rng):
        return {question.name: np.array([f"p{n}@example.org" for n in range(count)], dtype=object)}

    def widget(self, question):
        return "text"


def test_a_new_type_needs_nothing_but_its_description(monkeypatch):
    monkeypatch.setitem(QUESTION_TYPES, "email", Email())
    definition = {
        "id": "contacts",
        "title": "Contacts",
        "pages": [
            {
                "name": "only",
                "questions": [
                    {"name": "mail", "type": "email", "label": "Your address"},
                    {
                        "name": "why",
                        "type": "text",
                        "label": "Why?",
                        "relevant": {"question": "mail", "answered": True},
                    },
                ],
            }
        ],
    }
    questionnaire = parse_questionnaire(definition)
    assert [c.name for c in questionnaire.columns()] == ["mail", "why"]
    assert check_answers(questionnaire, {"mail": "a@b.org", "why": "x"})[1] == {}
    assert check_answers(questionnaire, {"mail": "nobody"})[1] == {
        "mail": ["Please give an address."]
    }
    row = data_dictionary(questionnaire).set_index("column").loc["mail"]
    assert (row["type"], row["choices"]) == ("email", "an e-mail address")
    assert synthetic_responses(questionnaire, 3)["mail"].tolist()[0] == "p0@example.org"
    definition["pages"][0]["questions"][0]["min"] = 1
    with pytest.raises(QuestionnaireError, match="'min' does not apply to a email question"):
        parse_questionnaire(definition)
    definition["pages"][0]["questions"][0]["type"] = "phone"
    with pytest.raises(QuestionnaireError, match="is not one of select_one, .*, date, email"):
        parse_questionnaire(definition)


@pytest.mark.parametrize(
    "bounds, given",
    [({}, "1"), ({"min": 0, "max": 0}, "0"), ({"min": 1.5}, "2.5"), ({"max": -3}, "-102")],
)
def test_an_example_number_lies_within_the_bounds(bounds, given):
    question = {"name": "n", "type": "decimal", "label": "N", **bounds}
    definition = {"id": "n", "title": "N", "pages": [{"name": "p", "questions": [question]}]}
    number = parse_questionnaire(definition).question("n")
    assert number.kind.example_formdata(number) == {"n": given}


@pytest.mark.parametrize(
    "path",
    ["questionnaires/staff.yaml", "questionnaires/constituents.yaml", "tests/data/demo.yaml"],
)
def test_synthetic_responses_pass_the_forms_own_checks(path):
    """Synthetic answers are valid answers: bounds on choices, ranks and numbers included."""
    questionnaire = load_questionnaire(Path(__file__).resolve().parent.parent / path)
    frame = synthetic_responses(questionnaire, 200, seed=7)
    for row in frame.to_dict("records"):
        answers = {k: v for k, v in row.items() if v is not None and v == v}
        _clean, errors, _ = check_answers(questionnaire, answers, strict=True)
        assert not errors, (row["response_id"], errors)


def test_synthetic_multiple_choices_respect_min_and_max():
    questionnaire = parse_questionnaire(
        {
            "id": "bounds",
            "title": "Bounds",
            "pages": [
                {
                    "name": "one",
                    "questions": [
                        {
                            "name": "topics",
                            "type": "select_multiple",
                            "label": "Topics",
                            "min_choices": 2,
                            "max_choices": 3,
                            "choices": [{"name": n, "label": n} for n in "abcdef"],
                        }
                    ],
                }
            ],
        }
    )
    frame = synthetic_responses(questionnaire, 500, seed=1)
    chosen = frame[[c.name for c in questionnaire.columns()]].sum(axis=1)
    assert chosen.between(2, 3).all()
    assert set(chosen) == {2, 3}
