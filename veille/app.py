"""The one place that wires the adapters together; every job takes an ``App``.

    App(settings, now)
        clock          the time of the run (``now``, read once per run from ``clock``)
        fetcher        the feeds' conditional GETs            adapters.http.fetch_feeds_sync
        page_fetcher   one page (a website's feed discovery)  adapters.http.get_page
        article_fetcher  the article pages of full_text feeds  adapters.articles.fetch_articles_sync
        extractor      an article page's main text             adapters.extract.extract_text (trafilatura)
        store          the storage interface, opened on first use (SQLite or PostgreSQL)
        embedder       the embedding model, loaded on first use (fetch and stats never import torch)
        tagger()       the format tagger, fitted on first use, kept while the model and taxonomy hold
        mailer()       an SMTP session for the digest          adapters.mail.Mailer
        site_writer    writes the site's files atomically      adapters.site.write_site

Tests and the demo pass their own parts through ``make_app(settings, **overrides)``. A long-running
process (``veille schedule``, the demo) keeps one App and calls ``next_run`` before each run: feeds.yaml
and the clock are read again, the database is reopened, the model and the fitted tagger stay.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from veille.adapters.storage import open_storage
from veille.adapters.store import FeedStore, Store
from veille.models import FetchSettings, MailSettings, Settings

if TYPE_CHECKING:
    from veille.adapters.articles import ArticlePage
    from veille.adapters.audiences import FittedAudiences
    from veille.adapters.embed import Embedder
    from veille.adapters.http import Page
    from veille.adapters.mail import Mailer
    from veille.adapters.site import SiteFile, WriteReport
    from veille.adapters.tagger import FittedTagger
    from veille.core.formats import Taxonomy
    from veille.models import FetchResult

Fetcher = Callable[..., "list[FetchResult]"]  # (work, *, user_agent, on_result) as fetch_feeds_sync
PageFetcher = Callable[[str, FetchSettings], "Page"]
ArticleFetcher = Callable[..., "list[ArticlePage]"]  # (requests, settings, *, user_agent, on_page)
Extractor = Callable[[bytes, str], str]  # (page bytes, url) -> main text
MailerFactory = Callable[[MailSettings], "Mailer"]
# (files as they are rendered, folder, inputs, pages' fingerprints: read once every file was given)
SiteWriter = Callable[[Iterable["SiteFile"], Path, str | None, Mapping[str, str] | None], "WriteReport"]
TaggerFitter = Callable[["Embedder", "Taxonomy", str, Path], "FittedTagger"]


def _default_embedder(settings: Settings) -> Embedder:
    from veille.adapters.embed import make_embedder

    return make_embedder(
        settings.model.name,
        backend=settings.model.backend,
        batch_size=settings.model.batch_size,
        device=settings.model.device,
        cache_dir=settings.data_dir / "models",
    )


# The default adapters, imported when first used: ``veille --help`` and ``veille stats`` stay light.


def _fetch_feeds(*args: Any, **kwargs: Any) -> list[FetchResult]:
    from veille.adapters.http import fetch_feeds_sync

    return fetch_feeds_sync(*args, **kwargs)


def _get_page(url: str, settings: FetchSettings) -> Page:
    from veille.adapters.http import get_page

    return get_page(url, settings)


def _fetch_articles(*args: Any, **kwargs: Any) -> list[ArticlePage]:
    from veille.adapters.articles import fetch_articles_sync

    return fetch_articles_sync(*args, **kwargs)


def _extract_text(html: bytes, url: str) -> str:
    from veille.adapters.extract import extract_text

    return extract_text(html, url)


def _mailer(settings: MailSettings) -> Mailer:
    from veille.adapters.mail import Mailer

    return Mailer(settings)


def _write_site(
    files: Iterable[SiteFile], out_dir: Path, inputs: str | None = None, pages: Mapping[str, str] | None = None
) -> WriteReport:
    from veille.adapters.site import write_site

    return write_site(files, out_dir, inputs=inputs, pages=pages)


def _fit_tagger(embedder: Embedder, taxonomy: Taxonomy, model_key: str, cache_dir: Path) -> FittedTagger:
    from veille.adapters.tagger import fit_tagger

    return fit_tagger(embedder, taxonomy, model_key, cache_dir)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class App:
    """Settings, the clock, and the adapters, the costly ones made on first use (see the module docstring)."""

    settings: Settings
    now: datetime
    clock: Callable[[], datetime] = _utc_now
    fetcher: Fetcher = _fetch_feeds
    page_fetcher: PageFetcher = _get_page
    article_fetcher: ArticleFetcher = _fetch_articles
    extractor: Extractor = _extract_text
    store_factory: Callable[[Settings], Store] = open_storage
    embedder_factory: Callable[[Settings], Embedder] = _default_embedder
    tagger_fitter: TaggerFitter = _fit_tagger
    mailer_factory: MailerFactory = _mailer
    site_writer: SiteWriter = _write_site
    _store: Store | None = field(default=None, repr=False)
    _owns_store: bool = field(default=True, repr=False)
    _embedder: Embedder | None = field(default=None, repr=False)
    _tagger: FittedTagger | None = field(default=None, repr=False)
    _audiences: tuple[str, FittedAudiences] | None = field(default=None, repr=False)  # (model, fitted)

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = self.store_factory(self.settings)
            self._owns_store = True
        return self._store

    @property
    def feeds(self) -> FeedStore:
        return self.store.feeds

    @property
    def embedder(self) -> Embedder:
        """The embedding model, loaded on first use only (fetch and stats never import torch)."""
        if self._embedder is None:
            self._embedder = self.embedder_factory(self.settings)
        return self._embedder

    def tagger(self) -> FittedTagger:
        """The format tagger for the configured taxonomy and model, fitted on first use (about a second)
        and kept for the life of the App; fitted again only when the taxonomy or the model changed."""
        from veille.adapters.tagger import tagger_key
        from veille.adapters.taxonomy import load_taxonomy

        taxonomy = load_taxonomy(self.settings.formats_file)
        model = self.settings.model.key
        if self._tagger is None or self._tagger.key != tagger_key(model, taxonomy):
            self._tagger = self.tagger_fitter(self.embedder, taxonomy, model, self.settings.data_dir / "cache")
        return self._tagger

    def audiences(self) -> FittedAudiences:
        """The audience classifier (``adapters.audiences.FittedAudiences``) for the configured model,
        fitted on first use and kept for the life of the App (refitted when the model changes)."""
        from veille.adapters.audiences import fit_audiences

        model = self.settings.model.key
        if self._audiences is None or self._audiences[0] != model:
            fitted = fit_audiences(self.embedder, model, self.settings.data_dir / "cache")
            self._audiences = (model, fitted)
        return self._audiences[1]

    def mailer(self) -> Mailer:
        """A new SMTP session (not connected yet) with the configured mail settings."""
        return self.mailer_factory(self.settings.mail)

    def next_run(self, settings: Settings | None = None, now: datetime | None = None) -> None:
        """Ready this App for another run: ``settings`` (feeds.yaml read again), ``now`` (else the clock),
        the database reopened on first use. The loaded model stays unless the model settings changed; the
        fitted tagger stays unless the model or the taxonomy changed (``tagger`` checks)."""
        self.close()
        if settings is not None:
            if (settings.model, settings.data_dir) != (self.settings.model, self.settings.data_dir):
                self._embedder = None
                self._tagger = None
                self._audiences = None
            self.settings = settings
        self.now = (now or self.clock()).astimezone(UTC)

    def close(self) -> None:
        """Close the database connection this App opened (a store passed in is its owner's to close)."""
        if self._store is not None and self._owns_store:
            self._store.close()
        self._store = None


def make_app(
    settings: Settings,
    *,
    now: datetime | None = None,
    clock: Callable[[], datetime] | None = None,
    store: Store | None = None,
    embedder_factory: Callable[[Settings], Embedder] | None = None,
    **adapters: Any,
) -> App:
    """An App over ``settings``; ``now`` defaults to the clock's time. ``store``: an open store the caller
    keeps (and closes); ``adapters``: ``fetcher``, ``page_fetcher``, ``article_fetcher``, ``extractor``,
    ``store_factory``, ``tagger_fitter``,
    ``mailer_factory`` or ``site_writer`` in place of the real ones."""
    clock = clock or _utc_now
    app = App(settings=settings, now=(now or clock()).astimezone(UTC), clock=clock, **adapters)
    if embedder_factory is not None:
        app.embedder_factory = embedder_factory
    if store is not None:
        app._store, app._owns_store = store, False
    return app
