"""Open answers of the surveys, clustered, coded and counted with the `coding` package.

Each answer carries the language it was given in (a response without one counts as in its
survey's first language). A question whose answers are all in English is embedded with
all-MiniLM-L6-v2; one with any answer in another language with the multilingual model, so
that answers meaning the same thing share a cluster whatever their language (the figures
behind this choice are in coding/multilingual.py).
"""

from __future__ import annotations

import functools
import hashlib

import numpy as np
import pandas as pd
import sqlite_utils
from threadpoolctl import threadpool_limits

from coding.cluster import ClusteringError, closest_to_centre, propose_codes
from coding.codebook import CodingError
from coding.confidentiality import MIN_CELL, check_min_cell, shown_groups, suppressed
from coding.crosstab import NO_ANSWER
from coding.embeddings import default_embedder
from coding.frequency import code_frequency
from coding.multilingual import ENGLISH, needs_multilingual
from coding.nonanswers import is_non_answer
from coding.suggest import CodeSuggester
from surveyapp.analysis.groups import BY_SURVEY, GroupingError, group_labels, group_of
from surveyapp.questionnaire.model import Questionnaire, translate
from surveyapp.store.codings import Codebook
from surveyapp.store.embeddings import EmbeddingCache
from surveyapp.store.inclusions import inclusions, set_inclusion
from surveyapp.store.responses import column_values, languages_given, texts_given

__all__ = ["ClusteringError", "CodingError", "OpenQuestion"]


# Suggesters fitted in this process, newest last (see OpenQuestion._fitted_suggester).
_SUGGESTERS: dict[str, CodeSuggester] = {}
_SUGGESTERS_KEPT = 8


def _among(answers: pd.DataFrame, keys: set[tuple[str, int]]) -> np.ndarray:
    """Return which rows (survey, response_id) of a frame are among the given answers."""
    pairs = zip(answers.survey, answers.response_id, strict=True)
    return np.fromiter(((s, r) in keys for s, r in pairs), dtype=bool, count=len(answers))


@functools.cache
def shared_embedder(multilingual: bool = False):
    """Return the process's embedder (English or multilingual), loaded once and shared."""
    return default_embedder(multilingual)


def open_questions(questionnaires: dict[str, Questionnaire]) -> dict[str, list[str]]:
    """Return each free-text question's name with the surveys that ask it."""
    found: dict[str, list[str]] = {}
    for survey, questionnaire in questionnaires.items():
        for question in questionnaire.questions:
            if question.kind.open_text:
                found.setdefault(question.name, []).append(survey)
    return found


def _checked(min_cell: int) -> int:
    """Return the minimum cell, or raise CodingError when it is below 1."""
    try:
        return check_min_cell(min_cell)
    except ValueError as error:
        raise CodingError(str(error)) from None


def _left_out(texts: pd.Series) -> str:
    """Return the notice saying which non-answers a clustering left out."""
    examples = list(dict.fromkeys(text.strip() for text in texts))[:2]
    quoted = " and ".join(f"'{text[:40]}'" for text in examples)
    if len(texts) == 1:
        return f"1 non-answer ({quoted}) left out; put it back from the Answers page"
    return (
        f"{len(texts)} non-answers such as {quoted} left out; put them back from the Answers page"
    )


class OpenQuestion:
    """One open question across the surveys that ask it: answers, codebook, suggestions."""

    def __init__(self, db: sqlite_utils.Database, questionnaires, question: str, surveys=None):
        asked = open_questions(questionnaires).get(question)
        if not asked:
            raise CodingError(f"'{question}' is not a free-text question of any survey")
        surveys = list(surveys or asked)
        unknown = [s for s in surveys if s not in asked]
        if unknown:
            raise CodingError(f"survey {', '.join(unknown)} does not ask '{question}'")
        self.db = db
        self.questionnaires = questionnaires
        self.question = question
        self.surveys = surveys
        self.codebook = Codebook(db, question)
        self._embedder = None

    @property
    def label(self) -> str:
        """Return the question's label, from the first survey that asks it."""
        return translate(self.questionnaires[self.surveys[0]].question(self.question).label)

    def answers(self) -> pd.DataFrame:
        """Return the non-empty answers: survey, response_id, text, language, non_answer.

        The answers come in order of survey name, then response: the same order whatever
        order the surveys were named in. An answer whose response recorded no language is
        taken to be in the survey's first. ``non_answer`` marks the answers that say
        nothing ("N/A", "none", "rien"), unless an evaluator put them back, and those an
        evaluator took out: clustering leaves them out.
        """
        frames = []
        for survey in sorted(self.surveys):
            given = texts_given(self.db, survey, self.question)
            first = self.questionnaires[survey].languages[0]
            known = given.language.fillna("").astype(str).str.strip() != ""
            language = given.language.where(known, first)
            frames.append(given.assign(survey=survey, language=language.astype(object)))
        answers = pd.concat(frames, ignore_index=True)
        answers = answers.sort_values(["survey", "response_id"], kind="stable", ignore_index=True)
        word = inclusions(self.db, self.question)
        answers["non_answer"] = [
            not word[key] if key in word else is_non_answer(text)
            for key, text in zip(
                zip(answers.survey, answers.response_id.astype(int), strict=True),
                answers.text,
                strict=True,
            )
        ]
        return answers[["survey", "response_id", "text", "language", "non_answer"]]

    def include(self, survey: str, response_id: int, included: bool, evaluator: str) -> None:
        """Record an evaluator's word: put an answer back into clustering, or take it out."""
        if survey not in self.surveys:
            raise CodingError(f"survey {survey} does not ask '{self.question}'")
        set_inclusion(self.db, self.question, survey, response_id, included, evaluator)

    def languages(self) -> list[str]:
        """Return the languages the answers are in, in order of code (as `answers` says)."""
        found = set()
        for survey in self.surveys:
            first = self.questionnaires[survey].languages[0]
            given = languages_given(self.db, survey, self.question)
            found |= {code if code is not None and str(code).strip() else first for code in given}
        return sorted(found)

    def embedder(self):
        """Return the embedder for this question's answers, loading it once.

        The multilingual model when any answer is not in English, else all-MiniLM-L6-v2.
        """
        if self._embedder is None:
            self._embedder = shared_embedder(needs_multilingual(self.languages()))
        return self._embedder

    def embeddings(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Return the embeddings of texts, from the cache where they were computed before."""
        return EmbeddingCache(self.db).embed(texts, self.embedder(), progress=progress)

    def _propose(
        self, answers: pd.DataFrame, n_clusters, seed: int, progress=None, language=ENGLISH
    ):
        """Cluster some of the answers, keyed by (survey, response_id), labelled in language."""
        return propose_codes(
            list(zip(answers.survey, answers.response_id, strict=True)),
            answers.text.tolist(),
            n_clusters=n_clusters,
            random_state=seed,
            embedder=self.embedder(),
            cache=EmbeddingCache(self.db),
            progress=progress,
            languages=answers.language.tolist(),
            language=language,
        )

    def cluster(
        self, n_clusters="auto", seed: int = 0, evaluator="cli", progress=None, language=ENGLISH
    ):
        """Cluster the answers, store the result as a suggestion; return (id, proposal).

        Non-answers are left out, and a notice says how many. Clusters are named with terms
        in ``language`` (the evaluator's) where they have answers in it. ``progress``, if
        given, is called as ``progress(stage, done, total)`` (see `coding.cluster`), and
        with "saving" before the clustering is stored. The same answers and seed give the
        same clusters whatever order the surveys were named in.
        """
        answers = self.answers()
        left_out, kept = answers[answers.non_answer], answers[~answers.non_answer]
        if kept.empty and len(left_out):
            raise ClusteringError(
                f"all {len(left_out)} answers are non-answers; put some back from the Answers page"
            )
        proposal = self._propose(kept, n_clusters, seed, progress, language)
        if len(left_out):
            proposal.notices.insert(0, _left_out(left_out.text))
        if progress is not None:
            progress("saving", 0, 1)
        clustering_id = self.codebook.store_clustering(
            proposal, sorted(self.surveys), n_clusters, seed, evaluator
        )
        return clustering_id, proposal

    def split(self, code_id: int, parts: int, coder: str, seed: int = 0) -> list[int]:
        """Split a code by re-clustering its answers (this coder's) into the given parts."""
        coding = self.codebook.coding(coder)
        members = coding[coding.code_id == code_id][["survey", "response_id"]]
        answers = self.answers().merge(members, on=["survey", "response_id"])
        if len(answers) < parts:
            raise CodingError(f"the code has {len(answers)} answers: too few to split in {parts}")
        proposal = self._propose(answers, parts, seed)
        assignments = proposal.assignments
        labels = {
            key: int(cluster)
            for key, cluster in zip(assignments.answer, assignments.cluster, strict=True)
        }
        names = {c["cluster"]: c["label"] for c in proposal.clusters}
        return self.codebook.split(code_id, labels, names, coder)

    def suggestions(self, coder: str) -> tuple[pd.DataFrame, CodeSuggester]:
        """Suggest a code, with a confidence, for each answer the coder has not reviewed.

        The suggester learns from the answers the coder reviewed (coded by a person), never
        from the machine's proposals; proposed answers get a suggestion like the others, and
        non-answers none.
        """
        answers = self.answers()
        coding = self.codebook.coding(coder)
        keys = ["survey", "response_id"]
        reviewed = self.codebook.reviewed(coder)
        coding = coding.loc[_among(coding, reviewed)]
        examples = coding.merge(answers, on=keys)
        todo = answers.loc[~_among(answers, reviewed) & ~answers.non_answer.to_numpy(bool)]
        suggester = self._fitted_suggester(examples.text.tolist(), examples.code_id.to_numpy())
        if todo.empty:
            return todo.assign(code_id=[], code=[], confidence=[]), suggester
        keys = list(zip(todo.survey, todo.response_id, strict=True))
        best = suggester.suggest(self.embeddings(todo.text.tolist()), keys)
        names = {c["id"]: c["name"] for c in self.codebook.codes()}
        texts = dict(zip(keys, todo.text, strict=True))
        result = pd.DataFrame(
            {
                "survey": [key[0] for key in best.id],
                "response_id": [key[1] for key in best.id],
                "text": [texts[key] for key in best.id],
                "code_id": best.code.astype(int),
                "confidence": best.confidence,
            }
        )
        result["code"] = result.code_id.map(names)
        return result, suggester

    def _fitted_suggester(self, texts: list[str], codes: np.ndarray) -> CodeSuggester:
        """Return the suggester learnt from these coded answers, fitted once per process.

        Fitting takes a second or more on thousands of answers; the Suggestions page is
        opened again and again between changes of the coding, so the fit is kept, keyed by
        the model, the texts and their codes (anything else would give the same fit).
        """
        digest = hashlib.sha256(self.embedder().name.encode())
        for text, code in zip(texts, codes, strict=True):
            digest.update(f"{code}\x1f{text}\x1e".encode())
        key = digest.hexdigest()
        if key not in _SUGGESTERS:
            with threadpool_limits(limits=1):  # a page's fit must not starve the others
                _SUGGESTERS[key] = CodeSuggester().fit(self.embeddings(texts), codes)
            while len(_SUGGESTERS) > _SUGGESTERS_KEPT:
                _SUGGESTERS.pop(next(iter(_SUGGESTERS)))
        return _SUGGESTERS[key]

    def groups(self, by: str) -> pd.DataFrame:
        """Return each answer's group: its survey's title, or its answer to a profile question."""
        answers = self.answers()
        try:
            labels, _order = group_labels(self.questionnaires, self.surveys, by)
        except GroupingError as error:
            raise CodingError(str(error)) from None
        if by == BY_SURVEY:
            return answers.assign(group=group_of(answers.survey, answers.survey, labels))
        values = pd.concat(
            [column_values(self.db, s, by).assign(survey=s) for s in self.surveys],
            ignore_index=True,
        )
        values["group"] = group_of(values.value, values.survey, labels).fillna(NO_ANSWER)
        keys = ["survey", "response_id"]
        return answers.merge(values[keys + ["group"]], on=keys, how="left")

    def frequency(self, coder: str, by: str = "survey", min_cell: int = MIN_CELL) -> pd.DataFrame:
        """Return the tidy code frequency table of one coder's coding.

        Groups with fewer than ``min_cell`` answers are suppressed (their numbers empty).
        """
        min_cell = _checked(min_cell)
        codes = [c["name"] for c in self.codebook.codes()]
        return code_frequency(self.codebook.coding(coder), self.groups(by), codes, min_cell)

    def quotes(
        self, coder: str, per_code: int = 2, by: str = "survey", min_cell: int = MIN_CELL
    ) -> dict[str, list[str]]:
        """Return for each code the coded answers closest to the code's centre.

        Only answers of groups (by ``by``) shown in the frequency table are quoted: a group
        with fewer than ``min_cell`` answers, suppressed there, is never quoted either.
        """
        min_cell = _checked(min_cell)
        answers = self.groups(by)
        sizes = answers.groupby("group").size()
        if suppressed(len(answers), min_cell):
            return {}
        shown = shown_groups(sizes.to_dict(), min_cell)
        answers = answers[answers.group.isin(shown)]
        coding = self.codebook.coding(coder).merge(answers, on=["survey", "response_id"])
        quotes = {}
        for code, group in coding.groupby("code"):
            texts = group.text.tolist()
            closest = closest_to_centre(self.embeddings(texts), per_code)
            quotes[code] = [texts[i] for i in closest]
        return quotes
