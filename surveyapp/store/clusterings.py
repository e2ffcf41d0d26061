"""The machine's clusterings of the answers, kept apart from decisions, and adopting one."""

from __future__ import annotations

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
