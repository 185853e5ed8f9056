"""Shared fixtures: where ../shared is, and whether a real part must be present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def need_shared(*parts: str) -> Path:
    """The path under ../shared, or skip (fail under CI) with a clear reason when it is absent."""
    path = SHARED.joinpath(*parts)
    need_real_part(path.exists(), f"{path} (the shared test material next to the project)")
    return path


def need_real_part(available: bool, what: str) -> None:
    """Skip a test whose real part is missing; under CI, fail instead (CI must run every test)."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is missing under CI")
    pytest.skip(f"{what} is missing")


@pytest.fixture
def shared() -> Path:
    return need_shared()


# a real PostgreSQL server for the storage tests (session-wide, started on first use)
from tests.postgres_server import backend, postgres_server, postgres_url  # noqa: E402, F401
