"""Load and validate a learning-format taxonomy YAML file into a ``core.formats.Taxonomy``.

The shipped taxonomy is ``veille/data/formats.yaml``. A user file (feeds.yaml ``formats:``) has the same
shape; its formats replace the shipped ones with the same key, whole, and new keys are added. Errors are
``ConfigError``s naming the file, the line and the field (``formats.mooc.examples.fr[2]``), because the
person fixing them has the file open in an editor.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml

from veille.core.formats import OTHER, CorpusItem, LearningFormat, RelevanceRules, Taxonomy
from veille.errors import ConfigError

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from veille.adapters.embed import Embedder

SHIPPED = Path(__file__).resolve().parent.parent / "data" / "formats.yaml"
SHIPPED_CORPUS = Path(__file__).resolve().parent.parent / "data" / "formats_corpus.jsonl"
# The shipped taxonomy's texts embedded by the default model, so that a first run does not spend half a
# minute embedding them; rebuilt by ``make taxonomy-vectors``.
SHIPPED_VECTORS = Path(__file__).resolve().parent.parent / "data" / "formats_vectors.npz"
SHIPPED_RELEVANCE = Path(__file__).resolve().parent.parent / "data" / "relevance.yaml"
_FIELDS = ("name", "description", "examples", "terms")
_KEY_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-")


def load_taxonomy(user_file: Path | str | None = None) -> Taxonomy:
    """The shipped taxonomy, overridden and extended by ``user_file`` when one is given."""
    shipped = read_taxonomy(SHIPPED, require_complete=True)
    shipped = Taxonomy(shipped.formats, read_corpus(SHIPPED_CORPUS, shipped.keys))
    if user_file is None:
        return shipped
    return shipped.merged(read_taxonomy(Path(user_file), require_complete=False))


@lru_cache(maxsize=4)
def load_relevance(path: Path = SHIPPED_RELEVANCE) -> RelevanceRules:
    """The rules that decide whether an item is about learning at all (``veille/data/relevance.yaml``);
    read once per process (the App asks for them on every run to know whether its tagger still holds)."""
    where = str(path)
    try:
        root = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read relevance rules: {exc.strerror or exc}", path=where) from exc
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"invalid relevance rules: {exc}", path=where) from exc
    try:
        sides = {
            name: {str(lang): tuple(str(t).strip() for t in texts) for lang, texts in root[name].items()}
            for name in ("learning", "elsewhere", "terms")
        }
        rules = root.get("rules") or {}
        neighbours = int(rules.get("neighbours", RelevanceRules.neighbours))
        term_weight = float(rules.get("term_weight", RelevanceRules.term_weight))
        threshold = float(rules.get("threshold", RelevanceRules.threshold))
        other_threshold = float(rules.get("other_threshold", RelevanceRules.other_threshold))
        feed_threshold = float(rules.get("feed_threshold", RelevanceRules.feed_threshold))
    except (TypeError, KeyError, AttributeError, ValueError) as exc:
        raise ConfigError(
            f"expected 'learning', 'elsewhere' and 'terms' as language -> list of text, and numeric 'rules' ({exc})",
            path=where,
        ) from exc
    if not any(sides["learning"].values()) or not any(sides["elsewhere"].values()):
        raise ConfigError("give learning and elsewhere sentences", path=where)
    return RelevanceRules(
        sides["learning"],
        sides["elsewhere"],
        sides["terms"],
        neighbours,
        term_weight,
        threshold,
        other_threshold,
        feed_threshold,
    )


def format_names(user_file: Path | None, language: str) -> dict[str, str]:
    """Each format's name in ``language`` (English when the taxonomy has no name in it), the user's file
    included: what the digest and the site print as section titles."""
    stamp = user_file.stat().st_mtime_ns if user_file is not None and user_file.exists() else None
    return dict(_names(str(user_file) if user_file else None, stamp, language))


@lru_cache(maxsize=4)
def _names(user_file: str | None, stamp: int | None, language: str) -> tuple[tuple[str, str], ...]:
    """Cached on the file and its mtime: parsing the taxonomy takes longer than a no-change site rebuild."""
    del stamp  # part of the cache key only
    taxonomy = read_taxonomy(SHIPPED, require_complete=True)
    if user_file:
        taxonomy = taxonomy.merged(read_taxonomy(Path(user_file)))
    return tuple((fmt.key, fmt.label(language)) for fmt in taxonomy.formats)


def read_taxonomy(path: Path, *, require_complete: bool = False) -> Taxonomy:
    """One taxonomy file as written. ``require_complete``: every format has French and English text and
    examples, and ``other`` is present (the shipped file's promise)."""
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read taxonomy file: {exc.strerror or exc}", path=where) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError("taxonomy file is not UTF-8 text", path=where) from exc
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise ConfigError(f"invalid YAML: {exc.problem}", path=where, line=line) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", path=where) from exc
    reader = _Reader(where)
    if root is None:
        raise ConfigError("the file is empty; expected a 'formats:' mapping", path=where, line=1)
    top = reader.mapping(root, "(top level)")
    if "formats" not in top:
        raise ConfigError("missing 'formats:' mapping", path=where, line=_line(root), field="formats")
    unknown = [k for k in top if k != "formats"]
    if unknown:
        key_node, _ = top[unknown[0]]
        raise ConfigError(f"unknown key {unknown[0]!r} (expected only 'formats')", path=where, line=_line(key_node))
    formats_node = top["formats"][1]
    entries = reader.mapping(formats_node, "formats")
    if not entries:
        raise ConfigError("no format defined", path=where, line=_line(formats_node), field="formats")
    formats = [reader.learning_format(key, value, require_complete) for key, (_, value) in entries.items()]
    if require_complete and OTHER not in entries:
        raise ConfigError(f"the '{OTHER}' format is missing", path=where, line=_line(formats_node), field="formats")
    return Taxonomy(tuple(formats))


def read_corpus(path: Path, keys: tuple[str, ...]) -> tuple[CorpusItem, ...]:
    """Labelled items, one JSON object per line: ``{"text": ..., "lang": "fr", "formats": ["mooc"]}``."""
    where = str(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read format corpus: {exc.strerror or exc}", path=where) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError("format corpus is not UTF-8 text", path=where) from exc
    items = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            text, lang, formats = row["text"].strip(), row["lang"], tuple(row["formats"])
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(f"expected {{'text', 'lang', 'formats'}} JSON ({exc})", path=where, line=number) from exc
        unknown = [key for key in formats if key not in keys]
        if not text or not formats or unknown:
            problem = f"unknown format {unknown[0]!r}" if unknown else "empty text or formats"
            raise ConfigError(problem, path=where, line=number)
        items.append(CorpusItem(text=text, lang=str(lang), formats=formats))
    return tuple(items)


def shipped_vectors(path: Path = SHIPPED_VECTORS) -> dict[str, NDArray[np.float32]]:
    """The shipped vectors by ``text_key``; empty when the file is missing or damaged (all is embedded)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
    except (OSError, ValueError, KeyError):
        return {}


def write_shipped_vectors(embedder: Embedder, taxonomy: Taxonomy, path: Path = SHIPPED_VECTORS) -> int:
    """Embed the taxonomy's texts (once each) with ``embedder`` into ``path``; the number of texts."""
    texts = list(dict.fromkeys(text.text for text in taxonomy.texts()))
    keys = np.array([text_key(text) for text in texts])
    np.savez(path, keys=keys, vectors=embedder.embed(texts).astype(np.float32))
    return len(texts)


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


class _Reader:
    """Walks the YAML node tree (which keeps line numbers) and builds the formats."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, node: yaml.Node, field: str, message: str) -> ConfigError:
        return ConfigError(message, path=self.path, line=_line(node), field=field)

    def mapping(self, node: yaml.Node, field: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, field, "expected a mapping")
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            key = self.scalar(key_node, field)
            if key in out:
                raise self.fail(key_node, f"{field}.{key}", "duplicate key")
            out[key] = (key_node, value_node)
        return out

    def scalar(self, node: yaml.Node, field: str) -> str:
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, field, "expected text")
        value = str(node.value).strip()
        if not value:
            raise self.fail(node, field, "must not be empty")
        return value

    def languages(self, node: yaml.Node, field: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        entries = self.mapping(node, field)
        for lang, (key_node, _) in entries.items():
            if not (2 <= len(lang) <= 3 and lang.isalpha() and lang.islower()):
                raise self.fail(key_node, f"{field}.{lang}", "expected a language code such as 'fr' or 'en'")
        return entries

    def per_language_text(self, node: yaml.Node, field: str) -> dict[str, str]:
        entries = self.languages(node, field)
        return {lang: self.scalar(value, f"{field}.{lang}") for lang, (_, value) in entries.items()}

    def per_language_list(self, node: yaml.Node, field: str) -> dict[str, tuple[str, ...]]:
        out: dict[str, tuple[str, ...]] = {}
        for lang, (_, value) in self.languages(node, field).items():
            if not isinstance(value, yaml.SequenceNode):
                raise self.fail(value, f"{field}.{lang}", "expected a list")
            out[lang] = tuple(self.scalar(item, f"{field}.{lang}[{i}]") for i, item in enumerate(value.value))
        return out

    def learning_format(self, key: str, node: yaml.Node, complete: bool) -> LearningFormat:
        field = f"formats.{key}"
        if not set(key) <= _KEY_CHARS:
            raise self.fail(node, field, "a format key uses lowercase letters, digits and '-' only")
        entries = self.mapping(node, field)
        for name in entries:
            if name not in _FIELDS:
                raise self.fail(entries[name][0], f"{field}.{name}", f"unknown field (expected {_FIELDS})")
        for name in ("name", "description"):
            if name not in entries:
                raise self.fail(node, f"{field}.{name}", "missing")
        names = self.per_language_text(entries["name"][1], f"{field}.name")
        descriptions = self.per_language_text(entries["description"][1], f"{field}.description")
        examples = self.per_language_list(entries["examples"][1], f"{field}.examples") if "examples" in entries else {}
        terms = self.per_language_list(entries["terms"][1], f"{field}.terms") if "terms" in entries else {}
        if not names:
            raise self.fail(entries["name"][1], f"{field}.name", "give the name in at least one language")
        if not descriptions:
            raise self.fail(
                entries["description"][1], f"{field}.description", "give a description in at least one language"
            )
        if complete:
            for lang in ("fr", "en"):
                for label, found in (("name", names), ("description", descriptions), ("examples", examples)):
                    if lang not in found:
                        line_node = entries[label][1] if label in entries else node
                        raise self.fail(line_node, f"{field}.{label}.{lang}", "missing")
        return LearningFormat(key=key, name=names, description=descriptions, examples=examples, terms=terms)


def to_plain(taxonomy: Taxonomy) -> dict[str, Any]:
    """The taxonomy as plain data (what the file would hold), for ``veille formats --json`` and tests."""
    return {
        "formats": {
            f.key: {
                "name": dict(f.name),
                "description": dict(f.description),
                "examples": {k: list(v) for k, v in f.examples.items()},
                "terms": {k: list(v) for k, v in f.terms.items()},
            }
            for f in taxonomy.formats
        }
    }


@lru_cache(maxsize=1)
def signal_generic_words() -> frozenset[str]:
    """Words that never make a signal on their own, French and English (``veille/data/signal_generic.txt``)."""
    text = resources.files("veille").joinpath("data", "signal_generic.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))
