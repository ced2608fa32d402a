"""Shared fixtures: every test runs with floating-point warnings turned into errors.

pyproject.toml already sets ``filterwarnings = error``; on top of that NumPy's own floating-point
error handling is set to raise, so an overflow, an invalid operation (0 * inf, inf - inf) or a
division by zero anywhere inside actlib fails the test that caused it.
"""

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _raise_on_floating_point_errors():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        yield
