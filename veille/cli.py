"""The command line: a thin layer over ``veille.app`` and ``veille.pipeline``.

Exit codes: 0 ok, 1 error, 2 usage, 3 partial (some feeds failed, or a digest stayed queued).
Every ``VeilleError`` is printed as one line on stderr; a traceback only with ``-v``.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from veille import __version__
from veille.errors import ConfigError, VeilleError

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3
F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("veille")


class Context:
    """What the group options set up for every command."""

    def __init__(self, config: Path, now: datetime | None, verbosity: int) -> None:
        self.config_path = config
        self.now = now
        self.verbosity = verbosity

    def settings(self) -> Any:
        from veille.config import load

        return load(self.config_path)

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


def setup_logging(verbosity: int) -> None:
    level = {-1: logging.WARNING, 0: logging.INFO, 1: logging.DEBUG}[max(-1, min(1, verbosity))]
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger("veille")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def handle_errors(func: F) -> F:
    """Turn a VeilleError into one line on stderr and exit code 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except VeilleError as exc:
            click.echo(f"veille: error: {exc}", err=True)
            if logging.getLogger("veille").isEnabledFor(logging.DEBUG):
                raise
            sys.exit(EXIT_ERROR)

    return wrapper  # type: ignore[return-value]


pass_context = click.make_pass_decorator(Context)


def _more_verbose(ctx: click.Context, _param: click.Parameter, count: int) -> None:
    """``-v`` after a command means the same as before it."""
    context = ctx.find_object(Context)
    if count and context is not None:
        context.verbosity = max(context.verbosity, 0) + count
        setup_logging(context.verbosity)


def _verbose_option(func: F) -> F:
    return click.option(
        "-v",
        "--verbose",
        count=True,
        expose_value=False,
        callback=_more_verbose,
        help="More output (debug logging); the same as -v before the command.",
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
@click.option("-v", "--verbose", "verbose", count=True, help="More output (debug logging).")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors.")
@click.pass_context
def cli(ctx: click.Context, config: Path, now: datetime | None, verbose: int, quiet: bool) -> None:
    """veille — an innovation watch for digital-learning managers.

    Fetches the edtech feeds of feeds.yaml, groups stories, tags learning formats, follows themes and
    trends, emails a weekly digest and writes a static site.
    """
    verbosity = -1 if quiet else verbose
    setup_logging(verbosity)
    ctx.obj = Context(config, now, verbosity)


# ------------------------------------------------------------------------------------------ set-up


@cli.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path), default=".")
@handle_errors
def init(directory: Path) -> None:
    """Write a starter feeds.yaml in DIRECTORY (default: here)."""
    from veille.config import starter_config

    target = directory / "feeds.yaml"
    if target.exists():
        raise ConfigError("already exists; edit it, or choose another directory", path=str(target))
    directory.mkdir(parents=True, exist_ok=True)
    target.write_text(starter_config(), encoding="utf-8")
    click.echo(f"wrote {target}")
    click.echo(f"next: veille --config {target} fetch")


# ---------------------------------------------------------------------------------------- fetching


def _fetch_with_progress(app: Any, *, only_due: bool) -> Any:
    from veille import pipeline

    if not sys.stderr.isatty():
        return pipeline.fetch(app, only_due=only_due)
    from rich.progress import Progress

    with Progress(transient=True) as progress:
        task = progress.add_task("fetching", total=len(app.settings.feeds))
        return pipeline.fetch(app, only_due=only_due, on_outcome=lambda _o: progress.advance(task))


@cli.command()
@click.option("--all", "fetch_all", is_flag=True, help="Fetch every feed, due or not.")
@_verbose_option
@pass_context
@handle_errors
def fetch(context: Context, fetch_all: bool) -> None:
    """Fetch all due feeds and store new items. Exit 3 when some feeds failed."""
    app = context.app()
    try:
        report = _fetch_with_progress(app, only_due=not fetch_all)
    finally:
        app.close()
    failed = report.failed
    click.echo(
        f"{len(report.outcomes)} feed(s) fetched, {report.new_items} new item(s), {len(failed)} failed",
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
        rows = app.feeds.health()
    finally:
        app.close()
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    for row in rows:
        click.echo(_health_line(row))


def _health_line(row: dict[str, Any]) -> str:
    name = row["name"] or row["title"] or ""
    if row["status"] == "gone":
        state = "GONE (410), retired"
    elif row["consecutive_failures"]:
        state = f"FAILING x{row['consecutive_failures']}: {row['last_error']}"
    elif row["last_success_at"]:
        state = f"ok, last success {row['last_success_at']}"
    else:
        state = "never fetched"
    if row.get("stale"):
        state += ", STALE (nothing new for a long time)"
    moved = f" (moved from {row['moved_from']})" if row["moved_from"] else ""
    return f"{row['url']}{moved}  {name}  — {state}"


@feeds.command("add")
@click.argument("url")
@click.option("--name", help="A display name.")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable), e.g. corporate, higher-ed, school.")
@click.option("--lang", help="The feed's language (fr, en…), when known.")
@pass_context
@handle_errors
def feeds_add(context: Context, url: str, name: str | None, tags: tuple[str, ...], lang: str | None) -> None:
    """Add URL to feeds.yaml (comments kept). Exit 1 when it is already listed, as remove does when it is not."""
    from veille.config import add_feeds_to_yaml, load
    from veille.models import FeedConfig

    text = _read_config_text(context.config_path)
    new_text = add_feeds_to_yaml(
        text, [FeedConfig(url=url, name=name, tags=tags, lang=lang)], path=context.config_path, skip_existing=False
    )
    _write_validated(context.config_path, new_text, load)
    click.echo(f"added {url} to {context.config_path}")


@feeds.command("remove")
@click.argument("url")
@pass_context
@handle_errors
def feeds_remove(context: Context, url: str) -> None:
    """Remove URL from feeds.yaml (its stored items are kept)."""
    from veille.config import load, remove_feed_from_yaml

    text = _read_config_text(context.config_path)
    _write_validated(context.config_path, remove_feed_from_yaml(text, url), load)
    click.echo(f"removed {url} from {context.config_path}")


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
    for row in rows:
        click.echo(_health_line(row))
    click.echo(f"{len(report.outcomes)} checked, {len(report.failed)} failing")
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
    from veille.adapters.opml import read_opml
    from veille.config import add_feeds_to_yaml, load

    settings = context.settings()
    known = {feed.url for feed in settings.feeds}
    found = read_opml(file)
    new = [feed for feed in found if feed.url not in known]
    if new:
        text = _read_config_text(context.config_path)
        _write_validated(context.config_path, add_feeds_to_yaml(text, new), load)
    click.echo(f"{len(found)} feed(s) in {file}, {len(new)} added to {context.config_path}")


@opml.command("export")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@pass_context
@handle_errors
def opml_export(context: Context, file: Path | None) -> None:
    """Write the feeds as OPML to FILE (default: standard output)."""
    from veille.adapters.opml import write_opml

    settings = context.settings()
    body = write_opml(settings.feeds, "veille subscriptions")
    if file is None:
        sys.stdout.buffer.write(body)
    else:
        file.write_bytes(body)
        click.echo(f"wrote {len(settings.feeds)} feed(s) to {file}")


# ------------------------------------------------------------------------------------- understanding


@cli.command()
@_verbose_option
@pass_context
@handle_errors
def process(context: Context) -> None:
    """Embed new items, group stories, tag learning formats, cluster themes and score trends."""
    from veille.process import process as run_process

    app = context.app()
    try:
        report = run_process(app)
    finally:
        app.close()
    click.echo(report.summary(), err=context.verbosity < 0)


@cli.command()
@click.option(
    "--week",
    metavar="YYYY-Www",
    help="The ISO week, e.g. 2026-W48 (default: the current week).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per theme.")
@pass_context
@handle_errors
def themes(context: Context, week: str | None, as_json: bool) -> None:
    """The week's themes with their title, trend status, keywords and story counts (default: this week)."""
    from veille.adapters.process_store import ThemeStore
    from veille.core import i18n, titles
    from veille.core.site_i18n import site_strings
    from veille.core.trends import TrendStatus, explain
    from veille.core.weeks import iso_week

    app = context.app()
    try:
        target = _resolve_week(week, app.now) if week else iso_week(app.now)
        rows = ThemeStore(app.store).week_themes(target)
    finally:
        app.close()
    lang = "en" if app.settings.digest.language == "en" else "fr"  # the digest's language, as the digest
    named = set()
    for row in rows:  # the title in the digest's language; keywords stand in for weeks made before titles
        title = titles.in_language(row.pop("titles"), lang)
        if title:
            named.add(row["theme"])
        row["title"] = title or ", ".join(row["keywords"][:4]) or row["label"]
    if as_json:
        click.echo(json.dumps({"week": target, "themes": rows}, ensure_ascii=False))
        return
    fr = lang == "fr"
    if not rows:
        if fr:
            click.echo(f"{target} : aucun thème (lancez `veille process` après `veille fetch`)")
        else:
            click.echo(f"{target}: no themes (run `veille process` after `veille fetch`)")
        return
    statuses = dict(site_strings(lang).status_labels)
    theme_words = ("thème", "thèmes") if fr else ("theme", "themes")
    click.echo(f"{target}{' :' if fr else ':'} {i18n.plural(len(rows), *theme_words, lang)}")
    for row in rows:
        weak = (" (signal faible)" if fr else " (weak signal)") if row["weak_signal"] else ""
        reason = explain(TrendStatus(row["status"], row["weak_signal"], row["reason"]), lang)
        stories = i18n.plural(row["stories"], *(("sujet", "sujets") if fr else ("story", "stories")), lang)
        sources = i18n.plural(row["sources"], "source", "sources", lang)
        words = ", ".join(row["keywords"][:5])
        label = (
            (f"{row['title']} — {words}" if words else row["title"]) if row["theme"] in named else words or row["label"]
        )
        click.echo(f"  [{statuses.get(row['status'], row['status'])}{weak}] {label}")
        # the reason states the week's volume, except when fading (an average over the last weeks)
        click.echo(f"      {stories}, {sources} — {reason}" if row["status"] == "fading" else f"      {reason}")


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
    from veille.evaluate import evaluate, write_assignments

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
    from veille.site_job import build_site

    app = context.app()
    try:
        result = build_site(app.store, app.settings, app.now, out_dir=out)
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
@click.option("--send", is_flag=True, help="Build and email it (each recipient gets it once).")
@click.option("--dry-run", is_flag=True, help="Build the message but send nothing.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Also write the files here.")
@_verbose_option
@pass_context
@handle_errors
def digest(context: Context, week: str | None, send: bool, dry_run: bool, out: Path | None) -> None:
    """Build (and with --send, email) the weekly digest of a week that has ended. Exit 3 when it stays
    queued."""
    from veille.core.weeks import week_bounds
    from veille.digest_job import build_digest, send_digest
    from veille.errors import MailError

    if send and dry_run:
        raise click.UsageError("--send and --dry-run exclude each other: --dry-run sends nothing, --send emails")
    mode = "send" if send else "dry-run" if dry_run else None
    app = context.app()
    try:
        target = _resolve_week(week, app.now)
        end = week_bounds(target)[1]
        if app.now < end:
            # a digest is built once and kept: one built now would stand for the whole week
            click.echo(
                f"veille: error: --week {target} has not ended yet (it ends {end:%Y-%m-%d %H:%M} UTC, now is "
                f"{app.now:%Y-%m-%d %H:%M} UTC): its digest can only be built once the week is over",
                err=True,
            )
            sys.exit(EXIT_ERROR)
        if mode is None:
            result = build_digest(app.store, app.settings, target, app.now, out_dir=out)
            click.echo(f"{result.subject}: {result.stories} story(ies) in the digest")
            click.echo(f"html: {result.html_path}\ntext: {result.text_path}\neml:  {result.eml_path}")
            return
        try:
            report = send_digest(app.store, app.settings, target, app.now, dry_run=mode == "dry-run", out_dir=out)
        except MailError as exc:
            click.echo(f"veille: {exc}", err=True)
            sys.exit(EXIT_PARTIAL)
    finally:
        app.close()
    if report.dry_run:
        click.echo(f"dry run: message written to {report.eml_path}; nothing sent")
    else:
        click.echo(f"digest {report.week}: sent to {len(report.sent)}, already sent to {len(report.already_sent)}")


# ------------------------------------------------------------------------------------------- stats


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@pass_context
@handle_errors
def stats(context: Context, as_json: bool) -> None:
    """Counts: feeds, failing feeds, items, stories, and what later stages added."""
    from veille.stats import collect

    app = context.app()
    try:
        numbers = collect(app)
    finally:
        app.close()
    if as_json:
        click.echo(json.dumps(numbers, ensure_ascii=False, sort_keys=True))
        return
    for key, value in numbers.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items()) or "none"
        click.echo(f"{key.replace('_', ' ')}: {value}")


# ------------------------------------------------------------------------------- running every day

LOG_MAX_BYTES, LOG_BACKUPS = 1_000_000, 5


def _attach_log_file(data_dir: Path, stream_level: int) -> logging.Handler:
    """Log every run at INFO into ``<data dir>/logs/veille.log`` (rotating); the terminal keeps ``stream_level``.

    Cron mails whatever a job prints, so the terminal stays quiet while the file keeps the whole story."""
    from logging.handlers import RotatingFileHandler

    root = logging.getLogger("veille")
    for handler in root.handlers:
        handler.setLevel(stream_level)
    (data_dir / "logs").mkdir(parents=True, exist_ok=True)
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


@cli.command()
@click.option("--no-send", is_flag=True, help="Build and archive the digest when due, but email nothing.")
@_verbose_option
@pass_context
@handle_errors
def run(context: Context, no_send: bool) -> None:
    """The daily job for cron: fetch, process, digest when due, site.

    Quiet on success (the one-line summary with -v, or when something failed); every run is logged to
    <data dir>/logs/veille.log. Exit 0 ok, 3 partial (some feeds failed, digest queued), 1 failed (or
    another run holds the lock). Killed at any point, the next run finishes the work.
    """
    from veille.app import make_app
    from veille.daily import run_daily

    settings = context.settings()
    stream_level = logging.DEBUG if context.verbosity > 0 else logging.WARNING
    log_file = _attach_log_file(settings.data_dir, stream_level)
    try:
        app = make_app(settings, now=context.now)
        log.info("veille run started (now %s)", app.now.isoformat(timespec="seconds"))
        try:
            report = run_daily(app, send=not no_send)
        except VeilleError as exc:
            log.error("veille run refused or failed: %s", exc)
            raise
        except Exception as exc:
            # A bug, not a user error: the traceback goes to the log file, one line to the terminal.
            crash = log.makeRecord(log.name, logging.ERROR, __file__, 0, "veille run crashed", (), sys.exc_info())
            log_file.handle(crash)
            click.echo(
                f"veille: error: unexpected failure ({type(exc).__name__}: {exc}); "
                f"details in {settings.data_dir / 'logs' / 'veille.log'}",
                err=True,
            )
            sys.exit(EXIT_ERROR)
        finally:
            app.close()
        # the summary goes to the log file here and to the terminal below, once
        log_file.handle(log.makeRecord(log.name, logging.INFO, __file__, 0, "%s", (report.summary(),), None))
    finally:
        _detach_log_file(log_file)
    if report.exit_code != EXIT_OK:
        click.echo(report.summary(), err=True)
    elif context.verbosity > 0:
        click.echo(report.summary())
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
    from veille.demo import run_demo

    root = logging.getLogger("veille")
    for handler in root.handlers:
        handler.setLevel(logging.DEBUG if context.verbosity > 0 else logging.ERROR)
    result = run_demo(out, days=days, language=lang, echo=click.echo)
    sys.exit(result.exit_code)


def main() -> None:
    """Console-script entry point."""
    try:
        cli(standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("veille: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug: one line for the user, the traceback only when asked for
        if log.isEnabledFor(logging.DEBUG):
            raise
        click.echo(
            f"veille: internal error: {type(exc).__name__}: {exc} (run again with -v for the details, "
            "and please report it)",
            err=True,
        )
        sys.exit(EXIT_ERROR)


if __name__ == "__main__":
    main()
