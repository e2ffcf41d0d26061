"""Clustering of free-text answers into proposed codes, in scikit-learn style."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import AgglomerativeClustering, KMeans, SpectralClustering
from sklearn.cluster._spectral import cluster_qr
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.manifold import spectral_embedding
from sklearn.metrics import silhouette_score
from sklearn.neighbors import NearestNeighbors

METHODS = ("consensus", "kmeans", "agglomerative", "spectral")
CONSENSUS_RUNS = 40
NEIGHBOURS = 30
SILHOUETTE_SAMPLE = 2000


class ClusteringError(ValueError):
    """Answers that cannot be clustered as asked, with the reason in plain words."""


@dataclass
class PreparedAnswers:
    """Answers ready to cluster: blanks dropped, duplicates folded onto one text each."""

    ids: list
    texts: list[str]
    unique_texts: list[str]
    unique_index: np.ndarray  # for each kept answer, the row of its text in unique_texts
    dropped_blank: list = field(default_factory=list)

    @property
    def duplicates(self) -> int:
        """How many kept answers repeat an earlier one."""
        return len(self.texts) - len(self.unique_texts)


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def prepare_answers(ids, texts) -> PreparedAnswers:
    """Drop empty and whitespace-only answers and fold duplicates (case and spacing aside)."""
    kept_ids, kept_texts, blank = [], [], []
    for answer_id, text in zip(ids, texts, strict=True):
        clean = _normal(text) if isinstance(text, str) else ""
        if clean:
            kept_ids.append(answer_id)
            kept_texts.append(clean)
        else:
            blank.append(answer_id)
    order: dict[str, int] = {}
    unique_texts: list[str] = []
    index = []
    for text in kept_texts:
        key = text.casefold()
        if key not in order:
            order[key] = len(unique_texts)
            unique_texts.append(text)
        index.append(order[key])
    return PreparedAnswers(kept_ids, kept_texts, unique_texts, np.array(index, dtype=int), blank)


class AnswerClusterer(ClusterMixin, BaseEstimator):
    """Cluster answer embeddings into groups that an evaluator can turn into codes.

    Parameters
    ----------
    n_clusters : int or "auto", default="auto"
        The number of clusters; "auto" picks the k in ``k_range`` with the highest mean
        silhouette (cosine, on at most 2,000 answers) of the resulting clustering.
    method : {"consensus", "kmeans", "agglomerative", "spectral"}, default="consensus"
        "consensus" (evidence accumulation): 40 k-means runs with random k between k and
        2k vote on how often each answer and its 30 nearest neighbours fall together; spectral
        clustering (LOBPCG eigenvectors, QR assignment) cuts that graph into k clusters. It
        is steadier and better than one k-means on short answers (see
        benchmarks/clustering.py). "kmeans" is the plain baseline, "agglomerative" uses Ward
        linkage, "spectral" a nearest-neighbour graph.
    k_range : tuple of int, default=(2, 12)
        The smallest and largest k tried when ``n_clusters="auto"``.
    random_state : int, default=0
        Seed for k-means and spectral clustering (agglomerative is deterministic).

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        The cluster of each answer, numbered from 0 by decreasing size.
    n_clusters_ : int
        The number of clusters found.
    cluster_centers_ : ndarray of shape (n_clusters_, n_features)
        Unit-length mean embedding of each cluster.
    silhouette_scores_ : dict
        Mean silhouette for each k tried (only with ``n_clusters="auto"``).
    """

    def __init__(self, n_clusters="auto", method="consensus", k_range=(2, 12), random_state=0):
        self.n_clusters = n_clusters
        self.method = method
        self.k_range = k_range
        self.random_state = random_state

    def _check_params(self, n_samples: int):
        if self.method not in METHODS:
            raise ClusteringError(
                f"method must be one of {', '.join(METHODS)}, not {self.method!r}"
            )
        if isinstance(self.n_clusters, str) and self.n_clusters == "auto":
            low, high = _k_range(self.k_range)
            if n_samples < 3:
                raise ClusteringError(
                    f"{n_samples} distinct answers are too few to choose a number of clusters"
                )
            if low > n_samples - 1:
                raise ClusteringError(
                    f"{n_samples} distinct answers are too few to try {low} to {high} clusters;"
                    " choose a smaller k_range"
                )
            return list(range(low, min(high, n_samples - 1) + 1))
        if isinstance(self.n_clusters, bool) or not isinstance(self.n_clusters, int | np.integer):
            raise ClusteringError(
                f"n_clusters must be a whole number or 'auto', not {self.n_clusters!r}"
            )
        if self.n_clusters < 1:
            raise ClusteringError("n_clusters must be at least 1")
        if self.n_clusters > n_samples:
            raise ClusteringError(
                f"{n_samples} distinct answers cannot make {self.n_clusters} clusters;"
                " choose a smaller k"
            )
        return [int(self.n_clusters)]

    def _consensus_graph(self, X: np.ndarray, low: int, high: int) -> sparse.csr_matrix:
        """Return how often each answer and its nearest neighbours fall in one k-means cluster."""
        rng = np.random.RandomState(self.random_state)
        neighbours = min(NEIGHBOURS, len(X) - 1)
        index = (
            NearestNeighbors(n_neighbors=neighbours + 1)
            .fit(X)
            .kneighbors(X, return_distance=False)
        )
        rows = np.repeat(np.arange(len(X)), neighbours + 1)
        cols = index.ravel()
        together = np.zeros(len(rows))
        for _ in range(CONSENSUS_RUNS):
            k = int(rng.randint(low, min(2 * high, len(X)) + 1))
            labels = KMeans(k, n_init=1, random_state=int(rng.randint(2**31 - 1))).fit_predict(X)
            together += labels[rows] == labels[cols]
        graph = sparse.csr_matrix((together / CONSENSUS_RUNS, (rows, cols)), shape=(len(X),) * 2)
        return graph.maximum(graph.T).tocsr()

    def _cluster(self, X: np.ndarray, k: int) -> np.ndarray:
        if k == 1:
            return np.zeros(len(X), dtype=int)
        if k >= len(X):  # one answer per cluster (spectral methods fail on k == n)
            return np.arange(len(X))
        if self.method == "consensus":
            return cluster_qr(self.spectral_maps_[:, :k])
        if self.method == "kmeans":
            model = KMeans(k, n_init=10, random_state=self.random_state)
        elif self.method == "spectral":
            neighbours = max(2, min(10, len(X) - 1))
            model = SpectralClustering(
                k,
                affinity="nearest_neighbors",
                n_neighbors=neighbours,
                assign_labels="cluster_qr",
                random_state=self.random_state,
            )
        else:
            model = AgglomerativeClustering(k, linkage="ward")
        return model.fit_predict(X)

    def fit(self, X, y=None):
        """Cluster the rows of X (one embedding per distinct answer); return self."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or len(X) == 0:
            raise ClusteringError("there are no answers to cluster")
        candidates = self._check_params(len(X))
        if self.method == "consensus" and len(X) > 2 and candidates[-1] > 1:
            self.graph_ = self._consensus_graph(X, max(candidates[0], 2), candidates[-1])
            with warnings.catch_warnings():  # lobpcg's notes on tolerance; the cut is still good
                warnings.simplefilter("ignore", UserWarning)
                self.spectral_maps_ = spectral_embedding(
                    self.graph_,
                    n_components=min(candidates[-1], len(X) - 1),
                    eigen_solver="lobpcg",
                    random_state=self.random_state,
                    drop_first=False,
                )
        self.silhouette_scores_ = {}
        best = None
        for k in candidates:
            labels = self._cluster(X, k)
            found = len(set(labels))
            if isinstance(self.n_clusters, str):  # "auto", checked above
                score = -1.0
                if 1 < found < len(X):
                    score = silhouette_score(
                        X,
                        labels,
                        metric="cosine",
                        sample_size=min(len(X), SILHOUETTE_SAMPLE),
                        random_state=self.random_state,
                    )
                self.silhouette_scores_[k] = float(score)
                if best is None or score > best[0]:
                    best = (score, labels)
            else:
                best = (None, labels)
        self.labels_ = _by_size(best[1])
        self.n_clusters_ = int(self.labels_.max()) + 1
        centers = np.vstack([X[self.labels_ == c].mean(axis=0) for c in range(self.n_clusters_)])
        norms = np.linalg.norm(centers, axis=1, keepdims=True)
        self.cluster_centers_ = centers / np.where(norms == 0, 1, norms)
        return self


def _k_range(k_range) -> tuple[int, int]:
    """Return (low, high) of a k_range, or raise ClusteringError if it is not one."""
    try:
        low, high = k_range
    except (TypeError, ValueError):
        low = high = None
    whole = all(isinstance(k, int | np.integer) and not isinstance(k, bool) for k in (low, high))
    if not whole or not 2 <= low <= high:
        raise ClusteringError(
            f"k_range must be two whole numbers with 2 <= low <= high, not {k_range!r}"
        )
    return int(low), int(high)


def _by_size(labels: np.ndarray) -> np.ndarray:
    """Renumber clusters 0, 1, ... from the largest, ties by first appearance."""
    values, first, counts = np.unique(labels, return_index=True, return_counts=True)
    order = sorted(range(len(values)), key=lambda i: (-counts[i], first[i]))
    mapping = {values[i]: rank for rank, i in enumerate(order)}
    return np.array([mapping[v] for v in labels], dtype=int)


def cluster_terms(texts: list[str], labels, n_terms: int = 4) -> dict[int, list[str]]:
    """Return each cluster's most distinctive terms by class-based TF-IDF."""
    labels = np.asarray(labels)
    clusters = sorted(set(labels.tolist()))
    documents = [
        " ".join(t for t, lab in zip(texts, labels, strict=True) if lab == c) for c in clusters
    ]
    try:
        vectorizer = CountVectorizer(stop_words="english", ngram_range=(1, 2), min_df=1)
        counts = vectorizer.fit_transform(documents).toarray().astype(float)
    except ValueError:  # only stop words
        return {c: [] for c in clusters}
    terms = vectorizer.get_feature_names_out()
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    average_words = counts.sum() / len(clusters)
    idf = np.log(1 + average_words / np.maximum(counts.sum(axis=0), 1))
    scores = tf * idf
    result = {}
    for row, cluster in enumerate(clusters):
        best = np.argsort(-scores[row], kind="stable")
        chosen: list[str] = []
        for index in best:
            if scores[row, index] <= 0 or len(chosen) == n_terms:
                break
            term = terms[index]
            if any(term in other or other in term for other in chosen):
                continue
            chosen.append(term)
        result[cluster] = chosen
    return result


def representative_answers(X, labels, centers, texts, n_quotes: int = 3) -> dict[int, list[str]]:
    """Return for each cluster the answers closest to its centre."""
    labels = np.asarray(labels)
    quotes = {}
    for cluster, center in enumerate(centers):
        members = np.flatnonzero(labels == cluster)
        similarity = X[members] @ center
        closest = members[np.argsort(-similarity, kind="stable")[:n_quotes]]
        quotes[cluster] = [texts[i] for i in closest]
    return quotes


@dataclass
class ProposedCodes:
    """A clustering of one question's answers, ready for the evaluator to review."""

    assignments: pd.DataFrame  # response_id, text, cluster, cluster_label
    clusters: list[dict]  # cluster, size, label, terms, quotes
    notices: list[str]
    estimator: AnswerClusterer
    embedder: str


def propose_codes(
    ids,
    texts,
    n_clusters="auto",
    random_state: int = 0,
    method: str = "consensus",
    embedder=None,
    cache=None,
    progress: bool = False,
) -> ProposedCodes:
    """Embed and cluster answers; describe each cluster by its terms and closest answers."""
    from .embeddings import default_embedder

    prepared = prepare_answers(ids, texts)
    notices = []
    if prepared.dropped_blank:
        notices.append(f"{len(prepared.dropped_blank)} empty answers left out")
    if prepared.duplicates:
        notices.append(f"{prepared.duplicates} answers repeat another and join its cluster")
    if not prepared.unique_texts:
        raise ClusteringError("there are no answers to cluster: every answer is empty")
    embedder = embedder or default_embedder()
    if cache is not None:
        vectors = cache.embed(prepared.unique_texts, embedder, progress=progress)
    else:
        vectors = embedder.encode(prepared.unique_texts, progress=progress)
    estimator = AnswerClusterer(n_clusters, method=method, random_state=random_state)
    estimator.fit(vectors)
    unique_labels = estimator.labels_
    terms = cluster_terms(prepared.unique_texts, unique_labels)
    quotes = representative_answers(
        vectors, unique_labels, estimator.cluster_centers_, prepared.unique_texts
    )
    labels = unique_labels[prepared.unique_index]
    names = {c: " / ".join(terms[c][:3]) or f"cluster {c + 1}" for c in terms}
    assignments = pd.DataFrame(
        {
            "response_id": prepared.ids,
            "text": prepared.texts,
            "cluster": labels + 1,
            "cluster_label": [names[c] for c in labels],
        }
    )
    clusters = [
        {
            "cluster": c + 1,
            "size": int((labels == c).sum()),
            "label": names[c],
            "terms": terms[c],
            "quotes": quotes[c],
        }
        for c in range(estimator.n_clusters_)
    ]
    return ProposedCodes(assignments, clusters, notices, estimator, embedder.name)
