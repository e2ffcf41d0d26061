"""Clustering of free-text answers into proposed codes, in scikit-learn style.

Answers may be in several languages (one code per answer, as the response recorded it):
they are then embedded with the multilingual model, so that an answer and its translation
share a cluster; a cluster is named with terms from its answers in the evaluator's language
where it has some, and its closest answers include one in each language it holds.
"""

from __future__ import annotations

import os
import re
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from numbers import Integral

import numpy as np
import pandas as pd
from scipy import linalg, sparse
from scipy.sparse.linalg import eigsh
from sklearn.base import BaseEstimator, ClusterMixin, clone
from sklearn.cluster import AgglomerativeClustering, KMeans, SpectralClustering
from sklearn.metrics import adjusted_rand_score, silhouette_score
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
from threadpoolctl import threadpool_limits

from .multilingual import ENGLISH, STOP_WORDS, primary_language, stop_words

METHODS = ("consensus", "kmeans", "agglomerative", "spectral")
CONSENSUS_RUNS = 80  # 40 gave the same means, but they moved twice as much between seeds
# Each run stops after at most this many k-means steps: the votes need many varied runs, not
# converged ones (on the three labelled sets 10 steps gave the clusters of 300 within 0.001).
CONSENSUS_STEPS = 10
# Each run starts from k random answers (Fred and Jain's evidence accumulation): varied,
# weak runs are what the votes need; k-means++ starts took half the time of 10,000 answers
# and gave no better clusters on the three labelled sets (benchmarks/clustering.py).
CONSENSUS_INIT = "random"
NEIGHBOURS = 30
# More answers than this: each k-means run of the consensus is fitted on a random sample this
# size, and every answer joins the cluster of its nearest centre. At 10,000 answers the
# clusters agree with those of runs on every answer as closely as two seeds of those do
# (README, "How the answers are clustered"), in a third of the time.
CONSENSUS_SAMPLE = 1000
NEIGHBOUR_BLOCK = 1024  # rows whose neighbours are found in one matrix product
# From this many answers the consensus runs go side by side on every core; on fewer, threads
# cost a run more than they save (a fit of 600 answers: 0.35 s one after the other, 0.39 s
# side by side; of 1,000: 0.81 s against 0.58 s).
SIDE_BY_SIDE = 800
# k within this of the best modularity count as tied. Eigengaps, stability over resamples,
# PAC, prediction strength and penalised silhouettes chose k no better on the three labelled
# sets (benchmarks/choosing_k.py).
MODULARITY_TOLERANCE = 0.005
SILHOUETTE_SAMPLE = 2000
DENSE_EIGEN = 1000  # graphs of at most this many answers are solved whole, larger by ARPACK
EMBEDDING_BATCH = 64  # answers embedded between two reports of progress
STABILITY_RUNS = 4  # other seeds that propose_codes refits with, to say which clusters hold
STABILITY_SAMPLE = 2000  # more answers than this: each other fit is on a resample this size


def _silent(stage: str, done: int, total: int) -> None:
    """Report no progress (the default of ``progress``)."""


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
    languages : list or None
        The language of each kept answer, when given.
    unique_languages : list or None
        The language of each distinct answer (of its first spelling), when given.
    """

    ids: list
    texts: list[str]
    unique_texts: list[str]
    unique_index: np.ndarray
    dropped_blank: list = field(default_factory=list)
    languages: list | None = None
    unique_languages: list | None = None

    @property
    def duplicates(self) -> int:
        """How many kept answers repeat an earlier one."""
        return len(self.texts) - len(self.unique_texts)


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def prepare_answers(ids, texts, languages=None) -> PreparedAnswers:
    """Drop empty and whitespace-only answers and fold duplicates (case and spacing aside).

    ``languages``, one code per answer if given, are kept alongside (lower case, "fr-CA"
    as "fr").
    """
    given = languages is not None
    languages = list(languages) if given else [None] * len(texts)
    kept_ids, kept_texts, kept_languages, blank = [], [], [], []
    for answer_id, text, language in zip(ids, texts, languages, strict=True):
        clean = _normal(text) if isinstance(text, str) else ""
        if clean:
            kept_ids.append(answer_id)
            kept_texts.append(clean)
            kept_languages.append(primary_language(language))
        else:
            blank.append(answer_id)
    order: dict[str, int] = {}
    unique_texts: list[str] = []
    unique_languages: list = []
    index = []
    for text, language in zip(kept_texts, kept_languages, strict=True):
        key = text.casefold()
        if key not in order:
            order[key] = len(unique_texts)
            unique_texts.append(text)
            unique_languages.append(language)
        index.append(order[key])
    return PreparedAnswers(
        kept_ids,
        kept_texts,
        unique_texts,
        np.array(index, dtype=int),
        blank,
        kept_languages if given else None,
        unique_languages if given else None,
    )


class AnswerClusterer(ClusterMixin, BaseEstimator):
    """Cluster answer embeddings into groups that an evaluator can turn into codes.

    Parameters
    ----------
    n_clusters : int or "auto", default="auto"
        The number of clusters; "auto" picks one in ``k_range``: with "consensus", the k
        whose cut of the consensus graph has the highest modularity (the k within 0.005 of
        the best count as tied, and the middle one of those is taken); with the other
        methods, the k with the highest mean silhouette (cosine, on at most 2,000 answers).
    method : {"consensus", "kmeans", "agglomerative", "spectral"}, default="consensus"
        "consensus" (evidence accumulation): 80 k-means runs of at most 10 steps, with a
        random k between k and 2k, each started from that many random answers (fitted on a
        random 1,000 when there are more answers, every answer then joining its nearest
        centre), vote on how often each answer and its 30 nearest neighbours fall
        together; spectral clustering (the top eigenvectors of the graph's normalised
        adjacency, QR assignment) cuts that graph into k clusters. It is steadier and
        better than the plain methods on short answers (see benchmarks/clustering.py).
        "kmeans" is the plain baseline, "agglomerative" uses Ward linkage, "spectral" a
        10-nearest-neighbour graph.
    k_range : tuple of int, default=(2, 12)
        The smallest and largest k tried when ``n_clusters="auto"``; 2 <= smallest <= largest.
    stability_runs : int, default=0
        How many more fits, with other seeds and the k found, measure how much each cluster
        moves between runs (0: none). With more than 2,000 answers each of these fits is on
        a random resample of 2,000 (subsampling stability), so its cost stays bounded.
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
    k_scores_ : dict
        The score of each k tried (only with ``n_clusters="auto"``): the modularity of the
        cut with "consensus", the mean silhouette with the other methods.
    silhouette_scores_ : dict
        Mean silhouette for each k tried (only with ``n_clusters="auto"`` and a method
        other than "consensus").
    cluster_stability_ : ndarray of shape (n_clusters_,) or None
        For each cluster, the mean over the ``stability_runs`` other fits of its best
        Jaccard overlap with one of their clusters (1: it comes back whole every time).
    stability_ : float or None
        The mean adjusted Rand index between this fit's clusters and the other fits'.
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
        "stability_runs": [Interval(Integral, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        n_clusters="auto",
        method="consensus",
        k_range=(2, 12),
        stability_runs=0,
        random_state=0,
    ):
        self.n_clusters = n_clusters
        self.method = method
        self.k_range = k_range
        self.stability_runs = stability_runs
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

    def _consensus_graph(
        self, X: np.ndarray, low: int, high: int, progress=_silent
    ) -> sparse.csr_matrix:
        """Return how often each answer and its nearest neighbours fall in one k-means cluster."""
        rng = check_random_state(self.random_state)
        neighbours = min(NEIGHBOURS, len(X) - 1)
        single = X.astype(np.float32)  # k-means and neighbours 5 times as fast, same clusters
        index = nearest_neighbours(single, neighbours + 1)
        rows = np.repeat(np.arange(len(X)), neighbours + 1)
        cols = index.ravel()
        runs = []  # drawn in order first, so the runs' results do not depend on their timing
        for _ in range(CONSENSUS_RUNS):
            k = int(rng.randint(low, min(2 * high, len(X)) + 1))
            seed = int(rng.randint(2**31 - 1))
            sample = None
            if len(X) > CONSENSUS_SAMPLE:
                sample = rng.choice(len(X), CONSENSUS_SAMPLE, replace=False)
            runs.append((k, seed, sample))

        def run_kmeans(plan) -> np.ndarray:
            """Return, for each answer and neighbour, whether one k-means run put them together."""
            k, seed, sample = plan
            model = KMeans(
                n_clusters=k,
                init=CONSENSUS_INIT,
                n_init=1,
                max_iter=CONSENSUS_STEPS,
                random_state=seed,
            )
            if sample is None:
                labels = model.fit_predict(single)
            else:  # fitted on a sample, every answer goes to its nearest centre
                centres = model.fit(single[sample]).cluster_centers_
                labels = (single @ centres.T - 0.5 * (centres**2).sum(axis=1)).argmax(axis=1)
            return labels[rows] == labels[cols]

        together = np.zeros(len(rows))
        # Each run on one thread: a run's own threads would mostly wait for each other. From
        # SIDE_BY_SIDE answers the runs go side by side on every core, on fewer one after
        # the other.
        with threadpool_limits(1), ThreadPoolExecutor(_cores()) as pool:
            side_by_side = len(X) >= SIDE_BY_SIDE
            agreements = pool.map(run_kmeans, runs) if side_by_side else map(run_kmeans, runs)
            for run, agree in enumerate(agreements):
                progress("comparing", run, CONSENSUS_RUNS)
                together += agree
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

    def fit(self, X, y=None, progress=None):
        """Cluster the rows of X (one embedding per distinct answer); return self.

        ``progress``, if given, is called as ``progress(stage, done, total)``: "comparing"
        (k-means runs of the consensus done of 80), then "choosing" (done: the k now tried,
        total: the largest k tried) with ``n_clusters="auto"``, or "clustering" (done and
        total: the k asked for), then "checking" (other fits done of ``stability_runs``).
        """
        progress = progress or _silent
        self._validate_parameters()
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=0)
        if len(X) == 0:
            raise ClusteringError("there are no answers to cluster")
        candidates = self._candidates(len(X))
        graphed = self.method == "consensus" and len(X) > 2 and candidates[-1] > 1
        if graphed:
            self.graph_ = self._consensus_graph(X, max(candidates[0], 2), candidates[-1], progress)
            self.spectral_maps_ = spectral_maps(
                self.graph_, min(candidates[-1], len(X) - 1), self.random_state
            )
        auto = isinstance(self.n_clusters, str)
        by_modularity = auto and graphed
        self.k_scores_, self.silhouette_scores_ = {}, {}
        if auto and not by_modularity:  # one sample of answers scores every k
            sample = check_random_state(self.random_state).permutation(len(X))
            sample = sample[:SILHOUETTE_SAMPLE]
        tried = {}
        for k in candidates:
            if auto:
                progress("choosing", k, candidates[-1])
            else:
                progress("clustering", k, k)
            labels = self._cluster(X, k)
            tried[k] = labels
            if by_modularity:
                self.k_scores_[k] = modularity(self.graph_, labels)
            elif auto:
                score = -1.0
                if 1 < len(set(labels)) < len(X):
                    score = silhouette_score(X[sample], labels[sample], metric="cosine")
                self.k_scores_[k] = self.silhouette_scores_[k] = float(score)
        chosen = _choose_k(self.k_scores_, by_modularity) if auto else candidates[0]
        best = (None, tried[chosen])
        self.labels_ = _by_size(best[1])
        self.n_clusters_ = int(self.labels_.max()) + 1
        centers = np.vstack([X[self.labels_ == c].mean(axis=0) for c in range(self.n_clusters_)])
        norms = np.linalg.norm(centers, axis=1, keepdims=True)
        self.cluster_centers_ = centers / np.where(norms == 0, 1, norms)
        self._measure_stability(X, progress)
        return self

    def _measure_stability(self, X: np.ndarray, progress=_silent) -> None:
        """Refit with other seeds at the k found (on resamples of a large set); keep how much
        each cluster moves."""
        self.cluster_stability_ = self.stability_ = None
        if not self.stability_runs or self.n_clusters_ < 2:
            return
        if isinstance(self.random_state, Integral):
            seeds = [int(self.random_state) + run for run in range(1, self.stability_runs + 1)]
        else:
            seeds = check_random_state(self.random_state).randint(
                2**31 - 1, size=self.stability_runs
            )
        overlaps, agreement = [], []
        for run, seed in enumerate(seeds):
            progress("checking", run, len(seeds))
            rows = np.arange(len(X))
            if len(X) > STABILITY_SAMPLE:
                rows = np.sort(
                    check_random_state(int(seed)).choice(len(X), STABILITY_SAMPLE, replace=False)
                )
            mine = self.labels_[rows]
            other = clone(self).set_params(
                n_clusters=min(self.n_clusters_, len(set(mine))),
                stability_runs=0,
                random_state=int(seed),
            )
            labels = other.fit(X[rows]).labels_
            overlap = np.full(self.n_clusters_, np.nan)  # a cluster the resample missed: no say
            present = np.unique(mine)
            overlap[present] = best_overlaps(mine, labels)[present]
            overlaps.append(overlap)
            agreement.append(adjusted_rand_score(mine, labels))
        with warnings.catch_warnings():  # a cluster no resample held: nan, said as unknown
            warnings.simplefilter("ignore", RuntimeWarning)
            self.cluster_stability_ = np.nanmean(overlaps, axis=0)
        self.stability_ = float(np.mean(agreement))


def _cores() -> int:
    """Return how many cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows say only how many the machine has
        return os.cpu_count() or 1


def nearest_neighbours(X: np.ndarray, n: int) -> np.ndarray:
    """Return the rows of each row's n nearest rows by Euclidean distance, itself among them.

    Exact and brute force, by blocks of rows: the inner products of two blocks (one matrix
    product, made once for both, as the two blocks' products are each other's transpose)
    less half each row's squared length rank the rows as their distances do, and partial
    sorts keep each row's n best; pairs of blocks run on every core, each with one BLAS
    thread (10,000 answers: 0.6-0.8 s on 2 cores, scikit-learn's NearestNeighbors 1.0 s).
    """
    X = np.asarray(X)
    n = min(n, len(X))
    half_lengths = 0.5 * np.einsum("ij,ij->i", X, X)
    starts = range(0, len(X), NEIGHBOUR_BLOCK)
    pairs = [(first, second) for i, first in enumerate(starts) for second in starts[i:]]

    def best(score: np.ndarray, first_column: int):
        """Return the columns and scores of each row's n best in a block of scores."""
        keep = min(n, score.shape[1])
        columns = np.argpartition(score, -keep, axis=1)[:, -keep:]
        return columns + first_column, np.take_along_axis(score, columns, axis=1)

    def compare(pair):
        """Return the best of one pair of blocks for the rows of each, by the block's start."""
        first, second = pair
        products = X[first : first + NEIGHBOUR_BLOCK] @ X[second : second + NEIGHBOUR_BLOCK].T
        score = products - half_lengths[second : second + NEIGHBOUR_BLOCK]
        if first == second:
            diagonal = np.arange(len(score))
            score[diagonal, diagonal] = np.inf  # a row is its own nearest
            return [(first, best(score, second))]
        mirrored = np.ascontiguousarray(products.T) - half_lengths[first : first + NEIGHBOUR_BLOCK]
        return [(first, best(score, second)), (second, best(mirrored, first))]

    found = {start: [] for start in starts}
    with threadpool_limits(1, user_api="blas"), ThreadPoolExecutor(_cores()) as pool:
        for results in pool.map(compare, pairs):
            for start, candidates in results:
                found[start].append(candidates)
    nearest = []
    for start in starts:
        columns = np.hstack([columns for columns, _ in found[start]])
        scores = np.hstack([scores for _, scores in found[start]])
        keep = np.argpartition(scores, -n, axis=1)[:, -n:]
        nearest.append(np.take_along_axis(columns, keep, axis=1))
    return np.vstack(nearest)


def spectral_maps(graph: sparse.spmatrix, n_maps: int, random_state=0) -> np.ndarray:
    """Return the graph's first n_maps spectral maps: the top eigenvectors of its normalised
    adjacency, divided by the square root of each answer's degree.

    The same maps as scikit-learn's ``spectral_embedding(norm_laplacian=True,
    drop_first=False)`` (the smallest eigenvectors of the normalised Laplacian are the largest
    of the normalised adjacency), found by ARPACK without the factorisation its shift-invert
    mode needs; small graphs are solved whole.
    """
    graph = sparse.csr_matrix(graph, dtype=np.float64)
    degree = np.asarray(graph.sum(axis=1)).ravel()
    scale = 1 / np.sqrt(np.where(degree > 0, degree, 1))
    adjacency = sparse.diags(scale) @ graph @ sparse.diags(scale)
    size = graph.shape[0]
    if size <= DENSE_EIGEN:
        last = [size - n_maps, size - 1]
        values, vectors = linalg.eigh(adjacency.toarray(), subset_by_index=last)
    else:
        start = check_random_state(random_state).uniform(-1, 1, size)
        values, vectors = eigsh(adjacency, k=n_maps, which="LA", v0=start, tol=1e-6)
    order = np.argsort(-values, kind="stable")
    maps = vectors[:, order] * scale[:, None]
    return maps * np.sign(maps[np.abs(maps).argmax(axis=0), range(n_maps)])  # signs fixed


def modularity(graph: sparse.spmatrix, labels) -> float:
    """Return how much more weight a graph keeps within clusters than chance would (Newman).

    1 would be clusters with no weight between them; 0 what random clusters of the same
    sizes keep.
    """
    graph = sparse.coo_matrix(graph)
    labels = np.asarray(labels)
    total = graph.data.sum()
    if total <= 0:
        return 0.0
    within = graph.data[labels[graph.row] == labels[graph.col]].sum()
    share = np.bincount(labels, weights=np.asarray(graph.sum(axis=1)).ravel())
    return float(within / total - ((share / total) ** 2).sum())


def _choose_k(scores: dict, tolerant: bool) -> int:
    """Return the k of the best score; with ``tolerant``, the middle k of those near the best."""
    best = max(scores.values())
    if not tolerant:
        return max(scores, key=scores.get)
    near = sorted(k for k, score in scores.items() if score >= best - MODULARITY_TOLERANCE)
    return near[len(near) // 2]


def best_overlaps(labels, other) -> np.ndarray:
    """Return, for each cluster of ``labels``, its best Jaccard overlap with a cluster of other."""
    labels, other = np.asarray(labels), np.asarray(other)
    table = pd.crosstab(labels, other).to_numpy()
    sizes, other_sizes = table.sum(axis=1), table.sum(axis=0)
    jaccard = table / (sizes[:, None] + other_sizes[None, :] - table)
    result = np.zeros(int(labels.max()) + 1)
    result[np.unique(labels)] = jaccard.max(axis=1)
    return result


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


WORD = re.compile(r"(?u)\b\w+\b")  # "d'employeurs" gives "d" and "employeurs"
PHRASE_WEIGHT = {1: 1.0, 2: 1.5, 3: 1.75}  # a phrase of the answers reads better than a word


def _label_answers(texts, labels, languages, language) -> tuple[list[int], list[list[int]]]:
    """Return the clusters and, for each, the rows of the answers it is named from.

    A cluster is named from its answers in ``language`` where it has some, otherwise from
    the answers of its most common language (ties: the language seen first).
    """
    clusters = sorted(set(labels.tolist()))
    rows = []
    wanted = primary_language(language) or ENGLISH
    for cluster in clusters:
        members = np.flatnonzero(labels == cluster).tolist()
        if languages is not None:
            present = [languages[i] for i in members]
            chosen = wanted if wanted in present else max(present, key=present.count)
            members = [i for i in members if languages[i] == chosen]
        rows.append(members)
    return clusters, rows


def phrases(text: str, small_words) -> set[str]:
    """Return the words and the 2- and 3-word phrases of an answer, as written (lower case).

    A phrase neither starts nor ends with a small word ("lack of funding" is one, "of
    funding" is not), and no term is a number alone.
    """
    words = WORD.findall(text.casefold())
    found = set()
    for size in (1, 2, 3):
        for start in range(len(words) - size + 1):
            part = words[start : start + size]
            if part[0] in small_words or part[-1] in small_words or part[-1].isdigit():
                continue
            found.add(" ".join(part))
    return found


def cluster_terms(
    texts: list[str], labels, n_terms: int = 4, languages=None, language: str = ENGLISH
) -> dict[int, list[str]]:
    """Return each cluster's most distinctive words and phrases by class-based TF-IDF.

    A term counts once per answer; a phrase of two or three words found in at least two of
    a cluster's answers is preferred to its words. ``languages`` gives each text's language
    (None: every text is in ``language``); ``language`` is the evaluator's: a cluster's
    terms come from its answers in that language where it has some, else from its most
    common language's. The small words of every language known (English, French,
    Spanish) are left out, whatever the answers' languages said.
    """
    labels = np.asarray(labels)
    if languages is not None:
        languages = [primary_language(code) for code in languages]
    clusters, rows = _label_answers(texts, labels, languages, language)
    small_words = frozenset(stop_words(STOP_WORDS))
    found = [phrases(text, small_words) for text in texts]
    terms = sorted(set().union(*(found[i] for members in rows for i in members)))
    if not terms:
        return {c: [] for c in clusters}
    column = {term: j for j, term in enumerate(terms)}
    counts = np.zeros((len(clusters), len(terms)))
    for row, members in enumerate(rows):
        for i in members:
            for term in found[i]:
                counts[row, column[term]] += 1
    size = np.array([len(term.split()) for term in terms])
    phrase = size > 1
    counts[:, phrase] = np.where(counts[:, phrase] >= 2, counts[:, phrase], 0)
    tf = counts / np.maximum(counts[:, ~phrase].sum(axis=1, keepdims=True), 1)
    average_words = counts[:, ~phrase].sum() / len(clusters)
    idf = np.log(1 + average_words / np.maximum(counts.sum(axis=0), 1))
    scores = tf * idf * np.vectorize(PHRASE_WEIGHT.get)(size)
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


def closest_to_centre(vectors: np.ndarray, n: int, centre=None, languages=None) -> np.ndarray:
    """Return the row indices of the n unit vectors nearest the centre (default: their mean).

    With ``languages`` (one per row), the closest row of each language present is always
    among them, so more than n rows come back when more than n languages are present;
    the rows stay in order of closeness.
    """
    vectors = np.asarray(vectors)
    if n < 0:
        raise ValueError(f"n must be at least 0, not {n}")
    if len(vectors) == 0:
        return np.zeros(0, dtype=int)
    if centre is None:
        centre = vectors.mean(axis=0)
    similarity = vectors @ np.asarray(centre)
    order = np.argsort(-similarity, kind="stable")
    if languages is None:
        return order[:n]
    languages = [primary_language(code) for code in languages]
    first = {}
    for row in order:
        first.setdefault(languages[row], row)
    chosen = set(first.values())
    for row in order:
        if len(chosen) >= n:
            break
        chosen.add(row)
    return np.array([row for row in order if row in chosen], dtype=int)


def representative_answers(
    X, labels, centers, texts, n_quotes: int = 3, languages=None
) -> dict[int, list[str]]:
    """Return for each cluster the answers closest to its centre (one per language at least)."""
    labels = np.asarray(labels)
    quotes = {}
    for cluster, center in enumerate(centers):
        members = np.flatnonzero(labels == cluster)
        of_members = None if languages is None else [languages[i] for i in members]
        closest = members[closest_to_centre(X[members], n_quotes, center, of_members)]
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
        One per cluster, largest first: ``cluster``, ``size``, ``label``, ``terms``,
        ``quotes`` (the answers closest to the cluster's centre, one in each language at
        least), ``quote_languages`` (the language of each quote; None where not given),
        ``summary`` (the answer nearest the centre) and ``stability`` (its mean best
        Jaccard overlap with a cluster of each fit with another seed; None if not measured).
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


def embed_answers(texts: list[str], embedder, cache=None, progress=_silent) -> np.ndarray:
    """Return the texts' embeddings, from the cache where given, reporting each batch done.

    An embedder that is fitted on the texts it is given (not ``cacheable``, as TF-IDF +
    LSA) sees them all at once.
    """
    batch = EMBEDDING_BATCH if getattr(embedder, "cacheable", False) else max(len(texts), 1)
    # Batches of answers of like length: a batch is padded to its longest answer.
    order = sorted(range(len(texts)), key=lambda i: len(texts[i])) if batch < len(texts) else None
    ordered = [texts[i] for i in order] if order is not None else list(texts)
    parts = []
    progress("embedding", 0, len(texts))
    for start in range(0, len(ordered), batch):
        chunk = ordered[start : start + batch]
        parts.append(embedder.encode(chunk) if cache is None else cache.embed(chunk, embedder))
        progress("embedding", start + len(chunk), len(texts))
    if not parts:
        return embedder.encode([])
    vectors = np.vstack(parts)
    if order is not None:
        vectors[order] = vectors.copy()
    return vectors


def propose_codes(
    ids,
    texts,
    n_clusters="auto",
    random_state: int = 0,
    method: str = "consensus",
    embedder=None,
    cache=None,
    progress=None,
    languages=None,
    language: str = ENGLISH,
    stability_runs: int = STABILITY_RUNS,
) -> ProposedCodes:
    """Embed and cluster answers; describe each cluster by its terms and closest answers.

    ``ids`` are the caller's keys of the answers, one per text (any hashable, such as
    ``(survey, response_id)`` tuples); they come back unchanged in the ``answer`` column of
    the result's ``assignments``. Empty answers are left out and repeated ones share a
    cluster; ClusteringError says in plain words when the answers cannot be clustered.
    ``languages`` gives each answer's language (None: all English); without an
    ``embedder``, answers not all in English are embedded with the multilingual model.
    ``language`` is the evaluator's: clusters are named in it where they can be.
    ``stability_runs`` more fits with other seeds say how much each cluster moves.
    ``progress``, if given, is called as ``progress(stage, done, total)``: "embedding"
    (distinct answers embedded of all, after each batch), the estimator's stages (see
    `AnswerClusterer.fit`), then "naming" (done 0 of the clusters).
    """
    from .embeddings import default_embedder
    from .multilingual import needs_multilingual

    prepared = prepare_answers(ids, texts, languages)
    notices = []
    if prepared.dropped_blank:
        notices.append(f"{len(prepared.dropped_blank)} empty answers left out")
    if prepared.duplicates:
        notices.append(f"{prepared.duplicates} answers repeat another and join its cluster")
    if not prepared.unique_texts:
        raise ClusteringError("there are no answers to cluster: every answer is empty")
    unique_languages = prepared.unique_languages
    embedder = embedder or default_embedder(needs_multilingual(unique_languages or []))
    progress = progress or _silent
    vectors = embed_answers(prepared.unique_texts, embedder, cache, progress)
    estimator = AnswerClusterer(
        n_clusters=n_clusters,
        method=method,
        stability_runs=stability_runs,
        random_state=random_state,
    )
    estimator.fit(vectors, progress=progress)
    progress("naming", 0, estimator.n_clusters_)
    unique_labels = estimator.labels_
    terms = cluster_terms(
        prepared.unique_texts, unique_labels, languages=unique_languages, language=language
    )
    quotes = representative_answers(
        vectors,
        unique_labels,
        estimator.cluster_centers_,
        prepared.unique_texts,
        languages=unique_languages,
    )
    language_of = dict(zip(prepared.unique_texts, unique_languages or [], strict=False))
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
            "quote_languages": [language_of.get(quote) for quote in quotes[c]],
            "summary": quotes[c][0] if quotes[c] else "",
            "stability": None
            if estimator.cluster_stability_ is None
            or np.isnan(estimator.cluster_stability_[c])  # no resample held it
            else round(float(estimator.cluster_stability_[c]), 3),
        }
        for c in range(estimator.n_clusters_)
    ]
    return ProposedCodes(assignments, clusters, notices, estimator, embedder.name)
