"""The consensus coding of a question: what two coders agree on, and their disagreements settled.

The consensus is a coder of its own, named ``consensus``, whose decisions sit in
``coding_decisions`` beside every evaluator's (no evaluator can take that name, so nobody
codes under it by signing in). Starting a consensus between coders A and B (one per
question, in ``consensus_codings``) copies every answer both reviewed and coded alike
(source 'agreed'); an evaluator then settles each answer they coded differently (source
'settled'), with a note kept in ``codebook_events``. Every decision names the evaluator who
made it (``decided_by``) and when (``at``). An answer is in the consensus while its latest
answer-wide decision (code_id null) is a 'review'; restarting with other coders takes every
answer out ('reset') and its codes off, the history kept.
"""

from __future__ import annotations

import json

import pandas as pd

from coding.codebook import CodingError
from surveyapp.store.connection import now as _now

CONSENSUS = "consensus"
AGREED, SETTLED = "agreed", "settled"
KEYS = ["survey", "response_id"]


class ConsensusExists(CodingError):
    """A consensus between other coders exists; replacing it needs the evaluator's word."""


def _codes_of(signature: str) -> set[int]:
    """Return the code ids an answer's signature ("3,7", "" for none) names."""
    return {int(code) for code in signature.split(",") if code}


class ConsensusMixin:
    """The consensus coding of two coders; mixed into `store.codings.Codebook`."""

    def consensus(self) -> dict | None:
        """Return the question's consensus (coder_a, coder_b, started_by, started_at), or None."""
        rows = list(self.db["consensus_codings"].rows_where("question = ?", [self.question]))
        return rows[0] if rows else None

    def counting_coder(self) -> str | None:
        """Return the coder to count by default: the consensus when one exists, else None."""
        return CONSENSUS if self.consensus() is not None else None

    # -- reading ----------------------------------------------------------------------------
    def _members(self) -> pd.DataFrame:
        """Return the answers in the consensus: survey, response_id, source, decided_by, at."""
        sql = """
            select d.survey, d.response_id, d.action, d.source, d.decided_by, d.at
            from coding_decisions d
            join (select max(id) as id from coding_decisions
                  where question = ? and coder = ? and code_id is null
                  group by survey, response_id) latest on latest.id = d.id
        """
        columns = [*KEYS, "action", "source", "decided_by", "at"]
        rows = pd.DataFrame(list(self.db.query(sql, [self.question, CONSENSUS])), columns=columns)
        return rows[rows.action == "review"].drop(columns="action").reset_index(drop=True)

    def _reviewed_frame(self, coder: str) -> pd.DataFrame:
        """Return the answers a coder reviewed (for the consensus: its answers) as a frame."""
        if coder == CONSENSUS:
            return self._members()[KEYS]
        return pd.DataFrame(sorted(self.reviewed(coder)), columns=KEYS)

    @staticmethod
    def _signatures(coding: pd.DataFrame, coder: str, answers: pd.DataFrame) -> pd.Series:
        """Return each answer's code ids as text ("3,7", "" for none), for one coder."""
        mine = coding[coding.coder == coder].sort_values("code_id")
        joined = mine.code_id.astype(int).astype(str).groupby([mine.survey, mine.response_id])
        joined = joined.agg(",".join)
        index = pd.MultiIndex.from_frame(answers[KEYS].astype({"response_id": int}))
        return joined.reindex(index, fill_value="") if len(index) else joined.iloc[:0]

    def agreement_rows(self, coders: list[str], coding: pd.DataFrame | None = None):
        """Return the coders' codings of the answers each reviewed, for `coding.agreement`.

        Rows are answer (``survey:response_id``), coder, code (name); an answer reviewed
        and left uncoded has only a row with code None. A machine's proposal a coder has
        not reviewed is left out; the consensus counts the answers in it.
        """
        coding = self.coding() if coding is None else coding
        frames = []
        for coder in coders:
            reviewed = self._reviewed_frame(coder)
            mine = coding[coding.coder == coder].merge(reviewed, on=KEYS)
            frames.append(mine[[*KEYS, "code"]].assign(coder=coder))
            frames.append(reviewed.assign(code=None, coder=coder))
        rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=KEYS)
        rows["answer"] = rows.survey.astype(str) + ":" + rows.response_id.astype(str)
        return rows.reindex(columns=["answer", "coder", "code"])

    def comparison(self, coder_a: str, coder_b: str, coding: pd.DataFrame | None = None):
        """Return one row per answer both coders reviewed, with the consensus's part in it.

        Columns: survey, response_id; codes_a, codes_b and codes_c (code ids as "3,7", ""
        for none; codes_c the consensus's current codes); agree (A's codes are B's);
        source ('agreed', 'settled', or None when not in the consensus), decided_by, at and
        note of the consensus's latest decision on it.
        """
        coding = self.coding() if coding is None else coding
        reviewed_a = self._reviewed_frame(coder_a)
        both = reviewed_a.merge(self._reviewed_frame(coder_b), on=KEYS)
        both = both.astype({"response_id": int}).sort_values(KEYS, ignore_index=True)
        table = both.assign(
            codes_a=self._signatures(coding, coder_a, both).to_numpy(dtype=object),
            codes_b=self._signatures(coding, coder_b, both).to_numpy(dtype=object),
            codes_c=self._signatures(coding, CONSENSUS, both).to_numpy(dtype=object),
        )
        table["agree"] = table.codes_a == table.codes_b
        members = self._members().astype({"response_id": int})
        table = table.merge(members, on=KEYS, how="left")
        notes = self._notes()
        table = table.merge(notes, on=KEYS, how="left")
        table["note"] = table.note.where(table.source == SETTLED, None)
        table["source"] = table.source.astype(object).where(table.source.notna(), None)
        return table

    def _notes(self) -> pd.DataFrame:
        """Return the note of each answer's latest settling: survey, response_id, note."""
        rows = self.db.query(
            "select detail from codebook_events where question = ? and event = 'settle'"
            " order by id",
            [self.question],
        )
        found = [json.loads(row["detail"]) for row in rows]
        notes = pd.DataFrame(
            [(d["survey"], int(d["response_id"]), d.get("note", "")) for d in found],
            columns=[*KEYS, "note"],
        )
        return notes.drop_duplicates(KEYS, keep="last")

    def consensus_codes(self, survey: str, response_id: int) -> set[int]:
        """Return the ids of an answer's codes in the consensus."""
        return self.codes_of(survey, response_id, CONSENSUS)

    # -- writing ----------------------------------------------------------------------------
    def _row(self, survey, response_id, code_id, action, source, evaluator, at) -> dict:
        return {
            "question": self.question,
            "survey": survey,
            "response_id": int(response_id),
            "code_id": None if code_id is None else int(code_id),
            "coder": CONSENSUS,
            "action": action,
            "source": source,
            "confidence": None,
            "decided_by": evaluator,
            "at": at,
        }

    def _recode(self, survey, response_id, current, wanted, source, evaluator, at) -> list:
        """Return the decisions making an answer's consensus codes `wanted`, then reviewed."""
        rows = [
            self._row(survey, response_id, code, "add", source, evaluator, at)
            for code in sorted(wanted - current)
        ]
        rows += [
            self._row(survey, response_id, code, "remove", source, evaluator, at)
            for code in sorted(current - wanted)
        ]
        rows.append(self._row(survey, response_id, None, "review", source, evaluator, at))
        return rows

    def start_consensus(
        self, coder_a: str, coder_b: str, evaluator: str, replace: bool = False
    ) -> int:
        """Start (or bring up to date) the consensus of two coders; return answers copied.

        Every answer both coders reviewed and coded alike is copied into the consensus
        (source 'agreed'), unless it was settled there. A consensus between other coders is
        replaced only when ``replace`` is true (else ConsensusExists): its answers are taken
        out and their codes off, the decisions kept in the history.
        """
        if coder_a == coder_b:
            raise CodingError("choose two different coders")
        if CONSENSUS in (coder_a, coder_b):
            raise CodingError("the consensus cannot be one of the coders it settles between")
        coders = self.coders()
        for coder in (coder_a, coder_b):
            if coder not in coders:
                raise CodingError(f"{coder} has not coded '{self.question}'")
        with self.db.atomic():
            current = self.consensus()
            if current and {current["coder_a"], current["coder_b"]} != {coder_a, coder_b}:
                if not replace:
                    raise ConsensusExists(
                        f"a consensus of {current['coder_a']} and {current['coder_b']} exists"
                    )
                self._set_aside(evaluator)
                current = None
            if current is None:
                self.db["consensus_codings"].upsert(
                    {
                        "question": self.question,
                        "coder_a": coder_a,
                        "coder_b": coder_b,
                        "started_by": evaluator,
                        "started_at": _now(),
                    },
                    pk="question",
                )
                self._event(None, evaluator, "consensus", f"{coder_a} and {coder_b}")
            return self._copy_agreed(coder_a, coder_b, evaluator)

    def _copy_agreed(self, coder_a: str, coder_b: str, evaluator: str) -> int:
        """Copy the answers the coders agree on into the consensus, settled ones apart."""
        table = self.comparison(coder_a, coder_b)
        stale = table.agree & (table.source != SETTLED)
        stale &= table.source.isna() | (table.codes_c != table.codes_a)
        at, rows = _now(), []
        for row in table[stale].itertuples():
            wanted, current = _codes_of(row.codes_a), _codes_of(row.codes_c)
            rows += self._recode(
                row.survey, row.response_id, current, wanted, AGREED, evaluator, at
            )
        if rows:
            self.db["coding_decisions"].insert_all(rows, batch_size=500)
        return int(stale.sum())

    def _set_aside(self, evaluator: str) -> None:
        """Take every answer out of the consensus and its codes off, keeping the history."""
        at = _now()
        rows = [
            self._row(row.survey, row.response_id, row.code_id, "remove", "reset", evaluator, at)
            for row in self.coding(CONSENSUS).itertuples()
        ]
        rows += [
            self._row(row.survey, row.response_id, None, "reset", "reset", evaluator, at)
            for row in self._members().itertuples()
        ]
        if rows:
            self.db["coding_decisions"].insert_all(rows, batch_size=500)

    def settle(self, survey, response_id, code_ids, evaluator: str, note: str = "") -> None:
        """Settle an answer the coders disagree on: its codes in the consensus are these."""
        wanted = {int(code) for code in code_ids}
        with self.db.atomic():
            if self.consensus() is None:
                raise CodingError("start a consensus between two coders first")
            for code_id in wanted:
                self.code(code_id)
            current = self.consensus_codes(survey, response_id)
            at = _now()
            rows = self._recode(survey, response_id, current, wanted, SETTLED, evaluator, at)
            self.db["coding_decisions"].insert_all(rows)
            detail = {"survey": survey, "response_id": int(response_id), "note": note.strip()}
            self._event(None, evaluator, "settle", json.dumps(detail, ensure_ascii=False))
