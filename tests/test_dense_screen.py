"""The dense screen: sigmoid and tanh within the bars on millions of random inputs, not a grid.

The grid has a few thousand points where these activations bend; their rare worst cases sit
between them. :func:`grids.screen_worst` measures ``N`` seeded inputs per case against a
long-double reference and the worst 64 again against mpmath; the bar is asserted on mpmath's
figures. ``python tests/ulp_report.py --screen N`` runs it on more.
"""

import numpy as np
import pytest
from grids import KINDS, SCREEN_UNAVAILABLE, assert_screen_bar, screen_available

N = 2**21  # about 0.4 s per case here
pytestmark = pytest.mark.skipif(not screen_available(), reason=SCREEN_UNAVAILABLE)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", (np.float32, np.float64))
@pytest.mark.parametrize("name", ("sigmoid", "tanh"))
def test_dense_screen_within_the_bars(name, dtype, kind):
    assert_screen_bar(name, kind, dtype, n=N)
