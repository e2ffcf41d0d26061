"""Quality and speed of clustering open answers, and accuracy of code suggestions.

On the labelled set of constraint answers (tests/data/constraints_labelled.csv, 7 codes):
adjusted Rand index and NMI against the codes for the default (consensus clustering of
all-MiniLM-L6-v2 embeddings), the plain k-means baseline on the same embeddings, and the
TF-IDF + LSA fallback; then the accuracy of suggestions learnt from 3 and 5 coded answers
per code; then the time to cluster 1,000 and 10,000 answers, embedding included.
"""

from __future__ import annotations

import os
import resource
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from coding.cluster import AnswerClusterer, propose_codes
from coding.embeddings import LsaEmbedder, SentenceEmbedder
from coding.suggest import CodeSuggester
from surveyapp.testing import labelled_answers

SEEDS = range(5)
DRAWS = 30


def scores(labels_by_seed, truth) -> str:
    """Return mean and spread of ARI and NMI over seeds."""
    ari = [adjusted_rand_score(truth, labels) for labels in labels_by_seed]
    nmi = [normalized_mutual_info_score(truth, labels) for labels in labels_by_seed]
    return (
        f"ARI {np.mean(ari):.3f} ± {np.std(ari):.3f}   NMI {np.mean(nmi):.3f} ± {np.std(nmi):.3f}"
    )


def quality(labelled: pd.DataFrame, embedder: SentenceEmbedder):
    """Print the clustering quality of each method on the labelled set."""
    texts, truth = labelled.text.tolist(), labelled.code.to_numpy()
    start = time.perf_counter()
    vectors = embedder.encode(texts)
    embed_time = time.perf_counter() - start
    lsa = LsaEmbedder().encode(texts)
    print(
        f"labelled set: {len(texts)} answers, {len(set(truth))} codes;"
        f" embedding took {embed_time:.1f} s"
    )
    rows = [
        (
            "default: consensus on MiniLM, k=7",
            lambda s: AnswerClusterer(n_clusters=7, random_state=s).fit(vectors),
        ),
        (
            "baseline: k-means on MiniLM, k=7",
            lambda s: AnswerClusterer(n_clusters=7, method="kmeans", random_state=s).fit(vectors),
        ),
        (
            "consensus on MiniLM, k=auto",
            lambda s: AnswerClusterer(n_clusters="auto", random_state=s).fit(vectors),
        ),
        (
            "fallback: consensus on TF-IDF+LSA, k=7",
            lambda s: AnswerClusterer(n_clusters=7, random_state=s).fit(lsa),
        ),
    ]
    for name, make in rows:
        start = time.perf_counter()
        fitted = [make(seed) for seed in SEEDS]
        took = (time.perf_counter() - start) / len(SEEDS)
        ks = sorted({f.n_clusters_ for f in fitted})
        print(f"  {name:<42} {scores([f.labels_ for f in fitted], truth)}   k={ks}   {took:.2f} s")
    tfidf = TfidfVectorizer(stop_words="english").fit_transform(texts)
    plain = [KMeans(n_clusters=7, n_init=10, random_state=s).fit_predict(tfidf) for s in SEEDS]
    print(f"  {'reference: k-means on plain TF-IDF, k=7':<42} {scores(plain, truth)}")
    return vectors, truth


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


def speed(labelled: pd.DataFrame):
    """Print the time to embed and cluster 1,000 and 10,000 answers from scratch."""
    for count in (1_000, 10_000):
        texts = synthetic_answers(labelled, count)
        embedder = SentenceEmbedder()
        embedder.encode(["warm up the model"])
        start = time.perf_counter()
        proposal = propose_codes(range(count), texts, n_clusters="auto", embedder=embedder)
        took = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"  {count:>6} answers: {took:.1f} s embedding and clustering (k=auto chose"
            f" {proposal.estimator.n_clusters_}), peak memory so far {peak:.0f} MB"
        )


def main():
    warnings.filterwarnings("ignore")
    print(f"cores: {os.cpu_count()}")
    labelled = labelled_answers()
    embedder = SentenceEmbedder()
    vectors, truth = quality(labelled, embedder)
    print("code suggestions learnt from the evaluator's coding (30 random draws):")
    suggestions(vectors, truth)
    print("time to propose codes, embedding included (no cache):")
    speed(labelled)


if __name__ == "__main__":
    main()
