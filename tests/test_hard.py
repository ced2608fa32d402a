"""The hard activations: PyTorch's derivatives at every kink, no gradient where flat, the
parameters of Hardtanh, the cancellation of x / 6 + 1/2, limits, gradient checks, properties.

The ULP bars on the whole grids are in test_elementwise.py (they are registered in grids.py).
"""

import mpmath
import numpy as np
import pytest
from grids import FINITE, FLOATS, KINKS
from hypothesis import given, settings
from hypothesis import strategies as st

import actlib
from actlib.testing import gradcheck, numerical_vjp, reference, relative_error, ulp_error

ACTS = {"relu6": actlib.ReLU6(), "hard_tanh": actlib.Hardtanh(),
        "hard_sigmoid": actlib.Hardsigmoid(), "hard_swish": actlib.Hardswish()}


# PyTorch's values at the kinks (aten/src/ATen/native/cpu/Activation.cpp): relu6 is
# hardtanh(x, 0, 6), whose backward is 0 for x <= min_val or x >= max_val; hardsigmoid_backward
# is g / 6 only for -3 < x < 3; hardswish_backward is 0 for x < -3, g (x / 3 + 1/2) for
# -3 <= x <= 3 and g above.
KINK_VALUES = [
    ("relu6", [0.0, 6.0], [0.0, 0.0]),
    ("hard_tanh", [-1.0, 1.0], [0.0, 0.0]),
    ("hard_sigmoid", [-3.0, 3.0], [0.0, 0.0]),
    ("hard_swish", [-3.0, -1.5, 3.0], [-0.5, 0.0, 1.5]),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name, x, expected", KINK_VALUES)
def test_pytorch_derivatives_at_the_kinks(name, x, expected, dtype):
    grad = ACTS[name].gradient(np.array(x, dtype))
    assert grad.dtype == dtype
    np.testing.assert_array_equal(grad, np.array(expected, dtype))


def test_hard_swish_derivative_jumps_at_both_kinks():
    # one-sided limits: at -3 from 0 to -1/2, at 3 from 3/2 to 1; PyTorch takes the middle piece
    act = actlib.Hardswish()
    for k, left, at, right in [(-3.0, 0.0, -0.5, -0.5), (3.0, 1.5, 1.5, 1.0)]:
        below, above = np.nextafter(k, -np.inf), np.nextafter(k, np.inf)
        got = act.gradient([below, k, above])
        np.testing.assert_allclose(got, [left, at, right], atol=1e-15)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", ACTS)
def test_no_gradient_passes_where_the_unit_is_flat(name, dtype):
    # an infinite or NaN incoming gradient where the unit is flat gives 0, not NaN (0 * inf),
    # as in PyTorch; a NaN input gives NaN
    flat = {"relu6": [-1.0, 7.0, 0.0, 6.0], "hard_tanh": [-2.0, 2.0, -1.0, 1.0],
            "hard_sigmoid": [-4.0, 4.0, -3.0, 3.0], "hard_swish": [-4.0, -np.inf, -3.5]}[name]
    x = np.array(flat + [np.nan], dtype)
    for g in (np.inf, -np.inf, np.nan, 1.0):
        out = ACTS[name].backward(x, np.full(x.shape, g, dtype))
        assert out.dtype == dtype
        np.testing.assert_array_equal(out, np.array([0.0] * len(flat) + [np.nan], dtype))


@pytest.mark.parametrize("dtype", FLOATS)
def test_limits_and_nan(dtype):
    inf, nan = np.inf, np.nan
    x = np.array([-inf, -1e4, -3.0, 0.0, 3.0, 1e4, inf, nan], dtype)
    expected = {
        "relu6": [0, 0, 0, 0, 3, 6, 6, nan],
        "hard_tanh": [-1, -1, -1, 0, 1, 1, 1, nan],
        "hard_sigmoid": [0, 0, 0, 0.5, 1, 1, 1, nan],
        "hard_swish": [0, 0, 0, 0, 3, 1e4, inf, nan],
    }
    for name, values in expected.items():
        got = ACTS[name](x)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, np.array(values, dtype))
    grads = {"relu6": [0, 0, 0, 0, 1, 0, 0, nan], "hard_tanh": [0, 0, 0, 1, 0, 0, 0, nan],
             "hard_sigmoid": [0, 0, 0, 1 / 6, 0, 0, 0, nan],
             "hard_swish": [0, 0, -0.5, 0.5, 1.5, 1, 1, nan]}
    for name, values in grads.items():
        np.testing.assert_array_equal(ACTS[name].gradient(x), np.array(values, dtype))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("numpy_before_2_1", [False, True])
def test_signed_zeros_the_same_on_every_numpy(dtype, numpy_before_2_1, monkeypatch):
    # A clip returns x itself where x lies within its bounds, -0 included, also at a bound of 0:
    # np.clip returns the bound there before NumPy 2.1 and x after; actlib's clip copes with both.
    if numpy_before_2_1:
        monkeypatch.setattr(actlib._base, "CLIP_RETURNS_X_AT_A_TIE", False)
    z = np.array([-0.0, 0.0], dtype)
    for y in (actlib.relu6(z), actlib.hard_tanh(z), actlib.hard_tanh(z, 0.0, 1.0),
              actlib.hard_tanh(z, -1.0, 0.0)):
        assert y.dtype == dtype and np.signbit(y).tolist() == [True, False]
    assert not np.signbit(actlib.hard_tanh(z, 0.5, 1.0)).any()  # clipped up to 0.5


def test_hard_swish_of_the_largest_floats_does_not_overflow():
    big = np.finfo(np.float64).max
    np.testing.assert_array_equal(actlib.hard_swish([big, -big]), [big, 0.0])
    np.testing.assert_array_equal(actlib.Hardswish().backward([big], [big]), [big])


def test_x_over_6_plus_a_half_cancels_near_minus_3():
    # x / 6 rounds (absolute error up to 2**-54), then 1/2 cancels all but a tiny result:
    # the textbook form is 7.5e14 ULP off at -3 + 2**-50; (x + 3) / 6 is within the bar
    x = np.array([-3 + 2.0**-50, -3 + 2.0**-40, -3 + 2.0**-20, -2.9999])
    exact = reference(lambda t: t / 6 + mpmath.mpf(1) / 2, x)
    assert ulp_error(np.clip(x / 6 + 0.5, 0, 1), exact).max() > 1e14
    assert ulp_error(actlib.hard_sigmoid(x), exact).max() <= 1.0
    exact_swish = reference(lambda t: t * (t / 6 + mpmath.mpf(1) / 2), x)
    assert ulp_error(actlib.hard_swish(x), exact_swish).max() <= 3.0


def floats_around(k, dtype, n):
    """The ``n`` floats of ``dtype`` on each side of ``k`` and ``k`` itself (at 0: +-subnormals)."""
    uint = {2: np.uint16, 4: np.uint32, 8: np.uint64}[np.dtype(dtype).itemsize]
    bits = np.abs(np.array([k], dtype)).view(uint)[0]
    magnitudes = (bits + np.arange(-n, n + 1, dtype=np.int64)).astype(uint)
    if k == 0:
        magnitudes = np.arange(0, n + 1).astype(uint)
    values = magnitudes.view(dtype)
    return np.unique(np.concatenate([values, -values]) if k == 0 else np.copysign(values, k))


@pytest.mark.parametrize("dtype", FLOATS)
def test_every_float_near_the_kinks(dtype):
    # the 300 floats on each side of each kink, against mpmath: hard swish within the bar and
    # its derivative exactly PyTorch's piece on each side (the grid holds the 8 nearest only)
    act = actlib.Hardswish()
    for k in KINKS:
        x = floats_around(k, dtype, 300)
        exact = reference(lambda t: t * min(max(t / 6 + mpmath.mpf(1) / 2, 0), 1), x)
        assert ulp_error(act(x), exact).max() <= (3.0 if dtype == np.float64 else 1.0), k
        inner = (x >= -3) & (x <= 3)
        grad = act.gradient(x)
        assert (grad[x < -3] == 0).all() and (grad[x > 3] == 1).all()
        d = reference(lambda t: (2 * t + 3) / 6, x[inner])
        assert ulp_error(grad[inner], d).max(initial=0) <= (4.0 if dtype == np.float64 else 1.0), k


def test_hard_tanh_parameters():
    assert repr(actlib.Hardtanh()) == "Hardtanh(min_val=-1.0, max_val=1.0)"
    assert actlib.Hardtanh(0, 6).max_val == 6.0
    np.testing.assert_array_equal(actlib.hard_tanh([-9.0, 9.0], 0, 6), actlib.relu6([-9.0, 9.0]))
    for lo, hi in [(1.0, 1.0), (2.0, -2.0)]:
        with pytest.raises(ValueError, match=r"hard_tanh\(\): min_val must be less than"):
            actlib.hard_tanh([0.0], lo, hi)
        with pytest.raises(ValueError, match=r"Hardtanh\(\): min_val must be less than"):
            actlib.Hardtanh(lo, hi)
    for bad in (np.nan, np.inf, 10**400):
        with pytest.raises(ValueError, match=r"Hardtanh\(\): max_val must be finite"):
            actlib.Hardtanh(0.0, bad)
        with pytest.raises(ValueError, match=r"hard_tanh\(\): min_val must be finite"):
            actlib.hard_tanh([0.0], bad, 1.0)
    for bad in ("1", None, 1j, True, [1.0]):
        with pytest.raises(TypeError, match=r"Hardtanh\(\): min_val"):
            actlib.Hardtanh(bad, 2.0)
        with pytest.raises(TypeError, match=r"hard_tanh\(\): max_val"):
            actlib.hard_tanh([0.0], -1.0, bad)


def test_hard_tanh_bounds_round_to_the_dtype_and_compare_exactly():
    # -0.1 is not a float16: the clip uses its rounding (the correct rounding of the result),
    # the derivative compares x with -0.1 itself
    lo = float(np.float16(-0.1))  # -0.0999755859375, above -0.1
    x = np.array([-0.2, lo, 0.05], np.float16)
    np.testing.assert_array_equal(actlib.hard_tanh(x, -0.1, 0.1),
                                  np.array([lo, lo, 0.05], np.float16))
    np.testing.assert_array_equal(actlib.Hardtanh(-0.1, 0.1).gradient(x), [0, 1, 1])
    # bounds beyond float16's range are +-inf there, quietly
    x = np.array([-6e4, 6e4, 1.0], np.float16)
    np.testing.assert_array_equal(actlib.hard_tanh(x, -1e5, 1e5), x)
    np.testing.assert_array_equal(actlib.hard_tanh(x, 1e-300, 2e-300), [0.0, 0.0, 0.0])


def test_gradcheck_away_from_the_kinks():
    rng = np.random.default_rng(3)
    x = rng.uniform(-8, 8, 400)
    x = x[np.min(np.abs(x[:, None] - np.array(KINKS)), axis=1) > 1e-3]
    g = rng.standard_normal(x.shape)
    for name, act in ACTS.items():
        assert gradcheck(act, act.gradient, x) < 1e-7, name
        assert relative_error(act.backward(x, g), numerical_vjp(act, x, g)) < 1e-7, name


@settings(deadline=None, max_examples=60)
@given(data=st.data(), dtype=st.sampled_from(FLOATS))
def test_monotone_bounded_and_below_the_smooth_originals(data, dtype):
    x = np.sort(np.array(data.draw(st.lists(FINITE[dtype], min_size=1, max_size=40)), dtype))
    for name in ("relu6", "hard_tanh", "hard_sigmoid"):
        y = ACTS[name](x)
        assert (y[1:] >= y[:-1]).all(), name
    assert ((actlib.relu6(x) >= 0) & (actlib.relu6(x) <= 6)).all()
    assert (np.abs(actlib.hard_tanh(x)) <= 1).all()
    s = actlib.hard_sigmoid(x)
    assert ((s >= 0) & (s <= 1)).all()
    # hard swish: x * hard_sigmoid(x), never below its minimum -3/8 (at x = -3/2)
    assert (actlib.hard_swish(x) >= dtype(-0.375)).all()
