"""The codes of an open question: added, renamed, described, merged, split and deleted.

The codebook is shared by every coder of the question and versioned: each change is a
codebook event, and the version is their number. Merges are kept with the answers they moved
(``code_merges``), so that a merge can be undone.
"""

from __future__ import annotations

import json

from coding.codebook import CodingError, code_name, unique_name
from surveyapp.store.connection import now as _now

LIVE = "merged_into is null and deleted_at is null"


class CodesMixin:
    """The codebook's codes; mixed into `store.codings.Codebook`."""

    # -- codes ------------------------------------------------------------------------------
    def codes(self, include_merged: bool = False) -> list[dict]:
        """Return the live codes of the question (or every code ever made), oldest first."""
        where = "question = ?" + ("" if include_merged else f" and {LIVE}")
        return list(self.db["codes"].rows_where(where, [self.question], order_by="id"))

    def code(self, code_id: int) -> dict:
        """Return one live code of this question, or raise CodingError."""
        rows = list(
            self.db["codes"].rows_where(
                f"id = ? and question = ? and {LIVE}", [code_id, self.question]
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

    def _new_code(self, name: str, evaluator: str, description="", origin="manual") -> int:
        """Insert a code whose name is already checked, log it, and return its id."""
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
        self._event(
            code_id, evaluator, "add", name if origin == "manual" else f"{name} ({origin})"
        )
        return code_id

    def add_code(self, name: str, evaluator: str, description: str = "", origin="manual") -> int:
        """Add a code and return its id."""
        with self.db.atomic():
            return self._new_code(self._check_name(name), evaluator, description, origin)

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

    # -- who carries a code -----------------------------------------------------------------
    def carriers(self, code_id: int) -> set[tuple[str, int, str]]:
        """Return the (survey, response_id, coder) of every coder's answer carrying a code."""
        coding = self.coding()
        rows = coding[coding.code_id == code_id]
        return set(zip(rows.survey, rows.response_id.astype(int), rows.coder, strict=True))

    def deletion_preview(self, code_id: int) -> dict:
        """Return what deleting a code would do: the code, its answers and their coders."""
        carriers = self.carriers(code_id)
        return {
            "code": self.code(code_id),
            "answers": len(carriers),
            "coders": sorted({coder for _, _, coder in carriers}),
        }

    def merge_preview(self, source_id: int, target_id: int) -> dict:
        """Return what merging one code into another would do, counted over every coder."""
        if source_id == target_id:
            raise CodingError("choose two different codes to merge")
        source, target = self.code(source_id), self.code(target_id)
        with_source, with_target = self.carriers(source_id), self.carriers(target_id)
        return {
            "source": source,
            "target": target,
            "source_answers": len(with_source),
            "target_answers": len(with_target),
            "both": len(with_source & with_target),
            "coders": sorted({coder for _, _, coder in with_source | with_target}),
        }

    # -- delete -----------------------------------------------------------------------------
    def delete_code(self, code_id: int, evaluator: str) -> int:
        """Delete a code: every coder's answers lose it (logged); return how many did."""
        with self.db.atomic():
            code = self.code(code_id)
            carriers = sorted(self.carriers(code_id))
            for survey, response_id, coder in carriers:
                self._decide(survey, response_id, code_id, coder, "remove", "delete", evaluator)
            self.db["codes"].update(code_id, {"deleted_at": _now(), "deleted_by": evaluator})
            self._event(code_id, evaluator, "delete", f"{code['name']} ({len(carriers)} answers)")
        return len(carriers)

    # -- merge and its undoing --------------------------------------------------------------
    def merge(self, source_id: int, target_id: int, evaluator: str) -> int:
        """Merge one code into another: every coder's answers with it get the other.

        Returns the id of the merge, by which it can be undone.
        """
        if source_id == target_id:
            raise CodingError("choose two different codes to merge")
        with self.db.atomic():
            source, target = self.code(source_id), self.code(target_id)
            with_target = self.carriers(target_id)
            moved = []
            for survey, response_id, coder in sorted(self.carriers(source_id)):
                had_target = (survey, response_id, coder) in with_target
                if not had_target:
                    self._decide(survey, response_id, target_id, coder, "add", "merge", evaluator)
                self._decide(survey, response_id, source_id, coder, "remove", "merge", evaluator)
                moved.append([survey, int(response_id), coder, had_target])
            self.db["codes"].update(source_id, {"merged_into": target_id})
            merge_id = (
                self.db["code_merges"]
                .insert(
                    {
                        "question": self.question,
                        "source_id": source_id,
                        "target_id": target_id,
                        "moved": json.dumps(moved),
                        "merged_by": evaluator,
                        "merged_at": _now(),
                    }
                )
                .last_pk
            )
            self._event(source_id, evaluator, "merge", f"{source['name']} -> {target['name']}")
        return merge_id

    def merges(self, limit: int = 5) -> list[dict]:
        """Return the latest merges not undone, newest first, with the two codes' names."""
        sql = """
            select m.id, m.source_id, m.target_id, m.merged_by, m.merged_at,
                json_array_length(m.moved) as answers,
                s.name as source, t.name as target
            from code_merges m join codes s on s.id = m.source_id
            join codes t on t.id = m.target_id
            where m.question = ? and m.undone_at is null and s.merged_into = m.target_id
            order by m.id desc limit ?
        """
        return list(self.db.query(sql, [self.question, limit]))

    def undo_merge(self, merge_id: int, evaluator: str) -> int:
        """Undo a merge: the source code is back with its answers; return how many got it.

        The target is taken off the answers that did not have it before the merge. An
        answer whose coder has since taken the target off stays as that coder left it.
        """
        with self.db.atomic():
            rows = list(
                self.db["code_merges"].rows_where(
                    "id = ? and question = ?", [merge_id, self.question]
                )
            )
            if not rows:
                raise CodingError(f"there is no merge {merge_id} of '{self.question}'")
            merge = rows[0]
            source = self.db["codes"].get(merge["source_id"])
            target = self.db["codes"].get(merge["target_id"])
            if merge["undone_at"]:
                raise CodingError(
                    f"the merge of '{source['name']}' into '{target['name']}' is already undone"
                )
            for code in (source, target):
                if code["deleted_at"]:
                    raise CodingError(
                        f"cannot undo the merge: '{code['name']}' has been deleted since"
                    )
            if target["merged_into"] is not None:
                raise CodingError(
                    f"cannot undo the merge: '{target['name']}' has been merged into another"
                    " code or split since"
                )
            if source["merged_into"] != target["id"]:
                raise CodingError(
                    f"cannot undo the merge: '{source['name']}' has been changed since"
                )
            taken = [c["name"] for c in self.codes()]
            if source["name"].casefold() in {name.casefold() for name in taken}:
                raise CodingError(
                    f"cannot undo the merge: there is a code named '{source['name']}' again;"
                    " rename it first"
                )
            self.db["codes"].update(source["id"], {"merged_into": None})
            restored = 0
            for survey, response_id, coder, had_target in json.loads(merge["moved"]):
                if target["id"] not in self.codes_of(survey, response_id, coder):
                    continue  # the coder has taken the merged code off since: leave it so
                self._decide(
                    survey, response_id, source["id"], coder, "add", "undo merge", evaluator
                )
                if not had_target:
                    self._decide(
                        survey,
                        response_id,
                        target["id"],
                        coder,
                        "remove",
                        "undo merge",
                        evaluator,
                    )
                restored += 1
            self.db["code_merges"].update(merge_id, {"undone_by": evaluator, "undone_at": _now()})
            self._event(
                source["id"], evaluator, "undo merge", f"{source['name']} <- {target['name']}"
            )
        return restored

    # -- split ------------------------------------------------------------------------------
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

    # -- versions ---------------------------------------------------------------------------
    def version(self) -> int:
        """Return the codebook's version: the number of changes made to it."""
        sql = "select count(*) from codebook_events where question = ?"
        return self.db.execute(sql, [self.question]).fetchone()[0]

    def events(self, limit: int | None = None, offset: int = 0) -> list[dict]:
        """Return the codebook's changes (who, what, when, the code's name), newest first."""
        sql = """
            select e.id, e.code_id, e.evaluator, e.event, e.detail, e.at, c.name as code
            from codebook_events e left join codes c on c.id = e.code_id
            where e.question = ? order by e.id desc limit ? offset ?
        """
        return list(self.db.query(sql, [self.question, -1 if limit is None else limit, offset]))
