#!/usr/bin/env python3
"""Set up and run the course with one command. Needs Python >= 3.10 and nothing else.

    python3 course.py lab      open the course in JupyterLab, at notebook 00
    python3 course.py test     run every check: ruff, unit tests, doctests, and every notebook
                               re-executed by nbval in strict mode
    python3 course.py compat   run actlib's tests and every notebook on Python 3.10 with the oldest
                               NumPy we support and on Python 3.13 with the newest (what CI runs
                               besides `test`, which it also runs on NumPy's baseline kernels)
    python3 course.py execute [NOTEBOOK ...]
                               re-execute notebooks in place, all by default (authors: after any
                               change to a notebook or to actlib)

The first run creates a virtual environment in .venv (about 0.5 GB) and installs actlib into it
from this checkout, with the course and test extras, and the course's Jupyter kernel; later runs
reuse it, and reinstall only when pyproject.toml changes. Your system Python is never modified.
"""

import glob
import hashlib
import json
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
KERNEL = ROOT / "tools" / "course_kernel.py"
FIRST_NOTEBOOK = "notebooks/00_why_activations.ipynb"
# The compatibility matrix: (python, numpy requirement). Oldest supported and newest.
COMPAT = [("3.10", "numpy==2.0.2"), ("3.13", "numpy")]
# What the compatibility environments need to run the tests and the notebooks (no JupyterLab).
TEST_REQS = ["pytest>=8", "hypothesis>=6.100", "mpmath>=1.3", "nbval>=0.11", "matplotlib>=3.8",
             "ipykernel>=6"]


# The notebooks' matrices are small: one BLAS thread is faster than several contending for the
# cores, and makes the sums' order, hence the printed figures, the same on every machine.
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def run(*cmd, **kwargs):
    print("+", " ".join(str(c) for c in cmd), flush=True)
    env = {**os.environ, **ONE_THREAD}
    return subprocess.run([str(c) for c in cmd], cwd=ROOT, env=env, **kwargs).returncode


def python_in(env_dir):
    if sys.platform == "win32":
        return env_dir / "Scripts" / "python.exe"
    return env_dir / "bin" / "python"


def has_pip(py):
    probe = subprocess.run([str(py), "-m", "pip", "--version"], capture_output=True)
    return probe.returncode == 0


def create_env(env_dir, base_python):
    """A new virtual environment with pip in ``env_dir``, replacing a broken one."""
    if env_dir.exists():
        # A venv without pip is what Debian and Ubuntu leave when python3-venv is missing.
        print(f"{env_dir.name} has no working pip: rebuilding it", flush=True)
        shutil.rmtree(env_dir)
    try:
        if base_python is None:
            venv.EnvBuilder(with_pip=True).create(env_dir)
        elif run(base_python, "-m", "venv", env_dir) != 0:
            raise RuntimeError(f"{base_python} -m venv failed")
    except Exception as error:  # ensurepip missing, or no permission to write here
        shutil.rmtree(env_dir, ignore_errors=True)
        sys.exit(
            f"could not create the virtual environment {env_dir} ({error}).\n"
            "On Debian and Ubuntu, install the venv module first: sudo apt install python3-venv "
            "(or python3.X-venv for your Python 3.X), then run this command again."
        )
    if not has_pip(python_in(env_dir)):
        shutil.rmtree(env_dir, ignore_errors=True)
        sys.exit(
            f"{env_dir} was created without pip. On Debian and Ubuntu, install the venv module: "
            "sudo apt install python3-venv (or python3.X-venv), then run this command again."
        )


def ensure_env(env_dir, requirements, base_python=None, kernel=False, editable=False):
    """Create ``env_dir`` if needed and install ``requirements``; skip when nothing changed.

    ``editable``: first install actlib from this checkout in editable mode (edits to actlib/ take
    effect at once), without its dependencies, which ``requirements`` then bring (with pip's
    progress shown). The editable build itself runs quietly: for a package at the top of the
    checkout, setuptools always prints a ten-line notice about folders that share its name,
    which means nothing here. Its output is shown if it fails.
    """
    stamp = env_dir / ".actlib-stamp"
    digest = hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes() + KERNEL.read_bytes()
        + repr((requirements, ONE_THREAD)).encode()
    ).hexdigest()
    py = python_in(env_dir)
    if py.exists() and stamp.exists() and stamp.read_text() == digest and has_pip(py):
        return py
    print(f"Setting up {env_dir.name}: about 0.5 GB, a few minutes, this once. Packages are "
          "listed as pip installs them.", flush=True)
    if not py.exists() or not has_pip(py):
        create_env(env_dir, base_python)
    pip = [py, "-m", "pip", "install", "--disable-pip-version-check", "--progress-bar", "on"]
    if run(*pip, "--quiet", "--upgrade", "pip") != 0:
        sys.exit(f"installing into {env_dir} failed; see the messages above")
    if editable:
        print("Installing actlib from this checkout (editable) ...", flush=True)
        build = subprocess.run([str(c) for c in (*pip, "--no-deps", "-e", ".")], cwd=ROOT,
                               capture_output=True, text=True)
        if build.returncode != 0:
            sys.exit(f"{build.stdout}{build.stderr}\ninstalling actlib into {env_dir} failed")
    if run(*pip, *requirements) != 0:
        sys.exit(f"installing into {env_dir} failed; see the messages above")
    if kernel:
        install_kernel(env_dir, py)
    stamp.write_text(digest)
    print(f"{env_dir.name} is ready.", flush=True)
    return py


def install_kernel(env_dir, py):
    """Install the course's Jupyter kernel, "actlib", into the environment (see its docstring):
    IPython's kernel spec, launched through ``tools/course_kernel.py``."""
    kernel_dir = env_dir / "share" / "jupyter" / "kernels" / "actlib"
    kernel_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(KERNEL, kernel_dir / KERNEL.name)
    ipython_spec = subprocess.run(
        [str(py), "-c", "import json; from ipykernel.kernelspec import get_kernel_dict; "
         "print(json.dumps(get_kernel_dict()))"], capture_output=True, text=True, check=True)
    spec = json.loads(ipython_spec.stdout)
    spec["argv"] = [str(py), "{resource_dir}/" + KERNEL.name, "-f", "{connection_file}"]
    spec["display_name"] = "Python 3 (actlib)"
    spec["env"] = ONE_THREAD
    (kernel_dir / "kernel.json").write_text(json.dumps(spec, indent=1))


def main_env():
    # actlib itself is installed editable first, so "actlib[...]" brings only its extras
    return ensure_env(ROOT / ".venv", ["actlib[course,test]"], kernel=True, editable=True)


def lab():
    py = main_env()
    # The file browser shows the whole course (README, actlib, notebooks), and the address
    # JupyterLab prints opens notebook 00 even where no browser opens by itself (SSH, WSL, a
    # container): there it is the address to paste.
    return run(py, "-m", "jupyter", "lab", f"--ServerApp.root_dir={ROOT}",
               f"--LabApp.default_url=/lab/tree/{FIRST_NOTEBOOK}")


# pytest's arguments for every check but the linter: unit tests, doctests, README examples and
# every notebook re-executed under strict nbval.
PYTEST_ARGS = [
    "--doctest-modules", "actlib", "tests",
    os.path.join("notebooks", "netlab.py"),
    "--nbval", "--nbval-current-env", "--nbval-sanitize-with", str(SANITIZE), *NOTEBOOKS,
]


def test():
    py = main_env()
    if run(py, "-m", "ruff", "check", ".") != 0:
        return 1
    return run(py, "-m", "pytest", *PYTEST_ARGS)


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
        if run(py, "-m", "pytest", "-q", "-p", "no:cacheprovider", *PYTEST_ARGS) != 0:
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
