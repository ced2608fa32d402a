"""The dense screen: the activations within the bars on millions of random inputs, not a grid.

The grid has a few thousand points where sigmoid and tanh bend, and softmax ~100 fixed rows;
their rare worst cases sit between them. :func:`grids.screen_worst` measures ``N`` seeded inputs
per case against a long-double reference and the worst 64 again against mpmath;
:func:`grids.softmax_screen_worst` does the same with seeded random rows (lengths 2 to 1000,
several families) for softmax, its Jacobian and backward, keeping the worst 8 rows. The bars are
asserted on mpmath's figures. ``python tests/ulp_report.py --screen N`` runs both on more.
"""

import numpy as np
import pytest
from grids import (
    KINDS,
    SCREEN_UNAVAILABLE,
    SCREENED_FAMILIES,
    SOFTMAX_KINDS,
    assert_screen_bar,
    assert_softmax_screen_bar,
    screen_available,
)

N = 2**21  # about 0.4 s per case here
SOFTMAX_N = 2**20  # measured values per case: about 0.35 s each here
pytestmark = pytest.mark.skipif(not screen_available(), reason=SCREEN_UNAVAILABLE)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", (np.float32, np.float64))
@pytest.mark.parametrize("name", ("sigmoid", "tanh", "hard_sigmoid", "hard_swish",
                                  *SCREENED_FAMILIES))
def test_dense_screen_within_the_bars(name, dtype, kind):
    assert_screen_bar(name, kind, dtype, n=N)


@pytest.mark.parametrize("kind", SOFTMAX_KINDS)
@pytest.mark.parametrize("dtype", (np.float16, np.float32, np.float64))
def test_softmax_dense_screen_within_the_bars(dtype, kind):
    assert_softmax_screen_bar(kind, dtype, n=SOFTMAX_N)
