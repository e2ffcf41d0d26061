"""Each coder's coding decisions on the answers, only ever added, and what they add up to."""

from __future__ import annotations

import pandas as pd

from surveyapp.store.connection import now as _now


class DecisionsMixin:
    """Coding decisions and the current coding; mixed into `store.codings.Codebook`."""

    # -- coding -----------------------------------------------------------------------------
    def _decide(self, survey, response_id, code_id, coder, action, source, by, confidence=None):
        self.db["coding_decisions"].insert(
            {
                "question": self.question,
                "survey": survey,
                "response_id": int(response_id),
                "code_id": code_id,
                "coder": coder,
                "action": action,
                "source": source,
                "confidence": confidence,
                "decided_by": by,
                "at": _now(),
            }
        )

    def assign(self, survey, response_id, code_id, coder, source="manual", confidence=None):
        """Give an answer a code (it keeps its other codes)."""
        with self.db.atomic():
            self.code(code_id)
            self._decide(survey, response_id, code_id, coder, "add", source, coder, confidence)

    def accept(self, survey, response_id, code_id, coder, confidence=None):
        """Accept a suggested code for an answer, which counts as reviewed."""
        with self.db.atomic():
            self.code(code_id)
            self._decide(
                survey, response_id, code_id, coder, "add", "suggestion", coder, confidence
            )
            self._decide(survey, response_id, None, coder, "review", "suggestion", coder)

    def unassign(self, survey, response_id, code_id, coder):
        """Take a code off an answer."""
        with self.db.atomic():
            self._decide(survey, response_id, code_id, coder, "remove", "manual", coder)

    def move(self, survey, response_id, from_id, to_id, coder):
        """Move an answer from one code to another."""
        with self.db.atomic():
            self.code(to_id)
            self._decide(survey, response_id, from_id, coder, "remove", "move", coder)
            self._decide(survey, response_id, to_id, coder, "add", "move", coder)

    def set_codes(self, survey, response_id, code_ids, coder, source="manual"):
        """Make an answer's codes exactly these (none: reviewed and left uncoded)."""
        wanted = {int(c) for c in code_ids}
        with self.db.atomic():
            for code_id in wanted:
                self.code(code_id)
            current = self.codes_of(survey, response_id, coder)
            for code_id in wanted - current:
                self._decide(survey, response_id, code_id, coder, "add", source, coder)
            for code_id in current - wanted:
                self._decide(survey, response_id, code_id, coder, "remove", source, coder)
            self._decide(survey, response_id, None, coder, "review", source, coder)

    def codes_of(self, survey, response_id, coder) -> set[int]:
        """Return the ids of an answer's current codes for a coder."""
        sql = """
            select d.code_id from coding_decisions d
            join (select max(id) as id from coding_decisions
                  where question = ? and survey = ? and response_id = ? and coder = ?
                      and code_id is not null
                  group by code_id) latest on latest.id = d.id
            join codes c on c.id = d.code_id
            where d.action = 'add' and c.merged_into is null
        """
        params = [self.question, survey, int(response_id), coder]
        return {row[0] for row in self.db.execute(sql, params).fetchall()}

    def coding(self, coder: str | None = None) -> pd.DataFrame:
        """Return the current coding: survey, response_id, code_id, code, coder, source, at."""
        where, params = "d.question = ?", [self.question]
        if coder is not None:
            where += " and d.coder = ?"
            params.append(coder)
        sql = f"""
            select d.survey, d.response_id, d.code_id, c.name as code, d.coder, d.source,
                d.confidence, d.at
            from coding_decisions d
            join (select max(id) as id from coding_decisions
                  where question = ? and code_id is not null
                  group by survey, response_id, code_id, coder) latest on latest.id = d.id
            join codes c on c.id = d.code_id
            where {where} and d.action = 'add' and c.merged_into is null
            order by d.survey, d.response_id, c.id
        """
        rows = list(self.db.query(sql, [self.question, *params]))
        columns = [
            "survey",
            "response_id",
            "code_id",
            "code",
            "coder",
            "source",
            "confidence",
            "at",
        ]
        return pd.DataFrame(rows, columns=columns)

    def reviewed(self, coder: str) -> set[tuple[str, int]]:
        """Return the answers a coder has coded or marked as reviewed."""
        sql = (
            "select distinct survey, response_id from coding_decisions"
            " where question = ? and coder = ?"
        )
        return {
            (r["survey"], r["response_id"]) for r in self.db.query(sql, [self.question, coder])
        }

    def agreement_input(self) -> pd.DataFrame:
        """Return every coder's coding as answer, coder, code rows, for `coding.agreement`.

        An answer is named ``survey:response_id``; an answer a coder reviewed and left
        uncoded has a row with code None.
        """
        rows = [
            {"answer": f"{row.survey}:{row.response_id}", "coder": row.coder, "code": row.code}
            for row in self.coding().itertuples()
        ]
        for coder in self.coders():
            for survey, response_id in self.reviewed(coder):
                rows.append({"answer": f"{survey}:{response_id}", "coder": coder, "code": None})
        return pd.DataFrame(rows, columns=["answer", "coder", "code"])

    def coders(self) -> list[str]:
        """Return the names of everyone who has coded this question."""
        sql = "select distinct coder from coding_decisions where question = ? order by coder"
        return [row["coder"] for row in self.db.query(sql, [self.question])]

    def history(self) -> pd.DataFrame:
        """Return every decision and codebook event, newest first."""
        return pd.DataFrame(
            self.db.query(
                "select * from coding_decisions where question = ? order by id desc",
                [self.question],
            )
        )
