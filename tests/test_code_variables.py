"""Codes as variables: a 0/1 column per code, a row per response, as CSV, XLSX and SPSS."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess

import openpyxl
import pandas as pd
import pyreadstat
import pytest

from surveyapp.analysis.code_variables import code_variables, variable_name
from surveyapp.analysis.open_answers import CodingError, OpenQuestion
from surveyapp.store.codings import Codebook
from surveyapp.testing import seed_responses

# Staff 1: Funding and Staffing; staff 2: reviewed, no code; staff 3: no answer; staff 4
# answered, not coded yet; constituents 1: Funding. A third code, Politics, is unused.
STAFF = {1: "money and people", 2: "nothing much", 3: "", 4: "later"}
EXPECTED = [
    # survey, response_id, Funding, Staffing, Politics
    ("staff", 1, 1, 1, 0),
    ("staff", 2, 0, 0, 0),
    ("staff", 3, None, None, None),
    ("staff", 4, None, None, None),
    ("constituents", 1, 1, 0, 0),
]


@pytest.fixture
def coded(app, db):
    """Store the answers and ana's coding; return the open question over both surveys."""
    questionnaires = app.extensions["questionnaires"]
    seed_responses(
        db,
        questionnaires["staff"],
        [{"response_id": n, "constraints": t} for n, t in STAFF.items()],
    )
    seed_responses(
        db, questionnaires["constituents"], [{"response_id": 1, "constraints": "budget"}]
    )
    book = Codebook(db, "constraints")
    funding = book.add_code("Funding", "ana", "Money, budgets and their cuts")
    staffing = book.add_code("Staffing", "ana")
    book.add_code("Politics", "ana")
    book.set_codes("staff", 1, [funding, staffing], "ana")
    book.set_codes("staff", 2, [], "ana")
    book.set_codes("constituents", 1, [funding], "ana")
    return OpenQuestion(db, questionnaires, "constraints", ["staff", "constituents"])


def as_rows(frame: pd.DataFrame) -> list[tuple]:
    return [
        tuple(None if pd.isna(v) else v for v in row)
        for row in frame.itertuples(index=False, name=None)
    ]


def test_a_row_per_response_and_a_column_per_code(coded):
    variables = code_variables(coded)
    assert variables.coder_ == "ana"
    assert list(variables.data_.columns) == [
        "survey", "response_id", "constraints_c01", "constraints_c02", "constraints_c03",
    ]  # fmt: skip
    assert as_rows(variables.data_) == EXPECTED
    assert variables.variable_labels()["constraints_c02"] == "Staffing"


def test_a_deleted_code_has_no_variable_and_the_others_keep_their_names(coded):
    book = coded.codebook
    if not hasattr(book, "delete_code"):
        pytest.skip("the store cannot delete codes")
    travel = book.add_code("Travel", "ana")
    book.set_codes("staff", 1, [1, 2, travel], "ana")
    assert "constraints_c04" in code_variables(coded).data_
    book.delete_code(1, "ana")
    variables = code_variables(coded)
    assert list(variables.data_.columns)[2:] == [
        "constraints_c02", "constraints_c03", "constraints_c04",
    ]  # fmt: skip
    assert as_rows(variables.data_)[0] == ("staff", 1, 1, 0, 1)


def test_variable_names_are_stable_ascii_and_short():
    assert variable_name("constraints", 7) == "constraints_c07"
    assert variable_name("constraints", 123) == "constraints_c123"
    long = variable_name("é" * 10 + "x" * 80, 5)
    assert len(long) <= 32 and long.isascii() and long[0].isalpha() and long.endswith("_c05")


def test_the_coder_is_the_only_one_or_the_one_named(coded):
    coded.codebook.set_codes("staff", 4, [], "ben")
    with pytest.raises(CodingError, match="ana, ben"):
        code_variables(coded)
    ben = code_variables(coded, "ben")
    assert as_rows(ben.data_)[3] == ("staff", 4, 0, 0, 0)
    assert as_rows(ben.data_)[0] == ("staff", 1, None, None, None)  # ben never coded it
    with pytest.raises(CodingError, match="'zoe' has not coded"):
        code_variables(coded, "zoe")


def test_csv_and_dictionary_from_the_command(run, coded, tmp_path):
    out, dictionary = tmp_path / "codes.csv", tmp_path / "dictionary.csv"
    result = run("export-codes", "staff,constituents", "constraints", "-o", out,
                 "--dictionary", dictionary)  # fmt: skip
    assert "5 responses, 3 codes (ana's coding)" in result.stderr
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0] == ["survey", "response_id", "constraints_c01", "constraints_c02",
                       "constraints_c03"]  # fmt: skip
    assert rows[1:] == [[str("" if v is None else v) for v in row] for row in EXPECTED]
    described = list(csv.DictReader(dictionary.open(encoding="utf-8")))
    assert [r["variable"] for r in described][:3] == ["survey", "response_id", "constraints_c01"]
    funding = described[2]
    assert (funding["code"], funding["description"], funding["coder"]) == (
        "Funding", "Money, budgets and their cuts", "ana",
    )  # fmt: skip
    assert funding["values"].startswith("0=not mentioned; 1=mentioned")


def test_csv_joins_the_response_export_on_response_id(run, coded, tmp_path):
    codes, responses = tmp_path / "codes.csv", tmp_path / "staff.csv"
    run("export-codes", "staff", "constraints", "-o", codes)
    run("export", "staff", "-o", responses)
    joined = pd.read_csv(responses).merge(pd.read_csv(codes), on="response_id")
    assert len(joined) == 4
    assert joined.set_index("response_id").loc[1, "constraints_c01"] == 1


def test_xlsx_has_the_data_and_a_codes_sheet(run, coded, tmp_path):
    out = tmp_path / "codes.xlsx"
    run("export-codes", "staff,constituents", "constraints", "--format", "xlsx", "-o", out)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["data", "codes"]
    data = list(book["data"].iter_rows(values_only=True))
    assert data[0][:3] == ("survey", "response_id", "constraints_c01")
    assert data[1:] == EXPECTED
    codes = list(book["codes"].iter_rows(values_only=True))
    assert codes[0][:4] == ("variable", "question", "code_id", "code")
    assert codes[4][:4] == ("constraints_c02", "constraints", 2, "Staffing")


def test_sav_has_variable_and_value_labels_and_missing(run, coded, tmp_path):
    out = tmp_path / "codes.sav"
    run("export-codes", "staff,constituents", "constraints", "--format", "sav", "-o", out)
    data, meta = pyreadstat.read_sav(str(out))
    assert meta.column_names_to_labels["constraints_c01"] == "Funding"
    assert meta.variable_value_labels["constraints_c01"] == {0: "not mentioned", 1: "mentioned"}
    assert data["constraints_c01"].isna().tolist() == [False, False, True, True, False]
    assert data["constraints_c01"].sum() == 2


@pytest.mark.skipif(shutil.which("pspp") is None, reason="PSPP absent (apt-get install pspp)")
def test_pspp_reads_the_sav_and_counts_the_mentions(run, coded, tmp_path):
    path = tmp_path / "codes.sav"
    run("export-codes", "staff,constituents", "constraints", "--format", "sav", "-o", path)
    syntax = tmp_path / "codes.sps"
    syntax.write_text(
        f"GET FILE='{path}'.\nDISPLAY DICTIONARY.\nFREQUENCIES VARIABLES=constraints_c01.\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    subprocess.run(["pspp", "-O", "format=csv", "-o", str(out), str(syntax)], check=True,
                   capture_output=True, timeout=120)  # fmt: skip
    text = out.read_text(encoding="utf-8")
    assert "constraints_c01,3,Funding,Nominal" in text
    assert "not mentioned,1," in text and ",mentioned,2," in text
    assert "Missing,.,2," in text  # no answer, not coded: missing, never 0


@pytest.mark.parametrize(("fmt", "start"), [("sav", b"$FL2"), ("xlsx", b"PK")])
def test_binary_formats_need_a_file(run, coded, fmt, start):
    result = run("export-codes", "staff", "constraints", "--format", fmt, expect=2)
    assert "needs -o" in result.output


def test_several_coders_without_one_named_is_a_clear_error(run, coded):
    coded.codebook.set_codes("staff", 4, [], "ben")
    result = run("export-codes", "staff", "constraints", expect=2)
    assert "several coders" in result.output and "ana, ben" in result.output


@pytest.mark.parametrize(
    ("fmt", "mimetype", "start"),
    [
        ("csv", "text/csv", b"survey,response_id,constraints_c01"),
        ("xlsx", "application/vnd.openxmlformats", b"PK"),
        ("sav", "application/x-spss-sav", b"$FL2"),
    ],
)
def test_the_frequency_page_downloads_them(client, auth, coded, fmt, mimetype, start):
    auth.sign_in()
    page = client.get("/evaluate/coding/constraints/frequency").get_data(as_text=True)
    assert f"/evaluate/coding/constraints/code-variables.{fmt}?coder=ana" in page
    response = client.get(f"/evaluate/coding/constraints/code-variables.{fmt}?coder=ana")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(mimetype)
    assert response.get_data()[: len(start)] == start
    assert "constraints-code-variables-ana" in response.headers["Content-Disposition"]


def test_the_dictionary_download_and_an_unknown_coder(client, auth, coded):
    auth.sign_in()
    path = "/evaluate/coding/constraints"
    dictionary = client.get(f"{path}/code-variables-dictionary.csv").get_data(as_text=True)
    assert "constraints_c01" in dictionary and "Money, budgets" in dictionary
    refused = client.get(f"{path}/code-variables.csv?coder=zoe")
    assert refused.status_code == 302
    assert "has not coded" in client.get(refused.headers["Location"]).get_data(as_text=True)
    assert client.get(f"{path}/code-variables.pdf").status_code == 404


def test_output_is_replaced_whole_on_failure(run, coded, tmp_path):
    out = tmp_path / "codes.csv"
    out.write_text("old", encoding="utf-8")
    run("export-codes", "staff", "constraints", "--coder", "zoe", "-o", out, expect=2)
    assert out.read_text(encoding="utf-8") == "old"
    assert not list(tmp_path.glob("*.partial"))


def test_read_back_csv_is_the_frame(coded, tmp_path):
    variables = code_variables(coded)
    buffer = io.StringIO()
    variables.write("csv", buffer)
    back = pd.read_csv(io.StringIO(buffer.getvalue()))
    assert back["constraints_c02"].isna().sum() == 2


def test_the_consensus_counts_when_there_is_one(run, coded, tmp_path):
    book = coded.codebook
    if not hasattr(book, "start_consensus"):
        pytest.skip("the store has no consensus coding")
    book.set_codes("staff", 1, [1, 2], "ben")  # agrees with ana
    book.set_codes("staff", 2, [3], "ben")  # disagrees: not in the consensus until settled
    book.set_codes("constituents", 1, [1], "ben")  # agrees
    book.start_consensus("ana", "ben", "ana")
    variables = code_variables(coded)
    assert variables.coder_ == "consensus" and variables.consensus
    assert as_rows(variables.data_) == [
        ("staff", 1, 1, 1, 0),
        ("staff", 2, None, None, None),
        ("staff", 3, None, None, None),
        ("staff", 4, None, None, None),
        ("constituents", 1, 1, 0, 0),
    ]
    book.settle("staff", 2, [3], "ana")
    assert as_rows(code_variables(coded).data_)[1] == ("staff", 2, 0, 0, 1)
    result = run("export-codes", "staff", "constraints", "-o", tmp_path / "c.csv")
    assert "(the consensus coding)" in result.stderr
    assert as_rows(code_variables(coded, "ana").data_)[1] == ("staff", 2, 0, 0, 0)


def test_sav_ids_are_nominal_and_the_codes_sheet_has_the_codebook_version(run, coded, tmp_path):
    sav, xlsx = tmp_path / "codes.sav", tmp_path / "codes.xlsx"
    run("export-codes", "staff", "constraints", "--format", "sav", "-o", sav)
    _data, meta = pyreadstat.read_sav(str(sav))
    assert meta.variable_measure["response_id"] == "nominal"
    assert meta.variable_measure["constraints_c01"] == "nominal"
    if not hasattr(coded.codebook, "version"):
        return
    run("export-codes", "staff", "constraints", "--format", "xlsx", "-o", xlsx)
    codes = list(openpyxl.load_workbook(xlsx)["codes"].iter_rows(values_only=True))
    assert codes[0][-1] == "codebook_version"
    assert codes[3][-1] == coded.codebook.version()


def test_a_non_answer_is_missing_not_zero(app, db, coded):
    questionnaires = app.extensions["questionnaires"]
    seed_responses(db, questionnaires["staff"], [{"response_id": 5, "constraints": "N/A"}])
    if "non_answer" not in coded.answers():
        pytest.skip("answers are not marked as non-answers")
    coded.codebook.set_codes("staff", 5, [], "ana")  # reviewed, left uncoded
    rows = as_rows(code_variables(coded).data_)
    assert ("staff", 5, None, None, None) in rows


def test_answers_taken_out_of_a_restarted_consensus_are_missing(coded):
    book = coded.codebook
    if not hasattr(book, "start_consensus"):
        pytest.skip("the store has no consensus coding")
    book.set_codes("staff", 1, [1, 2], "ben")
    book.set_codes("staff", 2, [], "ben")
    book.set_codes("staff", 2, [3], "carl")
    book.start_consensus("ana", "ben", "ana")
    assert as_rows(code_variables(coded).data_)[:2] == [
        ("staff", 1, 1, 1, 0),
        ("staff", 2, 0, 0, 0),
    ]
    book.start_consensus("ana", "carl", "ana", replace=True)  # they agree on nothing
    rows = as_rows(code_variables(coded).data_)
    assert rows[:2] == [("staff", 1, None, None, None), ("staff", 2, None, None, None)]
