"""Issue 2's ULP bars for every elementwise activation, on each dtype's whole grid, against mpmath.

The grids and references are in ``grids.py``; ``test_dense_screen.py`` looks again, densely, where
the activations bend.
"""

import pytest
from grids import ELEMENTWISE, FLOATS, KINDS, assert_elementwise_bar


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_ulp_bars_against_mpmath(name, dtype, kind):
    assert_elementwise_bar(name, kind, dtype)
