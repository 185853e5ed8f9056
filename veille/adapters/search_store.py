"""Full-text search over every stored item: ``veille search`` and the watches of feeds.yaml.

The query language is parsed in ``core.query``; this module writes its tree in each engine's words and
runs it on the index the schema keeps in step with ``items`` (title and clean text):

* SQLite: an FTS5 table ``items_fts`` (``unicode61 remove_diacritics 2``: case and accents folded),
  filled by triggers on ``items``; ranked by ``bm25`` with the title weighing more than the text.
* PostgreSQL: a generated ``tsvector`` column ``items.search`` (``simple`` configuration, accents folded
  by ``unaccent`` when the server has it, by a fixed table of Latin letters otherwise) with a GIN index;
  ranked by ``ts_rank`` (title weight A, text weight B).

Both read words the same way as ``core.query.words``: letters and digits, everything else separates.

The watches of feeds.yaml are loaded here for a week (``watch_reports``: their matches, scored by
``core.watches``; ``shown_matches``: the items the digest lists, with their sources).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from veille.adapters.store import Store, iso, stored_datetime
from veille.core.query import AnyOf, Node, Term, parse
from veille.core.trends import DEFAULT_RULES
from veille.core.watches import MAX_DIGEST_MATCHES, MatchShown, WatchMatch, WatchReport, watch_report
from veille.core.weeks import shift_week, week_bounds
from veille.errors import QueryError, StorageError
from veille.models import Settings

TITLE_WEIGHT = 4.0  # bm25 column weight of the title against the text (1.0)
BM25_K1 = 1.2  # FTS5's bm25 constant k1: one word's part of a row's score is below idf x (k1 + 1)
MAX_PRUNED_OPTIONS = 4  # an OR of more words than this is ranked the plain way
PARALLEL_FROM_ITEMS = 200_000  # from this many items, a search is ranked in rowid ranges side by side


# ------------------------------------------------------------------------------------ translations


def fts5_match(node: Node) -> str:
    """The tree as an FTS5 ``MATCH`` expression (every word quoted: no FTS5 syntax can leak in)."""
    if isinstance(node, Term):
        quoted = '"' + " ".join(node.tokens) + '"'
        return quoted + " *" if node.prefix else quoted
    if isinstance(node, AnyOf):
        return "(" + " OR ".join(fts5_match(option) for option in node.options) + ")"
    parts = [fts5_match(part) for part in node.wanted]
    expression = parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"
    for part in node.excluded:
        expression = f"({expression} NOT {fts5_match(part)})"
    return expression


def pg_tsquery(node: Node) -> str:
    """The tree as PostgreSQL ``to_tsquery`` text (lexemes quoted; phrases with ``<->``, prefixes ``:*``)."""
    if isinstance(node, Term):
        lexemes = [f"'{token}'" for token in node.tokens]
        if node.prefix:
            lexemes[-1] += ":*"
        return lexemes[0] if len(lexemes) == 1 else "(" + " <-> ".join(lexemes) + ")"
    if isinstance(node, AnyOf):
        return "(" + " | ".join(pg_tsquery(option) for option in node.options) + ")"
    parts = [pg_tsquery(part) for part in node.wanted] + [f"!{pg_tsquery(part)}" for part in node.excluded]
    return "(" + " & ".join(parts) + ")"


# ------------------------------------------------------------------------------------------ results


@dataclass(frozen=True)
class SearchHit:
    """One item found, ranked, with what a reader needs to place it."""

    item_id: int
    title: str
    url: str | None
    summary: str
    published_at: datetime
    lang: str | None
    score: float  # higher is better (bm25 or ts_rank, not comparable across engines)
    story_id: int | None
    story_title: str | None  # the story's lead item, when the item belongs to a story
    story_items: int  # items grouped in the story (1 when none)
    sources: tuple[str, ...]  # feeds that carried the item or its story, first seen first
    formats: tuple[str, ...]  # learning formats of the item and of its story's other items
    themes: tuple[str, ...] = field(default=())  # themes the story was part of, latest first


Match = WatchMatch  # one item matching a watch (core.watches counts their weeks)


class SearchStore:
    """Search and watch matches on one store (both engines)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.conn = store.conn

    def _where(
        self,
        node: Node,
        since: datetime | None,
        until: datetime | None,
        fmt: str | None,
        audience: str | None,
    ) -> tuple[str, str, str, dict[str, object]]:
        """FROM, WHERE and score expression for ``node`` and the filters, with their parameters."""
        params: dict[str, object] = {}
        if self.store.backend == "postgresql":
            params["q"] = pg_tsquery(node)
            source = "to_tsquery('simple', veille_fold(:q)) q JOIN items i ON i.search @@ q"
            where = ["i.search @@ q"]
            score = "ts_rank(i.search, q)"
        else:
            params["q"] = fts5_match(node)
            source = "items_fts JOIN items i ON i.id = items_fts.rowid"
            where = ["items_fts MATCH :q"]
            score = f"-bm25(items_fts, {TITLE_WEIGHT}, 1.0)"
        if since is not None:
            where.append("i.published_at >= :since")
            params["since"] = iso(since)
        if until is not None:
            where.append("i.published_at < :until")
            params["until"] = iso(until)
        if fmt is not None:
            where.append("EXISTS (SELECT 1 FROM item_formats f WHERE f.item_id = i.id AND f.format = :fmt)")
            params["fmt"] = fmt
        if audience is not None:  # the audience's items and the general ones (core.audiences)
            where.append(
                "EXISTS (SELECT 1 FROM item_audiences a WHERE a.item_id = i.id"
                " AND (a.audience = :audience OR a.audience = 'general'))"
            )
            params["audience"] = audience
        return source, " AND ".join(where), score, params

    def _run(self, sql: str, params: dict[str, object]) -> list[object]:
        try:
            return list(self.conn.execute(sql, params).fetchall())
        except StorageError as exc:
            self._unreadable_query(exc)
            raise

    @staticmethod
    def _unreadable_query(exc: StorageError) -> None:
        """A query the engine cannot read is the query's error (never expected: every word is quoted)."""
        if "fts5" in str(exc) or "tsquery" in str(exc):
            raise QueryError(f"the search engine cannot read this query ({exc})") from None

    def search(
        self,
        node: Node,
        *,
        since: datetime | None = None,
        fmt: str | None = None,
        audience: str | None = None,
        limit: int = 20,
        lang: str = "fr",
    ) -> list[SearchHit]:
        """The ``limit`` best stories matching ``node`` (one hit per story: its best item), best first."""
        source, where, score, params = self._where(node, since, None, fmt, audience)
        # a story's items often match together: read a few more items than stories shown
        params["n"] = limit * 4
        if self.store.backend == "sqlite" and since is None and fmt is None and audience is None:
            # nothing to filter on the items: rank inside the index, then join only the best (half the time
            # of joining every match at 1,000,000 items: bench/search.py)
            sql = f"""SELECT r.id AS id, r.score AS score, si.story_id AS story_id FROM (
                          SELECT rowid AS id, {score} AS score FROM items_fts
                          WHERE items_fts MATCH :q AND rowid BETWEEN :low AND :high
                          ORDER BY score DESC, rowid DESC LIMIT :n
                      ) r LEFT JOIN story_items si ON si.item_id = r.id ORDER BY r.score DESC, r.id DESC"""
            rows = self._best_of_all_options(node, sql, params)
            if rows is None:
                rows = self._ranked_in_parts(sql, params)
        else:
            sql = f"""SELECT i.id AS id, {score} AS score, si.story_id AS story_id FROM {source}
                      LEFT JOIN story_items si ON si.item_id = i.id
                      WHERE {where} ORDER BY score DESC, i.id DESC LIMIT :n"""
            rows = self._run(sql, params)
        chosen: list[tuple[int, float, int | None]] = []
        seen: set[int] = set()
        for row in rows:
            story = row["story_id"]  # type: ignore[index]
            if story is not None and story in seen:
                continue
            if story is not None:
                seen.add(story)
            chosen.append((int(row["id"]), float(row["score"]), story))  # type: ignore[index]
            if len(chosen) >= limit:
                break
        return self._hits(chosen, lang)

    def _ranked_in_parts(self, sql: str, params: dict[str, object]) -> list[object]:
        """``sql``'s ``n`` best rows (ranked in the index, rowids in [:low, :high]). On a large store the
        rowids are split into as many ranges as the store reads at once (``Store.read_parts``: one core
        each), each range gives its ``n`` best and they are merged: the same rows in the same order as one
        read of every rowid (bm25's idf and mean length are the whole table's, whatever the range), in 0.65
        to 0.83 of the time on two cores for a query of 25,000 matches or more at 1,000,000 items
        (bench/search.py). The items are those stored when the search began; each range reads its own
        snapshot, so a run committing meanwhile can move a score by its share of the statistics."""
        last = int(self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM items").fetchone()[0])
        parts = self.store.read_width if last >= PARALLEL_FROM_ITEMS else 1
        step = last // parts + 1
        sets = [{**params, "low": part * step, "high": (part + 1) * step - 1} for part in range(parts)]
        try:
            read = self.store.read_parts(sql, sets)
        except StorageError as exc:
            self._unreadable_query(exc)
            raise
        if len(read) == 1:
            return list(read[0])
        merged = sorted((row for rows in read for row in rows), key=lambda row: (-row["score"], -row["id"]))
        return list(merged[: int(params["n"])])  # type: ignore[call-overload]

    def _best_of_all_options(self, node: Node, sql: str, params: dict[str, object]) -> list[object] | None:
        """For a broad OR of words (``ap OR reuters``: a fifth of the items), ``sql``'s rows for the items
        having every word, when they are sure to be the same ``n`` best items as the OR's, else None.

        bm25 gives each word of a row a part below ``idf x (k1 + 1)``, whatever its counts (FTS5's bm25,
        idf from the number of rows having the word). A row lacking one word scores below the sum of the
        others' bounds; when the ``n``-th best row having every word scores above the largest such sum,
        no row lacking a word can enter the first ``n``, and ranking the few rows having every word gives
        the same answer, in the same order, as ranking every match (bench/search.py).
        """
        if not isinstance(node, AnyOf) or not 1 < len(node.options) <= MAX_PRUNED_OPTIONS:
            return None
        if not all(isinstance(option, Term) for option in node.options):
            return None
        every = "(" + " AND ".join(fts5_match(option) for option in node.options) + ")"
        rows = self._ranked_in_parts(sql, {**params, "q": every})
        if len(rows) < int(params["n"]):  # type: ignore[call-overload]
            return None
        threshold = float(rows[-1]["score"])  # type: ignore[index]
        # idf grows with the number of rows: the largest rowid bounds it from above, so the bounds stay bounds
        total = int(self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM items").fetchone()[0])
        bounds = []
        for option in node.options:
            having = int(
                self.conn.execute(
                    "SELECT COUNT(*) FROM items_fts WHERE items_fts MATCH ?", (fts5_match(option),)
                ).fetchone()[0]
            )
            idf = max(1e-6, math.log((total - having + 0.5) / (having + 0.5)))
            bounds.append(idf * (BM25_K1 + 1.0))
        return rows if threshold > sum(bounds) - min(bounds) else None

    def matches(self, node: Node, *, since: datetime | None = None, until: datetime | None = None) -> list[Match]:
        """Every item matching ``node`` published in [since, until), oldest first (watches count them)."""
        source, where, _, params = self._where(node, since, until, None, None)
        rows = self._run(
            f"""SELECT i.id AS id, si.story_id AS story_id, i.feed_id AS feed_id, i.published_at AS published_at,
                       sg.feed_id AS seen_by
                FROM {source} LEFT JOIN story_items si ON si.item_id = i.id
                LEFT JOIN sightings sg ON sg.item_id = i.id
                WHERE {where} ORDER BY i.published_at, i.id""",
            params,
        )
        # one row per (item, feed that carried it): the sources of a watch's week are every feed, as for themes
        feeds: dict[int, dict[int, None]] = {}
        first: dict[int, object] = {}
        for r in rows:
            item_id = int(r["id"])  # type: ignore[index]
            if item_id not in first:
                first[item_id] = r
                feeds[item_id] = {int(r["feed_id"]): None}  # type: ignore[index]
            if r["seen_by"] is not None:  # type: ignore[index]
                feeds[item_id][int(r["seen_by"])] = None  # type: ignore[index]
        return [
            Match(
                item_id,
                r["story_id"],  # type: ignore[index]
                int(r["feed_id"]),  # type: ignore[index]
                stored_datetime(r["published_at"]),  # type: ignore[index]
                tuple(feeds[item_id]),
            )
            for item_id, r in first.items()
        ]

    def hits(self, item_ids: Sequence[int], lang: str = "fr") -> list[SearchHit]:
        """Items shown as hits (a watch's matches), in the order given, score 0."""
        return self._hits([(item_id, 0.0, None) for item_id in item_ids], lang)

    def _hits(self, chosen: Sequence[tuple[int, float, int | None]], lang: str) -> list[SearchHit]:
        if not chosen:
            return []
        ids = [item_id for item_id, _, _ in chosen]
        marks = ",".join("?" * len(ids))
        items = {
            row["id"]: row
            for row in self.conn.execute(
                f"""SELECT i.id, i.title, i.url, i.summary, i.published_at, i.lang, si.story_id
                    FROM items i LEFT JOIN story_items si ON si.item_id = i.id WHERE i.id IN ({marks})""",
                ids,
            )
        }
        stories = sorted({row["story_id"] for row in items.values() if row["story_id"] is not None})
        story_marks = ",".join("?" * len(stories))
        leads: dict[int, tuple[str, int]] = {}
        story_sources: dict[int, list[str]] = defaultdict(list)
        themes: dict[int, list[str]] = defaultdict(list)
        if stories:
            for row in self.conn.execute(
                f"""SELECT s.id, l.title, (SELECT COUNT(*) FROM story_items x WHERE x.story_id = s.id) AS n
                    FROM stories s LEFT JOIN items l ON l.id = s.lead_item_id WHERE s.id IN ({story_marks})""",
                stories,
            ):
                leads[row[0]] = (row[1], int(row[2]))
            for row in self.conn.execute(
                f"""SELECT si.story_id, COALESCE(f.name, f.title, f.url) AS name, MIN(sg.seen_at) AS first
                    FROM story_items si JOIN sightings sg ON sg.item_id = si.item_id JOIN feeds f ON f.id = sg.feed_id
                    WHERE si.story_id IN ({story_marks})
                    GROUP BY si.story_id, COALESCE(f.name, f.title, f.url) ORDER BY first, name""",
                stories,
            ):
                story_sources[row[0]].append(row[1])
            title_column = "tw.title_fr" if lang == "fr" else "tw.title_en"
            for row in self.conn.execute(
                f"""SELECT st.story_id, t.id, COALESCE(NULLIF({title_column}, ''), t.label) AS name, st.week
                    FROM story_themes st JOIN themes t ON t.id = st.theme_id
                    LEFT JOIN theme_weeks tw ON tw.theme_id = st.theme_id AND tw.week = st.week
                    WHERE st.story_id IN ({story_marks}) ORDER BY st.week DESC""",
                stories,
            ):
                if row[2] not in themes[row[0]]:
                    themes[row[0]].append(row[2])
        item_sources: dict[int, list[str]] = defaultdict(list)
        for row in self.conn.execute(
            f"""SELECT sg.item_id, COALESCE(f.name, f.title, f.url) AS name, MIN(sg.seen_at) AS first
                FROM sightings sg JOIN feeds f ON f.id = sg.feed_id WHERE sg.item_id IN ({marks})
                GROUP BY sg.item_id, COALESCE(f.name, f.title, f.url) ORDER BY first, name""",
            ids,
        ):
            item_sources[row[0]].append(row[1])
        # formats of the item, and of its story's other items (a story is one piece of news)
        formats: dict[int, list[str]] = defaultdict(list)
        story_formats: dict[int, list[str]] = defaultdict(list)
        for row in self.conn.execute(
            f"SELECT item_id, format FROM item_formats WHERE item_id IN ({marks}) ORDER BY score DESC, format", ids
        ):
            if row[1] != "other":
                formats[row[0]].append(row[1])
        if stories:
            for row in self.conn.execute(
                f"""SELECT si.story_id, f.format, MAX(f.score) AS best FROM story_items si
                    JOIN item_formats f ON f.item_id = si.item_id WHERE si.story_id IN ({story_marks})
                    GROUP BY si.story_id, f.format ORDER BY best DESC, f.format""",
                stories,
            ):
                if row[1] != "other":
                    story_formats[row[0]].append(row[1])
        hits = []
        for item_id, score, _ in chosen:
            row = items.get(item_id)
            if row is None:
                continue
            story = row["story_id"]
            lead, count = leads.get(story, (None, 1)) if story is not None else (None, 1)
            sources = story_sources.get(story, []) if story is not None else []
            hits.append(
                SearchHit(
                    item_id=item_id,
                    title=row["title"],
                    url=row["url"],
                    summary=row["summary"],
                    published_at=stored_datetime(row["published_at"]),
                    lang=row["lang"],
                    score=score,
                    story_id=story,
                    story_title=lead,
                    story_items=count,
                    sources=tuple(dict.fromkeys([*item_sources.get(item_id, []), *sources])),
                    formats=tuple(dict.fromkeys([*formats.get(item_id, []), *story_formats.get(story, [])])),
                    themes=tuple(themes.get(story, [])) if story is not None else (),
                )
            )
        return hits


# ------------------------------------------------------------------------------------------ watches


def watch_reports(store: Store, settings: Settings, week: str, *, whole_history: bool = False) -> list[WatchReport]:
    """Each watch scored in ``week``. Only the weeks the burst test reads are loaded, unless
    ``whole_history`` (the site's watch pages show every week since the first match)."""
    reports = []
    since = None if whole_history else week_bounds(shift_week(week, -(DEFAULT_RULES.window - 1)))[0]
    until = week_bounds(week)[1]
    for watch in settings.watches:
        matches = store.search.matches(parse(watch.query), since=since, until=until)
        reports.append(watch_report(watch.name, watch.query, watch.slug, matches, week))
    return reports


def shown_matches(
    store: Store, reports: Sequence[WatchReport], lang: str, limit: int = MAX_DIGEST_MATCHES
) -> dict[int, MatchShown]:
    """The items the digest lists for ``reports`` (up to ``limit`` per watch), with their sources."""
    ids = list(dict.fromkeys(item for report in reports for item in report.week_items[:limit]))
    return {
        hit.item_id: MatchShown(hit.item_id, hit.title, hit.url, hit.summary, hit.published_at, hit.sources)
        for hit in store.search.hits(ids, lang)
    }
