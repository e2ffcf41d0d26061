"""Clustering of free-text answers into proposed codes, in scikit-learn style."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from numbers import Integral

import numpy as np
import pandas as pd
from scipy import linalg, sparse
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import AgglomerativeClustering, KMeans, SpectralClustering
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.manifold import spectral_embedding
from sklearn.metrics import silhouette_score
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_random_state

# scikit-learn's parameter validation (the machinery behind KMeans' `_parameter_constraints`)
# lives only in this private module and is not documented for estimators outside scikit-learn
# (scikit-learn issue #28903); it is imported here alone so that a change of it touches one line.
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import validate_data

METHODS = ("consensus", "kmeans", "agglomerative", "spectral")
CONSENSUS_RUNS = 40
NEIGHBOURS = 30
SILHOUETTE_SAMPLE = 2000


class ClusteringError(ValueError):
    """Answers that cannot be clustered as asked, with the reason in plain words."""


@dataclass
class PreparedAnswers:
    """Answers ready to cluster: blanks dropped, duplicates folded onto one text each.

    Attributes
    ----------
    ids : list
        The caller's keys of the kept answers, in the order given.
    texts : list of str
        The kept answers, spacing made single.
    unique_texts : list of str
        Each distinct answer once (case and spacing aside), first spelling kept.
    unique_index : ndarray of int
        For each kept answer, the row of its text in ``unique_texts``.
    dropped_blank : list
        The keys of the empty and whitespace-only answers left out.
    """

    ids: list
    texts: list[str]
    unique_texts: list[str]
    unique_index: np.ndarray
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
        The smallest and largest k tried when ``n_clusters="auto"``; 2 <= smallest <= largest.
    random_state : int, RandomState instance or None, default=0
        Seed for k-means, spectral clustering and the silhouette sample (agglomerative is
        deterministic). An int gives the same clusters on every fit.

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
    n_features_in_ : int
        The number of embedding dimensions seen in ``fit``.

    Raises
    ------
    sklearn.utils._param_validation.InvalidParameterError
        From ``fit``, for a parameter of the wrong type or value (a ValueError).
    ClusteringError
        From ``fit``, for answers that cannot be clustered as asked, such as fewer distinct
        answers than clusters.
    """

    _parameter_constraints: dict = {
        "n_clusters": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "method": [StrOptions(set(METHODS))],
        "k_range": ["array-like"],
        "random_state": ["random_state"],
    }

    def __init__(self, *, n_clusters="auto", method="consensus", k_range=(2, 12), random_state=0):
        self.n_clusters = n_clusters
        self.method = method
        self.k_range = k_range
        self.random_state = random_state

    def _validate_parameters(self) -> None:
        """Check the parameters by their constraints, and what constraints cannot say."""
        validate_parameter_constraints(
            self._parameter_constraints,
            self.get_params(deep=False),
            caller_name=type(self).__name__,
        )
        if isinstance(self.n_clusters, bool | np.bool_):
            raise InvalidParameterError(
                f"The 'n_clusters' parameter of {type(self).__name__} must be a str among"
                f" {{'auto'}} or an int in the range [1, inf). Got {self.n_clusters!r} instead."
            )
        _k_range(self.k_range)

    def _candidates(self, n_samples: int) -> list[int]:
        """Return the k to try on n_samples answers, or raise ClusteringError if none fits."""
        if isinstance(self.n_clusters, str):  # "auto", validated
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
        if self.n_clusters > n_samples:
            raise ClusteringError(
                f"{n_samples} distinct answers cannot make {self.n_clusters} clusters;"
                " choose a smaller k"
            )
        return [int(self.n_clusters)]

    def _consensus_graph(self, X: np.ndarray, low: int, high: int) -> sparse.csr_matrix:
        """Return how often each answer and its nearest neighbours fall in one k-means cluster."""
        rng = check_random_state(self.random_state)
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
            labels = KMeans(
                n_clusters=k, n_init=1, random_state=int(rng.randint(2**31 - 1))
            ).fit_predict(X)
            together += labels[rows] == labels[cols]
        graph = sparse.csr_matrix((together / CONSENSUS_RUNS, (rows, cols)), shape=(len(X),) * 2)
        return graph.maximum(graph.T).tocsr()

    def _cluster(self, X: np.ndarray, k: int) -> np.ndarray:
        """Return the labels of one clustering of X into k clusters."""
        if k == 1:
            return np.zeros(len(X), dtype=int)
        if k >= len(X):  # one answer per cluster (spectral methods fail on k == n)
            return np.arange(len(X))
        if self.method == "consensus":
            return _qr_assignment(self.spectral_maps_[:, :k])
        if self.method == "kmeans":
            model = KMeans(n_clusters=k, n_init=10, random_state=self.random_state)
        elif self.method == "spectral":
            neighbours = max(2, min(10, len(X) - 1))
            model = SpectralClustering(
                n_clusters=k,
                affinity="nearest_neighbors",
                n_neighbors=neighbours,
                assign_labels="cluster_qr",
                random_state=self.random_state,
            )
        else:
            model = AgglomerativeClustering(n_clusters=k, linkage="ward")
        return model.fit_predict(X)

    def fit(self, X, y=None):
        """Cluster the rows of X (one embedding per distinct answer); return self."""
        self._validate_parameters()
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=0)
        if len(X) == 0:
            raise ClusteringError("there are no answers to cluster")
        candidates = self._candidates(len(X))
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
        if isinstance(self.n_clusters, str):  # "auto": one sample of answers scores every k
            sample = check_random_state(self.random_state).permutation(len(X))
            sample = sample[:SILHOUETTE_SAMPLE]
        best = None
        for k in candidates:
            labels = self._cluster(X, k)
            found = len(set(labels))
            if isinstance(self.n_clusters, str):
                score = -1.0
                if 1 < found < len(X):
                    score = silhouette_score(X[sample], labels[sample], metric="cosine")
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


def _qr_assignment(maps: np.ndarray) -> np.ndarray:
    """Return each row's cluster: the largest entry of its spectral map rotated by pivoted QR.

    The k columns of ``maps`` are a spectral embedding. A column-pivoted QR of its transpose
    picks k rows that stand for the clusters; the SVD of those rows gives the rotation that
    sends them nearest to the unit vectors, and each row joins the cluster of its largest
    rotated coordinate (Damle, Minden & Ying, "Simple, direct and efficient multi-way
    spectral clustering", Information and Inference 8, 2019, doi:10.1093/imaiai/iay008).
    The same arithmetic as scikit-learn's private ``cluster_qr``, so the labels are equal.
    """
    k = maps.shape[1]
    _, _, pivots = linalg.qr(maps.T, pivoting=True)
    left, _, right = linalg.svd(maps[pivots[:k], :].T)
    return abs(np.dot(maps, np.dot(left, right.conj()))).argmax(axis=1)


def _k_range(k_range) -> tuple[int, int]:
    """Return (low, high) of a k_range, or raise InvalidParameterError if it is not one."""
    try:
        low, high = k_range
    except (TypeError, ValueError):
        low = high = None
    whole = all(
        isinstance(k, Integral) and not isinstance(k, bool | np.bool_) for k in (low, high)
    )
    if not whole or not 2 <= low <= high:
        raise InvalidParameterError(
            "The 'k_range' parameter of AnswerClusterer must be two whole numbers with"
            f" 2 <= low <= high. Got {k_range!r} instead."
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


def closest_to_centre(vectors: np.ndarray, n: int, centre=None) -> np.ndarray:
    """Return the row indices of the n unit vectors nearest the centre (default: their mean)."""
    vectors = np.asarray(vectors)
    if n < 0:
        raise ValueError(f"n must be at least 0, not {n}")
    if len(vectors) == 0:
        return np.zeros(0, dtype=int)
    if centre is None:
        centre = vectors.mean(axis=0)
    similarity = vectors @ np.asarray(centre)
    return np.argsort(-similarity, kind="stable")[:n]


def representative_answers(X, labels, centers, texts, n_quotes: int = 3) -> dict[int, list[str]]:
    """Return for each cluster the answers closest to its centre."""
    labels = np.asarray(labels)
    quotes = {}
    for cluster, center in enumerate(centers):
        members = np.flatnonzero(labels == cluster)
        closest = members[closest_to_centre(X[members], n_quotes, center)]
        quotes[cluster] = [texts[i] for i in closest]
    return quotes


@dataclass
class ProposedCodes:
    """A clustering of one question's answers, ready for the evaluator to review.

    Attributes
    ----------
    assignments : pandas.DataFrame
        One row per non-empty answer, in the order given: ``answer`` (the caller's key of
        the answer, as passed in ``ids``: any hashable, such as a ``(survey, response_id)``
        tuple), ``text``, ``cluster`` (numbered from 1 by decreasing size) and
        ``cluster_label``.
    clusters : list of dict
        One per cluster, largest first: ``cluster``, ``size``, ``label``, ``terms`` and
        ``quotes`` (the answers closest to the cluster's centre).
    notices : list of str
        What was left out or folded together, in plain words.
    estimator : AnswerClusterer
        The fitted estimator, on one embedding per distinct answer.
    embedder : str
        The name of the embedding model.
    """

    assignments: pd.DataFrame
    clusters: list[dict]
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
    """Embed and cluster answers; describe each cluster by its terms and closest answers.

    ``ids`` are the caller's keys of the answers, one per text (any hashable, such as
    ``(survey, response_id)`` tuples); they come back unchanged in the ``answer`` column of
    the result's ``assignments``. Empty answers are left out and repeated ones share a
    cluster; ClusteringError says in plain words when the answers cannot be clustered.
    """
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
    estimator = AnswerClusterer(n_clusters=n_clusters, method=method, random_state=random_state)
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
            "answer": prepared.ids,
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
