"""Each coder's coding decisions on the answers, only ever added, and what they add up to.

A machine's code (adopting a clustering, splitting a code) is a proposal until a person
reviews the answer: each answer is, for one coder, in one of four review states.
"""

from __future__ import annotations

import pandas as pd

from surveyapp.store.connection import now as _now

TODO = "todo"  # no decision of this coder, or none left standing
PROPOSED = "proposed"  # coded only by the machine, not yet reviewed by this coder
CODED = "coded"  # reviewed by this coder, with codes
UNCODED = "uncoded"  # reviewed by this coder and left uncoded
STATES = (TODO, PROPOSED, CODED, UNCODED)

MACHINE_SOURCES = ("cluster", "split")  # decisions that propose and unsettle a review
PERSON_SOURCES = ("manual", "suggestion", "move")  # decisions a person made (old databases)

# One pass over a coder's decisions of the question: per answer, its number of live codes,
# the last decision that reviewed it and the last one the machine made.
_STATES_SQL = f"""
    with latest as (
        select survey, response_id, max(id) as id from coding_decisions
        where question = :question and coder = :coder and code_id is not null {{answer}}
        group by survey, response_id, code_id
    ),
    live as (
        select l.survey, l.response_id, count(*) as codes from latest l
        join coding_decisions d on d.id = l.id
        join codes c on c.id = d.code_id
        where d.action = 'add' and c.merged_into is null and c.deleted_at is null
        group by l.survey, l.response_id
    ),
    marks as (
        select survey, response_id,
            max(case when action = 'review' or source in {PERSON_SOURCES} then id end)
                as reviewed_at,
            max(case when source in {MACHINE_SOURCES} then id end) as proposed_at
        from coding_decisions
        where question = :question and coder = :coder {{answer}}
        group by survey, response_id
    )
    select m.survey, m.response_id, m.reviewed_at, m.proposed_at,
        coalesce(live.codes, 0) as codes
    from marks m left join live on live.survey = m.survey and live.response_id = m.response_id
"""
_ONE_ANSWER = "and survey = :survey and response_id = :response_id"


def _state(reviewed_at, proposed_at, codes) -> str:
    """Return an answer's review state from its last review, last proposal and live codes."""
    if reviewed_at is not None and (proposed_at is None or reviewed_at > proposed_at):
        return CODED if codes else UNCODED
    return PROPOSED if codes else TODO


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

    def _review(self, survey, response_id, coder, source="manual", was=None) -> bool:
        """Record that a person reviewed an answer unless it stood reviewed (or ``was``)."""
        if was is None:
            was = self.state_of(survey, response_id, coder)
        if was in (PROPOSED, TODO):
            self._decide(survey, response_id, None, coder, "review", source, coder)
            return True
        return False

    def assign(self, survey, response_id, code_id, coder, source="manual", confidence=None):
        """Give an answer a code (it keeps its other codes); by hand this reviews it."""
        with self.db.atomic():
            self.code(code_id)
            was = self.state_of(survey, response_id, coder)
            self._decide(survey, response_id, code_id, coder, "add", source, coder, confidence)
            if source not in MACHINE_SOURCES:
                self._review(survey, response_id, coder, source, was)

    def accept(self, survey, response_id, code_id, coder, confidence=None, replace=False):
        """Accept a suggested code for an answer, which counts as reviewed.

        With ``replace`` the answer's other codes (the machine's proposal) are taken off.
        """
        with self.db.atomic():
            self.code(code_id)
            was = self.state_of(survey, response_id, coder)
            others = self.codes_of(survey, response_id, coder) - {code_id} if replace else ()
            for other in sorted(others):
                self._decide(survey, response_id, other, coder, "remove", "suggestion", coder)
            self._decide(
                survey, response_id, code_id, coder, "add", "suggestion", coder, confidence
            )
            self._review(survey, response_id, coder, "suggestion", was)

    def accept_proposed(self, survey, response_id, coder) -> bool:
        """Confirm the machine's codes of an answer as they are; return whether it was proposed."""
        with self.db.atomic():
            if self.state_of(survey, response_id, coder) != PROPOSED:
                return False
            return self._review(survey, response_id, coder)

    def unassign(self, survey, response_id, code_id, coder):
        """Take a code off an answer, which reviews it."""
        with self.db.atomic():
            was = self.state_of(survey, response_id, coder)
            self._decide(survey, response_id, code_id, coder, "remove", "manual", coder)
            self._review(survey, response_id, coder, was=was)

    def move(self, survey, response_id, from_id, to_id, coder):
        """Move an answer from one code to another, which reviews it."""
        with self.db.atomic():
            self.code(to_id)
            was = self.state_of(survey, response_id, coder)
            self._decide(survey, response_id, from_id, coder, "remove", "move", coder)
            self._decide(survey, response_id, to_id, coder, "add", "move", coder)
            self._review(survey, response_id, coder, "move", was)

    def set_codes(self, survey, response_id, code_ids, coder, source="manual") -> bool:
        """Make an answer's codes exactly these (none: left uncoded), reviewed by the coder.

        Only changes are written: the codes added, those taken off, and a review when the
        answer did not stand reviewed. Returns whether anything was written.
        """
        wanted = {int(c) for c in code_ids}
        with self.db.atomic():
            for code_id in wanted:
                self.code(code_id)
            current = self.codes_of(survey, response_id, coder)
            was = self.state_of(survey, response_id, coder)
            for code_id in sorted(wanted - current):
                self._decide(survey, response_id, code_id, coder, "add", source, coder)
            for code_id in sorted(current - wanted):
                self._decide(survey, response_id, code_id, coder, "remove", source, coder)
            reviewed = source not in MACHINE_SOURCES and self._review(
                survey, response_id, coder, source, was
            )
        return bool(wanted ^ current) or reviewed

    def states(self, coder: str) -> dict[tuple[str, int], str]:
        """Return each answer's review state for a coder; answers absent are TODO."""
        rows = self.db.execute(
            _STATES_SQL.format(answer=""), {"question": self.question, "coder": coder}
        ).fetchall()
        found = {(s, r): _state(reviewed, proposed, n) for s, r, reviewed, proposed, n in rows}
        return {key: state for key, state in found.items() if state != TODO}

    def state_of(self, survey, response_id, coder) -> str:
        """Return one answer's review state for a coder."""
        params = {
            "question": self.question,
            "coder": coder,
            "survey": survey,
            "response_id": int(response_id),
        }
        rows = self.db.execute(_STATES_SQL.format(answer=_ONE_ANSWER), params).fetchall()
        return _state(*rows[0][2:]) if rows else TODO

    def codes_of(self, survey, response_id, coder) -> set[int]:
        """Return the ids of an answer's current codes for a coder."""
        sql = """
            select d.code_id from coding_decisions d
            join (select max(id) as id from coding_decisions
                  where question = ? and survey = ? and response_id = ? and coder = ?
                      and code_id is not null
                  group by code_id) latest on latest.id = d.id
            join codes c on c.id = d.code_id
            where d.action = 'add' and c.merged_into is null and c.deleted_at is null
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
                and c.deleted_at is null
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
        """Return the answers a person reviewed as this coder (coded or left uncoded)."""
        return {key for key, state in self.states(coder).items() if state in (CODED, UNCODED)}

    def agreement_input(self) -> pd.DataFrame:
        """Return every coder's coding of the answers they reviewed, for `coding.agreement`.

        An answer is named ``survey:response_id``; an answer a coder reviewed and left
        uncoded has a row with code None; a machine's unreviewed proposal is left out.
        """
        return self.agreement_rows(self.coders())

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
