"""A team's machines sharing one PostgreSQL database: two veille processes at once fetch each feed once
and send each digest once, and a connection lost mid-run is one clear line with nothing half written.

Real parts: two `python -m veille.cli` processes at once (each its own data folder, as two machines),
a PostgreSQL server started by the test session, a loopback feed server counting requests per feed
(each answer delayed so that the two processes overlap), an SMTP server (aiosmtpd) counting messages.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from aiosmtpd.controller import Controller

from tests.feedserver import FeedServer
from tests.postgres_server import storage_yaml
from tests.storage_support import rss
from tests.test_digest_mail import free_port
from tests.test_digest_support import FEEDS, WEEK, mark_processed, populate
from veille.adapters.storage.postgres import PostgresStore

NOW = "2026-11-25T06:00:00Z"
MONDAY = "2026-11-30T07:00:00Z"  # the Monday after WEEK: its digest is due
RECIPIENTS = ("dlm@example.org", "team-lead@example.org")


def spawn(config: Path, *args: str, now: str = NOW) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "veille.cli", "--config", str(config), "--now", now, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def machine(folder: Path, feeds: list[str], url: str, extra: str = "") -> Path:
    """One machine's watch folder: its own feeds.yaml and data folder, the shared database."""
    folder.mkdir(parents=True)
    config = folder / "feeds.yaml"
    lines = ["feeds:", *(f"  - url: {u}" for u in feeds)]
    config.write_text("\n".join(lines) + "\n" + storage_yaml(url) + extra, encoding="utf-8")
    return config


def count(url: str, sql: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(sql).fetchone()
        return int(row[0]) if row else 0


def test_two_machines_fetching_at_once_fetch_each_feed_once(tmp_path: Path, postgres_url: str) -> None:
    names = [f"feed{i}" for i in range(8)]
    with FeedServer({}) as server:
        for name in names:
            server.register(f"/{name}.xml", rss(name, 3))
        paths = [f"/delay/700/{name}.xml" for name in names]  # 8 feeds, 2 at a time per host: ~3 s of fetching
        urls = [server.url(path) for path in paths]
        configs = [machine(tmp_path / host, urls, postgres_url) for host in ("a", "b")]
        started = time.monotonic()
        runs = [spawn(config, "fetch") for config in configs]
        results = [run.communicate(timeout=300) for run in runs]
        elapsed = time.monotonic() - started
        for run, (_out, err) in zip(runs, results, strict=True):
            assert run.returncode == 0, err
            assert "Traceback" not in err
        # each feed was requested once in all, by one machine or the other
        assert {path: server.hits(path) for path in paths} == dict.fromkeys(paths, 1)
    assert count(postgres_url, "SELECT COUNT(*) FROM items") == 3 * len(names)
    assert count(postgres_url, "SELECT COUNT(*) FROM feed_events WHERE kind = 'ok'") == len(names)
    assert count(postgres_url, "SELECT COUNT(*) FROM feeds") == len(names)  # both synced feeds.yaml, one row each
    assert elapsed < 120


@dataclass
class SlowInbox:
    """An SMTP handler that takes a second per message (so two senders overlap) and keeps what it gets."""

    messages: list[tuple[tuple[str, ...], str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(1.0)
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((tuple(envelope.rcpt_tos), str(msg["Subject"])))
        return "250 Message accepted"


def test_two_machines_sending_the_digest_at_once_send_each_copy_once(tmp_path: Path, postgres_url: str) -> None:
    with PostgresStore.open(postgres_url) as store:
        populate(store)
        mark_processed(store)
    box = SlowInbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        mail = (
            f"mail:\n  host: 127.0.0.1\n  port: {port}\n  security: none\n  sender: veille@example.org\n"
            f"  recipients: [{', '.join(RECIPIENTS)}]\n"
        )
        feeds = [url for _id, _name, url, _lang in FEEDS]
        configs = [machine(tmp_path / host, feeds, postgres_url, mail) for host in ("a", "b")]
        runs = [spawn(config, "digest", "--send", now=MONDAY) for config in configs]
        results = [run.communicate(timeout=300) for run in runs]
    finally:
        controller.stop()
    for run, (_out, err) in zip(runs, results, strict=True):
        assert run.returncode == 0, err
    assert Counter(rcpt for rcpts, _ in box.messages for rcpt in rcpts) == dict.fromkeys(RECIPIENTS, 1)
    outs = sorted(out.strip().splitlines()[-1] for out, _ in results)
    assert outs == [
        f"digest {WEEK} (déjà enregistré) : envoyé à 0, déjà envoyé à 2",
        f"digest {WEEK} (enregistré maintenant) : envoyé à 2, déjà envoyé à 0",
    ]
    assert count(postgres_url, "SELECT COUNT(*) FROM digests") == 2  # the earlier week's and this one
    assert count(postgres_url, f"SELECT COUNT(*) FROM digest_sends WHERE week = '{WEEK}' AND sent_at IS NOT NULL") == 2


def test_a_connection_lost_mid_fetch_is_one_line_exit_1_and_nothing_half_written(
    tmp_path: Path, postgres_url: str
) -> None:
    with FeedServer({}) as server:
        server.register("/fast.xml", rss("fast", 2))
        server.register("/slow.xml", rss("slow", 4))
        config = machine(tmp_path / "a", [server.url("/fast.xml"), server.url("/delay/4000/slow.xml")], postgres_url)
        run = spawn(config, "fetch")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (
            count(postgres_url, "SELECT (to_regclass('items') IS NULL)::int") == 1
            or count(postgres_url, "SELECT COUNT(*) FROM items") < 2
        ):
            time.sleep(0.1)
        assert count(postgres_url, "SELECT COUNT(*) FROM items") == 2  # the fast feed is stored
        with psycopg.connect(postgres_url, autocommit=True) as admin:  # the server drops veille's connection
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND application_name = 'veille'"
            )
        _out, err = run.communicate(timeout=120)
    assert run.returncode == 1, err
    lines = err.strip().splitlines()  # the fast feed's line, then the error
    assert "Traceback" not in err and "psycopg" not in err
    assert [line for line in lines if "database" in line] == lines[-1:], err
    assert lines[-1].startswith("veille: error: database postgresql://veille@127.0.0.1:")
    assert "is unreachable" in lines[-1]
    # the slow feed's batch was never half stored: no item, no event, no fetch time for it
    assert count(postgres_url, "SELECT COUNT(*) FROM items") == 2
    assert count(postgres_url, "SELECT COUNT(*) FROM feeds WHERE last_fetch_at IS NOT NULL") == 1
