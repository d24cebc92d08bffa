"""``aoikit serve --workers N``: N server processes on one listening socket and one results database.

The parent binds the socket and starts the workers (spawned, so none inherits a half-started torch); each opens
its own inspector on the shared database and frame folder and accepts connections from the shared socket, so
the kernel spreads connections over them. A worker that dies is started again; Ctrl+C or SIGTERM stops all, and a
worker whose parent is killed stops by itself. Each worker has its own ``/metrics``. Several machines scale the
same way: one ``serve`` per machine on one PostgreSQL database and one shared ``--images`` folder (README).
"""

import multiprocessing
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import FrameType
from typing import Any

from aoikit.errors import AoikitError
from aoikit.service.settings import ServiceConfig
from aoikit.webguard import run_until_stopped

STOP_SECONDS = 15.0
"""How long stopping workers may take before they are killed."""


@dataclass(frozen=True)
class WorkerSpec:
    """What every worker opens: the run, database, settings, frame folder, device, threads, and the app's guard."""

    run: Path
    db: str | None
    config: ServiceConfig
    images: Path | None
    device: str
    threads: int | None
    host: str
    token: str | None


def serve_workers(count: int, spec: WorkerSpec, sock: socket.socket, announce: Callable[[str], None]) -> None:
    """Run ``count`` workers on ``sock`` until interrupted; ``announce`` gets the first worker's description once
    all are ready. Without ``spec.threads`` each worker takes an equal share of the usable cores (at least one).

    Raises:
        AoikitError: ``count`` is below 1, or a worker cannot start (its one-line error).
    """
    if count < 1:
        raise AoikitError(f"--workers must be at least 1, got {count}")
    spec = replace(spec, threads=spec.threads or max(1, len(os.sched_getaffinity(0)) // count))  # cores shared out
    context = multiprocessing.get_context("spawn")
    workers = [_start(context, spec, sock) for _ in range(count)]
    stopping: list[int] = []

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.append(signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        descriptions = [_ready(*worker) for worker in workers]
        announce(descriptions[0])
        while not stopping:
            time.sleep(0.2)
            for index, (worker, _) in enumerate(workers):
                if not worker.is_alive() and not stopping:  # died (a kill -9, say): start another in its place
                    workers[index] = _start(context, spec, sock)
                    _ready(*workers[index])
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        _stop([worker for worker, _ in workers])


def _start(context: Any, spec: WorkerSpec, sock: socket.socket) -> tuple[BaseProcess, Connection]:
    """A started worker and the end of the pipe it reports on (one pipe each: no lock shared with a process that a
    kill -9 may take down while holding it)."""
    reports, report = context.Pipe(duplex=False)
    worker: BaseProcess = context.Process(target=_work, args=(spec, sock, report))
    worker.start()
    report.close()
    return worker, reports


def _ready(worker: BaseProcess, reports: Connection) -> str:
    """The description ``worker`` reports when ready; its error as an AoikitError when it could not start."""
    while not reports.poll(1.0):
        if not worker.is_alive():
            raise AoikitError(f"a worker exited while starting (exit code {worker.exitcode})")
    started, message = reports.recv()
    if not started:
        raise AoikitError(message)
    return str(message)


def _stop(workers: list[BaseProcess]) -> None:
    """SIGTERM each worker (uvicorn then finishes its requests), then kill what is left after the grace time."""
    for worker in workers:
        if worker.is_alive() and worker.pid is not None:
            os.kill(worker.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
        if worker.is_alive():
            worker.kill()
            worker.join()


def _orphaned(server: Any, parent: int) -> None:
    """Stop ``server`` (gracefully) once its parent is gone, a kill -9 say, so no worker outlives the service."""
    while os.getppid() == parent:
        time.sleep(1.0)
    server.should_exit = True


def _work(spec: WorkerSpec, sock: socket.socket, report: Connection) -> None:
    """One worker: an inspector on the shared database, served on the shared socket until SIGTERM."""
    from aoikit.service.server import app_server, open_inspector

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the workers; Ctrl+C reaches it too
    try:
        with open_inspector(spec.run, spec.db, spec.config, spec.images, device=spec.device, threads=spec.threads) as (
            inspector
        ):
            server = app_server(inspector, spec.host, spec.token)
            threading.Thread(target=_orphaned, args=(server, os.getppid()), daemon=True).start()
            report.send((True, inspector.describe()))
            run_until_stopped(server, sock)
    except AoikitError as exc:
        report.send((False, str(exc)))
