"""SQLite queries of ``veille process``: the embedding cache, formats, stories and weekly themes.

Vectors are stored as float32 little-endian blobs. Each write batch is one transaction, so a kill leaves
either the whole batch or none of it, and the next run redoes only what is missing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from veille.adapters.store import Store, from_iso, iso


def to_blob(vector: NDArray[np.floating]) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def from_blob(blob: bytes) -> NDArray[np.float32]:
    return np.frombuffer(blob, dtype="<f4").astype(np.float32)


@dataclass(frozen=True)
class ItemText:
    id: int
    title: str
    summary: str
    content_hash: str
    lang: str | None
    published_at: datetime


@dataclass(frozen=True)
class StoryRow:
    id: int
    first_at: datetime
    last_at: datetime
    centroid: NDArray[np.float32]


class ProcessStore:
    """The tables ``veille process`` reads and writes."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.conn = store.conn

    # ----------------------------------------------------------------------------------- embedding

    def items_to_embed(self, model: str, limit: int | None = None) -> list[ItemText]:
        """Items with no embedding for this model and their current content (new or changed items)."""
        sql = """SELECT i.id, i.title, i.summary, i.content_hash, i.lang, i.published_at FROM items i
                 LEFT JOIN embeddings e ON e.item_id = i.id
                 WHERE e.item_id IS NULL OR e.model != ? OR e.content_hash != i.content_hash
                 ORDER BY i.id"""
        params: tuple[object, ...] = (model,)
        if limit is not None:
            sql += " LIMIT ?"
            params += (limit,)
        return [_item_text(row) for row in self.conn.execute(sql, params)]

    def save_embeddings(self, model: str, items: Sequence[ItemText], vectors: NDArray[np.float32]) -> None:
        with self.store.transaction() as conn:
            conn.executemany(
                """INSERT INTO embeddings (item_id, model, content_hash, dim, vector) VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (item_id) DO UPDATE SET model = excluded.model,
                       content_hash = excluded.content_hash, dim = excluded.dim, vector = excluded.vector""",
                [
                    (item.id, model, item.content_hash, int(vector.shape[0]), to_blob(vector))
                    for item, vector in zip(items, vectors, strict=True)
                ],
            )

    def count_embedded(self, model: str) -> int:
        return int(
            self.conn.execute(
                """SELECT COUNT(*) FROM embeddings e JOIN items i ON i.id = e.item_id
                   WHERE e.model = ? AND e.content_hash = i.content_hash""",
                (model,),
            ).fetchone()[0]
        )

    def vectors(self, item_ids: Sequence[int]) -> NDArray[np.float32]:
        """The stored vectors of these items, in the given order."""
        found: dict[int, bytes] = {}
        for chunk in _chunks(list(item_ids), 900):
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(f"SELECT item_id, vector FROM embeddings WHERE item_id IN ({marks})", chunk):
                found[row[0]] = row[1]
        if not item_ids:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack([from_blob(found[item_id]) for item_id in item_ids])

    def items(self, item_ids: Sequence[int]) -> list[ItemText]:
        rows: dict[int, ItemText] = {}
        for chunk in _chunks(list(item_ids), 900):
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(
                f"SELECT id, title, summary, content_hash, lang, published_at FROM items WHERE id IN ({marks})", chunk
            ):
                rows[row[0]] = _item_text(row)
        return [rows[item_id] for item_id in item_ids]

    # ------------------------------------------------------------------------------------- formats

    def items_to_classify(self, signature: str, model: str) -> list[int]:
        """Embedded items not tagged with this signature and their current content (new or changed)."""
        rows = self.conn.execute(
            """SELECT i.id FROM items i
               JOIN embeddings e ON e.item_id = i.id AND e.model = ? AND e.content_hash = i.content_hash
               LEFT JOIN classified c ON c.item_id = i.id
               WHERE c.item_id IS NULL OR c.signature != ? || ':' || i.content_hash ORDER BY i.id""",
            (model, signature),
        )
        return [row[0] for row in rows]

    def save_formats(
        self,
        signature: str,
        tags: Iterable[tuple[ItemText, Sequence[tuple[str, float, dict[str, object]]]]],
    ) -> None:
        with self.store.transaction() as conn:
            for item, formats in tags:
                item_id = item.id
                conn.execute("DELETE FROM item_formats WHERE item_id = ?", (item_id,))
                conn.executemany(
                    "INSERT INTO item_formats (item_id, format, score, evidence) VALUES (?, ?, ?, ?)",
                    [
                        (item_id, key, float(score), json.dumps(evidence, ensure_ascii=False))
                        for key, score, evidence in formats
                    ],
                )
                conn.execute(
                    """INSERT INTO classified (item_id, signature) VALUES (?, ?)
                       ON CONFLICT (item_id) DO UPDATE SET signature = excluded.signature""",
                    (item_id, f"{signature}:{item.content_hash}"),
                )

    def format_counts(self) -> dict[str, int]:
        rows = self.conn.execute("SELECT format, COUNT(*) FROM item_formats GROUP BY format ORDER BY format")
        return {row[0]: row[1] for row in rows}

    def count_themes(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM themes").fetchone()[0])

    def count_classified(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM classified").fetchone()[0])

    # ------------------------------------------------------------------------------------- stories

    def ungrouped_items(self) -> list[ItemText]:
        rows = self.conn.execute(
            """SELECT i.id, i.title, i.summary, i.content_hash, i.lang, i.published_at FROM items i
               JOIN embeddings e ON e.item_id = i.id
               WHERE i.id NOT IN (SELECT item_id FROM story_items) ORDER BY i.published_at, i.id"""
        )
        return [_item_text(row) for row in rows]

    def active_stories(self, since: datetime) -> list[StoryRow]:
        rows = self.conn.execute(
            "SELECT id, first_at, last_at, centroid FROM stories WHERE last_at >= ? AND centroid IS NOT NULL",
            (iso(since),),
        )
        return [
            StoryRow(row[0], _dt(row[1]), _dt(row[2]), from_blob(row[3]))
            for row in rows  # centroid is NOT NULL by the query
        ]


def _dt(text: str) -> datetime:
    value = from_iso(text)
    assert value is not None
    return value


def _item_text(row: Sequence[object]) -> ItemText:
    return ItemText(
        id=int(row[0]),  # type: ignore[call-overload]
        title=str(row[1]),
        summary=str(row[2]),
        content_hash=str(row[3]),
        lang=None if row[4] is None else str(row[4]),
        published_at=_dt(str(row[5])),
    )


def _chunks(values: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
