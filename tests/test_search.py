"""Full-text search over everything stored: the query language (core.query), the index on both backends
(SQLite FTS5, PostgreSQL tsvector), kept in step with the items, filled for items stored before it, and
`veille search` as a reader uses it.

Real parts: a SQLite file, a PostgreSQL server (tests/postgres_server.py), a loopback feed server,
`veille` through CliRunner.
"""

from __future__ import annotations

import itertools
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pytest
from click.testing import CliRunner

from tests.feedserver import FeedServer
from tests.postgres_server import storage_yaml
from veille.adapters import schema
from veille.adapters.search_store import fts5_match, pg_tsquery, watch_reports
from veille.adapters.storage import open_storage
from veille.adapters.storage.base import Connection
from veille.adapters.store import Store
from veille.cli import cli
from veille.config import load
from veille.core.query import describe, parse, words
from veille.errors import QueryError

NOW = "2026-11-25T06:00:00Z"

POSTS = [
    # (title, text, day of November)
    ("Réalité virtuelle : les élèves s'entraînent aux gestes techniques", "Un lycée professionnel adopte la VR.", 2),
    ("Virtual reality headsets reach the classroom", "Schools test immersive lessons with VR headsets.", 9),
    ("L'IA générative au service des formateurs", "ChatGPT aide à écrire des quiz et des études de cas.", 16),
    ("Generative AI tutors: what the research says", "A meta-analysis of AI tutoring in higher education.", 17),
    ("Le microlearning en entreprise", "Des capsules de trois minutes pour l'apprentissage au poste.", 23),
    ("Crypto-monnaies : la blockchain certifie les diplômes", "Des badges numériques et une réalité économique.", 24),
]


def feed(posts: list[tuple[str, str, int]], name: str) -> bytes:
    items = "".join(
        f"<item><title>{escape(title)}</title><link>https://news.example.org/{i}</link><guid>{name}-{i}</guid>"
        f"<pubDate>{['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][datetime(2026, 11, day).weekday()]}, "
        f"{day:02d} Nov 2026 08:00:00 GMT</pubDate><description>{escape(text)}</description></item>"
        for i, (title, text, day) in enumerate(posts)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{name}</title>'
        f"<link>https://{name}.example.org/</link>{items}</channel></rss>"
    ).encode()


def run(config: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--config", str(config), "--now", NOW, *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def fetched(tmp_path: Path, url: str | None, extra: str = "", posts: list[tuple[str, str, int]] = POSTS) -> Path:
    """feeds.yaml with two feeds, fetched once (the items of ``posts``; the first one also from a second feed)."""
    with FeedServer({}) as server:
        server.register("/a.xml", feed(posts, "alpha"))
        server.register("/b.xml", feed(posts[:1], "beta"))
        config = tmp_path / "feeds.yaml"
        config.write_text(
            f"feeds:\n  - url: {server.url('/a.xml')}\n    name: Alpha\n  - url: {server.url('/b.xml')}\n"
            f"    name: Beta\n" + storage_yaml(url) + extra,
            encoding="utf-8",
        )
        code, _, err = run(config, "fetch")
        assert code == 0, err
    return config


# ------------------------------------------------------------------------------------ query language


def test_the_query_language_reads_words_phrases_or_not_and_prefixes() -> None:
    assert describe(parse("ia générative")) == "(ia generative)"
    assert describe(parse('"Réalité virtuelle" VR')) == '("realite virtuelle" vr)'
    assert describe(parse("chatgpt OR copilot -crypto")) == "((chatgpt OR copilot) -crypto)"
    assert describe(parse("NOT crypto formateurs")) == "(formateurs -crypto)"
    assert describe(parse("apprenti* e-learning")) == '(apprenti* "e learning")'
    assert describe(parse("tuteur -(crypto OR blockchain)")) == "(tuteur -(crypto OR blockchain))"
    assert words("L’élève d'aujourd'hui") == ["l", "eleve", "d", "aujourd", "hui"]
    assert words("J'ai vu, je n’ai pas ; j'aime l'AI") == ["jai", "vu", "je", "nai", "pas", "j", "aime", "l", "ai"]
    # what each engine receives: every word quoted, so no engine syntax leaks in
    node = parse('"réalité virtuelle" OR vr* -crypto')
    assert fts5_match(node) == '(("realite virtuelle" OR "vr" *) NOT "crypto")'
    assert pg_tsquery(node) == "((('realite' <-> 'virtuelle') | 'vr':*) & !'crypto')"


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ('"réalité virtuelle', "phrase is not closed"),
        ("-crypto", "at least one word to look for"),
        ("ia OR", "OR must sit between"),
        ("(ia", "parenthesis is not closed"),
        ("ia)", "closing parenthesis has no opening"),
        ("a*", "prefix needs at least 2 letters"),
        ("ap*pr", "* only ends a word"),
        ("-ia OR vr", "cannot be one side of an OR"),
        ("!!! ???", "no word to look for"),
        ('NEAR(a b) ^title : "', "phrase is not closed"),
    ],
)
def test_a_query_that_cannot_be_read_says_why(query: str, reason: str) -> None:
    with pytest.raises(QueryError, match=re.escape(reason)):
        parse(query)


# ---------------------------------------------------------------------------------- index, backends


def titles(store: object, query: str, **filters: object) -> list[str]:
    return [hit.title for hit in store.search.search(parse(query), **filters)]  # type: ignore[attr-defined]


def test_search_folds_accents_and_case_and_ranks_on_each_backend(tmp_path: Path, backend: str | None) -> None:
    watch = 'watches:\n  - name: VR\n    query: \'"réalité virtuelle" OR "virtual reality" OR vr\'\n'
    config = fetched(tmp_path, backend, extra=watch)
    store = open_storage(load(config))
    try:
        (report,) = watch_reports(store, load(config), "2026-W48", whole_history=True)
        assert [(p.week, p.stories) for p in report.points if p.stories] == [("2026-W45", 1), ("2026-W46", 1)]
        assert report.week_items == () and not report.burst
        assert titles(store, "realite virtuelle") == [POSTS[0][0]]  # both words, accents folded
        assert set(titles(store, "réalité")) == {POSTS[0][0], POSTS[5][0]}
        assert titles(store, "réalité")[0] == POSTS[0][0]  # in the title ranks before in the text
        assert titles(store, '"réalité économique"') == [POSTS[5][0]]
        assert titles(store, '"économique réalité"') == []  # a phrase keeps its order
        assert set(titles(store, "chatgpt OR meta-analysis")) == {POSTS[2][0], POSTS[3][0]}
        assert titles(store, "réalité -crypto") == [POSTS[0][0]]
        assert titles(store, "ELEVES") == [POSTS[0][0]]
        assert set(titles(store, "génér*")) == {POSTS[2][0], POSTS[3][0]}
        assert titles(store, "l’apprentissage") == [POSTS[4][0]]  # typographic apostrophe as in the text
        assert titles(store, "vr", since=datetime(2026, 11, 5, tzinfo=UTC)) == [POSTS[1][0]]
        assert titles(store, "quantum") == []
        (hit,) = store.search.search(parse("gestes techniques"))
        assert hit.sources == ("Alpha", "Beta")  # the same post from both feeds: one item, two sources
        assert hit.url == "https://news.example.org/0"
        # the index follows the items: an updated title is found by its new words only
        with store.transaction() as conn:
            conn.execute("UPDATE items SET title = ? WHERE id = ?", ("Casques immersifs au lycée", hit.item_id))
        assert titles(store, "gestes techniques") == []
        assert titles(store, "casques immersifs") == ["Casques immersifs au lycée"]
    finally:
        store.close()


def test_items_stored_before_the_index_existed_are_found(
    tmp_path: Path, backend: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from veille.adapters.storage import postgres, sqlite

    before = next(i for i, sql in enumerate(schema.MIGRATIONS) if sql is schema.SEARCH_INDEX)
    monkeypatch.setattr(sqlite, "MIGRATIONS", schema.MIGRATIONS[:before])
    monkeypatch.setattr(postgres, "PG_MIGRATIONS", postgres.PG_MIGRATIONS[:before])
    config = fetched(tmp_path, backend)  # stored by a veille without the index
    store = open_storage(load(config))
    try:
        assert store.version == before
    finally:
        store.close()
    monkeypatch.undo()
    store = open_storage(load(config))  # the index's migration fills it with what is stored
    try:
        assert store.version == len(schema.MIGRATIONS)
        assert titles(store, "réalité virtuelle") == [POSTS[0][0]]
        assert len(store.search.matches(parse("la OR the OR des"))) == len(POSTS)
    finally:
        store.close()


FRENCH_HAVE = [
    ("J'ai testé un tuteur IA avec mes étudiants", "Je n’ai rien regretté : l'IA relit les brouillons.", 10),
    ("AI tutors reach the classroom", "Schools try an AI tutor for homework.", 11),
    ("Ce que j’ai appris au barcamp", "J'aime les ateliers courts.", 12),
    ("Learn'AI ouvre une académie", "Une plateforme de formation.", 13),  # a brand, not "I have"
    ("Je l'ai testé pour vous", "Un casque de VR en classe.", 14),  # "l'ai" stays two words ("l'AI Act")
    ("«J'ai» : le podcast des formateurs", "Épisode 12.", 15),  # not between spaces: two words
]


def test_ai_finds_ai_not_the_french_j_ai_also_in_items_stored_before(
    tmp_path: Path, backend: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from veille.adapters.storage import postgres, sqlite

    before = schema.MIGRATIONS.index(schema.FTS_TEXT)
    monkeypatch.setattr(sqlite, "MIGRATIONS", schema.MIGRATIONS[:before])
    monkeypatch.setattr(postgres, "PG_MIGRATIONS", postgres.PG_MIGRATIONS[:before])
    config = fetched(tmp_path, backend, posts=FRENCH_HAVE)  # stored by a veille that split "j'ai"
    store = open_storage(load(config))
    try:
        assert len(titles(store, "ai")) == 6  # what a watch for AI found: every French first person
    finally:
        store.close()
    monkeypatch.undo()
    store = open_storage(load(config))
    try:
        # the index reads words as the query does (core.query.words), on either engine
        found = {title for title, text, _ in FRENCH_HAVE if "ai" in words(f"{title} {text}")}
        assert set(titles(store, "ai")) == found == {post[0] for post in FRENCH_HAVE[1:]} - {FRENCH_HAVE[2][0]}
        assert titles(store, "ia") == [FRENCH_HAVE[0][0]]
        assert set(titles(store, "j'ai")) == {FRENCH_HAVE[0][0], FRENCH_HAVE[2][0]}  # either apostrophe
        assert titles(store, '"n\'ai rien"') == [FRENCH_HAVE[0][0]]
        assert titles(store, "aime") == [FRENCH_HAVE[2][0]]  # only "j'ai" and "n'ai" are joined
        (hit,) = store.search.search(parse("barcamp"))
        with store.transaction() as conn:  # the triggers take out what the migration wrote
            conn.execute("UPDATE items SET title = ? WHERE id = ?", ("AI : un barcamp de plus", hit.item_id))
        assert titles(store, "j'ai") == [FRENCH_HAVE[0][0]]
        assert titles(store, "barcamp ai") == ["AI : un barcamp de plus"]
    finally:
        store.close()


def story_theme_and_formats(config: Path) -> int:
    """Group the two VR posts into one story of a theme, tag a format (what `veille process` stores)."""
    store = open_storage(load(config))
    try:
        items = {item.title: item for item in store.items.items_to_embed("m")}
        vr = [items[POSTS[0][0]].id, items[POSTS[1][0]].id]
        vector = np.ones(4, dtype=np.float32)
        now = datetime(2026, 11, 10, tzinfo=UTC)
        with store.transaction():
            story = store.themes.add_to_story(None, vr, vector, now, now)
            theme = store.themes.new_theme("2026-W46", "vr, casques", vector)
            store.themes.save_theme_week(
                theme,
                "2026-W46",
                stories=[story],
                items=2,
                sources=2,
                top_source=1,
                keywords=["vr"],
                status="new",
                weak_signal=False,
                reason={"stories": 1},
                centroid=vector,
                titles={"fr": "Réalité virtuelle en classe", "en": "VR in class"},
            )
        store.items.save_formats("sig", [(items[POSTS[0][0]], [("immersive", 0.8, {})])])
        return story
    finally:
        store.close()


def test_veille_search_shows_each_story_once_with_its_sources_formats_and_themes(
    tmp_path: Path, backend: str | None
) -> None:
    config = fetched(tmp_path, backend)
    story = story_theme_and_formats(config)
    code, out, err = run(config, "search", '"réalité virtuelle" OR "virtual reality"', "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["query"] == '"réalité virtuelle" OR "virtual reality"'
    (hit,) = result["results"]  # the two posts of one story: one hit, its best item
    assert hit["story"]["id"] == story and hit["story"]["items"] == 2
    assert hit["title"] in (POSTS[0][0], POSTS[1][0])
    assert hit["sources"] == ["Alpha", "Beta"]
    assert hit["formats"] == ["immersive"]
    assert hit["themes"] == ["Réalité virtuelle en classe"]

    code, out, err = run(config, "search", '"réalité virtuelle" OR "virtual reality"')  # the table, in French
    assert code == 0, err
    assert "1 résultat" in out
    for shown in ("sujet de 2 articles", "Alpha, Beta", "Immersif", "Réalité virtuelle en classe", "https://"):
        assert shown in out, out

    code, out, err = run(config, "search", "ia OR ai", "--format", "immersive", "--json")
    assert code == 0, err
    assert json.loads(out)["results"] == []
    code, out, err = run(config, "search", "générative OR generative", "--since", "2026-11-17", "--json")
    assert [hit["title"] for hit in json.loads(out)["results"]] == [POSTS[3][0]]
    code, out, err = run(config, "search", "quantum")
    assert code == 0 and "Aucun résultat" in out


def test_a_bad_search_is_one_line_never_a_traceback(tmp_path: Path) -> None:
    config = fetched(tmp_path, None)
    code, out, err = run(config, "search", '"réalité virtuelle')
    assert code == 2
    assert "réalité virtuelle" in err and "closing quote" in err and "Traceback" not in err + out
    code, _, err = run(config, "search", "vr", "--format", "podcasts-ish")
    assert code == 2 and "immersive" in err  # the formats it knows
    code, _, err = run(config, "search", "vr", "--since", "last tuesday")
    assert code == 2 and "2026-11-01" in err
    code, out, err = run(config, "search", 'NEAR(gestes) col:x "" OR', "--json")
    assert code == 2 and "OR must sit between" in err  # the engine's own syntax never reaches it
    code, out, err = run(config, "search", "NEAR(gestes techniques) ^title: AND", "--json")
    assert code == 0, err  # read as words: near, gestes, techniques, title
    assert json.loads(out)["parsed"] == "(near (gestes techniques) title)"


def test_search_by_audience_keeps_that_audience_and_the_general_items(tmp_path: Path, backend: str | None) -> None:
    config = fetched(tmp_path, backend)
    store = open_storage(load(config))
    try:
        items = {item.title: item for item in store.items.items_to_embed("m")}
        audience = {POSTS[2][0]: "corporate", POSTS[3][0]: "higher-ed", POSTS[4][0]: "general"}
        with store.transaction() as conn:
            for title, item in items.items():
                conn.execute(
                    "INSERT INTO item_audiences (item_id, audience, source, signature) VALUES (?, ?, 'text', 's')",
                    (item.id, audience.get(title, "school")),
                )
    finally:
        store.close()
    query = "générative OR generative OR microlearning"
    found = {}
    for who in ("higher-ed", "corporate", "school"):
        code, out, err = run(config, "search", query, "--audience", who, "--json")
        assert code == 0, err
        found[who] = {hit["title"] for hit in json.loads(out)["results"]}
    assert found["higher-ed"] == {POSTS[3][0], POSTS[4][0]}  # its own item and the general one
    assert found["corporate"] == {POSTS[2][0], POSTS[4][0]}
    assert found["school"] == {POSTS[4][0]}
    code, _, err = run(config, "search", "vr", "--audience", "students")
    assert code == 2 and "higher-ed" in err and "Traceback" not in err


def test_format_and_audience_are_taken_by_key_or_name_in_either_language_case_ignored(
    tmp_path: Path, backend: str | None
) -> None:
    config = fetched(tmp_path, backend)
    story_theme_and_formats(config)  # the first VR post is tagged immersive
    query = '"réalité virtuelle" OR "virtual reality"'
    for given in (
        "immersive",
        "IMMERSIVE",
        "Immersif (réalité virtuelle et augmentée)",
        "immersive learning (vr and ar)",
    ):
        code, out, err = run(config, "search", query, "--format", given, "--json")
        assert code == 0, err
        assert [hit["formats"] for hit in json.loads(out)["results"]] == [["immersive"]], given
    code, out, err = run(config, "search", "mooc", "--format", "MOOC")
    assert code == 0 and err == "" and "Aucun résultat" in out
    for given in ("Corporate", "Entreprise", "enseignement SUPÉRIEUR", "Higher education"):
        code, out, err = run(config, "search", query, "--audience", given, "--json")
        assert code == 0, (given, err)
    code, out, err = run(config, "search", "vr", "--format", "casque")
    assert code == 2 and out == ""
    assert (
        "'casque' is not a format; one of: " in err and "immersive (Immersif (réalité virtuelle et augmentée))" in err
    )
    assert "mooc" in err and "(MOOC)" not in err  # a name that is its key is not repeated
    code, out, err = run(config, "search", "vr", "--audience", "students")
    assert (
        code == 2 and "'students' is not an audience; one of: " in err and "higher-ed (Enseignement supérieur)" in err
    )


def test_stats_name_formats_and_audiences_in_the_configured_language_and_json_keeps_the_keys(
    tmp_path: Path,
) -> None:
    for lang, heading, immersive, corporate, higher_ed in (
        ("fr", "publics : ", "Immersif (réalité virtuelle et augmentée) 1", "Entreprise 1", "Enseignement supérieur 0"),
        ("en", "audiences: ", "Immersive learning (VR and AR) 1", "Corporate 1", "Higher education 0"),
    ):
        (tmp_path / lang).mkdir()
        config = fetched(tmp_path / lang, None, f"digest:\n  language: {lang}\n")
        story_theme_and_formats(config)  # one item tagged immersive
        store = open_storage(load(config))
        try:
            item = store.items.items_to_embed("m")[0]
            with store.transaction() as conn:
                conn.execute(
                    "INSERT INTO item_audiences (item_id, audience, source, signature)"
                    " VALUES (?, 'corporate', 'text', 's')",
                    (item.id,),
                )
        finally:
            store.close()
        code, out, err = run(config, "stats")
        assert code == 0, err
        formats = next(line for line in out.splitlines() if line.startswith("formats"))
        audiences = next(line for line in out.splitlines() if line.startswith(heading))
        assert immersive in formats and "immersive" not in formats
        assert corporate in audiences and higher_ed in audiences and "corporate" not in audiences
        code, out, err = run(config, "stats", "--json")
        numbers = json.loads(out)
        assert numbers["formats"] == {"immersive": 1} and numbers["audiences"]["corporate"] == 1


def add_word_items(conn: Connection, first: int, last: int) -> None:
    """Items ``first``..``last`` of random words, some with "alpha" and "beta" in their title or text."""
    import random

    rng = random.Random(3 + first)
    for item_id in range(first, last + 1):
        words = ["learning", "news"] + [f"w{rng.randrange(300)}" for _ in range(rng.randint(4, 30))]
        title, summary = " ".join(words[:6]), " ".join(words)
        kind = item_id % 10
        if kind == 0:  # a few items with both words in their title
            title = f"alpha beta {title}"
        elif kind in (1, 2, 3):
            summary += " alpha" * rng.randint(1, 3)
        elif kind in (4, 5, 6):
            summary = "beta " + summary
        day = f"2026-{1 + item_id % 11:02d}-{1 + item_id % 27:02d}T08:00:00+00:00"
        conn.execute(
            "INSERT INTO items (id, content_hash, url, title, summary, html, published_at, first_seen_at,"
            " lang, feed_id) VALUES (?, ?, ?, ?, ?, '', ?, ?, 'en', 1)",
            (item_id, f"h{item_id}", f"https://x.example/{item_id}", title, summary, day, day),
        )


def word_store(path: Path) -> Store:
    """A SQLite store of 1,200 items of random words (``add_word_items``) from one feed."""
    store = Store.open(path)
    with store.transaction() as conn:
        conn.execute("INSERT INTO feeds (id, config_url, url, name, added_at) VALUES (1, 'f', 'f', 'F', '2026-01-01')")
        add_word_items(conn, 1, 1200)
    return store


def ranked(store: Store, query: str, limit: int = 20) -> list[tuple[int, float]]:
    return [(hit.item_id, round(hit.score, 9)) for hit in store.search.search(parse(query), limit=limit)]


def watch_the_or_shortcut(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each search's OR shortcut (``_best_of_all_options``) gave the answer, in order."""
    from veille.adapters import search_store

    answered: list[bool] = []
    pruning = search_store.SearchStore._best_of_all_options

    def spy(self: search_store.SearchStore, *args: object) -> object:
        rows = pruning(self, *args)  # type: ignore[arg-type]
        answered.append(rows is not None)
        return rows

    monkeypatch.setattr(search_store.SearchStore, "_best_of_all_options", spy)
    return answered


def test_a_broad_or_query_ranked_from_the_items_having_every_word_gives_the_same_hits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from veille.adapters import search_store

    with word_store(tmp_path / "veille.db") as store:
        answered = watch_the_or_shortcut(monkeypatch)
        queries = [(query, limit) for query in ("alpha OR beta", "beta OR alpha") for limit in (20, 40)]
        fast = {(query, limit): ranked(store, query, limit) for query, limit in queries}
        assert answered == [True, False, True, False]  # 160 best (limit 40): more than the 120 having both words
        monkeypatch.setattr(search_store, "MAX_PRUNED_OPTIONS", 1)  # every OR ranked the plain way
        for (query, limit), hits in fast.items():
            assert ranked(store, query, limit) == hits, query
        assert {item_id % 10 for item_id, _ in fast[("alpha OR beta", 20)]} == {0}


def test_a_large_store_ranks_in_rowid_ranges_side_by_side_with_the_same_hits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from veille.adapters import search_store
    from veille.adapters.storage.sqlite import SqliteStore

    queries = ["alpha", "beta", "learning", "alpha OR beta", "w7 OR w8 OR w9", '"learning news"', "w1*"]
    # 20 stories, and 300 (every match ranked: an item a range leaves out shows)
    asked = [(query, limit) for query in queries for limit in (20, 300)]
    with word_store(tmp_path / "veille.db") as store:
        whole = {(q, limit): ranked(store, q, limit) for q, limit in asked}  # 1,200 items: one read of all rowids
        assert all(whole.values())
        ranges: list[list[tuple[int, int]]] = []
        reading = SqliteStore.read_parts

        def spy(self: SqliteStore, sql: str, param_sets: list[dict[str, int]]) -> object:
            ranges.append([(sets["low"], sets["high"]) for sets in param_sets])
            return reading(self, sql, param_sets)

        answered = watch_the_or_shortcut(monkeypatch)
        monkeypatch.setattr(SqliteStore, "read_parts", spy)
        monkeypatch.setattr(SqliteStore, "read_width", property(lambda self: 3))
        monkeypatch.setattr(search_store, "PARALLEL_FROM_ITEMS", 1)  # as a store of a million items does
        for query, limit in asked:
            assert ranked(store, query, limit) == whole[(query, limit)], (query, limit)
        assert True in answered  # "alpha OR beta" (20): ranked in parts from the items having both words
        for parts in ranges:  # three ranges from the first rowid to the last, no gap, no overlap
            assert len(parts) == 3 and parts[0][0] <= 1 and parts[-1][1] >= 1200
            assert all(high + 1 == low for (_, high), (low, _) in itertools.pairwise(parts))
        assert len(store._readers) == 3  # three read-only connections read the ranges side by side
        # inside a write batch the batch's connection reads: the item it has not committed yet is found
        with store.transaction() as conn:
            conn.execute("UPDATE items SET title = 'alpha alpha alpha' WHERE id = 7")
            assert ranked(store, "alpha")[0][0] == 7
        assert ranked(store, "alpha")[0][0] == 7
