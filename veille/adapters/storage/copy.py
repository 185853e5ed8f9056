"""``veille db migrate-to postgresql://…``: copy a watch into an empty PostgreSQL database, table by
table in one transaction, then check that every table holds as many rows as the source."""

from __future__ import annotations

from collections.abc import Callable

import psycopg

from veille.adapters.storage.postgres import PostgresStore
from veille.adapters.store import Store
from veille.errors import StorageError

# Every table of the schema, parents before children (foreign keys hold at each step).
TABLES = (
    "feeds",
    "feed_events",
    "items",
    "sightings",
    "embeddings",
    "item_formats",
    "classified",
    "item_audiences",
    "stories",
    "story_items",
    "themes",
    "theme_weeks",
    "story_themes",
    "processed_weeks",
    "language_sums",
    "digests",
    "digest_stories",
    "digest_sends",
    "digest_list_sends",
    "digest_brief",
    "central_sentences",
    "sentence_vectors",
    "sentence_weeks",
    "signals",
    "signal_stories",
    "articles",
    "item_articles",
)
_IDENTITY = ("feeds", "feed_events", "items", "stories", "themes")


def row_counts(store: Store, tables: tuple[str, ...] = TABLES) -> dict[str, int]:
    return {table: int(store.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]) for table in tables}


def copy_watch(
    source: Store, target: PostgresStore, *, on_table: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Copy every row of ``source`` into ``target`` (empty, same schema version); returns the rows per
    table, checked against the source. Nothing is kept in the target unless every table checks out."""
    if source.version != target.version:
        raise StorageError(
            f"database {source.location} has schema version {source.version} and {target.location} "
            f"{target.version}: open both with the same veille"
        )
    known = set(target.tables()) - {"veille_schema"}
    if known != set(TABLES):
        raise StorageError(f"database {target.location}: unexpected tables {sorted(known ^ set(TABLES))}")
    filled = {table: n for table, n in row_counts(target).items() if n}
    if filled:
        listed = ", ".join(f"{table} {n}" for table, n in filled.items())
        raise StorageError(
            f"database {target.location} is not empty ({listed}): migrate-to copies into an empty database only"
        )
    expected = row_counts(source)
    with target.transaction():
        raw = target.pg.raw
        for table in TABLES:
            if not expected[table]:
                continue
            rows = source.conn.execute(f"SELECT * FROM {table}")
            first = rows.fetchone()
            columns = list(first.keys())
            names = ", ".join(columns)
            try:
                with raw.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    copy.write_row(tuple(first))
                    for row in rows:
                        copy.write_row(tuple(row))
            except psycopg.Error as exc:
                raise target.pg.error(exc) from exc
            if on_table is not None:
                on_table(table, expected[table])
        for table in _IDENTITY:  # new rows continue after the copied ids
            target.conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM {table}"
            )
        copied = row_counts(target)
        wrong = {table: (expected[table], copied[table]) for table in TABLES if expected[table] != copied[table]}
        if wrong:
            listed = ", ".join(f"{table}: {a} in the source, {b} copied" for table, (a, b) in wrong.items())
            raise StorageError(f"database {target.location}: the copy does not match ({listed}); nothing was kept")
    return copied
