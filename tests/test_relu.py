"""ReLU: exact (it rounds nothing), PyTorch's conventions, gradient checks and properties."""

import numpy as np
import pytest
from grids import FINITE, FLOATS
from hypothesis import given, settings
from hypothesis import strategies as st

import actlib
from actlib.testing import gradcheck, numerical_vjp, relative_error

RELU = actlib.ReLU()


@pytest.mark.parametrize("dtype", FLOATS)
def test_exact_limits_nan_and_pytorch_kink(dtype):
    x = np.array([-np.inf, -1, -0.0, 0.0, 1, np.inf, np.nan], dtype=dtype)
    np.testing.assert_array_equal(actlib.relu(x), np.array([0, 0, 0, 0, 1, np.inf, np.nan], dtype))
    # ReLU'(0) = 0 as in PyTorch and JAX (the seed returned 1, and an int64 array)
    grad = RELU.gradient(x)
    assert grad.dtype == dtype
    np.testing.assert_array_equal(grad, np.array([0, 0, 0, 0, 1, 1, np.nan], dtype))


def test_gradcheck_away_from_the_kink():
    x = np.concatenate([np.linspace(-5, -0.01, 50), np.linspace(0.01, 5, 50)])
    assert gradcheck(actlib.relu, RELU.gradient, x) < 1e-9
    g = np.random.default_rng(0).standard_normal(x.shape)
    assert relative_error(RELU.backward(x, g), numerical_vjp(actlib.relu, x, g)) < 1e-6


@settings(deadline=None, max_examples=60)
@given(data=st.data(), dtype=st.sampled_from(FLOATS))
def test_nonnegative_monotone_identity_on_positives(data, dtype):
    x = np.sort(np.array(data.draw(st.lists(FINITE[dtype], min_size=1, max_size=40)),
                         dtype))
    r = actlib.relu(x)
    assert (r >= 0).all() and (r[1:] >= r[:-1]).all()
    np.testing.assert_array_equal(r[x > 0], x[x > 0])
