"""The static site job: read the database, decide every page, render, write atomically and incrementally.

    build_site(app)
        the database's change marker, the week, the settings, the templates, the archives' file stats
            -> the same fingerprint as the site on disk was built from?  -> done, nothing read or computed
        digests' HTML archives on disk?  -> copied into the site as digests/<week>.html
        load (adapters.site_store): feeds, themes, digests whole; the radar only its weeks; the stories by
           their references, kept from the last build (SQLite: only the days whose token changed are read)
        the last digest sent in another language than the site's?  -> its essentials chosen again in the
           site's language from its stories (core.digest.essentials)
        -> every page with the digest of its inputs, its view deferred (core.site)
        -> render (adapters.site) the pages whose inputs changed, computing their views then (reading the
           records they show); the others are kept as written
        -> app.site_writer (adapters.site.write_site): each file as it is rendered, into a temporary
           folder swapped in at once (unchanged ones hard-linked); never the whole site in memory

A rebuild with nothing new reads no history and rewrites no file; a new day reads the records of the days
it changed, and of the stories the pages it changes show (its week, the themes, formats and sources it
touches, the home page and the indexes), and writes only its week's piece of the search index. One read
snapshot of the database holds for the whole build.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import chain
from pathlib import Path

import jinja2

import veille
from veille import __version__
from veille.adapters.render import SHIPPED_TEMPLATES, make_environment
from veille.adapters.search_store import watch_reports
from veille.adapters.site import inputs_fingerprint, previous_site, render_site, up_to_date
from veille.adapters.taxonomy import format_names
from veille.app import App
from veille.core.digest import essentials
from veille.core.site import build_site_view
from veille.core.site.records import BriefRecord, SiteRecords
from veille.core.weeks import iso_week, shift_week
from veille.models import Settings

# what else decides the pages: veille's own code and message catalogs (the whole package, by its files'
# stats: the view models, the loading queries, the renderer's filters, the search pieces' writer)
_PACKAGE = Path(veille.__file__).resolve().parent


@dataclass(frozen=True)
class SiteResult:
    out_dir: Path
    index_path: Path
    written: int  # files rewritten because their content changed (or new)
    unchanged: int  # files left untouched
    removed: int  # files of the previous build no longer part of the site
    pages: int  # HTML pages in the site
    rendered: int = 0  # pages rendered: the others were kept as written, their inputs unchanged


def kept_stories(settings: Settings) -> Path:
    """Where the site keeps its stories' references from one build to the next (``adapters.site_store``):
    beside the database, one file per database."""
    key = hashlib.sha256(str(settings.database.resolve()).encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return settings.data_dir / "site-stories" / f"{key}.marshal"


@lru_cache(maxsize=1)
def _code_stamp() -> str:
    """veille's own code, by its files' stats: another veille computes its references again."""
    return inputs_fingerprint((__version__,), [_PACKAGE])


def site_folder(settings: Settings, out_dir: Path | None = None) -> Path:
    return out_dir or settings.site.out_dir or settings.data_dir / "site"


def build_site(
    app: App,
    *,
    out_dir: Path | None = None,
    format_labels: Mapping[str, str] | None = None,
) -> SiteResult:
    """Build or update the site; returns where ``index.html`` is and how many files were rewritten."""
    store, settings = app.store, app.settings
    folder = site_folder(settings, out_dir)
    if format_labels is None:
        format_labels = format_names(settings.formats_file, settings.digest.language)
    templates = _templates_dir(settings)
    paths = store.site.digest_paths()
    # what decides every page besides the database: settings, templates, veille's own code
    salt = inputs_fingerprint(
        (iso_week(app.now), settings.digest.language, settings.site.title,
         settings.digest.title, tuple(format_labels.items()), __version__, *_file_stats(paths.values()),
         tuple((watch.name, watch.query) for watch in settings.watches)),
        [SHIPPED_TEMPLATES / "site", *([templates / "site"] if templates else []), _PACKAGE],
    )  # fmt: skip
    inputs = inputs_fingerprint((store.site.change_marker(), salt), [])
    current = up_to_date(folder, inputs)
    if current is not None:
        resolved = folder.resolve()
        return SiteResult(
            resolved, resolved / "index.html", 0, len(current), 0, sum(1 for n in current if n.endswith(".html"))
        )
    with _collector_paused(), store.site.reading():
        return _build(app, folder, paths, salt, inputs, templates, format_labels)


def _build(
    app: App,
    folder: Path,
    paths: Mapping[str, str],
    salt: str,
    inputs: str,
    templates: Path | None,
    format_labels: Mapping[str, str],
) -> SiteResult:
    store, settings = app.store, app.settings
    archives: dict[str, bytes] = {}
    for week, path in paths.items():
        try:
            archives[week] = Path(path).read_bytes()
        except OSError:
            continue  # the archive was moved or deleted: the week page then links to nothing
    # the radar scores the last complete week: only the weeks it reads are loaded for it
    records = store.site.load_site(
        archived=frozenset(archives),
        radar_week=shift_week(iso_week(app.now), -1),
        kept=kept_stories(settings),
        stamp=_code_stamp(),
    )
    records = _essentials_in_site_language(app, records, format_labels)
    view = build_site_view(
        records,
        language=settings.digest.language,
        title=settings.site.title or settings.digest.title,
        now=app.now,
        format_labels=format_labels,
        watches=watch_reports(store, settings, iso_week(app.now), whole_history=True),
    )
    rendered = render_site(
        view,
        _environment(templates, templates is not None and templates.is_dir()),
        salt=salt,
        previous=previous_site(folder),  # pages whose fingerprint did not change are kept as they are
    )
    digests = ((f"digests/{week}.html", archives[week], None) for week in view.digest_weeks)
    report = app.site_writer(chain(rendered, digests), folder, inputs, rendered.pages)
    resolved = folder.resolve()
    return SiteResult(
        out_dir=resolved,
        index_path=resolved / "index.html",
        written=len(report.written),
        unchanged=len(report.unchanged),
        removed=len(report.removed),
        pages=sum(1 for name in (*report.written, *report.unchanged) if name.endswith(".html")),
        rendered=rendered.rendered,
    )


def _essentials_in_site_language(app: App, records: SiteRecords, format_labels: Mapping[str, str]) -> SiteRecords:
    """The home page opens with the latest digest's essentials. Sent in another language than the site's
    (the language was switched since), they are chosen again from the same stories in the site's."""
    language = app.settings.digest.language
    shown = [digest for digest in records.digests if digest.week <= iso_week(app.now)]  # as the home page picks
    if not shown or shown[-1].language in ("", language):
        return records
    latest = shown[-1]
    store, feeds = app.store, [feed.url for feed in app.settings.feeds]
    week = store.digests.load_week(
        latest.week, only_story_ids=store.digests.story_ids(latest.week), configured_feeds=feeds
    )
    brief = tuple(
        BriefRecord(line.kind, line.key, line.kind_label, line.label, line.sentence, line.reason, line.url)
        for line in essentials(week, language, format_labels)
    )
    said = replace(latest, brief=brief, language=language)
    return replace(records, digests=tuple(said if digest is latest else digest for digest in records.digests))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The build makes a few hundred thousand small objects (records, views) and frees them only when it
    ends: Python's cyclic garbage collector, passing over them again and again, took a third of the
    loading time. Reference counting still frees what the build drops."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@lru_cache(maxsize=4)
def _environment(templates_dir: Path | None, exists: bool) -> jinja2.Environment:
    """One environment per templates folder (and whether it exists yet), kept between builds of a
    long-running process: compiled templates are reused, and Jinja reloads any template whose file changed."""
    return make_environment(templates_dir if exists else None)


def _file_stats(paths: Iterable[str]) -> list[tuple[str, int, int]]:
    """Each file's size and modification time (-1 when missing): a digest archive rewritten changes it."""
    stats = []
    for path in sorted(paths):
        try:
            stat = Path(path).stat()
            stats.append((path, stat.st_size, stat.st_mtime_ns))
        except OSError:
            stats.append((path, -1, -1))
    return stats


def _templates_dir(settings: Settings) -> Path | None:
    if settings.templates_dir is not None:
        return settings.templates_dir
    return settings.config_path.parent / "templates"
