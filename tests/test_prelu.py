"""PReLU: channels as in PyTorch, the weight's checks, the input gradient, and the weight gradient
summed exactly (against mpmath) where a plain sum loses every bit.

The ULP bars of the forward, the derivative and backward on the whole grids are in
test_elementwise.py (``grids.ELEMENTWISE["prelu"]``, a slope of 0.1).
"""

import mpmath
import numpy as np
import pytest
from grids import FLOATS

import actlib
from actlib.testing import numerical_vjp, relative_error, ulp_error


def exact_weight_gradient(x, g, per_channel):
    """``sum(g * x)`` over ``x <= 0`` per channel (axis 1) in mpmath, from the float values."""
    x = np.asarray(x, np.float64)
    g = np.asarray(g, np.float64)
    if per_channel:
        xs, gs = np.moveaxis(x, 1, 0).reshape(x.shape[1], -1), np.moveaxis(g, 1, 0)
        gs = gs.reshape(x.shape[1], -1)
    else:
        xs, gs = x.reshape(1, -1), g.reshape(1, -1)
    with mpmath.workprec(2200):  # every product of two floats is exact at this precision
        return np.array([mpmath.fsum(mpmath.mpf(float(a)) * mpmath.mpf(float(b))
                                     for a, b in zip(xr, gr, strict=True) if a <= 0)
                         for xr, gr in zip(xs, gs, strict=True)], dtype=object)


def test_pytorch_defaults_and_repr():
    act = actlib.PReLU()
    assert repr(act) == "PReLU(num_parameters=1)"
    np.testing.assert_array_equal(act.weight, [0.25])
    assert act.weight.dtype == np.float64
    assert repr(actlib.PReLU(3, init=0.5)) == "PReLU(num_parameters=3)"
    np.testing.assert_array_equal(actlib.PReLU(3, init=0.5).weight, [0.5] * 3)
    # the slope at the kink, as PyTorch's prelu_backward (x > 0 ? g : w g)
    assert act.gradient(0.0) == 0.25 and act.backward(0.0, 4.0) == 1.0


def test_one_slope_per_channel_on_axis_1():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 5))
    act = actlib.PReLU(3)
    act.weight = np.array([0.1, 0.2, 0.3])
    y = act(x)
    for c in range(3):
        np.testing.assert_array_equal(y[:, c], actlib.leaky_relu(x[:, c], act.weight[c]))
        np.testing.assert_array_equal(act.gradient(x)[:, c],
                                      actlib.LeakyReLU(act.weight[c]).gradient(x[:, c]))
    np.testing.assert_array_equal(actlib.prelu(x, act.weight), y)
    np.testing.assert_array_equal(actlib.prelu(x, [0.2]), actlib.leaky_relu(x, 0.2))
    np.testing.assert_array_equal(actlib.prelu(x[0, 0], 0.3), actlib.leaky_relu(x[0, 0], 0.3))
    assert actlib.prelu(-2.0, np.array([0.5])) == -1.0  # a 0-d input, one slope


@pytest.mark.parametrize("shape, count", [((5,), 2), ((), 2), ((2, 3), 2), ((2, 3, 4), 4)])
def test_a_slope_count_that_does_not_match_is_a_valueerror_naming_the_function(shape, count):
    x = np.zeros(shape)
    with pytest.raises(ValueError, match=r"prelu\(\): weight has 2 slopes|prelu\(\): weight has 4"):
        actlib.prelu(x, np.full(count, 0.1))
    act = actlib.PReLU(count)
    for method, name in [(act, "prelu"), (act.gradient, "PReLU.gradient")]:
        with pytest.raises(ValueError, match=rf"{name}\(\): weight has {count} slopes"):
            method(x)
    for method in ("backward", "weight_gradient"):
        with pytest.raises(ValueError, match=rf"PReLU.{method}\(\): weight has {count}"):
            getattr(act, method)(x, x)


def test_weight_and_parameter_checks():
    with pytest.raises(ValueError, match=r"prelu\(\): weight must be a scalar or a 1-d"):
        actlib.prelu(np.zeros((2, 2)), np.full((2, 1), 0.1))
    for bad in (np.nan, np.inf, [0.1, np.inf]):
        with pytest.raises(ValueError, match=r"prelu\(\): weight must be finite"):
            actlib.prelu(np.zeros((3, 2)), bad)
    with pytest.raises(TypeError, match=r"prelu\(\) does not support dtype complex128"):
        actlib.prelu([1.0], 1j)
    for n in (0, -1):
        with pytest.raises(ValueError, match=r"PReLU\(\): num_parameters must be at least 1"):
            actlib.PReLU(n)
    for n in (1.5, "2", None, True):
        with pytest.raises(TypeError, match=r"PReLU\(\): num_parameters must be an integer"):
            actlib.PReLU(n)
    assert actlib.PReLU(np.int64(2)).weight.shape == (2,)
    for init in (np.nan, np.inf):
        with pytest.raises(ValueError, match=r"PReLU\(\): init must be finite"):
            actlib.PReLU(init=init)
    with pytest.raises(TypeError, match=r"PReLU\(\): init must be a real number"):
        actlib.PReLU(init="0.25")


@pytest.mark.parametrize("dtype", FLOATS)
def test_limits_nan_and_a_zero_slope(dtype):
    inf, nan = np.inf, np.nan
    x = np.array([-inf, -2.0, -0.0, 0.0, 3.0, inf, nan], dtype)
    np.testing.assert_array_equal(actlib.prelu(x, 0.5),
                                  np.array([-inf, -1, 0, 0, 3, inf, nan], dtype))
    np.testing.assert_array_equal(actlib.prelu(x, 0.0), actlib.relu(x))  # not 0 * -inf = NaN
    np.testing.assert_array_equal(actlib.PReLU(init=0.5).gradient(x),
                                  np.array([0.5, 0.5, 0.5, 0.5, 1, 1, nan], dtype))
    y = actlib.PReLU(init=0.5).backward(x, np.full(x.shape, 2.0, dtype))
    np.testing.assert_array_equal(y, np.array([1, 1, 1, 1, 2, 2, nan], dtype))


def test_gradient_checks():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 3, 4))
    x[np.abs(x) < 1e-3] = 0.5  # away from the kink
    g = rng.standard_normal(x.shape)
    act = actlib.PReLU(3)
    act.weight = np.array([0.1, -0.4, 2.0])
    assert relative_error(act.backward(x, g), numerical_vjp(act, x, g)) < 1e-7
    # the weight gradient against central differences in each slope
    h = 1e-6
    for c in range(3):
        up, down = act.weight.copy(), act.weight.copy()
        up[c] += h
        down[c] -= h
        numeric = np.sum(g * (actlib.prelu(x, up) - actlib.prelu(x, down))) / (up[c] - down[c])
        assert abs(act.weight_gradient(x, g)[c] - numeric) <= 1e-7 * (1 + abs(numeric))


def _cancelling(rng, n, dtype):
    """Terms g x that cancel: pairs +-t of every size, then a few small ones that survive
    (float64: the sum is some 1e-120 of the largest term)."""
    e = {np.float16: 2, np.float32: 8, np.float64: 60}[dtype]  # within the dtype's range
    x = -np.abs(rng.standard_normal(n)) * 10.0 ** rng.integers(-e, e + 1, n)
    g = rng.standard_normal(n) * 10.0 ** rng.integers(-e, e + 1, n)
    with np.errstate(under="ignore", over="ignore"):  # float16 holds neither end: meant
        x = np.concatenate([x, x, -np.abs(rng.standard_normal(3))]).astype(dtype)
        g = np.concatenate([g, -g, rng.standard_normal(3) * 1e-6]).astype(dtype)
    order = rng.permutation(x.size)
    return x[order], g[order]


@pytest.mark.parametrize("dtype", FLOATS)
def test_weight_gradient_is_the_exact_sum_rounded_once(dtype):
    rng = np.random.default_rng(2)
    cases = []
    for shape in [(50,), (7, 3), (20, 4, 6), (3, 2, 5, 7)]:  # positive and negative inputs
        x = (rng.standard_normal(shape) * 3).astype(dtype)
        with np.errstate(under="ignore"):
            g = (rng.standard_normal(shape) * 10.0 ** rng.uniform(-3, 3, shape)).astype(dtype)
        cases.append((x, g))
    for n in (10, 1000):
        cases.append(_cancelling(rng, n, dtype))
    for x, g in cases:
        for per_channel in ((False, True) if x.ndim >= 2 else (False,)):
            act = actlib.PReLU(x.shape[1] if per_channel else 1)
            got = act.weight_gradient(x, g)
            assert got.dtype == np.float64 and got.shape == act.weight.shape
            exact = exact_weight_gradient(x, g, per_channel)
            err = ulp_error(got, exact)
            assert np.isfinite(got).all()
            assert err.max() <= 0.5 + 1e-3, (x.shape, per_channel, err.max())


def test_the_plain_sum_loses_what_the_exact_one_keeps():
    x, g = _cancelling(np.random.default_rng(3), 1000, np.float64)
    exact = exact_weight_gradient(x, g, False)
    plain = np.array([np.sum(np.where(x > 0, 0.0, g * x))])
    assert ulp_error(plain, exact)[0] > 1e3  # the rounded products alone are that far off
    assert ulp_error(actlib.PReLU().weight_gradient(x, g), exact)[0] <= 0.5 + 1e-3


def test_weight_gradient_at_the_ends_of_the_float_range():
    big, tiny = 2.0**1000, 2.0**-1070
    x = np.array([-big, -3.0, -tiny, -1e-300, -0.5])
    g = np.array([3.0 * 2.0**-60, 2.0**1000, 1e300, 1e-20, 1.0])
    exact = exact_weight_gradient(x, g, False)
    assert ulp_error(actlib.PReLU().weight_gradient(x, g), exact)[0] <= 0.5 + 1e-3
    # a sum beyond the largest float is inf, quietly; NaN and inf propagate per channel
    y = actlib.PReLU().weight_gradient([-1e308, -1e308], [-10.0, -10.0])
    np.testing.assert_array_equal(y, [np.inf])
    x = np.array([[-1.0, -1.0, -1.0], [-2.0, np.nan, -np.inf]])
    y = actlib.PReLU(3).weight_gradient(x, np.ones_like(x))
    np.testing.assert_array_equal(y, [-3.0, np.nan, -np.inf])
    assert actlib.PReLU(2).weight_gradient(np.zeros((0, 2)), np.zeros((0, 2))).shape == (2,)
