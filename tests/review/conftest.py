"""A pre-label folder written from hand-made regions, and the review app served on a free loopback port."""

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from aoikit.labels import WRITERS, ImageLabels, Region

HEIGHT, WIDTH = 96, 128


@pytest.fixture
def prelabels(tmp_path: Path) -> list[ImageLabels]:
    """Labels of two noise images in ``tmp_path/images/parts``, written to ``tmp_path/labels/{coco,labelme,voc}``.

    The first image has two box regions and a disc, the second one box.
    """
    images_dir = tmp_path / "images"
    (images_dir / "parts").mkdir(parents=True)
    rng = np.random.default_rng(0)
    paths = [images_dir / "parts" / name for name in ("a.png", "b.png")]
    for path in paths:
        cv2.imwrite(str(path), rng.integers(0, 256, (HEIGHT, WIDTH), dtype=np.uint8))
    yy, xx = np.mgrid[:HEIGHT, :WIDTH]
    disc = (xx - 100) ** 2 + (yy - 25) ** 2 <= 9**2
    size = (WIDTH, HEIGHT)
    first = [
        Region.from_box((10, 12, 40, 30), size, "anomaly", 0.9),
        Region.from_box((30, 50, 70, 80), size, "anomaly", 0.8),
        Region.from_mask(disc, "anomaly", 0.7),
    ]
    labels = [
        ImageLabels(str(paths[0]), WIDTH, HEIGHT, first),
        ImageLabels(str(paths[1]), WIDTH, HEIGHT, [Region.from_box((5, 5, 20, 20), size, "anomaly", 0.6)]),
    ]
    labels_dir = tmp_path / "labels"
    for name in ("coco", "labelme", "voc"):
        WRITERS[name](labels, labels_dir / name, ["anomaly"])
    return labels


@pytest.fixture
def serve() -> Iterator[Callable[..., str]]:
    """Start ``make_app(...)`` on a free 127.0.0.1 port in a thread; returns its base URL. Stopped after the test."""
    pytest.importorskip("fastapi", reason="the review app needs the serve extra")
    import uvicorn

    from aoikit.review import make_app

    running: list[tuple[Any, threading.Thread, socket.socket]] = []

    def start(labels_dir: Path, images_dir: Path, **kwargs: Any) -> str:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn.Config(make_app(labels_dir, images_dir, **kwargs), log_level="warning"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        running.append((server, thread, sock))
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the review server did not start"
            time.sleep(0.01)
        return f"http://127.0.0.1:{sock.getsockname()[1]}"

    yield start
    for server, thread, sock in running:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
