"""The consensus coding of a question: what two coders agree on, and their disagreements settled.

The consensus is a coder of its own, named ``consensus``, whose decisions sit in
``coding_decisions`` beside every evaluator's (no evaluator can take that name, so nobody
codes under it by signing in). Starting a consensus between coders A and B (one per
question, in ``consensus_codings``) copies every answer both reviewed and coded alike
(source 'agreed'); an evaluator then settles each answer they coded differently (source
'settled'), with a note in the ``note`` column of the review that settles it. Every
decision names the evaluator who made it (``decided_by``) and when (``at``).
An answer is in the consensus while its latest 'review' or 'reset' decision is a review;
restarting with other coders takes every answer out ('reset') and its codes off, the
history kept.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coding.codebook import CodingError
from surveyapp.store.connection import now as _now
from surveyapp.store.decisions import CODED, UNCODED

CONSENSUS = "consensus"
AGREED, SETTLED = "agreed", "settled"
KEYS = ["survey", "response_id"]


class ConsensusExists(CodingError):
    """A consensus between other coders exists; replacing it needs the evaluator's word."""


def to_copy(table: pd.DataFrame) -> pd.Series:
    """Return which answers of a `comparison` the coders code alike yet the consensus does
    not hold as theirs (left out, or copied when they coded it otherwise), settled ones apart.
    """
    stale = table.agree & (table.source != SETTLED)
    return stale & (table.source.isna() | (table.codes_c != table.codes_a))


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
    def consensus_members(self) -> pd.DataFrame:
        """Return the answers in the consensus: survey, response_id, source, decided_by, at."""
        sql = """
            select d.survey, d.response_id, d.action, d.source, d.decided_by, d.at
            from coding_decisions d
            join (select max(id) as id from coding_decisions
                  where question = ? and coder = ? and code_id is null
                      and action in ('review', 'reset')
                  group by survey, response_id) latest on latest.id = d.id
        """
        columns = [*KEYS, "action", "source", "decided_by", "at"]
        rows = pd.DataFrame(list(self.db.query(sql, [self.question, CONSENSUS])), columns=columns)
        return rows[rows.action == "review"].drop(columns="action").reset_index(drop=True)

    def reviewed_answers(self, coder: str, states: dict | None = None) -> pd.DataFrame:
        """Return the answers a person reviewed as this coder (the consensus: its answers).

        ``states`` are the coder's review states when already read (`Codebook.states`).
        """
        if coder == CONSENSUS:
            return self.consensus_members()[KEYS]
        states = self.states(coder) if states is None else states
        keys = sorted(key for key, state in states.items() if state in (CODED, UNCODED))
        return pd.DataFrame(keys, columns=KEYS).astype({"response_id": int})

    def _reviewed(self, coders, reviewed: dict | None) -> dict[str, pd.DataFrame]:
        """Return each coder's reviewed answers, reading only those not given."""
        reviewed = dict(reviewed or {})
        for coder in coders:
            if coder not in reviewed:
                reviewed[coder] = self.reviewed_answers(coder)
        return reviewed

    def agreement_rows(self, coders: list[str], coding=None, reviewed=None) -> pd.DataFrame:
        """Return the coders' codings of the answers each reviewed, for `coding.agreement`.

        Rows are answer (``survey:response_id``), coder, code (name); an answer reviewed
        and left uncoded has only a row with code None. A machine's proposal a coder has
        not reviewed is left out; the consensus counts the answers in it. ``coding`` and
        ``reviewed`` ({coder: answers}) are used when already read.
        """
        coding = self.coding() if coding is None else coding
        reviewed = self._reviewed(coders, reviewed)
        frames = []
        for coder in coders:
            mine = coding[coding.coder == coder].merge(reviewed[coder], on=KEYS)
            frames.append(mine[[*KEYS, "code"]].assign(coder=coder))
            frames.append(reviewed[coder].assign(code=None, coder=coder))
        rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=KEYS)
        rows["answer"] = rows.survey.astype(str) + ":" + rows.response_id.astype(str)
        return rows.reindex(columns=["answer", "coder", "code"])

    def comparison(self, coder_a: str, coder_b: str, coding=None, reviewed=None):
        """Return one row per answer both coders reviewed, with the consensus's part in it.

        Columns: survey, response_id; codes_a, codes_b and codes_c (frozensets of code ids;
        codes_c the consensus's current codes); agree (A's codes are B's); source
        ('agreed', 'settled', or None when not in the consensus), decided_by, at and note
        of the consensus's latest decision on it.
        """
        coding = self.coding() if coding is None else coding
        reviewed = self._reviewed([coder_a, coder_b], reviewed)
        both = reviewed[coder_a].merge(reviewed[coder_b], on=KEYS)
        table = both.astype({"response_id": int}).sort_values(KEYS, ignore_index=True)
        index = pd.MultiIndex.from_frame(table[KEYS])
        codes = np.sort(coding.code_id.astype(int).unique())
        matrices = {}
        for side, coder in (("a", coder_a), ("b", coder_b), ("c", CONSENSUS)):
            mine = coding[coding.coder == coder]
            rows = index.get_indexer(
                pd.MultiIndex.from_arrays([mine.survey, mine.response_id.astype(int)])
            )
            found = np.zeros((len(table), len(codes)), dtype=bool)
            found[rows[rows >= 0], np.searchsorted(codes, mine.code_id.astype(int))[rows >= 0]] = 1
            matrices[side] = found
            cut = np.cumsum(found.sum(axis=1))[:-1]
            columns = np.nonzero(found)[1]
            sets = [frozenset(part.tolist()) for part in np.split(codes[columns], cut)]
            table[f"codes_{side}"] = pd.Series(sets[: len(table)], dtype=object)
        table["agree"] = (matrices["a"] == matrices["b"]).all(axis=1)
        members = self.consensus_members().astype({"response_id": int})
        table = table.merge(members, on=KEYS, how="left")
        table = table.merge(self._notes(), on=KEYS, how="left")
        table["note"] = table.note.where(table.source == SETTLED, None)
        table["source"] = table.source.astype(object).where(table.source.notna(), None)
        return table

    def _notes(self) -> pd.DataFrame:
        """Return the note of each answer's latest settling: survey, response_id, note."""
        sql = """
            select d.survey, d.response_id, d.note from coding_decisions d
            join (select max(id) as id from coding_decisions
                  where question = ? and coder = ? and action = 'review'
                  group by survey, response_id) latest on latest.id = d.id
        """
        rows = list(self.db.query(sql, [self.question, CONSENSUS]))
        return pd.DataFrame(rows, columns=[*KEYS, "note"]).astype({"response_id": int})

    def consensus_progress(self) -> dict | None:
        """Return how far the consensus has got, or None when there is none.

        disagreements: answers both coders reviewed and coded differently; settled: those
        settled; pending: answers they now code alike that are not (as such) in it yet.
        """
        consensus = self.consensus()
        if consensus is None:
            return None
        table = self.comparison(consensus["coder_a"], consensus["coder_b"])
        disagreements = table[~table.agree]
        return consensus | {
            "disagreements": len(disagreements),
            "settled": int((disagreements.source == SETTLED).sum()),
            "pending": int(to_copy(table).sum()),
        }

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
            "note": None,
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
            return self._copy_agreed(coder_a, coder_b, evaluator)

    def _copy_agreed(self, coder_a: str, coder_b: str, evaluator: str) -> int:
        """Copy the answers the coders agree on into the consensus, settled ones apart."""
        table = self.comparison(coder_a, coder_b)
        stale = to_copy(table)
        at, rows = _now(), []
        for row in table[stale].itertuples():
            wanted, current = set(row.codes_a), set(row.codes_c)
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
            for row in self.consensus_members().itertuples()
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
            rows[-1]["note"] = note.strip() or None  # on the review that settles it
            self.db["coding_decisions"].insert_all(rows)
