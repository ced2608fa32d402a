#!/usr/bin/env python3
"""Set up and run the course with one command. Needs Python >= 3.10 and nothing else.

    python3 course.py lab      open the course in JupyterLab, at notebook 00
    python3 course.py test     run every check: ruff, unit tests, doctests, and every notebook
                               re-executed by nbval in strict mode
    python3 course.py compat   run actlib's tests on Python 3.10 with the oldest NumPy we support
                               and on Python 3.13 with the newest (what CI runs besides `test`)
    python3 course.py execute [NOTEBOOK ...]
                               re-execute notebooks in place, all by default (authors: after any
                               change to a notebook or to actlib)

The first run creates a virtual environment in .venv and installs actlib into it from this
checkout, with the course and test extras; later runs reuse it, and reinstall only when
pyproject.toml changes. Your system Python is never modified.
"""

import glob
import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
# The core path in teaching order, then the deep dives.
NOTEBOOKS = sorted(glob.glob(str(ROOT / "notebooks" / "[0-9][0-9]_*.ipynb"))) + sorted(
    glob.glob(str(ROOT / "notebooks" / "deep-dives" / "*.ipynb"))
)
SANITIZE = ROOT / "tools" / "nbval-sanitize.cfg"
# The compatibility matrix: (python, numpy requirement). Oldest supported and newest.
COMPAT = [("3.10", "numpy==2.0.2"), ("3.13", "numpy")]
TEST_REQS = ["pytest>=8", "hypothesis>=6.100", "mpmath>=1.3"]


def run(*cmd, **kwargs):
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run([str(c) for c in cmd], cwd=ROOT, **kwargs).returncode


def python_in(env_dir):
    if sys.platform == "win32":
        return env_dir / "Scripts" / "python.exe"
    return env_dir / "bin" / "python"


def ensure_env(env_dir, requirements, base_python=None):
    """Create ``env_dir`` if needed and install ``requirements``; skip when nothing changed."""
    stamp = env_dir / ".actlib-stamp"
    digest = hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes() + repr(requirements).encode()
    ).hexdigest()
    py = python_in(env_dir)
    if py.exists() and stamp.exists() and stamp.read_text() == digest:
        return py
    print(f"Setting up {env_dir.name} (first run only; a few minutes) ...", flush=True)
    if not py.exists():
        if base_python is None:
            venv.EnvBuilder(with_pip=True).create(env_dir)
        elif run(base_python, "-m", "venv", env_dir) != 0:
            sys.exit(f"could not create {env_dir} with {base_python}")
    pip = [py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if run(*pip, "--upgrade", "pip") != 0 or run(*pip, *requirements) != 0:
        sys.exit(f"installing into {env_dir} failed; see the messages above")
    stamp.write_text(digest)
    return py


def main_env():
    return ensure_env(ROOT / ".venv", ["-e", ".[course,test]"])


def lab():
    py = main_env()
    first = os.path.relpath(NOTEBOOKS[0], ROOT) if NOTEBOOKS else "notebooks"
    return run(py, "-m", "jupyter", "lab", first)


def test():
    py = main_env()
    if run(py, "-m", "ruff", "check", ".") != 0:
        return 1
    return run(
        py, "-m", "pytest", "--doctest-modules", "--doctest-glob=README.md", "README.md",
        "actlib", "tests", os.path.join("notebooks", "netlab.py"),
        "--nbval", "--nbval-current-env", "--nbval-sanitize-with", SANITIZE, *NOTEBOOKS,
    )


def find_python(version):
    """A working Python of ``version`` from PATH or pyenv, or None.

    pyenv's shims are on PATH for every installed version but refuse to run an inactive one, so
    each candidate is tried before it is trusted.
    """
    candidates = [shutil.which(f"python{version}")]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += sorted(pyenv_root.glob(f"versions/{version}.*/bin/python{version}"), reverse=True)
    for candidate in filter(None, candidates):
        probe = subprocess.run([str(candidate), "-c", "import sys, venv"], capture_output=True)
        if probe.returncode == 0:
            return str(candidate)
    return None


def compat():
    failures = []
    for version, numpy_req in COMPAT:
        base = find_python(version)
        if base is None:
            print(f"Python {version} not found (PATH or pyenv): skipped", flush=True)
            if os.environ.get("CI"):
                failures.append(version)
            continue
        env_dir = ROOT / f".venv-py{version}"
        py = ensure_env(env_dir, [numpy_req, *TEST_REQS], base_python=base)
        # Build actlib's wheel from this checkout and install it afresh every run, so the tests
        # see the code as it is now (and the wheel is proven to build).
        if run(py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
               "--no-deps", "--force-reinstall", ".") != 0:
            failures.append(version)
            continue
        run(py, "-c", "import sys, numpy; print('python', sys.version.split()[0], "
            "'numpy', numpy.__version__)")
        if run(py, "-m", "pytest", "-q", "--doctest-modules", "--doctest-glob=README.md",
               "README.md", "actlib", "tests", "-p", "no:cacheprovider") != 0:
            failures.append(version)
    if failures:
        print(f"compat: failed for Python {', '.join(failures)}", flush=True)
    return 1 if failures else 0


def execute(*notebooks):
    py = main_env()
    return run(py, os.path.join("tools", "execute.py"), *(notebooks or NOTEBOOKS))


COMMANDS = {"lab": lab, "test": test, "compat": compat, "execute": execute}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS or (
        len(sys.argv) > 2 and sys.argv[1] != "execute"
    ):
        sys.exit(__doc__)
    sys.exit(COMMANDS[sys.argv[1]](*sys.argv[2:]))
