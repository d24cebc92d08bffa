"""The README's picture script end to end: the demo, its served run photographed in Chromium, one small PNG."""

import shutil
import sys
from pathlib import Path

import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))


@pytest.mark.slow
@pytest.mark.browser
def test_the_readme_picture_is_drawn(tmp_path: Path) -> None:
    pytest.importorskip("selenium.webdriver", reason="needs the browser extra (selenium)")
    pytest.importorskip("uvicorn", reason="needs the serve extra")
    if shutil.which("chromium") is None or shutil.which("chromedriver") is None:
        pytest.skip("needs Chromium and chromedriver on PATH (Debian: apt-get install chromium chromium-driver)")
    from readme_picture import WIDTH, main

    out = main(tmp_path / "readme.png", tmp_path / "work")
    assert out == tmp_path / "readme.png" and 20_000 < out.stat().st_size < 400_000
    with Image.open(out) as picture:
        assert picture.format == "PNG" and picture.width == WIDTH and 700 < picture.height < 1400
    assert (tmp_path / "work" / "page.png").is_file()
