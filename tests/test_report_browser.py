"""Open the report page in headless Chromium: it renders, screenshots, and logs no console errors."""

import re
import struct
import subprocess
from pathlib import Path

import pytest

from test_report import METHODS, SPLITS, make_results

from grnflow.report import build_report

CHROMIUM = Path("/usr/bin/chromium")
CONSOLE_ERRORS = re.compile(r"Uncaught|CONSOLE\(\d+\).*error|Failed to load resource|net::ERR_", re.I)

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="headless browser check needs Debian's chromium at /usr/bin/chromium "
    "(apt-get install -y --no-install-recommends chromium)",
)


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--disable-quic", f"--user-data-dir={profile}",
        "--enable-logging=stderr", "--v=0", *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    root = make_results(tmp_path_factory.mktemp("browser") / "results", gener_strength=0.0, degree_strength=3.0)
    out = root / "report" / "index.html"
    build_report(["toy"], out, root / "report" / "figures", METHODS, SPLITS, curve_seed=0, root=root)
    return out


def test_screenshot_without_console_errors(page, tmp_path):
    shot = tmp_path / "report.png"
    proc = chromium(tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri())
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert shot.exists(), proc.stderr[-4000:]
    assert png_size(shot) == (1280, 2000)
    assert shot.stat().st_size > 50_000  # a rendered page with tables and figures, not a blank one
    errors = [line for line in proc.stderr.splitlines() if CONSOLE_ERRORS.search(line)]
    assert errors == [], "\n".join(errors)


def test_rendered_dom_holds_tables_warnings_and_images(page, tmp_path):
    proc = chromium(tmp_path / "profile", "--dump-dom", page.as_uri())
    assert proc.returncode == 0, proc.stderr[-4000:]
    dom = proc.stdout
    assert '<table class="methods">' in dom
    # one page-level summary + one box per split x metric (AUROC, AUPR ratio, EPR) gener loses
    assert dom.count('class="warning"') == 1 + len(SPLITS) * 3
    assert "gener does not beat degree" in dom
    assert dom.count('src="data:image/png;base64,') == 4
    errors = [line for line in proc.stderr.splitlines() if CONSOLE_ERRORS.search(line)]
    assert errors == [], "\n".join(errors)
