"""Load the audiences (``veille/data/audiences.yaml``) and fit their classifier for an embedding model.

load_audiences() -> core.audiences.AudienceSet        (read once per process)
fit_audiences(embedder, model_key, cache_dir) -> FittedAudiences
    the audience texts as vectors: read from <cache_dir>/audiences-<key>.npy, else embedded once and
    cached there (temp file + rename) -> AudienceClassifier.fit (well under a second)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from veille.adapters.embed import Embedder
from veille.adapters.threads import one_blas_thread
from veille.core.audiences import AUDIENCES, Audience, AudienceClassifier, AudienceParams, AudienceSet
from veille.core.formats import _weights
from veille.errors import ConfigError

SHIPPED_AUDIENCES = Path(__file__).resolve().parent.parent / "data" / "audiences.yaml"


@lru_cache(maxsize=2)
def load_audiences(path: Path = SHIPPED_AUDIENCES) -> AudienceSet:
    """The audiences and their calibrated rules."""
    where = str(path)
    try:
        root = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read audiences: {exc.strerror or exc}", path=where) from exc
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"invalid audiences file: {exc}", path=where) from exc
    try:
        entries: dict[str, Any] = root["audiences"]
        audiences = tuple(_audience(key, entries[key]) for key in AUDIENCES)
        rules = root.get("rules") or {}
        defaults = AudienceParams()
        params = AudienceParams(
            semantic_weight=_pair(rules.get("semantic_weight"), defaults.semantic_weight),
            lexical_weight=_pair(rules.get("lexical_weight"), defaults.lexical_weight),
            term_weight=float(rules.get("term_weight", defaults.term_weight)),
            threshold=float(rules.get("threshold", defaults.threshold)),
            min_relevance=float(rules.get("min_relevance", defaults.min_relevance)),
        )
    except (TypeError, KeyError, AttributeError, ValueError) as exc:
        raise ConfigError(
            f"expected 'audiences' with {', '.join(AUDIENCES)} and numeric 'rules' ({exc})", path=where
        ) from exc
    return AudienceSet(audiences, params)


def _pair(value: Any, default: Any) -> Any:
    return default if value is None else _weights(float(value["fr"]), float(value["en"]))


def _audience(key: str, entry: dict[str, Any]) -> Audience:
    return Audience(
        key=key,
        name={str(k): str(v) for k, v in entry["name"].items()},
        description={str(k): " ".join(str(v).split()) for k, v in entry["description"].items()},
        examples={str(k): tuple(str(t).strip() for t in v or ()) for k, v in (entry.get("examples") or {}).items()},
        terms={str(k): tuple(str(t).strip() for t in v or ()) for k, v in (entry.get("terms") or {}).items()},
    )


@dataclass(frozen=True)
class FittedAudiences:
    """A fitted classifier and the signature stored with each decision (model + audiences + rules)."""

    classifier: AudienceClassifier
    signature: str


def audiences_signature(model_key: str, audiences: AudienceSet) -> str:
    return hashlib.sha256(f"{model_key}\0{audiences.signature()}".encode()).hexdigest()[:16]


def fit_audiences(
    embedder: Embedder, model_key: str, cache_dir: Path, audiences: AudienceSet | None = None
) -> FittedAudiences:
    """Fit the audience classifier on ``embedder``'s vectors of the audience texts (cached)."""
    audiences = audiences or load_audiences()
    signature = audiences_signature(model_key, audiences)
    texts = [text for _, _, text in audiences.texts()]
    cache = cache_dir / f"audiences-{signature}.npy"
    vectors = None
    try:
        loaded = np.load(cache)
        vectors = loaded if loaded.shape[0] == len(texts) else None
    except (OSError, ValueError):
        vectors = None
    if vectors is None:
        vectors = np.asarray(embedder.embed(texts), dtype=np.float32)
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp.npy")
        np.save(tmp, vectors)
        tmp.replace(cache)
    with one_blas_thread():
        classifier = AudienceClassifier.fit(audiences, vectors)
    return FittedAudiences(classifier, signature)
