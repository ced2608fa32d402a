"""The two ways to install (pip with pyproject.toml, conda with environment.yml) must not drift."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENT = re.compile(r"^([A-Za-z0-9_.-]+)\s*(.*)$")


def parse(requirement):
    name, spec = REQUIREMENT.match(requirement.strip()).groups()
    return name.lower().replace("_", "-"), spec.replace(" ", "")


def pyproject_requirements():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += extra
    return dict(parse(r) for r in requirements)


def conda_requirements():
    """The conda packages of environment.yml: the ``- name spec`` lines under ``dependencies:``."""
    found = {}
    text = (ROOT / "environment.yml").read_text()
    for line in text.split("\ndependencies:\n", 1)[1].splitlines():
        if line.startswith("  - ") and not line.rstrip().endswith(":"):
            name, spec = parse(line[4:])
            if name not in ("python", "pip"):
                found[name] = spec
    return found


def test_conda_and_pip_list_the_same_packages_and_versions():
    assert conda_requirements() == pyproject_requirements()


def test_environment_installs_actlib_from_the_checkout():
    text = (ROOT / "environment.yml").read_text()
    assert re.search(r"^\s+- -e \.$", text, re.MULTILINE)
    assert "python>=3.10" in text
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.10"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = "python3 course.py test"
    assert command in readme
    assert any(line.strip() == command for line in ci.splitlines())
