"""The search query language of ``veille search`` and of watches (pure: text in, a tree out).

    ia générative          both words (in any order, anywhere in the title or the text)
    "réalité virtuelle"    the words side by side, in this order
    chatgpt OR copilot     either word (OR in capitals; it binds tighter than the implicit AND)
    NOT crypto, -crypto    items without the word (next to at least one word that is wanted)
    apprenti*              any word starting with "apprenti"
    (a OR b) c             parentheses group

Matching ignores case and accents ("elearning", "E-learning" and "é-learning" are read the same way
as the item's text is indexed: letters and digits, everything else separates words; French "j'ai" and
"n'ai" between spaces are the words "jai" and "nai", so that "ai" finds AI, not "j'ai"). The tree is
translated by the storage adapters (SQLite FTS5 ``MATCH``, PostgreSQL ``tsquery``): see
``adapters.search_store``. A query that cannot be read raises ``QueryError`` with the reason.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from veille.errors import QueryError

MAX_QUERY_LENGTH = 500
MIN_PREFIX = 2  # "a*" would match half the index


@dataclass(frozen=True)
class Term:
    """One word (``tokens`` of one) or a phrase (several, side by side); ``prefix``: the last token is a prefix."""

    tokens: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class AnyOf:
    """At least one of ``options``."""

    options: tuple[Node, ...]


@dataclass(frozen=True)
class AllOf:
    """Every node of ``wanted`` and none of ``excluded`` (``wanted`` is never empty)."""

    wanted: tuple[Node, ...]
    excluded: tuple[Node, ...] = ()


Node = Term | AnyOf | AllOf


def fold(text: str) -> str:
    """Lower case without accents: "Élève" -> "eleve" (what the index stores)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


# "j'ai", "n'ai" (French "I have", "I have not") between spaces or the ends: one word, "jai", "nai" (not
# "l'ai": "l'AI Act" must stay findable). The same rule everywhere text is indexed: the SQLite triggers
# (``schema.FTS_TEXT``), PostgreSQL's ``veille_words`` (``adapters.storage.postgres``), the site's
# ``search.js``.
_FRENCH_HAVE = re.compile(r"(?<!\S)([jn])['’](ai)(?=\s|$)", re.IGNORECASE)


def _join_french_have(text: str) -> str:
    """``text`` with "j'ai" and "n'ai" written as one word: "J'ai testé" -> "Jai testé"."""
    return _FRENCH_HAVE.sub(r"\1\2", text)


def _is_word_char(char: str) -> bool:
    return unicodedata.category(char)[0] in "LN" or unicodedata.category(char) == "Co"


def words(text: str) -> list[str]:
    """The indexed words of ``text``: folded, split on everything that is not a letter or a digit
    ("j'ai" and "n'ai" kept whole)."""
    out: list[str] = []
    current: list[str] = []
    for char in fold(_join_french_have(text)):
        if _is_word_char(char):
            current.append(char)
        elif current:
            out.append("".join(current))
            current = []
    if current:
        out.append("".join(current))
    return out


# ------------------------------------------------------------------------------------------- lexer

_OPEN, _CLOSE, _OR, _NOT, _AND, _WORD, _PHRASE = "(", ")", "OR", "NOT", "AND", "word", "phrase"


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str = ""
    negated: bool = False  # written with a leading "-"


def _lex(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(query)
    while i < n:
        char = query[i]
        if char.isspace():
            i += 1
            continue
        if char in "()":
            tokens.append(_Token(char))
            i += 1
            continue
        negated = False
        if char == "-" and i + 1 < n and not query[i + 1].isspace():
            negated = True
            i += 1
            char = query[i]
            if char == "(":
                tokens.append(_Token(_OPEN, negated=True))
                i += 1
                continue
        if char in '"«“”»':
            closing = {"«": "»", "“": "”"}.get(char, '"' if char == '"' else char)
            end = query.find(closing, i + 1)
            if end < 0 and char == "“":
                end = query.find('"', i + 1)
            if end < 0:
                raise QueryError(f"a phrase is not closed: {query[i:]!r} needs its closing quote")
            after = end + 1
            prefix = after < n and query[after] == "*"
            tokens.append(_Token(_PHRASE, query[i + 1 : end] + ("*" if prefix else ""), negated))
            i = after + (1 if prefix else 0)
            continue
        start = i
        while i < n and not query[i].isspace() and query[i] not in '()"':
            i += 1
        text = query[start:i]
        if not negated and text in (_OR, _NOT, _AND):
            tokens.append(_Token(text))
        else:
            tokens.append(_Token(_WORD, text, negated))
    return tokens


# ------------------------------------------------------------------------------------------ parser


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def all_of(self, closing: bool) -> Node | None:
        wanted: list[Node] = []
        excluded: list[Node] = []
        while (token := self.peek()) is not None and token.kind != _CLOSE:
            if token.kind == _AND:
                self.take()
                continue
            negated = False
            if token.kind == _NOT:
                self.take()
                negated = True
                if self.peek() is None or self.peek().kind in (_CLOSE, _OR, _AND, _NOT):  # type: ignore[union-attr]
                    raise QueryError("NOT must be followed by a word, a phrase or a group")
            elif token.negated:
                negated = True
            node = self.any_of(negated_first=negated)
            if node is None:
                continue
            (excluded if negated else wanted).append(node)
        if self.peek() is not None and not closing:
            raise QueryError("a closing parenthesis has no opening one")
        if not wanted:
            if excluded:
                raise QueryError("a query needs at least one word to look for, not only words to leave out")
            return None
        if len(wanted) == 1 and not excluded:
            return wanted[0]
        return AllOf(tuple(wanted), tuple(excluded))

    def any_of(self, *, negated_first: bool) -> Node | None:
        options: list[Node] = []
        first = self.primary()
        if first is not None:
            options.append(first)
        while (token := self.peek()) is not None and token.kind == _OR:
            self.take()
            following = self.peek()
            if following is None or following.kind in (_CLOSE, _OR, _AND, _NOT):
                raise QueryError("OR must sit between two words, phrases or groups")
            if negated_first or following.negated:
                raise QueryError("a word left out cannot be one side of an OR: write -(a OR b) to leave out both")
            option = self.primary()
            if option is not None:
                options.append(option)
        if not options:
            return None
        unique = tuple(dict.fromkeys(options))
        return unique[0] if len(unique) == 1 else AnyOf(unique)

    def primary(self) -> Node | None:
        token = self.take()
        if token.kind == _OPEN:
            inner = self.all_of(closing=True)
            if self.peek() is None:
                raise QueryError("a parenthesis is not closed")
            self.take()
            return inner
        if token.kind == _CLOSE:
            raise QueryError("a closing parenthesis has no opening one")
        if token.kind in (_OR, _NOT, _AND):
            raise QueryError(f"{token.kind} must sit between two words, phrases or groups")
        text = token.text
        prefix = text.endswith("*")
        tokens = words(text.rstrip("*"))
        if "*" in text.rstrip("*"):
            raise QueryError(f"{text!r}: * only ends a word (apprenti* for every word starting with apprenti)")
        if not tokens:
            return None  # punctuation alone: nothing to look for
        if prefix and len(tokens[-1]) < MIN_PREFIX:
            raise QueryError(f"{text!r}: a prefix needs at least {MIN_PREFIX} letters before the *")
        return Term(tuple(tokens), prefix)


def parse(query: str) -> Node:
    """The tree of ``query``; ``QueryError`` (naming what is wrong) when it cannot be read or holds no word."""
    if len(query) > MAX_QUERY_LENGTH:
        raise QueryError(f"the query is longer than {MAX_QUERY_LENGTH} characters")
    parser = _Parser(_lex(query))
    node = parser.all_of(closing=False)
    if node is None:
        raise QueryError(f"the query {query.strip()!r} has no word to look for")
    return node


def describe(node: Node) -> str:
    """The tree written back in the query language, normalised (folded words): for messages and tests."""
    if isinstance(node, Term):
        body = " ".join(node.tokens) + ("*" if node.prefix else "")
        return f'"{body}"' if len(node.tokens) > 1 else body
    if isinstance(node, AnyOf):
        return "(" + " OR ".join(describe(option) for option in node.options) + ")"
    parts = [describe(n) for n in node.wanted] + [f"-{describe(n)}" for n in node.excluded]
    return "(" + " ".join(parts) + ")"
