"""The line's page in headless Chromium: latest inspections with overlays, the rate chart, open alerts and their
frames."""

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from aoikit.models.onnx_backend import onnx_available
from aoikit.service.inspector import FrameMeta

pytestmark = pytest.mark.browser
BROWSER_WINDOW = "1200,1000"


@pytest.fixture
def served(open_service: Callable[..., Any]) -> Iterator[tuple[str, Any]]:
    """The service on a free loopback port in a thread: its URL and inspector."""
    import uvicorn

    from aoikit.service.app import make_app

    inspector = open_service("ssim_ae", alert_window=20)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(make_app(inspector), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the service did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/", inspector
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def test_the_page_shows_inspections_rate_and_alerts(
    served: tuple[str, Any], browser: Any, runs: dict[str, Any], bad_png: Callable[[int], bytes], tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    url, inspector = served
    for data in runs["ssim_ae"][1][:3]:
        inspector.inspect(data, FrameMeta(line="L1", camera="cam1"), "api")
    bad = [
        inspector.inspect(bad_png(s), FrameMeta(line="L1", camera="cam1", part_id=f"P{s}"), "api")[0] for s in range(3)
    ]
    browser.get(url)
    WebDriverWait(browser, 20).until(lambda d: d.find_element(By.ID, "updated").text.startswith("updated"))

    cards = browser.find_elements(By.CSS_SELECTOR, '[data-testid="inspection"]')
    assert len(cards) == 6 and [c.get_attribute("data-decision") for c in cards[:3]] == ["anomalous"] * 3
    assert "L1 / cam1 / P2" in cards[0].text
    [alert] = browser.find_elements(By.CSS_SELECTOR, '[data-testid="alert"]')
    assert alert.get_attribute("data-kind") == "rate" and "camera cam1" in alert.text
    frames = alert.find_elements(By.CSS_SELECTOR, '[data-testid="alert-frame"]')
    assert {f.get_attribute("src").split("/")[-2] for f in frames} <= {b.id for b in bad} and len(frames) >= 2
    WebDriverWait(browser, 10).until(
        lambda d: all(d.execute_script("return arguments[0].naturalWidth", f) == 64 for f in frames)
    )
    assert browser.find_elements(By.CSS_SELECTOR, '[data-testid="rate-bar"]')
    backend = "onnxruntime" if onnx_available() else "torch"  # serve runs the network in onnxruntime where it can
    assert f"backend {backend}" in browser.find_element(By.CSS_SELECTOR, '[data-testid="model"]').text
    browser.save_screenshot(str(tmp_path / "page.png"))


def test_an_alert_is_acknowledged_with_its_kind_on_the_page(
    served: tuple[str, Any], browser: Any, bad_png: Callable[[int], bytes]
) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    url, inspector = served
    for seed in range(3):
        inspector.inspect(bad_png(seed), FrameMeta(camera="cam1"), "api")
    inspector.settle()  # the alert is raised after the answers
    browser.get(url)
    WebDriverWait(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid="ack-form"]'))
    browser.find_element(By.CSS_SELECTOR, '[data-testid="ack-kind"]').send_keys("scratch")
    browser.find_element(By.CSS_SELECTOR, '[data-testid="ack-button"]').click()
    WebDriverWait(browser, 20, ignored_exceptions=[StaleElementReferenceException]).until(  # the page redraws
        lambda d: "as scratch" in d.find_element(By.CSS_SELECTOR, '[data-testid="ack-status"]').text
    )
    [view] = inspector.store.alerts()
    assert view.alert.acknowledged_kind == "scratch"
