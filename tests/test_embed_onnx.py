"""The ONNX Runtime backend of the embedding model: exported once from the shipped weights, offline,
the same vectors as PyTorch (float32) or very close ones (int8), and no torch import once exported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT
from veille.adapters.embed import OnnxEmbedder, SentenceTransformerEmbedder, make_embedder
from veille.config import loads
from veille.demo.corpus import load_corpus
from veille.errors import ConfigError
from veille.jobs.process import embedding_text

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def texts() -> list[str]:
    items = load_corpus().items
    french = [embedding_text(i.title, i.summary) for i in items if i.lang == "fr"][:20]
    english = [embedding_text(i.title, i.summary) for i in items if i.lang == "en"][:20]
    return [*french, *english, "", "IA", "x" * 3000]  # empty, one word, longer than the model's window


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def reference(texts: list[str]) -> np.ndarray:
    return SentenceTransformerEmbedder().embed(texts)


def test_the_float32_export_gives_the_models_own_vectors(texts: list[str], cache: Path, reference: np.ndarray) -> None:
    embedder = OnnxEmbedder(cache_dir=cache)
    vectors = embedder.embed(texts)
    assert vectors.shape == reference.shape and vectors.dtype == np.float32
    assert float(np.abs(vectors - reference).max()) < 1e-4
    assert embedder.model_file().exists()
    # same vectors, so the embedding cache (keyed by name) stays valid when switching torch <-> onnx
    assert embedder.name == SentenceTransformerEmbedder().name


def test_int8_vectors_stay_close_and_keep_their_own_cache_key(
    texts: list[str], cache: Path, reference: np.ndarray
) -> None:
    embedder = OnnxEmbedder(cache_dir=cache, quantize=True)
    vectors = embedder.embed(texts)
    cosines = (vectors * reference).sum(axis=1)
    assert float(cosines.mean()) > 0.985 and float(cosines.min()) > 0.95
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    # each text's nearest neighbour among the others is mostly the same as with PyTorch
    same = [int(np.argsort(reference @ reference[i])[-2] == np.argsort(vectors @ vectors[i])[-2]) for i in range(40)]
    assert sum(same) >= 32
    assert embedder.name != SentenceTransformerEmbedder().name


def test_an_exported_model_runs_without_importing_torch(cache: Path) -> None:
    OnnxEmbedder(cache_dir=cache).embed(["warm"])  # exported by now
    probe = (
        "import sys; from pathlib import Path; from veille.adapters.embed import OnnxEmbedder; "
        f"v = OnnxEmbedder(cache_dir=Path({str(cache)!r})).embed(['Un MOOC sur la RA']); "
        "print(v.shape, 'torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["(1,", "384)", "False"]


def test_model_backend_is_read_from_feeds_yaml(tmp_path: Path) -> None:
    config = tmp_path / "feeds.yaml"
    text = "feeds:\n  - url: https://example.org/feed\nmodel:\n  backend: onnx-int8\n"
    settings = loads(text, config)
    assert settings.model.backend == "onnx-int8"
    assert settings.model.key.endswith("#onnx-int8")
    embedder = make_embedder(settings.model.name, backend=settings.model.backend, cache_dir=tmp_path)
    assert isinstance(embedder, OnnxEmbedder)
    with pytest.raises(ConfigError, match=r"feeds.yaml:4: model.backend: 'tensorflow'"):
        loads(text.replace("onnx-int8", "tensorflow"), config)


def test_a_model_name_that_is_no_local_folder_is_one_clear_error(tmp_path: Path) -> None:
    from veille.errors import ModelError

    with pytest.raises(ModelError, match="needs a local model folder"):
        OnnxEmbedder("some-org/not-here", cache_dir=tmp_path).embed(["x"])
