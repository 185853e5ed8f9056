"""``veille process``: embed what is new, group stories, tag formats, cluster weeks into themes, score trends.

    process(app)
        1. embed      items without an embedding for (model, content hash), in batches; one transaction per
                      batch, so a kill loses at most one batch of work
        2. formats    items not yet tagged with this (model, taxonomy, rules) signature -> core.formats
        3. stories    items not yet in a story, in publication order -> core.clustering.group_stories, against
                      the stories still active (last ``STORY_WINDOW_DAYS``)
        4. themes     each ISO week whose stories changed (signature) -> core.clustering.cluster_themes on the
                      week's stories, c-TF-IDF keywords (core.labels) and a title in French and English
                      (core.titles); core.themes decides which persistent theme of the previous weeks
                      each cluster continues, which merge, which are new and what each is reported as
                      (scored by core.trends); later weeks are redone after it, since their history changed
        5. sentences  each clustered week whose sentences are missing or stale -> the most central sentences
                      of its new and rising themes, most covered stories and formats on the move
                      (core.brief), stored with their vectors for the digest's "week's essentials"

Every step is idempotent: a second run with nothing new changes nothing.
"""

from __future__ import annotations

import hashlib
import logging
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from veille.adapters.embed import Embedder
from veille.adapters.process_store import (
    ItemText,
    SentenceSource,
    ThemeStore,
    WindowStory,
)
from veille.adapters.radar_store import load_radar
from veille.adapters.stopwords import stop_words
from veille.adapters.store import Store
from veille.adapters.taxonomy import signal_generic_words
from veille.adapters.threads import one_blas_thread
from veille.app import App
from veille.core import audiences, brief, clustering, formats, fulltext, i18n, labels, signals, titles, trends
from veille.core.radar import build_radar, radar_span
from veille.core.themes import (
    LINK_WEEKS,
    OPEN_MARK,
    THEME_WINDOW_WEEKS,
    Story,
    ThemeGroup,
    fading_themes,
    follow_groups,
    gone_themes,
    score_groups,
    theme_groups,
    week_signatures,
)
from veille.core.weeks import iso_week, previous_weeks, shift_week, week_bounds

log = logging.getLogger(__name__)

EMBED_BATCH = 256  # items embedded and stored per transaction
CLASSIFY_BATCH = 2000  # items tagged (formats, audiences) and stored per transaction
SUMMARY_CHARS = 500  # title + the first ~500 characters of the summary (METHODS.md)


@dataclass(frozen=True)
class ProcessReport:
    embedded: int = 0
    classified: int = 0
    stories_new: int = 0
    items_grouped: int = 0
    weeks_clustered: tuple[str, ...] = ()

    def summary(self, language: str | None = None) -> str:
        """One line in ``language`` (English by default); the weeks clustered as a range when there are many."""
        lang = i18n.cli_language(language)
        ngettext = i18n.language(lang, default=i18n.CLI_DEFAULT).ngettext
        # one plural per count: "1 item embedded", "0 article vectorisé" (French: 0 and 1 take the singular)
        new_stories = ngettext("{count} new story", "{count} new stories", self.stories_new)
        parts = (
            ngettext("{count} item embedded", "{count} items embedded", self.embedded).format(count=self.embedded),
            ngettext("{count} tagged", "{count} tagged", self.classified).format(count=self.classified),
            ngettext("{count} grouped into {stories}", "{count} grouped into {stories}", self.items_grouped).format(
                count=self.items_grouped, stories=new_stories.format(count=self.stories_new)
            ),
            i18n.cli_text("process_weeks", lang, weeks=i18n.week_list(self.weeks_clustered, lang)),
        )
        return ", ".join(parts)


def embedding_text(title: str, summary: str) -> str:
    """What is embedded: the title and the start of the clean summary, cut on a word boundary."""
    summary = summary.strip()
    if len(summary) > SUMMARY_CHARS:
        summary = summary[:SUMMARY_CHARS].rsplit(" ", 1)[0]
    title = title.strip()
    if not summary or summary.startswith(title):
        return summary or title
    return f"{title}. {summary}" if title else summary


def analysis_text(item: ItemText) -> str:
    """What the embedding reads of an item: ``embedding_text``, then the start of its article's main text
    when its feed has ``full_text`` (``core.fulltext``); the digest and the site still show the excerpt."""
    return fulltext.with_article(
        embedding_text(item.title, item.summary), item.summary, item.article, fulltext.EMBED_ARTICLE_CHARS
    )


def gate_text(item: ItemText) -> str:
    """Whose learning terms the relevance gate counts: title and excerpt, never the article page (a long
    page names learning words in passing: with them, off-topic pages passed the gate, bench/fulltext.py)."""
    return f"{item.title}. {item.summary}"


def tagger_text(item: ItemText) -> str:
    """What the format tagger reads of an item: title and excerpt, then the start of its article's text."""
    return fulltext.with_article(gate_text(item), item.summary, item.article, fulltext.TAG_ARTICLE_CHARS)


Progress = Callable[[int, int], None]  # (items embedded so far, items to embed in all)


def embed_new(app: App, on_progress: Progress | None = None) -> int:
    """Embed the items that have no embedding for the configured model and their current content;
    ``on_progress(done, total)`` after each batch (and once before the first)."""
    store = app.store.items
    model = app.settings.model.key
    done = 0
    total = store.count_to_embed(model) if on_progress is not None else 0
    if on_progress is not None:
        on_progress(0, total)
    after = 0  # keyset pagination: each batch reads on from the last id of the one before
    while True:
        batch = store.items_to_embed(model, limit=EMBED_BATCH, after=after)
        if not batch:
            return done
        after = batch[-1].id
        vectors = app.embedder.embed([analysis_text(item) for item in batch])
        store.save_embeddings(model, batch, vectors, langs=[clustering.language_key(item.lang) for item in batch])
        done += len(batch)
        log.debug("embedded %d item(s)", done)
        if on_progress is not None:
            on_progress(done, max(total, done))


# ------------------------------------------------------------------------------------------- formats


def classify_new(app: App) -> int:
    """Tag the items not yet tagged with the current (model, taxonomy, rules) signature."""
    store = app.store.items
    fitted = app.tagger()
    tagger, signature = fitted.tagger, fitted.signature
    done = after = 0
    medians: dict[int, float | None] = {}  # per feed, read once a run
    while ids := store.items_to_classify(signature, app.settings.model.key, after=after, limit=CLASSIFY_BATCH):
        after = ids[-1]
        items = store.items(ids)
        vectors = store.vectors(ids)
        texts = [tagger_text(item) for item in items]
        tags = tagger.classify(
            texts,
            vectors,
            [item.lang for item in items],
            gate_texts=[gate_text(item) for item in items],
            feed_relevance=feeds_relevance(app, tagger, ids, medians),
        )
        store.save_formats(
            signature,
            (
                (item, [(tag.format, tag.score, dict(tag.evidence)) for tag in item_tags])
                for item, item_tags in zip(items, tags, strict=True)
            ),
        )
        done += len(ids)
    return done


def feeds_relevance(
    app: App, tagger: formats.FormatClassifier, item_ids: Sequence[int], medians: dict[int, float | None]
) -> list[float | None] | None:
    """Per item, how much the feeds that carry it are about learning (``core.formats.item_feed_relevance``):
    each feed is judged by the relevance gate's median over its latest items, read once into ``medians``.
    None without a gate."""
    if tagger.gate is None:
        return None
    store = app.store.items
    feeds = store.item_feed_ids(item_ids)
    todo = sorted({feed for carried in feeds.values() for feed in carried} - medians.keys())
    if todo:
        latest = store.latest_of_feeds(todo, app.settings.model.key, formats.RelevanceRules.FEED_ITEMS)
        ids = [item_id for feed in todo for item_id in latest[feed]]
        by_id: dict[int, float] = {}
        if ids:
            items = store.items(ids)
            scores = tagger.relevance([gate_text(i) for i in items], store.vectors(ids), [i.lang for i in items])
            assert scores is not None  # a gate, checked above
            by_id = dict(zip(ids, map(float, scores), strict=True))
        found = formats.feed_medians({feed: [by_id[i] for i in latest[feed]] for feed in todo})
        medians.update({feed: found.get(feed) for feed in todo})
    known = {feed: median for feed, median in medians.items() if median is not None}
    return formats.item_feed_relevance([feeds[item_id] for item_id in item_ids], known)


# ------------------------------------------------------------------------------------------- audiences


def decide_audiences(app: App) -> int:
    """Give each item not yet decided (or whose content, feed tags or rules changed) its audience."""
    store = app.store.items
    fitted = app.audiences()
    classifier = fitted.classifier
    params = classifier.audiences.params
    feed_tags = sorted((feed.url, sorted(audiences.named_audiences(feed.tags))) for feed in app.settings.feeds)
    signature = hashlib.sha256(f"{fitted.signature}{feed_tags}".encode()).hexdigest()[:16]
    gate = app.tagger().tagger if params.min_relevance > -1.0 else None
    done = after = 0
    while ids := store.items_to_audience(signature, app.settings.model.key, after=after, limit=CLASSIFY_BATCH):
        after = ids[-1]
        items = store.items(ids)
        vectors = store.vectors(ids)
        tags = store.item_feed_tags(ids)
        texts = [f"{item.title}. {item.summary}" for item in items]
        langs = [item.lang for item in items]
        guesses = classifier.guess(texts, vectors, langs)
        relevance = gate.relevance(texts, vectors, langs) if gate is not None else None
        decisions = []
        for i, (item, guess) in enumerate(zip(items, guesses, strict=True)):
            score = float(relevance[i]) if relevance is not None else None
            decision = audiences.decide(audiences.named_audiences(tags[item.id]), score, guess, params)
            decisions.append((item, decision.audience, decision.source, decision.score, decision.terms))
        store.save_audiences(signature, decisions)
        done += len(ids)
    return done


# ------------------------------------------------------------------------------------------- stories


def language_means(app: App) -> dict[str, NDArray[np.float32]]:
    """Per-language mean embeddings from the running sums kept in the database."""
    return clustering.means_from_sums(app.store.themes.language_sums(app.settings.model.key))


def _active_story(
    sid: int,
    centroid: NDArray[np.float32],
    size: int,
    last: datetime,
    first: datetime,
    members: list[tuple[str, str | None, int]],
) -> clustering.ActiveStory:
    """A stored story as grouping reads it, from its items' (title, language, feed)."""
    titles = tuple(title for title, _, _ in members)
    return clustering.ActiveStory(
        id=sid,
        centroid=centroid,
        size=size,
        last_at=last,
        first_at=first,
        names=_names(*titles),
        langs=frozenset(clustering.language_key(lang) for _, lang, _ in members if lang is not None),
        titles=titles,
        feeds=frozenset(feed for _, _, feed in members),
    )


def group_new_items(app: App, means: dict[str, NDArray[np.float32]]) -> tuple[int, int]:
    """Group the items not yet in a story, a week at a time, against the stories still active: only one
    week's items are read at once, so a backfill of years takes the memory of its busiest week.

    Returns (items grouped, new stories)."""
    store, themes = app.store.items, app.store.themes
    grouped = created = 0
    window = timedelta(days=clustering.STORY_WINDOW_DAYS)
    since: datetime | None = None
    while (first := store.first_ungrouped(since)) is not None:
        start, since = week_bounds(iso_week(first))
        items = store.ungrouped_items(start, since)
        vectors, _ = clustering.align_languages(
            store.vectors([item.id for item in items]), [item.lang for item in items], means=means
        )
        times = [item.published_at for item in items]
        stored = themes.active_stories(min(times) - window)
        stored_items = themes.story_members([row[0] for row in stored])
        item_feeds = themes.item_feeds([item.id for item in items])
        active = [
            _active_story(sid, centroid, size, last, first, stored_items.get(sid, []))
            for sid, centroid, size, last, first in stored
        ]
        names = [_names(item.title) for item in items]
        langs = [item.lang for item in items]
        grouping = clustering.group_stories(
            vectors,
            times,
            existing=active,
            names=names,
            langs=langs,
            titles=[item.title for item in items],
            feeds=[item_feeds.get(item.id) for item in items],
        )
        with app.store.transaction():
            for story in grouping.stories:
                members = [items[int(i)] for i in story.members]
                members.sort(key=lambda item: (item.published_at, item.id))
                themes.add_to_story(
                    story.existing_id,
                    [item.id for item in members],
                    story.centroid,
                    members[0].published_at,
                    story.last_at,
                )
                created += story.existing_id is None
        grouped += len(items)
    return grouped, created


def _names(*titles: str) -> frozenset[str]:
    return frozenset().union(*(clustering.story_names(title, stop_words()) for title in titles))


# -------------------------------------------------------------------------------------------- themes


def cluster_weeks(app: App) -> list[str]:
    """Cluster every week whose stories changed since it was last clustered, and every week after it
    (their trend history changed), in order. Returns the weeks clustered."""
    themes = app.store.themes
    current = week_signatures(themes.story_weeks(), app.now)
    done = themes.processed_weeks()
    changed = sorted(week for week, signature in current.items() if done.get(week) != signature)
    if not changed:
        return []
    todo = sorted(week for week in current if week >= changed[0])
    embed = _phrase_embedder(app.embedder)
    known: dict[int, tuple[str, frozenset[str]]] = {}  # the signals' stories' terms, from week to week
    for week in todo:
        with app.store.transaction():
            _cluster_week(themes, week, current[week], app.now, embed, known)
    return todo


PHRASE_MEMORY = 50_000  # phrase vectors remembered per embedder (about 75 MB at 384 dimensions)
_PHRASES: weakref.WeakKeyDictionary[Any, dict[str, NDArray[np.float32]]] = weakref.WeakKeyDictionary()


def _phrase_embedder(embedder: Embedder) -> titles.Embed:
    """The embedder for title candidates, remembering the phrases it has embedded for the life of the
    embedder: consecutive weeks, and the daily runs of ``veille schedule`` or the demo, share most of
    their candidates."""
    seen = _PHRASES.setdefault(embedder, {})

    def embed(phrases: Sequence[str]) -> NDArray[np.float32]:
        missing = [p for p in dict.fromkeys(phrases) if p not in seen]
        if missing:
            if len(seen) + len(missing) > PHRASE_MEMORY:
                seen.clear()
            seen.update(zip(missing, embedder.embed(missing), strict=True))
        if not phrases:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack([seen[p] for p in phrases])

    return embed


def _cluster_week(
    themes: ThemeStore,
    week: str,
    signature: str,
    now: datetime,
    embed: titles.Embed,
    known: dict[int, tuple[str, frozenset[str]]] | None = None,
) -> None:
    """Cluster the stories of the window of weeks ending at ``week`` into themes, link them to the themes
    of the previous weeks, and score each theme's trend in ``week``; the decisions are
    ``core.themes``'s, this loads, calls and stores.

    Clustering a window of ``THEME_WINDOW_WEEKS`` weeks rather than one week gives themes enough stories
    to exist, and the same clustering gives each theme's story counts for every week of the window, so
    its trend is read off one consistent grouping; older weeks come from the stored history. ``known``
    carries the signals' story terms from the week before to this one (see ``_save_signals``)."""
    window = [*previous_weeks(week, THEME_WINDOW_WEEKS - 1), week]
    themes.clear_week(week)
    stories = themes.window_stories(week_bounds(window[0])[0], week_bounds(week)[1])
    refs = [
        trends.ThemeRef(id=tid, centroid=centroid, last_week=last)
        for tid, centroid, last in themes.theme_refs(week, LINK_WEEKS)
    ]
    groups = _theme_groups(themes, stories, week, window[0], refs) if stories else []
    history_start = shift_week(week, -trends.DEFAULT_RULES.window)
    continued = {group.theme_id for group in groups if group.theme_id is not None}
    gone = gone_themes(refs, groups, week)
    stored = themes.theme_history([*continued, *gone], history_start, window[0])
    stored_recent = themes.theme_history(gone, window[0], week)
    earlier = themes.earlier_centroids(window[0])
    kept_titles = themes.latest_titles(gone, week)
    followed = follow_groups(groups, stories, window, stored)
    # titles for the groups followed as themes only: a dropped grouping must not take a theme's title
    named = _group_titles(themes, stories, [f.group for f in followed], window[0], week, embed) if followed else []
    priors = _priors(themes, stories, [(f.group.centroid, f.stories, f.points) for f in followed], week, window[0])
    in_progress = signature.endswith(OPEN_MARK)
    for item, group_titles, decision in zip(
        followed, named, score_groups(followed, priors, week, earlier, in_progress=in_progress), strict=True
    ):
        if decision is None:
            continue  # quiet this week, and nothing to report about it
        group = item.group
        theme_id = group.theme_id
        if theme_id is None:
            theme_id = themes.new_theme(week, ", ".join(group.keywords[:4]), group.centroid)
        themes.save_theme_week(
            theme_id,
            week,
            stories=list(decision.stories),
            items=decision.current.items,
            sources=decision.current.sources,
            top_source=decision.current.top_source,
            keywords=group.keywords,
            status=decision.status.status,
            weak_signal=decision.status.weak_signal,
            reason=dict(decision.status.reason),
            centroid=group.centroid,
            titles=group_titles,
        )
    for theme_id, status in fading_themes(gone, stored, stored_recent, week, in_progress=in_progress):
        themes.save_theme_week(
            theme_id,
            week,
            stories=[],
            items=0,
            sources=0,
            top_source=0,
            keywords=(),
            status=status.status,
            weak_signal=False,
            reason=dict(status.reason),
            centroid=None,
            titles=kept_titles.get(theme_id),
        )
    _save_signals(themes, week, {} if known is None else known)
    themes.mark_processed(week, signature, now)


def _save_signals(themes: ThemeStore, week: str, known: dict[int, tuple[str, frozenset[str]]]) -> None:
    """Find the key phrases whose story counts burst this week (``core.signals``) and store them.

    ``known`` holds the terms of the stories read the week before (story id -> text, terms): consecutive
    weeks read mostly the same stories. It is left holding this week's, so it never outgrows the window."""
    rules = signals.DEFAULT_SIGNAL_RULES
    weeks = [*previous_weeks(week, rules.baseline_weeks + rules.max_span - 1), week]
    rows = themes.story_texts(week_bounds(weeks[0])[0], week_bounds(week)[1])
    stops = stop_words()
    read: dict[int, tuple[str, frozenset[str]]] = {}
    stories = []
    for sid, w, feeds, text in rows:
        seen = read.get(sid) or known.get(sid)
        if seen is None or seen[0] != text:
            seen = (text, signals.story_terms(text, stops))
        read[sid] = seen
        stories.append(signals.StoryTerms(sid, w, feeds, seen[1]))
    known.clear()
    known.update(read)
    found = signals.detect(stories, week, weeks, generic=signal_generic_words())
    themes.save_signals(week, [(s.label, s.stories, s.sources, dict(s.reason)) for s in found])


def _priors(
    themes: ThemeStore,
    stories: list[WindowStory],
    young: Sequence[tuple[NDArray[np.float32], Sequence[Story], Sequence[trends.WeekPoint]]],
    week: str,
    window_start: str,
) -> list[list[trends.WeekPoint]]:
    """For each (centroid, member stories, points) of a theme, its topic's estimated counts in the weeks
    that ``score_theme`` reads before the theme's first story (``trends.prior_points``); none for a theme
    older than that. The window's stories are at hand; older weeks are read in chunks, memory bounded."""
    first = shift_week(week, -(trends.DEFAULT_RULES.window - 1))
    gaps: list[list[str]] = []
    for _, _, points in young:
        seen = min((p.week for p in points if p.stories > 0), default=week)
        gaps.append(_weeks_from(first, seen))
    todo = [k for k, gap in enumerate(gaps) if gap]
    out: list[list[trends.WeekPoint]] = [[] for _ in young]
    if not todo:
        return out
    centroids = np.vstack([young[k][0] for k in todo]).astype(np.float32)
    thresholds = np.array(
        [trends.prior_threshold(young[k][0], np.vstack([s.centroid for s in young[k][1]])) for k in todo]
    )
    near: list[dict[str, int]] = [{} for _ in todo]
    present: set[str] = set()  # weeks with any story: weeks before the database began are no evidence

    def tally(weeks_of_rows: list[str], vectors: NDArray[np.float32]) -> None:
        present.update(weeks_of_rows)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        hits = (vectors / np.where(norms > 0, norms, 1.0)) @ centroids.T >= thresholds
        for row, row_week in enumerate(weeks_of_rows):
            for j in np.flatnonzero(hits[row]):
                near[j][row_week] = near[j].get(row_week, 0) + 1

    if first < window_start:
        for weeks_of_rows, vectors in themes.week_story_vectors(week_bounds(first)[0], week_bounds(window_start)[0]):
            tally(weeks_of_rows, vectors)
    rows = [(w, s.centroid) for s in stories for w in s.weeks]
    if rows:
        tally([w for w, _ in rows], np.vstack([v for _, v in rows]).astype(np.float32))
    for j, k in enumerate(todo):
        # the same rule counted over the weeks the theme was seen calibrates it to the theme's own counts
        seen_weeks = [p for p in young[k][2] if p.week >= window_start and p.week not in gaps[k]]
        own = sum(p.stories for p in seen_weeks)
        passed = sum(near[j].get(p.week, 0) for p in seen_weeks)
        scale = own / passed if passed else 1.0
        gap = [w for w in gaps[k] if w in present]
        out[k] = trends.prior_points({w: n for w, n in near[j].items() if w in gap}, gap, scale=scale)
    return out


def _weeks_from(first: str, before: str) -> list[str]:
    """The ISO weeks from ``first`` up to, not including, ``before``."""
    out: list[str] = []
    current = first
    while current < before:
        out.append(current)
        current = shift_week(current, 1)
    return out


def _theme_groups(
    themes: ThemeStore, stories: list[WindowStory], week: str, first_week: str, refs: list[trends.ThemeRef]
) -> list[ThemeGroup]:
    """Cluster the window's stories (one BLAS thread), find each cluster's keywords, read which theme held
    each story, and let ``core.themes`` link each cluster to a theme and merge the clusters of one theme."""
    vectors = np.vstack([s.centroid for s in stories])
    profiles = themes.format_profiles([s.id for s in stories])
    with one_blas_thread():
        clustered = clustering.cluster_themes(clustering.theme_features(vectors, profiles))
    words = labels.keywords([story.text for story in stories], clustered.labels, stops=stop_words())
    held = themes.held_stories([s.id for s in stories], first_week, week)
    members = [[int(i) for i in m] for m in clustered.members]
    keywords = {c: [word for word, _ in pairs] for c, pairs in words.items()}
    return theme_groups(stories, members, held, week, refs, keywords)


def _group_titles(
    themes: ThemeStore,
    stories: list[WindowStory],
    groups: Sequence[ThemeGroup],
    first_week: str,
    week: str,
    embed: titles.Embed,
) -> list[dict[str, str]]:
    """Each group's title in French and English, made of the items of its stories in the window
    (``core.titles``); bigger groups first, so a bigger theme keeps a title two themes would share."""
    items = themes.story_items([s.id for s in stories], week_bounds(first_week)[0], week_bounds(week)[1])
    docs: list[titles.Doc] = []
    item_ids: list[int] = []
    members: list[list[int]] = []
    for group in groups:
        rows: list[int] = []
        for i in group.members:
            for item in items.get(stories[i].id, []):
                rows.append(len(docs))
                docs.append(titles.Doc(item.title, item.summary, clustering.language_key(item.lang), stories[i].id))
                item_ids.append(item.id)
        members.append(rows)
    if not docs:
        return [{} for _ in groups]
    vectors = themes.store.items.vectors(item_ids)
    order = sorted(range(len(groups)), key=lambda g: (-len(groups[g].members), g))
    made = titles.theme_titles(docs, vectors, [members[g] for g in order], embed, stops=stop_words())
    out: list[dict[str, str]] = [{} for _ in groups]
    for rank, g in enumerate(order):
        out[g] = {lang: title.text for lang, title in made[rank].items()}
    return out


# ------------------------------------------------------------------------------------------ sentences


def choose_sentences(app: App) -> list[str]:
    """Choose the central sentences of every clustered week whose clustering changed since. Returns the weeks."""
    sentences = app.store.sentences
    todo = sentences.weeks_to_do()
    for week, signature in todo.items():
        store_week_sentences(app.store, app.embedder, week, signature=signature)
    return list(todo)


def rising_formats(store: Store, week: str) -> list[str]:
    """The formats the format radar finds rising in ``week``: the essentials' formats on the move. Only
    ``week`` is scored, on the same stories as the radar's (a status reads how long ago a format was
    first seen: a shorter span would make an old format young)."""
    loaded = load_radar(store, *radar_span(week))
    radar = build_radar(loaded.stories, week, first_week=loaded.first_week, weeks=1)
    return [track.format for track in radar.moving if track.status.status == "rising"]


def store_week_sentences(store: Store, embedder: Embedder, week: str, *, signature: str | None = None) -> int:
    """Rank the sentences of the week's candidates (new and rising themes with two sources or more, the
    stories with the most sources, the formats on the move) and store the three most central of each,
    with their vectors. The week's new sentences are embedded in one call; those already embedded as
    candidates (the same week processed again the next day) are read back. Returns the sentences stored."""
    sentences = store.sentences
    candidates = sentences.candidates(week, rising_formats(store, week), min_story_sources=brief.MIN_STORY_SOURCES)
    per_candidate: list[list[tuple[SentenceSource, str]]] = [
        [(src, text) for src in cand.items for text in brief.item_sentences(src.title, src.summary)]
        for cand in candidates
    ]
    texts = list(dict.fromkeys(text for pairs in per_candidate for _, text in pairs))
    known = sentences.cached_vectors(embedder.name, texts)
    missing = [text for text in texts if text not in known]
    if missing:
        known.update(zip(missing, embedder.embed(missing), strict=True))
    sentences.save_vectors(embedder.name, week, {text: known[text] for text in texts})
    vectors = np.vstack([known[text] for text in texts]) if texts else np.zeros((0, 0), dtype=np.float32)
    row_of = {text: row for row, text in enumerate(texts)}
    chosen = []
    for cand, pairs in zip(candidates, per_candidate, strict=True):
        if not pairs:
            continue
        matrix = vectors[[row_of[text] for _, text in pairs]]
        ranked = brief.central_sentences(matrix, [src.item_id for src, _ in pairs])
        for rank, (row, score) in enumerate(ranked):
            src, text = pairs[row]
            chosen.append((cand.kind, cand.ref, rank, src, text, score, matrix[row]))
    sentences.save_week(week, signature, chosen)
    return len(chosen)


def process(app: App, *, on_progress: Progress | None = None) -> ProcessReport:
    """Run every step on whatever is new. Idempotent. ``on_progress`` follows the embedding (the long step)."""
    embedded = embed_new(app, on_progress)
    classified = classify_new(app)
    decide_audiences(app)
    means = language_means(app)
    grouped, created = group_new_items(app, means)
    weeks = cluster_weeks(app)
    choose_sentences(app)
    return ProcessReport(
        embedded=embedded,
        classified=classified,
        stories_new=created,
        items_grouped=grouped,
        weeks_clustered=tuple(weeks),
    )


__all__ = [
    "ItemText",
    "ProcessReport",
    "analysis_text",
    "classify_new",
    "decide_audiences",
    "embed_new",
    "embedding_text",
    "gate_text",
    "process",
    "tagger_text",
]
