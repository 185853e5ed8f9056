"""``veille run``: the job cron (or ``veille schedule``) calls every day.

run_daily(app)
    take the single-instance lock (a second run exits at once; a dead run's lock is taken over)
    1. fetch     the due feeds                     (failed feeds make the run partial, not failed)
       articles  the article pages of the new items of full_text feeds (a page that fails is recorded
                 with its reason: neither partial nor failed)
    2. process   whatever is new                   (a model failure fails the run)
    3. digest    when the last complete week's digest is due and not sent to everyone yet:
                 record (build, archive) and send it  (a mail failure leaves it queued: partial;
                 a week ``process`` has not caught up with is not recorded: failed, retried next run;
                 a setup problem, such as an unset password variable, fails)
    4. site      rebuild what changed
Each stage's VeilleError is recorded and the next stages still run where they can, so one broken
part never hides the others. Exit code: 0 ok, 3 partial, 1 failed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from veille.adapters.lock import run_lock
from veille.adapters.storage import DatabaseUnavailable
from veille.app import App
from veille.core import i18n
from veille.core.weeks import digest_due_at, last_complete_week, week_bounds
from veille.errors import MailError, VeilleError, setup_problem

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_PARTIAL = 0, 1, 3


@dataclass
class RunReport:
    fetched: int = 0
    feeds_failed: int = 0
    new_items: int = 0
    embedded: int = 0
    articles: int = 0  # article pages read (full_text feeds)
    articles_failed: int = 0
    digest_week: str | None = None
    digest_sent: int = 0
    digest_queued: bool = False
    site_index: Path | None = None
    errors: list[str] = field(default_factory=list)  # stages that failed, with their reason
    partial: list[str] = field(default_factory=list)  # stages that partly failed

    @property
    def exit_code(self) -> int:
        if self.errors:
            return EXIT_FAILED
        return EXIT_PARTIAL if self.partial else EXIT_OK

    def summary(self, language: str | None = None) -> str:
        """One line in ``language`` (English by default, as in the log file)."""
        lang = i18n.cli_language(language)
        ngettext = i18n.language(lang, default=i18n.CLI_DEFAULT).ngettext
        # one plural per count ("1 new item", "0 nouvel article"); "polled": a failed feed was not read
        parts = [
            ngettext(
                "{count} feed polled ({failed} failed)", "{count} feeds polled ({failed} failed)", self.fetched
            ).format(count=self.fetched, failed=self.feeds_failed),
            ngettext("{count} new item", "{count} new items", self.new_items).format(count=self.new_items),
            ngettext("{count} embedded", "{count} embedded", self.embedded).format(count=self.embedded),
        ]
        if self.articles or self.articles_failed:
            pages = ngettext(
                "{count} article page read ({failed} without text)",
                "{count} article pages read ({failed} without text)",
                self.articles,
            )
            parts.insert(2, pages.format(count=self.articles, failed=self.articles_failed))
        if self.digest_week:
            if self.digest_queued:
                parts.append(i18n.cli_text("run_digest_queued", lang, week=self.digest_week))
            elif self.digest_sent:
                parts.append(i18n.cli_text("run_digest_sent", lang, week=self.digest_week, count=self.digest_sent))
            else:
                parts.append(i18n.cli_text("run_digest_archived", lang, week=self.digest_week))
        if self.site_index:
            parts.append(i18n.cli_text("run_site", lang, path=self.site_index))
        status = {EXIT_OK: "ok", EXIT_PARTIAL: "partial", EXIT_FAILED: "failed"}[self.exit_code]
        return i18n.cli_text(
            "run_summary", lang, status=i18n.cli_text(f"run_status_{status}", lang), parts=", ".join(parts)
        )


def digest_due(app: App) -> str | None:
    """The week whose digest should be built and sent now, if any.

    The last complete ISO week's digest is due from the following ``digest.weekday`` at ``digest.hour``
    in ``schedule.timezone``, and stays due until every recipient has it. A week that ended before the
    first stored item is skipped: the watch did not exist yet, there is nothing honest to say about it."""
    week = last_complete_week(app.now)
    digest = app.settings.digest
    if app.now < digest_due_at(week, digest.weekday, digest.hour, app.settings.schedule.timezone):
        return None
    if app.store.digests.get(week) is None:
        return week if app.store.items.has_items_before(week_bounds(week)[1]) else None
    recipients = app.settings.mail.recipients if app.settings.mail.host else ()
    if recipients and app.store.digests.pending(week, recipients):
        return week
    return None


def run_daily(app: App, *, send: bool = True) -> RunReport:
    """Fetch, process, digest when due, site. See the module docstring."""
    with run_lock(app.settings.data_dir / "run.lock", app.now):
        return _run_stages(app, send=send)


def _run_stages(app: App, *, send: bool) -> RunReport:
    from veille.jobs import fetch as fetch_job
    from veille.jobs.articles import fetch_articles
    from veille.jobs.digest import build_digest, send_digest
    from veille.jobs.process import process
    from veille.jobs.site import build_site

    report = RunReport()
    try:
        fetched = fetch_job.fetch(app)
        report.fetched = len(fetched.outcomes)
        report.feeds_failed = len(fetched.failed)
        report.new_items = fetched.new_items
        if fetched.failed:
            report.partial.append(f"fetch: {len(fetched.failed)} feed{'' if len(fetched.failed) == 1 else 's'} failed")
    except DatabaseUnavailable:
        raise  # busy or unreachable: every later stage would fail the same way; one line, exit 1
    except VeilleError as exc:
        report.errors.append(f"fetch: {exc}")
    try:
        articles = fetch_articles(app)
        report.articles = articles.fetched + articles.not_modified
        report.articles_failed = articles.failed
    except DatabaseUnavailable:
        raise
    except VeilleError as exc:
        report.errors.append(f"articles: {exc}")
    try:
        processed = process(app)
        report.embedded = processed.embedded
    except DatabaseUnavailable:
        raise
    except VeilleError as exc:
        report.errors.append(f"process: {exc}")
    try:
        # a digest is built once and never rebuilt with other stories: not from half-processed data
        week = digest_due(app) if not any(e.startswith("process:") for e in report.errors) else None
        if week is not None:
            build_digest(app, week)  # recorded now that it is due, sent or not
            report.digest_week = week
            if send and app.settings.mail.host:
                try:
                    sent = send_digest(app, week, dry_run=False)
                    report.digest_sent = len(sent.sent) + len(sent.already_sent) + len(sent.list_sent)
                    report.digest_sent += len(sent.list_already_sent)
                except MailError as exc:
                    report.digest_queued = True
                    setup = setup_problem(exc)
                    if setup is None:  # the server refused or was unreachable: the next run retries
                        report.partial.append(f"digest: {exc}")
                    else:  # retrying cannot help: a failure, so a scheduler treating 3 as success still says so
                        report.errors.append(f"digest {week} not sent (still queued): {setup}")
    except DatabaseUnavailable:
        raise
    except VeilleError as exc:
        report.errors.append(f"digest: {exc}")
    try:
        report.site_index = build_site(app).index_path
    except DatabaseUnavailable:
        raise
    except VeilleError as exc:
        report.errors.append(f"site: {exc}")
    for problem in report.errors + report.partial:
        log.warning("%s", problem)
    return report
