"""The codebook of one open question and every coding decision, kept in SQLite.

The machine's clusterings are stored apart (``clusterings``, ``cluster_suggestions``) from
the evaluators' decisions (``codes``, ``coding_decisions``, ``codebook_events``). Decisions
are only ever added: an answer's current codes for a coder are the latest decision per
code, so the whole history of who decided what, and when, is kept.
"""

from __future__ import annotations

import sqlite_utils

from surveyapp.store.clusterings import ClusteringsMixin
from surveyapp.store.codes import CodesMixin
from surveyapp.store.consensus import ConsensusMixin
from surveyapp.store.decisions import DecisionsMixin


class Codebook(CodesMixin, DecisionsMixin, ClusteringsMixin, ConsensusMixin):
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
