"""Quality and speed of clustering open answers, and accuracy of code suggestions.

Three labelled sets: the constraint answers written for the tests
(tests/data/constraints_labelled.csv, 7 codes), questions people wrote to a chat bot, from
the chatterbot-corpus package (benchmarks/data/chatterbot_topics.csv, 10 topics, see
benchmarks/data/SOURCES.md), and the constraint answers in English, French and Spanish
(tests/data/constraints_trilingual.csv, 7 codes, on the multilingual model). On each, every
method with k given: adjusted Rand index (ARI) against the labels, mean ± sd over seeds;
then the k that k=auto chooses, the stability of the default between seeds, the accuracy
of suggestions learnt from 3 and 5 coded answers per code, and the time to embed (per model)
and cluster 1,000 and 10,000 answers (from their embeddings: the median of 3 fits).
``--quick`` runs 2 seeds and skips 10,000 answers.
Other rules for choosing k are compared on the same sets in benchmarks/choosing_k.py.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from coding.cluster import AnswerClusterer, propose_codes
from coding.embeddings import LsaEmbedder, MultilingualEmbedder, SentenceEmbedder
from coding.suggest import CodeSuggester
from surveyapp.testing import LABELLED_ANSWERS, labelled_answers

DRAWS = 30
CHATTERBOT = Path(__file__).resolve().parent / "data" / "chatterbot_topics.csv"
TRILINGUAL = LABELLED_ANSWERS.with_name("constraints_trilingual.csv")
METHODS = [  # (name, method): the plain baselines, then the default
    ("k-means", "kmeans"),
    ("Ward", "agglomerative"),
    ("spectral, cosine kNN graph, 10 neighbours", "spectral"),
    ("default: consensus", "consensus"),
]


def labelled_sets():
    """Return (name, answers with code and text, embedder) for each labelled set."""
    english = SentenceEmbedder()
    return [
        ("constraint answers (en)", labelled_answers(), english),
        ("chat bot questions by others (en)", pd.read_csv(CHATTERBOT), english),
        ("constraint answers en+fr+es", pd.read_csv(TRILINGUAL), MultilingualEmbedder()),
    ]


def spread(values) -> str:
    """Return mean ± sd of some figures."""
    return f"{np.mean(values):.3f} ± {np.std(values):.3f}"


def quality(sets, seeds):
    """Print every method's ARI on every set, k given, and what k=auto chooses."""
    means = {name: [] for name, _ in METHODS}
    for title, answers, embedder in sets:
        texts, truth = answers.text.tolist(), answers.code.to_numpy()
        k = len(set(truth))
        start = time.perf_counter()
        vectors = embedder.encode(texts)
        took = time.perf_counter() - start
        print(f"{title}: {len(texts)} answers, {k} codes, {embedder.name} ({took:.1f} s)")
        for name, method in METHODS:
            start = time.perf_counter()
            fits = [
                AnswerClusterer(n_clusters=k, method=method, random_state=s).fit(vectors)
                for s in seeds
            ]
            took = (time.perf_counter() - start) / len(seeds)
            ari = [adjusted_rand_score(truth, fit.labels_) for fit in fits]
            means[name].append(np.mean(ari))
            print(f"  {name:<44} ARI {spread(ari)}   {took:.2f} s a fit")
        auto = [AnswerClusterer(n_clusters="auto", random_state=s).fit(vectors) for s in seeds]
        chosen = [fit.n_clusters_ for fit in auto]
        ari = [adjusted_rand_score(truth, fit.labels_) for fit in auto]
        within = sum(abs(c - k) <= 1 for c in chosen)
        print(
            f"  default, k=auto (modularity): chose {chosen} ({within} of {len(seeds)} within"
            f" ±1 of {k}), ARI {spread(ari)}"
        )
        baseline = [
            AnswerClusterer(n_clusters="auto", method="kmeans", random_state=s).fit(vectors)
            for s in seeds
        ]
        print(f"  k-means, k=auto (silhouette): chose {[fit.n_clusters_ for fit in baseline]}")
        steady = AnswerClusterer(n_clusters=k, stability_runs=4).fit(vectors)
        print(
            f"  default's stability, 4 other seeds: ARI between runs {steady.stability_:.3f};"
            f" per cluster (best Jaccard) {np.round(steady.cluster_stability_, 2).tolist()}"
        )
    print("mean ARI over the sets, k given:")
    for name, values in means.items():
        print(f"  {name:<44} {np.mean(values):.3f}")


def suggestions(vectors, truth):
    """Print the accuracy of suggestions learnt from a few coded answers per code."""
    codes = sorted(set(truth))
    for per_code in (3, 5):
        accuracy, sure = [], []
        for draw in range(DRAWS):
            rng = np.random.RandomState(draw)
            coded = np.concatenate(
                [rng.choice(np.flatnonzero(truth == c), per_code, replace=False) for c in codes]
            )
            rest = np.setdiff1d(np.arange(len(truth)), coded)
            model = CodeSuggester().fit(vectors[coded], truth[coded])
            suggested = model.suggest(vectors[rest], rest)
            right = (suggested.code == truth[suggested.id.to_numpy()]).to_numpy()
            accuracy.append(np.mean(right))
            confident = (suggested.confidence >= 0.5).to_numpy()
            if confident.any():
                sure.append((np.mean(right[confident]), confident.mean()))
        sure = np.array(sure)
        print(
            f"  {per_code} coded answers per code: accuracy {np.mean(accuracy):.3f}"
            f" ± {np.std(accuracy):.3f} on the other answers (chance {1 / len(codes):.3f});"
            f" confidence >= 50%: {sure[:, 1].mean():.0%} of answers,"
            f" accuracy {sure[:, 0].mean():.3f}"
        )


def synthetic_answers(labelled: pd.DataFrame, count: int, seed: int = 0) -> list[str]:
    """Return distinct answers made by joining two labelled answers' halves and a place."""
    rng = np.random.RandomState(seed)
    texts = labelled.text.tolist()
    places = [
        "in the region",
        "at country level",
        "in our office",
        "this year",
        "in Africa",
        "in Asia",
        "in the Arab States",
        "in Latin America",
        "for the project",
        "at HQ",
    ]
    answers = set()
    while len(answers) < count:
        first, second = rng.choice(len(texts), 2, replace=False)
        left = texts[first].split()
        right = texts[second].split()
        answer = " ".join(left[: max(2, len(left) // 2)] + ["and"] + right[len(right) // 2 :])
        answers.add(f"{answer} {places[rng.randint(len(places))]} ({rng.randint(1000)})")
    return sorted(answers)


def embedding_cost(labelled: pd.DataFrame):
    """Print each model's time to embed 1,000 answers, once loaded."""
    texts = synthetic_answers(labelled, 1_000, seed=1)
    for embedder in (SentenceEmbedder(), MultilingualEmbedder(), LsaEmbedder()):
        start = time.perf_counter()
        embedder.encode(["load the model"])
        loaded = time.perf_counter() - start
        start = time.perf_counter()
        embedder.encode(texts)
        took = time.perf_counter() - start
        print(f"  {embedder.name:<44} {took:.1f} s per 1,000 answers (loading {loaded:.1f} s)")


def speed(labelled: pd.DataFrame, counts):
    """Print the time to propose codes from scratch, and to cluster again from embeddings."""
    for count in counts:
        texts = synthetic_answers(labelled, count)
        embedder = SentenceEmbedder()
        embedder.encode(["warm up the model"])
        for runs in (0, 4):
            start = time.perf_counter()
            proposal = propose_codes(
                range(count), texts, n_clusters="auto", embedder=embedder, stability_runs=runs
            )
            took = time.perf_counter() - start
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"  {count:>6} answers, {runs} stability runs: {took:.1f} s embedding and"
                f" clustering (k=auto chose {proposal.estimator.n_clusters_}),"
                f" peak memory so far {peak:.0f} MB"
            )
        vectors = embedder.encode(texts)
        for k, runs in (("auto", 0), (7, 0), (7, 4)):
            took = []
            for _ in range(3):
                start = time.perf_counter()
                AnswerClusterer(n_clusters=k, stability_runs=runs).fit(vectors)
                took.append(time.perf_counter() - start)
            spread_of = f"median of 3; {min(took):.1f}-{max(took):.1f}"
            print(f"  {count:>6} answers from their embeddings, k={k}, {runs} stability runs:"
                  f" {np.median(took):.1f} s ({spread_of})")  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds, no 10,000 answers")
    quick = parser.parse_args().quick
    warnings.filterwarnings("ignore")
    seeds = range(2) if quick else range(5)
    print(f"cores: {os.cpu_count()}; seeds {list(seeds)}")
    sets = labelled_sets()
    quality(sets, seeds)
    labelled = labelled_answers()
    vectors = SentenceEmbedder().encode(labelled.text.tolist())
    print("code suggestions learnt from the evaluator's coding (constraint answers, 30 draws):")
    suggestions(vectors, labelled.code.to_numpy())
    print("time to embed, per model:")
    embedding_cost(labelled)
    print("time to propose codes, embedding included (no cache), and from embeddings:")
    speed(labelled, (1_000,) if quick else (1_000, 10_000))


if __name__ == "__main__":
    main()
