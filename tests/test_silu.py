"""SiLU: limits, the minimum and the derivative's zero, the left tail, gradient checks and
properties (ULP bars: test_elementwise.py and test_dense_screen.py)."""

import mpmath
import numpy as np
import pytest
from grids import (
    BARS,
    ELEMENTWISE,
    FINITE,
    FLOATS,
    assert_self_gated_bounds,
    every_finite_float16,
    relative_errors,
    worst_backward_pair,
)
from hypothesis import given, settings
from hypothesis import strategies as st

import actlib
from actlib.testing import gradcheck, numerical_vjp, reference, relative_error, ulp_error

SILU = actlib.SiLU()
# The minimum: silu'(x) = 0 where x = -1 - e^x, i.e. x = -1 - W(1/e), and there silu(x) = x + 1.
with mpmath.workprec(200):
    X_MIN = -1 - mpmath.lambertw(1 / mpmath.e).real
    SILU_MIN = X_MIN + 1


@pytest.mark.parametrize("dtype", FLOATS)
def test_limits_and_nan(dtype):
    x = np.array([-np.inf, -0.0, 0.0, np.inf, np.nan], dtype=dtype)
    y = actlib.silu(x)
    np.testing.assert_array_equal(y, np.array([0, 0, 0, np.inf, np.nan], dtype))
    assert np.signbit(y[:2]).all()  # -0.0 at -inf and -0
    np.testing.assert_array_equal(SILU.gradient(x), np.array([0, 0.5, 0.5, 1, np.nan], dtype))
    np.testing.assert_array_equal(SILU.backward(x, np.ones_like(x)),
                                  np.array([0, 0.5, 0.5, 1, np.nan], dtype))


def test_the_minimum_and_the_zero_of_the_derivative():
    x_min = float(X_MIN)
    assert x_min == pytest.approx(-1.278464542761074, abs=1e-15)
    assert float(actlib.silu(x_min)) == pytest.approx(float(SILU_MIN), rel=1e-15)
    x = np.nextafter(x_min, [-np.inf, np.inf])
    x = np.array([x[0] - 1e-9, x[1] + 1e-9])
    d = SILU.gradient(x)
    assert d[0] < 0 < d[1]
    # every float64 of [-3, 3] gives at least the minimum, to the forward bar
    grid = np.linspace(-3.0, 3.0, 600_001)
    assert actlib.silu(grid).min() >= float(SILU_MIN) * (1 + 3 * 2.0**-52)


def test_left_tail_where_exp_overflows():
    # x / (1 + exp(-x)) overflows in exp for x < -709.78 and gives -0 down to -716, where
    # x e^x is still a normal float: -4.3e-307 at x = -712.
    x = np.array([-709.5, -712.0, -716.0, -740.0])
    pairs = ((actlib.silu, ELEMENTWISE["silu"][2]), (SILU.gradient, ELEMENTWISE["silu"][3]))
    for f, exact in pairs:
        y = f(x)
        assert (y < 0).all()
        assert ulp_error(y, reference(exact, x)).max() <= 2.0


def test_gradient_where_1_minus_sigmoid_rounds():
    # PyTorch's sigmoid * (1 + x * (1 - sigmoid)) is 18 ULP off at x = 36.7; the exact value
    # is 1 + (x - 1) e^-x (1 + O(e^-x)).
    x = np.linspace(20.0, 36.7, 301)
    exact = reference(ELEMENTWISE["silu"][3], x)
    assert ulp_error(SILU.gradient(x), exact).max() <= 1.0
    s = 1 / (1 + np.exp(-x))
    assert ulp_error(s * (1 + x * (1 - s)), exact).max() > 12


def test_backward_uses_a_derivative_accurate_relative_to_its_size():
    # The fast gradient is within 2.8 ULP of the terms' magnitudes M, but up to 3.9 units of
    # 2**-53 M relative, the worst just right of 0, where M = 0.5 sits at the bottom of its
    # binade. An incoming g that puts |g| M at the top of the next binade, where an ULP is
    # relatively half as large, would take g * gradient(x) to 4.4 ULP (x = 0.001366, g = 3.985,
    # on AVX-512); backward multiplies by the exact derivative instead (2.8 units at worst, so
    # within 3.3 ULP). Here: the worst x of a dense band, on this platform, with the worst g for
    # it (grids.worst_backward_pair); backward from the fast gradient gives more than 4 there
    # when its relative error exceeds 3.6, from the exact one at most 3.5.
    x = np.random.default_rng(5).uniform(-0.1, 0.1, 4000)
    rho = relative_errors("silu", x, SILU.gradient(x))
    worst = x[np.argmax(rho)]
    pair = worst_backward_pair("silu", [worst])
    assert pair.err <= 3.5, str(pair)
    if rho.max() > 3.6:  # then the base class's g * gradient would be over the bar
        fast = worst_backward_pair("silu", [worst], backward=lambda v, g: g * SILU.gradient(v))
        assert fast.err > 4.0, str(fast)


def test_gradcheck_central_differences():
    x = np.linspace(-30.0, 30.0, 601)
    assert gradcheck(actlib.silu, SILU.gradient, x) < 1e-6
    x = np.random.default_rng(3).uniform(-8, 8, (4, 5))
    g = np.random.default_rng(4).standard_normal((4, 5))
    assert relative_error(SILU.backward(x, g), numerical_vjp(actlib.silu, x, g)) < 1e-6


@settings(deadline=None, max_examples=60)
@given(data=st.data(), dtype=st.sampled_from(FLOATS))
def test_bounds(data, dtype):
    # x <= silu(x) <= 0 for x <= 0 and 0 <= silu(x) <= x for x >= 0 (0 < sigma < 1), and
    # silu(x) >= its minimum; derivative between its extremes. Tolerances: the bars.
    x = np.array(data.draw(st.lists(FINITE[dtype], min_size=1, max_size=40)), dtype)
    assert_self_gated_bounds(actlib.silu, SILU, x, SILU_MIN, -0.09983932, 1.0998393)  # at -+2.3994


@settings(deadline=None, max_examples=100)
@given(data=st.data(), dtype=st.sampled_from(FLOATS))
def test_silu_x_minus_silu_minus_x_is_x(data, dtype):
    # x sigma(x) - (-x) sigma(-x) = x (sigma(x) + sigma(-x) = 1), within the bars: each side's
    # error is at most B eps |value|, the subtraction adds half an ULP of its result.
    fi = np.finfo(dtype)
    x = np.array(data.draw(st.floats(-float(fi.max), float(fi.max), width=fi.bits)), dtype)
    a, b = actlib.silu(x), actlib.silu(-x)
    with np.errstate(over="ignore"):  # a - b may round to +-inf near the largest floats
        diff = a - b
    bar, eps = BARS[dtype][0], float(fi.eps)
    tol = eps * (bar * (abs(float(a)) + abs(float(b))) + 0.5 * abs(float(x))) + 4 * float(
        fi.smallest_subnormal)
    if np.isinf(diff):
        assert abs(float(x)) > float(fi.max) / 2
    else:
        assert abs(float(diff) - float(x)) <= tol, (x, a, b)


@settings(deadline=None, max_examples=100)
@given(data=st.data(), dtype=st.sampled_from(FLOATS))
def test_gradients_at_x_and_minus_x_add_up_to_1(data, dtype):
    # silu'(x) + silu'(-x) = 1 (the derivative of silu(x) - silu(-x) = x). Each derivative is
    # within B ULP of its terms' magnitudes s + |x| s (1 - s), which is the same at x and -x and
    # at most 1.0998 + 2 |x| e^-|x| < 1.2: the sum within 2 B eps 2 + an ULP of 1.
    fi = np.finfo(dtype)
    x = np.array(data.draw(FINITE[dtype]), dtype)
    a, b = SILU.gradient(x), SILU.gradient(-x)
    total = float(a) + float(b)
    assert abs(total - 1.0) <= float(fi.eps) * (4 * BARS[dtype][1] + 1), (x, a, b)


def test_monotone_on_each_side_of_the_minimum_on_every_float16():
    x = every_finite_float16()
    y = actlib.silu(x)
    right = x >= float(X_MIN)
    assert (np.diff(y[right]) >= 0).all()
    assert (np.diff(y[~right]) <= 0).all()
