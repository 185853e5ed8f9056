"""Mail lists (feeds.yaml ``mail.lists``): each list its own digest, of its audience's and the general
stories, in its language, sent once per list and recipient to a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.test_digest_mail import ENV, Inbox, app_for, certificate, client_context, mail_settings, smtp_server
from tests.test_digest_support import NOW, WEEK, make_settings, populate
from veille.adapters.store import Store
from veille.config import loads
from veille.errors import ConfigError
from veille.jobs.digest import send_digest
from veille.models import MailList

__all__ = ["certificate", "smtp_server"]  # fixtures used below

CORPORATE = MailList("rh", "corporate", ("rh1@example.org", "rh2@example.org"), "fr")
HIGHER_ED = MailList("campus", "higher-ed", ("campus@example.org",), "en")


def set_audiences(store: Store) -> None:
    """Two stories for corporate L&D, one for higher education; the others stay general."""
    audiences = {
        "Chatbots for onboarding: a field report": "corporate",
        "Digital credentials in corporate academies": "corporate",
        "AI tutors reach 40 community colleges": "higher-ed",
    }
    with store.transaction() as conn:
        for title, audience in audiences.items():
            conn.execute(
                "INSERT INTO item_audiences (item_id, audience, source, score, signature)"
                " SELECT id, ?, 'text', 0.9, 's' FROM items WHERE title = ?",
                (audience, title),
            )


def test_two_lists_get_their_own_digest_in_their_language_once_per_recipient(
    smtp_server: tuple[Controller, Inbox], certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    controller, inbox = smtp_server
    settings = make_settings(tmp_path, mail=mail_settings(controller.port, recipients=(), lists=(CORPORATE, HIGHER_ED)))
    with Store.open(settings.database) as store:
        populate(store)
        set_audiences(store)
        report = send_digest(
            app_for(store, settings, NOW, env=ENV, context=client_context(certificate)), WEEK, dry_run=False
        )
        assert sorted(report.list_sent) == [
            ("campus", "campus@example.org"),
            ("rh", "rh1@example.org"),
            ("rh", "rh2@example.org"),
        ]
        assert len(inbox.messages) == 3
        # a rerun sends nothing: every list and recipient is recorded as sent
        again = send_digest(
            app_for(store, settings, NOW, env=ENV, context=client_context(certificate)), WEEK, dry_run=False
        )
        assert again.list_sent == () and len(again.list_already_sent) == 3
        rows = store.conn.execute("SELECT list, recipient, sent_at FROM digest_list_sends ORDER BY 1, 2").fetchall()
        assert [(r[0], r[1]) for r in rows] == [
            ("campus", "campus@example.org"),
            ("rh", "rh1@example.org"),
            ("rh", "rh2@example.org"),
        ] and all(r[2] for r in rows)
    assert len(inbox.messages) == 3
    by_rcpt = {rcpts[0]: msg for rcpts, msg in inbox.messages}
    assert sorted(by_rcpt) == ["campus@example.org", "rh1@example.org", "rh2@example.org"]

    def text(recipient: str) -> str:
        body = by_rcpt[recipient].get_body(("plain",))
        assert body is not None
        return str(body.get_content())

    corporate, campus = text("rh1@example.org"), text("campus@example.org")
    assert text("rh2@example.org") == corporate  # one digest per list
    assert by_rcpt["rh1@example.org"]["Subject"].startswith("Veille digital learning — semaine 48")
    assert by_rcpt["campus@example.org"]["Subject"].startswith("Digital learning watch — week 48")
    assert by_rcpt["rh1@example.org"]["To"] == "rh1@example.org, rh2@example.org"
    assert by_rcpt["campus@example.org"]["Message-ID"] != by_rcpt["rh1@example.org"]["Message-ID"]
    # each list has its audience's stories and the general ones, not the other list's
    assert "Chatbots for onboarding: a field report" in corporate
    assert "Chatbots for onboarding: a field report" not in campus
    assert "AI tutors reach 40 community colleges" in campus
    assert "AI tutors reach 40 community colleges" not in corporate
    assert "Migrating 20,000 learners to a new LMS" in corporate and "Migrating 20,000 learners to a new LMS" in campus


def test_mail_lists_are_read_from_feeds_yaml_and_checked(tmp_path: Path) -> None:
    head = "feeds:\n  - https://a.example/feed.xml\nmail:\n  host: smtp.example.org\n  sender: v@example.org\n"
    settings = loads(
        head
        + "  recipients: [all@example.org]\n  lists:\n"
        + "    - {name: rh, audience: corporate, recipients: [rh@example.org], language: fr}\n"
        + "    - name: campus\n      audience: higher-ed\n      recipients: campus@example.org\n",
        tmp_path / "feeds.yaml",
        environ={},
    )
    assert settings.mail.recipients == ("all@example.org",)
    assert settings.mail.lists == (
        MailList("rh", "corporate", ("rh@example.org",), "fr"),
        MailList("campus", "higher-ed", ("campus@example.org",), None),
    )
    with pytest.raises(ConfigError) as info:
        loads(
            head + "  lists:\n    - {name: rh, audience: managers, recipients: [rh@example.org]}\n",
            tmp_path / "feeds.yaml",
            environ={},
        )
    assert "lists[1].audience" in str(info.value) and "managers" in str(info.value)
    assert ":7:" in str(info.value)


class PickyInbox(Inbox):
    """Refuses one address while ``refuse`` is set."""

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        if self.refuse and "rh2@example.org" in envelope.rcpt_tos:  # type: ignore[attr-defined]
            return "451 4.3.0 Mailbox busy, try again later"
        self.refuse, refuse = False, self.refuse
        try:
            return await super().handle_DATA(server, session, envelope)
        finally:
            self.refuse = refuse


def test_a_refused_list_recipient_is_retried_alone(certificate: tuple[Path, Path], tmp_path: Path) -> None:
    from tests.test_digest_mail import start_server
    from veille.errors import MailError

    inbox = PickyInbox(refuse=True)
    controller = start_server(inbox, certificate)
    try:
        settings = make_settings(tmp_path, mail=mail_settings(controller.port, recipients=(), lists=(CORPORATE,)))
        with Store.open(settings.database) as store:
            populate(store)
            set_audiences(store)
            app = app_for(store, settings, NOW, env=ENV, context=client_context(certificate))
            with pytest.raises(MailError, match="list rh still queued for 1 recipient"):
                send_digest(app, WEEK, dry_run=False)
            assert [rcpts for rcpts, _ in inbox.messages] == [("rh1@example.org",)]
            inbox.refuse = False
            report = send_digest(
                app_for(store, settings, NOW, env=ENV, context=client_context(certificate)), WEEK, dry_run=False
            )
            assert report.list_sent == (("rh", "rh2@example.org"),)
            assert report.list_already_sent == (("rh", "rh1@example.org"),)
        assert [rcpts for rcpts, _ in inbox.messages] == [("rh1@example.org",), ("rh2@example.org",)]
        assert inbox.messages[0][1]["Message-ID"] == inbox.messages[1][1]["Message-ID"]  # the same message
    finally:
        controller.stop()
