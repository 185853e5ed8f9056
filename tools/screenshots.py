"""Screenshots for the README: the weekly digest (desktop and phone) and the site's formats page.

    python tools/screenshots.py [DEMO_DIR] [--out docs/img] [--chromium /usr/bin/chromium]

DEMO_DIR is a folder written by ``veille demo`` (its feeds.yaml, digest archive and site are read, nothing
is changed). Without it, the demo runs first in a temporary folder (a few minutes, loopback only). The
pages are drawn by Debian's chromium through playwright, from file://, in the light colour scheme, and
cut to a readable height. Writes ``digest.png``, ``digest-phone.png`` and ``formats.png`` to ``--out``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from veille import config  # noqa: E402
from veille.jobs.site import site_folder  # noqa: E402

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"]

# (file name, page, viewport width, greatest height kept)
SHOTS = (
    ("digest.png", "digest", 1024, 1500),
    ("digest-phone.png", "digest", 390, 1500),
    ("formats.png", "formats", 1280, 1100),
)


def run_demo(out_dir: Path) -> None:
    """``veille demo --out out_dir`` with this checkout's code."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    print(f"running the demo in {out_dir} (a few minutes)…", flush=True)
    subprocess.run([sys.executable, "-m", "veille.cli", "demo", "--out", str(out_dir)], check=True, env=env)


def pages(demo_dir: Path) -> dict[str, Path]:
    """The latest digest's HTML and the site's formats page of a demo folder."""
    settings = config.load(demo_dir / "feeds.yaml")
    archive = settings.digest.archive_dir or settings.data_dir / "digests"
    digests = sorted(archive.rglob("digest-*.html"), key=lambda path: path.name)  # <week>/digest-<week>.html
    formats = site_folder(settings) / "formats" / "index.html"
    if not digests:
        raise SystemExit(f"screenshots: no digest in {archive}: run `veille demo --out {demo_dir}` first")
    if not formats.is_file():
        raise SystemExit(f"screenshots: no site in {formats.parent.parent}: run `veille demo --out {demo_dir}` first")
    return {"digest": digests[-1], "formats": formats}


def shoot(targets: dict[str, Path], out_dir: Path, chromium: Path) -> list[Path]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise SystemExit("screenshots: playwright is not installed (pip install playwright)") from None
    if not chromium.exists():
        raise SystemExit(f"screenshots: no chromium at {chromium} (apt install chromium, or --chromium PATH)")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=ARGS)
        try:
            for name, page_key, width, max_height in SHOTS:
                page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme="light")
                page.goto(targets[page_key].as_uri())
                page.wait_for_load_state("load")
                height = min(max_height, page.evaluate("document.documentElement.scrollHeight"))
                path = out_dir / name
                page.screenshot(path=str(path), full_page=True, clip={"x": 0, "y": 0, "width": width, "height": height})
                page.close()
                written.append(path)
        finally:
            browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("demo_dir", nargs="?", type=Path, help="a folder written by `veille demo` (default: run it)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img", help="where the PNGs go")
    parser.add_argument("--chromium", type=Path, default=Path("/usr/bin/chromium"), help="the browser to drive")
    args = parser.parse_args(argv)
    if args.demo_dir is not None:
        written = shoot(pages(args.demo_dir), args.out, args.chromium)
    else:
        with tempfile.TemporaryDirectory(prefix="veille-demo-") as tmp:
            run_demo(Path(tmp))
            written = shoot(pages(Path(tmp)), args.out, args.chromium)
    for path in written:
        print(f"{path} ({path.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
