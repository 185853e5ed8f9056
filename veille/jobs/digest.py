"""The weekly digest job: preview freely, record once, send once per recipient.

    preview_digest(app, week, out_dir=...)
        recorded?          -> re-render the recorded stories (same id, same date)
        else               -> week processed? (else DigestError: run `veille process`)
                              -> load the week (adapters.digest_store) -> view model (core.digest)
                              -> render html + text (adapters.render) -> message (adapters.mail)
        write .html/.txt/.eml (temp + rename) into out_dir or <data dir>/previews; record nothing
    build_digest(app, week)
        recorded?          -> keep it (re-render the archive from the recorded stories if files are missing)
        else               -> as a preview, into the archive, then record digest + claim its stories
    rebuild_digest(app, week)
        sent to anyone?    -> DigestError (a digest someone received is never rebuilt)
        else               -> forget the record and build it again from the week as it is now
    send_digest(app, week, dry_run=...)
        dry run            -> preview_digest(...): nothing recorded, nothing sent
        else               -> mail settings checked -> build_digest(...) -> queue every configured recipient;
                              one SMTP session (``app.mailer()``); one copy per recipient still queued; each
                              success recorded at once, so a crash or a refused address never causes a second copy
        anything queued    -> MailError (the CLI exits non-zero; the next run sends what is left)

Only ``build_digest`` (the daily job when the digest is due, ``veille digest --send``) and
``rebuild_digest`` (``--rebuild``) record a digest: a recorded digest claims its stories for good, and
the site's week pages follow it. The files are written before the database row, so a crash in between
only makes the next run redo the build with the same stories (none were claimed yet).
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import hashlib
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

from veille.adapters import digest_store
from veille.adapters.mail import build_message, check_address, message_id
from veille.adapters.render import render_digest
from veille.adapters.search_store import shown_matches, watch_reports
from veille.adapters.store import Store
from veille.adapters.taxonomy import format_names
from veille.app import App
from veille.core import audiences
from veille.core.digest import DigestView, build_view, plain_text, safe_link, shorten
from veille.core.themes import OPEN_MARK, week_signatures
from veille.core.watches import digest_section
from veille.errors import DigestError, MailError, MailSetupError, StorageError
from veille.models import MailList, Settings

DEFAULT_SENDER = "veille <veille@localhost>"
WATCH_SUMMARY_CHARS = 200  # a watch's listed item: the start of its summary


@dataclass(frozen=True)
class DigestResult:
    week: str
    subject: str
    message_id: str
    html_path: Path
    text_path: Path
    eml_path: Path
    stories: int  # stories shown (and, once recorded, claimed) by this digest
    empty: bool
    built: bool  # True: this call recorded it (False: kept as recorded before, or only a preview)
    recorded: bool = True  # the digest of the week stands recorded (False: a preview of an unrecorded week)
    story_ids: tuple[int, ...] = ()  # the stories it shows


@dataclass(frozen=True)
class SendReport:
    week: str
    dry_run: bool
    eml_path: Path
    sent: tuple[str, ...] = ()  # accepted by the server during this call
    already_sent: tuple[str, ...] = ()  # accepted by an earlier run: not sent again
    queued: tuple[str, ...] = ()  # still waiting (dry run, or not accepted this time)
    digest: DigestResult | None = None  # what was sent (or, in a dry run, previewed)
    # mail.lists: (list, recipient) pairs accepted during this call / by an earlier run
    list_sent: tuple[tuple[str, str], ...] = ()
    list_already_sent: tuple[tuple[str, str], ...] = ()
    # a dry run: each mail list's digest as --send would send it (list name, its .eml, recipients queued)
    list_previews: tuple[tuple[str, Path, int], ...] = ()


def archive_folder(settings: Settings, week: str, out_dir: Path | None = None) -> Path:
    base = out_dir or settings.digest.archive_dir or settings.data_dir / "digests"
    return base / week


def preview_folder(settings: Settings, week: str) -> Path:
    """Where a preview goes when no folder is given: never the archive of recorded digests."""
    return settings.data_dir / "previews" / week


def pending(store: Store, week: str, now: datetime) -> tuple[int, list[str], bool]:
    """What ``veille process`` has left to do for ``week``: how many of its items are not grouped into
    stories yet, the weeks up to it whose themes were not clustered from their stories as they are now
    (a week's trends build on the weeks before it), and whether ``week`` has any story at all."""
    themes = store.themes
    current, done = week_signatures(themes.story_weeks(), now), themes.processed_weeks()
    stale = sorted(w for w, signature in current.items() if w <= week and done.get(w) != signature)
    return store.digests.ungrouped_items(week), stale, week in current


def check_processed(store: Store, week: str, now: datetime) -> None:
    """DigestError when ``veille process`` has not caught up with ``week`` (``pending``). A digest built
    then would show nothing ("0 in this digest", "quiet week") for a busy week."""
    loose, stale, _ = pending(store, week, now)
    if not loose and not stale:
        return
    if loose:
        what = f"{loose} of its items {'is' if loose == 1 else 'are'} not grouped into stories"
    elif stale[-1] == week and store.themes.processed_weeks().get(week, "").endswith(OPEN_MARK):
        # processed before the week was over (a Sunday): clustered again, complete, by the next process
        what = "its themes were clustered while the week was still in progress"
    else:
        what = f"the themes of {stale[-1] if stale[-1] == week else ', '.join(stale[-3:])} are not clustered"
    raise DigestError(f"week {week} is not processed yet ({what}): run `veille process` first")


def preview_digest(
    app: App,
    week: str,
    *,
    out_dir: Path | None = None,
    format_labels: Mapping[str, str] | None = None,
) -> DigestResult:
    """Write ``week``'s digest as it would go out (the recorded one, when there is one) and record nothing."""
    store, settings, now = app.store, app.settings, app.now
    existing = store.digests.get(week)
    folder = archive_folder(settings, week, out_dir) if out_dir is not None else preview_folder(settings, week)
    return _compose(store, settings, week, now, existing, folder, format_labels, record=False)


def build_digest(
    app: App,
    week: str,
    *,
    out_dir: Path | None = None,
    format_labels: Mapping[str, str] | None = None,
) -> DigestResult:
    """Build, archive and record the digest of ``week`` — or return the one already recorded.

    With ``out_dir``, a digest already recorded is also written there (its record is left as it is).
    One process at a time on the database (machines sharing a PostgreSQL one): the others wait, then
    find it recorded."""
    store, settings, now = app.store, app.settings, app.now
    with store.exclusive(f"digest {week}"):
        return _build_digest(store, settings, week, now, out_dir=out_dir, format_labels=format_labels)


def _build_digest(
    store: Store,
    settings: Settings,
    week: str,
    now: datetime,
    *,
    out_dir: Path | None = None,
    format_labels: Mapping[str, str] | None = None,
) -> DigestResult:
    existing = store.digests.get(week)
    if existing is not None:
        recorded = tuple(Path(p) for p in (existing.html_path, existing.text_path, existing.eml_path))
        if out_dir is not None:
            return _compose(
                store, settings, week, now, existing, archive_folder(settings, week, out_dir), format_labels
            )
        if all(p.is_file() for p in recorded):
            stories = len(store.digests.story_ids(week))
            return DigestResult(
                week=week,
                subject=existing.subject,
                message_id=existing.message_id,
                html_path=recorded[0],
                text_path=recorded[1],
                eml_path=recorded[2],
                stories=stories,
                empty=not stories,
                built=False,
                recorded=True,
            )
        # the archive was moved or deleted: same stories, same id, same date, written again and recorded there
        return _compose(
            store, settings, week, now, existing, archive_folder(settings, week), format_labels, record=True
        )
    return _compose(
        store, settings, week, now, None, archive_folder(settings, week, out_dir), format_labels, record=True
    )


def rebuild_digest(
    app: App,
    week: str,
    *,
    format_labels: Mapping[str, str] | None = None,
) -> DigestResult:
    """Build ``week``'s recorded digest again from the week as it is now (new stories, new message id, new
    date) — only when no recipient has received it. DigestError when it was never recorded or was sent."""
    store, settings, now = app.store, app.settings, app.now
    with store.exclusive(f"digest {week}"):
        return _rebuild(store, settings, week, now, format_labels)


def _rebuild(
    store: Store, settings: Settings, week: str, now: datetime, format_labels: Mapping[str, str] | None
) -> DigestResult:
    existing = store.digests.get(week)
    if existing is None:
        raise DigestError(f"the digest of {week} was never recorded, so there is nothing to rebuild: --send records it")
    sent = store.digests.sent_to(week)
    if sent:
        names = ", ".join(sent[:3]) + (", …" if len(sent) > 3 else "")
        raise DigestError(
            f"the digest of {week} was already sent to {_recipients(len(sent))} ({names}): a digest someone "
            "received is never rebuilt"
        )
    return _compose(store, settings, week, now, None, archive_folder(settings, week), format_labels, record=True)


def _compose(
    store: Store,
    settings: Settings,
    week: str,
    now: datetime,
    existing: digest_store.DigestRow | None,
    folder: Path,
    format_labels: Mapping[str, str] | None,
    *,
    record: bool = False,
) -> DigestResult:
    """Render ``week``'s digest into ``folder``: the recorded one (``existing``) or a fresh one from the
    week's candidate stories; ``record`` then records it (a fresh one replaces any earlier record)."""
    paths = tuple(folder / f"digest-{week}.{ext}" for ext in ("html", "txt", "eml"))
    if existing is not None:
        records = store.digests.load_week(
            week,
            only_story_ids=store.digests.story_ids(week),
            configured_feeds=_configured(settings),
        )
        language, msg_id, built_at = existing.language, existing.message_id, existing.built_at
    else:
        check_processed(store, week, now)
        records = store.digests.load_week(week, configured_feeds=_configured(settings))
        language, msg_id, built_at = settings.digest.language, "", now

    view = build_view(
        records,
        language=language,
        title=settings.digest.title,
        max_per_format=settings.digest.max_per_format,
        max_trends=settings.digest.max_trends,
        format_labels=format_labels if format_labels is not None else format_names(settings.formats_file, language),
    )
    view = _with_watches(store, settings, week, view)
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
    if record:
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
        with store.transaction():
            if existing is None:
                store.digests.forget(week)  # a rebuild: the earlier record goes, nobody received it
            store.digests.record(row, view.story_ids, view.brief)
    return DigestResult(
        week=week,
        subject=view.subject,
        message_id=msg_id,
        html_path=paths[0],
        text_path=paths[1],
        eml_path=paths[2],
        stories=len(view.story_ids),
        empty=view.empty,
        built=record and existing is None,
        recorded=record or existing is not None,
        story_ids=tuple(view.story_ids),
    )


def _with_watches(store: Store, settings: Settings, week: str, view: DigestView) -> DigestView:
    """``view`` with its "Your watches" section, in the view's language, when feeds.yaml has watches
    (the main digest and every mail list's digest alike)."""
    if not settings.watches:
        return view
    reports = watch_reports(store, settings, week)
    section = digest_section(
        reports,
        shown_matches(store, reports, view.language),
        view.language,
        safe_url=safe_link,
        shorten=lambda text: shorten(plain_text(text), WATCH_SUMMARY_CHARS),
    )
    return dataclasses.replace(view, watches=section)


def _configured(settings: Settings) -> list[str]:
    """The feed URLs feeds.yaml lists now: the source health of a digest leaves out the others."""
    return [feed.url for feed in settings.feeds]


def check_mail(app: App) -> tuple[str, ...]:
    """The configured recipients, once each, after checking what sending needs (MailError otherwise): done
    before anything is recorded, so a digest is never recorded for a send that cannot start."""
    settings = app.settings
    # mail.host, mail.security and the password's variable (it connects only when opened)
    app.mailer().check_credentials()
    recipients = tuple(dict.fromkeys(check_address(r) for r in settings.mail.recipients))
    for mail_list in settings.mail.lists:
        for address in mail_list.recipients:
            check_address(address)
    if not recipients and not settings.mail.lists:
        raise MailSetupError("mail.recipients is empty in feeds.yaml: nobody to send the digest to")
    if not settings.mail.sender:
        raise MailSetupError("mail.sender is not set in feeds.yaml: the digest needs a From address")
    check_address(settings.mail.sender)
    return recipients


def send_digest(app: App, week: str, *, dry_run: bool, out_dir: Path | None = None) -> SendReport:
    """Send ``week``'s digest to every configured recipient who has not received it yet, recording it
    first if it is not recorded yet. A dry run only writes the preview and records and sends nothing.

    Raises MailError (after recording the attempt) when any recipient is still queued, so the command
    exits non-zero with the server's reason; the next call sends only to those still queued.
    """
    store = app.store
    if dry_run:
        recipients = tuple(dict.fromkeys(check_address(r) for r in app.settings.mail.recipients))
        preview = preview_digest(app, week, out_dir=out_dir)
        pending = store.digests.pending(week, recipients)
        lists = []
        for mail_list in app.settings.mail.lists:  # beside the main one, in the same folder
            path = _write_list_digest(app, week, mail_list, preview.story_ids, preview.eml_path.parent)
            waiting = store.digests.pending_list(week, mail_list.name, list(dict.fromkeys(mail_list.recipients)))
            lists.append((mail_list.name, path, len(waiting)))
        return SendReport(
            week=week,
            dry_run=True,
            eml_path=preview.eml_path,
            already_sent=tuple(r for r in recipients if r not in pending),
            queued=tuple(pending),
            digest=preview,
            list_previews=tuple(lists),
        )
    recipients = check_mail(app)
    # one sender at a time, whichever machine: a second one waits, then finds every copy sent
    with store.exclusive(f"digest {week}"):
        error: MailError | None = None
        try:
            report = _send(app, week, recipients, out_dir=out_dir)
        except MailError as exc:  # the lists are still sent (each list and recipient is recorded apart)
            error, report = exc, None
        sent, already, failed = _send_lists(app, week)
    if error is not None:
        raise error
    if failed:
        (name, address, reason), count = failed[0], len(failed)
        raise MailError(
            f"digest {week}: list {name} still queued for {_recipients(count)} such as {address} "
            f"(the next run retries): {reason}"
        )
    assert report is not None
    return replace(report, list_sent=tuple(sent), list_already_sent=tuple(already))


def list_digest(app: App, week: str, mail_list: MailList) -> Path:
    """The archived message of ``mail_list``'s digest of ``week`` (written once, then reused, so that a
    retry sends the same message): the recorded digest's stories of the list's audience and the general
    ones, rendered in the list's language."""
    store, settings = app.store, app.settings
    folder = archive_folder(settings, week)
    eml = folder / f"digest-{week}-{mail_list.name}.eml"
    if eml.is_file():
        return eml
    if store.digests.get(week) is None:
        raise DigestError(f"the digest of {week} is not recorded: its lists are built from it")
    return _write_list_digest(app, week, mail_list, store.digests.story_ids(week), folder)


def _write_list_digest(app: App, week: str, mail_list: MailList, ids: Sequence[int], folder: Path) -> Path:
    """Render ``mail_list``'s digest of ``week`` from the main digest's stories ``ids`` (those of the
    list's audience and the general ones) into ``folder``: its .html, .txt and .eml; returns the .eml."""
    store, settings = app.store, app.settings
    paths = tuple(folder / f"digest-{week}-{mail_list.name}.{ext}" for ext in ("html", "txt", "eml"))
    existing = store.digests.get(week)
    per_story = store.digests.story_audiences(ids)
    keep = [i for i in ids if audiences.for_list(audiences.story_audiences(per_story[i]), mail_list.audience)]
    records = store.digests.load_week(week, only_story_ids=keep, configured_feeds=_configured(settings))
    records = replace(records, recorded_brief=())  # the essentials of these stories, in the list's language
    language = mail_list.language or settings.digest.language
    view = build_view(
        records,
        language=language,
        title=settings.digest.title,
        max_per_format=settings.digest.max_per_format,
        max_trends=settings.digest.max_trends,
        format_labels=format_names(settings.formats_file, language),
    )
    view = _with_watches(store, settings, week, view)
    rendered = render_digest(view, templates_dir=_templates_dir(settings))
    fingerprint = hashlib.sha256(f"{week}\0{mail_list.name}\0{rendered.text}".encode()).hexdigest()
    msg = build_message(
        sender=settings.mail.sender or DEFAULT_SENDER,
        recipients=mail_list.recipients,
        subject=view.subject,
        text=rendered.text,
        html=rendered.html,
        message_id=message_id(f"{week}-{mail_list.name}", fingerprint, settings.mail.sender),
        date=existing.built_at if existing is not None else app.now,
    )
    _write(paths[0], rendered.html.encode("utf-8"))
    _write(paths[1], rendered.text.encode("utf-8"))
    _write(paths[2], msg.as_bytes(policy=email.policy.default))
    return paths[2]


def _send_lists(app: App, week: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[tuple[str, str, str]]]:
    """Send each mail list's digest to its recipients who have not received it: (sent, already sent,
    failed with the reason), each success recorded at once."""
    store = app.store
    sent: list[tuple[str, str]] = []
    already: list[tuple[str, str]] = []
    failed: list[tuple[str, str, str]] = []
    todo: list[tuple[MailList, list[str]]] = []
    for mail_list in app.settings.mail.lists:
        recipients = list(dict.fromkeys(mail_list.recipients))
        with store.transaction():
            store.digests.queue_list(week, mail_list.name, recipients)
        pending = store.digests.pending_list(week, mail_list.name, recipients)
        already += [(mail_list.name, r) for r in recipients if r not in pending]
        if pending:
            todo.append((mail_list, pending))
    if not todo:
        return sent, already, failed
    messages = {mail_list.name: _read_message(list_digest(app, week, mail_list)) for mail_list, _ in todo}
    for mail_list, pending in todo:
        delivered, refused = _deliver_list(app, week, mail_list.name, messages[mail_list.name], pending)
        sent += [(mail_list.name, recipient) for recipient in delivered]
        failed += [(mail_list.name, recipient, why) for recipient, why in refused]
    return sent, already, failed


def _deliver_list(
    app: App, week: str, name: str, msg: EmailMessage, pending: Sequence[str]
) -> tuple[list[str], list[tuple[str, str]]]:
    """One list's digest to its recipients still queued (``_deliver``), recorded under the list."""
    store, now = app.store, app.now
    sent, failed, _ = _deliver(
        app,
        msg,
        pending,
        mark_sent=lambda recipient: store.digests.mark_list_sent(week, name, recipient, now),
        mark_failed=lambda recipients, why: store.digests.mark_list_failed(week, name, recipients, why),
    )
    return sent, failed


def _deliver(
    app: App,
    msg: EmailMessage,
    pending: Sequence[str],
    *,
    mark_sent: Callable[[str], None],
    mark_failed: Callable[[Sequence[str], str], None],
) -> tuple[list[str], list[tuple[str, str]], MailError | None]:
    """Send ``msg`` to each of ``pending`` over one connection, each outcome recorded at once: (sent,
    refused with the server's reason, the error when the connection did not even open — then every
    recipient is recorded as failed with it)."""
    store = app.store
    sent: list[str] = []
    failed: list[tuple[str, str]] = []
    mailer = app.mailer()
    try:
        mailer.open()
    except MailError as exc:
        with store.transaction():
            mark_failed(pending, str(exc))
        return sent, [(recipient, str(exc)) for recipient in pending], exc
    try:
        for recipient in pending:
            try:
                mailer.send(msg, recipient)
            except MailError as exc:
                failed.append((recipient, str(exc)))
                with store.transaction():
                    mark_failed([recipient], str(exc))
                continue
            sent.append(recipient)
            with store.transaction():
                mark_sent(recipient)
    finally:
        mailer.close()
    return sent, failed, None


def _send(app: App, week: str, recipients: tuple[str, ...], *, out_dir: Path | None) -> SendReport:
    store, now = app.store, app.now
    result = build_digest(app, week)
    if out_dir is not None:
        preview_digest(app, week, out_dir=out_dir)  # a copy of what is sent

    with store.transaction():
        store.digests.queue(week, recipients)
    pending = store.digests.pending(week, recipients)
    already = tuple(r for r in recipients if r not in pending)
    if not pending:
        return SendReport(week=week, dry_run=False, eml_path=result.eml_path, already_sent=already, digest=result)

    msg = _read_message(result.eml_path)
    del msg["To"]
    msg["To"] = ", ".join(recipients)
    sent, failed, unopened = _deliver(
        app,
        msg,
        pending,
        mark_sent=lambda recipient: store.digests.mark_sent(week, recipient, now),
        mark_failed=lambda recipients, why: store.digests.mark_failed(week, recipients, why),
    )
    if unopened is not None:
        raise MailError(
            f"digest {week} not sent, still queued for {_recipients(len(pending))} (the next run retries): {unopened}"
        ) from unopened
    if failed:
        raise MailError(
            f"digest {week}: sent to {len(sent)}, still queued for {_recipients(len(failed))} "
            f"(the next run retries): {failed[0][1]}"
        )
    return SendReport(
        week=week, dry_run=False, eml_path=result.eml_path, sent=tuple(sent), already_sent=already, digest=result
    )


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


def _recipients(count: int) -> str:
    """``1 recipient``, ``2 recipients``: the (English) error lines give each count its plural."""
    return f"{count} recipient" if count == 1 else f"{count} recipients"
