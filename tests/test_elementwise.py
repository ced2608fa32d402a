"""What every elementwise activation must satisfy: the accuracy rule's ULP bars (README,
"Accuracy") on each dtype's whole grid against mpmath, for the forward pass, the derivative and
``backward``.

The grids and references are in ``grids.py``; ``test_dense_screen.py`` looks again, densely, where
the activations bend. Each activation's own file tests what is particular to it.
"""

import mpmath
import numpy as np
import pytest
from grids import (
    ACTIVATION_OBJECTS,
    BARS,
    ELEMENTWISE,
    FINITE,
    FLOATS,
    GRADIENT_MAGNITUDE,
    KINDS,
    assert_elementwise_bar,
    backward_errors,
    worst_case,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from actlib.testing import reference, ulp_error


def test_every_elementwise_activation_is_here():
    assert set(ACTIVATION_OBJECTS) == set(ELEMENTWISE)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_ulp_bars_against_mpmath(name, dtype, kind):
    assert_elementwise_bar(name, kind, dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_backward_within_the_bars_for_gradients_of_every_size(name, dtype):
    # Every x of the grid with an incoming gradient 2**k (1 + u), k over the whole exponent
    # range: the product g f'(x) is judged against mpmath, so a backward that rounds f'(x) first
    # (1.4 ULP in float32) or loses a subnormal f'(x) fails here.
    x, g, computed, exact, err = backward_errors(name, dtype)
    assert computed.dtype == dtype and computed.shape == x.shape
    bar = BARS[dtype][1]
    assert err.max() <= bar, (
        f"{name} backward {np.dtype(dtype).name}: {(err > bar).sum()} of {x.size} above {bar} "
        f"ULP; " + worst_case(x, computed, exact, err) + f" (g = {g[np.argmax(err)]!r})"
    )


# The cases an adversarial review found, where g * gradient(x) rounded twice: (activation,
# dtype, x, g). The exact products are 4.239e-05, 1.69e-18 and 4.1887e-22 in the last three.
ROUNDED_TWICE = [
    ("sigmoid", np.float32, -4.8202405, -0.12071999),  # 1.41 ULP
    ("sigmoid", np.float16, -17.0, 1024.0),  # f' subnormal in float16: 6.104e-05
    ("sigmoid", np.float32, -110.0, 1e30),  # f' below float32's subnormals: 0
    ("sigmoid", np.float64, -740.0, 1e300),  # f' subnormal in float64: 4.1996e-22
    ("sigmoid", np.float64, -800.0, 1e300),  # f' = 0 in float64, g f' = 3.7e-48
    ("tanh", np.float64, -400.0, 1e300),
    ("tanh", np.float32, -60.0, 1e30),
    ("silu", np.float64, -720.0, 1e300),  # silu'(x) = (1 + x) e^x subnormal: -2.0e-310
    ("silu", np.float32, -100.0, 1e30),  # silu' subnormal in float32: -3.7e-42
    ("mish", np.float64, -720.0, 1e300),
    ("mish", np.float32, -100.0, 1e30),
]


@pytest.mark.parametrize("name, dtype, x, g", ROUNDED_TWICE)
def test_backward_rounds_once_in_the_reported_cases(name, dtype, x, g):
    x, g = np.array([x], dtype), np.array([g], dtype)
    with mpmath.workprec(256):  # at mpmath's default 53 bits the product would round to a float
        exact = mpmath.mpf(float(g[0])) * reference(ELEMENTWISE[name][3], x)
    err = ulp_error(ACTIVATION_OBJECTS[name].backward(x, g), exact)
    assert err[0] <= BARS[dtype][1], (name, dtype, x, g, err)


@pytest.mark.parametrize("name", ELEMENTWISE)
@settings(deadline=None, max_examples=40)
@given(data=st.data(), dtype=st.sampled_from(FLOATS))
def test_backward_within_the_bars_on_any_finite_pair(name, data, dtype):
    act = ACTIVATION_OBJECTS[name]
    pairs = data.draw(st.lists(st.tuples(FINITE[dtype], FINITE[dtype]), min_size=1, max_size=8))
    x, g = (np.array(column, dtype) for column in zip(*pairs, strict=True))
    got = act.backward(x, g)
    exact_grad = reference(ELEMENTWISE[name][3], x)
    with mpmath.workprec(256):
        exact = np.array([mpmath.mpf(float(a)) * b for a, b in zip(g, exact_grad, strict=True)])
        scale = None
        if name in GRADIENT_MAGNITUDE:  # a derivative that crosses zero: its unit (README)
            magnitude = reference(GRADIENT_MAGNITUDE[name], x)
            scale = np.array([abs(mpmath.mpf(float(a))) * m
                              for a, m in zip(g, magnitude, strict=True)])
    # an infinite g times f' = 0 is NaN (IEEE 754); ReLU passes no gradient where it is off
    finite = np.isfinite(g)
    err = ulp_error(got[finite], exact[finite], None if scale is None else scale[finite])
    assert err.max(initial=0) <= BARS[dtype][1], (x, g, got, err)
