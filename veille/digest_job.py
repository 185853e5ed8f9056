"""The weekly digest job: build once, archive, send once per recipient.

    build_digest(store, settings, week, now)
        already recorded?  -> keep it (re-render the archive from the recorded stories if files are missing)
        else               -> load the week (adapters.digest_store) -> view model (core.digest)
                              -> render html + text (adapters.render) -> message (adapters.mail)
                              -> write .html/.txt/.eml (temp + rename) -> record digest + claim its stories
    send_digest(store, settings, week, now, dry_run=...)
        build_digest(...)  -> queue every configured recipient in digest_sends
        dry run            -> stop there: the .eml is in the archive, nothing is sent or recorded as sent
        else               -> one SMTP session; one copy per recipient still queued; each success recorded
                              at once, so a crash or a refused address never causes a second copy
        anything queued    -> MailError (the CLI exits non-zero; the next run sends what is left)

The files are written before the database row, so a crash in between only makes the next run redo the
build with the same stories (none were claimed yet).
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import os
import ssl
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

from veille.adapters import digest_store
from veille.adapters.mail import Mailer, build_message, check_address, message_id
from veille.adapters.render import render_digest
from veille.adapters.store import Store
from veille.adapters.taxonomy import format_names
from veille.core.digest import build_view
from veille.errors import MailError, StorageError
from veille.models import Settings

DEFAULT_SENDER = "veille <veille@localhost>"


@dataclass(frozen=True)
class DigestResult:
    week: str
    subject: str
    message_id: str
    html_path: Path
    text_path: Path
    eml_path: Path
    stories: int  # stories shown (and claimed) by this digest
    empty: bool
    built: bool  # False: the week had been built before and was kept as it was


@dataclass(frozen=True)
class SendReport:
    week: str
    dry_run: bool
    eml_path: Path
    sent: tuple[str, ...] = ()  # accepted by the server during this call
    already_sent: tuple[str, ...] = ()  # accepted by an earlier run: not sent again
    queued: tuple[str, ...] = ()  # still waiting (dry run, or not accepted this time)


def archive_folder(settings: Settings, week: str, out_dir: Path | None = None) -> Path:
    base = out_dir or settings.digest.archive_dir or settings.data_dir / "digests"
    return base / week


def build_digest(
    store: Store,
    settings: Settings,
    week: str,
    now: datetime,
    *,
    out_dir: Path | None = None,
    format_labels: Mapping[str, str] | None = None,
) -> DigestResult:
    """Build, archive and record the digest of ``week`` — or return the one already recorded."""
    existing = digest_store.get_digest(store, week)
    folder = archive_folder(settings, week, out_dir)
    paths = tuple(folder / f"digest-{week}.{ext}" for ext in ("html", "txt", "eml"))
    if existing is not None:
        story_ids = digest_store.digest_story_ids(store, week)
        recorded = tuple(Path(p) for p in (existing.html_path, existing.text_path, existing.eml_path))
        if out_dir is None and all(p.is_file() for p in recorded):
            return DigestResult(
                week=week,
                subject=existing.subject,
                message_id=existing.message_id,
                html_path=recorded[0],
                text_path=recorded[1],
                eml_path=recorded[2],
                stories=len(story_ids),
                empty=not story_ids,
                built=False,
            )
        # the archive was moved or another folder is asked for: same stories, same id, same date
        records = digest_store.load_week(store, week, only_story_ids=story_ids)
        language, msg_id, built_at = existing.language, existing.message_id, existing.built_at
    else:
        records = digest_store.load_week(store, week)
        language, msg_id, built_at = settings.digest.language, "", now

    view = build_view(
        records,
        language=language,
        title=settings.digest.title,
        max_per_format=settings.digest.max_per_format,
        max_trends=settings.digest.max_trends,
        format_labels=format_labels if format_labels is not None else format_names(settings.formats_file, language),
    )
    rendered = render_digest(view, templates_dir=_templates_dir(settings))
    if not msg_id:
        fingerprint = hashlib.sha256(f"{week}\0{rendered.text}\0{rendered.html}".encode()).hexdigest()
        msg_id = message_id(week, fingerprint, settings.mail.sender)
    msg = build_message(
        sender=settings.mail.sender or DEFAULT_SENDER,
        recipients=settings.mail.recipients,
        subject=view.subject,
        text=rendered.text,
        html=rendered.html,
        message_id=msg_id,
        date=built_at,
    )
    _write(paths[0], rendered.html.encode("utf-8"))
    _write(paths[1], rendered.text.encode("utf-8"))
    _write(paths[2], msg.as_bytes(policy=email.policy.default))
    row = digest_store.DigestRow(
        week=week,
        built_at=built_at,
        language=view.language,
        subject=view.subject,
        message_id=msg_id,
        html_path=str(paths[0]),
        text_path=str(paths[1]),
        eml_path=str(paths[2]),
    )
    with store.transaction() as conn:
        digest_store.record_digest(conn, row, view.story_ids, view.brief)
    return DigestResult(
        week=week,
        subject=view.subject,
        message_id=msg_id,
        html_path=paths[0],
        text_path=paths[1],
        eml_path=paths[2],
        stories=len(view.story_ids),
        empty=view.empty,
        built=existing is None,
    )


def send_digest(
    store: Store,
    settings: Settings,
    week: str,
    now: datetime,
    *,
    dry_run: bool,
    out_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
    context: ssl.SSLContext | None = None,
) -> SendReport:
    """Send ``week``'s digest to every configured recipient who has not received it yet.

    Raises MailError (after recording the attempt) when any recipient is still queued, so the command
    exits non-zero with the server's reason; the next call sends only to those still queued.
    """
    result = build_digest(store, settings, week, now, out_dir=out_dir)
    recipients = tuple(dict.fromkeys(check_address(r) for r in settings.mail.recipients))
    if dry_run:
        pending = digest_store.pending_recipients(store, week, recipients)
        return SendReport(
            week=week,
            dry_run=True,
            eml_path=result.eml_path,
            already_sent=tuple(r for r in recipients if r not in pending),
            queued=tuple(pending),
        )
    if not recipients:
        raise MailError("mail.recipients is empty in feeds.yaml: nobody to send the digest to")
    if not settings.mail.sender:
        raise MailError("mail.sender is not set in feeds.yaml: the digest needs a From address")
    check_address(settings.mail.sender)

    with store.transaction() as conn:
        digest_store.queue_recipients(conn, week, recipients)
    pending = digest_store.pending_recipients(store, week, recipients)
    already = tuple(r for r in recipients if r not in pending)
    if not pending:
        return SendReport(week=week, dry_run=False, eml_path=result.eml_path, already_sent=already)

    msg = _read_message(result.eml_path)
    del msg["To"]
    msg["To"] = ", ".join(recipients)
    sent: list[str] = []
    failed: list[tuple[str, str]] = []
    mailer = Mailer(settings.mail, env=env, context=context)
    try:
        mailer.open()
    except MailError as exc:
        with store.transaction() as conn:
            digest_store.mark_failed(conn, week, pending, str(exc))
        raise MailError(
            f"digest {week} not sent, still queued for {len(pending)} recipient(s) (the next run retries): {exc}"
        ) from exc
    try:
        for recipient in pending:
            try:
                mailer.send(msg, recipient)
            except MailError as exc:
                failed.append((recipient, str(exc)))
                with store.transaction() as conn:
                    digest_store.mark_failed(conn, week, [recipient], str(exc))
                continue
            sent.append(recipient)
            with store.transaction() as conn:
                digest_store.mark_sent(conn, week, recipient, now)
    finally:
        mailer.close()
    if failed:
        raise MailError(
            f"digest {week}: sent to {len(sent)}, still queued for {len(failed)} recipient(s) "
            f"(the next run retries): {failed[0][1]}"
        )
    return SendReport(week=week, dry_run=False, eml_path=result.eml_path, sent=tuple(sent), already_sent=already)


def _templates_dir(settings: Settings) -> Path | None:
    if settings.templates_dir is not None:
        return settings.templates_dir
    return settings.config_path.parent / "templates"


def _read_message(path: Path) -> EmailMessage:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise StorageError(f"cannot read the archived digest {path}: {exc.strerror or exc}") from exc
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)  # the default policy always builds EmailMessage
    return msg


def _write(path: Path, content: bytes) -> None:
    """Write through a temp file and rename, so an archive file is never half written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise StorageError(f"cannot write the digest archive {path}: {exc.strerror or exc}") from exc
