"""Tanh: limits, gradient checks and properties (ULP bars: test_elementwise.py)."""

import numpy as np
import pytest
from grids import FINITE, FLOATS, every_finite_float16
from hypothesis import given, settings
from hypothesis import strategies as st

import actlib
from actlib.testing import gradcheck, numerical_vjp, relative_error

TANH = actlib.Tanh()


@pytest.mark.parametrize("dtype", FLOATS)
def test_limits_and_nan(dtype):
    x = np.array([-np.inf, -0.0, 0.0, np.inf, np.nan], dtype=dtype)
    np.testing.assert_array_equal(actlib.tanh(x), np.array([-1, 0, 0, 1, np.nan], dtype))
    np.testing.assert_array_equal(TANH.gradient(x), np.array([0, 1, 1, 0, np.nan], dtype))


def test_no_cancellation_near_zero_and_in_the_tails():
    assert actlib.tanh(1e-8) == 1e-8  # the seed's 2 / (1 + exp(-2x)) - 1 is millions of ULP off
    assert TANH.gradient(20.0) == pytest.approx(4 * np.exp(-40.0), rel=1e-15)  # 1 - t**2 gives 0


def test_gradcheck_central_differences():
    # |x| <= 6: beyond, tanh' ~ 4e^-2|x| drowns in the eps * |tanh| / h rounding of the difference
    x = np.linspace(-6.0, 6.0, 241)
    assert gradcheck(actlib.tanh, TANH.gradient, x) < 1e-6
    x = np.random.default_rng(3).uniform(-4, 4, (3, 7))
    g = np.random.default_rng(4).standard_normal((3, 7))
    assert relative_error(TANH.backward(x, g), numerical_vjp(actlib.tanh, x, g)) < 1e-6


@settings(deadline=None, max_examples=60)
@given(data=st.data(), dtype=st.sampled_from(FLOATS))
def test_bounds_oddness_and_monotonicity(data, dtype):
    x = np.array(data.draw(st.lists(FINITE[dtype], min_size=1, max_size=40)), dtype)
    x = np.sort(x)
    t = actlib.tanh(x)
    assert ((t >= -1) & (t <= 1)).all()
    assert (t[1:] >= t[:-1]).all(), f"not monotone at {x[np.argmin(t[1:] >= t[:-1])]!r}"
    np.testing.assert_array_equal(actlib.tanh(-x), -t)  # odd: both evaluate the same |x|
    d = TANH.gradient(x)
    assert ((d >= 0) & (d <= 1)).all()


def test_monotone_on_every_float16():
    x = every_finite_float16()
    assert (np.diff(actlib.tanh(x)) >= 0).all()


@settings(deadline=None, max_examples=100)
@given(data=st.data(), dtype=st.sampled_from(FLOATS))
def test_tanh_is_twice_sigmoid_of_2x_minus_1(data, dtype):
    # tanh(x) = 2 sigmoid(2x) - 1, checked within the bars. Each side's error bound, with
    # B ULP <= B * eps * |value| (subnormal ULPs are covered by the smallest subnormal):
    #   tanh(x):            B_t * eps * |tanh(x)|
    #   2 sigmoid(2x) - 1:  2 * B_s * eps * sigmoid(2x) (doubling is exact) + half an ULP for
    #                       the subtraction, 0.5 * eps * |result|.
    # Near 0 the right side cancels: sigmoid(2x) ~ 1/2, so its error is ~B_s * eps in absolute
    # terms while tanh(x) ~ x may be far smaller. The identity therefore checks tanh only to
    # about 2 eps absolute there; tanh's own bar near 0 is the mpmath test's job.
    fi = np.finfo(dtype)
    bound = float(fi.max) / 2  # so that 2x does not overflow
    x = np.array(data.draw(st.floats(-bound, bound, width=np.finfo(dtype).bits)), dtype)
    bar = 2.0 if dtype == np.float64 else 1.0
    t = actlib.tanh(x)
    s2 = actlib.sigmoid(dtype(2) * x)
    rhs = dtype(2) * s2 - dtype(1)
    eps = float(fi.eps)
    tol = eps * (bar * abs(float(t)) + 2 * bar * float(s2) + 0.5 * abs(float(rhs)))
    tol += (2 * bar + 1) * float(fi.smallest_subnormal)
    assert abs(float(t) - float(rhs)) <= tol, (x, t, rhs, tol)
