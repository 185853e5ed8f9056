"""SMTP delivery of the digest (smtplib), every failure translated into one clear ``MailError``.

Security is ``starttls`` (submission port 587), ``tls`` (implicit TLS, port 465) or ``none`` (a relay on
localhost). Certificates are verified against the system's trust store (``SSL_CERT_FILE`` is honoured);
the password is only ever read from the environment variable named by ``mail.password_env``, never from
feeds.yaml. The message is multipart/alternative, plain text first then HTML, UTF-8 throughout.
"""

from __future__ import annotations

import contextlib
import os
import smtplib
import socket
import ssl
from collections.abc import Mapping, Sequence
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from types import TracebackType

from veille.errors import MailError, MailSetupError
from veille.models import MailSettings

SECURITIES = ("starttls", "tls", "none")


def build_message(
    *,
    sender: str,
    recipients: Sequence[str],
    subject: str,
    text: str,
    html: str,
    message_id: str,
    date: datetime,
) -> EmailMessage:
    """The digest as a multipart/alternative message (the text part first: clients show the last they can)."""
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    msg["MIME-Version"] = "1.0"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text, subtype="plain", charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    return msg


def message_id(week: str, fingerprint: str, sender: str | None) -> str:
    """A stable ``<digest-2026-W48.abc123@example.org>``: one id per built digest, kept across resends."""
    domain = "veille.localhost"
    if sender:
        addresses = getaddresses([sender])
        if addresses and "@" in addresses[0][1]:
            domain = addresses[0][1].rsplit("@", 1)[1].strip(">") or domain
    return f"<digest-{week}.{fingerprint[:16]}@{domain}>"


def check_address(address: str) -> str:
    """The address when it parses as one mailbox, else MailError naming it (caught before any send)."""
    try:
        parsed = Address(addr_spec=getaddresses([address])[0][1])
    except (ValueError, IndexError, TypeError) as exc:
        raise MailSetupError(f"invalid mail address {address!r}: {exc}") from exc
    if not parsed.username or not parsed.domain:
        raise MailSetupError(f"invalid mail address {address!r}: expected name@domain")
    return address


class Mailer:
    """One SMTP session: ``with Mailer(settings) as mailer: mailer.send(msg, recipient)``.

    Opening connects, negotiates TLS and logs in; each ``send`` hands one copy to one recipient, so a
    refused address does not stop the others and each delivery can be recorded on its own.
    """

    def __init__(
        self,
        settings: MailSettings,
        *,
        env: Mapping[str, str] | None = None,
        context: ssl.SSLContext | None = None,
    ) -> None:
        if not settings.host:
            raise MailSetupError(
                "mail is not configured: set mail.host (and mail.sender, mail.recipients) in feeds.yaml"
            )
        if settings.security not in SECURITIES:
            raise MailSetupError(f"mail.security must be one of {', '.join(SECURITIES)}, not {settings.security!r}")
        self.settings = settings
        self.where = f"mail server {settings.host}:{settings.port}"
        self._env = os.environ if env is None else env
        self._context = context
        self._smtp: smtplib.SMTP | None = None

    def check_credentials(self) -> None:
        """MailSetupError now, before connecting, when the password's variable is missing."""
        self._password()

    def _password(self) -> str | None:
        name = self.settings.password_env
        if not self.settings.username:
            return None
        if not name:
            raise MailSetupError(
                f"mail.username is set but mail.password_env is not: name the environment variable "
                f"holding the password of {self.settings.username}"
            )
        password = self._env.get(name)
        if password is None:
            raise MailSetupError(
                f"the environment variable {name} (named by mail.password_env) is not set: set it to the mail "
                "password where veille runs (e.g. Environment= in the systemd unit); the digest stays queued"
            )
        return password

    def __enter__(self) -> Mailer:
        self.open()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def open(self) -> None:
        s = self.settings
        password = self._password()
        context = self._context or ssl.create_default_context()
        smtp: smtplib.SMTP | None = None
        try:
            if s.security == "tls":
                smtp = smtplib.SMTP_SSL(s.host or "", s.port, timeout=s.timeout, context=context)
            else:
                smtp = smtplib.SMTP(s.host or "", s.port, timeout=s.timeout)
            smtp.ehlo()
            if s.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise MailSetupError(f"{self.where} does not offer STARTTLS (set mail.security to tls or none)")
                smtp.starttls(context=context)
                smtp.ehlo()
            if s.username and password is not None:
                smtp.login(s.username, password)
        except BaseException as exc:
            if smtp is not None:
                _quietly_close(smtp)
            if isinstance(exc, MailError):
                raise
            if isinstance(exc, smtplib.SMTPAuthenticationError):
                raise MailSetupError(
                    f"{self.where} refused the login of {s.username}: {_reply(exc)} (check mail.username and "
                    f"the password in {s.password_env or 'mail.password_env'}); the digest stays queued"
                ) from exc
            if isinstance(exc, Exception):
                raise MailError(f"{self.where}: {describe(exc)}") from exc
            raise
        self._smtp = smtp

    def send(self, msg: EmailMessage, recipient: str) -> None:
        """Hand one copy to the server for ``recipient``; MailError when it is not accepted."""
        if self._smtp is None:
            raise MailError(f"{self.where}: not connected")
        try:
            refused = self._smtp.send_message(msg, from_addr=self.settings.sender, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            reasons = "; ".join(f"{addr}: {_reply(err)}" for addr, err in exc.recipients.items())
            raise MailError(f"{self.where} refused the recipient {reasons}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(f"{self.where}: {describe(exc)}") from exc
        if refused:
            raise MailError(f"{self.where} refused the recipient {recipient}: {refused[recipient]}")

    def close(self) -> None:
        if self._smtp is not None:
            smtp, self._smtp = self._smtp, None
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                _quietly_close(smtp)


def describe(exc: BaseException) -> str:
    """One human sentence for a smtplib / ssl / socket failure."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"the server answered {_reply(exc)}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"the server closed the connection ({exc or 'no reason given'})"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted: {exc.verify_message or exc}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out (mail.timeout)"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the server running, is the port right?)"
    if isinstance(exc, socket.gaierror):
        return f"host not found ({exc.strerror or exc})"
    if isinstance(exc, OSError):
        return f"network error: {exc.strerror or exc}"
    return str(exc) or type(exc).__name__


def _reply(exc: object) -> str:
    """``550 mailbox unavailable`` from an SMTP exception or a ``(code, message)`` pair."""
    code = getattr(exc, "smtp_code", None)
    error = getattr(exc, "smtp_error", None)
    if isinstance(exc, tuple):
        code, error = exc
    if isinstance(error, bytes):
        error = error.decode("utf-8", "replace")
    if code is None:
        return str(exc)
    return f"{code} {error}".strip()


def _quietly_close(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        smtp.close()
