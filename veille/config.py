"""Load ``feeds.yaml`` into frozen ``Settings``; write and edit it for ``veille init``, ``feeds add|remove``.

One file holds the sources and the settings. Why the loader walks PyYAML *nodes* (``yaml.compose``) instead
of loaded Python objects: nodes keep their line numbers, so every mistake is reported as
``feeds.yaml:12: feeds[3].url: 'htp://x' is not an http(s) URL`` — file, line and field — and because
the raw text of a scalar is kept, YAML 1.1 surprises cannot happen (``lang: no`` stays the string "no",
``run_time: 06:00`` is not the sexagesimal number 360).

Rules the loader enforces:

- unknown keys are errors, with the closest known key suggested (a typo must not silently fall back to
  a default);
- paths resolve relative to the directory of the configuration file, so the file can be moved with its
  data; the data directory defaults to ``.veille/`` beside it;
- secrets never live in the file: ``mail.password_env`` names an environment variable, and a literal
  ``password:`` key is refused with a message saying so;
- an empty section (``digest:`` whose settings are all commented out) means "all defaults".

Feed entries in the ``feeds`` list are numbered from 1 in messages (``feeds[1]`` is the first feed), as a
reader counts them.

The editing helpers (``add_feeds_to_yaml``, ``remove_feed_from_yaml``) edit the file as a ruamel.yaml
round-trip document, so the user's comments, key order and layout survive; the result is validated again
before it is returned.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from veille.core import i18n
from veille.core.identity import feed_url_key, is_feed_url, normalize_lang
from veille.errors import ConfigError
from veille.models import (
    AUDIENCES,
    MODEL_BACKENDS,
    SOURCE_TYPES,
    DigestSettings,
    FeedConfig,
    FetchSettings,
    FullTextSettings,
    HtmlSelectors,
    MailList,
    MailSettings,
    ModelSettings,
    ScheduleSettings,
    Settings,
    SiteSettings,
    StorageSettings,
    WatchConfig,
)

CONFIG_NAME = "feeds.yaml"
DATA_DIR_NAME = ".veille"
DATABASE_NAME = "veille.db"

TOP_LEVEL_KEYS = (
    "feeds",
    "storage",
    "fetch",
    "model",
    "digest",
    "mail",
    "site",
    "schedule",
    "formats",
    "templates",
    "watches",
    "full_text",
)
WATCH_KEYS = ("name", "query")
FEED_KEYS = ("url", "name", "tags", "lang", "min_interval_minutes", "read_timeout", "max_bytes", "type", "full_text")
#: The CSS selectors of a ``type: html`` source, keys of its entry; the first two are required.
SELECTOR_KEYS = ("item", "title", "link", "date", "summary")
REQUIRED_SELECTORS = ("item", "title")
MAIL_SECURITY = ("starttls", "tls", "none")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# French names are accepted too: the digest is written for French-speaking teams as often as not.
_WEEKDAY_ALIASES = dict(
    zip(("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"), WEEKDAYS, strict=True)
)

_NULL_TAG = "tag:yaml.org,2002:null"
_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})$")
_EMAIL_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_TRUE = ("true", "yes", "on")
_FALSE = ("false", "no", "off")


# --------------------------------------------------------------------------------------------------
# Reading nodes with their line numbers


class _Reader:
    """Turns YAML nodes into values, raising ``ConfigError`` that names file, line and field."""

    def __init__(self, label: str, base_dir: Path) -> None:
        self.label = label
        self.base_dir = base_dir
        self._constructor = yaml.SafeLoader("")

    def error(self, node: yaml.Node | None, field: str | None, message: str) -> ConfigError:
        line = node.start_mark.line + 1 if node is not None else None
        return ConfigError(message, path=self.label, line=line, field=field)

    # -- structure ---------------------------------------------------------------------------------

    def mapping(self, node: yaml.Node, field: str, known: Iterable[str]) -> dict[str, yaml.Node]:
        """A mapping's value nodes by key; unknown and repeated keys are errors."""
        if _is_null(node):
            return {}
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, field, f"expected a mapping of settings, got {_describe(node)}")
        known = tuple(known)
        out: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.error(key_node, field, "a setting name must be plain text")
            key = key_node.value
            where = f"{field}.{key}" if field else key
            if key in out:
                raise self.error(key_node, where, "is set twice")
            if key not in known:
                raise self.error(key_node, where, _unknown_key_message(key, known))
            out[key] = value_node
        return out

    def sequence(self, node: yaml.Node, field: str) -> list[yaml.Node]:
        if _is_null(node):
            return []
        if isinstance(node, yaml.SequenceNode):
            return list(node.value)
        raise self.error(node, field, f"expected a list, got {_describe(node)}")

    # -- scalars -----------------------------------------------------------------------------------

    def text(self, node: yaml.Node, field: str) -> str:
        """The scalar's own text: numbers are accepted as text, lists and mappings are not."""
        if not isinstance(node, yaml.ScalarNode) or _is_null(node):
            raise self.error(node, field, f"expected text, got {_describe(node)}")
        return str(node.value).strip()

    def optional_text(self, node: yaml.Node, field: str) -> str | None:
        if _is_null(node):
            return None
        return self.text(node, field) or None

    def integer(self, node: yaml.Node, field: str, *, minimum: int = 0, maximum: int | None = None) -> int:
        value = self._construct(node)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(node, field, f"expected a whole number, got {_describe(node)}")
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
            raise self.error(node, field, f"{value} is out of range: it must be {bounds}")
        return value

    def number(self, node: yaml.Node, field: str) -> float:
        value = self._construct(node)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(node, field, f"expected a number, got {_describe(node)}")
        if value <= 0:
            raise self.error(node, field, f"{value} must be greater than 0")
        return float(value)

    def boolean(self, node: yaml.Node, field: str) -> bool:
        """``true`` or ``false`` (``yes``/``no``, ``on``/``off`` too), as written: anything else is an error."""
        value = self.text(node, field).lower() if isinstance(node, yaml.ScalarNode) and not _is_null(node) else None
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise self.error(node, field, f"expected true or false, got {_describe(node)}")

    def choice(self, node: yaml.Node, field: str, choices: Iterable[str]) -> str:
        choices = tuple(choices)
        value = self.text(node, field).lower()
        if value not in choices:
            raise self.error(node, field, f"{value!r} is not one of: {', '.join(choices)}")
        return value

    def text_list(self, node: yaml.Node, field: str) -> tuple[str, ...]:
        """A list of texts; a single text is a one-element list (``tags: corporate``)."""
        if isinstance(node, yaml.ScalarNode) and not _is_null(node):
            values = [self.text(node, field)]
        else:
            values = [self.text(item, f"{field}[{i}]") for i, item in enumerate(self.sequence(node, field), 1)]
        seen: dict[str, None] = {}
        for value in values:
            if value:
                seen.setdefault(value, None)
        return tuple(seen)

    def path(self, node: yaml.Node, field: str) -> Path:
        """A path, relative to the configuration file's directory unless absolute (``~`` expands)."""
        raw = Path(self.text(node, field)).expanduser()
        return raw if raw.is_absolute() else (self.base_dir / raw).resolve()

    def url(self, node: yaml.Node, field: str) -> str:
        value = self.text(node, field)
        if not is_feed_url(value):
            raise self.error(node, field, f"{value!r} is not an http(s) URL")
        return value

    def lang(self, node: yaml.Node, field: str) -> str:
        value = self.text(node, field)
        code = normalize_lang(value)
        if code is None:
            raise self.error(node, field, f"{value!r} is not a language code such as fr or en")
        return code

    def email(self, node: yaml.Node, field: str) -> str:
        value = self.text(node, field)
        if not _EMAIL_RE.match(value):
            raise self.error(node, field, f"{value!r} is not an email address")
        return value

    def _construct(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            return None
        try:
            return self._constructor.construct_object(node, deep=True)
        except yaml.YAMLError:
            return node.value


def _is_null(node: yaml.Node | None) -> bool:
    return node is None or (isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG)


def _describe(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if _is_null(node):
        return "nothing"
    return repr(node.value)


def _unknown_key_message(key: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"unknown setting; did you mean {close[0]!r}?"
    return f"unknown setting; known settings here: {', '.join(known)}"


# --------------------------------------------------------------------------------------------------
# Building the settings

Converter = Callable[[_Reader, yaml.Node, str], Any]


def _section(
    reader: _Reader, node: yaml.Node | None, field: str, cls: type[Any], converters: dict[str, Converter]
) -> tuple[Any, dict[str, yaml.Node]]:
    """Build the dataclass ``cls`` from a mapping node; an absent or null value keeps the default."""
    names = [f.name for f in dataclasses.fields(cls) if f.name in converters]
    values = reader.mapping(node, field, names) if node is not None else {}
    kwargs = {
        name: converters[name](reader, value, f"{field}.{name}")
        for name, value in values.items()
        if not _is_null(value)
    }
    return cls(**kwargs), values


def _int(minimum: int = 0, maximum: int | None = None) -> Converter:
    return lambda r, n, f: r.integer(n, f, minimum=minimum, maximum=maximum)


def _num() -> Converter:
    return lambda r, n, f: r.number(n, f)


def _txt() -> Converter:
    return lambda r, n, f: r.text(n, f)


def _opt_txt() -> Converter:
    return lambda r, n, f: r.optional_text(n, f)


def _path() -> Converter:
    return lambda r, n, f: r.path(n, f)


def _choice(choices: Iterable[str]) -> Converter:
    frozen = tuple(choices)
    return lambda r, n, f: r.choice(n, f, frozen)


def digest_languages() -> tuple[str, ...]:
    """The languages ``digest.language`` accepts: every installed catalog, French and English first."""
    return tuple(sorted(i18n.installed(), key=lambda code: (code != "fr", code != "en", code)))


def _language(reader: _Reader, node: yaml.Node, field: str) -> str:
    return reader.choice(node, field, digest_languages())


def _non_negative(reader: _Reader, node: yaml.Node, field: str) -> float:
    """A number of seconds that may be 0 (no pause)."""
    value = reader._construct(node)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise reader.error(node, field, f"expected a number of seconds, 0 or more, got {_describe(node)}")
    return float(value)


def _weekday(reader: _Reader, node: yaml.Node, field: str) -> str:
    value = reader.text(node, field).lower()
    value = _WEEKDAY_ALIASES.get(value, value)
    if value not in WEEKDAYS:
        raise reader.error(node, field, f"{value!r} is not a day of the week (monday … sunday)")
    return value


def _clock(reader: _Reader, node: yaml.Node, field: str) -> str:
    value = reader.text(node, field)
    match = _TIME_RE.match(value)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise reader.error(node, field, f"{value!r} is not a time of day written HH:MM, e.g. 06:30")
    return f"{int(match[1]):02d}:{match[2]}"


def _timezone(reader: _Reader, node: yaml.Node, field: str) -> str:
    value = reader.text(node, field)
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise reader.error(node, field, f"{value!r} is not a time zone such as Europe/Paris") from None
    return value


def _model_name(reader: _Reader, node: yaml.Node, field: str) -> str:
    """A sentence-transformers name, or a local model folder (resolved like every other path)."""
    value = reader.text(node, field)
    if value.startswith((".", "/", "~")):
        return str(reader.path(node, field))
    return value


def _env_name(reader: _Reader, node: yaml.Node, field: str) -> str:
    value = reader.text(node, field)
    if not _ENV_NAME_RE.match(value):
        raise reader.error(node, field, f"{value!r} is not an environment variable name (e.g. VEILLE_SMTP_PASSWORD)")
    return value


def _recipients(reader: _Reader, node: yaml.Node, field: str) -> tuple[str, ...]:
    items = [node] if isinstance(node, yaml.ScalarNode) else reader.sequence(node, field)
    out: list[str] = []
    for i, item in enumerate(items, 1):
        address = reader.email(item, field if item is node else f"{field}[{i}]")
        if address not in out:
            out.append(address)
    return tuple(out)


MAIL_LIST_KEYS = ("name", "audience", "recipients", "language")
_LIST_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def _mail_lists(reader: _Reader, node: yaml.Node, field: str) -> tuple[MailList, ...]:
    """``mail.lists``: each list its name (a short key), audience, recipients and language."""
    out: list[MailList] = []
    for i, item in enumerate(reader.sequence(node, field), 1):
        where = f"{field}[{i}]"
        if not isinstance(item, yaml.MappingNode):
            raise reader.error(
                item, where, f"expected a list with name, audience and recipients, got {_describe(item)}"
            )
        values = reader.mapping(item, where, MAIL_LIST_KEYS)
        for key in ("name", "audience", "recipients"):
            if key not in values or _is_null(values[key]):
                raise reader.error(item, f"{where}.{key}", "missing")
        name = reader.text(values["name"], f"{where}.name")
        if not _LIST_NAME_RE.match(name):
            raise reader.error(values["name"], f"{where}.name", f"{name!r}: use lowercase letters, digits, - and _")
        if any(existing.name == name for existing in out):
            raise reader.error(values["name"], f"{where}.name", f"{name!r} is already a list name")
        language = values.get("language")
        list_language = (
            None if language is None or _is_null(language) else _language(reader, language, f"{where}.language")
        )
        out.append(
            MailList(
                name=name,
                audience=reader.choice(values["audience"], f"{where}.audience", AUDIENCES),
                recipients=_recipients(reader, values["recipients"], f"{where}.recipients"),
                language=list_language,
            )
        )
    return tuple(out)


_FETCH: dict[str, Converter] = {
    "concurrency": _int(1),
    "per_host": _int(1),
    "connect_timeout": _num(),
    "read_timeout": _num(),
    "max_bytes": _int(1),
    "max_redirects": _int(0),
    "min_interval_minutes": _int(1),
    "backoff_base_minutes": _int(1),
    "backoff_max_hours": _int(1),
    "stale_days": _int(1),
    "user_agent": _txt(),
}
_FULL_TEXT: dict[str, Converter] = {
    "enabled": lambda r, n, f: r.boolean(n, f),
    "per_host": _int(1),
    "delay_seconds": _non_negative,
    "connect_timeout": _num(),
    "read_timeout": _num(),
    "max_bytes": _int(1),
    "max_age_days": _int(1),
    "max_per_run": _int(1),
}
_MODEL: dict[str, Converter] = {
    "name": _model_name,
    "batch_size": _int(1),
    "device": _txt(),
    "backend": _choice(MODEL_BACKENDS),
}
_DIGEST: dict[str, Converter] = {
    "language": _language,
    "weekday": _weekday,
    "hour": _int(0, 23),
    "title": _txt(),
    "max_per_format": _int(1),
    "max_trends": _int(0),
    "archive_dir": _path(),
}
_MAIL: dict[str, Converter] = {
    "host": _opt_txt(),
    "port": _int(1, 65535),
    "security": _choice(MAIL_SECURITY),
    "username": _opt_txt(),
    "password_env": _env_name,
    "sender": lambda r, n, f: r.email(n, f),
    "recipients": _recipients,
    "timeout": _num(),
    "lists": _mail_lists,
}
_SITE: dict[str, Converter] = {"out_dir": _path(), "title": _txt()}
_SCHEDULE: dict[str, Converter] = {
    "run_time": _clock,
    "timezone": _timezone,
    "misfire_grace_minutes": _int(1),
}


def _feeds(reader: _Reader, node: yaml.Node | None) -> tuple[FeedConfig, ...]:
    if node is None:
        raise reader.error(None, "feeds", "missing: list at least one feed, e.g. `feeds: [{url: https://…}]`")
    feeds: list[FeedConfig] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(reader.sequence(node, "feeds"), 1):
        field = f"feeds[{i}]"
        line = item.start_mark.line + 1
        if isinstance(item, yaml.ScalarNode) and not _is_null(item):
            # shorthand: a bare URL
            url_node: yaml.Node = item
            values: dict[str, yaml.Node] = {}
        else:
            if not isinstance(item, yaml.MappingNode):
                raise reader.error(item, field, f"expected a feed with a url, got {_describe(item)}")
            values = reader.mapping(item, field, FEED_KEYS + SELECTOR_KEYS)
            if "url" not in values:
                raise reader.error(item, f"{field}.url", "missing: every feed needs a url")
            url_node = values["url"]
        url = reader.url(url_node, f"{field}.url")
        key = feed_url_key(url)
        if key in seen:
            raise reader.error(url_node, f"{field}.url", f"{url!r} is already listed at line {seen[key]}")
        seen[key] = url_node.start_mark.line + 1

        def get(name: str, convert: Converter, values: dict[str, yaml.Node] = values, field: str = field) -> Any:
            value = values.get(name)
            return None if _is_null(value) else convert(reader, value, f"{field}.{name}")  # type: ignore[arg-type]

        tags = get("tags", lambda r, n, f: r.text_list(n, f))
        source_type = get("type", _choice(SOURCE_TYPES)) or "feed"
        selectors = _selectors(reader, item, values, field, source_type)
        feeds.append(
            FeedConfig(
                url=url,
                name=get("name", _opt_txt()),
                tags=tags or (),
                lang=get("lang", lambda r, n, f: r.lang(n, f)),
                min_interval_minutes=get("min_interval_minutes", _int(1)),
                read_timeout=get("read_timeout", _num()),
                max_bytes=get("max_bytes", _int(1)),
                full_text=get("full_text", lambda r, n, f: r.boolean(n, f)),
                line=line,
                type=source_type,
                selectors=selectors,
            )
        )
    return tuple(feeds)


def _watches(reader: _Reader, node: yaml.Node | None) -> tuple[WatchConfig, ...]:
    """``watches: [{name, query}]``: each query is read now (``core.query``), so a bad one stops the load
    with its line and the watch's name, not a search later."""
    from veille.core.query import parse
    from veille.core.watches import watch_slug
    from veille.errors import QueryError

    if _is_null(node):
        return ()
    assert node is not None
    watches: list[WatchConfig] = []
    names: dict[str, int] = {}
    slugs: set[str] = set()
    for i, item in enumerate(reader.sequence(node, "watches"), 1):
        field = f"watches[{i}]"
        if not isinstance(item, yaml.MappingNode):
            raise reader.error(
                item, field, f"expected a watch such as {{name: IA, query: ia OR ai}}, got {_describe(item)}"
            )
        values = reader.mapping(item, field, WATCH_KEYS)
        for key in WATCH_KEYS:
            if _is_null(values.get(key)):
                raise reader.error(item, f"{field}.{key}", "missing: every watch needs a name and a query")
        name = reader.text(values["name"], f"{field}.name").strip()
        query = reader.text(values["query"], f"{field}.query").strip()
        if not name:
            raise reader.error(values["name"], f"{field}.name", "empty: give the watch a name")
        if name.casefold() in names:
            raise reader.error(
                values["name"], f"{field}.name", f"{name!r} is already a watch at line {names[name.casefold()]}"
            )
        names[name.casefold()] = values["name"].start_mark.line + 1
        try:
            parse(query)
        except QueryError as exc:
            raise reader.error(values["query"], f"{field}.query", f"watch {name!r}: {exc}") from None
        base = watch_slug(name) or f"watch-{i}"
        page = base
        while page in slugs:
            page = f"{base}-{i}"
        slugs.add(page)
        watches.append(WatchConfig(name=name, query=query, slug=page))
    return tuple(watches)


def _selectors(
    reader: _Reader, item: yaml.Node, values: dict[str, yaml.Node], field: str, source_type: str
) -> HtmlSelectors | None:
    """The CSS selectors of a ``type: html`` source (None for a feed, which must have none)."""
    given = {key: values[key] for key in SELECTOR_KEYS if key in values}
    if source_type != "html":
        for key, node in given.items():
            raise reader.error(
                node, f"{field}.{key}", "a CSS selector is only for a page read without a feed: add `type: html`"
            )
        return None
    from veille.adapters.html_source import selector_problem

    for key in REQUIRED_SELECTORS:
        if key not in given or _is_null(given[key]):
            raise reader.error(
                item,
                f"{field}.{key}",
                f"missing: a `type: html` source needs the CSS selectors {', '.join(REQUIRED_SELECTORS)}",
            )
    selectors: dict[str, str] = {}
    for key, node in given.items():
        if _is_null(node):
            continue
        selector = reader.text(node, f"{field}.{key}")
        problem = selector_problem(selector)
        if problem is not None:
            raise reader.error(node, f"{field}.{key}", problem)
        selectors[key] = selector
    return HtmlSelectors(**selectors)


def _full_text(reader: _Reader, node: yaml.Node | None) -> FullTextSettings:
    """``full_text:``: the settings of article-page fetching; ``full_text: true`` alone turns it on for
    every feed with the default settings."""
    if isinstance(node, yaml.ScalarNode) and not _is_null(node):
        return FullTextSettings(enabled=reader.boolean(node, "full_text"))
    settings, _ = _section(reader, node, "full_text", FullTextSettings, _FULL_TEXT)
    return settings


def _mail(reader: _Reader, node: yaml.Node | None, environ: Mapping[str, str]) -> MailSettings:
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == "password":
                raise reader.error(
                    key_node,
                    "mail.password",
                    "never write the password in this file: put it in an environment variable "
                    "and name that variable with password_env (e.g. password_env: VEILLE_SMTP_PASSWORD)",
                )
    mail, values = _section(reader, node, "mail", MailSettings, _MAIL)
    if mail.host is None:
        return mail  # mail disabled: the rest is kept as written but not required
    changes: dict[str, Any] = {}
    if "port" not in values and mail.security == "tls":
        changes["port"] = 465  # implicit TLS has its own well-known port
    if mail.sender is None:
        raise reader.error(values.get("host"), "mail.sender", "missing: set the From address when mail.host is set")
    if not mail.recipients and not mail.lists:
        raise reader.error(
            values.get("host"),
            "mail.recipients",
            "missing: list at least one recipient (or a mail.lists entry) when mail.host is set",
        )
    if mail.password_env is not None:
        changes["password"] = environ.get(mail.password_env) or None
    return dataclasses.replace(mail, **changes) if changes else mail


def check_storage_url(url: str) -> str:
    """``url`` if it is a PostgreSQL URL veille can use (the rules of ``storage.url``), else ConfigError."""
    problem = _postgres_url_problem(url)
    if problem is not None:
        raise ConfigError(problem)
    return url


STORAGE_KEYS = ("path", "url", "password_env", "timeout")


def _storage(reader: _Reader, values: dict[str, yaml.Node], environ: Mapping[str, str]) -> StorageSettings:
    """``storage.url`` (absent: the SQLite file under ``storage.path``; ``postgresql://user@host/db``: a
    PostgreSQL database, its password read from the variable named by ``storage.password_env``)."""
    timeout = reader.number(values["timeout"], "storage.timeout") if not _is_null(values.get("timeout")) else 30.0
    password_env = (
        _env_name(reader, values["password_env"], "storage.password_env")
        if not _is_null(values.get("password_env"))
        else None
    )
    if _is_null(values.get("url")):
        return StorageSettings(timeout=timeout)
    node = values["url"]
    url = reader.text(node, "storage.url")
    problem = _postgres_url_problem(url)
    if problem is not None:
        raise reader.error(node, "storage.url", problem)
    password = environ.get(password_env) or None if password_env else None
    return StorageSettings(url=url, password_env=password_env, timeout=timeout, password=password)


def _postgres_url_problem(url: str) -> str | None:
    """What is wrong with ``url`` as a PostgreSQL database URL (None: nothing)."""
    example = "postgresql://user@host:5432/database"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"{url!r} is not a valid URL ({exc}): write {example}"
    if parts.scheme not in ("postgresql", "postgres"):
        return (
            f"{url!r} is not a PostgreSQL URL: write {example}, or remove storage.url to keep the SQLite "
            "file under storage.path"
        )
    if parts.password is not None:
        return (
            "never write the password in this file: put it in an environment variable and name that variable "
            "with storage.password_env (e.g. password_env: VEILLE_DB_PASSWORD)"
        )
    if not parts.hostname:
        return f"{url!r} names no server: write {example}"
    if not parts.path.strip("/"):
        return f"{url!r} names no database: write {example}"
    if port == 0:
        return f"{url!r}: port 0 is not a port"
    return None


def _compose(text: str, label: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        column = mark.column if mark is not None else 0
        source = text.splitlines()[line - 1] if line and line <= len(text.splitlines()) else ""
        raise ConfigError(
            _yaml_problem(exc.problem or exc.context or "invalid YAML", source, column), path=label, line=line
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"YAML syntax error: {exc}", path=label) from None


def _yaml_problem(problem: str, source: str, column: int) -> str:
    """PyYAML's parser wording (``expected <block end>, but found '<block mapping start>'``) turned into what
    to do about it, for the mistakes people make when editing feeds.yaml by hand."""
    shown = source.strip()
    shown = f"`{shown[:60]}{'…' if len(shown) > 60 else ''}`"
    if "\\t" in problem or "\t" in problem:  # PyYAML shows a tab as a backslash and a t
        return f"YAML indentation error: a tab in {shown}; indent with spaces only"
    first_colon = source.find(": ")
    colon_in_value = problem.startswith("mapping values are not allowed") and 0 <= first_colon < column - 1
    if colon_in_value:
        return f"YAML syntax error: the value in {shown} contains ': '; put the value in quotes"
    if problem.startswith(("expected <block end>", "mapping values are not allowed")):
        return (
            f"YAML indentation error: check the indentation here: {shown} is not aligned with the lines above "
            "it (settings nest by their indentation, in spaces)"
        )
    return f"YAML syntax error: {problem}"


def _parse(
    text: str, path: Path, *, environ: Mapping[str, str] | None, check_files: bool, label: str | None = None
) -> Settings:
    label = label if label is not None else str(path)
    config_path = path if path.is_absolute() else Path.cwd() / path
    base_dir = config_path.parent.resolve()
    reader = _Reader(label, base_dir)
    root = _compose(text, label)
    if _is_null(root):
        raise ConfigError("the file is empty: list at least one feed under `feeds:`", path=label)
    assert root is not None
    if not isinstance(root, yaml.MappingNode):
        raise reader.error(root, None, f"expected settings such as `feeds:` at the top, got {_describe(root)}")
    top = reader.mapping(root, "", TOP_LEVEL_KEYS)

    feeds = _feeds(reader, top.get("feeds"))

    storage = reader.mapping(top["storage"], "storage", STORAGE_KEYS) if "storage" in top else {}
    data_dir = base_dir / DATA_DIR_NAME
    if not _is_null(storage.get("path")):
        data_dir = reader.path(storage["path"], "storage.path")
    database = _storage(reader, storage, os.environ if environ is None else environ)

    fetch, _ = _section(reader, top.get("fetch"), "fetch", FetchSettings, _FETCH)
    model, _ = _section(reader, top.get("model"), "model", ModelSettings, _MODEL)
    digest, _ = _section(reader, top.get("digest"), "digest", DigestSettings, _DIGEST)
    site, _ = _section(reader, top.get("site"), "site", SiteSettings, _SITE)
    schedule, _ = _section(reader, top.get("schedule"), "schedule", ScheduleSettings, _SCHEDULE)
    full_text = _full_text(reader, top.get("full_text"))
    mail = _mail(reader, top.get("mail"), os.environ if environ is None else environ)
    watches = _watches(reader, top.get("watches"))

    # Defaults that depend on other settings are filled here, so no stage has to know them.
    digest = dataclasses.replace(
        digest,
        title=digest.title or i18n.strings(digest.language).default_title,
        archive_dir=digest.archive_dir or data_dir / "digests",
    )
    site = dataclasses.replace(site, title=site.title or digest.title, out_dir=site.out_dir or data_dir / "site")

    formats_file = None
    if not _is_null(top.get("formats")):
        formats_file = reader.path(top["formats"], "formats")
        if check_files and not formats_file.is_file():
            raise reader.error(top["formats"], "formats", f"no such file: {formats_file}")
    templates_dir = None
    if not _is_null(top.get("templates")):
        templates_dir = reader.path(top["templates"], "templates")
        if check_files and not templates_dir.is_dir():
            raise reader.error(top["templates"], "templates", f"no such folder: {templates_dir}")
    elif (base_dir / "templates").is_dir():
        templates_dir = base_dir / "templates"

    return Settings(
        config_path=config_path,
        feeds=feeds,
        data_dir=data_dir,
        database=data_dir / DATABASE_NAME,
        fetch=fetch,
        model=model,
        digest=digest,
        mail=mail,
        site=site,
        schedule=schedule,
        formats_file=formats_file,
        templates_dir=templates_dir,
        storage=database,
        watches=watches,
        full_text=full_text,
    )


def loads(text: str, path: Path, *, environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from configuration ``text`` as if read from ``path`` (for messages and relative paths)."""
    return _parse(text, path, environ=environ, check_files=True)


def resolve_config_path(path: Path) -> Path:
    """``path`` itself, or ``path/feeds.yaml`` when ``path`` is a folder."""
    return path / CONFIG_NAME if path.is_dir() else path


def read_text(path: Path) -> str:
    """The configuration file's text, or a ``ConfigError`` saying clearly why it cannot be read."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            "no such file: create one with `veille init`, or pass --config PATH", path=str(path)
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read the file: {exc.strerror or exc}", path=str(path)) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError("the file is not UTF-8 text; save it as UTF-8", path=str(path), line=line) from None


def load(path: Path, *, environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate ``feeds.yaml`` (or the ``feeds.yaml`` inside a folder).

    ``environ`` (default ``os.environ``) is where secrets are looked up: ``mail.password_env`` names the
    variable and its value lands in ``settings.mail.password`` (``None`` when unset: loading does not fail
    on a missing secret, so ``veille feeds add`` works on a machine that never sends mail; sending does).
    Raises ``ConfigError`` naming file, line and field.
    """
    path = resolve_config_path(path)
    return _parse(read_text(path), path, environ=environ, check_files=True)


# --------------------------------------------------------------------------------------------------
# Writing feeds.yaml: the starter, and feed entries


def _flow(value: Any) -> str:
    """``value`` as a one-line YAML flow scalar or list, quoted only when YAML needs it."""
    if isinstance(value, str):
        # block context: a URL needs no quotes there (in a flow list its ":" would)
        dumped = yaml.safe_dump(value, default_flow_style=False, allow_unicode=True, width=1_000_000)
        return dumped.split("\n", 1)[0]
    dumped = yaml.safe_dump([value], default_flow_style=True, allow_unicode=True, width=1_000_000, sort_keys=False)
    return dumped.strip()[1:-1]


def feed_entry_yaml(feed: FeedConfig, indent: int = 2) -> str:
    """One ``- url: …`` block of the ``feeds:`` list, indented by ``indent`` spaces, ending in a newline."""
    lines = [f"url: {_flow(feed.url)}"]
    if feed.name:
        lines.append(f"name: {_flow(' '.join(feed.name.split()))}")
    if feed.tags:
        lines.append(f"tags: {_flow(list(feed.tags))}")
    for name in ("lang", "min_interval_minutes", "read_timeout", "max_bytes", "full_text"):
        value = getattr(feed, name)
        if value is not None:
            lines.append(f"{name}: {_flow(value)}")
    for name, value in _source_keys(feed):
        lines.append(f"{name}: {_flow(value)}")
    pad = " " * indent
    return "".join(f"{pad}{'- ' if i == 0 else '  '}{line}\n" for i, line in enumerate(lines))


def dump_feeds(feeds: Iterable[FeedConfig]) -> str:
    """A complete ``feeds:`` section listing ``feeds`` (e.g. to start a configuration from an OPML file)."""
    entries = "".join(feed_entry_yaml(feed) for feed in feeds)
    return f"feeds:\n{entries}" if entries else "feeds: []\n"


STARTER_CONFIG = """\
# veille configuration — sources and settings in one file.
# Every setting but `feeds` has a default; uncomment a line to change it. Paths are relative to this file.
# `veille init --full OTHER-FOLDER` writes a longer watch list with every setting explained.

feeds:
  # Each feed: url (required), optional name, tags (your audiences), lang (fr, en…; else detected).
  - url: https://www.edsurge.com/articles_rss
    name: EdSurge
    tags: [school, higher-ed]
    lang: en
  - url: https://elearningindustry.com/feed
    name: eLearning Industry
    tags: [corporate]
    lang: en
  - url: https://www.insidehighered.com/rss.xml
    name: Inside Higher Ed
    tags: [higher-ed]
    lang: en
  - url: https://www.cafepedagogique.net/feed/
    name: Le Café pédagogique
    tags: [school]
    lang: fr
  - url: https://www.ludomag.com/feed/
    name: Ludomag
    tags: [school, higher-ed]
    lang: fr
  - url: https://theconversation.com/fr/education/articles.atom
    name: The Conversation France — Éducation
    tags: [higher-ed, school]
    lang: fr

# storage:
#   path: .veille            # database, digest archive, site and logs live here
#   url: postgresql://veille@db.example.org/veille   # a team's shared PostgreSQL (default: SQLite under path)
#   password_env: VEILLE_DB_PASSWORD                  # the variable holding its password (never the file)

# fetch:
#   min_interval_minutes: 60 # a feed is not fetched again sooner
#   read_timeout: 30         # seconds

digest:
  language: fr               # fr | en | any catalog in veille/locale: the digest's, site's and CLI's
  weekday: monday            # day the weekly digest is built and sent
  # hour: 7                  # in schedule.timezone
  # title: Veille digital learning

# mail:                      # leave commented out to only archive the digest
#   host: smtp.example.org
#   port: 587
#   security: starttls       # starttls | tls | none
#   username: veille@example.org
#   password_env: VEILLE_SMTP_PASSWORD   # the password is read from this environment variable
#   sender: veille@example.org
#   recipients: [dlm@example.org]
#   lists:                   # more digests: an audience's stories and the general ones
#     - {name: rh, audience: corporate, recipients: [l-and-d@example.org], language: fr}

# site:
#   out_dir: .veille/site
#   title: Veille digital learning

# schedule:                  # for `veille schedule`, the built-in scheduler (cron users can ignore it)
#   run_time: "06:00"        # daily fetch, HH:MM
#   timezone: Europe/Paris
"""

REFERENCE_CONFIG = "feeds.yaml"  # in veille/data: every setting with its default, and a real watch list


def starter_config() -> str:
    """The text ``veille init`` writes: a short commented configuration with a few real feeds."""
    return STARTER_CONFIG


def reference_config() -> str:
    """The text ``veille init --full`` writes: the shipped reference (``veille/data/feeds.yaml``), a real
    watch list of French and English edtech sources with every setting and its default commented."""
    from importlib.resources import files

    return files("veille").joinpath("data", REFERENCE_CONFIG).read_text(encoding="utf-8")


def init_config(directory: Path, *, full: bool = False) -> Path:
    """Write the starter (or with ``full`` the reference) ``feeds.yaml`` into ``directory`` (created if
    needed) and return its path.

    Never overwrites: an existing file raises ``ConfigError``, since it holds the user's own sources.
    """
    target = directory / CONFIG_NAME
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with target.open("x", encoding="utf-8") as handle:
            handle.write(reference_config() if full else starter_config())
    except FileExistsError:
        raise ConfigError(
            "already exists; veille init never overwrites a configuration (edit it, or pick another folder)",
            path=str(target),
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot write the file: {exc.strerror or exc}", path=str(target)) from None
    return target


# --------------------------------------------------------------------------------------------------
# Editing feeds.yaml text in place (feeds add|remove, opml import)


def _round_trip() -> Any:
    from ruamel.yaml import YAML

    rt = YAML()  # round-trip mode: comments, key order, quotes and flow/block styles are kept
    rt.preserve_quotes = True
    rt.width = 1_000_000  # never fold a long URL or name onto a second line
    rt.brace_single_entry_mapping_in_flow_sequence = True  # `[{url: …}]` stays as written
    return rt


def _load_round_trip(text: str, label: str) -> Any:
    from ruamel.yaml.error import YAMLError as RuamelError

    _compose(text, label)  # PyYAML's reading first: its messages carry the file and line
    try:
        return _round_trip().load(text)
    except RuamelError as exc:
        raise ConfigError(f"cannot edit this YAML: {exc}", path=label) from None


def _dash_column(feeds: Any, text: str) -> int:
    """Where the file puts the ``-`` of the feeds list (``feeds:\n- url`` or ``feeds:\n  - url``), 2 if new."""
    from ruamel.yaml.comments import CommentedSeq

    if isinstance(feeds, CommentedSeq) and len(feeds) and not feeds.fa.flow_style():
        position = feeds.lc.item(0)
        if position is not None:
            line = text.splitlines()[position[0]]
            if line.lstrip().startswith("-"):
                return len(line) - len(line.lstrip(" "))
            return max(0, position[1] - 2)
    return 2


def _dump_round_trip(root: Any, dash: int) -> str:
    import io

    rt = _round_trip()
    rt.indent(mapping=2, sequence=dash + 2, offset=dash)
    out = io.StringIO()
    rt.dump(root, out)
    return out.getvalue()


def _feed_entry(feed: FeedConfig) -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    entry = CommentedMap(url=feed.url)
    if feed.name:
        entry["name"] = " ".join(feed.name.split())
    if feed.tags:
        tags = CommentedSeq(feed.tags)
        tags.fa.set_flow_style()  # `tags: [a, b]`, as the starter file writes them
        entry["tags"] = tags
    for name in ("lang", "min_interval_minutes", "read_timeout", "max_bytes", "full_text"):
        if getattr(feed, name) is not None:
            entry[name] = getattr(feed, name)
    for name, value in _source_keys(feed):
        entry[name] = value
    return entry


def _source_keys(feed: FeedConfig) -> list[tuple[str, str]]:
    """The ``type`` and CSS selectors of a ``type: html`` source, as feeds.yaml writes them (none for a feed)."""
    if feed.type == "feed" or feed.selectors is None:
        return []
    keys = [("type", feed.type)]
    return keys + [(name, value) for name in SELECTOR_KEYS if (value := getattr(feed.selectors, name)) is not None]


def _entry_url_key(entry: Any) -> str | None:
    if isinstance(entry, str):
        return feed_url_key(entry)
    if isinstance(entry, Mapping) and isinstance(entry.get("url"), str):
        return feed_url_key(entry["url"])
    return None


def add_feeds_to_yaml(
    text: str, feeds: Iterable[FeedConfig], *, path: Path = Path(CONFIG_NAME), skip_existing: bool = True
) -> str:
    """``text`` with ``feeds`` appended to the ``feeds:`` list, every comment, key order and style kept.

    The file is read as a ruamel.yaml round-trip document; when the list is a block list, the new entries'
    lines go in after the last entry and every other line stays byte for byte (indentation, line endings,
    document markers), else the document is written back by ruamel. Feeds already listed (same URL up to scheme,
    case and trailing slash) are skipped, or raise ``ConfigError`` naming the line where they are listed
    when ``skip_existing`` is false. The result is validated like ``load`` would (``path`` names the file
    in messages) before it is returned.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    label = str(path)
    root = _load_round_trip(text, label)
    current = root.get("feeds") if isinstance(root, CommentedMap) else None
    listed: dict[str, int] = {}  # key → line
    if isinstance(current, CommentedSeq):
        for i, entry in enumerate(current):
            entry_key = _entry_url_key(entry)
            if entry_key is not None:
                listed.setdefault(entry_key, current.lc.item(i)[0] + 1)
    new: list[FeedConfig] = []
    for feed in feeds:
        key = feed_url_key(feed.url)
        if key in listed and is_feed_url(feed.url):  # an invalid URL goes on, to fail validation below
            if skip_existing:
                continue
            raise ConfigError(f"{feed.url!r} is already listed at line {listed[key]}", path=label, field="feeds")
        listed[key] = 0
        new.append(feed)
    if not new:
        return text

    if root is None:  # an empty file, or only comments: the list goes below them
        result = (text if not text or text.endswith("\n") else text + "\n") + dump_feeds(new)
    elif not isinstance(root, CommentedMap):
        raise ConfigError("expected settings such as `feeds:` at the top", path=label)
    else:
        if current is None:
            current = root["feeds"] = CommentedSeq()
        elif not isinstance(current, CommentedSeq):
            raise ConfigError(
                f"expected a list, got {type(current).__name__}",
                path=label,
                line=root.lc.value("feeds")[0] + 1,
                field="feeds",
            )
        dash = _dash_column(current, text)
        if len(current) and not current.fa.flow_style():
            # a block list: the new entries' lines go in after the last entry's, the rest of the file as written
            lines = text.splitlines(keepends=True)
            end = _entry_span(lines, current, len(current) - 1, dash)[1]
            block = _render_entries([_feed_entry(feed) for feed in new], dash)
            if "\r\n" in text:
                block = block.replace("\n", "\r\n")
            if end and not lines[end - 1].endswith("\n"):
                lines[end - 1] += "\r\n" if "\r\n" in text else "\n"
            result = "".join([*lines[:end], block, *lines[end:]])
        else:
            current.extend(_feed_entry(feed) for feed in new)
            result = _dump_round_trip(root, dash)
    _parse(result, path, environ={}, check_files=False, label=label)
    return result


def _render_entries(entries: list[Any], dash: int) -> str:
    """``entries`` as block list lines with their ``-`` at column ``dash``."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    rendered = _dump_round_trip(CommentedMap(feeds=CommentedSeq(entries)), dash)
    return rendered.split("\n", 1)[1]  # below `feeds:`


def _entry_span(lines: list[str], feeds: Any, index: int, dash: int) -> tuple[int, int]:
    """The first line and one past the last line of entry ``index`` of a block list whose ``-`` stand at
    column ``dash``: its dash line and the lines indented under it (its keys, its own comments). The blank
    lines and notes that follow it are not its own, unless a key of the entry comes after them."""

    def indent(line: str) -> int:
        return len(line) - len(line.lstrip(" "))

    start = feeds.lc.item(index)[0]
    while start > 0 and not lines[start].lstrip().startswith("-") and lines[start - 1].strip() == "-":
        start -= 1  # `-` alone on its line, the entry below it
    end = start + 1
    while end < len(lines):
        stripped = lines[end].strip()
        if stripped and indent(lines[end]) > dash:
            end += 1
            continue
        if not stripped:
            following = next((line for line in lines[end:] if line.strip()), "")
            if following and not following.strip().startswith("#") and indent(following) > dash:
                end += 1
                continue
        break
    return start, end


def remove_feed_from_yaml(text: str, url: str, *, path: Path = Path(CONFIG_NAME)) -> str:
    """``text`` without the feed whose URL is ``url`` (same key as duplicate checks), the entry's own
    comments with it; every other line stays byte for byte (comments, indentation, line endings). A flow
    list (``feeds: [...]``) is rewritten by a ruamel.yaml round trip.

    Raises ``ConfigError`` when no listed feed has that URL. The result is validated before it is returned.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    label = str(path)
    _parse(text, path, environ={}, check_files=False, label=label)
    root = _load_round_trip(text, label)
    current = root.get("feeds") if isinstance(root, CommentedMap) else None
    entries = list(current) if isinstance(current, CommentedSeq) else []
    wanted = feed_url_key(url)
    index = next((i for i, entry in enumerate(entries) if _entry_url_key(entry) == wanted), None)
    if current is None or index is None:
        raise ConfigError(f"{url!r} is not listed", path=label, field="feeds")
    dash = _dash_column(current, text)
    if current.fa.flow_style():
        del current[index]
        result = _dump_round_trip(root, dash)
    else:
        # a block list: the entry's own lines go, every other line stays as written (comments, layout,
        # line endings); the last entry gone, the list is written `feeds: []`
        lines = text.splitlines(keepends=True)
        first, end = _entry_span(lines, current, index, dash)
        del lines[first:end]
        if len(current) == 1:
            at = root.lc.key("feeds")[0]
            lines[at] = re.sub(r"^(\s*feeds\s*:)", r"\1 []", lines[at], count=1)
        result = "".join(lines)
    _parse(result, path, environ={}, check_files=False, label=label)
    return result
