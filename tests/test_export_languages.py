"""The language in every evaluator path: links, exports, dictionary, import, status, tables.

The trilingual demo (tests/data/demo_fr_es.yaml) is answered in English, French and
Spanish, and some responses have no language recorded (those stored before it was).
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pyreadstat
import pytest

from surveyapp.questionnaire.synthetic import synthetic_responses
from surveyapp.store.connection import connect
from surveyapp.store.invitations import create_invitations, find_invitation
from surveyapp.store.responses import insert_responses, response_count, response_row
from surveyapp.testing import rewrite_cell, seed_responses

DATA = Path(__file__).resolve().parent / "data"
SURVEY = "demo_fr_es"
# The language each seeded response was answered in (None: not recorded).
ANSWERED_IN = ["en", "fr", "fr", "es", None, "fr"] * 5


@pytest.fixture
def questionnaire_dir(questionnaire_dir):
    """The shipped and demo questionnaires, and the demo in English, French and Spanish."""
    shutil.copy(DATA / "demo_fr_es.yaml", questionnaire_dir)
    return questionnaire_dir


@pytest.fixture
def fielded(app, db):
    """30 synthetic responses to the trilingual demo, in the languages of ANSWERED_IN."""
    questionnaire = app.extensions["questionnaires"][SURVEY]
    frame = synthetic_responses(questionnaire, len(ANSWERED_IN), seed=7)
    frame["constraints"] = [f"answer {n}" for n in range(len(frame))]
    frame["language"] = ANSWERED_IN
    seed_responses(db, questionnaire, frame)
    return app


def read_csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def stored_languages(path) -> list:
    """Return the language of every stored response of the trilingual demo, by response id."""
    with connect(str(path)) as store:
        sql = f"select language from responses_{SURVEY} order by response_id"
        return [row[0] for row in store.execute(sql).fetchall()]


# Links


def test_invite_makes_links_in_a_language(run, db, tmp_path):
    out = tmp_path / "links.csv"
    run("invite", SURVEY, "--count", 3, "--lang", "fr", "-o", out)
    rows = read_csv(out.read_text())
    assert list(rows[0]) == ["link", "lang"] and {row["lang"] for row in rows} == {"fr"}
    for row in rows:
        invitation = find_invitation(db, SURVEY, row["link"].rsplit("/", 1)[1])
        assert invitation.language == "fr" and invitation.attributes == {}


def test_a_lang_attribute_is_the_links_language(run, db, tmp_path):
    out = tmp_path / "links.csv"
    run("invite", SURVEY, "--count", 2, "--attr", "region=Africa", "--attr", "lang=es", "-o", out)
    rows = read_csv(out.read_text())
    assert list(rows[0]) == ["link", "region", "lang"]
    invitation = find_invitation(db, SURVEY, rows[0]["link"].rsplit("/", 1)[1])
    assert (invitation.language, invitation.attributes) == ("es", {"region": "Africa"})


@pytest.mark.parametrize(
    "args, message",
    [
        ((SURVEY, "--lang", "de"), "'de' is not a language of demo_fr_es (en, fr, es)"),
        (("demo", "--lang", "es"), "'es' is not a language of demo (en, fr)"),
        (("demo", "--attr", "lang=es"), "'es' is not a language of demo (en, fr)"),
        ((SURVEY, "--lang", "fr", "--attr", "lang=es"), "--attr lang=es and --lang fr disagree"),
    ],
)
def test_invite_refuses_a_language_the_questionnaire_lacks(run, db, args, message):
    result = run("invite", *args, "--count", 2, expect=2)
    assert message in result.output
    assert db["invitations"].count == 0


# The export


def test_the_export_gives_the_language_after_the_response_id(run, fielded):
    rows = read_csv(run("export", SURVEY).output)
    assert list(rows[0])[:3] == ["response_id", "language", "region"]
    assert [row["language"] for row in rows] == [code or "" for code in ANSWERED_IN]


@pytest.mark.parametrize(
    "language, names",
    [
        (None, {"English", "French", "Spanish"}),
        ("fr", {"Anglais", "Français", "Espagnol"}),
        ("es", {"Inglés", "Francés", "Español"}),
    ],
)
def test_the_export_with_labels_names_the_language(run, fielded, language, names):
    args = ("--lang", language) if language else ()
    rows = read_csv(run("export", SURVEY, "--labels", *args).output)
    assert {row["language"] for row in rows} == names | {""}


def test_the_export_labels_every_answer_in_the_language_asked(run, fielded):
    french = run("export", SURVEY, "--labels", "--lang", "fr").output
    spanish = run("export", SURVEY, "--labels", "--lang", "es").output
    english = run("export", SURVEY, "--labels").output
    for words, text in ((("Afrique", "choisi", "rang 1"), french),
                        (("África", "elegido", "posición 1"), spanish),
                        (("Africa", "chosen", "rank 1"), english)):  # fmt: skip
        cells = {cell for row in read_csv(text) for cell in row.values()}
        assert set(words) <= cells
    cells = {cell for row in read_csv(french) for cell in row.values()}
    assert not {"Africa", "Other", "chosen", "not chosen", "Agree", "rank 1"} & cells


def test_the_xlsx_export_has_the_language_and_its_sheets_in_the_language(run, fielded, tmp_path):
    out = tmp_path / "demo-fr.xlsx"
    run("export", SURVEY, "--format", "xlsx", "--lang", "fr", "--labels", "-o", out)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Réponses", "Dictionnaire des données"]
    responses = pd.read_excel(out, sheet_name="Réponses", dtype=str, keep_default_na=False)
    assert list(responses.columns[:3]) == ["response_id", "language", "region"]
    names = {"en": "Anglais", "fr": "Français", "es": "Espagnol", None: ""}
    assert responses["language"].tolist() == [names[code] for code in ANSWERED_IN]
    dictionary = pd.read_excel(out, sheet_name="Dictionnaire des données", dtype=str)
    row = dictionary.set_index("column").loc["language"]
    assert row["label"] == "Langue de réponse"
    assert row["choices"] == "en=Anglais; fr=Français; es=Espagnol"
    assert book.properties.title == "Enquête de démonstration"


@pytest.mark.parametrize(
    "args, label, names",
    [
        ((), "Language answered in", {"en": "English", "fr": "French", "es": "Spanish"}),
        (("--lang", "es"), "Idioma de respuesta",
         {"en": "Inglés", "fr": "Francés", "es": "Español"}),
    ],
)  # fmt: skip
def test_the_sav_export_has_the_language_as_labelled_text(run, fielded, tmp_path, args, label,
                                                          names):  # fmt: skip
    out = tmp_path / "demo.sav"
    run("export", SURVEY, "--format", "sav", *args, "-o", out)
    data, meta = pyreadstat.read_sav(str(out), user_missing=True)
    assert meta.column_names[:3] == ["response_id", "language", "region"]
    assert meta.readstat_variable_types["language"] == "string"
    assert meta.column_names_to_labels["language"] == label
    assert meta.variable_value_labels["language"] == names
    assert meta.missing_ranges["language"] == [{"lo": "", "hi": ""}]  # not recorded
    assert meta.variable_measure["language"] == "nominal"
    assert data["language"].tolist() == [code or "" for code in ANSWERED_IN]


def test_the_sav_export_labels_questions_and_choices_in_the_language(run, fielded, tmp_path):
    out = tmp_path / "demo-fr.sav"
    run("export", SURVEY, "--format", "sav", "--lang", "fr", "-o", out)
    _data, meta = pyreadstat.read_sav(str(out), user_missing=True)
    labels = meta.column_names_to_labels
    assert labels["response_id"] == "Numéro de réponse"
    assert labels["statements.one"] == "Êtes-vous d'accord ? - Énoncé un"
    assert set(meta.variable_value_labels["statements.one"].values()) == {
        "D'accord", "Pas d'accord", "Ne sait pas",
    }  # fmt: skip
    assert set(meta.variable_value_labels["topics.health"].values()) == {"choisi", "non choisi"}


@pytest.mark.skipif(shutil.which("pspp") is None, reason="PSPP absent (apt-get install pspp)")
def test_pspp_counts_the_responses_by_language_and_leaves_the_unknown_missing(
    run, fielded, tmp_path
):
    out = tmp_path / "demo.sav"
    run("export", SURVEY, "--format", "sav", "-o", out)
    syntax = tmp_path / "languages.sps"
    syntax.write_text(f"GET FILE='{out}'.\nFREQUENCIES VARIABLES=language.\n", encoding="utf-8")
    table = tmp_path / "languages.csv"
    subprocess.run(["pspp", "-O", "format=csv", "-o", str(table), str(syntax)], check=True,
                   capture_output=True, timeout=120)  # fmt: skip
    rows = list(csv.reader(io.StringIO(table.read_text(encoding="utf-8"))))
    counts = {row[1]: int(row[2]) for row in rows if len(row) > 2 and row[2].isdigit()}
    expected = pd.Series(ANSWERED_IN).value_counts()
    for code, name in (("en", "English"), ("fr", "French"), ("es", "Spanish")):
        assert counts[name] == expected[code], name
    missing = next(row for row in rows if row and row[0] == "Missing")
    assert int(missing[2]) == ANSWERED_IN.count(None)


# The data dictionary


@pytest.mark.parametrize(
    "language, label, names, region",
    [
        (None, "Language answered in", "en=English; fr=French; es=Spanish", "Region"),
        ("fr", "Langue de réponse", "en=Anglais; fr=Français; es=Espagnol", "Région"),
        ("es", "Idioma de respuesta", "en=Inglés; fr=Francés; es=Español", "Región"),
    ],
)
def test_the_dictionary_describes_the_language_column(run, language, label, names, region):
    args = ("--lang", language) if language else ()
    rows = read_csv(run("dictionary", SURVEY, *args).output)
    assert [row["column"] for row in rows[:3]] == ["response_id", "language", "region"]
    row = rows[1]
    assert (row["type"], row["label"], row["choices"]) == ("language", label, names)
    assert rows[2]["label"] == region


def test_the_dictionary_in_french_has_no_english_label_left(run):
    rows = read_csv(run("dictionary", SURVEY, "--lang", "fr").output)
    text = " ".join(f"{row['label']} {row['choices']}" for row in rows)
    for french in ("Êtes-vous d'accord ? - Énoncé un", "dont_know=Ne sait pas", "1=choisi"):
        assert french in text
    for english in ("Do you agree", "Statement", "Do not know", "chosen", "Response number"):
        assert english not in text.replace("choisi", "")


# Importing responses


def test_an_export_imports_back_with_its_languages(run, fielded, tmp_path):
    exported = tmp_path / "demo.csv"
    run("export", SURVEY, "-o", exported)
    fresh = tmp_path / "fresh.db"
    assert "30 responses imported" in run("import-responses", SURVEY, exported, db=fresh).output
    assert stored_languages(fresh) == ANSWERED_IN
    again = tmp_path / "again.csv"
    run("export", SURVEY, "-o", again, db=fresh)
    assert again.read_text() == exported.read_text()


def test_an_export_with_french_labels_imports_back_with_french_labels(run, fielded, tmp_path):
    labelled = tmp_path / "demo-fr.csv"
    run("export", SURVEY, "--labels", "--lang", "fr", "-o", labelled)
    fresh = tmp_path / "fresh.db"
    run("import-responses", SURVEY, labelled, "--labels", "--lang", "fr", db=fresh)
    assert stored_languages(fresh) == ANSWERED_IN
    again = tmp_path / "again.csv"
    run("export", SURVEY, "--labels", "--lang", "fr", "-o", again, db=fresh)
    assert again.read_text() == labelled.read_text()


def test_a_file_without_a_language_column_imports_with_the_language_unknown(
    run, fielded, tmp_path
):
    exported = tmp_path / "demo.csv"
    run("export", SURVEY, "-o", exported)
    frame = pd.read_csv(exported, dtype=str, keep_default_na=False).drop(columns="language")
    frame.to_csv(exported, index=False)
    fresh = tmp_path / "fresh.db"
    run("import-responses", SURVEY, exported, db=fresh)
    assert stored_languages(fresh) == [None] * len(ANSWERED_IN)


@pytest.mark.parametrize(
    "value, labels, message",
    [
        ("de", False, "line 3, column 'language': 'de' is not one of the languages en, fr, es,"
                      " or empty"),
        ("French", False, "'French' is not one of the languages en, fr, es, or empty"),
        ("Deutsch", True, "line 3, column 'language': 'Deutsch' is not one of the languages"
                          " en (English), fr (French), es (Spanish), or empty"),
    ],
)  # fmt: skip
def test_a_language_the_questionnaire_lacks_rejects_the_file(
    run, fielded, tmp_path, value, labels, message
):
    exported = tmp_path / "demo.csv"
    run("export", SURVEY, *(("--labels",) if labels else ()), "-o", exported)
    rewrite_cell(exported, 3, "language", value)
    fresh = tmp_path / "fresh.db"
    result = run("import-responses", SURVEY, exported, *(("--labels",) if labels else ()),
                 db=fresh, expect=1)  # fmt: skip
    assert message in result.output
    assert "rejected, nothing imported" in result.output
    assert response_count(connect(str(fresh)), SURVEY) == 0


def test_a_language_name_is_read_only_with_labels(run, fielded, tmp_path):
    exported = tmp_path / "demo.csv"
    run("export", SURVEY, "--labels", "-o", exported)
    rewrite_cell(exported, 2, "language", "fr")  # a code is read with --labels too
    fresh = tmp_path / "fresh.db"
    run("import-responses", SURVEY, exported, "--labels", db=fresh)
    assert stored_languages(fresh) == ["fr", *ANSWERED_IN[1:]]


def test_import_refuses_a_label_language_the_questionnaire_lacks(run, fielded, tmp_path):
    exported = tmp_path / "demo.csv"
    run("export", "demo", "--labels", "-o", exported)
    result = run("import-responses", "demo", exported, "--labels", "--lang", "es", expect=2)
    assert "'es' is not a language of demo (en, fr)" in result.output


# Response rates and counts by language


def test_status_by_language_counts_links_by_their_language_and_responses_by_theirs(
    app, db, run, fielded
):
    questionnaire = app.extensions["questionnaires"][SURVEY]
    create_invitations(db, SURVEY, 10, language="fr")
    create_invitations(db, SURVEY, 4, language="es")
    create_invitations(db, SURVEY, 6)
    imported = [response_row(questionnaire, {}, "import", language) for language in ("fr", "fr")]
    insert_responses(db, questionnaire, imported)
    output = run("status", SURVEY, "--by", "language").output
    links, responses = output.split(f"{SURVEY}: responses by the language answered in")
    cells = {line.split()[0]: line.split()[1:] for line in links.splitlines()[2:]}
    # group: invited, started, web, imported, responded, rate, open link
    assert cells["fr"] == ["10", "0", "0", "2", "2", "20%", "0"]
    assert cells["es"] == ["4", "0", "0", "0", "0", "0%", "0"]
    assert cells["(none)"][0] == "6"
    counts = {line.split()[0]: line.split()[1:] for line in responses.splitlines()[2:]}
    web = pd.Series(ANSWERED_IN).fillna("(none)").value_counts()
    assert counts["fr"] == [str(web["fr"]), "2", str(web["fr"] + 2)]
    for language in ("en", "es", "(none)"):
        assert counts[language] == [str(web[language]), "0", str(web[language])]
    assert run("status", SURVEY, "--by", "lang").output == output


# Cross-tabs and charts by language, and in a language


def test_crosstab_by_language_groups_by_the_language_answered_in(run, fielded):
    rows = read_csv(run("crosstab", SURVEY, "--by", "language", "--min-cell", 1).output)
    groups = list(dict.fromkeys(row["group"] for row in rows))
    assert groups == ["All", "English", "French", "Spanish", "(not recorded)"]
    exported = pd.DataFrame(read_csv(run("export", SURVEY).output))
    for code, group in (("fr", "French"), ("", "(not recorded)")):
        answers = exported[exported.language == code]["statements.one"]
        row = next(r for r in rows if r["group"] == group and r["item"] == "one"
                   and r["value"] == "agree")  # fmt: skip
        assert int(row["count"]) == (answers == "agree").sum()


def test_chart_by_language_names_the_languages(run, fielded, tmp_path):
    out = tmp_path / "by-language.svg"
    run("chart", SURVEY, "--by", "language", "--min-cell", 1, "-o", out)
    svg = out.read_text(encoding="utf-8")
    for group in ("English", "French", "Spanish", "(not recorded)"):
        assert group in svg


@pytest.mark.parametrize(
    "language, present, absent",
    [
        ("fr", ["Énoncé un", "D'accord", "Ensemble", "Français", "Ne sait pas (effectif)",
                "réponses exprimées", "masqués pour préserver la confidentialité"],
         ["Statement one", "Agree", "All", "French", "(count)", "substantive"]),
        ("es", ["Enunciado uno", "De acuerdo", "Total", "Francés", "No sabe (recuento)",
                "respuestas válidas", "se omiten para preservar la confidencialidad"],
         ["Statement one", "Agree", "All", "French", "(count)", "substantive"]),
    ],
)  # fmt: skip
def test_crosstab_in_a_language_has_no_english_left(run, fielded, language, present, absent):
    text = run("crosstab", SURVEY, "--by", "language", "--min-cell", 1, "--format", "md",
               "--lang", language).output  # fmt: skip
    for words in present:
        assert words in text, words
    for words in absent:
        assert not re.search(rf"(?<!\w){re.escape(words)}(?!\w)", text), words


def test_the_tidy_csv_in_french_labels_groups_values_and_base(run, fielded):
    rows = read_csv(run("crosstab", SURVEY, "--by", "language", "--lang", "fr").output)
    assert {row["group"] for row in rows} >= {"Ensemble", "Anglais", "(non enregistrée)"}
    assert {row["value_label"] for row in rows if row["value"] == "_base"} == {
        "Base\u00a0: réponses exprimées"
    }
    assert {row["item_label"] for row in rows} == {"Énoncé un", "Énoncé deux"}


def test_the_workbook_of_a_crosstab_in_spanish(run, fielded, tmp_path):
    out = tmp_path / "tabla.xlsx"
    run("crosstab", SURVEY, "--by", "region", "--lang", "es", "--format", "xlsx", "-o", out)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["statements", "Respuestas", "Diccionario de datos"]
    sheet = book["statements"]
    assert sheet["A1"].value == "¿Está de acuerdo?"
    assert [cell.value for cell in sheet[2]][:3] == ["Ítem", "Grupo", "n"]
    assert {sheet.cell(row, 2).value for row in range(3, 9)} >= {"Total", "África", "Otra"}
    assert book.properties.title == "Tabla cruzada de demo_fr_es por region"


def test_a_chart_in_spanish_has_spanish_words(run, fielded, tmp_path):
    out = tmp_path / "grafico.svg"
    run("chart", SURVEY, "--by", "language", "--lang", "es", "--min-cell", 6, "-o", out)
    svg = out.read_text(encoding="utf-8")
    for words in ("Enunciado uno", "Total", "Inglés", "(no registrado)", "En desacuerdo",
                  "Porcentaje de las respuestas válidas (sin contar No sabe).",
                  "omitido (n&lt;6)"):  # fmt: skip
        assert words in svg, words
    assert "Statement" not in svg and "suppressed" not in svg


def test_a_heat_table_in_french_has_french_words(run, fielded, tmp_path):
    out = tmp_path / "moyennes.svg"
    run("chart", SURVEY, "--by", "language", "--stat", "mean", "--lang", "fr", "--min-cell", 6,
        "-o", out)  # fmt: skip
    svg = out.read_text(encoding="utf-8")
    assert "Note moyenne (de 1 à 2)\u00a0; plus foncé = plus élevé." in svg
    assert "masqué (moins de 6 notes)" in svg and "Ensemble" in svg
    assert "Mean rating" not in svg


@pytest.mark.parametrize(
    "args",
    [
        ("export", SURVEY, "--lang", "de"),
        ("export", SURVEY, "--format", "sav", "--lang", "de", "-o", "out.sav"),
        ("dictionary", SURVEY, "--lang", "de"),
        ("crosstab", SURVEY, "--lang", "de"),
        ("chart", SURVEY, "--lang", "de", "-o", "out.png"),
    ],
)
def test_a_language_the_questionnaire_lacks_is_refused_by_name(run, fielded, tmp_path, args):
    result = run(*args, expect=2)
    assert "Invalid value for --lang: 'de' is not a language of demo_fr_es (en, fr, es)" in (
        result.output
    )
    assert not (tmp_path / "out.sav").exists() and not (tmp_path / "out.png").exists()


def test_several_surveys_take_only_a_language_every_one_has(run, fielded):
    result = run("crosstab", f"{SURVEY},demo", "--lang", "es", expect=2)
    assert "'es' is not a language of demo (en, fr)" in result.output
    french = run("crosstab", f"{SURVEY},demo", "--by", "survey", "--lang", "fr").output
    assert "Enquête de démonstration" in french


# The workspace's downloads


def test_the_survey_page_offers_the_downloads_in_each_language(client, auth, fielded):
    auth.sign_in()
    html = client.get(f"/evaluate/surveys/{SURVEY}").get_data(as_text=True)
    options = re.findall(r'<option value="(\w+)" lang="\w+"( selected)?>([^<]+)</option>', html)
    assert options == [("en", " selected", "English"), ("fr", "", "Français"),
                       ("es", "", "Español")]  # fmt: skip
    for fmt in ("csv", "xlsx", "sav"):
        assert f"/evaluate/surveys/{SURVEY}/responses.{fmt}" in html
    assert f"/evaluate/surveys/{SURVEY}/dictionary.csv" in html
    assert "Responses by the language answered in" in html


def test_the_survey_page_counts_the_responses_by_language(client, auth, fielded):
    auth.sign_in()
    html = client.get(f"/evaluate/surveys/{SURVEY}").get_data(as_text=True)
    table = html.split("Responses by the language answered in")[1].split("</table>")[0]
    rows = re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)</td>', table)
    web = pd.Series(ANSWERED_IN).fillna("-").value_counts()
    assert dict(rows) == {
        "English": str(web["en"]), "French": str(web["fr"]), "Spanish": str(web["es"]),
        "(not recorded)": str(web["-"]),
    }  # fmt: skip


def test_the_workspace_downloads_the_responses_as_the_export_writes_them(
    client, auth, run, fielded
):
    auth.sign_in()
    download = client.get(f"/evaluate/surveys/{SURVEY}/responses.csv?lang=fr&labels=1")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert "attachment" in download.headers["Content-Disposition"]
    assert (
        download.get_data(as_text=True) == run("export", SURVEY, "--labels", "--lang", "fr").output
    )
    dictionary = client.get(f"/evaluate/surveys/{SURVEY}/dictionary.csv?lang=es")
    assert dictionary.get_data(as_text=True) == run("dictionary", SURVEY, "--lang", "es").output
    sav = client.get(f"/evaluate/surveys/{SURVEY}/responses.sav?lang=es")
    assert sav.status_code == 200
    _data, meta = pyreadstat.read_sav(io.BytesIO(sav.data))
    assert meta.column_names_to_labels["language"] == "Idioma de respuesta"


def test_the_workspace_refuses_a_language_the_survey_lacks(client, auth, fielded):
    auth.sign_in()
    for path in (f"/evaluate/surveys/{SURVEY}/responses.xlsx?lang=de",
                 f"/evaluate/surveys/{SURVEY}/dictionary.csv?lang=de",
                 f"/evaluate/crosstabs/download.csv?survey={SURVEY}&lang=de"):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 400, path
        assert "&#39;de&#39; is not a language of demo_fr_es (en, fr, es)" in (
            response.get_data(as_text=True)
        ), path


def test_the_crosstab_page_downloads_tables_and_charts_in_the_language_chosen(
    client, auth, run, fielded
):
    auth.sign_in()
    query = f"survey={SURVEY}&by=language&stat=distribution&min_cell=1"
    html = client.get(f"/evaluate/crosstabs/?{query}").get_data(as_text=True)
    form = html.split('<form method="get" id="downloads"')[1].split("</form>")[0]
    assert re.findall(r'<option value="(\w+)"', form) == ["en", "fr", "es"]
    assert 'name="by" value="language"' in form and 'name="lang"' in form
    assert 'form="downloads"' in html  # the chart buttons submit the same form
    assert "Language answered in" in html  # a grouping the page offers
    markdown = client.get(f"/evaluate/crosstabs/download.md?{query}&lang=es")
    assert markdown.get_data(as_text=True) == run(
        "crosstab", SURVEY, "--by", "language", "--min-cell", 1, "--format", "md",
        "--lang", "es",
    ).output  # fmt: skip
    chart = client.get(f"/evaluate/crosstabs/chart/statements.svg?{query}&lang=fr&download=1")
    assert chart.status_code == 200 and "attachment" in chart.headers["Content-Disposition"]
    svg = chart.get_data(as_text=True)
    assert "Énoncé un" in svg and "Français" in svg and "Statement one" not in svg


def test_codes_by_language_and_in_a_language(run, db, fielded):
    from surveyapp.store.codings import Codebook

    book = Codebook(db, "constraints")
    funds = book.add_code("funds", "ana")
    french = [n + 1 for n, code in enumerate(ANSWERED_IN) if code == "fr"]
    for response_id in french[:4]:
        book.assign(SURVEY, response_id, funds, "ana")
    args = ("codes", SURVEY, "constraints", "--by", "language", "--min-cell", 1)
    rows = read_csv(run(*args).output)
    found = {(row["code"], row["group"]): row["respondents"] for row in rows}
    assert found[("funds", "French")] == "4" and found[("funds", "English")] == "0"
    assert found[("funds", "All")] == "4" and found[("funds", "(not recorded)")] == "0"
    spanish = {(row["code"], row["group"]) for row in read_csv(run(*args, "--lang", "es").output)}
    assert {("funds", "Total"), ("funds", "Francés"), ("(sin codificar)", "Inglés")} <= spanish
    assert not {group for _code, group in spanish} & {"All", "French", "English"}


# The fixed words


def test_languages_are_named_in_each_language_and_in_themselves():
    from surveyapp.analysis.words import language_name, own_name

    names = {
        (code, within): language_name(code, within)
        for code in ("en", "fr", "es")
        for within in ("en", "fr", "es")
    }
    assert names == {
        ("en", "en"): "English", ("fr", "en"): "French", ("es", "en"): "Spanish",
        ("en", "fr"): "Anglais", ("fr", "fr"): "Français", ("es", "fr"): "Espagnol",
        ("en", "es"): "Inglés", ("fr", "es"): "Francés", ("es", "es"): "Español",
    }  # fmt: skip
    assert [own_name(code) for code in ("en", "fr", "es", "de")] == [
        "English", "Français", "Español", "Deutsch"
    ]  # fmt: skip
    assert language_name("xx") == "xx"  # a code Babel does not know stays as it is


def test_every_fixed_word_is_in_english_french_and_spanish_with_the_same_blanks():
    from surveyapp.analysis.words import TYPE_LABELS, WORDS

    for key, texts in {**WORDS, **TYPE_LABELS}.items():
        assert set(texts) == {"en", "fr", "es"} and all(texts.values()), key
        blanks = {language: set(re.findall(r"\{(\w*)\}", text)) for language, text in
                  texts.items()}  # fmt: skip
        assert blanks["fr"] == blanks["es"] == blanks["en"], key


def test_french_is_written_with_french_typography():
    """A non-breaking space before ; : ! ? and inside « », and the typographic apostrophe,
    as the questionnaires and the respondent pages have them."""
    from surveyapp.analysis.words import TYPE_LABELS, WORDS, language_name

    texts = [t["fr"] for t in (*WORDS.values(), *TYPE_LABELS.values())]
    texts += [language_name(code, "fr") for code in ("en", "fr", "es")]
    for bad in (r"[ \w}][;:!?](?!\w)", r"«[^\u00a0]", r"[^\u00a0]»", "'"):
        assert not [text for text in texts if re.search(bad, text)], bad


def test_the_chart_words_are_the_charts_own_in_english():
    from exports.charts import CHART_WORDS
    from surveyapp.analysis.words import chart_words

    assert chart_words("en") == CHART_WORDS
    assert set(chart_words("fr")) == set(chart_words("es")) == set(CHART_WORDS)


def test_the_words_the_question_types_write_themselves_are_translated(app):
    from surveyapp.analysis.words import choice_labels, fixed_label
    from surveyapp.questionnaire.types import QUESTION_TYPES

    for kind in QUESTION_TYPES.values():
        if kind.value_format:
            assert fixed_label(kind.value_format, "fr") != kind.value_format, kind
            assert fixed_label(kind.value_format, "es") != kind.value_format, kind
    questionnaire = app.extensions["questionnaires"][SURVEY]
    for question in questionnaire.questions:  # every type of question the demo has
        english = choice_labels(question, "en")
        if english is None:
            continue
        for language in ("fr", "es"):
            shown = choice_labels(question, language)
            assert shown.keys() == english.keys()
            same = [value for value in english if shown[value] == english[value]]
            assert not same, (question.name, language, same)


def test_a_link_made_in_french_is_answered_exported_and_counted_in_french(run, client, db,
                                                                          tmp_path):  # fmt: skip
    from surveyapp.testing import DEMO_ANSWERS, Respondent

    out = tmp_path / "links.csv"
    run("invite", SURVEY, "--count", 2, "--lang", "fr", "-o", out)
    link = read_csv(out.read_text())[0]["link"].replace("http://127.0.0.1:5000", "")
    person = Respondent(client, link)
    person.open()
    assert "Région" in person.page.get_data(as_text=True)
    for page in DEMO_ANSWERS:
        person.submit(page)
    assert [row["language"] for row in read_csv(run("export", SURVEY).output)] == ["fr"]
    output = run("status", SURVEY, "--by", "language").output
    fr = next(line.split() for line in output.splitlines() if line.split()[:1] == ["fr"])
    assert fr[:6] == ["fr", "2", "1", "1", "0", "1"]  # invited, started, web, imported, responded
