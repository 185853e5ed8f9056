"""`veille run`, the job cron calls: single instance, exit codes, resume after SIGKILL, one digest per recipient.

Everything is real: the demo corpus on the package's loopback feed server, a slow feed on the test server, an
aiosmtpd server writing an outbox, SQLite files in tmp_path, `veille run` subprocesses killed with SIGKILL.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from tests.feedserver import FeedServer
from veille.adapters.lock import run_lock
from veille.cli import cli
from veille.demo.corpus import load_corpus
from veille.demo.run import DemoFeedServer, Outbox, SimulatedClock, _free_port

NOW = "2026-11-30T06:00:00Z"  # a Monday: the W48 digest is due (digest.hour 6 below)
LATER = "2026-11-30T08:00:00Z"
RECIPIENTS = ("a@example.org", "b@example.org")


# ------------------------------------------------------------------------------------------- helpers


@pytest.fixture
def demo_feeds() -> Iterator[DemoFeedServer]:
    clock = SimulatedClock(datetime(2026, 11, 30, 6, 0, tzinfo=UTC))
    with DemoFeedServer(load_corpus(), clock) as server:
        yield server


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[tuple[int, Outbox]]:
    box = Outbox(tmp_path / "outbox")
    port = _free_port("127.0.0.1")
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, box
    controller.stop()


def write_config(folder: Path, urls: list[str], smtp_port: int | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["feeds:", *(f"  - url: {url}" for url in urls), "digest:", "  hour: 6"]
    if smtp_port is not None:
        lines += [
            "mail:",
            "  host: 127.0.0.1",
            f"  port: {smtp_port}",
            "  security: none",
            "  sender: veille@example.org",
            f"  recipients: [{', '.join(RECIPIENTS)}]",
        ]
    config = folder / "feeds.yaml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def cli_run(config: Path, *args: str, now: str = NOW) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--config", str(config), "--now", now, *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def spawn_run(config: Path, now: str = NOW) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "veille.cli", "--config", str(config), "--now", now, "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def count(config: Path, sql: str) -> int:
    database = config.parent / ".veille" / "veille.db"
    if not database.exists():
        return 0
    try:
        with sqlite3.connect(database, timeout=5) as conn:
            return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:  # schema not created yet
        return 0


def kill_when(process: subprocess.Popen[str], ready: Callable[[], bool], timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert process.poll() is None, f"the run ended before the kill: {process.communicate()}"
        assert time.monotonic() < deadline, "the run never reached the point to kill it at"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.communicate()


def outbox_counts(box: Outbox) -> dict[str, int]:
    counts: dict[str, int] = {}
    for path in box.folder.glob("*.eml") if box.folder.exists() else []:
        counts[path.stem] = counts.get(path.stem, 0) + 1
    return counts


# ------------------------------------------------------------------------------------------ fast tests


def test_a_broken_config_exits_1_with_one_clear_line(tmp_path: Path) -> None:
    config = tmp_path / "feeds.yaml"
    config.write_text("feeds:\n  - url: htp://example.org/feed\n", encoding="utf-8")
    code, out, err = cli_run(config, "run")
    assert code == 1
    assert out == ""
    assert err.startswith("veille: error: ") and "feeds.yaml:2" in err and "feeds[1].url" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("where", ["after", "before"])
def test_verbose_run_prints_its_summary_once_with_v_before_or_after_the_command(tmp_path: Path, where: str) -> None:
    config = tmp_path / "feeds.yaml"
    config.write_text("feeds: []\n", encoding="utf-8")
    args = ["--config", str(config), "--now", "2026-11-28T06:00:00Z"]
    args = [*args, "run", "-v"] if where == "after" else [*args, "-v", "run"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.count("veille run ok") == 1
    assert result.output.count("veille run ok") == 1  # stdout and stderr together
    assert "veille run started" in result.stderr  # the debug log is on
    assert (tmp_path / ".veille" / "logs" / "veille.log").read_text(encoding="utf-8").count("veille run ok") == 1


def test_a_second_run_exits_1_at_once_and_a_killed_runs_lock_is_taken_over(tmp_path: Path) -> None:
    with FeedServer(slow_seconds=60) as server:
        config = write_config(tmp_path, [server.url("/slow")])
        lock = tmp_path / ".veille" / "run.lock"
        first = spawn_run(config)
        deadline = time.monotonic() + 60
        while "pid" not in (lock.read_text() if lock.exists() else ""):
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)

        started = time.monotonic()
        code, out, err = cli_run(config, "run")
        assert code == 1
        assert time.monotonic() - started < 5  # at once, not after the first run
        # in digest.language (French by default), as the rest of the command line
        assert err.startswith(f"veille : erreur : une autre exécution de veille est en cours (pid {first.pid}")
        assert "Traceback" not in err and out == ""

        first.send_signal(signal.SIGKILL)
        first.communicate()
    assert f"pid {first.pid}" in lock.read_text()  # the dead run's lock file is still there ...
    with run_lock(lock, datetime(2026, 11, 30, 7, tzinfo=UTC)):  # ... and taken over without clean-up
        assert f"pid {first.pid}" not in lock.read_text()


# ------------------------------------------------------------------------------------------ slow test


@pytest.mark.slow
def test_runs_killed_mid_fetch_and_mid_process_resume_without_loss_or_repeats(
    tmp_path: Path, demo_feeds: DemoFeedServer, outbox: tuple[int, Outbox]
) -> None:
    smtp_port, box = outbox
    corpus = load_corpus()
    with FeedServer(slow_seconds=8) as slow_server:
        urls = [demo_feeds.base_url + source.url for source in corpus.sources] + [slow_server.url("/slow")]
        config = write_config(tmp_path / "killed", urls, smtp_port)

        # 1. killed during fetch: some feeds stored, the slow one still waiting for its answer
        first = spawn_run(config)
        kill_when(first, lambda: count(config, "SELECT COUNT(*) FROM items") > 0)
        stored = count(config, "SELECT COUNT(*) FROM feeds WHERE last_success_at IS NOT NULL")
        assert 0 < stored < len(urls), "the kill should land mid-fetch"
        with sqlite3.connect(config.parent / ".veille" / "veille.db") as conn:
            done = [row[0] for row in conn.execute("SELECT url FROM feeds WHERE last_success_at IS NOT NULL")]
        hits_after_kill = {url: demo_feeds.hits[url.removeprefix(demo_feeds.base_url)] for url in done}

        # 2. killed during process: some items embedded, not all
        second = spawn_run(config)
        kill_when(second, lambda: count(config, "SELECT COUNT(*) FROM embeddings") > 0)
        embedded_before = count(config, "SELECT COUNT(*) FROM embeddings")
        items = count(config, "SELECT COUNT(*) FROM items")

        # 3. the next run finishes the work, quietly: exit 0, nothing on the terminal, its summary in the log
        code, out, err = cli_run(config, "run")
        assert code == 0, err
        assert out == "" and err == ""
        log_lines = (config.parent / ".veille" / "logs" / "veille.log").read_text(encoding="utf-8").splitlines()
        summary = next(line for line in reversed(log_lines) if "veille run ok:" in line)
        assert f"{count(config, 'SELECT COUNT(*) FROM items') - embedded_before} embedded" in summary
        assert "digest 2026-W48 sent to 2" in summary

        # feeds stored before the first kill were not fetched again by the later runs
        for url in done:
            if url.startswith(demo_feeds.base_url):
                assert demo_feeds.hits[url.removeprefix(demo_feeds.base_url)] == hits_after_kill[url], url

        # 4. a later run the same day with a failing feed added: exit 3, and still one digest per recipient
        added = CliRunner().invoke(cli, ["--config", str(config), "feeds", "add", demo_feeds.base_url + "/nope"])
        assert added.exit_code == 0, added.output
        code, out, err = cli_run(config, "run", now=LATER)
        assert code == 3
        assert "veille run partiel :" in err and "404" in err  # the terminal speaks digest.language (fr)
        assert outbox_counts(box) == {f"2026-W48-{r}": 1 for r in RECIPIENTS}

        # 5. compared with one clean run on the same feeds: nothing lost, nothing stored twice
        clean = write_config(tmp_path / "clean", urls)
        code, out, err = cli_run(clean, "-v", "run")
        assert code == 0, err
        assert out.startswith("veille run ok : 14 flux interrogés (0 en échec)")
    for sql in (
        "SELECT COUNT(*) FROM items",
        "SELECT COUNT(DISTINCT content_hash) FROM items",
        "SELECT COUNT(*) FROM sightings",
        "SELECT COUNT(*) FROM embeddings",
        "SELECT COUNT(*) FROM classified",
    ):
        assert count(config, sql) == count(clean, sql), sql
    assert count(config, "SELECT COUNT(*) FROM embeddings") == count(config, "SELECT COUNT(*) FROM items") >= items
    with sqlite3.connect(config.parent / ".veille" / "veille.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.slow
def test_a_run_whose_model_fails_builds_no_digest_and_the_next_run_does(tmp_path: Path) -> None:
    """The digest is built once and never rebuilt: it must not be built from half-processed data."""
    from veille.adapters.store import FeedStore, Store
    from veille.app import make_app
    from veille.config import load
    from veille.core.normalize import content_hash
    from veille.errors import ModelError
    from veille.jobs.daily import run_daily
    from veille.models import FeedConfig, NewItem

    config = tmp_path / "feeds.yaml"
    config.write_text("feeds:\n  - url: http://127.0.0.1:9/feed.xml\n", encoding="utf-8")
    settings = load(config)
    published = datetime(2026, 11, 24, 9, tzinfo=UTC)
    with Store.open(settings.database) as store:
        feeds = FeedStore(store)
        feeds.sync_feeds([FeedConfig(url="http://127.0.0.1:9/feed.xml")], published)
        url = "https://news.example/mooc"
        item = NewItem(
            url,
            url,
            url,
            "A MOOC opens",
            "A free online course.",
            "",
            None,
            (),
            published,
            "en",
            content_hash("A MOOC opens", "A free online course.", url),
        )
        with store.transaction():
            feeds._store_items(feeds.feed_states()[0].id, [item], published)

    class BrokenModel:
        name = "broken"

        def embed(self, texts: object) -> object:
            raise ModelError("cannot load embedding model 'broken'")

    monday = datetime(2026, 11, 30, 9, tzinfo=UTC)
    report = run_daily(make_app(settings, now=monday, embedder_factory=lambda _s: BrokenModel()))
    assert report.exit_code == 1
    assert any("cannot load embedding model" in error for error in report.errors)
    assert report.digest_week is None
    assert not (settings.data_dir / "digests" / "2026-W48").exists()

    report = run_daily(make_app(settings, now=monday))  # the real model again: the digest catches up
    assert report.errors == [], report.errors
    assert report.digest_week == "2026-W48"
    assert (settings.data_dir / "digests" / "2026-W48" / "digest-2026-W48.html").is_file()
