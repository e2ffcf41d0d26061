"""The machine's clusterings of the answers, kept apart from decisions, and adopting one."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pandas as pd

from coding.codebook import CodingError
from surveyapp.store.connection import now as _now


class ClusteringsMixin:
    """Stored clusterings; mixed into `store.codings.Codebook`."""

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
                        "details": json.dumps(_details(proposal)),
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
        """Return the stored clusterings of this question, newest first (``details`` read)."""
        runs = list(
            self.db["clusterings"].rows_where("question = ?", [self.question], order_by="id desc")
        )
        for run in runs:
            details = json.loads(run.get("details") or "{}")
            details["k_scores"] = {int(k): v for k, v in details.get("k_scores", {}).items()}
            details["clusters"] = {int(c): v for c, v in details.get("clusters", {}).items()}
            run["details"] = details
        return runs

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
        self,
        clustering_id: int,
        coder: str,
        names: dict[int, str] | None = None,
        existing: dict[int, int] | None = None,
    ) -> Adoption:
        """Code a coder's not yet coded answers by a clustering, as proposals to review.

        Each cluster's answers get the existing code ``existing`` maps it to, else a new
        code named by ``names`` (or the cluster's label), added to the shared codebook. An
        answer this coder has already made any decision on is left alone, and so is every
        other coder's coding; a new code that would code nothing is not made.
        """
        if not any(run["id"] == clustering_id for run in self.clusterings()):
            raise CodingError(f"there is no clustering {clustering_id} of '{self.question}'")
        suggestions = self.cluster_suggestions(clustering_id)
        if suggestions.empty:
            raise CodingError(f"clustering {clustering_id} has no answers")
        names, existing = names or {}, existing or {}
        result = Adoption()
        with self.db.atomic():
            for code_id in set(existing.values()):
                self.code(code_id)  # raises CodingError for a code that is not live
            decided = set(self.states(coder))  # answers absent from it are still to do
            for cluster, group in suggestions.groupby("cluster", sort=True):
                keys = list(zip(group.survey, group.response_id.astype(int), strict=True))
                todo = [key for key in keys if key not in decided]
                result.left_alone += len(keys) - len(todo)
                code_id = existing.get(int(cluster))
                if code_id is None and todo:
                    name = self._unique(names.get(int(cluster)) or group.cluster_label.iloc[0])
                    code_id = self._new_code(name, coder, origin=f"clustering {clustering_id}")
                    result.added.append(code_id)
                result.codes.append(code_id)
                for survey, response_id in todo:
                    self._decide(survey, response_id, code_id, coder, "add", "cluster", coder)
                result.coded += len(todo)
        return result


def _details(proposal) -> dict:
    """Return what a clustering shows beside its clusters: the k curve, stability, summaries."""
    estimator = proposal.estimator
    return {
        "k_scores": {str(k): round(v, 4) for k, v in estimator.k_scores_.items()},
        "k_score": "modularity" if estimator.method == "consensus" else "silhouette",
        "stability": None if estimator.stability_ is None else round(estimator.stability_, 3),
        "stability_runs": estimator.stability_runs,
        "clusters": {
            str(c["cluster"]): {"stability": c["stability"], "summary": c["summary"]}
            for c in proposal.clusters
        },
    }


@dataclass
class Adoption:
    """What adopting a clustering did for one coder.

    Attributes
    ----------
    codes : list of int or None
        The code each cluster's answers were given, in cluster order (None: a cluster whose
        answers were all left alone, for which no code was made).
    added : list of int
        The codes added to the shared codebook.
    coded : int
        How many answers were coded, as proposals for the coder to review.
    left_alone : int
        How many answers were left as they were, because the coder had decided on them.
    """

    codes: list = field(default_factory=list)
    added: list = field(default_factory=list)
    coded: int = 0
    left_alone: int = 0
