"""What the demo's help and the README promise about the demo folder: no more than is true."""

from __future__ import annotations

from click.testing import CliRunner

import veille.demo.run
from tests.conftest import ROOT
from veille.cli import cli


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_the_demo_help_says_fetching_needs_its_servers_which_stop_with_it() -> None:
    result = CliRunner().invoke(cli, ["demo", "--help"])
    assert result.exit_code == 0
    text = _flat(result.output)
    assert "every other command" not in text
    assert "run, fetch and feeds check on OUT report every feed as unreachable" in text
    assert "stats, themes, digest without --send, site, process" in text


def test_the_readme_and_the_module_do_not_claim_every_command_works_on_the_demo_folder() -> None:
    readme = _flat((ROOT / "README.md").read_text(encoding="utf-8"))
    assert "every command works on the demo folder" not in readme
    assert "works with every other command" not in readme
    assert "`run`, `fetch` and `feeds check` on `demo-out` report every feed as unreachable" in readme
    doc = _flat(veille.demo.run.__doc__ or "")
    assert "every other command works" not in doc
    assert "``run``, ``fetch`` and ``feeds check`` on DIR find every feed unreachable" in doc
