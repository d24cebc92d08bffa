"""The review page in headless Chromium: adjust a box, draw one, reject one, accept, resume, export."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aoikit.labels import ImageLabels, read_voc

pytestmark = pytest.mark.browser


def test_review_in_the_browser(
    prelabels: list[ImageLabels], serve: Callable[..., str], browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.actions.action_builder import ActionBuilder
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    def settle() -> None:
        WebDriverWait(browser, 10).until(
            lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-busy") == "false"
        )

    def text(testid: str) -> str:
        return str(browser.find_element(By.CSS_SELECTOR, f'[data-testid="{testid}"]').text)

    def off_by(box: Any, want: tuple[int, ...] = (10, 12, 46, 34)) -> int:
        return max(abs(a - b) for a, b in zip(box, want, strict=True))

    def press(key: str) -> None:
        ActionChains(browser).send_keys(key).perform()
        settle()

    labels_dir, out = tmp_path / "labels", tmp_path / "reviewed"
    browser.get(serve(labels_dir, tmp_path / "images", export_dir=out))
    settle()
    assert text("left") == "2 images left"
    first = browser.find_element(By.CSS_SELECTOR, '[data-testid="region-box"][data-id="0"]')
    assert first.get_attribute("data-selected") == "true"

    zoom, left, top = browser.execute_script(
        "const m = document.getElementById('stage').getScreenCTM(); return [m.a, m.e, m.f];"
    )
    assert zoom > 2, "the 128-px image should be shown enlarged"

    def drag(start: tuple[float, float], end: tuple[float, float]) -> None:
        """Press at image point ``start``, move halfway, release at ``end``."""
        points = [start, ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2), end]
        x, y = ([round(offset + p[i] * zoom) for p in points] for i, offset in ((0, left), (1, top)))
        actions = ActionBuilder(browser)
        actions.pointer_action.move_to_location(x[0], y[0]).pointer_down()
        actions.pointer_action.move_to_location(x[1], y[1]).move_to_location(x[2], y[2]).pointer_up()
        actions.perform()
        settle()

    drag((40, 30), (46, 34))  # the first box's bottom-right corner, by (+6, +4)
    saved = json.loads((labels_dir / "review.json").read_text())
    assert off_by(saved["images"][0]["regions"][0]["box"]) <= 1, "the adjusted box is saved at once"
    drag((100, 70), (120, 90))  # a missing box, on empty space
    assert browser.find_element(By.CSS_SELECTOR, '[data-id="3"]').get_attribute("data-selected") == "true"
    drag((25, 21), (25, 21))  # a click inside the first box selects it again
    assert browser.find_element(By.CSS_SELECTOR, '[data-id="0"]').get_attribute("data-selected") == "true"

    press(Keys.TAB)  # select the second region
    press("r")
    assert browser.find_element(By.CSS_SELECTOR, '[data-id="1"]').get_attribute("data-status") == "rejected"
    press("a")  # accept the first image and go on to the second
    assert (text("position"), text("left")) == ("Image 2 / 2", "1 image left")
    browser.refresh()
    settle()
    assert text("position") == "Image 2 / 2", "a reopened page resumes where the reviewer was"
    browser.find_element(By.CSS_SELECTOR, '[data-testid="export"]').click()
    settle()
    assert text("message").startswith("exported 1 accepted image")

    (item,) = read_voc(sorted((out / "voc" / "Annotations").glob("*.xml")))
    disc = prelabels[0].regions[2]
    assert len(item.regions) == 3, "the rejected region is left out"
    assert off_by(item.regions[0].box) <= 1
    assert item.regions[1].box == disc.box
    assert off_by(item.regions[2].box, (100, 70, 120, 90)) <= 1


def test_off_loopback_the_page_works_from_the_printed_url_only(
    prelabels: list[ImageLabels], serve: Callable[..., str], browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    url = serve(tmp_path / "labels", tmp_path / "images", host="0.0.0.0", token="s3cret")
    browser.get(url)
    assert "a token is needed" in browser.page_source
    browser.get(f"{url}/?token=s3cret")
    WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-busy") == "false"
    )
    pixels = browser.execute_async_script(
        "fetch('/api/images/0/pixels').then(r => arguments[0](r.status + ' ' + r.headers.get('content-type')))"
    )
    assert pixels == "200 image/png", "the page's own requests carry the token (as a cookie)"
    ActionChains(browser).send_keys("a").perform()
    WebDriverWait(browser, 10).until(
        lambda d: json.loads((tmp_path / "labels" / "review.json").read_text())["images"][0]["status"] == "accepted"
    )
