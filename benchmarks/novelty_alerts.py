"""How soon a defect type never seen before raises a "new kind" alert, and how many false ones the rest raise.

Usage: ``python benchmarks/novelty_alerts.py --run RUN [--data PATH] [--checkpoint model|best] [--repeats 20]
[--threads 1]``. Prints a Markdown table.

Protocol, for each defect type held back and each repeat (its own seed):
- regions are the run's own: its anomaly map at its window, above its calibrated pixel threshold (min area 16);
  a region touching the frame's ground-truth mask takes the frame's defect type, any other region is "good";
- known kinds are fitted on half of the test frames of every other defect type, half of the good test frames,
  and the run's held-out good validation images (never the held-back type); thresholds as in
  :class:`aoikit.service.novelty.KnownKinds` (per kind, leave one frame out, at ``--far-rate``);
- the stream is every frame of the held-back type plus the other halves, in random order, judged by
  :class:`aoikit.service.novelty.NoveltyJudge` (``--support`` frames of similar far regions within ``--window``);
- an alert is true when one of its regions touches the ground truth of a held-back frame, else false.

``--checkpoint best`` builds the detector from ``RUN/best`` and calibrates it as training would (intensity and
family state from the training split, thresholds from the validation split), for a run still training.
"""

import argparse
import datetime
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from aoikit.config import RunConfig, load_config
from aoikit.data.arrays import load_images
from aoikit.data.dataset import AnomalyDataset
from aoikit.data.open import open_dataset
from aoikit.data.split import train_val_split
from aoikit.detector import Detector
from aoikit.evaluation.latency import cpu_name, timing_setup
from aoikit.models import load_network
from aoikit.models.families import detector_class
from aoikit.runs import load_run
from aoikit.service.descriptors import FEATURES
from aoikit.service.known_kinds import GOOD, FrameRegions, describe_frames, fit_known_kinds
from aoikit.service.novelty import NoveltyJudge, alert_regions


@dataclass
class Outcome:
    """One stream: held-back frames seen when the first true alert fired (None: never), false alerts and what
    raised them, and the stream's make-up."""

    until_alert: int | None
    false_from_good: int
    false_from_known: int
    held_back: int
    others: int
    far_defect: tuple[int, int]
    """Regions on the held-back type's defects beyond the threshold, of all of them."""
    far_other: tuple[int, int]
    """Other streamed regions beyond the threshold, of all of them."""


def detector_from_best(run: Path, config: RunConfig, dataset: AnomalyDataset) -> Detector:
    """The run's best checkpoint calibrated as :meth:`Detector.fit` would after training."""
    model, _ = load_network(run / "best")
    detector = detector_class(config.detector.model).from_model(model, config.detector)
    train, val = train_val_split(dataset.train, config.val_fraction, config.train.seed)
    train_images = load_images(train, desc="training images")
    if config.detector.match_intensity:
        detector.fit_intensity(train_images)
    detector._fit_extra(train_images)  # as fit(): family state (position statistics) from the training split
    return detector.calibrate(load_images(val, desc="validation images"))


def described(args: argparse.Namespace, config: RunConfig, dataset: AnomalyDataset) -> dict[str, list[FrameRegions]]:
    """Regions of the test frames and the validation good frames, described once and cached as JSON."""
    key = {"run": str(args.run.resolve()), "checkpoint": args.checkpoint, "min_area": args.min_area}
    cache = args.cache or args.run / f"novelty_frames_{args.checkpoint}.json"
    if cache.is_file():
        saved = json.loads(cache.read_text())
        if saved["key"] == key:
            return {name: [_frame(f) for f in frames] for name, frames in saved["frames"].items()}
    detector = load_run(args.run) if args.checkpoint == "model" else detector_from_best(args.run, config, dataset)
    _, val = train_val_split(dataset.train, config.val_fraction, config.train.seed)
    frames = {
        "test": describe_frames(detector, dataset.test, args.min_area),
        "val": describe_frames(detector, val, args.min_area),
    }
    data = {name: [{**asdict(f), "descriptors": f.descriptors.tolist()} for f in fs] for name, fs in frames.items()}
    cache.write_text(json.dumps({"key": key, "frames": data}))
    return frames


def _frame(data: dict) -> FrameRegions:
    rows = np.asarray(data["descriptors"], dtype=np.float64).reshape(len(data["kinds"]), len(FEATURES))
    return FrameRegions(data["frame"], data["frame_kind"], rows, data["kinds"], [tuple(b) for b in data["boxes"]])


def one_stream(
    frames: dict[str, list[FrameRegions]], held_back: str, rng: np.random.Generator, args: argparse.Namespace
) -> Outcome:
    """Fit known kinds without ``held_back``, stream the rest, count alerts."""
    fit, stream = list(frames["val"]), []
    for kind in sorted({f.frame_kind for f in frames["test"]} - {held_back}):
        of_kind = [f for f in frames["test"] if f.frame_kind == kind]
        order = rng.permutation(len(of_kind))
        half = len(of_kind) // 2
        fit += [of_kind[i] for i in order[:half]]
        stream += [of_kind[i] for i in order[half:]]
    stream += [f for f in frames["test"] if f.frame_kind == held_back]
    stream = [stream[i] for i in rng.permutation(len(stream))]
    known = fit_known_kinds(fit, args.k, args.far_rate, args.per_kind)
    judge = NoveltyJudge(known, args.support, args.window)
    rows = [f.descriptors for f in stream if f.kinds]
    far = known.distances(np.concatenate(rows))[0] > 1.0
    defect = np.asarray([kind == held_back for f in stream for kind in f.kinds])
    by_frame = {f.frame: f for f in stream}
    until, seen, false_good, false_known = None, 0, 0, 0
    for f in stream:
        seen += f.frame_kind == held_back
        alerts = judge.judge_described(f.descriptors, f.boxes, frame=f.frame)
        if not alerts:
            continue
        regions = [r for alert in alerts for r in alert_regions(alert)]
        kinds = [by_frame[str(r.frame)].kinds[by_frame[str(r.frame)].boxes.index(r.box)] for r in regions]
        if held_back in kinds:
            until = seen if until is None else until
        elif kinds.count(GOOD) * 2 >= len(kinds):
            false_good += 1
        else:
            false_known += 1
    held = sum(f.frame_kind == held_back for f in stream)
    counts = (int(far[defect].sum()), int(defect.sum())), (int(far[~defect].sum()), int((~defect).sum()))
    return Outcome(until, false_good, false_known, held, len(stream) - held, *counts)


def table(frames: dict[str, list[FrameRegions]], args: argparse.Namespace) -> list[str]:
    """One row per held-back type."""
    rows = [
        "| held back | its frames | with a region on the defect | alerted (of repeats) | its frames until the alert: "
        "median [min–max] | false alerts per stream from good / known types (total over repeats) | other frames "
        "per stream | far regions: on its defects / others |",
        "|---|---:|---:|---:|---|---|---:|---|",
    ]
    for held_back in sorted({f.frame_kind for f in frames["test"]} - {GOOD}):
        outcomes = [
            one_stream(frames, held_back, np.random.default_rng(args.seed + r), args) for r in range(args.repeats)
        ]
        until = [o.until_alert for o in outcomes if o.until_alert is not None]
        visible = sum(held_back in f.kinds for f in frames["test"] if f.frame_kind == held_back)
        spread = f"{np.median(until):.0f} [{min(until)}–{max(until)}]" if until else "never"
        good, known = sum(o.false_from_good for o in outcomes), sum(o.false_from_known for o in outcomes)
        rows.append(
            f"| {held_back} | {outcomes[0].held_back} | {visible} | {len(until)} / {args.repeats} | {spread} | "
            f"{good / args.repeats:.2f} / {known / args.repeats:.2f} ({good} / {known}) | {outcomes[0].others} | "
            f"{_share([o.far_defect for o in outcomes])} / {_share([o.far_other for o in outcomes])} |"
        )
    return rows


def _share(counts: list[tuple[int, int]]) -> str:
    far, total = sum(c[0] for c in counts), sum(c[1] for c in counts)
    return f"{far / total:.1%}" if total else "–"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True)
    parser.add_argument("--data", type=str, default=None, help="dataset (default: the run's)")
    parser.add_argument("--checkpoint", choices=("model", "best"), default="model")
    parser.add_argument("--cache", type=Path, default=None, help="descriptor cache (default RUN/novelty_frames_*.json)")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--min-area", type=int, default=16)
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--far-rate", type=float, default=0.01)
    parser.add_argument("--per-kind", action="store_true", help="one threshold per kind (default: one for all)")
    parser.add_argument("--support", type=int, default=3)
    parser.add_argument("--window", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    _, conditions = timing_setup(args.threads)
    config = load_config(args.run / "config.yaml")
    dataset = open_dataset(Path(args.data or config.data), config.category)
    frames = described(args, config, dataset)
    calibration = "per kind" if args.per_kind else "pooled"
    print(
        f"{datetime.date.today()}; {cpu_name()} (torch CPU capability {torch.backends.cpu.get_cpu_capability()}), "
        f"{conditions}\nrun {args.run} ({args.checkpoint}); k {args.k}, far rate {args.far_rate} ({calibration}), "
        f"support {args.support} frames within {args.window}; {args.repeats} repeats\n"
    )
    print("\n".join(table(frames, args)))


if __name__ == "__main__":
    main()
