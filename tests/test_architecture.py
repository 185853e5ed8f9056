"""The shape the project promises (docs/architecture.md): a pure core, adapters that know neither the
configuration nor the jobs, jobs that do not call each other (but the daily orchestrator), and a CLI
that does not load the model to start."""

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
    "psycopg",
    "yaml",
    "threadpoolctl",  # process-wide thread settings: adapters.threads, set by the jobs
    "importlib.resources",  # package data is read by adapters
    "os",
    "io",
    "pathlib",
    "shutil",
    "tempfile",
    "subprocess",
    "socket",
    "pickle",
    "urllib.request",
    "veille.adapters",
    "veille.jobs",
    "veille.app",
    "veille.config",
    "veille.cli",
    "veille.demo",
}
# Calls and attributes that read or write files, or read the environment, whatever the module.
FORBIDDEN_NAMES_IN_CORE = {
    "open",
    "read_text",
    "write_text",
    "read_bytes",
    "write_bytes",
    "environ",
    "getenv",
    "load",  # np.load, pickle.load…
    "save",
    "from_model_file",
}
FORBIDDEN_IN_ADAPTERS = ("veille.config", "veille.jobs", "veille.app", "veille.cli", "veille.demo")
ORCHESTRATOR = "daily.py"  # the one job that runs the others


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)  # from importlib import resources
    return names


def used_names(path: Path) -> set[str]:
    """Names called or read as attributes: ``open(…)``, ``path.read_text``, ``os.environ``…"""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            names.add(node.func.id)
    return names


def python_files(folder: str) -> list[Path]:
    return sorted((ROOT / "veille" / folder).rglob("*.py"))


def _matches(name: str, forbidden: set[str] | tuple[str, ...]) -> str | None:
    return next((bad for bad in forbidden if name == bad or name.startswith(bad + ".")), None)


def test_core_does_no_io_reads_no_package_data_and_sets_no_thread_settings() -> None:
    offenders = []
    for path in python_files("core"):
        for name in imported_modules(path):
            if _matches(name, FORBIDDEN_IN_CORE):
                offenders.append(f"{path.name} imports {name}")
        offenders += [f"{path.name} uses {name}" for name in sorted(used_names(path) & FORBIDDEN_NAMES_IN_CORE)]
    assert offenders == []


def test_the_core_rule_catches_io_and_thread_settings(tmp_path: Path) -> None:
    """The rule itself: a module doing what core must not is reported."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import os\nfrom pathlib import Path\nfrom threadpoolctl import threadpool_limits\n"
        "def f():\n    return Path('x').read_text(), os.environ['A'], open('y')\n",
        encoding="utf-8",
    )
    imported = {_matches(name, FORBIDDEN_IN_CORE) for name in imported_modules(bad)} - {None}
    assert imported == {"os", "pathlib", "threadpoolctl"}
    assert used_names(bad) & FORBIDDEN_NAMES_IN_CORE == {"read_text", "environ", "open"}


def test_adapters_never_import_the_configuration_or_the_jobs() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in python_files("adapters")
        for name in imported_modules(path)
        if _matches(name, FORBIDDEN_IN_ADAPTERS)
    ]
    assert offenders == []


def test_jobs_never_import_each_other_but_the_daily_orchestrator() -> None:
    offenders = [
        f"{path.name} imports {name}"
        for path in python_files("jobs")
        if path.name != ORCHESTRATOR
        for name in imported_modules(path)
        if _matches(name, ("veille.jobs",))
    ]
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
