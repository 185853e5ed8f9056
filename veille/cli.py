"""The command line: a thin layer over ``veille.app`` and the jobs in ``veille.jobs``.

Exit codes: 0 ok, 1 error (a setup mistake included), 2 usage, 3 partial (some feeds failed, or the mail
server refused the digest, which stays queued: the next run retries), 130 interrupted by Ctrl-C (143 by
SIGTERM; the next run resumes). Every error is printed as one line on stderr: ``-v`` adds log lines, only
``--debug`` adds tracebacks. Human output follows ``digest.language`` once the configuration loads, else
English (``core.i18n.CLI_TEXT``).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import signal
import sys
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from veille import __version__
from veille.adapters import translations
from veille.core import i18n
from veille.errors import ConfigError, VeilleError
from veille.models import AUDIENCES

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3
EXIT_SIGNAL_BASE = 128  # killed by signal N: exit 128 + N (130 for Ctrl-C, 143 for SIGTERM), as shells report
F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("veille")


class Context:
    """What the group options set up for every command."""

    def __init__(self, config: Path, now: datetime | None, verbosity: int, debug: bool = False) -> None:
        self.config_path = config
        self.now = now
        self.verbosity = verbosity
        self.debug = debug
        self.language: str | None = None  # digest.language once the configuration has loaded

    def settings(self) -> Any:
        from veille.config import load

        settings = load(self.config_path)
        self.language = settings.digest.language
        return settings

    def text(self, key: str, **fields: object) -> str:
        """A CLI sentence in this run's language (see ``core.i18n.CLI_TEXT``)."""
        return i18n.cli_text(key, self.language, **fields)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        """The catalog's form of a CLI sentence for ``count`` in this run's language (French: 0 and 1 take
        the singular), its fields not filled in yet."""
        return i18n.cli(self.language).ngettext(singular, plural, count)

    def app(self) -> Any:
        from veille.app import make_app

        return make_app(self.settings(), now=self.now)


def parse_now(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not an ISO date-time such as 2026-11-30T06:00:00Z") from exc
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


class _LineFormatter(logging.Formatter):
    """The terminal's log lines: the message only, never a traceback (those are for ``--debug``)."""

    def format(self, record: logging.LogRecord) -> str:
        return record.getMessage()


def setup_logging(verbosity: int, debug: bool = False) -> None:
    level = {-1: logging.WARNING, 0: logging.INFO, 1: logging.DEBUG}[max(-1, min(1, verbosity))]
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s") if debug else _LineFormatter())
    root = logging.getLogger("veille")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if debug else level)
    root.propagate = False


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived during ``veille run``: unwinds like Ctrl-C, so the lock and the database
    are released on the way out, and the exit code says which signal it was."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


def _signal_name(exc: KeyboardInterrupt) -> tuple[str, int]:
    signum = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT
    return signal.Signals(signum).name, EXIT_SIGNAL_BASE + signum


def _current() -> Context | None:
    ctx = click.get_current_context(silent=True)
    return ctx.find_object(Context) if ctx is not None else None


def handle_errors(func: F) -> F:
    """Every failure becomes one line on stderr: a VeilleError exits 1, an interruption 130 (Ctrl-C) or 143
    (SIGTERM), anything else is an internal error (exit 1, "please report it"). ``--debug`` prints the
    traceback first; ``-v`` never does."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except VeilleError as exc:
            _traceback_if_debug()
            context = _current()
            click.echo(error_line(exc, context.language if context else None), err=True)
            sys.exit(EXIT_ERROR)
        except BrokenPipeError:
            _reader_gone()
        except KeyboardInterrupt as exc:
            _traceback_if_debug()
            name, code = _signal_name(exc)
            context = _current()
            language = context.language if context else None
            click.echo(i18n.cli_text("interrupted", language, signal=name), err=True)
            sys.exit(code)
        except Exception as exc:  # a bug: one line for the user, the traceback only when asked for
            _traceback_if_debug()
            context = _current()
            language = context.language if context else None
            click.echo(i18n.cli_text("internal_error", language, kind=type(exc).__name__, message=exc), err=True)
            sys.exit(EXIT_ERROR)

    return wrapper  # type: ignore[return-value]


def _reader_gone() -> NoReturn:
    """The program reading veille's output stopped (``veille feeds list | head -1``): nothing more is
    written and nothing is said; exit 1, as click does when its own output (``--help``) meets a closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # Python flushes stdout again at exit: let that go nowhere
    sys.exit(EXIT_ERROR)


def error_line(exc: VeilleError, language: str | None) -> str:
    """``veille: error: …`` in the configured language when the error has its wording in ``CLI_TEXT``,
    else in English (a whole line in one language)."""
    if exc.text_key is None:
        return i18n.cli_text("error", "en", message=exc)
    return i18n.cli_text("error", language, message=i18n.cli_text(exc.text_key, language, **exc.fields))


def _traceback_if_debug() -> None:
    context = _current()
    if context is not None and context.debug:
        traceback.print_exc(file=sys.stderr)


pass_context = click.make_pass_decorator(Context)


def _more_verbose(ctx: click.Context, _param: click.Parameter, count: int) -> None:
    """``-v`` after a command means the same as before it."""
    context = ctx.find_object(Context)
    if count and context is not None:
        context.verbosity = max(context.verbosity, 0) + count
        setup_logging(context.verbosity, context.debug)


def _verbose_option(func: F) -> F:
    return click.option(
        "-v",
        "--verbose",
        count=True,
        expose_value=False,
        callback=_more_verbose,
        help="More output (debug log lines, never tracebacks); the same as -v before the command.",
    )(func)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="veille")
@click.option(
    "--config",
    "-c",
    type=click.Path(dir_okay=False, path_type=Path),
    default=lambda: os.environ.get("VEILLE_CONFIG", "feeds.yaml"),
    show_default="$VEILLE_CONFIG or ./feeds.yaml",
    help="The configuration file (feeds and settings).",
)
@click.option(
    "--now",
    callback=parse_now,
    metavar="ISO-DATETIME",
    help="Fix the clock (e.g. 2026-11-30T06:00:00Z) for reproducible runs and backfills.",
)
@click.option("-v", "--verbose", "verbose", count=True, help="More output (debug log lines, never tracebacks).")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors.")
@click.option("--debug", is_flag=True, help="Debug logging, and the traceback of any error (for bug reports).")
@click.pass_context
def cli(ctx: click.Context, config: Path, now: datetime | None, verbose: int, quiet: bool, debug: bool) -> None:
    """veille — an innovation watch for digital-learning managers.

    Fetches the edtech feeds of feeds.yaml, groups stories, tags learning formats, follows themes and
    trends, emails a weekly digest and writes a static site.
    """
    verbosity = -1 if quiet else verbose
    setup_logging(verbosity, debug)
    ctx.obj = Context(config, now, verbosity, debug)


# ------------------------------------------------------------------------------------------ set-up


@cli.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--full", is_flag=True, help="Write the fully commented reference: every setting, a longer watch list.")
@handle_errors
def init(directory: Path, full: bool) -> None:
    """Write a starter feeds.yaml in DIRECTORY (default: here); never overwrites one."""
    from veille.config import init_config

    target = init_config(directory, full=full)
    # no configuration before this one: the command line speaks English until the file sets a language
    click.echo(i18n.cli_text("init_wrote", None, path=target))
    click.echo(i18n.cli_text("init_next", None, path=target))


# ---------------------------------------------------------------------------------------- fetching


def _fetch_with_progress(app: Any, *, only_due: bool) -> Any:
    from veille.jobs import fetch as fetch_job

    if not sys.stderr.isatty():
        return fetch_job.fetch(app, only_due=only_due)
    from rich.console import Console
    from rich.progress import Progress

    # on stderr, where the check above looked: stdout stays the command's result (and may be a pipe)
    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("fetching", total=len(app.settings.feeds))
        return fetch_job.fetch(app, only_due=only_due, on_outcome=lambda _o: progress.advance(task))


@cli.command()
@click.option("--all", "fetch_all", is_flag=True, help="Fetch every feed, due or not.")
@_verbose_option
@pass_context
@handle_errors
def fetch(context: Context, fetch_all: bool) -> None:
    """Fetch all due feeds and store new items. Exit 3 when some feeds failed."""
    from veille.jobs.articles import fetch_articles

    app = context.app()
    try:
        report = _fetch_with_progress(app, only_due=not fetch_all)
        # the article pages of full_text feeds, once every feed is stored: a page that fails never fails
        # the fetch (nor its feed)
        articles = fetch_articles(app)
    finally:
        app.close()
    failed = report.failed
    # "polled", not "read": a feed that failed was asked but not read
    new = context.ngettext("{count} new item", "{count} new items", report.new_items)
    tried = len(report.outcomes)
    click.echo(
        context.ngettext(
            "{count} feed polled: {new}, {failed} failed", "{count} feeds polled: {new}, {failed} failed", tried
        ).format(count=tried, new=new.format(count=report.new_items), failed=len(failed)),
        err=context.verbosity < 0,
    )
    if articles.attempted or articles.cached:
        pages = articles.fetched + articles.not_modified
        click.echo(
            context.ngettext(
                "full text: {count} article page read, {failed} without text, {cached} from the cache",
                "full text: {count} article pages read, {failed} without text, {cached} from the cache",
                pages,
            ).format(count=pages, failed=articles.failed, cached=articles.cached),
            err=context.verbosity < 0,
        )
    sys.exit(report.exit_code)


@cli.group()
def feeds() -> None:
    """List, add, remove and check the feeds of feeds.yaml."""


@feeds.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per feed.")
@pass_context
@handle_errors
def feeds_list(context: Context, as_json: bool) -> None:
    """The configured feeds with their health."""
    app = context.app()
    try:
        app.feeds.sync_feeds(app.settings.feeds, app.now)
        rows = _with_full_text(app, app.feeds.health())
    finally:
        app.close()
    _add_types(rows, app.settings.feeds)
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    for row in rows:
        click.echo(_health_line(row, context.language))


def _add_types(rows: list[dict[str, Any]], feeds: Any) -> None:
    """Each health row gets its source's ``type``: feed, or html (a page read with CSS selectors)."""
    types = {feed.url: feed.type for feed in feeds}
    for row in rows:
        row["type"] = types.get(str(row["config_url"]), "feed")


def _with_full_text(app: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The health rows, with each full-text feed's article counts (``full_text_ok``, ``full_text_failed``,
    ``full_text_retrying`` of them to try again later, ``full_text_last_error``); the other feeds' rows are
    as they were."""
    from veille.core.fulltext import ArticleCounts
    from veille.jobs.articles import full_text_feed_ids

    wanted = set(full_text_feed_ids(app))
    if not wanted:
        return rows
    counts = app.store.articles.feed_counts()
    out = []
    for row in rows:
        if row["id"] in wanted:
            found = counts.get(row["id"], ArticleCounts())
            row = {
                **row,
                "full_text_ok": found.ok,
                "full_text_failed": found.failed,
                "full_text_retrying": found.retrying,
                "full_text_last_error": found.last_reason,
            }
        out.append(row)
    return out


def _health_line(row: dict[str, Any], language: str | None) -> str:
    name = row["name"] or row["title"] or ""
    if row["status"] == "gone":
        state = i18n.cli_text("health_gone", language)
    elif row["consecutive_failures"]:
        state = i18n.cli_text("health_failing", language, count=row["consecutive_failures"], error=row["last_error"])
    elif row["last_success_at"]:
        state = i18n.cli_text("health_ok", language, when=row["last_success_at"])
    else:
        state = i18n.cli_text("health_never", language)
    if row.get("stale"):
        state += i18n.cli_text("health_stale", language)
    if "full_text_ok" in row:
        state += i18n.cli_text("health_full_text", language, ok=row["full_text_ok"], failed=row["full_text_failed"])
        if row["full_text_retrying"]:
            state += i18n.cli_text("health_full_text_retrying", language, count=row["full_text_retrying"])
        if row["full_text_last_error"]:
            state += i18n.cli_text("health_full_text_last", language, reason=row["full_text_last_error"])
    moved = i18n.cli_text("health_moved", language, url=row["moved_from"]) if row["moved_from"] else ""
    kind = " [html]" if row.get("type") == "html" else ""
    return f"{row['url']}{kind}{moved}  {name}  — {state}"


@feeds.command("add")
@click.argument("url")
@click.option("--name", help="A display name.")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable), e.g. corporate, higher-ed, school.")
@click.option("--lang", help="The feed's language (fr, en…), when known.")
@click.option("--choose", is_flag=True, help="When the site offers several feeds, list them and ask which one.")
@click.option("--as-is", "as_is", is_flag=True, help="Add URL exactly as given, without looking it up.")
@pass_context
@handle_errors
def feeds_add(
    context: Context, url: str, name: str | None, tags: tuple[str, ...], lang: str | None, choose: bool, as_is: bool
) -> None:
    """Add a feed to feeds.yaml (comments kept). URL may be the feed or a website's page: veille finds the
    site's feed (the page's feed links, else the usual paths such as /feed or /rss.xml) and says which.
    Exit 1 when it is already listed, or when the site offers no feed."""
    from veille.config import add_feeds_to_yaml, feed_url_key, load
    from veille.core.identity import is_feed_url
    from veille.errors import FeedError
    from veille.models import FeedConfig

    if not is_feed_url(url):  # before any lookup: "not reachable, added as given" then a refusal would contradict
        raise FeedError(url, "not an http(s) address: give a feed's or a website's (https://…)")
    settings = context.settings()
    listed = {feed_url_key(feed.url) for feed in settings.feeds}
    if not as_is and feed_url_key(url) not in listed:  # a listed URL is refused below, without a lookup
        url = _feed_of(context, url, choose=choose)
    text = _read_config_text(context.config_path)
    new_text = add_feeds_to_yaml(
        text, [FeedConfig(url=url, name=name, tags=tags, lang=lang)], path=context.config_path, skip_existing=False
    )
    _write_validated(context.config_path, new_text, load)
    click.echo(context.text("feed_added", url=url, path=context.config_path))


def _feed_of(context: Context, url: str, *, choose: bool, hint: bool = True) -> str:
    """The feed URL stands for (see ``veille.jobs.discover``), said on the terminal when it is not URL;
    ``hint``: say that --choose lists the other feeds of the page."""
    from veille.errors import FeedError, FetchError
    from veille.jobs.discover import discover

    try:
        found = discover(context.app(), url)
    except FetchError as exc:  # offline, or the site is down: the address is kept as given
        click.echo(context.text("discover_unreachable", url=url, reason=exc.reason), err=True)
        return url
    best = found.best
    if best is None:
        raise FeedError(
            url,
            "no feed found: the page declares none, and none of the usual paths (/feed, /rss.xml…) answers with one",
        )
    if found.direct:
        return url
    feed = best
    if choose and len(found.feeds) > 1:
        for number, candidate in enumerate(found.feeds, 1):
            click.echo(
                f"  {number}. {candidate.url}  ({candidate.kind}{', ' + candidate.title if candidate.title else ''})"
            )
        picked = click.prompt(context.text("discover_which"), type=click.IntRange(1, len(found.feeds)), default=1)
        feed = found.feeds[picked - 1]
    key = "discover_guessed" if found.guessed else "discover_found"
    click.echo(context.text(key, url=url, feed=feed.url, kind=feed.kind, title=feed.title or "-"))
    others = len(found.feeds) - 1
    if others and hint and not choose:
        click.echo(
            context.ngettext(
                "the page offers {count} other feed (comments…): --choose lists it",
                "the page offers {count} other feeds (comments…): --choose lists them",
                others,
            ).format(count=others)
        )
    return feed.url


@feeds.command("remove")
@click.argument("url")
@pass_context
@handle_errors
def feeds_remove(context: Context, url: str) -> None:
    """Remove URL from feeds.yaml (its stored items are kept)."""
    from veille.config import load, remove_feed_from_yaml

    text = _read_config_text(context.config_path)
    _write_validated(context.config_path, remove_feed_from_yaml(text, url), load)
    context.settings()  # the edited file loads (it was validated): its language speaks
    click.echo(context.text("feed_removed", url=url, path=context.config_path))


@feeds.command("check")
@_verbose_option
@pass_context
@handle_errors
def feeds_check(context: Context) -> None:
    """Fetch each feed once, now, and report its health. Exit 3 when some failed."""
    app = context.app()
    try:
        report = _fetch_with_progress(app, only_due=False)
        rows = app.feeds.health()
    finally:
        app.close()
    _add_types(rows, app.settings.feeds)
    for row in rows:
        click.echo(_health_line(row, context.language))
    checked = len(report.outcomes)
    click.echo(
        context.ngettext("{count} checked, {failing} failing", "{count} checked, {failing} failing", checked).format(
            count=checked, failing=len(report.failed)
        )
    )
    sys.exit(report.exit_code)


def _read_config_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path=str(path)) from exc


def _write_validated(path: Path, text: str, load: Callable[[Path], Any]) -> None:
    """Write feeds.yaml through a temporary file that must load first: a bad edit never lands."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    try:
        load(tmp)
    except ConfigError:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


@cli.group()
def opml() -> None:
    """Import feeds from an OPML subscription list, or export them."""


@opml.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_context
@handle_errors
def opml_import(context: Context, file: Path) -> None:
    """Add the feeds of an OPML FILE to feeds.yaml (already listed feeds are skipped)."""
    from veille.adapters.opml import read_opml, read_opml_websites
    from veille.config import add_feeds_to_yaml, load
    from veille.errors import FeedError

    settings = context.settings()
    known = {feed.url for feed in settings.feeds}
    found = read_opml(file)
    for site in read_opml_websites(file):  # outlines giving only a website: look their feed up
        try:
            url = _feed_of(context, site.url, choose=False, hint=False)
        except FeedError as exc:
            click.echo(error_line(exc, context.language), err=True)
            continue
        found.append(dataclasses.replace(site, url=url))
    new = list({feed.url: feed for feed in found if feed.url not in known}.values())
    if new:
        text = _read_config_text(context.config_path)
        _write_validated(context.config_path, add_feeds_to_yaml(text, new), load)
    added = context.ngettext("{count} added to {path}", "{count} added to {path}", len(new))
    click.echo(
        context.ngettext("{count} feed in {file}, {added}", "{count} feeds in {file}, {added}", len(found)).format(
            count=len(found), file=file, added=added.format(count=len(new), path=context.config_path)
        )
    )


@opml.command("export")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@pass_context
@handle_errors
def opml_export(context: Context, file: Path | None) -> None:
    """Write the feeds as OPML to FILE (default: standard output)."""
    from veille.adapters.opml import write_opml

    settings = context.settings()
    feeds = [feed for feed in settings.feeds if feed.type == "feed"]  # a page read with selectors is no feed
    body = write_opml(feeds, "veille subscriptions")
    if file is None:
        sys.stdout.buffer.write(body)
    else:
        file.write_bytes(body)
        click.echo(
            context.ngettext("wrote {count} feed to {file}", "wrote {count} feeds to {file}", len(feeds)).format(
                count=len(feeds), file=file
            )
        )


# ------------------------------------------------------------------------------------- understanding


@cli.command()
@_verbose_option
@pass_context
@handle_errors
def process(context: Context) -> None:
    """Embed new items, group stories, tag learning formats, cluster themes and score trends."""
    app = context.app()
    try:
        report = _process_with_progress(app, context)
    finally:
        app.close()
    click.echo(report.summary(context.language), err=context.verbosity < 0)


def _process_with_progress(app: Any, context: Context) -> Any:
    """``process``, with a progress bar while embedding (the long step) when stderr is a terminal."""
    from veille.jobs.process import process as run_process

    if not sys.stderr.isatty() or context.verbosity < 0:
        return run_process(app)
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(context.text("embedding"), total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        return run_process(app, on_progress=advance)


@cli.command()
@click.option(
    "--week",
    metavar="YYYY-Www",
    help="The ISO week, e.g. 2026-W48 (default: the last complete week before --now, as for digest).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per theme.")
@pass_context
@handle_errors
def themes(context: Context, week: str | None, as_json: bool) -> None:
    """The week's themes with their title, trend status, keywords and story counts (default: the last
    complete week, the one the digest covers)."""
    from veille.core import titles
    from veille.core.site_i18n import site_strings
    from veille.core.trends import TrendStatus, explain
    from veille.jobs.digest import pending

    app = context.app()
    try:
        target = _resolve_week(week, app.now)
        rows = app.store.themes.week_themes(target)
        empty = ""
        if not rows:  # why: not processed yet, no story that week, or too few stories to make a theme
            loose, stale, has_stories = pending(app.store, target, app.now)
            not_yet = bool(loose) or target in stale
            empty = "themes_none" if not_yet else "themes_too_few" if has_stories else "themes_no_story"
    finally:
        app.close()
    lang = i18n.language(app.settings.digest.language).code  # the digest's language, as the digest
    named = set()
    for row in rows:  # the title in the digest's language; keywords stand in for weeks made before titles
        title = titles.in_language(row.pop("titles"), lang)
        if title:
            named.add(row["theme"])
        row["title"] = title or ", ".join(row["keywords"][:4]) or row["label"]
    if as_json:
        click.echo(json.dumps({"week": target, "themes": rows}, ensure_ascii=False))
        return
    lang = i18n.cli_language(context.language)
    text = context.text
    if not rows:
        click.echo(text(empty, week=target))
        return
    statuses = dict(site_strings(lang).status_labels)
    click.echo(f"{target}{text('colon').rstrip()} {i18n.plural(len(rows), text('theme'), text('themes'), lang)}")
    for row in rows:
        weak = text("weak_signal") if row["weak_signal"] else ""
        reason = explain(TrendStatus(row["status"], row["weak_signal"], row["reason"]), lang)
        stories = i18n.plural(row["stories"], text("story"), text("stories"), lang)
        sources = i18n.plural(row["sources"], text("source"), text("sources"), lang)
        words = ", ".join(row["keywords"][:5])
        label = (
            (f"{row['title']} — {words}" if words else row["title"]) if row["theme"] in named else words or row["label"]
        )
        click.echo(f"  [{statuses.get(row['status'], row['status'])}{weak}] {label}")
        # the reason states the week's volume, except when fading (an average over the last weeks)
        click.echo(f"      {stories}, {sources} — {reason}" if row["status"] == "fading" else f"      {reason}")


@cli.command("formats")
@click.option(
    "--week",
    metavar="YYYY-Www",
    help="The ISO week, e.g. 2026-W48 (default: the last complete week: a week in progress looks like a fall).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object: the week and every format.")
@pass_context
@handle_errors
def formats_command(context: Context, week: str | None, as_json: bool) -> None:
    """The format radar: each learning format's stories and share of the week, 12 weeks of history and
    its status (rising, steady, fading), scored as themes are."""
    from veille.adapters.radar_store import load_radar
    from veille.adapters.taxonomy import format_names
    from veille.core import i18n
    from veille.core.digest import format_label
    from veille.core.radar import MIN_WATCH_WEEKS, build_radar, explain_format, radar_json, radar_span
    from veille.core.site_i18n import site_strings
    from veille.core.weeks import week_bounds

    app = context.app()
    try:
        target = _resolve_week(week, app.now)
        lang = i18n.language(app.settings.digest.language).code
        taxonomy = format_names(app.settings.formats_file, lang)
        records = load_radar(app.store, *radar_span(target))
    finally:
        app.close()
    radar = build_radar(records.stories, target, formats=list(taxonomy), first_week=records.first_week)
    names = {track.format: format_label(track.format, lang, taxonomy) for track in radar.formats}
    complete = app.now >= week_bounds(target)[1]
    if as_json:
        click.echo(json.dumps({**radar_json(radar, names), "complete": complete}, ensure_ascii=False))
        return
    statuses = dict(site_strings(lang).status_labels)
    total = i18n.plural(radar.total, context.text("story"), context.text("stories"), lang)
    head = f"{target}{context.text('colon')}{total}"
    if not complete:
        head += context.text("week_in_progress")
    click.echo(head)
    if radar.watch_weeks < MIN_WATCH_WEEKS:  # every status is "steady" until the watch has a baseline
        click.echo(f"  {explain_format(radar.formats[0].status, lang)}")
    width = max(len(name) for name in names.values())
    for track in radar.formats:
        spark = "".join("▁▂▃▄▅▆▇█"[min(7, round(7 * n / max(max(track.history), 1)))] for n in track.history)
        share = i18n.percent(round(100 * track.current.share), lang, space=" ")
        label = statuses.get(track.status.status, track.status.status)
        click.echo(f"  {names[track.format]:<{width}}  {spark}  {track.current.stories:>4}  {share:>5}  [{label}]")
        if track.status.status != "steady":
            click.echo(f"      {explain_format(track.status, lang)}")


def _named_key(value: str, names: dict[str, dict[str, str]], what: str, option: str) -> str:
    """The key ``value`` stands for: a key or a name in any language (``names``: language -> key -> name,
    the reader's language first), case ignored; else the one-line error listing keys and names."""
    wanted = value.strip().casefold()
    for by_key in names.values():
        for key, name in by_key.items():
            if wanted in (key.casefold(), name.casefold()):
                return key
    shown = next(iter(names.values()))
    choices = ", ".join(f"{key} ({name})" if name.casefold() != key.casefold() else key for key, name in shown.items())
    raise click.BadParameter(f"{value!r} is not {what}; one of: {choices}", param_hint=option)


def _since_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date such as 2026-11-01 (or 2026-11-01T06:00:00Z)") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


@cli.command("search")
@click.argument("query")
@click.option("--since", callback=_since_date, metavar="DATE", help="Only items published from DATE on (2026-11-01).")
@click.option(
    "--format", "fmt", metavar="F", help="Only items of this learning format (its key or name, e.g. podcast, MOOC)."
)
@click.option(
    "--audience",
    metavar="A",
    help=f"Only items for this audience (and the general ones): its key or name ({', '.join(AUDIENCES)}).",
)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500), help="How many stories.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: the query and its ranked results.")
@pass_context
@handle_errors
def search_command(
    context: Context,
    query: str,
    since: datetime | None,
    fmt: str | None,
    audience: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Search everything stored: words, "phrases", OR, NOT or -word, prefix*, accents and case ignored.
    Ranked results, one per story, with the story's sources, formats and themes."""
    from veille.adapters.taxonomy import format_names
    from veille.core.query import describe, parse
    from veille.errors import QueryError

    try:
        node = parse(query)
    except QueryError as exc:
        raise click.UsageError(f"query {query!r}: {exc}") from None
    settings = context.settings()
    lang = "en" if settings.digest.language == "en" else "fr"
    names = format_names(settings.formats_file, lang)
    if fmt is not None:
        named = {code: format_names(settings.formats_file, code) for code in (lang, "en", "fr")}
        fmt = _named_key(fmt, named, "a format", "--format")
    if audience is not None:
        from veille.adapters.audiences import load_audiences

        people = load_audiences()
        spoken = {code: {key: people.get(key).label(code) for key in AUDIENCES} for code in (lang, "en", "fr")}
        audience = _named_key(audience, spoken, "an audience", "--audience")
    app = context.app()
    try:
        try:
            hits = app.store.search.search(node, since=since, fmt=fmt, audience=audience, limit=limit, lang=lang)
        except QueryError as exc:
            raise click.UsageError(str(exc)) from None
    finally:
        app.close()
    if as_json:
        results = [
            {
                "item_id": hit.item_id,
                "title": hit.title,
                "url": hit.url,
                "published_at": hit.published_at.isoformat(),
                "lang": hit.lang,
                "score": round(hit.score, 4),
                "story": {"id": hit.story_id, "title": hit.story_title, "items": hit.story_items},
                "sources": list(hit.sources),
                "formats": list(hit.formats),
                "themes": list(hit.themes),
                "summary": hit.summary,
            }
            for hit in hits
        ]
        click.echo(json.dumps({"query": query, "parsed": describe(node), "results": results}, ensure_ascii=False))
        return
    _print_hits(context, query, hits, names)


def _print_hits(context: Context, query: str, hits: list[Any], format_labels: dict[str, str]) -> None:
    """The hits as a table (rich): date, title and link, story, sources, formats, themes."""
    from rich.console import Console
    from rich.table import Table

    text = context.text
    lang = i18n.cli_language(context.language)
    if not hits:
        click.echo(text("search_none", query=query))
        return
    click.echo(text("search_head", query=query, count=i18n.plural(len(hits), text("result"), text("results"), lang)))
    table = Table(show_lines=True)
    for column in ("search_date", "search_title", "search_sources", "search_formats", "search_themes"):
        table.add_column(text(column))
    for hit in hits:
        title = hit.title + (f"\n{hit.url}" if hit.url else "")
        if hit.story_items > 1:
            title += "\n" + text("search_story", count=hit.story_items)
        table.add_row(
            hit.published_at.date().isoformat(),
            title,
            ", ".join(hit.sources),
            ", ".join(format_labels.get(f, f) for f in hit.formats),
            ", ".join(hit.themes),
        )
    console = Console(file=sys.stdout, width=None if sys.stdout.isatty() else 200, soft_wrap=False)
    console.print(table)


@cli.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--level",
    type=click.Choice(["story", "theme"]),
    default="story",
    show_default=True,
    help="story: group items telling the same news; theme: cluster them into themes.",
)
@click.option(
    "--assignments",
    type=click.Path(dir_okay=False, path_type=Path),
    help='Also write one JSON line per input: {"index": i, "cluster": id} (-1: unclustered).',
)
@click.option("--formats", "with_formats", is_flag=True, help="Also tag learning formats and score the tagger.")
@_verbose_option
@pass_context
@handle_errors
def eval_command(context: Context, file: Path, level: str, assignments: Path | None, with_formats: bool) -> None:
    """Measure veille's grouping (and tagging) against labelled texts: JSON lines {"text", "label"},
    label<TAB>text, or index_id<TAB>category<TAB>text with a header. Prints one JSON object."""
    from veille.jobs.evaluate import evaluate, write_assignments

    app = _eval_app(context)
    try:
        result = evaluate(app, file, level=level, with_formats=with_formats)
    finally:
        app.close()
    if assignments is not None:
        write_assignments(assignments, result)
    click.echo(json.dumps(result.scores, ensure_ascii=False))


def _eval_app(context: Context) -> Any:
    """The configured app when there is a feeds.yaml (its model and taxonomy), else the defaults."""
    from veille.app import make_app
    from veille.config import loads

    if context.config_path.exists():
        return context.app()
    return make_app(loads("feeds: []\n", context.config_path.parent / "feeds.yaml"), now=context.now)


# ---------------------------------------------------------------------------------------------- site


@cli.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Where to write the site.")
@_verbose_option
@pass_context
@handle_errors
def site(context: Context, out: Path | None) -> None:
    """Build or update the static site; prints the path of its index.html."""
    from veille.jobs.site import build_site

    app = context.app()
    try:
        result = build_site(app, out_dir=out)
    finally:
        app.close()
    click.echo(str(result.index_path))


# -------------------------------------------------------------------------------------------- digest


def _week_option(func: F) -> F:
    return click.option(
        "--week",
        metavar="YYYY-Www",
        help="The ISO week, e.g. 2026-W48 (default: the last complete week before --now).",
    )(func)


def _resolve_week(week: str | None, now: datetime) -> str:
    from veille.core.weeks import last_complete_week, week_bounds

    if week is None:
        return last_complete_week(now)
    try:
        week_bounds(week)
    except ValueError as exc:
        raise click.BadParameter(f"{week!r} is not an ISO week such as 2026-W48", param_hint="--week") from exc
    return week


@cli.command()
@_week_option
@click.option("--send", is_flag=True, help="Record the digest (once) and email it (each recipient gets it once).")
@click.option("--dry-run", is_flag=True, help="Write the message as --send would send it; record and send nothing.")
@click.option(
    "--rebuild", is_flag=True, help="Build a recorded digest again from the week as it is now (only if never sent)."
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the files here (a preview's default: the data folder's previews/; with --send or --rebuild, a copy).",
)
@_verbose_option
@pass_context
@handle_errors
def digest(context: Context, week: str | None, send: bool, dry_run: bool, rebuild: bool, out: Path | None) -> None:
    """Preview, record and send the weekly digest of a week that has ended.

    Without --send it only writes a preview (html, text, eml) and records nothing: a digest is recorded,
    claiming its stories for good, when it is built for sending (--send, or the daily job when due).
    --rebuild builds a recorded digest nobody received again. A week whose items `veille process` has not
    handled yet is refused. Exit 3 when the digest stays queued."""
    from veille.core.weeks import week_bounds
    from veille.errors import MailError, setup_problem
    from veille.jobs.digest import check_mail, preview_digest, rebuild_digest, send_digest

    if dry_run and (send or rebuild):
        other = "--send" if send else "--rebuild"
        raise click.UsageError(f"{other} and --dry-run exclude each other: --dry-run records and sends nothing")
    app = context.app()
    try:
        target = _resolve_week(week, app.now)
        end = week_bounds(target)[1]
        if app.now < end:
            # a digest is built once and kept: one built now would stand for the whole week
            ended = context.text(
                "digest_not_ended", week=target, end=f"{end:%Y-%m-%d %H:%M}", now=f"{app.now:%Y-%m-%d %H:%M}"
            )
            click.echo(context.text("error", message=ended), err=True)
            sys.exit(EXIT_ERROR)
        if send:
            check_mail(app)  # before anything is recorded
        if rebuild:
            rebuilt = rebuild_digest(app, target)
            _echo_digest(context, rebuilt)
            if not send:
                if out is not None:
                    preview_digest(app, target, out_dir=out)
                click.echo(context.text("digest_rebuilt_unsent", week=target))
                return
            click.echo(context.text("digest_rebuilt", week=target))
        elif not send:
            report = send_digest(app, target, dry_run=True, out_dir=out)
            assert report.digest is not None  # a dry run always returns its preview
            _echo_digest(context, report.digest)
            click.echo(_preview_line(context, report, dry_run=dry_run))
            for name, path, count in report.list_previews:
                click.echo(
                    context.ngettext(
                        "list {name}: its digest written to {path} (and .html, .txt); --send would send it to "
                        "{count} recipient",
                        "list {name}: its digest written to {path} (and .html, .txt); --send would send it to "
                        "{count} recipients",
                        count,
                    ).format(name=name, path=path, count=count)
                )
            return
        try:
            report = send_digest(app, target, dry_run=False, out_dir=out)
        except MailError as exc:
            click.echo(f"veille: {exc}", err=True)
            # a setup mistake (an unset password variable…) is an error: retrying cannot help
            sys.exit(EXIT_ERROR if setup_problem(exc) else EXIT_PARTIAL)
    finally:
        app.close()
    if report.digest is not None and not rebuild:
        _echo_digest(context, report.digest)
    now_recorded = rebuild or (report.digest is not None and report.digest.built)
    recorded = context.text("digest_recorded_now" if now_recorded else "digest_recorded_before")
    click.echo(
        context.text(
            "digest_sent", week=report.week, recorded=recorded, sent=len(report.sent), already=len(report.already_sent)
        )
    )
    for mail_list in app.settings.mail.lists:
        sent = sum(1 for name, _ in report.list_sent if name == mail_list.name)
        already = sum(1 for name, _ in report.list_already_sent if name == mail_list.name)
        click.echo(context.text("digest_list_sent", name=mail_list.name, sent=sent, already=already))


def _echo_digest(context: Context, result: Any) -> None:
    click.echo(
        context.ngettext(
            "{subject}: {count} story in the digest", "{subject}: {count} stories in the digest", result.stories
        ).format(subject=result.subject, count=result.stories)
    )
    # the file kinds read the same in every language: scripts read these lines
    click.echo(f"html: {result.html_path}\ntext: {result.text_path}\neml:  {result.eml_path}")


def _preview_line(context: Context, report: Any, *, dry_run: bool) -> str:
    """What a preview did not do, where the week's digest stands, and what --send would do."""
    if report.digest.recorded:
        state = context.text("digest_state_recorded", week=report.week, sent=len(report.already_sent))
    else:
        state = context.text("digest_state_unrecorded", week=report.week)
    if dry_run:
        count = len(report.queued)
        return context.ngettext(
            "dry run, nothing recorded or sent: {state}; --send would send it to {count} recipient",
            "dry run, nothing recorded or sent: {state}; --send would send it to {count} recipients",
            count,
        ).format(state=state, count=count)
    return context.text("digest_preview", state=state) + (
        "" if report.digest.recorded else context.text("digest_preview_hint")
    )


# ------------------------------------------------------------------------------------------- stats


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@pass_context
@handle_errors
def stats(context: Context, as_json: bool) -> None:
    """Counts: feeds, failing feeds, items, stories, and what later stages added."""
    from veille.jobs.stats import collect

    app = context.app()
    try:
        numbers = collect(app)
    finally:
        app.close()
    if as_json:
        click.echo(json.dumps(numbers, ensure_ascii=False, sort_keys=True))
        return
    # formats and audiences by their names in the reader's language; --json keeps the keys, for scripts
    from veille.adapters.audiences import load_audiences
    from veille.adapters.taxonomy import format_names

    lang = i18n.cli_language(context.language)
    people = load_audiences()
    shown = {
        "formats": format_names(app.settings.formats_file, lang),
        "audiences": {key: people.get(key).label(lang) for key in AUDIENCES},
    }
    for key, value in numbers.items():
        if isinstance(value, dict):
            names = shown.get(key, {})
            value = ", ".join(f"{names.get(k, k)} {v}" for k, v in value.items()) or context.text("none")
        label = context.text(f"stats_{key}") if f"stats_{key}" in i18n.CLI_TEXT else key.replace("_", " ")
        click.echo(f"{label}{context.text('colon')}{value}")


# ------------------------------------------------------------------------------------- database


@cli.group()
def db() -> None:
    """The database: move a watch to PostgreSQL."""


@db.command("migrate-to")
@click.argument("url")
@click.option(
    "--password-env",
    metavar="NAME",
    help="The environment variable holding the target's password (default: storage.password_env).",
)
@pass_context
@handle_errors
def db_migrate_to(context: Context, url: str, password_env: str | None) -> None:
    """Copy this watch (its configured database) into the empty PostgreSQL database URL, checking the
    rows of every table; then set storage.url in feeds.yaml to use it."""
    import os

    from veille.adapters.storage.copy import copy_watch
    from veille.adapters.storage.postgres import PostgresStore
    from veille.config import check_storage_url

    settings = context.settings()
    target_url = check_storage_url(url)
    name = password_env or settings.storage.password_env
    password = os.environ.get(name) or None if name else None
    app = context.app()
    try:
        source = app.store
        with PostgresStore.open(target_url, password=password, timeout=settings.storage.timeout) as target:
            copied = copy_watch(source, target)
            where = target.location
    finally:
        app.close()
    for table, rows in copied.items():
        click.echo(f"{table}: {rows}")
    click.echo(
        f"copied {sum(copied.values())} rows into {where}, every table checked; "
        f"set storage.url: {where} in feeds.yaml to use it"
    )


# ------------------------------------------------------------------------------- running every day

LOG_MAX_BYTES, LOG_BACKUPS = 1_000_000, 5


def _attach_log_file(data_dir: Path, stream_level: int) -> logging.Handler:
    """Log every run at INFO into ``<data dir>/logs/veille.log`` (rotating); the terminal keeps ``stream_level``.

    Cron mails whatever a job prints, so the terminal stays quiet while the file keeps the whole story.
    A data folder that cannot be written is one ``StorageError`` naming ``storage.path``."""
    from logging.handlers import RotatingFileHandler

    from veille.adapters.store import ensure_data_dir

    ensure_data_dir(data_dir)
    ensure_data_dir(data_dir / "logs")
    root = logging.getLogger("veille")
    for handler in root.handlers:
        handler.setLevel(stream_level)
    file_handler = RotatingFileHandler(
        data_dir / "logs" / "veille.log", maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
    )
    file_handler.setLevel(logging.INFO)
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(file_handler)
    root.setLevel(min(root.level, logging.INFO))
    return file_handler


def _detach_log_file(handler: logging.Handler) -> None:
    logging.getLogger("veille").removeHandler(handler)
    handler.close()


def _to_file(handler: logging.Handler, level: int, message: str, *, exc_info: bool = False) -> None:
    """A record for the log file only (the terminal gets its own line)."""
    handler.handle(log.makeRecord(log.name, level, __file__, 0, "%s", (message,), sys.exc_info() if exc_info else None))


class _StopOnSignals:
    """While ``veille run`` works, SIGINT and SIGTERM raise ``Interrupted``: the stages unwind, the lock and
    the database close, and the next run resumes (every stage is crash-safe). Restored on exit."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __enter__(self) -> None:
        self.previous = {signum: signal.signal(signum, self._raise) for signum in self.SIGNALS}

    def __exit__(self, *_exc: object) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)

    @staticmethod
    def _raise(signum: int, _frame: object) -> None:
        raise Interrupted(signum)


@cli.command()
@click.option("--no-send", is_flag=True, help="Build and archive the digest when due, but email nothing.")
@_verbose_option
@pass_context
@handle_errors
def run(context: Context, no_send: bool) -> None:
    """The daily job for cron: fetch, process, digest when due, site.

    Quiet on success (the one-line summary with -v, or when something failed); every run is logged to
    <data dir>/logs/veille.log. Exit 0 ok; 3 partial (some feeds failed, or the mail server refused the
    digest: it stays queued and the next run retries); 1 failed (a setup mistake such as an unset password
    variable, or another run holds the lock); 130 on Ctrl-C, 143 on SIGTERM. Stopped at any point, the next
    run finishes the work.
    """
    from veille.app import make_app
    from veille.jobs.daily import run_daily

    settings = context.settings()
    stream_level = logging.DEBUG if context.verbosity > 0 or context.debug else logging.WARNING
    log_file = _attach_log_file(settings.data_dir, stream_level)
    try:
        app = make_app(settings, now=context.now)
        log.info("veille run started (now %s)", app.now.isoformat(timespec="seconds"))
        try:
            with _StopOnSignals():
                report = run_daily(app, send=not no_send)
        except VeilleError as exc:
            _to_file(log_file, logging.ERROR, f"veille run refused or failed: {exc}")
            raise
        except KeyboardInterrupt as exc:
            name, _code = _signal_name(exc)
            _to_file(log_file, logging.WARNING, f"veille run interrupted by {name}; the next run resumes")
            raise
        except Exception as exc:
            # A bug, not a user error: the traceback goes to the log file, one line to the terminal.
            _to_file(log_file, logging.ERROR, "veille run crashed", exc_info=True)
            _traceback_if_debug()
            crashed = context.text(
                "run_crashed", kind=type(exc).__name__, message=exc, log=settings.data_dir / "logs" / "veille.log"
            )
            click.echo(context.text("error", message=crashed), err=True)
            sys.exit(EXIT_ERROR)
        finally:
            app.close()
        # the summary goes to the log file (in English, as every log line) and to the terminal below, once
        _to_file(log_file, logging.INFO, report.summary())
    finally:
        _detach_log_file(log_file)
    if report.exit_code != EXIT_OK:
        click.echo(report.summary(context.language), err=True)
    elif context.verbosity > 0:
        click.echo(report.summary(context.language))
    sys.exit(report.exit_code)


@cli.command()
@click.option("--run-now", is_flag=True, help="Also run once at start, then follow the schedule.")
@_verbose_option
@pass_context
@handle_errors
def schedule(context: Context, run_now: bool) -> None:
    """Run the daily job on the schedule of feeds.yaml until stopped (the alternative to cron).

    Daily at schedule.run_time in schedule.timezone, and at digest.weekday / digest.hour (also in
    schedule.timezone) so the digest goes out on time. Missed runs coalesce into one; runs later than
    schedule.misfire_grace_minutes are skipped (the next one catches up). SIGTERM or Ctrl-C lets the
    current run finish, then stops; a second one stops at once. Each run is logged to
    <data dir>/logs/veille.log.
    """
    from veille.scheduler import Daemon

    if context.now is not None:
        raise click.UsageError("schedule follows the real clock: use `veille --now … run` for a backfill")
    settings = context.settings()
    stream_level = logging.WARNING if context.verbosity < 0 else logging.DEBUG if context.verbosity else logging.INFO
    log_file = _attach_log_file(settings.data_dir, stream_level)
    try:
        daemon = Daemon(context.config_path, settings, run_at_start=run_now)
        daemon.install_signal_handlers()
        daemon.serve()
    finally:
        _detach_log_file(log_file)


@cli.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-out"),
    show_default=True,
    help="The folder to write (its feeds.yaml, database, digests, site and outbox).",
)
@click.option("--days", type=click.IntRange(min=1), help="Only simulate the last N days (a quicker variant).")
@click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True, help="Digest language.")
@_verbose_option
@pass_context
@handle_errors
def demo(context: Context, out: Path, days: int | None, lang: str) -> None:
    """Run the whole product on the built-in sample corpus, on loopback only.

    Serves ten weeks of invented French and English edtech feeds on a local HTTP server and runs the real
    daily job for each simulated day: fetch (conditional GET), process, weekly digest mailed to a local
    SMTP server (OUT/outbox), site. Then the commands that read what is stored work with --config
    OUT/feeds.yaml (stats, themes, digest without --send, site, process, eval, feeds list); fetching
    needs the demo's loopback servers, which stop with it: run, fetch and feeds check on OUT report
    every feed as unreachable.
    """
    from veille.demo.run import run_demo

    root = logging.getLogger("veille")
    for handler in root.handlers:
        handler.setLevel(logging.DEBUG if context.verbosity > 0 else logging.ERROR)
    result = run_demo(out, days=days, language=lang, echo=click.echo)
    sys.exit(result.exit_code)


def main() -> None:
    """Console-script entry point. Commands handle their own errors (``handle_errors``); this catches what
    happens outside them."""
    try:  # the catalogs, once for the process: a broken one is one line (in English: no catalog to speak)
        translations.install()
    except ConfigError as exc:
        click.echo(f"veille: error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    try:
        # not standalone: click would turn Ctrl-C outside a command (while parsing options) into exit 1
        code = cli.main(standalone_mode=False)
        sys.stdout.flush()  # here, where a reader gone away is caught, not at the interpreter's exit
    except (click.Abort, KeyboardInterrupt) as exc:
        cause = exc if isinstance(exc, KeyboardInterrupt) else exc.__cause__ or exc.__context__
        if not isinstance(cause, KeyboardInterrupt):  # end of input at a prompt
            sys.exit(EXIT_ERROR)
        name, code = _signal_name(cause)
        click.echo(i18n.cli_text("interrupted", None, signal=name), err=True)
        sys.exit(code)
    except click.ClickException as exc:  # a usage error: click's own message and exit code
        exc.show()
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        _reader_gone()
    except Exception as exc:  # a bug: one line for the user, the traceback only when asked for
        if "--debug" in sys.argv[1:]:
            raise
        click.echo(i18n.cli_text("internal_error", None, kind=type(exc).__name__, message=exc), err=True)
        sys.exit(EXIT_ERROR)
    sys.exit(code if isinstance(code, int) else EXIT_OK)


if __name__ == "__main__":
    main()
