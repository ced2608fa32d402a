"""Leaky ReLU: one rounding of slope * x, PyTorch's conventions, parameters, properties."""

import numpy as np
import pytest
from grids import FINITE, FLOATS
from hypothesis import given, settings
from hypothesis import strategies as st

import actlib
from actlib.testing import gradcheck, numerical_vjp, relative_error

LEAKY = actlib.LeakyReLU()


def test_pytorch_default_slope():
    assert LEAKY.negative_slope == 0.01
    assert actlib.leaky_relu(-1.0) == -0.01


@pytest.mark.parametrize("dtype", FLOATS)
def test_limits_nan_and_gradient_at_zero(dtype):
    x = np.array([-np.inf, -0.0, 0.0, 2, np.inf, np.nan], dtype=dtype)
    np.testing.assert_array_equal(
        actlib.leaky_relu(x, 0.5), np.array([-np.inf, 0, 0, 2, np.inf, np.nan], dtype)
    )
    # the gradient at the kink is negative_slope, as in PyTorch (the seed returned 1)
    np.testing.assert_array_equal(
        actlib.LeakyReLU(0.5).gradient(x), np.array([0.5, 0.5, 0.5, 1, 1, np.nan], dtype)
    )


@pytest.mark.parametrize("slope", [0.0, 0.2, 1.0, -0.5, 3.0])
def test_other_slopes(slope):
    x = np.array([-2.0, -0.0, 3.0])
    np.testing.assert_array_equal(actlib.leaky_relu(x, slope), np.where(x > 0, x, slope * x))
    assert actlib.leaky_relu(-np.inf, 0.0) == 0  # slope 0 is ReLU: no 0 * inf = NaN


def test_slope_above_one_overflows_to_signed_infinity_without_warning():
    big = np.finfo(np.float64).max
    np.testing.assert_array_equal(actlib.leaky_relu([-big], 2.0), [-np.inf])
    np.testing.assert_array_equal(actlib.leaky_relu([-big], -2.0), [np.inf])


def test_gradcheck_away_from_the_kink():
    x = np.concatenate([np.linspace(-5, -0.01, 50), np.linspace(0.01, 5, 50)])
    for slope in (0.01, 0.3):
        act = actlib.LeakyReLU(slope)
        assert gradcheck(act, act.gradient, x) < 1e-8
        g = np.random.default_rng(0).standard_normal(x.shape)
        assert relative_error(act.backward(x, g), numerical_vjp(act, x, g)) < 1e-6


@settings(deadline=None, max_examples=60)
@given(data=st.data(), dtype=st.sampled_from(FLOATS), slope=st.floats(0, 1))
def test_monotone_and_between_slope_x_and_x(data, dtype, slope):
    x = np.sort(np.array(data.draw(st.lists(FINITE[dtype], min_size=1, max_size=40)),
                         dtype))
    y = actlib.leaky_relu(x, slope)
    assert (y[1:] >= y[:-1]).all()
    np.testing.assert_array_equal(y[x > 0], x[x > 0])
    neg = x <= 0
    assert ((y[neg] >= x[neg]) & (y[neg] <= 0)).all()
