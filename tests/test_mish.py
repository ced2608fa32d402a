"""Mish: limits, the minimum and the derivative's zero, the left tail, gradient checks and
properties (ULP bars: test_elementwise.py and test_dense_screen.py)."""

import mpmath
import numpy as np
import pytest
from grids import (
    ELEMENTWISE,
    FINITE,
    FLOATS,
    assert_self_gated_bounds,
    every_finite_float16,
)
from hypothesis import given, settings
from hypothesis import strategies as st

import actlib
from actlib.testing import gradcheck, numerical_vjp, reference, relative_error, ulp_error

MISH = actlib.Mish()
with mpmath.workprec(200):
    X_MIN = mpmath.findroot(ELEMENTWISE["mish"][3], mpmath.mpf(-1.2))
    MISH_MIN = ELEMENTWISE["mish"][2](X_MIN)


@pytest.mark.parametrize("dtype", FLOATS)
def test_limits_and_nan(dtype):
    x = np.array([-np.inf, -0.0, 0.0, np.inf, np.nan], dtype=dtype)
    y = actlib.mish(x)
    np.testing.assert_array_equal(y, np.array([0, 0, 0, np.inf, np.nan], dtype))
    assert np.signbit(y[:2]).all()  # -0.0 at -inf and -0
    d = np.array([0, 0.6, 0.6, 1, np.nan], dtype)  # mish'(0) = tanh(log 2) = 3/5
    np.testing.assert_array_equal(MISH.gradient(x), d)
    np.testing.assert_array_equal(MISH.backward(x, np.ones_like(x)), d)


def test_the_minimum_and_the_zero_of_the_derivative():
    x_min = float(X_MIN)
    assert x_min == pytest.approx(-1.1924312145154952, abs=1e-15)
    assert float(actlib.mish(x_min)) == pytest.approx(float(MISH_MIN), rel=1e-15)
    x = np.array([x_min - 1e-9, x_min + 1e-9])
    d = MISH.gradient(x)
    assert d[0] < 0 < d[1]
    grid = np.linspace(-3.0, 3.0, 600_001)
    assert actlib.mish(grid).min() >= float(MISH_MIN) * (1 + 3 * 2.0**-52)


def test_left_tail_where_exp_is_subnormal():
    # x * tanh(log1p(exp(x))) goes through a subnormal exp(x) for x < -708.4 while the result
    # is normal down to -715: 21 ULP at x = -712 (PyTorch), and its derivative has the wrong sign.
    x = np.array([-700.0, -712.0, -716.0, -740.0])
    pairs = ((actlib.mish, ELEMENTWISE["mish"][2]), (MISH.gradient, ELEMENTWISE["mish"][3]))
    for f, exact in pairs:
        y = f(x)
        assert (y < 0).all()
        assert ulp_error(y, reference(exact, x)).max() <= 2.0


def test_gradient_where_1_minus_t_squared_rounds():
    # PyTorch's t + x sigma (1 - t t): t rounds near 1, and x times that error is up to 18 ULP
    # (x = 18.7); how much at a given x depends on the platform's tanh, not the largest.
    x = np.linspace(10.0, 19.0, 301)
    exact = reference(ELEMENTWISE["mish"][3], x)
    assert ulp_error(MISH.gradient(x), exact).max() <= 1.0
    t = np.tanh(np.log1p(np.exp(x)))
    naive = t + x / (1 + np.exp(-x)) * (1 - t * t)
    assert ulp_error(naive, exact).max() > 8


def test_gradcheck_central_differences():
    x = np.linspace(-30.0, 30.0, 601)
    assert gradcheck(actlib.mish, MISH.gradient, x) < 1e-6
    x = np.random.default_rng(3).uniform(-8, 8, (4, 5))
    g = np.random.default_rng(4).standard_normal((4, 5))
    assert relative_error(MISH.backward(x, g), numerical_vjp(actlib.mish, x, g)) < 1e-6


@settings(deadline=None, max_examples=60)
@given(data=st.data(), dtype=st.sampled_from(FLOATS))
def test_bounds(data, dtype):
    # x <= mish(x) <= 0 for x <= 0, 0 <= mish(x) <= x for x >= 0 (0 < tanh(softplus) < 1), and
    # mish(x) >= its minimum; derivative between its extremes. Tolerances: the bars.
    x = np.array(data.draw(st.lists(FINITE[dtype], min_size=1, max_size=40)), dtype)
    assert_self_gated_bounds(actlib.mish, MISH, x, MISH_MIN, -0.11252612, 1.0884982)


def test_mish_is_x_times_tanh_of_softplus():
    # mish(x) / x = tanh(softplus(x)), with softplus from its own stable form
    x = np.linspace(-30, 30, 6001)
    x = x[x != 0]
    softplus = np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))
    np.testing.assert_allclose(actlib.mish(x) / x, np.tanh(softplus), rtol=8e-16)


def test_monotone_on_each_side_of_the_minimum_on_every_float16():
    x = every_finite_float16()
    y = actlib.mish(x)
    right = x >= float(X_MIN)
    assert (np.diff(y[right]) >= 0).all()
    assert (np.diff(y[~right]) <= 0).all()
