"""ELU, SELU and CELU: limits, the kink, SELU's constants, CELU's alpha, gradient checks and
properties (ULP bars on every dtype's grid: test_elementwise.py, with alpha = 0.5, 2 and 0.3)."""

import mpmath
import numpy as np
import pytest
from grids import (
    ELEMENTWISE,
    FINITE,
    FLOATS,
    SELU_EXACT,
    assert_scaled_unit_bars,
    every_finite_float16,
)
from hypothesis import given, settings
from hypothesis import strategies as st

import actlib
from actlib.elu import _SELU_NEG, SELU_ALPHA, SELU_SCALE
from actlib.testing import gradcheck, numerical_vjp, reference, relative_error, ulp_error

LAMBDA_ALPHA = _SELU_NEG


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("alpha", [1.0, 0.5, 2.0, 0.3])
def test_limits_and_nan(dtype, alpha):
    x = np.array([-np.inf, -0.0, 0.0, np.inf, np.nan], dtype=dtype)
    for f, act in [(actlib.elu, actlib.ELU(alpha)), (actlib.celu, actlib.CELU(alpha))]:
        np.testing.assert_array_equal(f(x, alpha), np.array([-alpha, 0, 0, np.inf, np.nan], dtype))
        slope = alpha if act.name == "ELU" else 1.0  # ELU's left derivative at 0; CELU's is 1
        np.testing.assert_array_equal(act.gradient(x),
                                      np.array([0, slope, slope, 1, np.nan], dtype))
        np.testing.assert_array_equal(act.backward(x, np.ones_like(x)), act.gradient(x))
    np.testing.assert_array_equal(actlib.selu(x), np.array(
        [-LAMBDA_ALPHA, 0, 0, np.inf, np.nan], dtype))
    np.testing.assert_array_equal(actlib.SELU().gradient(x), np.array(
        [0, LAMBDA_ALPHA, LAMBDA_ALPHA, SELU_SCALE, np.nan], dtype))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("alpha", [1.0, 0.5, -2.0, 0.0])
@pytest.mark.parametrize("numpy_before_2_1", [False, True])
def test_signed_zeros_the_same_on_every_numpy(dtype, alpha, numpy_before_2_1, monkeypatch):
    # elu(-0) = alpha * expm1(-0): -0 for alpha >= 0 (PyTorch's formula gives the same), +0 for
    # alpha < 0. np.clip returns the bound (+0) at x = -0 before NumPy 2.1 and x after; actlib's
    # clip copes with both (the second parameter forces the older path on any NumPy).
    if numpy_before_2_1:
        monkeypatch.setattr(actlib._base, "CLIP_RETURNS_X_AT_A_TIE", False)
    x = np.array([-0.0, 0.0], dtype=dtype)
    minus = bool(np.signbit(alpha * -0.0))
    results = [(actlib.elu(x, alpha), minus), (actlib.selu(x), True)]
    if alpha > 0:
        results.append((actlib.celu(x, alpha), True))
    for y, sign in results:
        np.testing.assert_array_equal(y, [0.0, 0.0])
        assert np.signbit(y).tolist() == [sign, False]


def test_expm1_near_zero_where_exp_minus_one_cancels():
    x = np.array([-1e-20, -1e-10, -3e-9])
    exact = reference(ELEMENTWISE["elu"][2], x)
    assert ulp_error(actlib.elu(x), exact).max() <= 0.5
    assert actlib.elu(-1e-20) == -1e-20
    naive = np.exp(x) - 1  # the textbook form: 0 at -1e-20, millions of ULP off at -1e-10
    assert naive[0] == 0 and ulp_error(naive, exact)[1] > 1e5


def test_no_overflow_where_the_naive_where_evaluates_exp():
    with np.errstate(over="raise"):
        assert actlib.elu(1000.0) == 1000.0
        assert actlib.selu(np.float32(3.3e38)) == np.float32(np.inf)  # 3.47e38 > float32 max
        with pytest.raises(FloatingPointError):
            np.where(np.array([1000.0]) > 0, 1000.0, np.exp(np.array([1000.0])) - 1)


def test_pytorch_conventions_at_the_kink():
    # PyTorch's elu_backward uses the x <= 0 branch at 0: alpha * scale * exp(0), so ELU's
    # derivative at 0 is alpha and SELU's lambda * alpha; CELU's (1/alpha) * alpha * exp(0) is 1.
    assert actlib.ELU(2.0).gradient(0.0) == 2.0
    assert actlib.ELU().gradient(np.float32(0.0)) == 1.0
    assert actlib.SELU().gradient(0.0) == LAMBDA_ALPHA
    for alpha in (0.3, 0.5, 2.0, 7.0):
        assert actlib.CELU(alpha).gradient(0.0) == 1.0
        assert actlib.CELU(alpha).gradient(-0.0) == 1.0


def test_celu_with_alpha_one_is_elu_bit_for_bit():
    x = np.concatenate([np.linspace(-800, 10, 5001), every_finite_float16().astype(np.float64)])
    np.testing.assert_array_equal(actlib.celu(x), actlib.elu(x))
    np.testing.assert_array_equal(actlib.CELU().gradient(x), actlib.ELU().gradient(x))


def test_selu_constants_are_the_nearest_floats_to_the_fixed_point():
    alpha, lam = SELU_EXACT
    assert SELU_ALPHA == float(alpha) and SELU_SCALE == float(lam)
    with mpmath.workprec(256):
        assert LAMBDA_ALPHA == float(alpha * lam)
    # PyTorch's 31-digit literals (aten/src/ATen/native/Activation.cpp) round to the same floats;
    # its product of the two floats is one ULP below the rounded exact product.
    assert float("1.6732632423543772848170429916717") == SELU_ALPHA
    assert float("1.0507009873554804934193349852946") == SELU_SCALE
    assert SELU_ALPHA * SELU_SCALE == np.nextafter(LAMBDA_ALPHA, 0)


def test_selu_fixed_point_holds_by_quadrature():
    # The closed forms in grids.SELU_EXACT, checked against plain integrals: with those
    # constants, z ~ N(0, 1) gives E[selu(z)] = 0 and E[selu(z)^2] = 1.
    alpha, lam = SELU_EXACT
    with mpmath.workprec(120):
        pdf = lambda z: mpmath.npdf(z)  # noqa: E731
        neg = lambda z: lam * alpha * mpmath.expm1(z)  # noqa: E731
        mean = (mpmath.quad(lambda z: neg(z) * pdf(z), [-mpmath.inf, 0])
                + mpmath.quad(lambda z: lam * z * pdf(z), [0, mpmath.inf]))
        second = (mpmath.quad(lambda z: neg(z) ** 2 * pdf(z), [-mpmath.inf, 0])
                  + mpmath.quad(lambda z: (lam * z) ** 2 * pdf(z), [0, mpmath.inf]))
        assert abs(mean) < mpmath.mpf(10) ** -30 and abs(second - 1) < mpmath.mpf(10) ** -30


def test_selu_keeps_mean_zero_variance_one_in_a_wide_layer():
    rng = np.random.default_rng(0)
    z = rng.standard_normal(2_000_000)
    y = actlib.selu(z)
    assert abs(y.mean()) < 3e-3 and abs(y.var() - 1) < 3e-3


@pytest.mark.parametrize("alpha", [7.0, 3e5, 1e300, 2.0**1000])
def test_celu_where_x_over_alpha_is_subnormal(alpha):
    # x / alpha subnormal keeps few bits; scaled back by alpha its rounding would cost up to
    # alpha / 2 ULP. There celu(x) rounds to x itself.
    fi = np.finfo(np.float64)
    x = -np.array([fi.smallest_subnormal, 7e-320, fi.tiny, 3 * fi.tiny, 1e-300, 1e-200,
                   alpha * 2.0**-60, alpha * 1e-3])
    x = x[np.isfinite(x)]
    exact = reference(lambda t: mpmath.mpf(alpha) * mpmath.expm1(t / mpmath.mpf(alpha)), x)
    assert ulp_error(actlib.celu(x, alpha), exact).max() <= 3
    assert ulp_error(actlib.CELU(alpha).gradient(x),
                     reference(lambda t: mpmath.exp(t / mpmath.mpf(alpha)), x)).max() <= 4


def test_celu_gradient_does_not_round_x_over_alpha():
    # exp(x / alpha) with x / alpha rounded first: hundreds of ULP far left for alpha = 0.3;
    # actlib reduces the argument in x's units (actlib/_scaled_exp.py).
    x = -np.linspace(1.0, 220.0, 2000)
    exact = reference(lambda t: mpmath.exp(t / mpmath.mpf(0.3)), x)
    assert ulp_error(actlib.CELU(0.3).gradient(x), exact).max() <= 2
    with np.errstate(under="ignore"):
        naive = np.exp(x / 0.3)
    assert ulp_error(naive, exact).max() > 100


@settings(deadline=None, max_examples=60)
@given(alpha=st.floats(2.0**-1000, 2.0**1000), t=st.lists(st.floats(-800, 0), min_size=1,
                                                          max_size=8))
def test_celu_within_the_bars_for_any_alpha(alpha, t):
    # x = alpha t covers the whole bend and the tail of e^(x/alpha) for any scale of alpha.
    with np.errstate(under="ignore"):  # the test's own product
        x = np.array(t) * alpha
    a = mpmath.mpf(alpha)
    fwd = reference(lambda v: a * mpmath.expm1(v / a), x)
    grad = reference(lambda v: mpmath.exp(v / a), x)
    assert_scaled_unit_bars(lambda v: actlib.celu(v, alpha), actlib.CELU(alpha), x, fwd, grad)


@pytest.mark.parametrize("act", [actlib.ELU(2.0), actlib.SELU(), actlib.CELU(0.3),
                                 actlib.ELU(0.5)], ids=repr)
def test_backward_keeps_subnormal_derivatives(act):
    # alpha e^x (CELU: e^(x/alpha)) is subnormal or 0 far left; times 1e300 it is a normal float.
    x = np.array([-720.0, -745.0, -760.0, -800.0]) * (0.3 if act.name == "CELU" else 1.0)
    name = {"ELU": f"elu(alpha={getattr(act, 'alpha', 0):g})", "SELU": "selu",
            "CELU": "celu(alpha=0.3)"}[act.name]
    exact_grad = reference(ELEMENTWISE[name][3], x)
    with mpmath.workprec(256):
        exact = np.array([mpmath.mpf(1e300) * v for v in exact_grad], dtype=object)
    got = act.backward(x, np.full(x.shape, 1e300))
    assert ulp_error(got, exact).max() <= 4 and (got > 1e-60).all()


@pytest.mark.parametrize("act", [actlib.ELU(), actlib.ELU(0.5), actlib.SELU(), actlib.CELU(),
                                 actlib.CELU(0.3), actlib.CELU(2.0)], ids=repr)
def test_gradcheck_central_differences(act):
    rng = np.random.default_rng(3)
    # away from 0, where ELU's derivative jumps for alpha != 1 (and every unit has a kink in f''),
    # and from x < -8, where f' ~ alpha e^x drowns in the difference's rounding (eps |f| / h)
    scale = min(1.0, getattr(act, "alpha", 1.0)) if act.name == "CELU" else 1.0  # e^(x/alpha)
    x = np.concatenate([rng.uniform(-8 * scale, -0.01, 300), rng.uniform(0.01, 8, 100)])
    assert gradcheck(act, act.gradient, x) < 1e-6
    x = rng.uniform(-4, 4, (3, 5))
    x[np.abs(x) < 0.01] = 1.0
    g = rng.standard_normal((3, 5))
    assert relative_error(act.backward(x, g), numerical_vjp(act, x, g)) < 1e-6


def test_celu_derivative_is_continuous_at_zero_elu_is_not():
    h = 1e-9
    for alpha in (0.3, 0.5, 2.0, 5.0):
        left = actlib.CELU(alpha).gradient(-h)
        assert abs(left - 1.0) < 1e-8  # e^(-h/alpha) -> 1 = the right derivative
        assert abs(actlib.ELU(alpha).gradient(-h) - alpha) < 1e-8  # alpha, not 1


@settings(deadline=None, max_examples=60)
@given(data=st.data(), dtype=st.sampled_from(FLOATS),
       alpha=st.sampled_from([0.3, 0.5, 1.0, 2.0]))
def test_bounds_and_monotonicity(data, dtype, alpha):
    x = np.sort(np.array(data.draw(st.lists(FINITE[dtype], min_size=1, max_size=40)), dtype))
    for y in (actlib.elu(x, alpha), actlib.celu(x, alpha)):
        assert (y >= dtype(-alpha)).all() and (y[x > 0] == x[x > 0]).all()
        assert (y[1:] >= y[:-1]).all()
    for d in (actlib.ELU(alpha).gradient(x), actlib.CELU(alpha).gradient(x)):
        assert ((d >= 0) & (d <= max(1.0, alpha))).all()


def test_monotone_on_every_float16():
    x = every_finite_float16()
    for y in (actlib.elu(x), actlib.selu(x), actlib.celu(x, 0.3), actlib.elu(x, 2.0)):
        assert (y[1:] >= y[:-1]).all()  # selu overflows float16 to inf at the top: still monotone
