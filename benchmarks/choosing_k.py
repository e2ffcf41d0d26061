"""How k=auto could choose k: every candidate rule on the three labelled sets, same runs.

For each labelled set (see benchmarks/clustering.py) and each seed, the default estimator
(consensus) is fitted once with k=auto; every rule then chooses a k from 2 to 12 from that
fit (its consensus graph, spectral maps and cuts) or from the answers' embeddings, so all
rules are compared on the same runs. Printed: the k each rule chose on each run, how many
are within ±1 of the labelled k, and the ARI of the cut at the chosen k. ``--cost`` times
each rule on 10,000 synthetic answers (one fit).
"""

from __future__ import annotations

import argparse
import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from clustering import labelled_sets, synthetic_answers
from scipy import sparse
from scipy.optimize import linear_sum_assignment
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.sparse.linalg import eigsh
from sklearn.cluster import KMeans
from sklearn.manifold import spectral_embedding
from sklearn.metrics import adjusted_rand_score, silhouette_samples
from sklearn.neighbors import NearestNeighbors

from coding.cluster import AnswerClusterer, _qr_assignment, modularity
from coding.embeddings import SentenceEmbedder
from surveyapp.testing import labelled_answers

SEEDS = range(5)
K_RANGE = range(2, 13)
SHARE = 0.8  # of the answers in each resample
RESAMPLES = 2  # resamples per stability rule
PAC_RUNS = 10  # k-means runs per k for the proportion of ambiguous clustering
RESOLUTIONS = (1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.8, 2.0)  # tried leaving one set out


@dataclass
class Run:
    """One fit of the default estimator on one set, with what the rules look at."""

    vectors: np.ndarray
    fit: AnswerClusterer
    cuts: dict
    seed: int


def embedded_sets():
    """Return (title, vectors, labels) of each labelled set, embedded by its model."""
    return [
        (title, embedder.encode(answers.text.tolist()), answers.code.to_numpy().astype(str))
        for title, answers, embedder in labelled_sets()
    ]


def synthetic_vectors(count: int = 10_000) -> np.ndarray:
    """Return the embeddings of ``count`` synthetic answers (benchmarks/clustering.py's)."""
    return SentenceEmbedder().encode(synthetic_answers(labelled_answers(), count))


def run_of(vectors: np.ndarray, seed: int) -> Run:
    """Fit the default estimator with k=auto and cut its spectral maps at every k."""
    fit = AnswerClusterer(n_clusters="auto", random_state=seed).fit(vectors)
    cuts = {k: _qr_assignment(fit.spectral_maps_[:, :k]) for k in K_RANGE}
    return Run(vectors, fit, cuts, seed)


# -- helpers ---------------------------------------------------------------------------------


def laplacian_eigenvalues(graph, count: int = K_RANGE[-1] + 1) -> np.ndarray:
    """Return the smallest eigenvalues of a graph's normalised Laplacian, ascending."""
    graph = sparse.csr_matrix(graph)
    degree = np.asarray(graph.sum(axis=1)).ravel()
    scale = sparse.diags(1 / np.sqrt(np.maximum(degree, 1e-12)))
    values = eigsh(scale @ graph @ scale, k=count, which="LA", return_eigenvectors=False)
    return np.sort(1 - values)


def eigengap(values: np.ndarray) -> tuple[int, dict]:
    """Return the k in K_RANGE with the largest gap between eigenvalue k and k + 1."""
    curve = {k: float(values[k] - values[k - 1]) for k in K_RANGE}  # 1-indexed λ_k = values[k-1]
    return max(curve, key=curve.get), curve


def knn_graph(vectors: np.ndarray, neighbours: int) -> sparse.csr_matrix:
    """Return the symmetrised cosine k-nearest-neighbour connectivity graph."""
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    graph = NearestNeighbors(n_neighbors=neighbours).fit(unit).kneighbors_graph(unit)
    return ((graph + graph.T) / 2).tocsr()


def argmax(curve: dict) -> int:
    return max(curve, key=curve.get)


def resample(run: Run, draw: int) -> np.ndarray:
    """Return the sorted rows of one resample of SHARE of the answers."""
    rng = np.random.RandomState(1000 * run.seed + draw)
    n = len(run.vectors)
    return np.sort(rng.choice(n, int(SHARE * n), replace=False))


def subgraph_cuts(run: Run, rows: np.ndarray) -> dict:
    """Return the cuts at every k of the consensus graph restricted to some answers."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        maps = spectral_embedding(
            run.fit.graph_[rows][:, rows],
            n_components=K_RANGE[-1],
            eigen_solver="lobpcg",
            random_state=run.seed,
            drop_first=False,
        )
    return {k: _qr_assignment(maps[:, :k]) for k in K_RANGE}


# -- the rules -------------------------------------------------------------------------------


def modularity_middle(run: Run):
    """Today's rule: the middle k of those within 0.005 of the best modularity."""
    curve = run.fit.k_scores_
    best = max(curve.values())
    near = sorted(k for k, v in curve.items() if v >= best - 0.005)
    return near[len(near) // 2], curve


def modularity_best(run: Run):
    return argmax(run.fit.k_scores_), run.fit.k_scores_


def resolution(gamma: float):
    def rule(run: Run):
        graph = run.fit.graph_
        total = graph.sum()
        degree = np.asarray(graph.sum(axis=1)).ravel()
        curve = {}
        for k, labels in run.cuts.items():
            within = sum(graph[labels == c][:, labels == c].sum() for c in np.unique(labels))
            share = np.bincount(labels, weights=degree)
            curve[k] = float(within / total - gamma * ((share / total) ** 2).sum())
        return argmax(curve), curve

    return rule


def eigengap_consensus(run: Run):
    return eigengap(laplacian_eigenvalues(run.fit.graph_))


def eigengap_knn(neighbours: int):
    def rule(run: Run):
        return eigengap(laplacian_eigenvalues(knn_graph(run.vectors, neighbours)))

    return rule


def relative_eigengap_consensus(run: Run):
    """The gap between λ_k and λ_k+1 as a share of λ_k+1."""
    values = laplacian_eigenvalues(run.fit.graph_)
    curve = {k: float((values[k] - values[k - 1]) / values[k]) for k in K_RANGE}
    return argmax(curve), curve


def stability_subgraph_pair(run: Run):
    """Two resamples of the consensus graph, cut at each k; ARI between them on shared rows."""
    first, second = resample(run, 0), resample(run, 1)
    a, b = subgraph_cuts(run, first), subgraph_cuts(run, second)
    shared, in_first, in_second = np.intersect1d(first, second, return_indices=True)
    curve = {k: float(adjusted_rand_score(a[k][in_first], b[k][in_second])) for k in K_RANGE}
    return argmax(curve), curve


def stability_subgraph_full(run: Run):
    """Resamples of the consensus graph, cut at each k; mean ARI with the full graph's cut."""
    scores = {k: [] for k in K_RANGE}
    for draw in range(RESAMPLES):
        rows = resample(run, draw)
        cuts = subgraph_cuts(run, rows)
        for k in K_RANGE:
            scores[k].append(adjusted_rand_score(run.cuts[k][rows], cuts[k]))
    curve = {k: float(np.mean(v)) for k, v in scores.items()}
    return argmax(curve), curve


def stability_refit(run: Run):
    """Whole refits (consensus graph included) on resamples; mean ARI with this fit's cuts."""
    scores = {k: [] for k in K_RANGE}
    for draw in range(RESAMPLES):
        rows = resample(run, draw)
        other = run_of(run.vectors[rows], 100 + 10 * run.seed + draw)
        for k in K_RANGE:
            scores[k].append(adjusted_rand_score(run.cuts[k][rows], other.cuts[k]))
    curve = {k: float(np.mean(v)) for k, v in scores.items()}
    return argmax(curve), curve


def pac_kmeans(run: Run):
    """Şenbabaoğlu's PAC: k-means at k on resamples; share of neighbour pairs in (0.1, 0.9)."""
    X = run.vectors.astype(np.float32)
    n = len(X)
    index = NearestNeighbors(n_neighbors=31).fit(X).kneighbors(X, return_distance=False)
    rows, cols = np.repeat(np.arange(n), 30), index[:, 1:].ravel()
    rng = np.random.RandomState(run.seed)
    curve = {}
    for k in K_RANGE:
        together, both = np.zeros(len(rows)), np.zeros(len(rows))
        for _ in range(PAC_RUNS):
            kept = np.zeros(n, bool)
            kept[rng.choice(n, int(SHARE * n), replace=False)] = True
            labels = np.full(n, -1)
            labels[kept] = KMeans(
                k, init="random", n_init=1, random_state=rng.randint(2**31 - 1)
            ).fit_predict(X[kept])
            seen = kept[rows] & kept[cols]
            both += seen
            together += seen & (labels[rows] == labels[cols])
        consensus = together[both > 0] / both[both > 0]
        curve[k] = -float(np.mean((consensus > 0.1) & (consensus < 0.9)))
    return argmax(curve), curve


def consensus_contrast(run: Run):
    """Mean consensus on the graph's edges within clusters minus between them."""
    graph = sparse.triu(run.fit.graph_, k=1).tocoo()
    curve = {}
    for k, labels in run.cuts.items():
        same = labels[graph.row] == labels[graph.col]
        curve[k] = float(graph.data[same].mean() - graph.data[~same].mean())
    return argmax(curve), curve


def lifetime(run: Run):
    """Fred and Jain's lifetime: single link on the consensus graph, longest-lived k."""
    distance = run.fit.graph_.copy()
    distance.data = 1.0001 - distance.data
    tree = minimum_spanning_tree(distance)
    merges = np.sort(tree.data)[::-1]  # the k-1 largest edges of the tree split it into k
    curve = {k: float(merges[k - 2] - merges[k - 1]) for k in K_RANGE}
    return argmax(curve), curve


def silhouette_embedding(run: Run):
    curve = {
        k: float(silhouette_samples(run.vectors, labels, metric="cosine").mean())
        for k, labels in run.cuts.items()
    }
    return argmax(curve), curve


def silhouette_maps(run: Run):
    """Silhouette in the spectral maps (all columns, rows scaled to unit length)."""
    maps = run.fit.spectral_maps_
    maps = maps / np.linalg.norm(maps, axis=1, keepdims=True)
    curve = {k: float(silhouette_samples(maps, labels).mean()) for k, labels in run.cuts.items()}
    return argmax(curve), curve


def silhouette_one_se(largest: bool):
    """The smallest (or largest) k whose silhouette is within a standard error of the best."""

    def rule(run: Run):
        samples = {
            k: silhouette_samples(run.vectors, labels, metric="cosine")
            for k, labels in run.cuts.items()
        }
        curve = {k: float(s.mean()) for k, s in samples.items()}
        best = argmax(curve)
        error = samples[best].std() / np.sqrt(len(samples[best]))
        near = [k for k, v in curve.items() if v >= curve[best] - error]
        return (max(near) if largest else min(near)), curve

    return rule


def stability_lange(run: Run):
    """Lange et al.: disagreement with the full cut on 5 resampled graphs, over random labels'."""
    rng = np.random.RandomState(run.seed)
    scores = {k: [] for k in K_RANGE}
    for draw in range(5):
        rows = resample(run, draw)
        cuts = subgraph_cuts(run, rows)
        for k in K_RANGE:
            full = run.cuts[k][rows]
            chance = np.mean([disagreement(full, rng.permutation(full)) for _ in range(5)])
            scores[k].append(disagreement(full, cuts[k]) / chance)
    curve = {k: -float(np.mean(v)) for k, v in scores.items()}
    return argmax(curve), curve


def disagreement(labels, other) -> float:
    """Return the share of answers in different clusters once the clusters are best matched."""
    table = pd.crosstab(labels, other).to_numpy()
    rows, cols = linear_sum_assignment(-table)
    return 1 - table[rows, cols].sum() / len(labels)


def pac_graph_cuts(run: Run):
    """PAC over 10 resampled graphs' cuts: share of edges with consensus in (0.1, 0.9)."""
    edges = sparse.triu(run.fit.graph_, k=1).tocoo()
    together = {k: np.zeros(len(edges.row)) for k in K_RANGE}
    both = np.zeros(len(edges.row))
    for draw in range(10):
        rows = resample(run, draw)
        cuts = subgraph_cuts(run, rows)
        kept = np.isin(edges.row, rows) & np.isin(edges.col, rows)
        both += kept
        for k in K_RANGE:
            labels = np.full(len(run.vectors), -1)
            labels[rows] = cuts[k]
            together[k] += kept & (labels[edges.row] == labels[edges.col])
    curve = {}
    for k in K_RANGE:
        consensus = together[k][both > 0] / both[both > 0]
        curve[k] = -float(np.mean((consensus > 0.1) & (consensus < 0.9)))
    return argmax(curve), curve


def per_cluster(graph, labels):
    """Return each cluster's weight within and weight leaving it."""
    degree = np.asarray(graph.sum(axis=1)).ravel()
    found = []
    for c in np.unique(labels):
        members = labels == c
        inside = graph[members][:, members].sum()
        found.append((inside, degree[members].sum() - inside))
    return found


def weak_communities(run: Run):
    """Radicchi et al.: the largest k whose every cluster keeps more weight in than out."""
    curve = {
        k: float(min(i / max(o, 1e-12) for i, o in per_cluster(run.fit.graph_, labels)))
        for k, labels in run.cuts.items()
    }
    held = [k for k, v in curve.items() if v > 1]
    return (max(held) if held else K_RANGE[0]), curve


def prediction_strength(run: Run):
    """Tibshirani and Walther: the largest k whose prediction strength is 0.8 or more.

    Three times, the consensus graph is split in halves, each cut at every k; each answer of
    the test half joins the training half's cluster its edges weigh most towards; the
    strength is the worst test cluster's share of pairs kept together.
    """
    graph, n = run.fit.graph_, len(run.vectors)
    scores = {k: [] for k in K_RANGE}
    for draw in range(3):
        order = np.random.RandomState(100 * run.seed + draw).permutation(n)
        train, test = np.sort(order[: n // 2]), np.sort(order[n // 2 :])
        trained, tested = subgraph_cuts(run, train), subgraph_cuts(run, test)
        towards = graph[test][:, train]
        for k in K_RANGE:
            member = sparse.csr_matrix(
                (np.ones(len(train)), (np.arange(len(train)), trained[k])), shape=(len(train), k)
            )
            predicted = np.asarray((towards @ member).todense()).argmax(axis=1)
            worst = 1.0
            for c in np.unique(tested[k]):
                inside = predicted[tested[k] == c]
                if len(inside) > 1:
                    counts = np.bincount(inside)
                    pairs = (counts * (counts - 1)).sum() / (len(inside) * (len(inside) - 1))
                    worst = min(worst, pairs)
            scores[k].append(worst)
    curve = {k: float(np.mean(v)) for k, v in scores.items()}
    strong = [k for k, v in curve.items() if v >= 0.8]
    return (max(strong) if strong else K_RANGE[0]), curve


def modularity_smoothed(run: Run):
    """The best modularity averaged with the two neighbouring k."""
    m = run.fit.k_scores_
    curve = {k: float(np.mean([m[j] for j in (k - 1, k, k + 1) if j in m])) for k in m}
    return argmax(curve), curve


def modularity_no_self_loops(run: Run):
    """Today's rule on the graph without each answer's edge to itself."""
    graph = run.fit.graph_.copy()
    graph.setdiag(0)
    graph.eliminate_zeros()
    curve = {k: modularity(graph, labels) for k, labels in run.cuts.items()}
    best = max(curve.values())
    near = sorted(k for k, v in curve.items() if v >= best - 0.005)
    return near[len(near) // 2], curve


def description_length(run: Run):
    """Degree-corrected block model (Karrer-Newman likelihood, Peixoto's block-matrix length)."""
    graph, n = run.fit.graph_, len(run.vectors)
    edges = graph.sum() / 2
    curve = {}
    for k, labels in run.cuts.items():
        member = sparse.csr_matrix((np.ones(n), (np.arange(n), labels)), shape=(n, k))
        between = np.asarray((member.T @ graph @ member).todense())
        ends = between.sum(axis=1)
        kept = between > 0
        likelihood = (between[kept] * np.log(between[kept] / np.outer(ends, ends)[kept])).sum() / 2
        x = k * (k + 1) / (2 * edges)
        block_matrix = edges * ((1 + x) * np.log(1 + x) - x * np.log(x))
        curve[k] = -float(-likelihood + block_matrix + n * np.log(k))
    return argmax(curve), curve


def silhouette_penalised(penalty: float):
    def rule(run: Run):
        _, curve = silhouette_embedding(run)
        curve = {k: v - penalty * k for k, v in curve.items()}
        return argmax(curve), curve

    return rule


RULES = {
    "modularity, middle of those within 0.005 (today)": modularity_middle,
    "modularity, best": modularity_best,
    "modularity, resolution 1.1 (searched)": resolution(1.1),
    "modularity, resolution 1.2 (searched)": resolution(1.2),
    "modularity, resolution 1.3 (searched)": resolution(1.3),
    "modularity, resolution 1.4 (searched)": resolution(1.4),
    "modularity averaged over k-1, k, k+1, best": modularity_smoothed,
    "modularity without self-loops, middle of tied": modularity_no_self_loops,
    "block model description length (DC-SBM)": description_length,
    "weak communities (Radicchi), largest k": weak_communities,
    "eigengap, consensus graph": eigengap_consensus,
    "relative eigengap, consensus graph": relative_eigengap_consensus,
    "eigengap, cosine kNN graph, 10 neighbours": eigengap_knn(10),
    "eigengap, cosine kNN graph, 30 neighbours": eigengap_knn(30),
    "stability, 2 resampled graphs, ARI between": stability_subgraph_pair,
    "stability, 2 resampled graphs, ARI with full": stability_subgraph_full,
    "stability, 2 whole refits on resamples": stability_refit,
    "stability, Lange, 5 resampled graphs": stability_lange,
    "prediction strength >= 0.8, largest k": prediction_strength,
    "PAC, 10 k-means per k on resamples": pac_kmeans,
    "PAC, cuts of 10 resampled graphs": pac_graph_cuts,
    "consensus within minus between": consensus_contrast,
    "lifetime, single link on consensus (Fred-Jain)": lifetime,
    "silhouette (cosine, embedding)": silhouette_embedding,
    "silhouette (spectral maps)": silhouette_maps,
    "silhouette, smallest k within 1 SE of best": silhouette_one_se(False),
    "silhouette, largest k within 1 SE of best": silhouette_one_se(True),
    "silhouette minus 0.0035 k (best of a searched grid)": silhouette_penalised(0.0035),
}


def compare(sets, rules):
    """Print the k each rule chooses on every set and seed, and the ARI at that k."""
    runs = []
    for title, vectors, truth in sets:
        for seed in SEEDS:
            runs.append((title, truth, run_of(vectors, seed)))
    truths = [len(set(truth)) for _, truth, _ in runs]
    print("labelled k:", truths[:: len(SEEDS)], f"seeds {list(SEEDS)}")
    for name, rule in rules.items():
        chosen, ari = [], {}
        for title, truth, run in runs:
            k, _ = rule(run)
            chosen.append(k)
            ari.setdefault(title, []).append(adjusted_rand_score(truth, run.cuts[k]))
        within = sum(abs(k - t) <= 1 for k, t in zip(chosen, truths, strict=True))
        by_set = " | ".join(
            ",".join(str(k) for k in chosen[i : i + len(SEEDS)])
            for i in range(0, len(chosen), len(SEEDS))
        )
        quality = " ".join(f"{np.mean(v):.3f}±{np.std(v):.3f}" for v in ari.values())
        print(f"{name:<50} {by_set:<32} {within:>2}/15  ARI {quality}")
    leave_one_set_out(runs, truths)


def leave_one_set_out(runs, truths):
    """Print how a resolution chosen on two sets does on the third (ties: the nearest to 1)."""
    titles = list(dict.fromkeys(title for title, _, _ in runs))
    hits = {}  # (set, resolution) -> runs within ±1 of the labelled k
    for gamma in RESOLUTIONS:
        rule = resolution(gamma)
        for (title, _, run), labelled in zip(runs, truths, strict=True):
            found = abs(rule(run)[0] - labelled) <= 1
            hits[title, gamma] = hits.get((title, gamma), 0) + found
    print(f"resolution chosen on the two other sets, of {RESOLUTIONS}:")
    total = 0
    for held in titles:
        others = [title for title in titles if title != held]
        gamma = max(RESOLUTIONS, key=lambda g: (sum(hits[t, g] for t in others), -g))
        total += hits[held, gamma]
        print(f"  {held}: resolution {gamma}, {hits[held, gamma]} of {len(SEEDS)} within ±1")
    print(f"  in all: {total} of {len(runs)}")


def cost(rules):
    """Print each rule's time on one fit of 10,000 synthetic answers."""
    vectors = synthetic_vectors()
    start = time.perf_counter()
    run = run_of(vectors, 0)
    print(f"10,000 answers: fit with k=auto {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    for k in K_RANGE:
        modularity(run.fit.graph_, _qr_assignment(run.fit.spectral_maps_[:, :k]))
    print(f"  today's curve: cut and modularity of each k, {time.perf_counter() - start:.2f} s")
    for name, rule in rules.items():
        start = time.perf_counter()
        k, _ = rule(run)
        print(f"  {name:<50} chose {k:>2}, {time.perf_counter() - start:.2f} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cost", action="store_true", help="time the rules at 10,000 answers")
    parser.add_argument("--only", help="the rules whose name holds this")
    arguments = parser.parse_args()
    warnings.filterwarnings("ignore")
    rules = {n: r for n, r in RULES.items() if not arguments.only or arguments.only in n}
    if arguments.cost:
        cost(rules)
    else:
        compare(embedded_sets(), rules)


if __name__ == "__main__":
    main()
