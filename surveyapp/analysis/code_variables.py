"""The codes of an open question as data: one 0/1 variable per code, one row per response.

Every response of each survey asking the question has a row (``survey``, ``response_id``,
then one column per live code, ordered by code id). A code's variable is named from the
question and the code's id, ``constraints_c07``: stable however codes are renamed, added or
deleted, ASCII, at most 32 characters (valid in SPSS, Stata and R). 1 = the answer carries
the code, 0 = it does not; a response that gave no answer (or a non-answer), or whose
answer the coder has not coded yet, is missing (empty), never 0. ``response_id`` is the
response export's own column, so the two join on (survey, response_id).
"""

from __future__ import annotations

import re

import pandas as pd

from coding.codebook import CodingError
from surveyapp.store.codings import Codebook
from surveyapp.store.consensus import CONSENSUS
from surveyapp.store.responses import column_values

ID_COLUMNS = ["survey", "response_id"]
MENTIONED = {0: "not mentioned", 1: "mentioned"}
MAX_NAME = 32  # Stata's limit, within SPSS's 64 bytes
DICTIONARY_COLUMNS = ["variable", "question", "code_id", "code", "description", "values", "coder"]
FORMATS = ("csv", "xlsx", "sav")
OWN_LABELS = {"survey": "Survey", "response_id": "Response number"}


def counting_coder(codebook: Codebook, coder: str | None = None) -> str:
    """Return whose coding counts: the coder named, else the consensus, else the only coder.

    Raises CodingError naming the coders when none is named and there are several.
    """
    coders = codebook.coders()
    if coder:
        if coder not in coders:
            found = ", ".join(coders) or "nobody has coded it yet"
            raise CodingError(f"'{coder}' has not coded '{codebook.question}' (coders: {found})")
        return coder
    consensus = codebook.counting_coder()
    if consensus:
        return consensus
    if len(coders) == 1:
        return coders[0]
    if not coders:
        raise CodingError(f"nobody has coded '{codebook.question}' yet")
    raise CodingError(
        f"'{codebook.question}' has several coders and no consensus: name one"
        f" ({', '.join(coders)})"
    )


def variable_name(question: str, code_id: int) -> str:
    """Return a code's variable name, e.g. constraints_c07: ASCII, at most 32 characters."""
    suffix = f"_c{int(code_id):02d}"
    stem = re.sub(r"[^A-Za-z0-9_]", "_", question) or "q"
    if not stem[0].isalpha():
        stem = "q" + stem
    return stem[: MAX_NAME - len(suffix)] + suffix


def _coded_answers(codebook: Codebook, coder: str, coding: pd.DataFrame) -> set:
    """Return the (survey, response_id) the coder has coded or reviewed (state not todo).

    For the consensus coding, the answers in the consensus: an answer taken out when the
    consensus was restarted between other coders is not coded, though it once was.
    """
    if coder == CONSENSUS:
        frame = codebook.consensus_members()
        found = set(zip(frame.survey, frame.response_id.astype(int), strict=True))
    else:
        found = set(codebook.states(coder))
    return found | set(zip(coding.survey, coding.response_id, strict=True))


class CodeVariables:
    """The codes of one coder's coding of an open question, as a table of 0/1 variables.

    Parameters
    ----------
    open_question : surveyapp.analysis.open_answers.OpenQuestion
        The question, over the surveys whose responses make the rows.
    coder : str, optional
        Whose coding; by default the consensus, else the only coder (``counting_coder``).
    """

    def __init__(self, open_question, coder: str | None = None):
        self.open_question = open_question
        self.coder = coder

    def fit(self) -> CodeVariables:
        """Read the coding and build ``data_``, ``codes_`` and ``coder_``; return self."""
        question = self.open_question
        codebook = question.codebook
        self.coder_ = counting_coder(codebook, self.coder)
        self.codes_ = [
            {**code, "variable": variable_name(question.question, code["id"])}
            for code in sorted(codebook.codes(), key=lambda c: c["id"])
        ]
        coding = codebook.coding(self.coder_)
        answers = question.answers()
        if "non_answer" in answers:
            answers = answers[~answers["non_answer"].astype(bool)]
        answered = set(zip(answers.survey, answers.response_id, strict=True))
        counted = answered & _coded_answers(codebook, self.coder_, coding)
        self.answered_, self.counted_ = answered, counted
        rows = pd.concat(
            [
                column_values(question.db, s, question.question)[["response_id"]].assign(survey=s)
                for s in question.surveys
            ],
            ignore_index=True,
        )[ID_COLUMNS]
        rows = rows.sort_values(ID_COLUMNS, key=_survey_order(question.surveys), kind="stable")
        rows = rows.reset_index(drop=True)
        rows["response_id"] = rows["response_id"].astype("int64")
        keys = list(zip(rows.survey, rows.response_id, strict=True))
        known = pd.Series([key in counted for key in keys], index=rows.index)
        carried = set(zip(coding.survey, coding.response_id, coding.code_id, strict=True))
        for code in self.codes_:
            values = pd.Series(
                [int((s, r, code["id"]) in carried) for s, r in keys], index=rows.index
            )
            rows[code["variable"]] = values.where(known).astype("Int64")
        self.data_ = rows
        return self

    @property
    def consensus(self) -> bool:
        """Whether the coding is the consensus coding."""
        counting = self.open_question.codebook.counting_coder()
        return bool(counting) and counting == self.coder_

    def variable_labels(self) -> dict[str, str]:
        """Return each column's label: the code's name for a code's variable."""
        return {**OWN_LABELS, **{c["variable"]: c["name"] for c in self.codes_}}

    def dictionary(self) -> pd.DataFrame:
        """Return the data dictionary of the variables: one row per column, codes described."""
        question = self.open_question.question
        own = {"question": "", "code_id": "", "code": "", "values": "", "coder": ""}
        rows = [
            {**own, "variable": "survey", "description": "The survey the response belongs to"},
            {
                **own,
                "variable": "response_id",
                "description": "The response's number in its survey's response export",
            },
        ]
        values = "; ".join(f"{value}={label}" for value, label in MENTIONED.items())
        for code in self.codes_:
            rows.append(
                {
                    "variable": code["variable"],
                    "question": question,
                    "code_id": code["id"],
                    "code": code["name"],
                    "description": code.get("description") or "",
                    "values": f"{values}; empty=not answered or not coded",
                    "coder": self.coder_,
                }
            )
        frame = pd.DataFrame(rows, columns=DICTIONARY_COLUMNS)
        number = self.open_question.codebook.version()
        frame["codebook_version"] = [""] * 2 + [number] * len(self.codes_)
        return frame

    def write(self, fmt: str, target) -> None:
        """Write the variables as CSV, XLSX (data and the "codes" dictionary) or SPSS .sav."""
        if fmt == "csv":
            from exports.csv import write_csv

            write_csv(self.data_, target)
        elif fmt == "xlsx":
            from exports.xlsx import write_workbook

            write_workbook(
                target, [], responses=self.data_, dictionary=self.dictionary(),
                title=f"Codes of {self.open_question.question} ({self.coder_})",
                data_sheets=("data", "codes"),
            )  # fmt: skip
        elif fmt == "sav":
            from exports.sav import write_sav

            names = [c["variable"] for c in self.codes_]
            write_sav(
                target,
                self.data_,
                self.variable_labels(),
                {name: MENTIONED for name in names},
                measures={"response_id": "nominal", **{name: "nominal" for name in names}},
            )
        else:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}")


def code_memberships(variables: CodeVariables, no_code: str, not_coded: str) -> pd.DataFrame:
    """Return a row per (response, group): survey, response_id, group.

    A response is in the group of each code its answer carries (so in several when it has
    several codes), in ``no_code`` when the coder left its answer without a code, in
    ``not_coded`` when its answer is not coded yet; a response that gave no answer (or a
    non-answer) has one row with no group (None).
    """
    data, names = variables.data_, {c["variable"]: c["name"] for c in variables.codes_}
    rows = []
    for position, record in enumerate(data[ID_COLUMNS].itertuples(index=False)):
        key = (record.survey, int(record.response_id))
        if key not in variables.answered_:
            found = [None]
        elif key not in variables.counted_:
            found = [not_coded]
        else:
            carried = [name for column, name in names.items() if data.at[position, column] == 1]
            found = carried or [no_code]
        rows += [(key[0], key[1], group) for group in found]
    return pd.DataFrame(rows, columns=[*ID_COLUMNS, "group"])


def _survey_order(surveys: list[str]):
    """Return a sort key that puts the surveys in the order named."""

    def key(column: pd.Series) -> pd.Series:
        if column.name == "survey":
            return column.map({s: i for i, s in enumerate(surveys)})
        return column

    return key


def code_variables(open_question, coder: str | None = None) -> CodeVariables:
    """Return the fitted code variables of a question (the consensus or only coder's)."""
    return CodeVariables(open_question, coder).fit()
