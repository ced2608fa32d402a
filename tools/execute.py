"""Re-execute notebooks in place, as nbval will re-run them, and report how long each took.

    python tools/execute.py notebooks/03_sigmoid.ipynb ...

Run through ``python3 course.py execute`` to use the course's environment and its kernel, "actlib"
(``tools/course_kernel.py``: the saved metadata then match what JupyterLab sees on any Python 3, so
opening a notebook does not mark it modified). Execution counts are
kept (strict nbval needs them), cell timings are not recorded (they would change every run) and
consecutive stream fragments are merged, so the committed outputs read as one block per cell.
"""

import sys
import time
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from nbconvert.preprocessors import CoalesceStreamsPreprocessor, ExecutePreprocessor

KERNEL = "actlib"


def execute(path):
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    ExecutePreprocessor(timeout=120, kernel_name=KERNEL, record_timing=False).preprocess(
        nb, {"metadata": {"path": str(Path(path).parent)}}
    )
    seconds = time.perf_counter() - start
    CoalesceStreamsPreprocessor().preprocess(nb, {})  # one stdout output per cell, not fragments
    # What JupyterLab writes when it starts the kernel: opening the notebook then changes nothing.
    spec = KernelSpecManager().get_kernel_spec(KERNEL)
    nb.metadata.kernelspec = {"display_name": spec.display_name, "language": spec.language,
                              "name": KERNEL}
    nbformat.write(nb, path)
    return seconds


if __name__ == "__main__":
    for name in sys.argv[1:]:
        print(f"{name}: {execute(name):.1f} s", flush=True)
