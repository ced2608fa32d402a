"""Softplus, log-sigmoid and softsign: limits, tails, no threshold, beta, identities, gradient
checks and properties (ULP bars on every dtype's grid: test_elementwise.py, with beta = 0.5, 10)."""

import mpmath
import numpy as np
import pytest
from grids import ELEMENTWISE, FINITE, FLOATS, assert_scaled_unit_bars, every_finite_float16
from hypothesis import given, settings
from hypothesis import strategies as st

import actlib
from actlib.testing import gradcheck, numerical_vjp, reference, relative_error, ulp_error

SP, LS, SS = actlib.Softplus(), actlib.LogSigmoid(), actlib.Softsign()


@pytest.mark.parametrize("dtype", FLOATS)
def test_limits_and_nan(dtype):
    x = np.array([-np.inf, -0.0, 0.0, np.inf, np.nan], dtype=dtype)
    ln2 = dtype(np.log(2.0))
    np.testing.assert_array_equal(actlib.softplus(x), np.array([0, ln2, ln2, np.inf, np.nan],
                                                               dtype))
    np.testing.assert_array_equal(SP.gradient(x), np.array([0, 0.5, 0.5, 1, np.nan], dtype))
    np.testing.assert_array_equal(actlib.log_sigmoid(x), np.array(
        [-np.inf, -ln2, -ln2, 0, np.nan], dtype))
    np.testing.assert_array_equal(LS.gradient(x), np.array([1, 0.5, 0.5, 0, np.nan], dtype))
    np.testing.assert_array_equal(actlib.softsign(x), np.array([-1, 0, 0, 1, np.nan], dtype))
    np.testing.assert_array_equal(SS.gradient(x), np.array([0, 1, 1, 0, np.nan], dtype))
    for act in (SP, LS, SS):
        np.testing.assert_array_equal(act.backward(x, np.ones_like(x)), act.gradient(x))


def test_tails_kept_where_the_naive_formulas_lose_them():
    x = np.array([-745.0, -700.0, -40.0, 40.0, 700.0, 1e300])
    exact = reference(ELEMENTWISE["softplus"][2], x)
    assert ulp_error(actlib.softplus(x), exact).max() <= 1
    with np.errstate(over="ignore", under="ignore"):
        naive = np.log(1 + np.exp(x))
    assert naive[1] == 0 and naive[2] == 0  # 1 + e^x rounds to 1; the answer is e^x
    assert np.isinf(naive[-1])  # e^(1e300) overflows
    exact = reference(ELEMENTWISE["log_sigmoid"][2], x)
    assert ulp_error(actlib.log_sigmoid(x), exact).max() <= 1
    with np.errstate(over="ignore", under="ignore", divide="ignore"):
        naive = np.log(1 / (1 + np.exp(-x)))
    assert np.isinf(naive[0]) and naive[3] == 0  # log(0), and sigmoid(40) rounds to 1


def test_no_threshold_and_what_pytorchs_costs():
    # PyTorch: softplus(x) = x once beta x > threshold = 20. Just above it, the dropped
    # log1p(e^-20) = 2.06e-9 is 5.8e5 ULP of float64.
    x = np.nextafter(20.0, 21.0) + np.array([0.0, 1e-3, 0.5, 5.0])
    exact = reference(ELEMENTWISE["softplus"][2], x)
    pytorch = np.where(x > 20, x, np.log1p(np.exp(x)))
    assert ulp_error(pytorch, exact)[0] > 5.7e5
    assert ulp_error(actlib.softplus(x), exact).max() <= 1
    assert not hasattr(SP, "threshold")
    with pytest.raises(TypeError):
        actlib.softplus(x, 1.0, 20.0)  # no third parameter


def test_softplus_derivative_is_the_sigmoid():
    x = np.linspace(-700, 750, 30001)  # normal values: a relative comparison
    s, d = actlib.sigmoid(x), SP.gradient(x)
    # both within their bars (sigmoid 3, this 4 ULP): within 7 ULP of each other, relative
    with np.errstate(under="ignore"):  # the tolerance 7 eps |s| of a tiny s
        np.testing.assert_allclose(d, s, rtol=7 * 2.0**-52, atol=0)


def test_log_sigmoid_is_minus_softplus_of_minus_x_bit_for_bit():
    x = np.concatenate([np.linspace(-800, 800, 20001), every_finite_float16().astype(np.float64)])
    np.testing.assert_array_equal(actlib.log_sigmoid(x), -actlib.softplus(-x))
    np.testing.assert_array_equal(LS.gradient(x), SP.gradient(-x))


def test_binary_cross_entropy_with_logits():
    # -log p(y | s) = -log_sigmoid(s) for y = 1, -log_sigmoid(-s) for y = 0: exact for any logit,
    # where -log(sigmoid(s)) is inf (s < -745) or 0 (s > 37.4).
    s = np.array([-1000.0, -50.0, -1.0, 0.0, 3.0, 50.0, 1000.0])
    loss = -actlib.log_sigmoid(s)
    exact = reference(lambda t: mpmath.log1p(mpmath.exp(-t)), s)
    assert ulp_error(loss, exact).max() <= 1
    assert loss[0] == 1000.0 and 0 < loss[-2] < 1e-21


@pytest.mark.parametrize("beta", [2.0**-10, 0.3, 0.5])
def test_softplus_far_left_for_beta_below_one(beta):
    # e^(beta x) is subnormal (few bits) where e^(beta x) / beta is a normal float; dividing it
    # by beta afterwards would magnify its rounding by 1 / beta.
    x = -np.array([700.0, 708.0, 712.0, 730.0, 744.0]) / beta
    exact = reference(lambda t: mpmath.log1p(mpmath.exp(mpmath.mpf(beta) * t)) / mpmath.mpf(beta),
                      x)
    assert ulp_error(actlib.softplus(x, beta), exact).max() <= 3
    with np.errstate(under="ignore"):
        naive = np.log1p(np.exp(beta * x)) / beta
    if beta < 0.3:
        assert ulp_error(naive, exact).max() > 100


def test_softplus_beta_times_x_not_rounded():
    # beta x rounded before the exponential: hundreds of ULP in the left tail for beta = 10;
    # actlib reduces the argument in x's units (actlib/_scaled_exp.py).
    x = -np.linspace(0.5, 74.0, 3000)
    exact = reference(lambda t: mpmath.log1p(mpmath.exp(10 * t)) / 10, x)
    assert ulp_error(actlib.softplus(x, 10.0), exact).max() <= 3
    with np.errstate(under="ignore"):
        naive = np.log1p(np.exp(10.0 * x)) / 10.0
    assert ulp_error(naive, exact).max() > 100


@settings(deadline=None, max_examples=60)
@given(beta=st.floats(2.0**-1000, 2.0**1000), t=st.lists(st.floats(-800, 800), min_size=1,
                                                         max_size=8))
def test_softplus_within_the_bars_for_any_beta(beta, t):
    with np.errstate(under="ignore", over="ignore"):  # the test's own division
        x = np.array(t) / beta
    x = x[np.isfinite(x)]
    b = mpmath.mpf(beta)
    fwd = reference(lambda v: mpmath.log1p(mpmath.exp(b * v)) / b, x)
    grad = reference(lambda v: 1 / (1 + mpmath.exp(-b * v)), x)
    assert_scaled_unit_bars(lambda v: actlib.softplus(v, beta), actlib.Softplus(beta), x, fwd,
                            grad)


def test_softplus_tends_to_relu_as_beta_grows():
    x = np.linspace(-5, 5, 1001)
    for beta in (1.0, 10.0, 100.0, 2.0**20):
        gap = actlib.softplus(x, beta) - actlib.relu(x)
        assert (gap >= 0).all() and gap.max() <= np.log(2) / beta * (1 + 1e-15)


@pytest.mark.parametrize("x", [1e160, 2.0**600, 1e300, np.finfo(np.float64).max])
def test_softsign_far_out(x):
    xs = np.array([x, -x])
    np.testing.assert_array_equal(actlib.softsign(xs), [1.0, -1.0])
    exact = reference(ELEMENTWISE["softsign"][3], xs)
    assert ulp_error(SS.gradient(xs), exact).max() <= 1  # subnormal or 0, never inf - inf
    # backward: 1/x^2 times a large g is a normal float where 1/x^2 alone is not
    g = np.array([1e300, -1e300])
    with mpmath.workprec(256):
        prod = np.array([mpmath.mpf(float(a)) * b for a, b in zip(g, exact, strict=True)])
    assert ulp_error(SS.backward(xs, g), prod).max() <= 4


def test_softsign_tails_are_polynomial_tanh_exponential():
    x = np.array([10.0, 100.0, 1000.0])
    assert np.allclose(1 - actlib.softsign(x), 1 / (1 + x), rtol=1e-12)
    assert np.allclose(SS.gradient(x), 1 / (1 + x) ** 2, rtol=1e-14)
    assert actlib.Tanh().gradient(20.0) < 1e-16 < SS.gradient(1e7)


@pytest.mark.parametrize("act, fn", [(SP, actlib.softplus), (LS, actlib.log_sigmoid),
                                     (SS, actlib.softsign), (actlib.Softplus(0.3), None),
                                     (actlib.Softplus(10.0), None)], ids=repr)
def test_gradcheck_central_differences(act, fn):
    rng = np.random.default_rng(3)
    x = rng.uniform(-6, 6, 400) / getattr(act, "beta", 1.0)
    assert gradcheck(act, act.gradient, x) < 1e-6
    x = rng.uniform(-4, 4, (3, 5))
    g = rng.standard_normal((3, 5))
    assert relative_error(act.backward(x, g), numerical_vjp(act, x, g)) < 1e-6
    if fn is not None:
        np.testing.assert_array_equal(fn(x), act(x))


@settings(deadline=None, max_examples=60)
@given(data=st.data(), dtype=st.sampled_from(FLOATS))
def test_bounds_monotonicity_and_symmetry(data, dtype):
    x = np.sort(np.array(data.draw(st.lists(FINITE[dtype], min_size=1, max_size=40)), dtype))
    sp, ls, ss = actlib.softplus(x), actlib.log_sigmoid(x), actlib.softsign(x)
    assert (sp >= 0).all() and (sp >= x).all() and (ls <= 0).all() and (ls <= x).all()
    assert (np.abs(ss) <= 1).all()
    for y in (sp, ls, ss):
        assert (y[1:] >= y[:-1]).all()
    np.testing.assert_array_equal(actlib.softsign(-x), -ss)  # odd
    d = SS.gradient(x)
    assert ((d >= 0) & (d <= 1)).all()
    np.testing.assert_array_equal(SS.gradient(-x), d)  # even


def test_monotone_on_every_float16():
    x = every_finite_float16()
    for y in (actlib.softplus(x), actlib.log_sigmoid(x), actlib.softsign(x),
              actlib.softplus(x, 10.0)):
        assert (y[1:] >= y[:-1]).all()
