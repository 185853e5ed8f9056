"""The static site job: read the database, decide every page, render, write atomically and incrementally.

    build_site(app)
        digests' HTML archives on disk?  -> copied into the site as digests/<week>.html
        load everything (adapters.site_store) -> view models (core.site) -> render (adapters.site)
        -> app.site_writer (adapters.site.write_site): only the files whose content changed, in a
           temporary folder swapped in at once

A daily rebuild with nothing new rewrites no file; a new day rewrites its week, the themes, formats and
sources it touches, the home page and the search index.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2

from veille.adapters.render import make_environment
from veille.adapters.site import render_site
from veille.adapters.taxonomy import format_names
from veille.app import App
from veille.core.site import build_site_view
from veille.models import Settings


@dataclass(frozen=True)
class SiteResult:
    out_dir: Path
    index_path: Path
    written: int  # files rewritten because their content changed (or new)
    unchanged: int  # files left untouched
    removed: int  # files of the previous build no longer part of the site
    pages: int  # HTML pages in the site


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
    archives: dict[str, bytes] = {}
    for week, path in store.site.digest_paths().items():
        try:
            archives[week] = Path(path).read_bytes()
        except OSError:
            continue  # the archive was moved or deleted: the week page then links to nothing
    records = store.site.load_site(archived=frozenset(archives))
    if format_labels is None:
        format_labels = format_names(settings.formats_file, settings.digest.language)
    view = build_site_view(
        records,
        language=settings.digest.language,
        title=settings.site.title or settings.digest.title,
        now=app.now,
        format_labels=format_labels,
    )
    templates = _templates_dir(settings)
    files = render_site(view, _environment(templates, templates is not None and templates.is_dir()))
    for week in view.digest_weeks:
        files[f"digests/{week}.html"] = archives[week]
    report = app.site_writer(files, folder)
    resolved = folder.resolve()
    return SiteResult(
        out_dir=resolved,
        index_path=resolved / "index.html",
        written=len(report.written),
        unchanged=len(report.unchanged),
        removed=len(report.removed),
        pages=sum(1 for name in files if name.endswith(".html")),
    )


@lru_cache(maxsize=4)
def _environment(templates_dir: Path | None, exists: bool) -> jinja2.Environment:
    """One environment per templates folder (and whether it exists yet), kept between builds of a
    long-running process: compiled templates are reused, and Jinja reloads any template whose file changed."""
    return make_environment(templates_dir if exists else None)


def _templates_dir(settings: Settings) -> Path | None:
    if settings.templates_dir is not None:
        return settings.templates_dir
    return settings.config_path.parent / "templates"
