"""The README leads and the docs cannot drift: the option reference is generated, the family table lists the
registry, every Python block runs (or compiles, where it needs data), every aoikit command in a shell block names
a real command and real options, and every relative link resolves."""

import re
import shlex
import subprocess
import sys
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
