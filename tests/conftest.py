"""Shared fixtures: a tiny synthetic dataset, single-threaded torch for fast, quiet tests, and a throwaway
PostgreSQL database (skips with the reason when the server at ``AOIKIT_TEST_POSTGRES`` is unreachable)."""

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import torch

from aoikit.data.synthetic import make_synthetic_dataset

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
POSTGRES = os.environ.get("AOIKIT_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def pytest_configure(config: pytest.Config) -> None:
    """Start the session on one torch thread, before any fixture builds a model."""
    torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    """Each test starts on one torch thread (tiny tensors gain nothing from more, and two threads stall
    when another process holds a core); a test or command that changes it is reset afterwards."""
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(1)


@pytest.fixture
def shared_data() -> Path:
    """The real data next to the repository; skips the test when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An MVTec-layout category of 128-px brick images with painted defects."""
    root = tmp_path_factory.mktemp("synthetic")
    return make_synthetic_dataset(root, size=128, n_train=10, n_test_good=3, n_test_defect=6, seed=1)


def _screw(angle: float, size: int = 160, shift: tuple[int, int] = (0, 0), seed: int = 0) -> np.ndarray:
    """A dark screw-like part on a bright plate: a shaft with a wide head at one end and grey thread crests at
    the other, turned by ``angle``."""
    part = np.zeros((size, size), np.uint8)
    c = size // 2
    cv2.rectangle(part, (c - 50, c - 6), (c + 50, c + 6), 1, -1)
    cv2.rectangle(part, (c - 56, c - 18), (c - 44, c + 18), 1, -1)
    for k in range(7):
        cv2.line(part, (c + 8 + 6 * k, c - 9), (c + 11 + 6 * k, c + 9), 2, 2)
    turn = cv2.getRotationMatrix2D((c, c), angle, 1.0)
    turn[:, 2] += shift
    part = cv2.warpAffine(part, turn, (size, size), flags=cv2.INTER_NEAREST)
    noise = np.random.default_rng(seed).normal(0, 0.02, part.shape)
    return (np.choose(part, [0.8, 0.3, 0.55]) + noise).astype(np.float32)


@pytest.fixture(scope="session")
def screw() -> Callable[..., np.ndarray]:
    """Draws a screw-like part: ``screw(angle, size=160, shift=(0, 0), seed=0)``."""
    return _screw


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-proxy-server",
]


@pytest.fixture
def browser(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Headless Chromium driven by Selenium, with a fresh profile; skips when either is missing. A test module
    may set ``BROWSER_WINDOW`` ("width,height", default "1200,900")."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="needs the browser extra (selenium)")
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver is None:
        pytest.skip("needs Chromium and chromedriver on PATH (Debian: apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    window = getattr(request.module, "BROWSER_WINDOW", "1200,900")
    for flag in [*CHROMIUM_FLAGS, f"--window-size={window}", f"--user-data-dir={tmp_path / 'chromium-profile'}"]:
        options.add_argument(flag)
    session = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver))
    session.set_page_load_timeout(30)
    yield session
    session.quit()


def postgres_reachable() -> str | None:
    """None when the test PostgreSQL server answers, else why not."""
    sa = pytest.importorskip("sqlalchemy", reason="PostgreSQL tests need the serve extra")
    try:
        with sa.create_engine(POSTGRES).connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as exc:  # any failure to connect is a reason to skip
        return f"PostgreSQL not reachable at {POSTGRES} ({exc.__class__.__name__}); set AOIKIT_TEST_POSTGRES"
    return None


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
    sa = pytest.importorskip("sqlalchemy", reason="PostgreSQL tests need the serve extra")
    reason = postgres_reachable()
    if reason is not None:
        pytest.skip(reason)
    name = f"aoikit_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
