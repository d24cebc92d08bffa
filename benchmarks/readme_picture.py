"""The README's picture: the demo's panel of a painted defect above the line's page after a handful of frames.

Everything in it is made here (the demo's synthetic brick dataset, the default detector, ``aoikit serve``), so the
picture holds no third-party data. Needs the serve and browser extras and Chromium with chromedriver on PATH.

    PYTHONPATH=src python benchmarks/readme_picture.py [OUT.png [WORK]]   # default docs/figures/readme.png
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

from PIL import Image

import aoikit
from aoikit.config import read_yaml
from aoikit.data.open import open_dataset
from aoikit.demo import run_demo

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "figures" / "readme.png"
WIDTH = 1000  # pixels across the composed picture
FRAMES = 7  # frames posted to the service, good and defective in turn
WINDOW = "1200,1000"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--no-proxy-server",
    "--hide-scrollbars",
]


@contextmanager
def served(run: Path) -> Iterator[str]:
    """``aoikit serve --run RUN`` on a free loopback port, stopped with Ctrl+C afterwards; yields its URL."""
    source = str(Path(aoikit.__file__).resolve().parents[1])  # the child imports this very aoikit
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([source, os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-m", "aoikit", "serve", "--run", str(run), "--port", "0", "--threads", "1"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = ""
        while " at http://" not in line:
            line = process.stdout.readline()
            if not line:
                raise RuntimeError(f"aoikit serve exited with {process.wait()} before it listened")
        yield line.rsplit(" at ", 1)[1].split()[0].rstrip("/")
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def post_frames(url: str, frames: list[Path]) -> None:
    """Send each frame to ``POST /v1/inspect`` as camera cam1 of line L1, one part each."""
    for i, frame in enumerate(frames):
        query = urlencode({"line": "L1", "camera": "cam1", "part_id": f"P{i + 1:03d}"})
        request = urllib.request.Request(f"{url}/v1/inspect?{query}", data=frame.read_bytes(), method="POST")
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()


def screenshot(url: str, path: Path, profile: Path) -> None:
    """Open ``url`` in headless Chromium, wait until the page has loaded its data and pictures, save a PNG."""
    from selenium import webdriver
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver is None:
        raise RuntimeError("needs Chromium and chromedriver on PATH (Debian: apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in [*CHROMIUM_FLAGS, f"--window-size={WINDOW}", f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    browser = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver))
    try:
        browser.get(url)
        WebDriverWait(browser, 30).until(lambda d: d.find_element(By.ID, "updated").text.startswith("updated"))
        loaded = "return Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)"
        WebDriverWait(browser, 30).until(lambda d: d.execute_script(loaded))
        time.sleep(0.5)  # the last layout pass after the pictures came in
        browser.save_screenshot(str(path))
    finally:
        browser.quit()


def compose(top: Path, bottom: Path, out: Path) -> None:
    """Stack two pictures at one width on white and save them as a palette PNG (a few hundred KB at most)."""
    pictures = [Image.open(p).convert("RGB") for p in (top, bottom)]
    scaled = [p.resize((WIDTH, round(p.height * WIDTH / p.width)), Image.Resampling.LANCZOS) for p in pictures]
    canvas = Image.new("RGB", (WIDTH, sum(p.height for p in scaled) + 10), "white")
    canvas.paste(scaled[0], (0, 0))
    canvas.paste(scaled[1], (0, scaled[0].height + 10))
    out.parent.mkdir(parents=True, exist_ok=True)
    canvas.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)


def main(out: Path = OUT, work: Path | None = None) -> Path:
    """Fit the demo, draw its panels, serve its run, post frames, photograph the page and compose ``out``."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = work or Path(scratch)
        demo = run_demo(folder / "demo")
        panel = next(p for p in demo.panels if p.name.startswith("scratch"))
        test = open_dataset(Path(read_yaml(demo.run_dir / "config.yaml")["data"])).test
        good, bad = [s.path for s in test if not s.label], [s.path for s in test if s.label]
        frames = [path for pair in zip(good, bad, strict=False) for path in pair][:FRAMES]
        with served(demo.run_dir) as url:
            post_frames(url, frames)
            screenshot(url + "/", folder / "page.png", folder / "chromium-profile")
        compose(panel, folder / "page.png", out)
    return out


if __name__ == "__main__":
    print(f"written: {main(*(Path(arg) for arg in sys.argv[1:3]))}")
