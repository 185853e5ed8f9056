"""tools/screenshots.py on a small watch folder: it writes the README's PNGs at the widths it promises."""

from __future__ import annotations

import struct
import sys
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import ROOT, need_real_part
from tests.test_digest_support import FEEDS, WEEK, populate
from veille.adapters.store import Store
from veille.app import make_app
from veille.cli import cli
from veille.config import load
from veille.jobs.digest import build_digest

sys.path.insert(0, str(ROOT / "tools"))
import screenshots

NOW = "2026-11-30T07:00:00Z"


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


@pytest.mark.slow
def test_screenshots_of_the_digest_and_the_formats_page(tmp_path: Path) -> None:
    need_real_part(Path("/usr/bin/chromium").exists(), "Debian chromium at /usr/bin/chromium")
    pytest.importorskip("playwright.sync_api")
    watch = tmp_path / "watch"
    watch.mkdir()
    config = watch / "feeds.yaml"
    config.write_text("feeds:\n" + "".join(f"  - url: {url}\n" for _, _, url, _ in FEEDS), encoding="utf-8")
    with Store.open(watch / ".veille" / "veille.db") as store:
        populate(store)
        # recorded and archived, as the daily job does when the digest is due (a preview records nothing)
        build_digest(make_app(load(config), now=datetime.fromisoformat(NOW), store=store), WEEK)
    result = CliRunner().invoke(cli, ["--config", str(config), "--now", NOW, "site"])
    assert result.exit_code == 0, result.output

    out = tmp_path / "img"
    assert screenshots.main([str(watch), "--out", str(out)]) == 0
    sizes = {path.name: png_size(path) for path in out.glob("*.png")}
    assert set(sizes) == {"digest.png", "digest-phone.png", "formats.png"}
    assert sizes["digest.png"][0] == 1024 and sizes["digest-phone.png"][0] == 390 and sizes["formats.png"][0] == 1280
    assert all(300 <= height <= 1500 for _, height in sizes.values()), sizes
    assert all(path.stat().st_size > 10_000 for path in out.glob("*.png"))


def test_a_folder_without_a_demo_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "feeds.yaml").write_text("feeds:\n  - url: https://example.org/feed\n", encoding="utf-8")
    with pytest.raises(SystemExit, match=r"no digest in .*: run `veille demo --out"):
        screenshots.main([str(tmp_path), "--out", str(tmp_path / "img")])
    assert not (tmp_path / "img").exists()
