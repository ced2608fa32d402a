"""The course's Jupyter kernel: IPython's own, with the language version reported as "3".

JupyterLab copies the running kernel's ``language_info`` into a notebook's metadata when it opens
it, and marks the notebook modified when that differs from what is saved. The notebooks are
committed with their outputs, executed on one Python (3.11.7, say), and a learner's Python is
another (3.12.3): with IPython's kernel, merely opening a notebook would change it. This kernel
reports the version as "3", the same on every Python 3, so opening a notebook changes nothing.
``course.py`` installs it into the course's environment as the kernel "actlib", and
``tools/execute.py`` runs the notebooks with it.
"""

from ipykernel.ipkernel import IPythonKernel
from ipykernel.kernelapp import IPKernelApp


class CourseKernel(IPythonKernel):
    language_info = {**IPythonKernel.language_info, "version": "3"}


if __name__ == "__main__":
    IPKernelApp.launch_instance(kernel_class=CourseKernel)
