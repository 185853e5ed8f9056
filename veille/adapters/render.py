"""Jinja2 rendering of the digest (HTML + plain text) and CSS inlining for mail clients.

The user's own ``templates/`` folder is searched first, then the templates shipped with veille, so a
user overrides one file without copying the others. Autoescape is on for every template but ``.txt``
ones (a plain-text part is not HTML: escaping would print ``&amp;``). Undefined variables raise, so a
broken user template fails loudly as a ``RenderError`` naming the template, never as a half-empty mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import css_inline
import jinja2

from veille.core.digest import DigestView
from veille.errors import RenderError

SHIPPED_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@dataclass(frozen=True)
class RenderedDigest:
    html: str  # CSS inlined, ready for a mail client
    text: str


def _autoescape(name: str | None) -> bool:
    return not (name or "").endswith(".txt")


def make_environment(user_dir: Path | None = None) -> jinja2.Environment:
    """The template environment: ``user_dir`` (when it exists) before the shipped templates."""
    loaders: list[jinja2.BaseLoader] = []
    if user_dir is not None and user_dir.is_dir():
        loaders.append(jinja2.FileSystemLoader(str(user_dir)))
    loaders.append(jinja2.FileSystemLoader(str(SHIPPED_TEMPLATES)))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=_autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_template(env: jinja2.Environment, name: str, **context: object) -> str:
    """Render one template, every Jinja failure turned into a RenderError naming the file."""
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateNotFound as exc:
        raise RenderError(f"template {name} not found in the user templates or the shipped ones") from exc
    except jinja2.TemplateSyntaxError as exc:
        where = exc.filename or exc.name or name
        raise RenderError(f"template {where}:{exc.lineno}: {exc.message}") from exc
    except jinja2.TemplateError as exc:
        raise RenderError(f"template {name} failed to render: {exc}") from exc


_INLINER = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)


def inline_css(html: str) -> str:
    """Move the ``<style>`` rules into ``style=""`` attributes (what Gmail and Outlook honour).

    At-rules (the dark-mode and narrow-screen media queries) are kept in a ``<style>`` block for the
    clients that read them; remote stylesheets are never fetched.
    """
    try:
        return _INLINER.inline(html)
    except ValueError as exc:
        raise RenderError(f"cannot inline the digest's CSS: {exc}") from exc


def render_digest(view: DigestView, *, templates_dir: Path | None = None) -> RenderedDigest:
    """Both renderings of a digest: ``digest.html`` (CSS inlined) and ``digest.txt``."""
    env = make_environment(templates_dir)
    html = render_template(env, "digest.html", digest=view, t=view.t)
    text = render_template(env, "digest.txt", digest=view, t=view.t)
    return RenderedDigest(html=inline_css(html), text=_tidy_text(text))


def _tidy_text(text: str) -> str:
    """At most one blank line in a row and one final newline: templates stay readable, output stays tidy."""
    lines = [line.rstrip() for line in text.splitlines()]
    tidy: list[str] = []
    for line in lines:
        if line == "" and (not tidy or tidy[-1] == ""):
            continue
        tidy.append(line)
    return "\n".join(tidy).strip("\n") + "\n"
