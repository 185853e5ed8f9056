"""The SQLite schema, as SQL text, one migration per ``PRAGMA user_version``.

Never edit a released migration: append a new one. ``store.connect`` applies the missing ones in a
single transaction each. Times are ISO-8601 UTC strings (``2026-11-28T06:00:00+00:00``) so they sort.
"""

from __future__ import annotations


# Which stories the static site must read again (``adapters.site_store``): the stories are cut into buckets,
# one per day of their first appearance (``s2026-11-23``) and, for items not grouped yet, of their date
# (``i2026-11-23``); every write that changes what the site shows of a story gives its bucket a new random
# token. The site keeps each bucket's stories as it last read them, with the token it read: an equal token,
# the same stories. Named so that PostgreSQL, whose site reads everything, can put nothing in its place
# (adapters.storage.postgres). Written to be applied again over itself, as a test that replays older
# migrations does.
def _site_trigger(table: str, event: str, buckets: str) -> str:
    name = f"site_changes_{table}_{event.split()[0].lower()}"
    return f"""
    CREATE TRIGGER IF NOT EXISTS {name} AFTER {event} ON {table} BEGIN
        INSERT INTO site_changes (bucket, token)
            SELECT bucket, randomblob(8) FROM ({buckets}) WHERE bucket IS NOT NULL
            ON CONFLICT (bucket) DO UPDATE SET token = excluded.token;
    END;"""


def _story_bucket(row: str) -> str:
    return f"SELECT 's' || substr(first_at, 1, 10) AS bucket FROM stories WHERE id = {row}.story_id"


def _item_buckets(row: str, column: str = "item_id") -> str:
    """The item's story's bucket, and its own (where it sits while not grouped)."""
    return (
        "SELECT 's' || substr(s.first_at, 1, 10) AS bucket FROM story_items si JOIN stories s ON s.id = si.story_id"
        f" WHERE si.item_id = {row}.{column}"
        f" UNION SELECT 'i' || substr(published_at, 1, 10) FROM items WHERE id = {row}.{column}"
    )


def _each_change(table: str, buckets, columns: str = "") -> str:
    """Triggers on every insert, update (of ``columns``, else any) and delete of ``table``'s rows."""
    update = f"UPDATE OF {columns}" if columns else "UPDATE"
    return (
        _site_trigger(table, "INSERT", buckets("new"))
        + _site_trigger(table, update, f"{buckets('old')} UNION {buckets('new')}")
        + _site_trigger(table, "DELETE", buckets("old"))
    )


SITE_CHANGES = (
    """
    CREATE TABLE IF NOT EXISTS site_changes (
        bucket TEXT PRIMARY KEY,                     -- 's' or 'i' and a day: see schema._site_trigger
        token  BLOB NOT NULL                         -- random, new at each change of the bucket's stories
    );"""
    + _site_trigger("stories", "INSERT", "SELECT 's' || substr(new.first_at, 1, 10) AS bucket")
    + _site_trigger(
        "stories",
        "UPDATE OF first_at, last_at, lead_item_id",
        "SELECT 's' || substr(old.first_at, 1, 10) AS bucket UNION SELECT 's' || substr(new.first_at, 1, 10)",
    )
    + _site_trigger("stories", "DELETE", "SELECT 's' || substr(old.first_at, 1, 10) AS bucket")
    # an item grouped leaves its own bucket for its story's
    + _each_change(
        "story_items",
        lambda row: (
            f"{_story_bucket(row)} UNION SELECT 'i' || substr(published_at, 1, 10) FROM items WHERE id = {row}.item_id"
        ),
    )
    + _site_trigger("items", "INSERT", "SELECT 'i' || substr(new.published_at, 1, 10) AS bucket")
    + _site_trigger(
        "items",
        "UPDATE OF url, title, summary, lang, published_at, feed_id",
        f"SELECT 'i' || substr(old.published_at, 1, 10) AS bucket UNION {_item_buckets('new', 'id')}",
    )
    + _site_trigger("items", "DELETE", "SELECT 'i' || substr(old.published_at, 1, 10) AS bucket")
    + _each_change("sightings", _item_buckets, "feed_id, item_id, published_at")
    + _each_change("item_formats", _item_buckets, "item_id, format, score")
    + _each_change("item_audiences", _item_buckets, "item_id, audience")
    + _each_change("story_themes", _story_bucket)
    + _each_change("digest_stories", _story_bucket)
    + """
    -- a bucket's stories, found by the day they first appeared
    CREATE INDEX IF NOT EXISTS stories_first_at ON stories(first_at);
    -- the stories already stored: every bucket gets its first token
    INSERT INTO site_changes (bucket, token)
        SELECT bucket, randomblob(8) FROM (
            SELECT DISTINCT 's' || substr(first_at, 1, 10) AS bucket FROM stories
            UNION SELECT DISTINCT 'i' || substr(published_at, 1, 10) FROM items) WHERE true
        ON CONFLICT (bucket) DO NOTHING;
    """
)

# The full-text migration, named so that PostgreSQL can put its own DDL in its place whatever its number
# (adapters.storage.postgres.PG_SEARCH_INDEX).
# the site's buckets (``SITE_CHANGES``) of an item classified again; SQLite's only, as they are
SITE_CLASSIFIED = _each_change("classified", _item_buckets, "item_id")

SEARCH_INDEX = """
    -- Full-text index of every item (title, clean text) for `veille search` and the watches: an FTS5
    -- table on the items table's content, case and accents folded, kept in step by triggers and filled
    -- here with the items already stored.
    CREATE VIRTUAL TABLE items_fts USING fts5(
        title, summary, content='items', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
        INSERT INTO items_fts (rowid, title, summary) VALUES (new.id, new.title, new.summary);
    END;
    CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
        INSERT INTO items_fts (items_fts, rowid, title, summary) VALUES ('delete', old.id, old.title, old.summary);
    END;
    CREATE TRIGGER items_fts_update AFTER UPDATE OF title, summary ON items BEGIN
        INSERT INTO items_fts (items_fts, rowid, title, summary) VALUES ('delete', old.id, old.title, old.summary);
        INSERT INTO items_fts (rowid, title, summary) VALUES (new.id, new.title, new.summary);
    END;
    INSERT INTO items_fts (items_fts) VALUES ('rebuild');
   """


def fts_text(column: str) -> str:
    """SQL: ``column`` as the full-text index reads it, "j'ai" and "n'ai" between spaces (or the ends)
    written as one word ("jai", "nai"), as ``core.query.words`` reads them (lower case and the spaces
    added around: FTS5 folds case and skips spaces anyway; stored text has single spaces only)."""
    expression = f"' ' || lower({column}) || ' '"
    for elided in ("j''ai", "n''ai", "j\u2019ai", "n\u2019ai"):
        expression = f"replace({expression}, ' {elided} ', ' {elided[0]}ai ')"
    return expression


def _fts_trigger(event: str, body: str) -> str:
    name = f"items_fts_{event.split()[0].lower()}"
    return f"""
    DROP TRIGGER IF EXISTS {name};
    CREATE TRIGGER {name} AFTER {event} ON items BEGIN
        {body}
    END;"""


_FTS_DELETE = "INSERT INTO items_fts (items_fts, rowid, title, summary) VALUES ('delete', old.id, {}, {});".format(
    fts_text("old.title"), fts_text("old.summary")
)
FTS_INSERT = "INSERT INTO items_fts (rowid, title, summary) VALUES (new.id, {}, {});".format(
    fts_text("new.title"), fts_text("new.summary")
)

# The full-text index reads "j'ai" and "n'ai" as one word (else the watch "ai" finds every French "j'ai").
# The index then holds other text than the items table: never run FTS5's 'rebuild' on it, which would
# read the raw columns (nor trust 'integrity-check' with rank 1, which compares with them and reports a
# healthy index as malformed); the triggers and this migration write it. Named so that PostgreSQL can
# put its own DDL in its place (adapters.storage.postgres.PG_FTS_TEXT).
FTS_TEXT = (
    _fts_trigger("INSERT", FTS_INSERT)
    + _fts_trigger("DELETE", _FTS_DELETE)
    + _fts_trigger("UPDATE OF title, summary", _FTS_DELETE + "\n        " + FTS_INSERT)
    + f"""
    INSERT INTO items_fts (items_fts) VALUES ('delete-all');
    INSERT INTO items_fts (rowid, title, summary) SELECT id, {fts_text("title")}, {fts_text("summary")} FROM items;
    -- merged into one segment, as 'rebuild' leaves it: else a common word's query reads hundreds of them
    INSERT INTO items_fts (items_fts) VALUES ('optimize');
    """
)

MIGRATIONS: list[str] = [
    # ---------------------------------------------------------------------------------------- v1
    """
    -- One row per feed of feeds.yaml (config_url), with its fetch state and health.
    CREATE TABLE feeds (
        id                   INTEGER PRIMARY KEY,
        config_url           TEXT NOT NULL UNIQUE,   -- as written in feeds.yaml (the key)
        url                  TEXT NOT NULL,          -- current URL: a 301/308 updates it
        name                 TEXT,                   -- from feeds.yaml, else the feed's own title
        title                TEXT,                   -- the feed's own title
        site_url             TEXT,
        lang                 TEXT,
        tags                 TEXT NOT NULL DEFAULT '[]',   -- JSON list
        status               TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'gone', 'removed')),
        etag                 TEXT,
        last_modified        TEXT,
        added_at             TEXT NOT NULL,
        last_fetch_at        TEXT,
        last_success_at      TEXT,
        last_new_item_at     TEXT,
        last_error           TEXT,
        last_error_at        TEXT,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        next_fetch_at        TEXT,                   -- backoff or Retry-After; NULL: due now
        moved_from           TEXT,
        moved_at             TEXT,
        parse_warning        TEXT,                   -- feedparser bozo kept as a warning
        stale                INTEGER NOT NULL DEFAULT 0  -- answers, but nothing new for too long
    );

    -- Health history: one row per fetch outcome worth remembering (site and digest source health).
    CREATE TABLE feed_events (
        id        INTEGER PRIMARY KEY,
        feed_id   INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        at        TEXT NOT NULL,
        kind      TEXT NOT NULL CHECK (kind IN ('ok', 'not_modified', 'error', 'moved', 'gone', 'stale')),
        status    INTEGER,                           -- HTTP status when there was one
        detail    TEXT,                              -- reason, new URL…
        new_items INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX feed_events_feed_at ON feed_events(feed_id, at);

    -- One row per distinct piece of content. Copies with the same canonical URL or the same content
    -- hash are stored once; every copy is a sighting.
    CREATE TABLE items (
        id             INTEGER PRIMARY KEY,
        canonical_url  TEXT UNIQUE,                  -- NULL when the entry had no usable link
        content_hash   TEXT NOT NULL UNIQUE,
        url            TEXT,                         -- the link as given (http/https only)
        title          TEXT NOT NULL,
        summary        TEXT NOT NULL,                -- clean text
        html           TEXT NOT NULL,                -- sanitised HTML
        author         TEXT,
        categories     TEXT NOT NULL DEFAULT '[]',   -- JSON list
        published_at   TEXT NOT NULL,                -- UTC; first-seen when the feed gave none
        first_seen_at  TEXT NOT NULL,
        lang           TEXT,
        feed_id        INTEGER NOT NULL REFERENCES feeds(id)  -- first source
    );
    CREATE INDEX items_published ON items(published_at);

    -- Every (feed, entry) that pointed at an item: "covered by N sources".
    CREATE TABLE sightings (
        feed_id      INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        entry_key    TEXT NOT NULL,                  -- guid, else link, else hash(title+date)
        item_id      INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        seen_at      TEXT NOT NULL,
        published_at TEXT NOT NULL,
        PRIMARY KEY (feed_id, entry_key)
    );
    CREATE INDEX sightings_item ON sightings(item_id);

    -- Embedding cache: valid while (model, content_hash) match the item.
    CREATE TABLE embeddings (
        item_id      INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
        model        TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        dim          INTEGER NOT NULL,
        vector       BLOB NOT NULL                   -- float32, little-endian, L2-normalised
    );

    -- Learning formats of an item (zero or more; 'other' when nothing is confident).
    CREATE TABLE item_formats (
        item_id  INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        format   TEXT NOT NULL,
        score    REAL NOT NULL,
        evidence TEXT NOT NULL DEFAULT '{}',         -- JSON: closest description, matched terms
        PRIMARY KEY (item_id, format)
    );
    -- Which (model, taxonomy) an item was classified with, so a change reclassifies.
    CREATE TABLE classified (
        item_id      INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
        signature    TEXT NOT NULL
    );

    -- Stories: near-duplicate items from several sources grouped as one piece of news.
    CREATE TABLE stories (
        id            INTEGER PRIMARY KEY,
        first_at      TEXT NOT NULL,                 -- earliest published_at of its items
        last_at       TEXT NOT NULL,
        lead_item_id  INTEGER REFERENCES items(id),  -- the item shown for the story
        centroid      BLOB                           -- float32 mean embedding
    );
    CREATE TABLE story_items (
        item_id  INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
        story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE
    );
    CREATE INDEX story_items_story ON story_items(story_id);

    -- Persistent themes followed week over week.
    CREATE TABLE themes (
        id          INTEGER PRIMARY KEY,
        first_week  TEXT NOT NULL,                   -- ISO week '2026-W48'
        last_week   TEXT NOT NULL,
        label       TEXT NOT NULL,                   -- readable keywords, latest
        centroid    BLOB                             -- float32, latest linked centroid
    );
    -- A theme's state in one week: its cluster, trend status and reason in numbers.
    CREATE TABLE theme_weeks (
        theme_id  INTEGER NOT NULL REFERENCES themes(id) ON DELETE CASCADE,
        week      TEXT NOT NULL,
        stories   INTEGER NOT NULL,
        items     INTEGER NOT NULL,
        sources   INTEGER NOT NULL,
        keywords  TEXT NOT NULL DEFAULT '[]',        -- JSON list
        status    TEXT NOT NULL CHECK (status IN ('new', 'rising', 'steady', 'fading')),
        weak_signal INTEGER NOT NULL DEFAULT 0,
        reason    TEXT NOT NULL DEFAULT '{}',        -- JSON: the numbers behind the status
        centroid  BLOB,
        PRIMARY KEY (theme_id, week)
    );
    CREATE INDEX theme_weeks_week ON theme_weeks(week);
    CREATE TABLE story_themes (
        story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
        week     TEXT NOT NULL,
        theme_id INTEGER NOT NULL REFERENCES themes(id) ON DELETE CASCADE,
        PRIMARY KEY (story_id, week)
    );
    CREATE INDEX story_themes_theme ON story_themes(theme_id, week);
    -- Weeks already clustered, with the signature of what they were clustered from.
    CREATE TABLE processed_weeks (
        week      TEXT PRIMARY KEY,
        signature TEXT NOT NULL,
        at        TEXT NOT NULL
    );

    -- Weekly digests: built once, archived, sent once per recipient.
    CREATE TABLE digests (
        week        TEXT PRIMARY KEY,
        built_at    TEXT NOT NULL,
        language    TEXT NOT NULL,
        subject     TEXT NOT NULL,
        message_id  TEXT NOT NULL,
        html_path   TEXT NOT NULL,
        text_path   TEXT NOT NULL,
        eml_path    TEXT NOT NULL
    );
    CREATE TABLE digest_stories (
        story_id INTEGER PRIMARY KEY REFERENCES stories(id) ON DELETE CASCADE,  -- one digest per story
        week     TEXT NOT NULL REFERENCES digests(week) ON DELETE CASCADE
    );
    CREATE TABLE digest_sends (
        week      TEXT NOT NULL REFERENCES digests(week) ON DELETE CASCADE,
        recipient TEXT NOT NULL,
        sent_at   TEXT,                              -- NULL: queued, not yet accepted by the server
        attempts  INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        PRIMARY KEY (week, recipient)
    );
    """,
    # ---------------------------------------------------------------------------------------- v2
    """
    -- Running sums of the embeddings per (model, language): the per-language means that align French
    -- and English items (core.clustering.align_languages) without reading the whole history each run.
    CREATE TABLE language_sums (
        model  TEXT NOT NULL,
        lang   TEXT NOT NULL,                      -- 'fr', 'en'…, '*' for an unknown language
        items  INTEGER NOT NULL,
        total  BLOB NOT NULL,                      -- float64 sum of the unit vectors
        PRIMARY KEY (model, lang)
    );
    -- Sources of a theme in a week also count the most prolific one (a chatty feed is no trend).
    ALTER TABLE theme_weeks ADD COLUMN top_source INTEGER NOT NULL DEFAULT 0;
    """,
    # ---------------------------------------------------------------------------------------- v3
    # items: entry identity
    """
    -- Many posts share one canonical URL (a blog's day page, a news page): canonical_url is no
    -- longer unique (rebuilt table, SQLite's 12-step procedure; store.migrate turns foreign keys off
    -- around it and checks them before committing). An item remembers the entry it was made from
    -- (feed_id, origin_key): only that entry updates its text, link and date.
    CREATE TABLE items_identity (
        id             INTEGER PRIMARY KEY,
        canonical_url  TEXT,                         -- NULL when the entry had no usable link
        content_hash   TEXT NOT NULL UNIQUE,
        url            TEXT,                         -- the link as given (http/https only)
        title          TEXT NOT NULL,
        summary        TEXT NOT NULL,                -- clean text
        html           TEXT NOT NULL,                -- sanitised HTML
        author         TEXT,
        categories     TEXT NOT NULL DEFAULT '[]',   -- JSON list
        published_at   TEXT NOT NULL,                -- UTC; first-seen when the feed gave none
        first_seen_at  TEXT NOT NULL,
        lang           TEXT,
        feed_id        INTEGER NOT NULL REFERENCES feeds(id),  -- the origin entry's feed
        origin_key     TEXT                          -- the origin entry's key; NULL: unknown
    );
    INSERT INTO items_identity (id, canonical_url, content_hash, url, title, summary, html, author, categories,
                                published_at, first_seen_at, lang, feed_id)
        SELECT id, canonical_url, content_hash, url, title, summary, html, author, categories,
               published_at, first_seen_at, lang, feed_id FROM items;
    DROP TABLE items;
    ALTER TABLE items_identity RENAME TO items;
    CREATE INDEX items_published ON items(published_at);
    CREATE INDEX items_canonical ON items(canonical_url);
    CREATE INDEX sightings_item_feed ON sightings(item_id, feed_id);
    -- The origin of an item is its first feed's entry when that feed has one entry on it; when several
    -- entries of one feed were merged into one item (older versions), it is unknown: the next read of
    -- the feed gives the item to the entry that carries its text and each other entry an item of its own.
    UPDATE items SET origin_key = (
        SELECT s.entry_key FROM sightings s WHERE s.item_id = items.id AND s.feed_id = items.feed_id
    ) WHERE (SELECT COUNT(*) FROM sightings s WHERE s.item_id = items.id AND s.feed_id = items.feed_id) = 1;
    -- Read every feed in full once more (no conditional GET), so the merged entries are read again.
    UPDATE feeds SET etag = NULL, last_modified = NULL;
    """,
    # ---------------------------------------------------------------------------------------- v4
    # the week's essentials
    """
    -- The week's essentials: for each candidate of a week (a new or rising theme, a story covered by
    -- many sources, a format on the move), its most central sentences, chosen by `veille process`
    -- where the embedder is loaded, with their vectors (float32) so the digest chooses lines without it.
    CREATE TABLE central_sentences (
        week     TEXT NOT NULL,
        kind     TEXT NOT NULL CHECK (kind IN ('theme', 'story', 'format')),
        ref      TEXT NOT NULL,                    -- theme id, story id or format key
        rank     INTEGER NOT NULL,                 -- 0: the most central
        item_id  INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        story_id INTEGER,
        text     TEXT NOT NULL,                    -- from the item's clean text
        score    REAL NOT NULL,                    -- cosine to the candidate's centre
        vector   BLOB NOT NULL,
        PRIMARY KEY (week, kind, ref, rank)
    );
    -- Vectors of candidate sentences, so that reprocessing a week embeds only its new sentences.
    CREATE TABLE sentence_vectors (
        model   TEXT NOT NULL,
        key     TEXT NOT NULL,                     -- sha256 of the sentence
        week    TEXT NOT NULL,                     -- last week it was a candidate (old ones are pruned)
        vector  BLOB NOT NULL,
        PRIMARY KEY (model, key)
    );
    -- Weeks whose sentences were chosen, with the signature of the clustering they were chosen from.
    CREATE TABLE sentence_weeks (
        week      TEXT PRIMARY KEY,
        signature TEXT NOT NULL
    );
    -- The lines a digest opened with, as it showed them (the site's home page shows the same).
    CREATE TABLE digest_brief (
        week     TEXT NOT NULL REFERENCES digests(week) ON DELETE CASCADE,
        rank     INTEGER NOT NULL,
        kind     TEXT NOT NULL,
        ref      TEXT NOT NULL,
        kind_label TEXT NOT NULL,                  -- "Thème en hausse", in the digest's language
        label    TEXT NOT NULL,
        sentence TEXT NOT NULL,
        reason   TEXT NOT NULL,
        url      TEXT,
        PRIMARY KEY (week, rank)
    );
    """,
    # ---------------------------------------------------------------------------------------- v5
    # theme titles
    """
    -- A theme's title in a week, as a person would name it (core.titles), in French and in English;
    -- '' for weeks clustered before titles existed (their keywords stand in).
    ALTER TABLE theme_weeks ADD COLUMN title_fr TEXT NOT NULL DEFAULT '';
    ALTER TABLE theme_weeks ADD COLUMN title_en TEXT NOT NULL DEFAULT '';
    """,
    # ---------------------------------------------------------------------------------------- v6
    # signals
    """
    -- Signals: key phrases whose weekly story counts burst (core.signals), with the stories carrying them.
    CREATE TABLE signals (
        week     TEXT NOT NULL,
        label    TEXT NOT NULL,                    -- its terms, strongest first, comma-separated
        stories  INTEGER NOT NULL,
        sources  INTEGER NOT NULL,
        reason   TEXT NOT NULL DEFAULT '{}',       -- JSON: the numbers behind it
        PRIMARY KEY (week, label)
    );
    CREATE TABLE signal_stories (
        week     TEXT NOT NULL,
        label    TEXT NOT NULL,
        story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
        PRIMARY KEY (week, label, story_id)
    );
    """,
    # ---------------------------------------------------------------------------------------- full-text
    SEARCH_INDEX,
    # ---------------------------------------------------------------------------------------- full text
    # article pages of excerpt-only feeds
    """
    -- The article pages fetched for the items of `full_text` feeds, one row per page URL: a page is
    -- fetched once whichever items point at it; its validators let a changed item revalidate it (304).
    CREATE TABLE articles (
        url           TEXT PRIMARY KEY,
        status        TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
        reason        TEXT,                        -- why there is no text, one line (NULL when ok)
        http_status   INTEGER,
        text          TEXT NOT NULL DEFAULT '',    -- the main text, plain text only (never HTML)
        fetched_at    TEXT NOT NULL,
        etag          TEXT,
        last_modified TEXT
    );
    -- Which page each item's text was fetched from, for which version of the item: an item of a
    -- `full_text` feed without a row (or whose content changed since) is still to fetch.
    CREATE TABLE item_articles (
        item_id      INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
        url          TEXT NOT NULL REFERENCES articles(url),
        content_hash TEXT NOT NULL
    );
    CREATE INDEX item_articles_url ON item_articles(url);
    """,
    # ---------------------------------------------------------------------------------------- audiences
    """
    -- Who each item is for (core.audiences): from its feeds' tags when they name one, else its text.
    CREATE TABLE item_audiences (
        item_id   INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
        audience  TEXT NOT NULL CHECK (audience IN ('corporate', 'higher-ed', 'school', 'general')),
        source    TEXT NOT NULL,                     -- feed | text | off-topic
        score     REAL NOT NULL DEFAULT 0,
        terms     TEXT NOT NULL DEFAULT '[]',        -- JSON: the audience's terms found in the text
        signature TEXT NOT NULL                      -- decision signature ':' content hash
    );
    CREATE INDEX item_audiences_audience ON item_audiences(audience);
    -- Each mail list's digest of a week (mail.lists in feeds.yaml), sent once per list and recipient.
    CREATE TABLE digest_list_sends (
        week      TEXT NOT NULL REFERENCES digests(week) ON DELETE CASCADE,
        list      TEXT NOT NULL,                     -- the list's name
        recipient TEXT NOT NULL,
        sent_at   TEXT,                              -- NULL: queued, not yet accepted by the server
        attempts  INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        PRIMARY KEY (week, list, recipient)
    );
    """,
    # ---------------------------------------------------------------------------------------- retries
    # article pages tried again after a passing failure
    """
    -- An article page that failed for a passing reason (HTTP 5xx or 429, a timeout) is tried again:
    -- its passing failures in a row, and when its next try is due (NULL: never again).
    ALTER TABLE articles ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE articles ADD COLUMN retry_after TEXT;
    -- pages that failed that way before retries existed get one more try, at the next fetch
    UPDATE articles SET failures = 1, retry_after = fetched_at
        WHERE status = 'failed' AND (http_status = 429 OR http_status BETWEEN 500 AND 599
                                     OR reason LIKE 'timed out after %');
    """,
    # ---------------------------------------------------------------------------------------- scale
    # indexes a backfill of a million items needs
    """
    -- The stories still active, read for every week `veille process` groups (stories.last_at); a feed's
    -- items (items.feed_id: feed statistics, a feed removed); a digest's stories (digest_stories.week).
    CREATE INDEX IF NOT EXISTS stories_last_at ON stories(last_at);
    CREATE INDEX IF NOT EXISTS items_feed ON items(feed_id);
    CREATE INDEX IF NOT EXISTS digest_stories_week ON digest_stories(week);
    """,
    # ---------------------------------------------------------------------------------------- site
    # the stories the site must read again
    SITE_CHANGES,
    # ---------------------------------------------------------------------------------------- j'ai
    FTS_TEXT,
    # ---------------------------------------------------------------------------------------- feed relevance
    # a feed's latest items
    """
    -- A feed's latest items, as it carries them (its sightings): `veille process` judges each feed by
    -- its 50 latest (is it about learning?). Read backwards along the index, the item ids in it.
    CREATE INDEX IF NOT EXISTS sightings_feed_published ON sightings(feed_id, published_at, item_id);
    """,
    # ---------------------------------------------------------------------------------------- site
    # an item classified: about learning or not, its pages change (its story may move to "not about learning")
    SITE_CLASSIFIED,
]
