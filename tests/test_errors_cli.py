"""What a user sees when something goes wrong, through the real CLI: one line, the right exit code, no
traceback unless asked for with --debug; interruptions that say the next run resumes; setup mistakes that
are not mistaken for a retry; and the CLI speaking one language.

Real parts: `python -m veille.cli` subprocesses, a lock held by another process, a loopback feed server,
SQLite files, a loopback port with no mail server behind it.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.feedserver import FeedServer
from veille.cli import cli

LOCK_HOLDER = """
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from veille.adapters.lock import run_lock
with run_lock(Path(sys.argv[1]), datetime.now(UTC)):
    print("locked", flush=True)
    sys.stdin.read()
"""


def veille(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "veille.cli", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def config_file(folder: Path, text: str = "feeds: []\n") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------- tracebacks


def test_verbose_run_while_another_process_holds_the_lock_is_one_line_and_debug_adds_the_traceback(
    tmp_path: Path,
) -> None:
    config = config_file(tmp_path, "feeds: []\ndigest:\n  language: en\n")
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(tmp_path / ".veille" / "run.lock")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        for verbose in (["-v", "run"], ["run", "-v"]):
            done = veille("--config", str(config), *verbose)
            assert done.returncode == 1
            assert "Traceback" not in done.stderr
            errors = [line for line in done.stderr.splitlines() if "another veille run is in progress" in line]
            assert errors == [
                f"veille: error: another veille run is in progress (pid {holder.pid}, "
                f"started {errors[0].split('started ')[1]}"
            ], done.stderr
        config.write_text("feeds: []\ndigest:\n  language: fr\n", encoding="utf-8")
        french = veille("--config", str(config), "-v", "run")
        assert french.returncode == 1 and "Traceback" not in french.stderr
        assert (
            f"veille : erreur : une autre exécution de veille est en cours (pid {holder.pid}, started" in french.stderr
        )
        debug = veille("--config", str(config), "--debug", "run")
        assert debug.returncode == 1
        assert "Traceback (most recent call last)" in debug.stderr and "LockError" in debug.stderr
        assert debug.stderr.rstrip().splitlines()[-1].startswith("veille : erreur : une autre exécution")
    finally:
        holder.communicate("")
    log = (tmp_path / ".veille" / "logs" / "veille.log").read_text(encoding="utf-8")
    assert "another veille run is in progress" in log


@pytest.mark.parametrize("command", [["run"], ["-v", "run"], ["stats"], ["fetch"], ["-v", "process"]])
def test_a_storage_path_that_cannot_be_written_is_one_line_naming_storage_path(
    tmp_path: Path, command: list[str]
) -> None:
    # a folder inside a regular file: refused to root as well (chmod would not stop root)
    (tmp_path / "a-file").write_text("not a folder\n", encoding="utf-8")
    config = config_file(tmp_path, "feeds: []\nstorage:\n  path: a-file/data\ndigest:\n  language: en\n")
    done = veille("--config", str(config), *command)
    assert done.returncode == 1
    assert done.stdout == ""
    lines = [line for line in done.stderr.splitlines() if line.startswith("veille")]
    assert lines == [
        f"veille: error: storage.path {tmp_path / 'a-file' / 'data'}: cannot write there (Not a directory); "
        "set storage.path in feeds.yaml to a folder veille can write, or fix that folder's permissions"
    ], done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr


def test_the_storage_path_line_speaks_the_configured_language(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder\n", encoding="utf-8")
    config = config_file(tmp_path, "feeds: []\nstorage:\n  path: a-file/data\ndigest:\n  language: fr\n")
    code, out, err = invoke("--config", str(config), "run")
    assert code == 1 and out == ""
    assert err == (
        f"veille : erreur : storage.path {tmp_path / 'a-file' / 'data'} : impossible d'y écrire (Not a directory) ; "
        "indiquez dans feeds.yaml (storage.path) un dossier où veille peut écrire, ou corrigez les droits de ce "
        "dossier\n"
    )


def test_a_bug_is_one_line_asking_for_a_report_and_only_debug_shows_its_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import veille.jobs.stats

    def broken(_app: object) -> dict[str, int]:
        return {"items": 1 // 0}

    monkeypatch.setattr(veille.jobs.stats, "collect", broken)
    config = config_file(tmp_path)
    code, out, err = invoke("--config", str(config), "-v", "stats")
    assert code == 1 and out == ""
    assert err.splitlines() == [
        "veille : erreur interne : ZeroDivisionError : integer division or modulo by zero (relancez avec --debug "
        "pour le détail, et signalez-la)"
    ]  # digest.language defaults to fr: the CLI speaks it
    code, out, err = invoke("--config", str(config), "--debug", "stats")
    assert code == 1
    assert "Traceback (most recent call last)" in err and err.rstrip().endswith("et signalez-la)")


@pytest.mark.parametrize("args", [("feeds", "list"), ("--help",)])
def test_output_piped_to_a_reader_that_stops_early_is_no_error(tmp_path: Path, args: tuple[str, ...]) -> None:
    """``veille feeds list | head -1``: the reader closes the pipe before veille writes; veille stops
    quietly (exit 1, as click does for ``--help``), with no "internal error" line."""
    feeds = "".join(f"  - url: https://feed{n}.example/rss\n" for n in range(400))
    config = config_file(tmp_path, f"feeds:\n{feeds}")
    head = ["--config", str(config)] if args[0] != "--help" else []
    process = subprocess.Popen(
        [sys.executable, "-m", "veille.cli", *head, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # before Python has even started: every write of veille's finds no reader
    err = process.stderr.read()
    process.stderr.close()
    assert process.wait(timeout=120) == 1, err
    assert err == ""


# ------------------------------------------------------------------------------------------- signals


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_run_says_the_next_run_resumes_logs_the_signal_and_the_next_run_does(
    tmp_path: Path, signum: signal.Signals, code: int
) -> None:
    with FeedServer(slow_seconds=60) as server:
        slow = server.url("/slow")
        config = config_file(tmp_path, f"feeds:\n  - url: {slow}\ndigest:\n  language: en\n")
        lock = tmp_path / ".veille" / "run.lock"
        running = subprocess.Popen(
            [sys.executable, "-m", "veille.cli", "--config", str(config), "run"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while "pid" not in (lock.read_text() if lock.exists() else ""):
            assert running.poll() is None, running.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.3)  # inside the fetch, waiting for the slow feed
        started = time.monotonic()
        running.send_signal(signum)
        out, err = running.communicate(timeout=30)
        assert time.monotonic() - started < 20  # it stops, it does not wait for the slow feed
    assert running.returncode == code, err
    assert out == ""
    assert err.splitlines() == [
        f"veille: interrupted ({signum.name}); what was stored is kept: the next run resumes where this one stopped"
    ]
    log = (tmp_path / ".veille" / "logs" / "veille.log").read_text(encoding="utf-8")
    assert f"veille run interrupted by {signum.name}; the next run resumes" in log
    assert lock.read_text() == ""  # released on the way out

    # the next run (the slow feed answers at once now: another server) takes the lock and finishes
    with FeedServer() as server:
        config.write_text(f"feeds:\n  - url: {server.url('/missing')}\ndigest:\n  language: en\n", encoding="utf-8")
        done = veille("--config", str(config), "-v", "run")
    assert done.returncode == 3, done.stderr  # the one feed is a 404: partial, but the run went through
    assert "veille run partial: 1 feed polled (1 failed)" in done.stderr


def test_ctrl_c_in_any_command_is_exit_130_with_the_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import veille.jobs.stats

    def interrupted(_app: object) -> dict[str, int]:
        raise KeyboardInterrupt

    monkeypatch.setattr(veille.jobs.stats, "collect", interrupted)
    config = config_file(tmp_path, "feeds: []\ndigest:\n  language: fr\n")
    code, out, err = invoke("--config", str(config), "stats")
    assert code == 130 and out == ""
    assert err.startswith("veille : interrompu (SIGINT)") and "la prochaine exécution reprend" in err


# ------------------------------------------------------------------------------------- setup errors


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _store_one_item(config: Path, url: str = "https://news.example/mooc", title: str = "A MOOC opens") -> None:
    from veille.adapters.store import FeedStore, Store
    from veille.config import load
    from veille.core.normalize import content_hash
    from veille.models import FeedConfig, NewItem

    settings = load(config, environ={})
    published = datetime(2026, 11, 24, 9, tzinfo=UTC)
    with Store.open(settings.database) as store:
        feeds = FeedStore(store)
        feeds.sync_feeds([FeedConfig(url="http://127.0.0.1:9/feed.xml")], published)
        summary = f"{title}: news for learning designers, published on a real feed."
        item = NewItem(url, url, url, title, summary, "", None, (), published, "en", content_hash(title, summary, url))
        with store.transaction():
            feeds._store_items(feeds.feed_states()[0].id, [item], published)


@pytest.mark.slow
def test_a_missing_password_variable_fails_the_run_while_a_refused_send_stays_partial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = _closed_port()
    mail = (
        "mail:\n  host: 127.0.0.1\n  port: {port}\n  security: none\n{login}"
        "  sender: veille@example.org\n  recipients: [dlm@example.org]\n"
    )
    login = "  username: veille@example.org\n  password_env: VEILLE_TEST_UNSET_PASSWORD\n"
    base = "feeds: []\ndigest:\n  language: en\n  hour: 6\n"
    config = config_file(tmp_path, base + mail.format(port=port, login=login))
    _store_one_item(config)
    monkeypatch.delenv("VEILLE_TEST_UNSET_PASSWORD", raising=False)

    # 1. the password variable is not set: a setup mistake, exit 1 (not 3, which the systemd unit accepts)
    code, out, err = invoke("--config", str(config), "--now", "2026-11-30T07:00:00Z", "run")
    assert code == 1, err
    assert "Traceback" not in err
    assert (
        "digest 2026-W48 not sent (still queued): the environment variable VEILLE_TEST_UNSET_PASSWORD (named by "
        "mail.password_env) is not set" in err
    )
    assert "veille run failed:" in err and "digest 2026-W48 queued" in err

    # 2. set up right, but the mail server refuses the connection: transient, exit 3, still queued
    config.write_text(base + mail.format(port=port, login=""), encoding="utf-8")
    code, out, err = invoke("--config", str(config), "--now", "2026-11-30T08:00:00Z", "run")
    assert code == 3 and out == "", err
    assert "connection refused" in err and "the next run retries" in err
    assert "veille run partial:" in err and "digest 2026-W48 queued" in err


# ------------------------------------------------------------------------------------ one language


def test_themes_defaults_to_the_last_complete_week_like_digest_in_the_configured_language(tmp_path: Path) -> None:
    wednesday = "2026-12-02T09:00:00Z"  # in 2026-W49: the last complete week is 2026-W48
    english = config_file(tmp_path / "en", "feeds: []\ndigest:\n  language: en\n")
    code, out, _ = invoke("--config", str(english), "--now", wednesday, "themes")
    assert code == 0
    assert out == "2026-W48: no story that week, so no theme\n"  # not "run veille process": there is nothing
    code, out, _ = invoke("--config", str(english), "--now", wednesday, "themes", "--json")
    assert out.startswith('{"week": "2026-W48"')
    french = config_file(tmp_path / "fr", "feeds: []\ndigest:\n  language: fr\n")
    code, out, _ = invoke("--config", str(french), "--now", wednesday, "themes")
    assert out == "2026-W48 : aucun sujet cette semaine-là, donc aucun thème\n"


def test_stats_and_the_run_summary_speak_the_configured_language_and_english_without_one(tmp_path: Path) -> None:
    english = config_file(tmp_path / "en", "feeds: []\ndigest:\n  language: en\n")
    code, out, _ = invoke("--config", str(english), "stats")
    assert "items: 0" in out and "digests sent: 0" in out and "articles" not in out
    code, out, _ = invoke("--config", str(english), "--now", "2026-11-28T06:00:00Z", "-v", "run")
    assert out.startswith("veille run ok: 0 feeds polled (0 failed), 0 new items, 0 embedded")
    french = config_file(tmp_path / "fr", "feeds: []\ndigest:\n  language: fr\n")
    code, out, _ = invoke("--config", str(french), "stats")
    assert "articles : 0" in out and "digests envoyés : 0" in out and "items" not in out
    code, out, _ = invoke("--config", str(french), "--now", "2026-11-28T06:00:00Z", "-v", "run")
    assert code == 0
    assert out.startswith("veille run ok : 0 flux interrogé (0 en échec), 0 nouvel article, 0 vectorisé")
    # the log file keeps one language, whatever the terminal speaks
    log = (tmp_path / "fr" / ".veille" / "logs" / "veille.log").read_text(encoding="utf-8")
    assert "veille run ok: 0 feeds polled" in log


def test_every_status_line_speaks_the_configured_language(tmp_path: Path) -> None:
    url = "https://example.org/feed.xml"
    for lang, added, removed, fetched in (
        ("en", f"added {url} to", f"removed {url} from", "0 feeds polled: 0 new items, 0 failed"),
        ("fr", f"{url} ajouté à", f"{url} retiré de", "0 flux interrogé : 0 nouvel article, 0 en échec"),
    ):
        config = config_file(tmp_path / lang, f"feeds: []\ndigest:\n  language: {lang}\n")
        assert invoke("--config", str(config), "feeds", "add", url)[1].startswith(added)
        assert invoke("--config", str(config), "feeds", "remove", url)[1].startswith(removed)
        assert invoke("--config", str(config), "--now", "2026-11-28T06:00:00Z", "fetch")[1].strip() == fetched


def test_ctrl_c_before_any_command_runs_exits_130_with_the_resume_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import veille.cli

    def interrupted(*_args: object) -> None:
        raise KeyboardInterrupt  # the user's Ctrl-C while the options are read, outside any command

    monkeypatch.setattr(veille.cli, "setup_logging", interrupted)
    monkeypatch.setattr(sys, "argv", ["veille", "stats"])
    with pytest.raises(SystemExit) as stopped:
        veille.cli.main()
    assert stopped.value.code == 130
    assert "interrupted (SIGINT)" in capsys.readouterr().err
    monkeypatch.setattr(sys, "argv", ["veille", "--no-such-option"])
    with pytest.raises(SystemExit) as usage:
        veille.cli.main()
    assert usage.value.code == 2  # click's usage errors keep their message and exit code
    assert "No such option" in capsys.readouterr().err


def test_process_summarises_many_weeks_as_a_range() -> None:
    from veille.core.weeks import shift_week
    from veille.jobs.process import ProcessReport

    weeks = tuple(shift_week("2020-W01", n) for n in range(350))
    line = ProcessReport(
        embedded=1371, classified=1371, stories_new=900, items_grouped=1371, weeks_clustered=weeks
    ).summary("en")
    assert line == (
        f"1371 items embedded, 1371 tagged, 1371 grouped into 900 new stories, weeks clustered: "
        f"2020-W01 to {weeks[-1]} (350 weeks)"
    )
    assert (
        ProcessReport(weeks_clustered=("2026-W47", "2026-W48"))
        .summary("en")
        .endswith("weeks clustered: 2026-W47, 2026-W48")
    )
    assert ProcessReport().summary("fr").endswith("semaines regroupées en thèmes : aucune")


def test_embedding_reports_its_progress_batch_by_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the progress bar of `veille process` shows on a terminal (a fake model: only the counting is tested)."""
    import numpy as np

    import veille.jobs.process
    from veille.app import make_app
    from veille.config import load

    config = config_file(tmp_path)
    _store_one_item(config)
    _store_one_item(config, url="https://news.example/vr", title="VR headsets for nurses")
    _store_one_item(config, url="https://news.example/ai", title="An AI tutor for maths")

    class Fake:
        name = "fake"

        def embed(self, texts: list[str]) -> object:
            return np.ones((len(texts), 8), dtype=np.float32)

    monkeypatch.setattr(veille.jobs.process, "EMBED_BATCH", 2)
    app = make_app(load(config, environ={}), embedder_factory=lambda _s: Fake())
    seen: list[tuple[int, int]] = []
    try:
        assert veille.jobs.process.embed_new(app, lambda done, total: seen.append((done, total))) == 3
    finally:
        app.close()
    assert seen == [(0, 3), (2, 3), (3, 3)]


def test_a_yaml_indentation_error_names_the_line_and_says_what_to_check(tmp_path: Path) -> None:
    config = config_file(tmp_path, "feeds:\n  - url: https://example.org/feed\n    name: Example\n   lang: en\n")
    code, out, err = invoke("--config", str(config), "stats")
    assert code == 1 and out == ""
    assert err == (
        f"veille: error: {config}:4: YAML indentation error: check the indentation here: `lang: en` is not aligned "
        "with the lines above it (settings nest by their indentation, in spaces)\n"
    )
    assert "<block" not in err


# ---------------------------------------------------------------------------------------------- init


@pytest.mark.parametrize("full", [False, True])
def test_init_writes_a_file_that_loads_and_whose_comments_stand_on_their_own(tmp_path: Path, full: bool) -> None:
    from veille.config import TOP_LEVEL_KEYS, load, reference_config, starter_config

    folder = tmp_path / "mywatch"
    code, out, err = invoke("init", str(folder), *(["--full"] if full else []))
    assert code == 0, err
    target = folder / "feeds.yaml"
    assert out.startswith(f"wrote {target}\n")
    text = target.read_text(encoding="utf-8")
    assert text == (reference_config() if full else starter_config())
    settings = load(target, environ={})  # veille's own loader
    assert len(settings.feeds) >= (25 if full else 5)
    comments = "\n".join(line for line in text.splitlines() if line.lstrip().startswith("#") or " # " in line)
    # pip users have no repository: nothing may send them to one, or to a file they do not have
    for pointer in ("repository", "README", "github", "../", "the repo"):
        assert pointer.lower() not in comments.lower(), pointer
    if full:  # the reference shows every section
        for key in TOP_LEVEL_KEYS:
            assert f"\n{key}:" in text or f"\n# {key}:" in text, key
    else:
        assert "`veille init --full" in text  # where the full reference is

    code, _out, err = invoke("init", str(folder))
    assert code == 1 and "already exists; veille init never overwrites" in err


@pytest.mark.slow
def test_process_shows_embedding_progress_on_a_terminal_only(tmp_path: Path) -> None:
    """`veille process` on 600 items with stderr on a real pseudo-terminal: a progress bar there, the
    summary alone on stdout; the same command with stderr on a pipe prints no bar."""
    import os
    import pty
    import select

    config = config_file(tmp_path, "feeds: []\ndigest:\n  language: en\n")
    _store_many_items(config, 600)
    command = [sys.executable, "-m", "veille.cli", "--config", str(config), "--now", "2026-11-30T06:00:00Z", "process"]
    controller, terminal = pty.openpty()
    running = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=terminal, env={**os.environ, "COLUMNS": "100"})
    os.close(terminal)
    shown = b""
    while True:
        ready, _, _ = select.select([controller], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the other end closed
                break
            if not chunk:
                break
            shown += chunk
        elif running.poll() is not None:
            break
    os.close(controller)
    out = running.communicate(timeout=60)[0].decode()
    assert running.returncode == 0
    assert out.startswith("600 items embedded, 600 tagged, 600 grouped into ")
    assert out.endswith(" new stories, weeks clustered: 2026-W45 to 2026-W48 (4 weeks)\n")
    assert out.count("\n") == 1
    screen = shown.decode("utf-8", "replace")
    assert "embedding" in screen and "%" in screen, screen[-500:]

    # stderr on a pipe: no bar, nothing but the summary (nothing new to embed the second time)
    again = veille("--config", str(config), "--now", "2026-11-30T06:00:00Z", "process")
    assert again.returncode == 0
    assert again.stderr == "" and again.stdout.startswith("0 items embedded, 0 tagged, 0 grouped into 0 new stories")


def _store_many_items(config: Path, count: int) -> None:
    from veille.adapters.store import FeedStore, Store
    from veille.config import load
    from veille.core.normalize import content_hash
    from veille.models import FeedConfig, NewItem

    settings = load(config, environ={})
    start = datetime(2026, 11, 2, 9, tzinfo=UTC)
    items = []
    for index in range(count):
        url = f"https://news.example/{index}"
        title = f"Story {index} about learning topic {index % 17}"
        summary = f"{title}: what happened, for learning designers."
        published = start + timedelta(hours=index)
        items.append(
            NewItem(url, url, url, title, summary, "", None, (), published, "en", content_hash(title, summary, url))
        )
    with Store.open(settings.database) as store:
        feeds = FeedStore(store)
        feeds.sync_feeds([FeedConfig(url="http://127.0.0.1:9/feed.xml")], start)
        with store.transaction():
            feeds._store_items(feeds.feed_states()[0].id, items, start)


def test_summary_lines_agree_with_their_counts_in_each_language(tmp_path: Path) -> None:
    """No "flux lu(s)" or "feed(s)": each count takes its own plural, French's singular for 0 and 1, and the
    fetch line says the feeds were polled, not read, when every one of them failed."""
    port = _closed_port()
    one = f"  - url: http://127.0.0.1:{port}/one.xml\n"
    two = one + f"  - url: http://127.0.0.1:{port}/two.xml\n"
    now = "2026-11-28T06:00:00Z"
    for lang, feeds, fetched, wrote in (
        ("fr", one, "1 flux interrogé : 0 nouvel article, 1 en échec", "1 flux écrit dans"),
        ("fr", two, "2 flux interrogés : 0 nouvel article, 2 en échec", "2 flux écrits dans"),
        ("en", one, "1 feed polled: 0 new items, 1 failed", "wrote 1 feed to"),
        ("en", two, "2 feeds polled: 0 new items, 2 failed", "wrote 2 feeds to"),
    ):
        folder = tmp_path / f"{lang}{feeds.count('url')}"
        config = config_file(folder, f"feeds:\n{feeds}digest:\n  language: {lang}\n")
        code, out, _ = invoke("--config", str(config), "--now", now, "fetch")
        assert code == 3 and out.strip() == fetched
        code, out, _ = invoke("--config", str(config), "opml", "export", str(folder / "feeds.opml"))
        assert code == 0 and out.startswith(wrote)
        assert "(s)" not in out
