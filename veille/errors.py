"""The one exception tree of veille.

Library errors are translated into these at the adapters (``raise FetchError(...) from exc``), so the
pipeline and the CLI only ever see ``VeilleError`` subclasses. The CLI prints ``str(error)`` — one
clear line naming the thing — and never a traceback.

    VeilleError
    ├── ConfigError            feeds.yaml or a taxonomy file is invalid (names file, line and field)
    ├── QueryError             a search query or a watch's query cannot be read (says why)
    ├── StorageError           the SQLite database cannot be opened, migrated or written
    ├── FeedError              one feed could not be fetched or parsed (stored as that feed's result)
    │   ├── FetchError         network, HTTP status, redirect loop, size cap, timeout
    │   │   └── FeedGoneError  HTTP 410: the feed is retired
    │   └── ParseError         the bytes are not a feed we can read
    ├── ArticleError           one item's article page gave no text (stored with the item, the run goes on)
    │   └── ExtractError       the page was fetched but its main text could not be extracted
    ├── ModelError             the embedding model cannot be loaded or run
    ├── RenderError            a template is missing or fails to render
    ├── MailError              the SMTP server refused, timed out or is unreachable (a retry may work)
    │   └── MailSetupError     the mail settings or environment are wrong (retrying cannot help)
    ├── DigestError            a digest cannot be built or rebuilt now (week not processed, already sent)
    ├── SiteError              the static site cannot be written
    └── LockError              another ``veille run`` holds the lock
"""

from __future__ import annotations


class VeilleError(Exception):
    """Base of every error veille raises on purpose.

    ``str(error)`` is English (logs, tests). An error the command line words in the configured language
    also carries ``text_key``, a key of ``core.i18n.CLI_TEXT``, and the ``fields`` that fill it in."""

    text_key: str | None = None
    fields: dict[str, object]

    def worded(self, text_key: str, **fields: object) -> VeilleError:
        """This error, with its wording in ``core.i18n.CLI_TEXT`` (``raise StorageError(...).worded(...)``)."""
        self.text_key = text_key
        self.fields = fields
        return self


class ConfigError(VeilleError):
    """The configuration is invalid. The message names the file, line and field."""

    def __init__(
        self, message: str, *, path: str | None = None, line: int | None = None, field: str | None = None
    ) -> None:
        self.path = path
        self.line = line
        self.field = field
        where = ""
        if path:
            where = path + (f":{line}" if line else "")
        if field:
            where = f"{where}: {field}" if where else field
        super().__init__(f"{where}: {message}" if where else message)


class QueryError(VeilleError):
    """A search query (``veille search``, a watch of feeds.yaml) cannot be read: the message says why."""


class StorageError(VeilleError):
    """The database cannot be opened, migrated or written."""


class FeedError(VeilleError):
    """One feed failed; stored as that feed's result, the run goes on."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"{url}: {reason}")


class FetchError(FeedError):
    """The feed could not be fetched (network, HTTP status, redirects, size, timeout)."""

    def __init__(self, url: str, reason: str, *, status: int | None = None, retry_after: float | None = None):
        self.status = status
        self.retry_after = retry_after
        super().__init__(url, reason)


class FeedGoneError(FetchError):
    """HTTP 410 Gone: the feed is retired and not fetched again."""


class ParseError(FeedError):
    """The fetched bytes are not a feed veille can read."""


class ArticleError(VeilleError):
    """One item's article page could not be fetched or read (``full_text``); stored as that page's reason,
    the item keeps its excerpt and the run goes on."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"{url}: {reason}")


class ExtractError(ArticleError):
    """The article page was fetched but no main text could be extracted from it."""


class ModelError(VeilleError):
    """The embedding model cannot be loaded or run."""


class RenderError(VeilleError):
    """A template is missing or fails to render."""


class MailError(VeilleError):
    """The SMTP server refused the message, timed out or could not be reached."""


class DigestError(VeilleError):
    """A digest cannot be built or rebuilt now: its week is not processed yet, or it was already sent."""


class MailSetupError(MailError):
    """Only the user can fix this: the variable named by ``mail.password_env`` is not set, the server refuses
    the login, or it does not speak the configured security. ``veille run`` exits 1 for it, not 3."""


def setup_problem(exc: BaseException) -> MailSetupError | None:
    """The ``MailSetupError`` behind ``exc`` (itself or a cause it wraps), if any."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, MailSetupError):
            return seen
        seen = seen.__cause__
    return None


class SiteError(VeilleError):
    """The static site cannot be written."""


class LockError(VeilleError):
    """Another ``veille run`` is running."""
