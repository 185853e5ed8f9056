"""``veille schedule``: the long-running alternative to cron, over the same daily job as ``veille run``.

    Daemon(config_path, settings).serve()
        one App for the daemon's life: the model is loaded and the format tagger fitted once, not every day
        one job (``run_once``: reload feeds.yaml into the App, ``daily.run_daily``, close the database,
            log the one-line summary), fired by
            the daily run      schedule.run_time in schedule.timezone
            the digest run     digest.weekday at digest.hour, so the digest goes out on time even when the
                               daily run comes earlier in the day
        coalesce=True          runs missed while the machine slept collapse into one
        max_instances=1        never two runs at once (the run lock would refuse the second anyway)
        misfire_grace_time     a run late by less than schedule.misfire_grace_minutes still happens; a later
                               one is skipped and logged, and the next run catches up (every stage resumes)
    first SIGTERM/SIGINT       no new run starts; the current run finishes, then ``serve`` returns
    second signal              exit at once with 130: the interrupted run is redone by the next one, since
                               every stage is crash-safe and the lock dies with the process

The digest trigger is in ``schedule.timezone`` because ``daily.digest_due`` reads ``digest.weekday`` and
``digest.hour`` in that zone (``core.weeks.digest_due_at``): firing at the same hour in another zone would
wake the daemon before the digest is due, or long after.

The trigger logic is a pure function of the settings and a clock (``next_runs``), so it is tested across a
daylight-saving change without waiting for one.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger

from veille.app import App, make_app
from veille.errors import VeilleError
from veille.models import Settings

log = logging.getLogger(__name__)

EXIT_INTERRUPTED = 130
JOB_ID = "veille-run"
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


# ------------------------------------------------------------------------------------------ triggers


class OncePerWallClockTrigger(BaseTrigger):
    """A cron trigger that fires once when the clock is set back.

    APScheduler's CronTrigger fires twice on the night daylight saving ends when the time falls in the
    repeated hour (02:30 CEST, then 02:30 CET): a daily job should run once, so a fire time showing the same
    wall-clock time as the previous one is skipped.
    """

    __slots__ = ("inner", "timezone")

    def __init__(self, inner: CronTrigger) -> None:
        self.inner = inner
        self.timezone = inner.timezone

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        fire: datetime | None = self.inner.get_next_fire_time(previous_fire_time, now)
        while (
            fire is not None
            and previous_fire_time is not None
            and _same_wall_clock(fire, previous_fire_time, self.timezone)
        ):
            fire = self.inner.get_next_fire_time(fire, fire)
        return fire

    def __repr__(self) -> str:
        return f"<OncePerWallClockTrigger({self.inner!r})>"


def _same_wall_clock(a: datetime, b: datetime, zone: tzinfo) -> bool:
    return a.astimezone(zone).replace(tzinfo=None) == b.astimezone(zone).replace(tzinfo=None)


def daily_trigger(settings: Settings) -> BaseTrigger:
    """The daily run: ``schedule.run_time`` (HH:MM) every day in ``schedule.timezone``."""
    hour, minute = (int(part) for part in settings.schedule.run_time.split(":"))
    zone = ZoneInfo(settings.schedule.timezone)
    return OncePerWallClockTrigger(CronTrigger(hour=hour, minute=minute, timezone=zone))


def digest_trigger(settings: Settings) -> BaseTrigger:
    """The weekly digest run: ``digest.weekday`` at ``digest.hour`` in ``schedule.timezone`` (as ``daily.digest_due``
    reads them)."""
    weekday = settings.digest.weekday.lower()
    day = _WEEKDAYS[_WEEKDAY_NAMES.index(weekday)] if weekday in _WEEKDAY_NAMES else "mon"
    return CronTrigger(day_of_week=day, hour=settings.digest.hour, minute=0, timezone=settings.schedule.timezone)


def run_trigger(settings: Settings) -> BaseTrigger:
    """Both triggers as one, so coalescing and ``max_instances=1`` hold across them."""
    return OrTrigger([daily_trigger(settings), digest_trigger(settings)])


def next_runs(settings: Settings, after: datetime, n: int, trigger: BaseTrigger | None = None) -> list[datetime]:
    """The next ``n`` fire times after ``after`` (aware), in UTC, as the scheduler would compute them."""
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    trigger = trigger or run_trigger(settings)
    runs: list[datetime] = []
    previous: datetime | None = None
    now = after
    for _ in range(n):
        fire = trigger.get_next_fire_time(previous, now)
        if fire is None:
            break
        runs.append(fire.astimezone(UTC))
        previous = now = fire
    return runs


def job_options(settings: Settings) -> dict[str, Any]:
    """How a late or overlapping run is handled (see the module docstring)."""
    return {
        "coalesce": True,
        "max_instances": 1,
        "misfire_grace_time": settings.schedule.misfire_grace_minutes * 60,
    }


# ----------------------------------------------------------------------------------------------- job


def run_once(config_path: Path, app: App | None = None, *, now: datetime | None = None) -> int:
    """One scheduled run: reload feeds.yaml (edits apply without a restart), run the daily job, log it.

    ``app``: the daemon's App, kept from run to run (``App.next_run``: settings and clock read again, the
    model and the fitted tagger kept); without it, an App for this run only. ``now``: the run's time
    (else the App's clock). Returns the run's exit code and never raises: a failed run is logged and the
    daemon waits for the next.
    """
    from veille.config import load
    from veille.jobs.daily import EXIT_FAILED, run_daily

    log.info("scheduled run started")
    try:
        settings = load(config_path)
        if app is None:
            app = make_app(settings, now=now)
        else:
            app.next_run(settings, now)
        try:
            report = run_daily(app)
        finally:
            app.close()
    except VeilleError as exc:
        log.error("scheduled run failed: %s", exc)
        return EXIT_FAILED
    except Exception:
        log.exception("scheduled run failed unexpectedly")
        return EXIT_FAILED
    logger = log.info if report.exit_code == 0 else log.warning
    logger("%s", report.summary())
    return report.exit_code


# -------------------------------------------------------------------------------------------- daemon


class Daemon:
    """A BlockingScheduler running ``job`` on ``trigger`` until asked to stop.

    ``serve`` blocks (in the main thread for ``veille schedule``, in any thread for tests); ``request_stop``
    is the graceful-stop path the signal handlers call.
    """

    def __init__(
        self,
        config_path: Path,
        settings: Settings,
        *,
        job: Callable[[], object] | None = None,
        trigger: BaseTrigger | None = None,
        run_at_start: bool = False,
        app: App | None = None,
    ) -> None:
        self.settings = settings
        self.app = app or make_app(settings)  # for the daemon's life: the model loads once
        self.trigger = trigger or run_trigger(settings)
        self.scheduler = BlockingScheduler(timezone=ZoneInfo(settings.schedule.timezone))
        self.scheduler.add_listener(self._on_event, EVENT_JOB_MISSED | EVENT_JOB_ERROR)
        options: dict[str, Any] = {"next_run_time": datetime.now(UTC)} if run_at_start else {}
        self.scheduler.add_job(
            job or (lambda: run_once(config_path, self.app)),
            self.trigger,
            id=JOB_ID,
            name="veille run",
            **job_options(settings),
            **options,
        )
        self._lock = threading.Lock()
        self._stopping = False
        self._stopper: threading.Thread | None = None

    @property
    def stopping(self) -> bool:
        return self._stopping

    def next_run(self) -> datetime | None:
        job = self.scheduler.get_job(JOB_ID)
        when: datetime | None = getattr(job, "next_run_time", None) if job else None
        return when

    def serve(self) -> None:
        """Run the scheduler until stopped; returns once the current run (if any) has finished."""
        with self._lock:
            if self._stopping:
                return
            log.info("veille schedule: next run at %s", _describe(self._first_fire()))
        try:
            self.scheduler.start()  # blocks until shutdown
        except Exception:
            # a stop request can race the scheduler's own bookkeeping (removing a finished one-off job
            # from a store being shut down); the running job is still waited for below
            if not self._stopping:
                raise
            log.debug("scheduler loop ended during the stop", exc_info=True)
        if self._stopper is not None:
            self._stopper.join()
        self.app.close()
        log.info("veille schedule stopped")

    def request_stop(self) -> None:
        """Stop after the current run: no new run starts, the running one finishes."""
        with self._lock:
            if self._stopping:
                return
            self._stopping = True
            if not self.scheduler.running:
                return
            log.info("stop requested: finishing the current run, if any, then exiting")
            self._stopper = threading.Thread(target=self._shutdown, name="veille-stop", daemon=True)
            self._stopper.start()

    def _shutdown(self) -> None:
        self.scheduler.shutdown(wait=True)

    def install_signal_handlers(self) -> None:
        """First SIGTERM/SIGINT stops gracefully; a second one exits at once (main thread only)."""
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if not self._stopping:
            log.warning("%s received", signal.Signals(signum).name)
            self.request_stop()
            return
        log.warning(
            "second %s: exiting now; the interrupted run will be finished by the next one",
            signal.Signals(signum).name,
        )
        for handler in logging.getLogger("veille").handlers:
            handler.flush()
        os._exit(EXIT_INTERRUPTED)

    def _first_fire(self) -> datetime | None:
        explicit = self.next_run()
        if explicit is not None:
            return explicit
        fire: datetime | None = self.trigger.get_next_fire_time(None, datetime.now(UTC))
        return fire

    def _on_event(self, event: JobExecutionEvent) -> None:
        if event.code == EVENT_JOB_MISSED:
            log.warning(
                "the run due at %s was missed by more than %d minute(s) (machine asleep?); the next run catches up",
                _describe(event.scheduled_run_time),
                self.settings.schedule.misfire_grace_minutes,
            )
        elif event.exception is not None:
            log.error("the scheduled run crashed: %s", event.exception)


def _describe(when: datetime | None) -> str:
    return when.isoformat(timespec="minutes") if when else "never"
