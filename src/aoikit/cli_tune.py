"""Command line of tuning: one stage of the three-stage search of a GANomaly preset, by one worker."""

from pathlib import Path
from typing import Annotated

import typer

from aoikit.cli_common import DEVICE_HELP, friendly

commands = typer.Typer()


@commands.command()
@friendly
def tune(
    data: Annotated[Path, typer.Option(help="Dataset folder (MVTec AD category or good/defect/masks).")],
    study: Annotated[str, typer.Option(help="Study name; each stage is the Optuna study NAME-stageN.")],
    out: Annotated[Path, typer.Option(help="Folder for Table 1, the plots and the default SQLite storage.")],
    model: Annotated[str | None, typer.Option(help="GANomaly preset to tune, e.g. ganomaly-ssim-ssim.")] = None,
    stage: Annotated[int, typer.Option(help="1: whole grid; 2: around the top-k of 1; 3: finer, around the best.")] = 1,
    trials: Annotated[int, typer.Option(help="Trials this worker adds to the stage.")] = 20,
    top_k: Annotated[int, typer.Option(help="Stage 2 samples around this many best trials of stage 1.")] = 5,
    storage: Annotated[
        str | None,
        typer.Option(help="Optuna storage URL shared by all workers (default: sqlite:///OUT/tune.db)."),
    ] = None,
    category: Annotated[str | None, typer.Option(help="MVTec AD category when --data is the parent.")] = None,
    defect_fraction: Annotated[float, typer.Option(help="Share of parts whose defect images validate.")] = 0.5,
    schedule: Annotated[str | None, typer.Option(help="Training schedule of each trial: default or seed.")] = None,
    epochs: Annotated[int | None, typer.Option(help="Epochs per trial (default: the schedule's).")] = None,
    max_size: Annotated[int | None, typer.Option(help="Largest image size tried (64, 128 or 256).")] = None,
    max_latent: Annotated[int | None, typer.Option(help="Largest latent size tried.")] = None,
    width: Annotated[int | None, typer.Option(help="Base width of both networks (default: the preset's).")] = None,
    warmup_trials: Annotated[int, typer.Option(help="Completed trials before pruning starts.")] = 5,
    seed: Annotated[int | None, typer.Option(help="Seed of the splits, the draws and the training.")] = None,
    threads: Annotated[int | None, typer.Option(help="Torch threads (default: all cores).")] = None,
    device: Annotated[str | None, typer.Option(help=DEVICE_HELP)] = None,
    config: Annotated[
        Path | None, typer.Option(help="YAML as for train: detector settings every trial shares, train options.")
    ] = None,
) -> None:
    """Run trials of one search stage on a validation split (held-out good images, defect images of some parts);
    write Table 1 (best parameters per model in the storage), the stage's plots and the resolved config into
    OUT."""
    from sqlalchemy.engine import make_url

    from aoikit.config import resolve_config, save_config
    from aoikit.outputs import output_folder
    from aoikit.tune.data import load_tune_data
    from aoikit.tune.objective import Objective, tuned_settings
    from aoikit.tune.report import save_plots, table1
    from aoikit.tune.study import StageOptions, open_storage, run_stage

    folder = output_folder(out)
    url = storage or f"sqlite:///{folder / 'tune.db'}"
    overrides = {
        "data": str(data),
        "category": category,
        "detector.model": model,
        "train.schedule": schedule,
        "train.epochs": epochs,
        "train.seed": seed,
        "train.threads": threads,
        "train.device": device,
    }
    run = resolve_config(config, overrides)
    detector, train = tuned_settings(run)
    store = open_storage(url)
    options = StageOptions(study, store, stage, trials, top_k, train.seed, warmup_trials, max_size, max_latent)
    images = load_tune_data(data, category, run.val_fraction, defect_fraction, train.seed)
    objective = Objective(images, detector, train, folder / "trials", width)
    save_config(run, folder / "config.yaml")
    result = run_stage(options, objective, {"val_fraction": run.val_fraction, "defect_fraction": defect_fraction})
    (folder / "table1.md").write_text(table1(store))
    for note in save_plots(result, folder):
        typer.echo(note)
    done = [t for t in result.trials if t.value is not None]
    best = (
        f"best validation AUROC {max(t.value for t in done if t.value is not None):.4f}" if done else "none completed"
    )
    typer.echo(f"{result.study_name}: {len(result.trials)} trials, {best}")
    shown = make_url(url).render_as_string()  # the password hidden
    typer.echo(f"table 1: {folder / 'table1.md'}  plots: {folder / result.study_name}-*.png  storage: {shown}")


@commands.command("tune-test")
@friendly
def tune_test(
    study: Annotated[str, typer.Option(help="Study name given to aoikit tune.")],
    storage: Annotated[str, typer.Option(help="The study's Optuna storage URL, e.g. sqlite:///runs/tune/tune.db.")],
    data: Annotated[Path, typer.Option(help="The dataset the study searched on.")],
    out: Annotated[Path, typer.Option(help="Run folder for the chosen trial's detector and tuned.json.")],
    category: Annotated[str | None, typer.Option(help="MVTec AD category when --data is the parent.")] = None,
    frames: Annotated[int, typer.Option(help="Frames timed for the per-frame latency.")] = 200,
    threads: Annotated[int | None, typer.Option(help="Torch threads (default: all cores).")] = None,
    device: Annotated[str | None, typer.Option(help=DEVICE_HELP)] = None,
) -> None:
    """Train the best trial of a study's stages once more, on the same split, into a run folder; evaluate it once on
    the test split less the defect images the search validated on; write OUT/tuned.json."""
    import json

    from aoikit.outputs import output_folder
    from aoikit.tune.final import evaluate_chosen
    from aoikit.tune.study import open_storage

    folder = output_folder(out)
    result = evaluate_chosen(
        open_storage(storage), study, data, folder, category, {"threads": threads, "device": device}, frames
    )
    (folder / "tuned.json").write_text(json.dumps(result, indent=2))
    typer.echo(
        f"{study} trial {result['trial']} ({result['preset']}): validation AUROC {result['validation_auroc']:.4f} "
        f"(search {result['validation_auroc_search']:.4f}); test AUROC {result['image_auroc']:.4f} on "
        f"{result['test_images']} images, flat {result['flat_auroc']:.4f}, untrained {result['untrained_auroc']:.4f}; "
        f"{result['ms_p50']:.2f} ms/frame p50"
    )
    typer.echo(f"run: {folder}  results: {folder / 'tuned.json'}")
