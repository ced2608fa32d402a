"""The dense screen: the activations within the bars on millions of random inputs, not a grid.

The grid has a few thousand points where sigmoid and tanh bend, and softmax ~100 fixed rows;
their rare worst cases sit between them. :func:`grids.screen_worst` measures ``N`` seeded inputs
per case against a long-double reference and the worst 64 again against mpmath;
:func:`grids.softmax_screen_worst` does the same with seeded random rows (lengths 2 to 1000,
several families) for softmax, its Jacobian and backward, keeping the worst 8 rows. The bars are
asserted on mpmath's figures. ``python tests/ulp_report.py --screen N`` runs both on more. The
float64 derivative ``backward`` multiplies by is also screened for its error relative to its unit
(``|f'|``, or the terms' magnitudes for SiLU and Mish), which is what ``backward`` needs, and
``backward`` is judged at the worst inputs found with the incoming gradients that hurt most.
"""

import numpy as np
import pytest
from grids import (
    BARS,
    KINDS,
    SCREEN_UNAVAILABLE,
    SCREENED_FAMILIES,
    SOFTMAX_KINDS,
    assert_screen_bar,
    assert_softmax_screen_bar,
    relative_screen_worst,
    screen_available,
    worst_backward_pair,
)

N = 2**21  # about 0.4 s per case here
SOFTMAX_N = 2**20  # measured values per case: about 0.35 s each here
pytestmark = pytest.mark.skipif(not screen_available(), reason=SCREEN_UNAVAILABLE)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", (np.float32, np.float64))
@pytest.mark.parametrize("name", ("sigmoid", "tanh", "hard_sigmoid", "hard_swish",
                                  *SCREENED_FAMILIES, "silu", "mish"))
def test_dense_screen_within_the_bars(name, dtype, kind):
    assert_screen_bar(name, kind, dtype, n=N)


@pytest.mark.parametrize("kind", SOFTMAX_KINDS)
@pytest.mark.parametrize("dtype", (np.float16, np.float32, np.float64))
def test_softmax_dense_screen_within_the_bars(dtype, kind):
    assert_softmax_screen_bar(kind, dtype, n=SOFTMAX_N)


# Every elementwise activation whose float64 backward multiplies by a derivative that is not an
# exact float (ReLU's, leaky ReLU's, PReLU's and the clips' are)
BACKWARD_SCREENED = ("sigmoid", "tanh", "hard_sigmoid", "hard_swish", *SCREENED_FAMILIES, "silu",
                     "mish")


@pytest.mark.parametrize("name", BACKWARD_SCREENED)
def test_backward_on_the_dense_screen_and_at_the_worst_pair(name):
    # backward(x, g) rounds g f'(x) once; its error in ULP of |g| M is up to the derivative's error
    # relative to M (M = |f'|, or the terms' magnitudes for SiLU and Mish), in units of 2**-53,
    # plus 1/2 (|g| M may sit anywhere in its binade). So the float64 derivative backward
    # multiplies by (Activation._gradient_for_backward) must stay within 3.5 units relative for
    # backward's bar of 4: screened in long double, the worst confirmed by mpmath. Then the
    # targeted search: at the worst x found, incoming gradients that put |g| M just below a power
    # of two, the worst of them judged by mpmath (grids.worst_backward_pair). The sigmoid's and
    # tanh's gradient reach 3.95 units and backward from them 4.4 ULP: backward uses exact kernels.
    s = relative_screen_worst(name, N, keep=16)
    pair = worst_backward_pair(name, s.x[:4])
    assert s.rho[0] <= 3.5, f"{name}: {s.rho[0]:.3f} units relative at x = {s.x[0]!r}; {pair}"
    assert pair.err <= BARS[np.float64][1], str(pair)
    assert np.max(np.abs(s.screened - s.rho)) <= 0.01  # long double and mpmath agree there
