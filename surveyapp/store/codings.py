"""The codebook of one open question and every coding decision, kept in SQLite.

The machine's clusterings are stored apart (``clusterings``, ``cluster_suggestions``) from
the evaluators' decisions (``codes``, ``coding_decisions``, ``codebook_events``). Decisions
are only ever added: an answer's current codes for a coder are the latest decision per
code, so the whole history of who decided what, and when, is kept.
"""

from __future__ import annotations

import pandas as pd
import sqlite_utils

from coding.codebook import CodingError, code_name, unique_name
from surveyapp.store.connection import now as _now


class Codebook:
    """The codes of one question and each coder's coding of its answers.

    Parameters
    ----------
    db : sqlite_utils.Database
        The database holding the codebook tables (made by ``store.migrations``).
    question : str
        The name of the open question, shared by every survey that asks it.
    """

    def __init__(self, db: sqlite_utils.Database, question: str):
        self.db = db
        self.question = question

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

    # -- machine suggestions ----------------------------------------------------------------
    def store_clustering(self, proposal, surveys, n_clusters, seed, evaluator) -> int:
        """Keep a clustering as a machine suggestion, apart from any decision; return its id."""
        with self.db.atomic():
            clustering_id = (
                self.db["clusterings"]
                .insert(
                    {
                        "question": self.question,
                        "surveys": ",".join(surveys),
                        "method": proposal.estimator.method,
                        "embedder": proposal.embedder,
                        "k": int(proposal.estimator.n_clusters_),
                        "seed": seed,
                        "created_by": evaluator,
                        "created_at": _now(),
                    }
                )
                .last_pk
            )
            frame = proposal.assignments
            self.db["cluster_suggestions"].insert_all(
                {
                    "clustering_id": clustering_id,
                    "survey": survey,
                    "response_id": int(response_id),
                    "cluster": int(cluster),
                    "cluster_label": label,
                }
                for (survey, response_id), cluster, label in zip(
                    frame.answer, frame.cluster, frame.cluster_label, strict=True
                )
            )
        return clustering_id

    def clusterings(self) -> list[dict]:
        """Return the stored clusterings of this question, newest first."""
        return list(
            self.db["clusterings"].rows_where("question = ?", [self.question], order_by="id desc")
        )

    def cluster_suggestions(self, clustering_id: int) -> pd.DataFrame:
        """Return the clusters a clustering proposed for each answer."""
        return pd.DataFrame(
            self.db.query(
                "select survey, response_id, cluster, cluster_label from cluster_suggestions"
                " where clustering_id = ? order by cluster, survey, response_id",
                [clustering_id],
            ),
            columns=["survey", "response_id", "cluster", "cluster_label"],
        )

    def adopt(
        self, clustering_id: int, coder: str, names: dict[int, str] | None = None
    ) -> list[int]:
        """Turn a clustering into codes, one per cluster, and code its answers accordingly."""
        if not any(run["id"] == clustering_id for run in self.clusterings()):
            raise CodingError(f"there is no clustering {clustering_id} of '{self.question}'")
        suggestions = self.cluster_suggestions(clustering_id)
        if suggestions.empty:
            raise CodingError(f"clustering {clustering_id} has no answers")
        created = []
        with self.db.atomic():
            for cluster, group in suggestions.groupby("cluster", sort=True):
                name = self._unique((names or {}).get(int(cluster)) or group.cluster_label.iloc[0])
                code_id = (
                    self.db["codes"]
                    .insert(
                        {
                            "question": self.question,
                            "name": name,
                            "description": "",
                            "origin": f"clustering {clustering_id}",
                            "created_by": coder,
                            "created_at": _now(),
                        }
                    )
                    .last_pk
                )
                self._event(code_id, coder, "add", f"from clustering {clustering_id}")
                for row in group.itertuples():
                    self._decide(
                        row.survey, row.response_id, code_id, coder, "add", "cluster", coder
                    )
                created.append(code_id)
        return created

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
