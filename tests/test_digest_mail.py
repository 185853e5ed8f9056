"""The digest delivered to a real SMTP server (aiosmtpd on loopback): STARTTLS, implicit TLS, auth, retries."""

from __future__ import annotations

import email
import email.policy
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.conftest import need_real_part
from tests.test_digest_support import NOW, WEEK, make_settings, populate
from veille.adapters.mail import Mailer
from veille.adapters.store import Store
from veille.app import App, make_app
from veille.errors import MailError
from veille.jobs.digest import send_digest
from veille.models import MailSettings, Settings

USER, PASSWORD = "dlm@example.org", "s3cret-pass"
RECIPIENTS = ("dlm@example.org", "team-lead@example.org")


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps what it accepts and can refuse on demand (a busy server)."""

    messages: list[tuple[tuple[str, ...], EmailMessage]] = field(default_factory=list)
    refuse: bool = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return "451 4.3.0 Mailbox busy, try again later"
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append((tuple(envelope.rcpt_tos), msg))
        return "250 Message accepted"


def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the openssl command line."""
    need_real_part(shutil.which("openssl") is not None, "the openssl command")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


def client_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    """Trusts only the test certificate: verification stays on, as in production."""
    return ssl.create_default_context(cafile=str(certificate[0]))


def start_server(inbox: Inbox, certificate: tuple[Path, Path], port: int | None = None, **options: Any) -> Controller:
    """STARTTLS required, AUTH required after TLS (unless ``options`` say otherwise)."""
    settings: dict[str, Any] = {
        "tls_context": server_context(certificate),
        "require_starttls": True,
        "auth_required": True,
        "authenticator": authenticator,
    }
    settings.update(options)
    controller = Controller(inbox, hostname="127.0.0.1", port=port or free_port(), **settings)
    controller.start()
    return controller


@pytest.fixture
def smtp_server(certificate: tuple[Path, Path]) -> Iterator[tuple[Controller, Inbox]]:
    inbox = Inbox()
    controller = start_server(inbox, certificate)
    yield controller, inbox
    controller.stop()


def mail_settings(port: int, security: str = "starttls", **overrides: Any) -> MailSettings:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "security": security,
        "username": USER,
        "password_env": "VEILLE_TEST_SMTP_PASSWORD",
        "sender": "Veille <veille@example.org>",
        "recipients": RECIPIENTS,
        "timeout": 10.0,
    }
    values.update(overrides)
    return MailSettings(**values)


ENV = {"VEILLE_TEST_SMTP_PASSWORD": PASSWORD}


def app_for(
    store: Store,
    settings: Settings,
    now: datetime,
    *,
    env: Mapping[str, str] | None = None,
    context: ssl.SSLContext | None = None,
) -> App:
    """The app a digest send runs in: this store, and a mailer with the test's password and trust."""
    return make_app(settings, now=now, store=store, mailer_factory=lambda mail: Mailer(mail, env=env, context=context))


def sends(store: Store) -> list[tuple[str, str | None, int, str | None]]:
    rows = store.conn.execute(
        "SELECT recipient, sent_at, attempts, last_error FROM digest_sends WHERE week = ? ORDER BY recipient",
        (WEEK,),
    ).fetchall()
    return [tuple(row) for row in rows]  # type: ignore[misc]


# ------------------------------------------------------------------------------------------------ tests


def test_digest_arrives_over_starttls_with_auth_once_per_recipient(
    smtp_server: tuple[Controller, Inbox], certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    controller, inbox = smtp_server
    settings = make_settings(tmp_path, mail=mail_settings(controller.port))
    with Store.open(settings.database) as store:
        populate(store)
        report = send_digest(
            app_for(store, settings, NOW, env=ENV, context=client_context(certificate)), WEEK, dry_run=False
        )
        assert report.sent == RECIPIENTS and report.queued == ()
        # a second run sends nothing more
        again = send_digest(
            app_for(store, settings, NOW, env=ENV, context=client_context(certificate)), WEEK, dry_run=False
        )
        assert again.sent == () and again.already_sent == RECIPIENTS
        assert [row[1] is not None for row in sends(store)] == [True, True]

    assert sorted(rcpts for rcpts, _ in inbox.messages) == [("dlm@example.org",), ("team-lead@example.org",)]
    msg = inbox.messages[0][1]
    assert msg["Subject"] == "Veille digital learning — semaine 48 (23–29 nov. 2026)"
    assert msg["From"] == "Veille <veille@example.org>"
    assert msg["To"] == "dlm@example.org, team-lead@example.org"
    assert msg["Message-ID"].startswith("<digest-2026-W48.") and msg["Message-ID"].endswith("@example.org>")
    assert msg["Date"]
    assert msg.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in msg.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    plain = msg.get_body(("plain",))
    rich = msg.get_body(("html",))
    assert plain is not None and rich is not None
    assert plain.get_content_charset() == "utf-8" and rich.get_content_charset() == "utf-8"
    text, page = plain.get_content(), rich.get_content()
    # the top theme, a link, and French accents intact in both parts
    assert "## IA générative, tuteurs [en hausse]" in text
    assert "IA générative, tuteurs" in page
    assert "Lire : https://www.edsurge.com/news/ai-tutors-colleges" in text
    assert 'href="https://www.edsurge.com/news/ai-tutors-colleges"' in page
    assert "<script" not in page.lower()


def test_implicit_tls_without_auth(certificate: tuple[Path, Path], tmp_path: Path) -> None:
    inbox = Inbox()
    controller = start_server(
        inbox,
        certificate,
        tls_context=None,
        require_starttls=False,
        auth_required=False,
        ssl_context=server_context(certificate),
    )
    try:
        settings = make_settings(
            tmp_path,
            language="en",
            mail=mail_settings(controller.port, "tls", username=None, password_env=None, recipients=("a@example.org",)),
        )
        with Store.open(settings.database) as store:
            populate(store)
            report = send_digest(
                app_for(store, settings, NOW, context=client_context(certificate)), WEEK, dry_run=False
            )
    finally:
        controller.stop()
    assert report.sent == ("a@example.org",)
    assert inbox.messages[0][1]["Subject"] == "Digital learning watch — week 48 (23–29 Nov 2026)"


def test_an_untrusted_certificate_is_a_clear_mail_error(smtp_server: tuple[Controller, Inbox], tmp_path: Path) -> None:
    controller, inbox = smtp_server
    settings = make_settings(tmp_path, mail=mail_settings(controller.port))
    with Store.open(settings.database) as store:
        populate(store)
        with pytest.raises(MailError, match="certificate not trusted"):
            send_digest(app_for(store, settings, NOW, env=ENV), WEEK, dry_run=False)  # system trust store only
        assert all(row[1] is None and row[2] == 1 for row in sends(store))
    assert inbox.messages == []


def test_a_wrong_password_keeps_the_digest_queued(
    smtp_server: tuple[Controller, Inbox], certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    controller, inbox = smtp_server
    settings = make_settings(tmp_path, mail=mail_settings(controller.port))
    context = client_context(certificate)
    with Store.open(settings.database) as store:
        populate(store)
        with pytest.raises(MailError, match=r"refused the login of dlm@example.org: 535"):
            send_digest(
                app_for(store, settings, NOW, env={"VEILLE_TEST_SMTP_PASSWORD": "no"}, context=context),
                WEEK,
                dry_run=False,
            )
        assert "535" in (sends(store)[0][3] or "")
        with pytest.raises(MailError, match=r"VEILLE_TEST_SMTP_PASSWORD.*is not set"):
            send_digest(app_for(store, settings, NOW, env={}, context=context), WEEK, dry_run=False)
        # an unset variable is found before connecting: no attempt is counted, both stay queued
        assert [(r[1], r[2]) for r in sends(store)] == [(None, 1), (None, 1)]
    assert inbox.messages == []


def test_a_server_that_refuses_then_recovers_sends_each_copy_once(
    certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    port = free_port()
    settings = make_settings(tmp_path, mail=mail_settings(port))
    context = client_context(certificate)
    inbox = Inbox(refuse=True)
    with Store.open(settings.database) as store:
        populate(store)
        # 1. the server is down: nothing is lost, everything is queued, the error says so
        with pytest.raises(MailError, match=r"still queued for 2 recipients.*connection refused"):
            send_digest(app_for(store, settings, NOW, env=ENV, context=context), WEEK, dry_run=False)
        assert [(r[1], r[2]) for r in sends(store)] == [(None, 1), (None, 1)]
        # 2. it is back but busy (451): still queued, with the server's words
        controller = start_server(inbox, certificate, port)
        try:
            with pytest.raises(MailError, match=r"451 4\.3\.0 Mailbox busy"):
                send_digest(app_for(store, settings, NOW, env=ENV, context=context), WEEK, dry_run=False)
            assert [(r[1], r[2]) for r in sends(store)] == [(None, 2), (None, 2)]
            assert "451" in (sends(store)[0][3] or "")
            # 3. it recovers: sent, once per recipient, and never again
            inbox.refuse = False
            later = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
            report = send_digest(app_for(store, settings, later, env=ENV, context=context), WEEK, dry_run=False)
            assert report.sent == RECIPIENTS
            send_digest(app_for(store, settings, later, env=ENV, context=context), WEEK, dry_run=False)
        finally:
            controller.stop()
        assert [(r[1], r[2], r[3]) for r in sends(store)] == [("2026-11-30T08:00:00+00:00", 3, None)] * 2
    assert len(inbox.messages) == 2
    assert len({msg["Message-ID"] for _, msg in inbox.messages}) == 1


def test_dry_run_writes_the_message_and_sends_nothing(smtp_server: tuple[Controller, Inbox], tmp_path: Path) -> None:
    controller, inbox = smtp_server
    settings = make_settings(tmp_path, mail=mail_settings(controller.port))
    with Store.open(settings.database) as store:
        populate(store)
        report = send_digest(app_for(store, settings, NOW), WEEK, dry_run=True, out_dir=tmp_path / "out")
        assert sends(store) == []
        for table in ("digests", "digest_stories"):  # nothing recorded: the week stays open
            assert store.conn.execute(f"SELECT COUNT(*) FROM {table} WHERE week = ?", (WEEK,)).fetchone()[0] == 0
    assert report.dry_run and report.queued == RECIPIENTS
    assert report.eml_path == tmp_path / "out" / WEEK / f"digest-{WEEK}.eml"
    msg = email.message_from_bytes(report.eml_path.read_bytes(), policy=email.policy.default)
    assert msg["To"] == "dlm@example.org, team-lead@example.org"
    assert inbox.messages == []


def test_mail_without_a_host_says_how_to_configure_it(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, mail=MailSettings(sender="v@example.org", recipients=("a@example.org",)))
    with Store.open(settings.database) as store, pytest.raises(MailError, match=r"set mail.host"):
        send_digest(app_for(store, settings, NOW), WEEK, dry_run=False)
    with pytest.raises(MailError, match=r"mail.security must be one of"):
        Mailer(mail_settings(25, "ssl"))
