"""Rebuild veille/data/formats_vectors.npz: the shipped taxonomy's texts (descriptions, examples, corpus)
embedded by the default model, so that a first `veille process` does not embed them itself.

    make taxonomy-vectors      # after editing veille/data/formats.yaml or formats_corpus.jsonl
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from veille.adapters.embed import SentenceTransformerEmbedder
from veille.adapters.taxonomy import SHIPPED_VECTORS, load_taxonomy, write_shipped_vectors

if __name__ == "__main__":
    rows = write_shipped_vectors(SentenceTransformerEmbedder(), load_taxonomy())
    print(f"{SHIPPED_VECTORS}: {rows} texts")
