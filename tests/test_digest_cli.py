"""`veille digest` on the command line: which weeks it accepts, which options go together, and what a
preview, a send and a rebuild record (a real SQLite file, a real SMTP server on loopback)."""

from __future__ import annotations

import email
import email.policy
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from tests.test_digest_mail import Inbox, free_port
from tests.test_digest_support import FEEDS, WEEK, mark_processed, populate, story
from veille.adapters.store import Store
from veille.cli import cli

NOW = "2027-01-28T06:00:00Z"  # a Thursday of 2027-W04
MONDAY = "2026-11-30T07:00:00Z"  # the Monday after WEEK (2026-W48)
RECIPIENTS = ("dlm@example.org", "team-lead@example.org")


def digest(tmp_path: Path, *args: str, now: str = NOW) -> tuple[int, str, str]:
    config = tmp_path / "feeds.yaml"
    if not config.exists():
        config.write_text("feeds: []\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "--now", now, "digest", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def archived_weeks(tmp_path: Path) -> list[str]:
    folder = tmp_path / ".veille" / "digests"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def preview_weeks(tmp_path: Path) -> list[str]:
    folder = tmp_path / ".veille" / "previews"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_a_week_that_has_not_ended_is_refused_in_one_line_and_nothing_is_written(tmp_path: Path) -> None:
    for week in ("2027-W05", "2027-W04"):  # a future week, then the current one
        for mode in ((), ("--dry-run",), ("--send",), ("--rebuild",)):
            code, out, err = digest(tmp_path, "--week", week, *mode)
            assert code == 1
            assert out == ""
            assert err.startswith(f"veille : erreur : la semaine {week} n'est pas terminée")
            assert len(err.strip().splitlines()) == 1
    assert archived_weeks(tmp_path) == [] and preview_weeks(tmp_path) == []


def test_the_last_complete_week_is_previewed_by_default_and_by_name(tmp_path: Path) -> None:
    code, out, err = digest(tmp_path)
    assert code == 0, err
    assert "semaine 3" in out
    # at Monday 00:00 UTC the week that just ended is complete
    code, out, err = digest(tmp_path, "--week", "2027-W04", now="2027-02-01T00:00:00Z")
    assert code == 0, err
    assert preview_weeks(tmp_path) == ["2027-W03", "2027-W04"]
    assert archived_weeks(tmp_path) == []  # previews are not the archive of recorded digests


def test_exclusive_options_are_a_usage_error(tmp_path: Path) -> None:
    for other in ("--send", "--rebuild"):
        code, _out, err = digest(tmp_path, "--week", "2027-W03", other, "--dry-run")
        assert code == 2
        assert f"{other} and --dry-run exclude each other" in err
    assert archived_weeks(tmp_path) == [] and preview_weeks(tmp_path) == []


# ------------------------------------------------------------------------------------- preview, send, rebuild


@pytest.fixture
def inbox() -> Iterator[tuple[int, Inbox]]:
    box = Inbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, box
    controller.stop()


def week_folder(tmp_path: Path, feeds: list[str], smtp_port: int) -> Path:
    """A watch folder: feeds.yaml (the given feeds, mail to a loopback server) and the populated week."""
    write_config(tmp_path, feeds, smtp_port)
    with Store.open(tmp_path / ".veille" / "veille.db") as store:
        populate(store)
    return tmp_path


def write_config(tmp_path: Path, feeds: list[str], smtp_port: int) -> None:
    lines = ["feeds:", *(f"  - url: {url}" for url in feeds)]
    lines += [
        "mail:",
        "  host: 127.0.0.1",
        f"  port: {smtp_port}",
        "  security: none",
        "  sender: veille@example.org",
        f"  recipients: [{', '.join(RECIPIENTS)}]",
    ]
    (tmp_path / "feeds.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def rows(tmp_path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(tmp_path / ".veille" / "veille.db") as conn:
        return [tuple(row) for row in conn.execute(sql, (WEEK,))]


def recorded(tmp_path: Path) -> tuple[int, int, int]:
    """(digests, claimed stories, sends) stored for the week."""
    return (
        len(rows(tmp_path, "SELECT week FROM digests WHERE week = ?")),
        len(rows(tmp_path, "SELECT story_id FROM digest_stories WHERE week = ?")),
        len(rows(tmp_path, "SELECT recipient FROM digest_sends WHERE week = ?")),
    )


def add_late_story(tmp_path: Path, *, processed: bool = True) -> None:
    """A story of the week fetched late (after a preview), then processed as `veille process` would."""
    with Store.open(tmp_path / ".veille" / "veille.db") as store:
        with store.transaction() as conn:
            story(
                conn,
                70,
                "Late arrival: a consortium opens 300 free courses",
                "https://www.edsurge.com/news/late",
                "Late.",
                [1, 2, 3, 4, 5, 6],
                "2026-11-29T20:00:00+00:00",
            )
        if processed:
            mark_processed(store)


def site_digests(folder: Path) -> list[str]:
    """The weeks whose digest the static site links to."""
    result = CliRunner().invoke(cli, ["--config", str(folder / "feeds.yaml"), "--now", MONDAY, "site"])
    assert result.exit_code == 0, result.output
    return sorted(p.stem for p in (folder / ".veille" / "site" / "digests").glob("*.html"))


def received(box: Inbox) -> list[tuple[tuple[str, ...], str]]:
    out = []
    for recipients, msg in box.messages:
        plain = msg.get_body(("plain",))
        assert plain is not None
        out.append((recipients, str(plain.get_content())))
    return out


def test_a_preview_or_dry_run_records_nothing_and_the_next_send_shows_the_week_as_it_is_then(
    tmp_path: Path, inbox: tuple[int, Inbox]
) -> None:
    port, box = inbox
    folder = week_folder(tmp_path, [url for _id, _name, url, _lang in FEEDS], port)

    code, out, err = digest(folder, now=MONDAY)
    assert code == 0, err
    preview = folder / ".veille" / "previews" / WEEK
    assert f"html: {preview / f'digest-{WEEK}.html'}" in out
    assert "12 sujets dans le digest" in out
    assert out.rstrip().endswith(
        "aperçu seulement, rien d'enregistré ni d'envoyé : le digest de 2026-W48 n'est pas encore enregistré "
        "(--send l'enregistre et l'envoie)"
    )
    assert "AI tutors reach 40 community colleges" in (preview / f"digest-{WEEK}.txt").read_text(encoding="utf-8")
    assert recorded(folder) == (0, 0, 0)

    code, out, err = digest(folder, "--dry-run", "--out", str(tmp_path / "out"), now=MONDAY)
    assert code == 0, err
    assert (tmp_path / "out" / WEEK / f"digest-{WEEK}.eml").is_file()
    assert out.rstrip().endswith(
        "essai, rien d'enregistré ni d'envoyé : le digest de 2026-W48 n'est pas encore enregistré ; "
        "--send l'enverrait à 2 destinataires"
    )
    assert recorded(folder) == (0, 0, 0) and box.messages == [] and archived_weeks(folder) == []
    assert site_digests(folder) == []  # the site shows recorded digests only (last week's has no file here)

    add_late_story(folder)  # the week was not frozen by the previews: the send shows the late story
    code, out, err = digest(folder, "--send", now=MONDAY)
    assert code == 0, err
    assert out.rstrip().endswith("digest 2026-W48 (enregistré maintenant) : envoyé à 2, déjà envoyé à 0")
    assert sorted(r for r, _ in received(box)) == [(r,) for r in RECIPIENTS]
    assert all("Late arrival: a consortium opens 300 free courses" in text for _, text in received(box))
    assert recorded(folder) == (1, 13, 2)
    assert site_digests(folder) == ["2026-W48"]

    code, out, err = digest(folder, "--send", now="2026-11-30T09:00:00Z")  # nothing is sent twice
    assert code == 0, err
    assert out.rstrip().endswith("digest 2026-W48 (déjà enregistré) : envoyé à 0, déjà envoyé à 2")
    assert len(box.messages) == 2

    code, out, err = digest(folder, "--rebuild", now="2026-11-30T09:00:00Z")  # a digest received stays
    assert code == 1 and out == ""
    assert err == (
        "veille: error: the digest of 2026-W48 was already sent to 2 recipients "
        "(dlm@example.org, team-lead@example.org): a digest someone received is never rebuilt\n"
    )
    assert recorded(folder) == (1, 13, 2)

    code, out, err = digest(folder, now="2026-11-30T09:00:00Z")  # a preview of a recorded week shows it
    assert code == 0, err
    assert out.rstrip().endswith(
        "aperçu seulement, rien d'enregistré ni d'envoyé : le digest de 2026-W48 est enregistré (envoyé à 2)"
    )


def test_a_week_not_processed_yet_is_refused_in_one_line_and_nothing_is_recorded(
    tmp_path: Path, inbox: tuple[int, Inbox]
) -> None:
    port, box = inbox
    folder = week_folder(tmp_path, [url for _id, _name, url, _lang in FEEDS], port)
    with Store.open(folder / ".veille" / "veille.db") as store, store.transaction() as conn:
        # fetched, not processed yet: no story, no theme
        conn.execute(
            "INSERT INTO items (id, canonical_url, content_hash, url, title, summary, html, published_at,"
            " first_seen_at, lang, feed_id) VALUES (900, 'https://x.example/a', 'h900', 'https://x.example/a',"
            " 'Fetched but not processed', '', '', '2026-11-27T09:00:00+00:00', '2026-11-27T09:00:00+00:00', 'en', 1)"
        )
    for mode in ((), ("--dry-run",), ("--send",)):
        code, out, err = digest(folder, *mode, now=MONDAY)
        assert (code, out) == (1, ""), err
        assert err == (
            "veille: error: week 2026-W48 is not processed yet (1 of its items is not grouped into stories): "
            "run `veille process` first\n"
        )
    assert recorded(folder) == (0, 0, 0) and box.messages == []
    assert preview_weeks(folder) == [] and archived_weeks(folder) == []


def test_rebuild_builds_again_a_digest_nobody_received_and_the_next_send_sends_that_one(
    tmp_path: Path, inbox: tuple[int, Inbox]
) -> None:
    port, box = inbox
    folder = week_folder(tmp_path, [url for _id, _name, url, _lang in FEEDS], port)
    code, out, err = digest(folder, "--rebuild", now=MONDAY)
    assert (code, out) == (1, "")
    assert "the digest of 2026-W48 was never recorded, so there is nothing to rebuild: --send records it" in err

    box.refuse = True  # the server is busy: recorded, queued, nobody has it
    code, out, err = digest(folder, "--send", now=MONDAY)
    assert code == 3
    assert "still queued for 2 recipients" in err
    first_id = rows(folder, "SELECT message_id FROM digests WHERE week = ?")[0][0]
    assert recorded(folder) == (1, 12, 2)

    add_late_story(folder, processed=False)
    code, out, err = digest(folder, "--rebuild", now="2026-11-30T09:00:00Z")
    assert (code, out) == (1, "")
    assert "week 2026-W48 is not processed yet" in err
    assert rows(folder, "SELECT message_id FROM digests WHERE week = ?")[0][0] == first_id  # kept as it was

    with Store.open(folder / ".veille" / "veille.db") as store:
        mark_processed(store)
    code, out, err = digest(folder, "--rebuild", now="2026-11-30T09:00:00Z")
    assert code == 0, err
    assert "13 sujets dans le digest" in out
    assert out.rstrip().endswith("digest 2026-W48 reconstruit et enregistré ; rien d'envoyé (--send l'envoie)")
    archive = folder / ".veille" / "digests" / WEEK / f"digest-{WEEK}.txt"
    assert "Late arrival: a consortium opens 300 free courses" in archive.read_text(encoding="utf-8")
    assert rows(folder, "SELECT message_id FROM digests WHERE week = ?")[0][0] != first_id
    assert recorded(folder) == (1, 13, 0)

    box.refuse = False
    code, out, err = digest(folder, "--send", now="2026-11-30T10:00:00Z")
    assert code == 0, err
    assert len(box.messages) == 2
    assert all("Late arrival: a consortium opens 300 free courses" in text for _, text in received(box))
    msg = email.message_from_bytes(archive.with_suffix(".eml").read_bytes(), policy=email.policy.default)
    assert {m["Message-ID"] for _, m in box.messages} == {msg["Message-ID"]}
    assert msg["Date"] == "Mon, 30 Nov 2026 09:00:00 +0000"  # the rebuild's date


def test_a_send_that_cannot_start_records_nothing(tmp_path: Path) -> None:
    (tmp_path / "feeds.yaml").write_text("feeds: []\n", encoding="utf-8")  # no mail section
    with Store.open(tmp_path / ".veille" / "veille.db") as store:
        populate(store)
    code, out, err = digest(tmp_path, "--send", now=MONDAY)
    assert (code, out) == (1, "")
    assert err == (
        "veille: error: mail is not configured: set mail.host (and mail.sender, mail.recipients) in feeds.yaml\n"
    )
    assert recorded(tmp_path) == (0, 0, 0) and archived_weeks(tmp_path) == []


def test_a_feed_removed_from_feeds_yaml_leaves_the_source_health_list(tmp_path: Path, inbox: tuple[int, Inbox]) -> None:
    port, _box = inbox
    everything = [url for _id, _name, url, _lang in FEEDS]
    # eLearning Industry, in error during the week, was removed from feeds.yaml since
    folder = week_folder(tmp_path, [url for _id, name, url, _lang in FEEDS if name != "eLearning Industry"], port)
    preview = folder / ".veille" / "previews" / WEEK / f"digest-{WEEK}.txt"

    def health() -> tuple[str, str]:
        code, _out, err = digest(folder, now=MONDAY)
        assert code == 0, err
        text = preview.read_text(encoding="utf-8")
        return text[: text.index("Santé des sources")], text[text.index("Santé des sources") :]

    stories, feeds = health()
    assert "ActuEL RH Formation — supprimé (410)" in feeds and "Learning Solutions — déplacé" in feeds
    assert "eLearning Industry" not in feeds
    assert "eLearning Industry" in stories  # the stories it carried still name it

    # the same once the database knows it (a fetch marks the feed removed), whatever feeds.yaml lists
    with sqlite3.connect(folder / ".veille" / "veille.db") as conn:
        conn.execute("UPDATE feeds SET status = 'removed' WHERE name = 'eLearning Industry'")
    write_config(folder, everything, port)
    stories, feeds = health()
    assert "eLearning Industry" not in feeds and "ActuEL RH Formation — supprimé (410)" in feeds


def test_a_send_whose_password_variable_is_unset_is_an_error_not_a_retry(
    tmp_path: Path, inbox: tuple[int, Inbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exit 3 means "the next run retries"; an unset password variable never fixes itself, so it is 1."""
    port, box = inbox
    week_folder(tmp_path, [url for _id, _name, url, _lang in FEEDS], port)
    config = tmp_path / "feeds.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text + "  username: veille\n  password_env: VEILLE_TEST_SMTP_PASSWORD\n", encoding="utf-8")
    monkeypatch.delenv("VEILLE_TEST_SMTP_PASSWORD", raising=False)
    code, _out, err = digest(tmp_path, "--send", now=MONDAY)
    assert code == 1
    assert "VEILLE_TEST_SMTP_PASSWORD" in err and "Traceback" not in err
    assert box.messages == []
    # checked before anything is recorded: once the variable is set, the same command records and sends it
    assert recorded(tmp_path) == (0, 0, 0)
