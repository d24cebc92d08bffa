"""The line, end to end: a new kind of defect appears, is alerted, pre-labelled, reviewed, learned and caught by name.

Usage: ``python benchmarks/line_loop.py --data DATASET --out FOLDER [--held-back TYPE ...] [--model ssim_ae]
[--train-config YAML] [--epochs N] [--unet-epochs N] [--defect-rate 0.1] [--lead 50] [--label-share 0.5]
[--db URL] [--seed 0] [--threads 1]``. DATASET: an MVTec AD category or a folder (good/, defect/<type>/,
masks/<type>/). Every step calls the ``aoikit`` command line or a running ``aoikit serve`` over HTTP, as a line
engineer would; each step's result is kept in ``FOLDER/<dataset>/`` and a step done is not done again.

1. ``aoikit train --data DATASET`` (the unsupervised detector; ``--model``, ``--train-config``, ``--epochs``).
For each defect type held back in turn (default: every type):
2. the test frames are split (:func:`line_stream.plan_line`, ``--seed``): half of the good frames and half of each
   other type's are labelled beforehand, the rest and every frame of the held-back type are streamed with good
   frames repeated to ``1 − --defect-rate`` of the stream, the held-back type from frame ``--lead`` on;
   ``aoikit known-kinds`` on the labelled half (with the detector's held-out validation images as good frames);
3. ``aoikit serve --known-kinds``; frames are POSTed one at a time; each "new kind" alert is acknowledged through
   the API as the held-back type when a frame it names is of it (else acknowledged unnamed), until such an alert
   has fired and ``--label-share`` of the held-back frames have been streamed;
4. ``aoikit alert-frames`` exports the frames of the alerts named the held-back type, ``aoikit prelabel`` maps
   them, and the review is simulated against the ground truth (:func:`aoikit.labels.metrics.simulate_review`:
   keep a region touching it, delete the others, draw what is missed; from scratch: one drawing per defect);
5. ``aoikit train --model unet`` on the reviewed frames plus the labelled known types and the good training
   images (timed); ``aoikit serve --supervised``; the rest of the stream is played.
Prints a Markdown table; writes ``FOLDER/<dataset>/results.json`` and ``timeline.png``.
"""

import argparse
import json
import shutil
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from aoikit.config import load_config
from aoikit.data.dataset import AnomalyDataset
from aoikit.data.open import open_dataset
from aoikit.data.split import train_val_split
from aoikit.labels.metrics import simulate_review
from aoikit.labels.regions import RegionConfig, extract_regions
from line_plot import timeline
from line_service import Server, acknowledge, aoikit, new_kind_alerts, play
from line_stream import GOOD, Frame, frames_until, measures, plan_line, share

MASK_REGIONS = RegionConfig(threshold=0.5, open_radius=0, close_radius=0, min_area=1)
"""Regions of a pre-label mask as they were drawn."""


def cached(path: Path) -> dict[str, Any] | None:
    return dict(json.loads(path.read_text())) if path.is_file() else None


def keep(path: Path, value: dict[str, Any]) -> dict[str, Any]:
    """Write a step's result (atomically: a killed step leaves no result)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.with_suffix(".tmp").write_text(json.dumps(value, indent=1) + "\n")
    path.with_suffix(".tmp").replace(path)
    return value


def fresh(folder: Path) -> Path:
    """``folder``, emptied of what a killed step left there."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def link_all(paths: list[str], folder: Path) -> None:
    """Link each image into ``folder`` as ``NNNN<suffix>``."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, path in enumerate(paths):
        (folder / f"{i:04d}{Path(path).suffix.lower()}").symlink_to(Path(path).resolve())


def link_defects(frames: list[Frame], images: Path, masks: Path, mask_suffix: str) -> None:
    """Link defect frames into ``images`` and their masks into ``masks`` as ``NNNN<mask_suffix>``: ``_mask`` in the
    MVTec AD layout, nothing in the folder layout."""
    link_all([f.path for f in frames], images)
    masks.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames):
        mask = Path(str(frame.mask))
        (masks / f"{i:04d}{mask_suffix}{mask.suffix.lower()}").symlink_to(mask.resolve())


def test_frames(dataset: AnomalyDataset) -> list[Frame]:
    return [
        Frame(str(s.path), s.defect_type if s.label else GOOD, None if s.mask_path is None else str(s.mask_path))
        for s in dataset.test
    ]


def read_mask(path: str | None, shape: tuple[int, ...]) -> np.ndarray:
    if path is None:
        return np.zeros(shape[:2], dtype=bool)
    mask = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    return cv2.resize(mask, (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST) > 0


def train_detector(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    done = cached(root / "detector.json")
    if done:
        return done
    command = ["train", "--data", args.data, "--out", str(root / "detector"), "--overwrite", "--threads", args.threads]
    for option in ("model", "epochs"):
        if getattr(args, option) is not None:
            command += [f"--{option}", str(getattr(args, option))]
    if args.train_config:
        command += ["--config", args.train_config]
    seconds = aoikit(command, root / "logs" / "train_detector.log")
    return keep(root / "detector.json", {"run": str(root / "detector"), "train_minutes": seconds / 60})


def known_kinds(args: argparse.Namespace, run: Path, plan: dict[str, Any], folder: Path) -> Path:
    """``aoikit known-kinds`` on an MVTec-layout folder of the labelled frames and the run's validation images."""
    out = folder / "known_kinds.json"
    if out.is_file():
        return out
    config = load_config(run / "config.yaml")
    dataset = open_dataset(Path(config.data), config.category)
    _, val = train_val_split(dataset.train, config.val_fraction, config.train.seed)
    known = fresh(folder / "known")
    link_all([str(s.path) for s in dataset.train[:3]], known / "train" / "good")
    link_all([*[f.path for f in plan["labelled_good"]], *[str(s.path) for s in val]], known / "test" / "good")
    for kind in sorted({f.kind for f in plan["labelled_known"]}):
        frames = [f for f in plan["labelled_known"] if f.kind == kind]
        link_defects(frames, known / "test" / kind, known / "ground_truth" / kind, "_mask")
    command = ["known-kinds", "--run", str(run), "--data", str(known), "--out", str(out.with_suffix(".tmp"))]
    aoikit([*command, "--overwrite"], folder / "logs" / "known_kinds.log")
    out.with_suffix(".tmp").replace(out)
    return out


def phase_one(args: argparse.Namespace, run: Path, kinds: Path, stream: list[Frame], held: str, folder: Path) -> dict:
    """Serve with known kinds; stream until an alert names the held-back type and enough of it has been seen;
    acknowledge every alert; export the frames of those named the held-back type."""
    done = cached(folder / "phase1.json")
    if done:
        return done
    needed = int(np.ceil(args.label_share * sum(f.kind == held for f in stream)))
    options = ["--known-kinds", str(kinds)]
    with Server(args, run, options, fresh(folder / "images1"), folder / "logs" / "serve1.log") as server:
        records: list[dict[str, Any]] = []
        acknowledged: dict[str, dict[str, Any]] = {}
        by_id: dict[str, dict[str, Any]] = {}

        def review(record: dict[str, Any]) -> bool:
            """Acknowledge the alerts raised so far; True once the loop has what it needs to label."""
            for alert in new_kind_alerts(server.url, server.camera):
                if alert["id"] not in acknowledged:
                    kinds_named = {by_id[f["id"]]["kind"] for f in alert["frames"] if f["id"] in by_id}
                    named = held if held in kinds_named else None
                    acknowledge(server.url, alert["id"], named)
                    acknowledged[alert["id"]] = {"at": record["i"], "named": named, "frames": alert["frames"]}
            seen = sum(r["kind"] == held for r in records)
            return seen >= needed and any(a["named"] == held for a in acknowledged.values())

        for record in play(server, stream, 0):
            records.append(record)
            by_id[record["id"]] = record
            if record["anomalous"] and review(record):
                break
        task = fresh(folder / "task")
        for n, (alert_id, alert) in enumerate(acknowledged.items()):
            if alert["named"] == held:
                aoikit(
                    ["alert-frames", "--server", server.url, "--alert", alert_id, "--out", str(task / f"{n:02d}")],
                    folder / "logs" / "alert_frames.log",
                )
    return keep(folder / "phase1.json", {"records": records, "alerts": acknowledged})


def label(args: argparse.Namespace, run: Path, phase: dict, plan: dict, held: str, folder: Path) -> dict[str, Any]:
    """Pre-label the exported frames, simulate their review, and write the supervised run's training folder."""
    done = cached(folder / "labels.json")
    if done:
        return done
    by_id = {r["id"]: r for r in phase["records"]}
    stream = plan["stream"]
    prelabels = folder / "prelabels"
    shutil.rmtree(prelabels, ignore_errors=True)
    command = ["prelabel", "--run", str(run), "--images", str(folder / "task"), "--out", str(prelabels)]
    aoikit([*command, "--formats", "folder"], folder / "logs" / "prelabel.log")
    config = load_config(run / "config.yaml")
    train = fresh(folder / "train")
    link_all([str(s.path) for s in open_dataset(Path(config.data), config.category).train], train / "good")
    for kind in sorted({f.kind for f in plan["labelled_known"]}):
        frames = [f for f in plan["labelled_known"] if f.kind == kind]
        link_defects(frames, train / "defect" / kind, train / "masks" / kind, "")
    totals = {"frames": 0, "new_frames": 0, "edits": 0, "from_scratch": 0, "kept": 0, "deleted": 0, "drawn": 0}
    seen: set[str] = set()
    for image in sorted((folder / "task").rglob("*_*.*")):
        inspection = image.stem.split("_", 1)[1]
        if inspection in seen:
            continue
        seen.add(inspection)
        frame = stream[by_id[inspection]["i"]]
        pixels = cv2.imread(str(image), cv2.IMREAD_GRAYSCALE)
        found = list(prelabels.glob(f"folder/masks/*/{image.stem}.png"))
        drawn = read_mask(str(found[0]) if found else None, pixels.shape).astype(np.float32)
        truth = read_mask(frame.mask, pixels.shape) if frame.kind == held else np.zeros(pixels.shape, dtype=bool)
        review = simulate_review(extract_regions(drawn, MASK_REGIONS), truth)
        totals["frames"] += 1
        totals["edits"] += review.edits
        for key in ("kept", "deleted", "drawn", "from_scratch"):
            totals[key] += getattr(review, key)
        if frame.kind == held and review.mask.any():
            totals["new_frames"] += 1
            (train / "defect" / held).mkdir(parents=True, exist_ok=True)
            (train / "masks" / held).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(image, train / "defect" / held / image.name)
            cv2.imwrite(str(train / "masks" / held / f"{image.stem}.png"), review.mask.astype(np.uint8) * 255)
    return keep(folder / "labels.json", totals)


def retrain(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    done = cached(folder / "unet.json")
    if done:
        return done
    command = ["train", "--model", "unet", "--data", str(folder / "train"), "--out", str(folder / "unet")]
    command += ["--overwrite", "--threads", args.threads]
    if args.unet_epochs is not None:
        command += ["--epochs", str(args.unet_epochs)]
    seconds = aoikit(command, folder / "logs" / "train_unet.log")
    return keep(folder / "unet.json", {"run": str(folder / "unet"), "train_minutes": seconds / 60})


def phase_two(args: argparse.Namespace, run: Path, stream: list[Frame], start: int, folder: Path) -> dict:
    done = cached(folder / "phase2.json")
    if done:
        return done
    options = ["--supervised", str(folder / "unet")]
    with Server(args, run, options, fresh(folder / "images2"), folder / "logs" / "serve2.log") as server:
        records = list(play(server, stream[start:], start))
        alerts = [{"at": None, "frames": a["frames"]} for a in new_kind_alerts(server.url, server.camera)]
    return keep(folder / "phase2.json", {"records": records, "alerts": alerts})


def held_back(args: argparse.Namespace, run: Path, test: list[Frame], held: str, folder: Path) -> dict[str, Any]:
    """The loop with ``held`` held back: the row of the table."""
    plan = plan_line(test, held, args.defect_rate, args.lead, args.seed).__dict__
    kinds = known_kinds(args, run, plan, folder)
    first = phase_one(args, run, kinds, plan["stream"], held, folder)
    row: dict[str, Any] = {"held_back": held, "new_frames": sum(f.kind == held for f in plan["stream"])}
    row["first_new_at"] = next(i for i, f in enumerate(plan["stream"]) if f.kind == held)
    row["stream_frames"] = len(plan["stream"])
    row["before"] = measures(first["records"], held)
    true_alerts = [a for a in first["alerts"].values() if a["named"] == held]
    named = {f["id"] for a in first["alerts"].values() for f in a["frames"]}
    by_id = {r["id"]: r for r in first["records"]}
    row["alerts"] = {"all": len(first["alerts"]), "true": len(true_alerts)}
    row["alert_precision"] = [sum(by_id[i]["kind"] == held for i in named if i in by_id), len(named)]
    row["timeline"] = [[r["i"], r["score"], r["threshold"], r["kind"], r["anomalous"], False] for r in first["records"]]
    if not true_alerts:
        return row
    row["alert_at"] = true_alerts[0]["at"]
    row["until_alert"] = frames_until(first["records"], row["alert_at"], held)
    row["labels"] = label(args, run, first, plan, held, folder)
    if not row["labels"]["new_frames"]:
        return row
    row["retrain_minutes"] = retrain(args, folder)["train_minutes"]
    second = phase_two(args, run, plan["stream"], len(first["records"]), folder)
    row["after"] = measures(second["records"], held)
    row["after_alerts"] = len(second["alerts"])
    row["retrain_at"] = len(first["records"])
    row["timeline"] = [
        [r["i"], r["score"], r["threshold"], r["kind"], r["anomalous"], held in r["names"]]
        for r in [*first["records"], *second["records"]]
    ]
    return row


def table(rows: list[dict[str, Any]]) -> list[str]:
    """The Markdown table of the rows (before: the stream up to the retrain; after: the rest)."""
    lines = [
        "| held back | its frames until alert / stream frames since its first | alert precision (frames) "
        "| edits: pre-labels / from scratch | retrain min | caught before → after | named right before → after "
        "| false alarms per 1,000 good before → after |",
        "|" + "---|" * 8,
    ]
    for row in rows:
        b, a = row["before"], row.get("after")
        until, labels = row.get("until_alert"), row.get("labels")
        cells = [
            row["held_back"],
            f"{until['new_frames']} / {until['stream_frames']}" if until else "never",
            share(*row["alert_precision"]),
            f"{labels['edits']} / {labels['from_scratch']}" if labels else "–",
            f"{row['retrain_minutes']:.1f}" if "retrain_minutes" in row else "–",
            f"{share(b['new_caught'], b['new_frames'])} → {share(a['new_caught'], a['new_frames']) if a else '–'}",
            f"{share(b['new_named'], b['new_frames'])} → {share(a['new_named'], a['new_frames']) if a else '–'}",
            f"{b['false_per_1000']:.0f} → {a['false_per_1000']:.0f}" if a else f"{b['false_per_1000']:.0f} → –",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--held-back", nargs="*", default=None, help="defect types (default: each in turn)")
    parser.add_argument("--model", default=None, help="unsupervised model (default: aoikit train's)")
    parser.add_argument("--train-config", default=None)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--unet-epochs", type=int, default=None)
    parser.add_argument("--defect-rate", type=float, default=0.1)
    parser.add_argument("--lead", type=int, default=50)
    parser.add_argument("--label-share", type=float, default=0.5)
    parser.add_argument("--db", default=None, help="results database URL (default: SQLite per phase)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", default="1")
    args = parser.parse_args()
    dataset = open_dataset(Path(args.data))
    root = args.out / dataset.name
    run = Path(train_detector(args, root)["run"])
    test = test_frames(dataset)
    held = args.held_back or sorted({f.kind for f in test} - {GOOD})
    rows = []
    for kind in held:
        started = time.perf_counter()
        rows.append(held_back(args, run, test, kind, root / kind))
        print(f"{kind}: done in {(time.perf_counter() - started) / 60:.1f} min", flush=True)
    detector = cached(root / "detector.json") or {}
    settings = {k: str(v) for k, v in vars(args).items()}
    keep(root / "results.json", {"detector": detector, "rows": rows, "args": settings})
    timeline(rows, root / "timeline.png", dataset.name)
    print(f"detector: {run} (trained in {detector.get('train_minutes', float('nan')):.1f} min)")
    print("\n".join(table(rows)))


if __name__ == "__main__":
    main()
