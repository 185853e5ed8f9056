"""`veille schedule`: trigger logic on a fake clock (DST included), and the daemon really running and stopping."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from tests.feedserver import FeedServer
from veille.config import loads
from veille.models import Settings
from veille.scheduler import JOB_ID, Daemon, job_options, next_runs, run_once

PARIS = ZoneInfo("Europe/Paris")


def settings_for(tmp_path: Path, schedule: str = "", digest: str = "", feeds: str = "") -> Settings:
    text = (
        "feeds:\n"
        + (feeds or "  - url: https://example.org/feed.xml\n")
        + (f"schedule:\n{schedule}" if schedule else "")
        + (f"digest:\n{digest}" if digest else "")
    )
    config = tmp_path / "feeds.yaml"
    config.write_text(text, encoding="utf-8")
    return loads(text, config)


def local(moments: list[datetime]) -> list[str]:
    return [m.astimezone(PARIS).strftime("%a %d %b %H:%M %Z") for m in moments]


def test_daily_run_keeps_paris_wall_clock_across_the_autumn_change_and_adds_the_digest_run(tmp_path: Path) -> None:
    settings = settings_for(
        tmp_path,
        schedule='  run_time: "06:00"\n  timezone: Europe/Paris\n',
        digest="  weekday: monday\n  hour: 7\n",
    )
    runs = next_runs(settings, datetime(2026, 10, 23, 12, 0, tzinfo=UTC), 5)
    assert local(runs) == [
        "Sat 24 Oct 06:00 CEST",
        "Sun 25 Oct 06:00 CET",  # the clocks went back overnight: still 06:00 for the reader
        "Mon 26 Oct 06:00 CET",
        "Mon 26 Oct 07:00 CET",  # the digest run: Monday 07:00 Paris time, when daily.digest_due says it is due
        "Tue 27 Oct 06:00 CET",
    ]
    assert [r.hour for r in runs[:2]] == [4, 5]  # in UTC the daily run moved by an hour


def test_a_run_time_in_the_repeated_hour_fires_once_and_in_the_skipped_hour_still_fires(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, schedule='  run_time: "02:30"\n  timezone: Europe/Paris\n')
    autumn = [r for r in next_runs(settings, datetime(2026, 10, 24, 12, 0, tzinfo=UTC), 4) if r.weekday() != 0]
    autumn_days = [r.astimezone(PARIS).date().isoformat() for r in autumn]
    assert autumn_days.count("2026-10-25") == 1, local(autumn)  # 02:30 happens twice that night
    spring = next_runs(settings, datetime(2026, 3, 28, 12, 0, tzinfo=UTC), 3)
    spring_days = [r.astimezone(PARIS).date().isoformat() for r in spring]
    assert spring_days[:2] == ["2026-03-29", "2026-03-30"], local(spring)  # 02:30 does not exist on the 29th


def test_the_digest_run_follows_digest_weekday_and_hour_even_when_the_daily_run_is_earlier(tmp_path: Path) -> None:
    settings = settings_for(
        tmp_path,
        schedule='  run_time: "05:15"\n  timezone: Europe/Paris\n',
        digest="  weekday: mercredi\n  hour: 9\n",
    )
    runs = next_runs(settings, datetime(2026, 11, 30, 0, 0, tzinfo=UTC), 8)
    digest_runs = [r for r in runs if r.astimezone(PARIS).strftime("%H:%M") == "09:00"]
    assert digest_runs == [datetime(2026, 12, 2, 8, 0, tzinfo=UTC)]  # Wednesday 09:00 in Paris (CET)
    daily = [r for r in runs if r not in digest_runs]
    assert {r.astimezone(PARIS).strftime("%H:%M") for r in daily} == {"05:15"}
    assert len({r.date() for r in daily}) == len(daily)  # one daily run per day


def test_missed_runs_coalesce_one_at_a_time_within_the_grace_time(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, schedule="  misfire_grace_minutes: 90\n")
    assert job_options(settings) == {"coalesce": True, "max_instances": 1, "misfire_grace_time": 90 * 60}
    daemon = Daemon(settings.config_path, settings, job=lambda: None)
    job = daemon.scheduler.get_job(JOB_ID)
    assert job is not None
    assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 5400)


def test_the_daemon_runs_the_job_when_due_and_stops_gracefully_after_the_current_run(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A real scheduler thread, a trigger a second ahead, a job that takes a while: the stop waits for it."""
    settings = settings_for(tmp_path)
    started, finished = threading.Event(), threading.Event()

    def job() -> None:
        started.set()
        time.sleep(1.0)
        finished.set()

    trigger = DateTrigger(run_date=datetime.now(UTC) + timedelta(seconds=1))
    daemon = Daemon(settings.config_path, settings, job=job, trigger=trigger)
    caplog.set_level("INFO", logger="veille")
    thread = threading.Thread(target=daemon.serve)
    thread.start()
    assert started.wait(10), "the job did not start within 10 s of its trigger"
    daemon.request_stop()
    assert not finished.is_set()  # asked to stop mid-run ...
    thread.join(10)
    assert not thread.is_alive()
    assert finished.is_set()  # ... and the run finished before serve() returned
    messages = [record.getMessage() for record in caplog.records]
    assert any("stop requested" in m for m in messages)
    assert any("veille schedule stopped" in m for m in messages)


@pytest.mark.slow
def test_a_scheduled_run_does_the_real_daily_job_and_logs_it(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """run_once, as the daemon calls it: the real job on a loopback feed, one summary line logged."""
    with FeedServer() as server:
        settings = settings_for(tmp_path, feeds=f"  - url: {server.url('/missing.xml')}\n")
        caplog.set_level("INFO", logger="veille")
        code = run_once(settings.config_path, now=datetime(2026, 11, 24, 6, 0, tzinfo=UTC))
    assert code == 3  # the only feed is a 404: partial, not failed
    summaries = [r.getMessage() for r in caplog.records if r.getMessage().startswith("veille run")]
    assert len(summaries) == 1
    assert summaries[0].startswith("veille run partial: 1 feed polled (1 failed), 0 new items")


def test_veille_schedule_stops_on_sigterm_and_logs_to_the_data_folder(tmp_path: Path) -> None:
    """The real command in a subprocess: SIGTERM while idle ends it at once with exit 0."""
    settings = settings_for(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "veille.cli", "--config", str(settings.config_path), "schedule"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    log_file = settings.data_dir / "logs" / "veille.log"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "next run at" not in (log_file.read_text() if log_file.exists() else ""):
        time.sleep(0.1)
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    text = log_file.read_text(encoding="utf-8")
    assert "next run at" in text and "veille schedule stopped" in text
    assert "SIGTERM received" in text  # the log says why it stopped


def test_the_help_and_the_module_say_the_digest_hour_is_read_in_schedule_timezone() -> None:
    from click.testing import CliRunner

    import veille.scheduler
    from veille.cli import cli

    result = CliRunner().invoke(cli, ["schedule", "--help"])
    assert result.exit_code == 0
    help_text = " ".join(result.output.split())
    assert "(UTC)" not in help_text
    assert "digest.hour (also in schedule.timezone)" in help_text
    doc = " ".join((veille.scheduler.__doc__ or "").split())
    assert "in UTC" not in doc and "``digest.hour`` in that zone" in doc


@pytest.mark.slow
def test_the_daemon_loads_the_model_and_fits_the_format_tagger_once_for_its_life(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two scheduled runs of the real daily job in one daemon, on two simulated days of the demo's feeds,
    each with new items to embed and tag: the model is loaded once and the tagger fitted once."""
    import sentence_transformers

    import veille.scheduler
    from veille.app import make_app
    from veille.core.formats import FormatClassifier
    from veille.demo.corpus import feeds_yaml, load_corpus
    from veille.demo.run import DemoFeedServer, SimulatedClock

    loads_: list[str] = []
    fits: list[str] = []
    real_model, real_fit = sentence_transformers.SentenceTransformer, FormatClassifier.fit

    class CountedModel(real_model):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            loads_.append(str(args[0]))
            super().__init__(*args, **kwargs)

    def counted_fit(*args: Any, **kwargs: Any) -> FormatClassifier:
        fits.append("fit")
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(sentence_transformers, "SentenceTransformer", CountedModel)
    monkeypatch.setattr(FormatClassifier, "fit", counted_fit)

    corpus = load_corpus()
    first_day = corpus.days()[2]  # the run of the third day finds the items of the first two
    clock = SimulatedClock(datetime.combine(first_day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=6))
    embedded: list[int] = []
    codes: list[int] = []
    real_run_once = veille.scheduler.run_once
    with DemoFeedServer(corpus, clock) as feeds:
        config = tmp_path / "feeds.yaml"
        config.write_text(feeds_yaml(corpus, feeds.base_url), encoding="utf-8")
        settings = loads(config.read_text(encoding="utf-8"), config)
        daemon = Daemon(
            config, settings, trigger=IntervalTrigger(seconds=1), app=make_app(settings, clock=lambda: clock.now)
        )

        def counted_run(config_path: Path, app: Any = None, **kwargs: Any) -> int:
            code = real_run_once(config_path, app, **kwargs)
            codes.append(code)
            with sqlite3.connect(settings.database) as conn:
                embedded.append(conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0])
            if len(codes) == 2:
                daemon.request_stop()
            clock.set(clock.now + timedelta(days=1))  # the next run is the next day's
            return code

        monkeypatch.setattr(veille.scheduler, "run_once", counted_run)
        thread = threading.Thread(target=daemon.serve)
        thread.start()
        thread.join(600)
    assert not thread.is_alive()
    assert codes == [0, 0]
    assert 0 < embedded[0] < embedded[1], embedded  # both days brought items to embed and tag
    assert len(loads_) == 1, loads_
    assert fits == ["fit"]
