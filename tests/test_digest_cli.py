"""`veille digest` on the command line: which weeks it accepts, and which options go together."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from veille.cli import cli

NOW = "2027-01-28T06:00:00Z"  # a Thursday of 2027-W04


def digest(tmp_path: Path, *args: str, now: str = NOW) -> tuple[int, str, str]:
    config = tmp_path / "feeds.yaml"
    if not config.exists():
        config.write_text("feeds: []\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "--now", now, "digest", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def archived_weeks(tmp_path: Path) -> list[str]:
    folder = tmp_path / ".veille" / "digests"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_a_week_that_has_not_ended_is_refused_in_one_line_and_nothing_is_archived(tmp_path: Path) -> None:
    for week in ("2027-W05", "2027-W04"):  # a future week, then the current one
        for mode in ((), ("--dry-run",), ("--send",)):
            code, out, err = digest(tmp_path, "--week", week, *mode)
            assert code == 1
            assert out == ""
            assert err.startswith(f"veille: error: --week {week} has not ended yet")
            assert len(err.strip().splitlines()) == 1
    assert archived_weeks(tmp_path) == []


def test_the_last_complete_week_is_still_built_by_default_and_by_name(tmp_path: Path) -> None:
    code, out, err = digest(tmp_path)
    assert code == 0, err
    assert "semaine 3" in out
    # at Monday 00:00 UTC the week that just ended is complete
    code, out, err = digest(tmp_path, "--week", "2027-W04", now="2027-02-01T00:00:00Z")
    assert code == 0, err
    assert archived_weeks(tmp_path) == ["2027-W03", "2027-W04"]


def test_send_and_dry_run_together_are_a_usage_error(tmp_path: Path) -> None:
    code, out, err = digest(tmp_path, "--week", "2027-W03", "--send", "--dry-run")
    assert code == 2
    assert "--send and --dry-run exclude each other" in err
    assert archived_weeks(tmp_path) == []
    code, out, err = digest(tmp_path, "--week", "2027-W03", "--dry-run")
    assert code == 0, err
    assert out.startswith("dry run: message written to")
