"""Command line of the inspection service: serve, watch, and the known kinds its "new kind" alerts compare with."""

from pathlib import Path
from typing import Annotated, Any

import typer

from aoikit.cli_common import DEVICE_HELP, RUN_HELP, friendly

commands = typer.Typer()
Run = Annotated[Path, typer.Option(help=RUN_HELP)]
Db = Annotated[
    str | None,
    typer.Option(
        help="Results database URL: sqlite:///PATH or postgresql+psycopg://USER@HOST/DB (default: RUN/inspections)."
    ),
]
Images = Annotated[
    Path | None,
    typer.Option(
        help="Folder for frames, maps and overlays (default: RUN/inspections/images); share it with the database."
    ),
]
Webhook = Annotated[str | None, typer.Option(help="URL each new alert is POSTed to as JSON.")]
WebhookRetries = Annotated[int | None, typer.Option(help="Further tries after a failed webhook POST.")]
WebhookBackoff = Annotated[
    float | None, typer.Option(help="Seconds before the first webhook retry, doubled before each next one.")
]
AlertWindow = Annotated[int | None, typer.Option(help="Frames per camera the rate alert looks at.")]
FalseAlarmRate = Annotated[float | None, typer.Option(help="Rate alert: chance good parts trip it per check.")]
KnownKindsFile = Annotated[
    Path | None,
    typer.Option(help="Known kinds written by 'aoikit known-kinds': recurring regions unlike all of them alert."),
]
SupervisedRun = Annotated[
    Path | None,
    typer.Option(help="A supervised run that names each region's defect type; regions it does not explain alert."),
]
NewKindSupport = Annotated[int | None, typer.Option(help="Frames with similar unknown regions a new-kind alert needs.")]
NewKindWindow = Annotated[int | None, typer.Option(help="Newest frames searched for that support.")]
Device = Annotated[str, typer.Option(help=DEVICE_HELP)]
Threads = Annotated[int | None, typer.Option(help="Torch threads (default: all cores).")]
SETTINGS = (
    "max_upload_mb",
    "settle",
    "webhook",
    "webhook_retries",
    "webhook_backoff",
    "alert_window",
    "false_alarm_rate",
    "known_kinds",
    "supervised",
    "new_kind_support",
    "new_kind_window",
)
"""Options of serve and watch that are settings of the service (:func:`aoikit.service.settings.service_config`)."""


def _settings(ctx: typer.Context) -> dict[str, Any]:
    """The settings among the options a command was given."""
    return {name: value for name, value in ctx.params.items() if name in SETTINGS}


@commands.command()
@friendly
def serve(
    ctx: typer.Context,
    run: Run,
    db: Db = None,
    host: Annotated[str, typer.Option(help="Address to bind (off loopback every request needs the API key).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port to listen on (0: a free one).")] = 8000,
    images: Images = None,
    api_key: Annotated[
        str | None,
        typer.Option(
            envvar="AOIKIT_API_KEY", help="Key clients send as X-Aoikit-Token (default off loopback: a new one)."
        ),
    ] = None,
    webhook: Webhook = None,
    webhook_retries: WebhookRetries = None,
    webhook_backoff: WebhookBackoff = None,
    alert_window: AlertWindow = None,
    false_alarm_rate: FalseAlarmRate = None,
    known_kinds: KnownKindsFile = None,
    supervised: SupervisedRun = None,
    new_kind_support: NewKindSupport = None,
    new_kind_window: NewKindWindow = None,
    max_upload_mb: Annotated[float | None, typer.Option(help="Largest request body in MiB.")] = None,
    device: Device = "cpu",
    threads: Annotated[
        int | None, typer.Option(help="Threads per worker (default: the usable cores shared out over the workers).")
    ] = None,
    workers: Annotated[
        int, typer.Option(help="Server processes on one port and one database (more frames/s on more cores).")
    ] = 1,
) -> None:
    """Serve the inspection API and the line's page; every result is kept in the database."""
    from aoikit.service.server import inspection_server, open_inspector
    from aoikit.service.settings import service_config

    config = service_config(**_settings(ctx))
    if workers != 1:
        _serve_workers(workers, run, db, config, images, device, threads, host, port, api_key)
        return
    with (
        open_inspector(run, db, config, images, device=device, threads=threads) as inspector,
        inspection_server(inspector, host, port, api_key) as server,
    ):
        typer.echo(f"inspecting with {inspector.describe()} at {server.url} (Ctrl+C to stop)")
        server.serve()


def _serve_workers(
    workers: int,
    run: Path,
    db: str | None,
    config: Any,
    images: Path | None,
    device: str,
    threads: int | None,
    host: str,
    port: int,
    api_key: str | None,
) -> None:
    """``serve --workers N``: bind here, then run the workers of :mod:`aoikit.service.workers` on the socket."""
    from aoikit.service.server import api_key_for
    from aoikit.service.workers import WorkerSpec, serve_workers
    from aoikit.webguard import bind, server_url

    token, made_here = api_key_for(host, api_key)
    spec = WorkerSpec(run, db, config, images, device, threads, host, token)
    with bind(host, port) as sock:
        url = server_url(host, sock.getsockname()[1], token if made_here else None)

        def announce(description: str) -> None:
            typer.echo(f"inspecting with {description} at {url} ({workers} workers; Ctrl+C to stop)")

        serve_workers(workers, spec, sock, announce)


@commands.command()
@friendly
def watch(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="Folder the camera writes frames into.")],
    run: Run,
    db: Db = None,
    images: Images = None,
    camera: Annotated[str, typer.Option(help="Camera name stored with each frame.")] = "",
    line: Annotated[str, typer.Option(help="Line name stored with each frame.")] = "",
    settle: Annotated[float | None, typer.Option(help="Seconds a file must stand still before it is read.")] = None,
    webhook: Webhook = None,
    webhook_retries: WebhookRetries = None,
    webhook_backoff: WebhookBackoff = None,
    alert_window: AlertWindow = None,
    false_alarm_rate: FalseAlarmRate = None,
    known_kinds: KnownKindsFile = None,
    supervised: SupervisedRun = None,
    new_kind_support: NewKindSupport = None,
    new_kind_window: NewKindWindow = None,
    device: Device = "cpu",
    threads: Threads = None,
) -> None:
    """Inspect each frame written into FOLDER once, into the same database and alerts as 'serve'."""
    import threading

    from aoikit.service.inspector import FrameMeta
    from aoikit.service.server import open_inspector
    from aoikit.service.settings import service_config
    from aoikit.service.watch import FolderWatcher

    def report(path: Path, row: Any, problem: str | None) -> None:
        if row is None:
            typer.echo(f"refused   {path}: {problem}")
        else:
            typer.echo(f"{'ANOMALOUS' if row.anomalous else 'good':9s} score {row.score:.4f}  {path}  {row.id}")

    config = service_config(**_settings(ctx))
    with open_inspector(run, db, config, images, device=device, threads=threads) as inspector:
        watcher = FolderWatcher(folder, inspector, FrameMeta(line=line, camera=camera), report=report)
        typer.echo(f"watching {folder} with {inspector.describe()} (Ctrl+C to stop)")
        try:
            watcher.run(threading.Event())
        except KeyboardInterrupt:
            typer.echo("stopped")


@commands.command("known-kinds")
@friendly
def known_kinds(
    run: Run,
    data: Annotated[Path, typer.Option(help="Labelled dataset: MVTec AD category or good/defect/<type>/masks.")],
    out: Annotated[Path, typer.Option(help="JSON file to write; pass it to serve and watch as --known-kinds.")],
    category: Annotated[str | None, typer.Option(help="MVTec AD category when --data is the parent.")] = None,
    far_rate: Annotated[float, typer.Option(help="Share of regions of known kinds allowed to look new.")] = 0.01,
    overwrite: Annotated[bool, typer.Option(help="Replace the file in --out.")] = False,
    device: Device = "cpu",
) -> None:
    """Save the run's regions on a labelled dataset as the known kinds that "new kind" alerts compare with (and the
    version of the run's model: serve and watch refuse them with another).

    The regions are the run's on the dataset's test frames, each named by its defect folder where it touches the
    mask, else "good" (a good frame's regions, stray ones on a defective frame).
    """
    from collections import Counter

    from aoikit.data.open import open_dataset
    from aoikit.errors import AoikitError
    from aoikit.runs import load_run
    from aoikit.service.known_kinds import describe_frames, fit_known_kinds
    from aoikit.service.server import run_version
    from aoikit.service.settings import ServiceConfig

    if out.exists() and not overwrite:
        raise AoikitError(f"{out}: exists; pass --overwrite to replace it")
    dataset = open_dataset(data, category)
    detector = load_run(run, device)
    frames = describe_frames(detector, dataset.test, ServiceConfig().min_region_area)
    known = fit_known_kinds(frames, far_rate=far_rate, model_version=run_version(run))
    known.save(out)
    counts = ", ".join(f"{kind} {n}" for kind, n in sorted(Counter(known.kinds_).items()))
    typer.echo(f"known kinds from {len(frames)} frames (regions per kind: {counts})")
    typer.echo(f"written: {out}  (serve or watch with --known-kinds {out})")


@commands.command("alert-frames")
@friendly
def alert_frames(
    alert: Annotated[str, typer.Option(help="Id of the alert whose frames to export.")],
    out: Annotated[Path, typer.Option(help="New folder for the frames (give it to 'aoikit prelabel --images').")],
    server: Annotated[str | None, typer.Option(help="URL of a running 'aoikit serve'.")] = None,
    db: Annotated[str | None, typer.Option(help="Or its results database URL, read directly.")] = None,
    images: Annotated[
        Path | None, typer.Option(help="With --db: its frames folder (default: 'images' beside a SQLite file).")
    ] = None,
    api_key: Annotated[str | None, typer.Option(envvar="AOIKIT_API_KEY", help="API key of --server.")] = None,
) -> None:
    """Export the frames an alert names, as they were sent, into a folder ready for 'aoikit prelabel'."""
    from aoikit.errors import AoikitError
    from aoikit.service.alert_export import FrameSource, ServiceSource, StoreSource, export_alert_frames

    if (server is None) == (db is None):
        raise AoikitError("give the service as --server URL or its database as --db URL (one of them)")
    if server is not None:
        written = export_alert_frames(ServiceSource(server, api_key), alert, out)
    elif db is not None:
        from sqlalchemy.engine import make_url

        from aoikit.service.blobs import BlobStore
        from aoikit.service.store import ResultStore

        if images is None:
            database = make_url(db).database if db.startswith("sqlite") else None
            if not database:
                raise AoikitError("--images: the frames folder of a database that is not a SQLite file")
            images = Path(database).parent / "images"
        store = ResultStore.open(db)
        try:
            source: FrameSource = StoreSource(store, BlobStore(images))
            written = export_alert_frames(source, alert, out)
        finally:
            store.close()
    typer.echo(f"{len(written)} frame(s) of alert {alert} written to {out} (to label: aoikit prelabel --images {out})")
