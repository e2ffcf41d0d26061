"""XLSForm `relevant` expressions read as the questionnaire's conditions, and written back."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner
from pyxform.xls2xform import convert

from surveyapp.cli import main
from surveyapp.questionnaire.loading import parse_questionnaire
from surveyapp.questionnaire.model import QuestionnaireError
from surveyapp.xlsform.errors import XLSFormError
from surveyapp.xlsform.relevant import from_condition, to_condition

ROOT = Path(__file__).resolve().parent.parent
OFFICE_IS_HQ = {"question": "office", "equals": "hq"}

READ = [
    ("${office} = 'hq'", OFFICE_IS_HQ),
    ('${office}="hq"', OFFICE_IS_HQ),
    ("  ${office}   =   'hq'  ", OFFICE_IS_HQ),
    ("'hq' = ${office}", OFFICE_IS_HQ),
    ("(${office} = 'hq')", OFFICE_IS_HQ),
    ("${office} != 'hq'", {"question": "office", "not_equals": "hq"}),
    ('${office} = "it\'s"', {"question": "office", "equals": "it's"}),
    ("${office}=\u2018hq\u2019", OFFICE_IS_HQ),  # as a spreadsheet may write it
    ("selected(${office}, \u201chq\u201d)", {"question": "office", "contains": "hq"}),
    ("${office} = '5'", {"question": "office", "equals": "5"}),
    ("${count} = 3", {"question": "count", "equals": 3}),
    ("selected(${partners}, 'media')", {"question": "partners", "contains": "media"}),
    ('selected( ${partners} , "media" )', {"question": "partners", "contains": "media"}),
    ("${age} >= 18", {"question": "age", "min": 18}),
    ("${age} <= 65", {"question": "age", "max": 65}),
    ("${age} > 17.5", {"question": "age", "above": 17.5}),
    ("${age} < 65", {"question": "age", "below": 65}),
    ("${age} >= -2", {"question": "age", "min": -2}),
    ("${age} >= '18'", {"question": "age", "min": 18}),
    ("18 <= ${age}", {"question": "age", "min": 18}),
    ("18 > ${age}", {"question": "age", "below": 18}),
    ("${age} >= 2 and ${age} <= 10", {"question": "age", "min": 2, "max": 10}),
    ("${age} < 10 and ${age} > 2", {"question": "age", "above": 2, "below": 10}),
    ("${started} <= date('2026-01-31')", {"question": "started", "max": date(2026, 1, 31)}),
    ("${started} > '2026-01-31'", {"question": "started", "above": date(2026, 1, 31)}),
    ("${office} = ''", {"question": "office", "answered": False}),
    ('${office} != ""', {"question": "office", "answered": True}),
    ("count-selected(${partners}) > 0", {"question": "partners", "answered": True}),
    ("count-selected(${partners}) >= 1", {"question": "partners", "answered": True}),
    ("count-selected(${partners}) = 0", {"question": "partners", "answered": False}),
    ("${office} = 'a' or ${office} = 'b'", {"question": "office", "in": ["a", "b"]}),
    ("${office} != 'a' and ${office} != 'b'", {"question": "office", "not_in": ["a", "b"]}),
    ("not(${office} = 'hq')", {"not": OFFICE_IS_HQ}),
    ("not (${office} = 'hq')", {"not": OFFICE_IS_HQ}),
    (
        "${office} = 'hq' and selected(${partners}, 'media')",
        {"all": [OFFICE_IS_HQ, {"question": "partners", "contains": "media"}]},
    ),
    (
        "${office} = 'hq' or ${age} > 40 and ${age} != ''",
        {
            "any": [
                OFFICE_IS_HQ,
                {"all": [{"question": "age", "above": 40}, {"question": "age", "answered": True}]},
            ]
        },
    ),
    (
        "(${office} = 'hq' or ${age} > 40) and not(selected(${partners}, 'media'))",
        {
            "all": [
                {"any": [OFFICE_IS_HQ, {"question": "age", "above": 40}]},
                {"not": {"question": "partners", "contains": "media"}},
            ]
        },
    ),
    (
        "(${a} = 'x' and ${b} = 'y') and ${c} = 'z'",
        {
            "all": [
                {"all": [{"question": "a", "equals": "x"}, {"question": "b", "equals": "y"}]},
                {"question": "c", "equals": "z"},
            ]
        },
    ),
    ("", None),
    ("   ", None),
]


@pytest.mark.parametrize("expression, condition", READ)
def test_expression_reads_as_a_condition(expression, condition):
    assert to_condition(expression) == condition


REFUSED = [
    ("${a} + 1 > 2", '"+" is not supported in "${a} + 1 > 2": arithmetic'),
    ("${a} > 2 * ${b}", '"*" is not supported in "${a} > 2 * ${b}": arithmetic'),
    (". >= 18", '"." is not supported in ". >= 18"'),
    (
        "string-length(${a}) > 3",
        '"string-length(${a})" is not supported in "string-length(${a}) > 3": '
        "the function string-length() is not supported",
    ),
    ("jr:choice-name(${a}, '${a}') = 'x'", "the function jr:choice-name() is not supported"),
    ("true()", '"true()" is not supported: the function true() is not supported'),
    ("${a} = ${b}", '"${a} = ${b}" is not supported: a comparison needs one question'),
    ("'x' = 'y'", "a comparison needs one question"),
    ("${a} > 'many'", "\"${a} > 'many'\" is not supported: '>' compares with a number or a date"),
    ("${a} >= ''", "'' (no answer) is compared with = or != only"),
    ("count-selected(${a}) > 2", "count-selected() is read only as count-selected(${q}) > 0"),
    ("${a} = 'x' AND ${b} = 'y'", "\"AND\" is not supported in \"${a} = 'x' AND ${b} = 'y'\""),
    ("${a}", "\"${a}\" is not supported: a comparison such as ${q} = 'x' is expected"),
    ("${a} = 'x' and", "the expression ends too early"),
    ("(${a} = 'x'", "a ')' is missing"),
    ("${a} = 'x')", "unbalanced ')'"),
    ("${} = 'x'", "a question name is missing"),
    ("${a} = date('soon')", "date() takes a date written 'YYYY-MM-DD'"),
    ("selected(${a})", "',' expected here"),
]


@pytest.mark.parametrize("expression, message", REFUSED)
def test_expression_outside_the_subset_is_refused_with_its_part(expression, message):
    with pytest.raises(XLSFormError) as refused:
        to_condition(expression)
    assert message in str(refused.value)
    assert refused.value.sheet is None and refused.value.row is None  # the caller says where


def test_names_map_a_form_s_names_to_the_questionnaire_s_ids():
    names = {"père": "pere", "Comcond_preg": "comcond_preg"}
    assert to_condition("${père} = 'oui' and ${Comcond_preg} >= 2", names) == {
        "all": [
            {"question": "pere", "equals": "oui"},
            {"question": "comcond_preg", "min": 2},
        ]
    }
    back = {"pere": "père", "grid.one": "grid_one"}
    written = from_condition({"any": [{"question": "pere", "equals": "oui"},
                                      {"question": "grid.one", "min": 2}]}, back)  # fmt: skip
    assert written == "${père} = 'oui' or ${grid_one} >= 2"


def test_types_say_how_selected_and_equality_read():
    types = {"office": "select_one", "partners": "select_multiple"}
    assert to_condition("selected(${office}, 'hq')", types=types) == OFFICE_IS_HQ
    assert to_condition("selected(${partners}, 'media')", types=types) == {
        "question": "partners",
        "contains": "media",
    }
    assert to_condition("${partners} = ''", types=types) == {
        "question": "partners",
        "answered": False,
    }
    with pytest.raises(XLSFormError, match=r"use selected\(\$\{partners\}, 'x'\)"):
        to_condition("${partners} = 'media'", types=types)


WRITTEN = [
    (OFFICE_IS_HQ, "${office} = 'hq'"),
    ({"question": "office", "equals": "it's"}, '${office} = "it\'s"'),
    ({"question": "count", "equals": 3}, "${count} = 3"),
    ({"question": "office", "in": ["a", "b"]}, "${office} = 'a' or ${office} = 'b'"),
    ({"question": "office", "not_in": ["a", "b"]}, "${office} != 'a' and ${office} != 'b'"),
    ({"question": "partners", "contains": "media"}, "selected(${partners}, 'media')"),
    ({"question": "age", "above": 2.5}, "${age} > 2.5"),
    ({"question": "age", "max": 10, "min": 2}, "${age} <= 10 and ${age} >= 2"),
    ({"question": "started", "below": date(2026, 1, 31)}, "${started} < date('2026-01-31')"),
    ({"question": "office", "answered": True}, "${office} != ''"),
    ({"not": {"question": "office", "answered": False}}, "not(${office} = '')"),
    (
        {"all": [{"question": "office", "in": ["a", "b"]}, {"question": "age", "min": 2}]},
        "(${office} = 'a' or ${office} = 'b') and ${age} >= 2",
    ),
    (
        {"any": [{"question": "age", "min": 2, "max": 9}, OFFICE_IS_HQ]},
        "(${age} >= 2 and ${age} <= 9) or ${office} = 'hq'",
    ),
]


@pytest.mark.parametrize("condition, expression", WRITTEN)
def test_condition_is_written_as_an_expression_pyxform_accepts(condition, expression):
    assert from_condition(condition) == expression
    assert _pyxform_accepts(expression)
    assert to_condition(expression) == condition


# what the YAML says in more than one way is read back in one way
@pytest.mark.parametrize(
    "condition, read_back",
    [
        ({"question": "office", "in": ["hq"]}, OFFICE_IS_HQ),
        ({"question": "office", "not_in": ["hq"]}, {"question": "office", "not_equals": "hq"}),
        ({"any": [OFFICE_IS_HQ, {"question": "office", "equals": "x"}]},
         {"question": "office", "in": ["hq", "x"]}),
        ({"all": [{"question": "age", "min": 2}, {"question": "age", "max": 9}]},
         {"question": "age", "min": 2, "max": 9}),
    ],
)  # fmt: skip
def test_a_condition_said_two_ways_reads_back_in_the_usual_way(condition, read_back):
    assert to_condition(from_condition(condition)) == read_back


def test_a_test_with_no_expression_is_refused_when_written():
    with pytest.raises(XLSFormError, match="'is_it' has no XLSForm expression"):
        from_condition({"question": "office", "is_it": "hq"})


def _conditions(node):
    """Every `relevant` condition in a questionnaire definition (its YAML as loaded)."""
    if isinstance(node, dict):
        if "relevant" in node and isinstance(node["relevant"], dict):
            yield node["relevant"]
        for value in node.values():
            yield from _conditions(value)
    elif isinstance(node, list):
        for value in node:
            yield from _conditions(value)


FILES = sorted((ROOT / "questionnaires").glob("*.yaml")) + sorted(
    (ROOT / "tests" / "data").glob("*.yaml")
)


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_every_condition_of_the_questionnaires_goes_round_the_xlsform(path):
    definition = yaml.safe_load(path.read_text(encoding="utf-8"))
    for condition in _conditions(definition):
        expression = from_condition(condition)
        assert _pyxform_accepts(expression), expression
        assert to_condition(expression) == condition


def _pyxform_accepts(expression: str) -> bool:
    """Convert a form whose last question is shown under `expression`; pyxform must not warn."""
    names = sorted(set(re.findall(r"\$\{([^}]+)\}", expression)))
    survey = [{"type": "text", "name": n, "label": n} for n in names]
    survey.append({"type": "note", "name": "shown", "label": "Shown", "relevant": expression})
    warnings: list[str] = []
    convert({"survey": survey}, warnings=warnings)
    assert warnings == []
    return True


# the conditions on real answers: a questionnaire with every kind a bound reads
BOUNDED = {
    "id": "bounds",
    "title": "Bounds",
    "pages": [
        {
            "name": "one",
            "title": "One",
            "questions": [
                {"name": "years", "type": "integer", "label": "Years"},
                {"name": "share", "type": "decimal", "label": "Share"},
                {"name": "started", "type": "date", "label": "Started"},
                {"name": "order", "type": "rank", "label": "Order", "items": [
                    {"name": "jobs", "label": "Jobs"}, {"name": "rights", "label": "Rights"},
                    {"name": "dialogue", "label": "Dialogue"}]},
            ],
        },
        {"name": "two", "title": "Two", "questions": []},
    ],
}  # fmt: skip


def _condition(relevant):
    """Parse `relevant` as the condition of a question on the second page of BOUNDED."""
    definition = yaml.safe_load(yaml.safe_dump(BOUNDED))
    question = {"name": "then", "type": "text", "label": "Then", "relevant": relevant}
    definition["pages"][1]["questions"] = [question]
    return parse_questionnaire(definition).question("then").relevant


@pytest.mark.parametrize(
    "expression, row, holds",
    [
        ("${years} > 2", {"years": 3}, True),
        ("${years} > 2", {"years": 2}, False),
        ("${years} < 2", {"years": 1}, True),
        ("${years} < 2", {"years": 2}, False),
        ("${years} < 2", {"years": None}, False),
        ("${years} >= 2 and ${years} <= 10", {"years": 2}, True),
        ("${years} >= 2 and ${years} <= 10", {"years": 10}, True),
        ("${years} >= 2 and ${years} <= 10", {"years": 11}, False),
        ("${years} >= 2 and ${years} <= 10", {"years": 1}, False),
        ("${years} > 2 and ${years} < 10", {"years": 10}, False),
        ("${share} > 0.5", {"share": 0.75}, True),
        ("${share} > 0.5", {"share": 0.5}, False),
        ("${started} > date('2026-01-31')", {"started": "2026-02-01"}, True),
        ("${started} > date('2026-01-31')", {"started": "2026-01-31"}, False),
        ("${started} < '2026-01-31'", {"started": "2025-12-31"}, True),
        ("${started} < '2026-01-31'", {"started": "2026-01-31"}, False),
        ("${started} >= '2026-01-01' and ${started} <= '2026-01-31'", {"started": "2026-01-15"},
         True),
        ("${started} >= '2026-01-01' and ${started} <= '2026-01-31'", {"started": "2026-02-01"},
         False),
        ("${order.jobs} < 2", {"order.jobs": 1}, True),
        ("${order.jobs} < 2", {"order.jobs": 2}, False),
        ("${order.rights} > 1 and ${order.rights} < 3", {"order.rights": 2}, True),
        ("${years} != ''", {"years": 0}, True),
        ("${years} = ''", {"years": None}, True),
        ("not(${years} > 2)", {"years": None}, True),
        ("${years} = 3", {"years": 3}, True),
    ],
)  # fmt: skip
def test_imported_conditions_hold_on_real_answers(expression, row, holds):
    assert _condition(to_condition(expression)).holds(row) is holds


@pytest.mark.parametrize(
    "relevant, message",
    [
        ({"question": "years", "min": 2, "above": 3}, "a condition needs exactly one test"),
        ({"question": "years", "max": 2, "below": 3}, "a condition needs exactly one test"),
        ({"question": "years", "min": 2, "equals": 3}, "a condition needs exactly one test"),
        ({"question": "years", "above": "many"}, "'above' must be a number"),
        ({"question": "years", "min": 10, "max": 2}, "'min' 10 is greater than 'max' 2"),
        (
            {"question": "started", "below": "2026-01-01", "above": "2026-02-01"},
            "'above' 2026-02-01 is greater than 'below' 2026-01-01: the condition never holds",
        ),
        ({"question": "started", "below": "soon"}, "'below' must be a date"),
    ],
)
def test_bounds_that_do_not_make_a_range_are_refused(relevant, message):
    with pytest.raises(QuestionnaireError, match=message):
        _condition(relevant)


def test_the_readme_s_conditions_pass_check(tmp_path):
    """Every condition the format's README shows loads through `surveyapp check`."""
    readme = (ROOT / "questionnaires" / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Conditions (`relevant`)")[1].split("\n## ")[0]
    block = section.split("```yaml")[1].split("```")[0]
    conditions = [yaml.safe_load(line)["relevant"] for line in block.strip().splitlines()]
    assert {"question": "years", "min": 2, "max": 10} in conditions
    questions = [
        {"name": "office", "type": "select_one", "label": "Office", "choices": [
            {"name": n, "label": n.title()} for n in ("country", "regional", "hq")]},
        {"name": "partners", "type": "select_multiple", "label": "Partners", "choices": [
            {"name": "media", "label": "Media"}, {"name": "unions", "label": "Unions"}]},
        {"name": "years", "type": "integer", "label": "Years"},
        {"name": "started", "type": "date", "label": "Started"},
    ] + [
        {"name": f"then{n}", "type": "text", "label": "Then", "relevant": condition}
        for n, condition in enumerate(conditions)
    ]  # fmt: skip
    definition = {"id": "readme", "title": "README", "pages": [
        {"name": "one", "title": "One", "questions": questions}]}  # fmt: skip
    path = tmp_path / "readme.yaml"
    path.write_text(yaml.safe_dump(definition, sort_keys=False), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 0, result.output
    for condition in conditions:  # and each goes round the XLSForm
        assert to_condition(from_condition(condition)) == condition


def _form_expressions() -> list[tuple[str, str]]:
    """Every `relevant` of the survey sheets of the stored forms written by others."""
    found = []
    for path in sorted((ROOT / "tests" / "data" / "xlsforms").glob("*.xlsx")):
        workbook = openpyxl.load_workbook(path, read_only=True)
        sheet = next((workbook[n] for n in workbook.sheetnames if n.lower() == "survey"), None)
        rows = list(sheet.iter_rows(values_only=True)) if sheet is not None else []
        if not rows:
            continue
        head = [str(h or "").strip().lower() for h in rows[0]]
        columns = [i for i, h in enumerate(head) if h in ("relevant", "relevance")]
        for row in rows[1:]:
            found += [(path.name, str(row[i])) for i in columns if i < len(row) and row[i]]
        workbook.close()
    return found


@pytest.mark.filterwarnings("ignore::UserWarning")  # openpyxl on extensions it drops
def test_the_conditions_of_real_forms_are_read():
    expressions = _form_expressions()
    assert len(expressions) >= 10
    for form, expression in expressions:
        condition = to_condition(expression)
        assert condition, (form, expression)
        assert to_condition(from_condition(condition)) == condition, (form, expression)
