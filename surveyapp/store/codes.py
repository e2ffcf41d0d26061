"""The codes of an open question: added, renamed, described, merged and split."""

from __future__ import annotations

from coding.codebook import CodingError, code_name, unique_name
from surveyapp.store.connection import now as _now


class CodesMixin:
    """The codebook's codes; mixed into `store.codings.Codebook`."""

    # -- codes ------------------------------------------------------------------------------
    def codes(self, include_merged: bool = False) -> list[dict]:
        """Return the codes of the question, oldest first."""
        where = "question = ?" + ("" if include_merged else " and merged_into is null")
        return list(self.db["codes"].rows_where(where, [self.question], order_by="id"))

    def code(self, code_id: int) -> dict:
        """Return one live code of this question, or raise CodingError."""
        rows = list(
            self.db["codes"].rows_where(
                "id = ? and question = ? and merged_into is null", [code_id, self.question]
            )
        )
        if not rows:
            raise CodingError(f"there is no code {code_id} for question '{self.question}'")
        return rows[0]

    def _check_name(self, name: str, except_id: int | None = None) -> str:
        return code_name(name, [c["name"] for c in self.codes() if c["id"] != except_id])

    def _event(self, code_id, evaluator, event, detail=""):
        self.db["codebook_events"].insert(
            {
                "question": self.question,
                "code_id": code_id,
                "evaluator": evaluator,
                "event": event,
                "detail": detail,
                "at": _now(),
            }
        )

    def add_code(self, name: str, evaluator: str, description: str = "", origin="manual") -> int:
        """Add a code and return its id."""
        with self.db.atomic():
            name = self._check_name(name)
            code_id = (
                self.db["codes"]
                .insert(
                    {
                        "question": self.question,
                        "name": name,
                        "description": description.strip(),
                        "origin": origin,
                        "created_by": evaluator,
                        "created_at": _now(),
                    }
                )
                .last_pk
            )
            self._event(code_id, evaluator, "add", name)
        return code_id

    def rename(self, code_id: int, name: str, evaluator: str):
        """Give a code a new name."""
        with self.db.atomic():
            old = self.code(code_id)["name"]
            name = self._check_name(name, except_id=code_id)
            self.db["codes"].update(code_id, {"name": name})
            self._event(code_id, evaluator, "rename", f"{old} -> {name}")

    def describe(self, code_id: int, description: str, evaluator: str):
        """Set a code's description."""
        with self.db.atomic():
            self.code(code_id)
            self.db["codes"].update(code_id, {"description": description.strip()})
            self._event(code_id, evaluator, "describe", description.strip())

    def merge(self, source_id: int, target_id: int, evaluator: str):
        """Merge one code into another: every coder's answers with it get the other."""
        if source_id == target_id:
            raise CodingError("choose two different codes to merge")
        with self.db.atomic():
            source, target = self.code(source_id), self.code(target_id)
            current = self.coding()
            for row in current[current.code_id == source_id].itertuples():
                self._decide(
                    row.survey, row.response_id, target_id, row.coder, "add", "merge", evaluator
                )
                self._decide(
                    row.survey, row.response_id, source_id, row.coder, "remove", "merge", evaluator
                )
            self.db["codes"].update(source_id, {"merged_into": target_id})
            self._event(source_id, evaluator, "merge", f"{source['name']} -> {target['name']}")

    def split(
        self, code_id: int, labels: dict[tuple[str, int], int], names: dict[int, str], coder
    ):
        """Split a code: answers go to new codes by the given sub-cluster; returns new ids."""
        with self.db.atomic():
            original = self.code(code_id)
            new_ids = {}
            for part in sorted(set(labels.values())):
                name = names.get(part) or f"{original['name']} ({part})"
                new_ids[part] = self.add_code(
                    self._unique(name), coder, origin=f"split of {original['name']}"
                )
            for (survey, response_id), part in labels.items():
                self._decide(survey, response_id, code_id, coder, "remove", "split", coder)
                self._decide(survey, response_id, new_ids[part], coder, "add", "split", coder)
            remaining = self.coding()
            if not (remaining.code_id == code_id).any():  # nobody uses it any more: retire it
                self.db["codes"].update(code_id, {"merged_into": min(new_ids.values())})
            self._event(code_id, coder, "split", f"into {len(new_ids)} codes")
        return list(new_ids.values())

    def _unique(self, name: str) -> str:
        return unique_name(name, [c["name"] for c in self.codes()])
