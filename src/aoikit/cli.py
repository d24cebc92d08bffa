"""Command line: parse, call the library, print."""

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperCommand

from aoikit.cli_common import DEVICE_HELP, RUN_HELP, friendly
from aoikit.cli_service import commands as service_commands
from aoikit.cli_tune import commands as tune_commands

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True)
app.add_typer(service_commands)
app.add_typer(tune_commands)
LIST_OPTIONS = ("--windows",)
"""Options that take several values: ``--windows 7 11 15`` as well as ``--windows 7 --windows 11``."""


class SpacedLists(TyperCommand):
    """A command whose list options also take space-separated values."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        expanded: list[str] = []
        current = None
        for arg in args:
            if arg.startswith("-"):
                current = arg if arg in LIST_OPTIONS else None
                if current is None:
                    expanded.append(arg)
            elif current is not None:
                expanded += [current, arg]
            else:
                expanded.append(arg)
        return super().parse_args(ctx, expanded)


class ModelHelp(TyperCommand):
    """A command whose help lists the registry's model names and default where an option's help says {models} and
    {default} (filled in only when help is shown: the registry imports every family)."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        from aoikit.models.families import DEFAULT_MODEL, model_names

        for param in self.params:
            text = getattr(param, "help", None)
            if text and "{models}" in text:
                param.help = text.format(models=", ".join(model_names()), default=DEFAULT_MODEL)  # type: ignore[attr-defined]
        super().format_help(ctx, formatter)


def _names(text: str) -> list[str]:
    """The non-empty items of a comma-separated option."""
    return [item.strip() for item in text.split(",") if item.strip()]


@app.command(cls=ModelHelp)
@friendly
def train(
    out: Annotated[Path, typer.Option(help="Run folder to write (checkpoints, plots, config).")],
    data: Annotated[str | None, typer.Option(help="Dataset folder (MVTec AD category or good/defect/masks).")] = None,
    category: Annotated[str | None, typer.Option(help="MVTec AD category when --data is the parent.")] = None,
    model: Annotated[str | None, typer.Option(help="Model name: {models} (default {default}).")] = None,
    latent_dim: Annotated[int | None, typer.Option(help="Latent size d.")] = None,
    epochs: Annotated[int | None, typer.Option()] = None,
    batch_size: Annotated[int | None, typer.Option()] = None,
    patches_per_epoch: Annotated[int | None, typer.Option()] = None,
    image_size: Annotated[int | None, typer.Option(help="Working size images are resized to.")] = None,
    window: Annotated[int | None, typer.Option(help="SSIM window of the maps and of the training loss (odd).")] = None,
    loss: Annotated[str | None, typer.Option(help="dssim or l2.")] = None,
    match_intensity: Annotated[
        bool | None,
        typer.Option("--match-intensity/--no-match-intensity", help="Match grey level and contrast to good images."),
    ] = None,
    align: Annotated[
        bool | None, typer.Option("--align/--no-align", help="Turn each part to one pose before reconstruction.")
    ] = None,
    position_norm: Annotated[
        bool | None,
        typer.Option("--position-norm/--no-position-norm", help="Score residuals against good parts per position."),
    ] = None,
    seed: Annotated[int | None, typer.Option()] = None,
    threads: Annotated[int | None, typer.Option(help="Torch threads (default: all cores).")] = None,
    device: Annotated[str | None, typer.Option(help=DEVICE_HELP)] = None,
    amp: Annotated[str | None, typer.Option(help="bfloat16 autocast: auto (where native), true or false.")] = None,
    config: Annotated[Path | None, typer.Option(help="YAML file with options.")] = None,
    resume: Annotated[bool, typer.Option(help="Continue the run in --out from its last checkpoint.")] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace a run already in --out.")] = False,
) -> None:
    """Train a detector on the good training images of a dataset."""
    from aoikit.pipeline import run_config, train_run

    overrides = {
        "data": data,
        "category": category,
        "detector.model": model,
        "detector.model_config.latent_dim": latent_dim,
        "detector.image_size": image_size,
        "detector.window": window,
        "train.epochs": epochs,
        "train.batch_size": batch_size,
        "train.patches_per_epoch": patches_per_epoch,
        "train.loss": loss,
        "detector.match_intensity": match_intensity,
        "detector.align": align,
        "detector.position_norm": position_norm,
        "train.seed": seed,
        "train.threads": threads,
        "train.device": device,
        "train.amp": {"true": True, "false": False}.get(amp or "", amp),
    }
    detector = train_run(run_config(out, config, overrides, resume, overwrite), out, resume=resume)
    typer.echo(f"model: {out / 'model'}")
    if (out / "history.csv").is_file():
        typer.echo(f"loss plot: {out / 'loss.png'}  history: {out / 'history.csv'}")
    typer.echo(f"calibrated pixel threshold {detector.threshold_:.4f}, image threshold {detector.image_threshold_:.4f}")


@app.command()
@friendly
def predict(
    images: Annotated[list[Path], typer.Argument(help="Images to inspect.")],
    run: Annotated[Path, typer.Option(help=RUN_HELP)],
    out: Annotated[Path | None, typer.Option(help="Folder for panels (default: RUN/predictions).")] = None,
    device: Annotated[str, typer.Option(help=DEVICE_HELP)] = "cpu",
) -> None:
    """Write a panel (original, reconstruction, residual, overlay) per image."""
    from aoikit.pipeline import predict_paths

    for panel, score, label in predict_paths(run, images, out or run / "predictions", device):
        typer.echo(f"{'ANOMALOUS' if label else 'good':9s} score {score:.4f}  {panel}")


@app.command(cls=SpacedLists)
@friendly
def evaluate(
    out: Annotated[Path | None, typer.Option(help="Report folder (default: RUN/eval or runs/baseline-KIND).")] = None,
    run: Annotated[Path | None, typer.Option(help=RUN_HELP)] = None,
    data: Annotated[str | None, typer.Option(help="Dataset (default: the run's).")] = None,
    category: Annotated[str | None, typer.Option()] = None,
    windows: Annotated[
        list[int] | None, typer.Option("--windows", help="SSIM windows, e.g. --windows 7 11 15 (default: the run's).")
    ] = None,
    baseline: Annotated[str | None, typer.Option(help="Evaluate a baseline instead: flat or untrained.")] = None,
    panels: Annotated[int, typer.Option(help="Per-image panels to draw.")] = 12,
    device: Annotated[str, typer.Option(help=DEVICE_HELP)] = "cpu",
) -> None:
    """Pixel AUROC, AUPRO, image AUROC, thresholds and segmentation, per window and per defect type."""
    from aoikit.pipeline import evaluate_run

    results, folder = evaluate_run(run, baseline, data, category, windows, panels, out, device)
    for window, res in results.items():
        typer.echo(
            f"window {window:2d}: pixel AUROC {res['pixel_auroc']:.4f}  AUPRO {res['aupro']:.4f}  "
            f"image AUROC {res['image_auroc']:.4f}"
        )
    typer.echo(f"report: {folder / 'summary.md'}")


@app.command()
@friendly
def report(
    run: Annotated[Path, typer.Option(help=RUN_HELP)],
    out: Annotated[Path | None, typer.Option(help="HTML file to write (default: RUN/eval/report.html).")] = None,
) -> None:
    """One self-contained HTML page from what 'aoikit evaluate' wrote: metrics, ROC, panels, calibration, config."""
    from aoikit.evaluation.html_report import write_report_html

    typer.echo(f"report: {write_report_html(run, out)}")


@app.command()
@friendly
def sweep(config: Annotated[Path, typer.Argument(help="Study YAML (see configs/ssim_ae_study.yaml).")]) -> None:
    """Train and evaluate a grid of runs, skipping finished ones; write tables and the window figure."""
    from aoikit.sweep.study import load_study, run_study, write_outputs

    study = load_study(config)
    tables, figures = write_outputs(study, run_study(study))
    typer.echo(f"tables: {tables}")
    typer.echo(f"figures: {', '.join(str(f) for f in figures)}")


@app.command()
@friendly
def prelabel(
    run: Annotated[Path, typer.Option(help=RUN_HELP)],
    images: Annotated[Path, typer.Option(help="Folder of images (searched recursively).")],
    out: Annotated[Path, typer.Option(help="Folder for label files and overlays.")] = Path("labels"),
    formats: Annotated[
        str, typer.Option(help="Comma-separated: coco,coco_rle,yolo,voc,labelme,cvat,labelstudio,folder.")
    ] = ("coco,yolo,voc,labelme,cvat,labelstudio"),
    min_area: Annotated[int, typer.Option(help="Smallest region kept, in pixels.")] = 16,
    replace: Annotated[bool, typer.Option(help="Replace an existing pre-label --out folder whole.")] = False,
) -> None:
    """Turn anomaly maps into label files (regions above the calibrated threshold) for people to correct."""
    from aoikit.labels import RegionConfig
    from aoikit.labels import prelabel as write_prelabels
    from aoikit.labels.prelabel import prelabel_images
    from aoikit.runs import load_run

    config = RegionConfig(threshold=0.0, min_area=min_area)  # checks --min-area before any work
    paths = prelabel_images(images, out, replace)
    detector = load_run(run)
    config.threshold = detector.threshold_
    written = write_prelabels(detector, paths, out, _names(formats), config, replace=replace)
    for kind, files in written.items():
        typer.echo(f"{kind}: {len(files)} file(s) in {out}")


@app.command()
@friendly
def compare(
    data: Annotated[str, typer.Option(help="Dataset folder.")],
    out: Annotated[Path, typer.Option(help="Folder for the runs, Table 3, ROC and histograms.")],
    category: Annotated[str | None, typer.Option()] = None,
    presets: Annotated[str, typer.Option(help="Comma-separated GANomaly presets.")] = (
        "ganomaly-l1-l1,ganomaly-ssim-l1,ganomaly-ssim-ssim"
    ),
    epochs: Annotated[int, typer.Option()] = 15,
    ngf: Annotated[int | None, typer.Option(help="Generator base width (default: the preset's 64).")] = None,
    ndf: Annotated[int | None, typer.Option(help="Discriminator base width.")] = None,
    threads: Annotated[int | None, typer.Option()] = None,
    frames: Annotated[int, typer.Option(help="Frames timed for ms per frame.")] = 200,
    test_minmax: Annotated[bool, typer.Option(help="Histograms with test-fitted min-max (seed protocol).")] = False,
    match_intensity: Annotated[bool, typer.Option(help="Match grey level and contrast to training images.")] = False,
    device: Annotated[str, typer.Option(help=DEVICE_HELP)] = "auto",
) -> None:
    """Train the GANomaly presets on one dataset and write the seed's Table 3 with baselines."""
    from aoikit.sweep.compare import compare_presets

    overrides = {k: v for k, v in {"ngf": ngf, "ndf": ndf}.items() if v is not None}
    names = _names(presets)
    rows = compare_presets(
        data,
        category,
        out,
        names,
        epochs,
        overrides=overrides,
        threads=threads,
        frames=frames,
        test_minmax=test_minmax,
        match_intensity=match_intensity,
        device=device,
    )
    for row in rows:
        typer.echo(
            f"{row['preset']:20s} image AUROC {row['image_auroc']:.4f}  (flat {row['flat_auroc']:.4f}, untrained "
            f"{row['untrained_auroc']:.4f})  {row['ms_p50']:.2f} ms/frame p50"
        )
    typer.echo(f"table: {out / 'table3.md'}")


@app.command()
@friendly
def review(
    labels: Annotated[Path, typer.Argument(help="Folder written by 'aoikit prelabel'.")],
    images: Annotated[Path, typer.Option(help="Folder holding the labelled images.")],
    host: Annotated[
        str, typer.Option(help="Address to bind (local only by default; any other needs the printed token).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0: a free one).")] = 8765,
    export: Annotated[Path | None, typer.Option(help="Export folder (default LABELS/reviewed).")] = None,
) -> None:
    """Serve a local page to accept, reject, adjust and add pre-label regions; every change is saved at once."""
    from aoikit.review import review_server

    with review_server(labels, images, host=host, port=port, export_dir=export) as server:
        typer.echo(f"reviewing {labels} at {server.url} (Ctrl+C to stop)")
        server.serve()


@app.command("review-export")
@friendly
def review_export(
    labels: Annotated[Path, typer.Argument(help="Folder with review.json.")],
    out: Annotated[Path, typer.Option(help="Folder for the corrected labels.")],
    formats: Annotated[str | None, typer.Option(help="Comma-separated formats (default: those of the pre-labels).")] = (
        None
    ),
) -> None:
    """Write the reviewed labels (accepted and drawn regions) in the label formats."""
    from aoikit.review import export_review

    chosen = _names(formats) if formats else None
    for kind, files in export_review(labels, out, chosen).items():
        typer.echo(f"{kind}: {len(files)} file(s) in {out / kind}")


@app.command()
@friendly
def export(
    run: Annotated[Path, typer.Option(help=RUN_HELP)],
    out: Annotated[Path | None, typer.Option(help="Export folder (default: RUN/export-FORMAT).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="Export format: onnx.")] = "onnx",
    overwrite: Annotated[bool, typer.Option(help="Replace an earlier export in --out.")] = False,
) -> None:
    """Write the network and what serving needs (preprocessing settings, thresholds) to one folder."""
    from aoikit.pipeline import export_run

    folder = out or run / f"export-{fmt}"
    detector = export_run(run, folder, fmt, overwrite)
    typer.echo(f"export: {folder}  (serve it with --run {folder}; backend here: {detector.backend})")
    typer.echo(f"pixel threshold {detector.threshold_:.4f}, image threshold {detector.image_threshold_:.4f}")


@app.command()
@friendly
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the demo's data and run.")] = Path("runs/demo"),
) -> None:
    """Fit the default detector on a bundled texture with synthetic defects and show the results."""
    from aoikit.demo import run_demo

    result = run_demo(out)
    typer.echo(f"fitted in {result.fit_seconds:.0f} s: {result.run_dir}")
    typer.echo(f"on the synthetic defects: pixel AUROC {result.pixel_auroc:.4f}, image AUROC {result.image_auroc:.4f}")
    for panel in result.panels:
        typer.echo(f"panel: {panel}")


def main() -> None:
    """Entry point for ``python -m aoikit``."""
    sys.exit(app())
