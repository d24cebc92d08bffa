"""``aoikit known-kinds``: known kinds from a labelled dataset folder, and one-line errors for bad files and options
of it and of ``--known-kinds`` on serve and watch."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from aoikit.cli import app
from aoikit.service.novelty import KnownKinds


def test_known_kinds_are_named_by_the_defect_folders(known_kinds_file: Path) -> None:
    known = KnownKinds.load(known_kinds_file)
    assert known.kind_names == ["dark"] and len(known.kinds_) == 8
    assert len({group for group in known.groups_}) == 8  # one region per defective frame, each its own frame


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["known-kinds", "--data", "NOWHERE", "--out", "OUT"], "nowhere: missing folder"),
        (["known-kinds", "--data", "DATA", "--out", "KINDS"], "exists; pass --overwrite"),
        (["known-kinds", "--data", "EMPTY", "--out", "OUT"], "need at least 5 known regions"),
        (["serve", "--known-kinds", "OUT", "--db", "DB"], "out.json: cannot read known kinds (No such file"),
        (["watch", "FOLDER", "--known-kinds", "NOTJSON", "--db", "DB"], "notes.txt: not a known-kinds file"),
        (["serve", "--known-kinds", "BADKINDS", "--db", "DB"], "bad.json: not a known-kinds file"),
        (["serve", "--known-kinds", "UNRECORDED", "--db", "DB"], "of a model it does not record, not of this run's"),
        (
            ["serve", "--known-kinds", "KINDS", "--new-kind-support", "4", "--new-kind-window", "3", "--db", "DB"],
            "new_kind_support must be at most new_kind_window",
        ),
    ],
)
def test_bad_known_kinds_files_and_options_are_one_line_errors(
    args: list[str],
    message: str,
    runs: dict[str, Any],
    known_kinds_file: Path,
    labelled: Callable[[Path], Path],
    tmp_path: Path,
) -> None:
    empty = labelled(tmp_path / "empty")
    for path in (empty / "defect" / "dark").iterdir():
        path.unlink()
    (tmp_path / "notes.txt").write_text("not json")
    (tmp_path / "bad.json").write_text(json.dumps({"format": "aoikit.known_kinds/1", "regions": []}))
    unrecorded = json.loads(known_kinds_file.read_text()) | {"model_version": None}
    (tmp_path / "unrecorded.json").write_text(json.dumps(unrecorded))
    names = {
        "NOWHERE": tmp_path / "nowhere",
        "OUT": tmp_path / "out.json",
        "DATA": empty,
        "EMPTY": empty,
        "KINDS": known_kinds_file,
        "NOTJSON": tmp_path / "notes.txt",
        "BADKINDS": tmp_path / "bad.json",
        "UNRECORDED": tmp_path / "unrecorded.json",
        "FOLDER": tmp_path,
        "DB": f"sqlite:///{tmp_path / 'r.db'}",
    }
    result = CliRunner().invoke(app, [*[str(names.get(a, a)) for a in args], "--run", str(runs["ssim_ae"][0])])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("aoikit: error:")]
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in result.output, result.output
    assert not (tmp_path / "out.json").exists()


@pytest.mark.parametrize("command", ["serve", "watch"])
def test_known_kinds_of_another_runs_model_are_refused(
    command: str, runs: dict[str, Any], known_kinds_file: Path, tmp_path: Path
) -> None:
    version = json.loads(known_kinds_file.read_text())["model_version"]
    args = [command, *(["FOLDER"] if command == "watch" else []), "--known-kinds", str(known_kinds_file)]
    args = [str(tmp_path) if a == "FOLDER" else a for a in args]
    other = runs["ganomaly"][0]
    result = CliRunner().invoke(app, [*args, "--run", str(other), "--db", f"sqlite:///{tmp_path / 'r.db'}"])
    assert result.exit_code == 2, result.output
    [line] = [line for line in result.output.splitlines() if line.startswith("aoikit: error:")]
    assert f"known kinds of model {version}, not of this run's model" in line and "Traceback" not in result.output
