"""The dense screen: the activations within the bars on millions of random inputs, not a grid.

The grid has a few thousand points where sigmoid and tanh bend, and softmax ~100 fixed rows;
their rare worst cases sit between them. :func:`grids.screen_worst` measures ``N`` seeded inputs
per case against a long-double reference and the worst 64 again against mpmath;
:func:`grids.softmax_screen_worst` does the same with seeded random rows (lengths 2 to 1000,
several families) for softmax, its Jacobian and backward, keeping the worst 8 rows. The bars are
asserted on mpmath's figures. ``python tests/ulp_report.py --screen N`` runs both on more. For
SiLU and Mish the derivative ``backward`` multiplies by is also screened for its error relative to
the terms' magnitudes, which is what ``backward`` needs.
"""

import mpmath
import numpy as np
import pytest
from grids import (
    ACTIVATION_OBJECTS,
    ELEMENTWISE,
    GRADIENT_MAGNITUDE,
    KINDS,
    LONGDOUBLE,
    LONGDOUBLE_MAGNITUDE,
    SCREEN_UNAVAILABLE,
    SCREENED_FAMILIES,
    SOFTMAX_KINDS,
    assert_screen_bar,
    assert_softmax_screen_bar,
    screen_available,
    screen_inputs,
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


@pytest.mark.parametrize("name", ("silu", "mish"))
def test_backward_derivative_relative_error_on_the_dense_screen(name):
    # backward(x, g) rounds g f'(x) once; its error in ULP of |g| M is up to the derivative's error
    # relative to M, in units of 2**-53, plus 1/2 (|g| M may sit anywhere in its binade). So the
    # float64 derivative backward multiplies by (Activation._gradient_for_backward) must stay within
    # 3.5 units relative for backward's bar of 4. Screened in long double, the worst confirmed by
    # mpmath.
    derivative = ACTIVATION_OBJECTS[name]._gradient_for_backward
    ld_exact, ld_scale = LONGDOUBLE[name][1], LONGDOUBLE_MAGNITUDE[name]
    xs, rs = np.empty(0), np.empty(0)
    for x in screen_inputs(np.float64, N, seed=3):
        xl = x.astype(np.longdouble)
        r = np.abs(derivative(x).astype(np.longdouble) - ld_exact(xl)) / (ld_scale(xl) * 2.0**-53)
        i = np.argpartition(r, -16)[-16:]
        xs, rs = np.concatenate([xs, x[i]]), np.concatenate([rs, r[i].astype(np.float64)])
    with mpmath.workprec(256):
        worst = max(
            (float(abs(mpmath.mpf(float(d)) - ELEMENTWISE[name][3](mpmath.mpf(float(v))))
                   / (GRADIENT_MAGNITUDE[name](mpmath.mpf(float(v))) * mpmath.mpf(2) ** -53)), v)
            for v, d in zip(xs, derivative(xs), strict=True))
    assert worst[0] <= 3.5, f"{name}: {worst[0]:.3f} units relative at x = {worst[1]!r}"
