"""The README leads and the docs cannot drift: the option reference is generated, the family table lists the
registry, every Python block runs (or compiles, where it needs data), every aoikit command in a shell block names
a real command and real options, and every relative link resolves.

Where each README block runs: the Python example here (slow); the train → evaluate → predict → serve → watch block
here where ../shared/data/mvtec_ad/screw exists (marked ``readme``: ``make readme``, about two minutes, apart from
the suite); ``make test``, ``make readme`` and ``make demo`` in CI (.ci/run).
"""

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
import typer

from aoikit.cli import app
from aoikit.models.families import model_names
from aoikit.options import option_reference

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
NEEDS_DATA = "<!-- needs data -->"
BLOCK = re.compile(r"(<!-- needs data -->\n)?```(\w+)\n(.*?)```", re.S)


def _blocks(language: str) -> list[tuple[Path, bool, str]]:
    """(page, needs data, code) of every ``language`` block in the README and docs."""
    found = []
    for page in PAGES:
        for match in BLOCK.finditer(page.read_text()):
            if match.group(2) == language:
                found.append((page, bool(match.group(1)), match.group(3)))
    return found


def _name(block: tuple[Path, bool, str]) -> str:
    return f"{block[0].name}:{block[2].splitlines()[0][:40]}"


def test_the_option_reference_is_generated_from_the_config_classes() -> None:
    assert (ROOT / "docs" / "options.md").read_text() == option_reference(), "run: python -m aoikit.options"


def test_the_readme_is_a_landing_page_that_lists_every_model() -> None:
    text = README.read_text()
    assert len(text.splitlines()) <= 120
    table = text[text.index("| family |") :].split("\n\n")[0].splitlines()[2:]
    listed = {name for row in table for name in re.findall(r"`([^`]+)`", row.split("|")[2])}
    assert listed == set(model_names())


@pytest.mark.slow
@pytest.mark.parametrize("block", [b for b in _blocks("python") if not b[1]], ids=_name)
def test_every_python_block_runs(block: tuple[Path, bool, str], tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(block[2])
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.parametrize("block", [b for b in _blocks("python") if b[1]], ids=_name)
def test_python_blocks_that_need_data_compile(block: tuple[Path, bool, str]) -> None:
    compile(block[2], str(block[0]), "exec")


def _commands() -> list[tuple[Path, list[str]]]:
    """Every aoikit invocation in the shell blocks, as arguments after ``aoikit``."""
    found = []
    for page, _, code in _blocks("bash"):
        for line in code.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0].endswith("aoikit"):
                found.append((page, words[1:]))
    return found


@pytest.mark.parametrize("command", _commands(), ids=lambda c: f"{c[0].name}:{' '.join(c[1][:2])}")
def test_every_shell_command_names_a_real_command_and_options(command: tuple[Path, list[str]]) -> None:
    group = typer.main.get_command(app)
    name, *args = command[1]
    cli = group.commands[name]  # type: ignore[attr-defined]
    known = {opt for param in cli.params for opt in (*param.opts, *param.secondary_opts)}
    given = {arg.split("=")[0] for arg in args if arg.startswith("--")}
    assert given <= known, f"aoikit {name}: no option {sorted(given - known)}"


def test_every_relative_link_resolves() -> None:
    for page in PAGES:
        for target in re.findall(r"\]\(([^)]+)\)|^\[\w+\]: (\S+)", page.read_text(), re.M):
            link = next(t for t in target if t)
            if link.startswith("http"):
                continue
            path, _, anchor = link.partition("#")
            resolved = (page.parent / path).resolve() if path else page
            assert resolved.exists(), f"{page.name}: {link}"
            if anchor:
                headings = re.findall(r"^#+ (.+)$", resolved.read_text(), re.M)
                slugs = {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}
                assert anchor in slugs, f"{page.name}: {link}"


SCREW = ROOT.parent / "shared" / "data" / "mvtec_ad" / "screw"


def _readme_line(words: str, run: Path, camera: Path) -> list[str]:
    """A line of the README's shell block as a command for bash, its outputs moved to ``run`` and ``camera``."""
    line = re.sub(r"\s+#.*$", "", words).replace("runs/screw", shlex.quote(str(run)))
    line = line.replace("/camera/out", shlex.quote(str(camera)))
    return ["bash", "-c", "exec " + line.replace(".venv/bin/aoikit", f"{shlex.quote(sys.executable)} -m aoikit")]


def _wait(condition: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _announced(process: subprocess.Popen[str], text: str) -> str:
    """The first line the process prints that holds ``text`` (warnings may come before it)."""
    assert process.stdout is not None
    printed: list[str] = []
    while not printed or text not in printed[-1]:
        line = process.stdout.readline()
        assert line, f"exited before printing {text!r}: {''.join(printed)}"
        printed.append(line)
    return printed[-1]


def _stop(process: subprocess.Popen[str]) -> str:
    """Ctrl+C the process and return what it printed; it must shut down cleanly (status 0, or 130: Ctrl+C)."""
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=60)
    assert process.returncode in (0, 130) and "Traceback" not in out, out
    return out


@pytest.mark.readme
@pytest.mark.slow
@pytest.mark.data
def test_the_readme_path_from_a_folder_to_the_line_runs_on_screw(tmp_path: Path) -> None:
    """Every line of the README's needs-data block runs as written from the repository root, with three changes:
    ``runs/screw`` and ``/camera/out`` are folders under ``tmp_path``, ``.venv/bin/aoikit`` is this Python's
    ``-m aoikit`` (on this checkout's src), and serve gets ``--port 0``. Serve and watch are stopped with Ctrl+C
    once they have answered a defect frame and stored a dropped one."""
    if not SCREW.is_dir():
        pytest.skip(f"needs MVTec AD screw at {SCREW}")
    [code] = [code for page, needs_data, code in _blocks("bash") if page == README and needs_data]
    run, camera = tmp_path / "screw", tmp_path / "camera"
    camera.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    lines = {shlex.split(line)[1]: line for line in code.replace("\\\n", " ").splitlines() if line.strip()}
    assert list(lines) == ["train", "evaluate", "predict", "serve", "watch"]

    for name in ("train", "evaluate", "predict"):
        done = subprocess.run(_readme_line(lines[name], run, camera), cwd=ROOT, env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"{name}: {done.stderr[-3000:]}"
    assert (run / "model").is_dir() and (run / "config.yaml").is_file()
    metrics = json.loads((run / "eval" / "metrics.json").read_text())
    assert metrics and all(res["pixel_auroc"] > 0.9 and res["image_auroc"] > 0.8 for res in metrics.values())
    predicted = sorted(SCREW.glob("test/*/000.png"))
    assert len(list((run / "predictions").glob("*_panel.png"))) == len(predicted) == 6

    def start(name: str, *extra: str) -> subprocess.Popen[str]:
        command = _readme_line(lines[name], run, camera)
        command[-1] += "".join(f" {shlex.quote(arg)}" for arg in extra)
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    serve = start("serve", "--port", "0")
    try:
        url = _announced(serve, " at http://").rsplit(" at ", 1)[1].split()[0].rstrip("/")
        _wait(lambda: _answers(f"{url}/healthz"), "serve's /healthz")
        defect = (SCREW / "test" / "thread_top" / "001.png").read_bytes()
        request = urllib.request.Request(f"{url}/v1/inspect?camera=api", data=defect, method="POST")
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.status == 201
            answer = json.load(response)
        assert answer["decision"] == "anomalous" and answer["score"] > answer["threshold"]
        assert _answers(f"{url}/")
        _stop(serve)
    finally:
        serve.kill()

    from aoikit.service.store import InspectionFilter, ResultStore

    watch = start("watch")
    store = ResultStore.open(f"sqlite:///{run / 'inspections' / 'results.db'}")
    try:
        _announced(watch, f"watching {camera}")
        shutil.copy(SCREW / "test" / "thread_top" / "000.png", camera / "part.png")
        watched = lambda: store.inspections(InspectionFilter(camera="cam1"), 10)[0]  # noqa: E731
        _wait(lambda: len(watched()) == 1, "the dropped frame's result")
        [row] = watched()
        assert row.source == "watch" and row.anomalous
        printed = _stop(watch)
        assert "part.png" in printed and printed.rstrip().endswith("stopped")
    finally:
        watch.kill()
        store.close()
