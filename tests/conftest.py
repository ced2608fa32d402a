"""Shared fixtures: every test runs with floating-point warnings turned into errors.

pyproject.toml already sets ``filterwarnings = error``; on top of that NumPy's own floating-point
error handling is set to raise for every kind, so an overflow, an invalid operation (0 * inf,
inf - inf), a division by zero or an underflow (a result rounded to a subnormal or to 0, a
narrowing cast included) anywhere inside actlib fails the test that caused it. actlib promises
no floating-point warning of any kind for any input.
"""

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _raise_on_floating_point_errors():
    with np.errstate(all="raise"):
        yield
