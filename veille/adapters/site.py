"""The one writer of the static site: render every page, then write the folder atomically and incrementally.

Rendering uses the digest's template environment (``adapters.render.make_environment``: the user's
``templates/`` first, then the shipped ones, autoescape on), so a user overrides ``site/base.html`` or
``site/style.css`` the way they override ``digest.html``.

Writing (``write_site``):

1. A manifest (``.veille-site.json``) in the site folder records the SHA-256 of every file written, the
   fingerprint of what the site was built from (``inputs_fingerprint``: the database's change marker,
   the week, the settings, the templates, the digests' archives, veille's own code), and each page's and
   search piece's own fingerprint (what its template reads: its view, or for a page whose view is
   deferred, the digest of its inputs ``core.site`` gives): ``render_site`` keeps, without rendering it
   or computing its view, a page whose fingerprint is the one it was written with.
2. If the inputs did not change, nothing is even computed (``up_to_date``).
3. Otherwise the new site is assembled in a temporary folder beside the target as the files are rendered,
   one at a time: unchanged files are hard-linked from the current site (same inode, same mtime: not
   rewritten), changed ones written. If in the end no file's content changed and none disappeared, the
   temporary folder is dropped and the site is not touched (its manifest only, when the inputs moved).
4. Swap: the current folder is renamed away, the new one renamed in, the old one deleted. A reader
   never sees a half-written site; a crash between the two renames is repaired by the next build.

A folder that holds files but no manifest is not ours, and is never replaced.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields, is_dataclass, replace
from functools import lru_cache
from pathlib import Path
from types import NoneType
from typing import Any

import jinja2
from markupsafe import Markup

from veille.adapters.render import render_template
from veille.core.site import Deferred, Page, SearchEntry, SearchPiece, SiteView, StoryView
from veille.core.site.common import KEPT_STORIES, Recent
from veille.errors import RenderError, SiteError

MANIFEST = ".veille-site.json"
STATIC_FILES = ("style.css", "search.js", "audience.js")
SEARCH_GLOBAL = "VEILLE_SEARCH"
SEARCH_INDEX = "search/index.js"


@dataclass(frozen=True)
class WriteReport:
    written: tuple[str, ...]  # files whose content changed (or new)
    unchanged: tuple[str, ...]  # kept as they were
    removed: tuple[str, ...]  # files of the previous build the new one no longer has


#: One file of the site as the renderer gives it: its path, its content, and its SHA-256 when already known
#: (a kept file, checked as it was read back).
SiteFile = tuple[str, bytes, str | None]


def render_site(
    view: SiteView,
    env: jinja2.Environment,
    *,
    salt: str = "",
    previous: PreviousSite | None = None,
) -> RenderedSite:
    """Every file of the site (pages, search index, Atom feed, CSS and JS), rendered one at a time as the
    writer asks for them (``write_site``), so the site is never whole in memory; each page's fingerprint
    (``page_fingerprint``) is in ``RenderedSite.pages`` once every file was given.

    ``previous``: the site on disk (``previous_site``). A page whose fingerprint is the one it was written
    with is not rendered again: its file is read back (and checked against the manifest's hash), so a new
    day renders its week, the pages listing its stories and the indexes, not the hundreds of others.
    ``salt``: what else decides every page (templates, veille's code, settings: ``inputs_fingerprint``
    without the database's change marker)."""
    return RenderedSite(view, env, salt, previous)


class RenderedSite:
    """The site's files (``SiteFile``), rendered as they are iterated (once)."""

    def __init__(self, view: SiteView, env: jinja2.Environment, salt: str, previous: PreviousSite | None) -> None:
        self._view, self._env, self._salt, self._previous = view, env, salt, previous
        self.pages: dict[str, str] = {}  # page path -> fingerprint of what it was rendered from
        self.rendered = 0  # pages rendered (the others were kept from the site on disk)

    def _kept(self, path: str, key: str) -> tuple[bytes, str] | None:
        self.pages[path] = key
        return self._previous.kept(path, key) if self._previous is not None else None

    def __iter__(self) -> Iterator[SiteFile]:
        view, env = self._view, self._env
        # what every template reads of the site (its language, title, strings, navigation), without its
        # pages: Jinja's contexts and macros refer to each other, so whatever they hold waits for the cyclic
        # collector
        common: dict[str, object] = {"site": replace(view, pages=(), search=()), "t": view.t, "d": view.d}
        common["row"] = _RowCache(env, common)
        fingerprint = _Fingerprints(view, self._salt)
        # the pages and search pieces of a week or year first, period by period, oldest first (a year's
        # archives of formats and sources, then its weeks, their themes and search pieces): a story's view
        # is then mostly still kept (``KEPT_STORIES``) when another page of its period lists it
        dated = sorted(
            [(page.period, 0, n, page) for n, page in enumerate(view.pages) if page.period]
            + [(piece.period, 1, n, piece) for n, piece in enumerate(view.search)],
            key=lambda row: row[:3],
        )
        try:
            for *_, item in dated:
                yield self._page(item, fingerprint, common) if isinstance(item, Page) else self._piece(item)
            for page in view.pages:
                if not page.period:
                    yield self._page(page, fingerprint, common)
            yield "atom.xml", render_template(env, "site/atom.xml", feed=view.atom, **common).encode("utf-8"), None
            parts = [piece.name for piece in view.search]
            yield SEARCH_INDEX, _script(f"window.{SEARCH_GLOBAL}", {"parts": parts}).encode("utf-8"), None
            for name in STATIC_FILES:
                yield name, _static(env, f"site/{name}").encode("utf-8"), None
        finally:
            common.clear()  # the row cache and the templates' globals refer to each other

    def _page(self, page: Page, fingerprint: _Fingerprints, common: dict[str, object]) -> SiteFile:
        kept = self._kept(page.path, fingerprint(page))
        if kept is not None:
            return page.path, *kept
        if isinstance(page.view, Deferred):  # computed only now that it has to be rendered
            page = replace(page, view=page.view.build())
        html = render_template(self._env, page.template, page=page, view=page.view, root=page.root, **common)
        path = page.path
        del page
        # Jinja's context and macros for the page refer to each other: the young objects' collection frees
        # them, and the story views they hold, now (the build pauses the automatic collector)
        gc.collect(0)
        self.rendered += 1
        return path, html.encode("utf-8"), None

    def _piece(self, piece: SearchPiece) -> SiteFile:
        """A piece of the search index; one whose stories did not change is kept, its entries never computed."""
        path = f"search/{piece.name}.js"
        kept = self._kept(path, _piece_fingerprint(self._salt, piece.name, piece.inputs))
        if kept is not None:
            return path, *kept
        return path, _piece_script(piece.name, piece.entries()).encode("utf-8"), None


@dataclass(frozen=True)
class PreviousSite:
    """The site on disk, as its manifest describes it: each file's SHA-256 and each page's fingerprint."""

    out_dir: Path
    hashes: Mapping[str, str]
    pages: Mapping[str, str]

    def kept(self, path: str, fingerprint: str) -> tuple[bytes, str] | None:
        """The page's file as written and its SHA-256, when it was rendered from the same fingerprint and
        is intact."""
        if self.pages.get(path) != fingerprint or path not in self.hashes:
            return None
        try:
            content = (self.out_dir / path).read_bytes()
        except OSError:
            return None
        if hashlib.sha256(content).hexdigest() != self.hashes[path]:
            return None
        return content, self.hashes[path]


def previous_site(out_dir: Path) -> PreviousSite | None:
    """What ``render_site`` may keep of the site in ``out_dir`` (None: no site of ours there)."""
    out_dir = out_dir.resolve()
    try:
        _recover(out_dir)
        content = _manifest(out_dir) if (out_dir / MANIFEST).is_file() else {}
    except OSError:
        return None
    files, pages = content.get("files"), content.get("pages")
    if not isinstance(files, dict) or not isinstance(pages, dict):
        return None
    return PreviousSite(out_dir, {str(k): str(v) for k, v in files.items()}, {str(k): str(v) for k, v in pages.items()})


class _Fingerprints:
    """A page's fingerprint: a SHA-256 of everything its template can read (the page and its view, the
    site's language, title, strings and navigation) and of ``salt``. Equal fingerprints, equal HTML.

    A story's view is walked once, however many pages list it (each story is on four pages), while it is
    among the ``KEPT_STORIES`` last walked (a story has one view: its key says which)."""

    def __init__(self, view: SiteView, salt: str) -> None:
        self.stories: Recent[str, bytes] = Recent(KEPT_STORIES)
        head = hashlib.sha256(salt.encode("utf-8", "surrogatepass"))
        for value in (view.language, view.title, view.t, view.d, view.watch_nav):
            head.update(self._bytes(value))
        self.head = head

    def __call__(self, page: Page) -> str:
        digest = self.head.copy()
        if page.inputs is not None:  # what its view is computed from, said by core.site: the view is not walked
            digest.update(repr((page.path, page.template, page.title, page.section, page.inputs)).encode())
            return digest.hexdigest()[:32]
        for value in (page.path, page.template, page.title, page.section, page.view):
            digest.update(self._bytes(value))
        return digest.hexdigest()[:32]

    def _bytes(self, value: object) -> bytes:
        return repr(self._plain(value)).encode("utf-8", "surrogatepass")

    def _plain(self, value: object) -> object:
        """``value`` as plain tuples, strings and numbers (its ``repr`` is then a few C calls), each story
        view replaced by the digest of its own, computed once."""
        kind: type = type(value)
        if kind in _SCALARS:
            return value
        if isinstance(value, StoryView):
            known = self.stories.get(value.key)
            if known is None:
                known = self.stories[value.key] = _story_digest(value)
            return known
        if isinstance(value, tuple | list):
            return tuple([self._plain(item) for item in value])
        names = _field_names(kind)
        if names is not None:
            return (kind.__qualname__, *[self._plain(getattr(value, name)) for name in names])
        if isinstance(value, Mapping):
            return tuple((repr(key), self._plain(item)) for key, item in value.items())
        return f"{kind.__qualname__}:{value!r}"


_SCALARS = frozenset({str, int, float, bool, NoneType})
# what ``_story_digest`` reads of a story view: a field added to one of them must be added there
STORY_FIELDS = {
    "StoryView": ("key", "href", "week", "title", "url", "summary", "lang", "date_label", "sources_label", "n_sources",
                  "copies", "formats", "themes", "primary_format", "in_digest", "audience", "audience_label"),
    "CopyView": ("source", "title", "url", "date_label"),
    "Link": ("label", "href"),
    "SearchEntry": ("title", "href", "summary", "week", "formats", "sources", "keywords", "audience"),
}  # fmt: skip


def _story_digest(v: StoryView) -> bytes:
    """A story view's digest, field by field (``STORY_FIELDS``): the views of a large site's 50,000 stories
    in a second, where walking them as dataclasses takes ten."""
    copies = tuple((c.source.label, c.source.href, c.title, c.url, c.date_label) for c in v.copies)
    formats = tuple((link.label, link.href) for link in v.formats)
    themes = tuple((link.label, link.href) for link in v.themes)
    plain = (v.key, v.href, v.week, v.title, v.url, v.summary, v.lang, v.date_label, v.sources_label, v.n_sources,
             copies, formats, themes, v.primary_format, v.in_digest, v.audience, v.audience_label)  # fmt: skip
    return hashlib.sha256(repr(plain).encode("utf-8", "surrogatepass")).digest()


@lru_cache(maxsize=128)
def _field_names(cls: type) -> tuple[str, ...] | None:
    """A dataclass's field names (None: not a dataclass)."""
    return tuple(item.name for item in fields(cls)) if is_dataclass(cls) else None


class _RowCache:
    """A story's one-line link (``site/story_row.html``), rendered once per story and folder depth.

    The same story is listed on its theme's, formats' and sources' pages: rendering its row once instead
    of four times is a third of the site's rendering time at 50,000 items. The last ``KEPT_STORIES`` rows
    rendered are kept.
    """

    def __init__(self, env: jinja2.Environment, common: Mapping[str, object]) -> None:
        self.template = _template(env, "site/story_row.html")
        self.common = common
        self.rows: Recent[tuple[str, str], Markup] = Recent(KEPT_STORIES)

    def __call__(self, story: StoryView, root: str) -> Markup:
        key = (story.key, root)
        row = self.rows.get(key)
        if row is None:
            try:
                html = self.template.render(story=story, root=root, **self.common)
            except jinja2.TemplateError as exc:
                raise RenderError(f"template site/story_row.html failed to render: {exc}") from exc
            row = self.rows[key] = Markup(html.strip())
        return row


def _template(env: jinja2.Environment, name: str) -> jinja2.Template:
    try:
        return env.get_template(name)
    except jinja2.TemplateNotFound as exc:
        raise RenderError(f"template {name} not found in the user templates or the shipped ones") from exc
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(f"template {exc.filename or name}:{exc.lineno}: {exc.message}") from exc


def _static(env: jinja2.Environment, name: str) -> str:
    """A file shipped as is (CSS, JS): read through the loader so a user's copy wins, never templated."""
    try:
        assert env.loader is not None
        source, _, _ = env.loader.get_source(env, name)
    except jinja2.TemplateNotFound as exc:
        raise RenderError(f"template {name} not found in the user templates or the shipped ones") from exc
    return source


def _piece_script(name: str, members: Iterable[SearchEntry]) -> str:
    """A piece of the search index, as a script (so search works from file://, no fetch()).

    ``search/index.js`` assigns ``window.VEILLE_SEARCH = {"parts": [...]}``: the names of the pieces,
    newest first, one per page that holds stories (a week, or a year of the archive). Each piece,
    ``search/<name>.js``, adds ``{"formats", "sources", "stories"}`` to ``window.VEILLE_SEARCH_PARTS``;
    formats and sources are written once per piece and referenced by number. Story layout:
    ``[title, href, summary, week, [format…], [source…], keywords(, audience)]``, newest first (the audience
    only when it is not ``general``).

    ``search.js`` loads the pieces newest first and stops once it has enough results, so the first
    search on a large site reads a few weeks, not the whole history; a new day rewrites only its week's
    piece (and the small index when the week is new).
    """
    formats: dict[str, int] = {}
    sources: dict[str, int] = {}
    rows = [
        [
            entry.title,
            entry.href,
            entry.summary,
            entry.week,
            [formats.setdefault(f, len(formats)) for f in entry.formats],
            [sources.setdefault(s, len(sources)) for s in entry.sources],
            " ".join(entry.keywords),
            *([entry.audience] if entry.audience != "general" else []),  # absent: for everyone
        ]
        for entry in members
    ]
    payload = {"formats": list(formats), "sources": list(sources), "stories": rows}
    target = f'(window.{SEARCH_GLOBAL}_PARTS = window.{SEARCH_GLOBAL}_PARTS || {{}})["{name}"]'
    return _script(target, payload)


def _piece_fingerprint(salt: str, name: str, inputs: str) -> str:
    """What a piece of the search index is written from: its stories (``core.site``'s ``inputs``)."""
    return hashlib.sha256(repr((salt, name, inputs)).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _script(target: str, payload: object) -> str:
    return f"{target} = {json.dumps(payload, ensure_ascii=False, separators=(',', ':'))};\n"


# --------------------------------------------------------------------------------------------------
# Writing


def inputs_fingerprint(parts: Iterable[object], folders: Iterable[Path]) -> str:
    """What a site is built from, in 32 hex digits: ``parts`` (the database's change marker, the week,
    the settings…) and the name, size and modification time of every file under ``folders`` (templates,
    veille's code): a few hundred ``stat`` calls, no file read."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(repr(part).encode("utf-8", "surrogatepass") + b"\x00")
    for folder in folders:
        digest.update(str(folder).encode("utf-8", "surrogatepass") + b"\x01")
        for path in sorted(folder.rglob("*")) if folder.is_dir() else ():
            if path.is_file() and "__pycache__" not in path.parts:
                stat = path.stat()
                digest.update(f"{path.relative_to(folder)}\x02{stat.st_size}\x02{stat.st_mtime_ns}\x00".encode())
    return digest.hexdigest()[:32]


def up_to_date(out_dir: Path, inputs: str) -> tuple[str, ...] | None:
    """The site's files when ``out_dir`` holds a complete site built from ``inputs``, else None."""
    out_dir = out_dir.resolve()
    try:
        _recover(out_dir)
        content = _manifest(out_dir)
        files = tuple(sorted(content.get("files", {}))) if content.get("inputs") == inputs else ()
        if not files or not all((out_dir / path).is_file() for path in files):
            return None
    except (OSError, SiteError):
        return None  # the full build says what is wrong
    return files


def write_site(
    files: Iterable[SiteFile],
    out_dir: Path,
    *,
    inputs: str | None = None,
    pages: Mapping[str, str] | None = None,
) -> WriteReport:
    """Make ``out_dir`` hold exactly ``files``, rewriting only what changed, swapped in atomically.

    The files are taken one at a time (``render_site`` renders them as they are asked for): each goes into
    the new folder at once, hard-linked from the current site when its content is the one it has, so
    neither the new site nor the old one is ever whole in memory. ``inputs`` (``inputs_fingerprint``) is
    recorded in the manifest for the next ``up_to_date``, and ``pages`` (each page's fingerprint, filled by
    ``render_site`` as it goes: read once every file was given) for the next ``previous_site``."""
    out_dir = out_dir.resolve()
    try:
        _recover(out_dir)
        old = _read_manifest(out_dir)
        staging = _Staging(out_dir)
        try:
            hashes: dict[str, str] = {}
            changed: list[str] = []
            for path, content, digest in files:
                if path in hashes:  # the staging folder would hard-link it to the live site's file
                    raise SiteError(f"two files of the site are both {path}: the site is left as it was")
                hashes[path] = digest = digest or hashlib.sha256(content).hexdigest()
                same = _same(out_dir, path, digest, len(content), old)
                staging.add(path, content, out_dir / path if same else None)
                if not same:
                    changed.append(path)
            removed = sorted(set(old) - set(hashes))
            unchanged = tuple(sorted(set(hashes) - set(changed)))
            if not changed and not removed and (out_dir / MANIFEST).is_file():
                staging.drop()
                current = _manifest(out_dir)
                if (inputs is not None and current.get("inputs") != inputs) or current.get("pages") != (pages or None):
                    _write_manifest(out_dir, hashes, inputs, pages)  # same files, new inputs: the manifest alone
                return WriteReport(written=(), unchanged=unchanged, removed=())
            staging.swap_in(_manifest_text(hashes, inputs, pages))
        except BaseException:
            staging.drop()
            raise
    except OSError as exc:
        raise SiteError(f"cannot write the site to {out_dir}: {exc.strerror or exc}") from exc
    return WriteReport(written=tuple(sorted(changed)), unchanged=unchanged, removed=tuple(removed))


def _same(out_dir: Path, path: str, digest: str, size: int, old: Mapping[str, str]) -> bool:
    if old.get(path) != digest:
        return False
    try:
        return (out_dir / path).stat().st_size == size
    except OSError:
        return False


def _read_manifest(out_dir: Path) -> dict[str, str]:
    manifest = out_dir / MANIFEST
    if not out_dir.exists():
        return {}
    if not out_dir.is_dir():
        raise SiteError(f"{out_dir} is a file, not a folder: choose another place for the site")
    if not manifest.is_file():
        if any(out_dir.iterdir()):
            raise SiteError(
                f"{out_dir} holds files that veille did not write (no {MANIFEST}): "
                "choose an empty or new folder for the site"
            )
        return {}
    files = _manifest(out_dir).get("files")
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}


def _manifest(out_dir: Path) -> dict[str, Any]:
    try:
        content = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # a damaged manifest only costs a full rewrite
    return content if isinstance(content, dict) else {}


def _manifest_text(hashes: Mapping[str, str], inputs: str | None, pages: Mapping[str, str] | None) -> str:
    manifest: dict[str, object] = {"version": 1, "files": dict(sorted(hashes.items()))}
    if inputs is not None:
        manifest["inputs"] = inputs
    if pages:
        manifest["pages"] = dict(sorted(pages.items()))
    return json.dumps(manifest, indent=0, sort_keys=True)


def _write_manifest(
    out_dir: Path, hashes: Mapping[str, str], inputs: str | None, pages: Mapping[str, str] | None
) -> None:
    """Replace the manifest alone, atomically (write beside it, then rename)."""
    fd, temporary = tempfile.mkstemp(prefix=".manifest-", dir=out_dir)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(_manifest_text(hashes, inputs, pages))
    os.chmod(temporary, 0o644)
    os.replace(temporary, out_dir / MANIFEST)


class _Staging:
    """The new site's folder, beside the target: filled file by file, then swapped in (or dropped)."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        # named after this process: another build running beside it leaves the folder alone (``_recover``)
        self.folder = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-{os.getpid()}-", dir=out_dir.parent))
        self.folders: set[Path] = set()

    def add(self, path: str, content: bytes, same: Path | None) -> None:
        """``same``: the current site's file, already holding ``content`` (hard-linked, not rewritten)."""
        target = self.folder / path
        if target.parent not in self.folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            self.folders.add(target.parent)
        if same is None or not _link(same, target):
            target.write_bytes(content)

    def swap_in(self, manifest: str) -> None:
        """Swap: the current folder is renamed away, the new one renamed in, the old one deleted."""
        (self.folder / MANIFEST).write_text(manifest, encoding="utf-8")
        os.chmod(self.folder, 0o755)  # mkdtemp makes it private; a site is meant to be read
        out_dir = self.out_dir
        if out_dir.exists():
            away = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
            away.rmdir()
            os.rename(out_dir, away)
            os.rename(self.folder, out_dir)
            shutil.rmtree(away, ignore_errors=True)
        else:
            os.rename(self.folder, out_dir)

    def drop(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _link(source: Path, target: Path) -> bool:
    """Keep an unchanged file as it is (hard link); copy when the file system cannot link."""
    try:
        os.link(source, target)
    except FileNotFoundError:
        return False
    except OSError:
        shutil.copy2(source, target)
    return True


def _recover(out_dir: Path) -> None:
    """Tidy what a killed build left beside the site: restore a site renamed away, drop staging folders."""
    parent = out_dir.parent
    if not parent.is_dir():
        return
    olds = sorted(parent.glob(f".{out_dir.name}.old-*"))
    if olds and not out_dir.exists():
        os.rename(olds.pop(), out_dir)
    staging = [p for p in parent.glob(f".{out_dir.name}.new-*") if not _building(p.name.split(".new-", 1)[1])]
    for leftover in [*olds, *staging]:
        shutil.rmtree(leftover, ignore_errors=True)


def _building(suffix: str) -> bool:
    """Whether the staging folder ``.<site>.new-<suffix>`` is another live process's build in progress (a
    site is filled file by file as it is rendered: minutes on a large one)."""
    pid = suffix.split("-", 1)[0]
    if not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # alive, another user's
    return True
