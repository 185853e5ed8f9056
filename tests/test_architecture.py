"""The shape the project promises: a pure core, and a CLI that does not load the model to start."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

FORBIDDEN_IN_CORE = {
    "httpx",
    "sqlite3",
    "feedparser",
    "jinja2",
    "smtplib",
    "torch",
    "sentence_transformers",
    "transformers",
    "aiosmtpd",
    "apscheduler",
    "veille.adapters",
    "importlib.resources",
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)  # "from importlib import resources"
    return names


def test_core_imports_no_io_library() -> None:
    offenders = []
    for path in sorted((ROOT / "veille" / "core").glob("*.py")):
        for name in imported_modules(path):
            if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN_IN_CORE):
                offenders.append(f"{path.name} imports {name}")
    assert offenders == []


def test_help_fetch_and_stats_never_import_torch(tmp_path: Path) -> None:
    config = tmp_path / "feeds.yaml"
    config.write_text("feeds:\n  - url: http://127.0.0.1:9/feed.xml\n", encoding="utf-8")
    probe = (
        "import sys\n"
        "from veille.cli import cli\n"
        "for args in (['--help'], ['--config', sys.argv[1], 'stats', '--json'],"
        " ['--config', sys.argv[1], 'fetch']):\n"
        "    try:\n"
        "        cli(args, standalone_mode=False)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "loaded = [m for m in ('torch', 'sentence_transformers') if m in sys.modules]\n"
        "print('LOADED', loaded)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(config)], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert "LOADED []" in result.stdout, result.stdout + result.stderr
