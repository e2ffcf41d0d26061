"""Embeddings of answers kept in SQLite, computed once per distinct text and model."""

from __future__ import annotations

import numpy as np
import sqlite_utils

from coding.embeddings import text_key


class EmbeddingCache:
    """Embeddings stored in a SQLite table, computed once per distinct text and model."""

    def __init__(self, db: sqlite_utils.Database):
        self.conn = db.conn

    def embed(self, texts: list[str], embedder, progress: bool = False) -> np.ndarray:
        """Return the embeddings of texts, computing and storing only those not cached."""
        if not getattr(embedder, "cacheable", False):
            return embedder.encode(texts, progress=progress)
        keys = [text_key(text) for text in texts]
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                "select text_key, vector from embeddings"
                f" where model = ? and text_key in ({marks})",
                [embedder.name, *chunk],
            )
            found.update({key: np.frombuffer(blob, dtype=np.float32) for key, blob in rows})
        missing = {key: text for key, text in zip(keys, texts, strict=True) if key not in found}
        if missing:
            vectors = embedder.encode(list(missing.values()), progress=progress)
            with self.conn:
                self.conn.executemany(
                    "insert or ignore into embeddings (model, text_key, vector) values (?, ?, ?)",
                    [
                        (embedder.name, key, vector.astype(np.float32).tobytes())
                        for key, vector in zip(missing, vectors, strict=True)
                    ],
                )
            found.update(zip(missing, vectors, strict=True))
        return np.vstack([found[key] for key in keys]) if keys else embedder.encode([])
