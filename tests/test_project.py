"""The project's own promises: the conda environment matches pyproject, the code is ruff clean."""

import pathlib
import re
import subprocess
import sys
import tomllib

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_lists_the_same_requirements_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    wanted = project["dependencies"] + extras["test"] + extras["book"]  # make test builds the book
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "python=3.11" in env["dependencies"]
    normalise = {_name(r): r.replace(" ", "").replace("_", "-").lower() for r in wanted}
    listed = {_name(r): r.replace(" ", "").replace("_", "-").lower() for r in pip_section}
    assert listed == normalise


def test_ruff_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", str(ROOT)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_tour_runs():
    result = subprocess.run(
        [sys.executable, "-m", "rnnref"], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "batch 0: [[1, 2, 3], [7, 8, 9]]" in result.stdout
