"""GELU, exact and tanh: limits, the left tail, gradient checks, properties, parameters, and a
dense screen against mpmath (ULP bars on the whole grid: test_elementwise.py)."""

import math

import mpmath
import numpy as np
import pytest
from grids import (
    ELEMENTWISE,
    FINITE,
    FLOATS,
    GRADIENT_MAGNITUDE,
    assert_screen_bar_mpmath,
    every_finite_float16,
)
from hypothesis import given, settings
from hypothesis import strategies as st

import actlib
from actlib.testing import gradcheck, numerical_vjp, reference, relative_error, ulp_error

EXACT, TANH = actlib.GELU(), actlib.GELU(approximate="tanh")
FORMS = {"none": EXACT, "tanh": TANH}
NAMES = {"none": "gelu", "tanh": "gelu_tanh"}  # in grids.ELEMENTWISE


@pytest.mark.parametrize("approximate", FORMS)
@pytest.mark.parametrize("dtype", FLOATS)
def test_limits_and_nan(dtype, approximate):
    act = FORMS[approximate]
    x = np.array([-np.inf, -0.0, 0.0, np.inf, np.nan], dtype=dtype)
    np.testing.assert_array_equal(act(x), np.array([0, 0, 0, np.inf, np.nan], dtype))
    np.testing.assert_array_equal(act.gradient(x), np.array([0, 0.5, 0.5, 1, np.nan], dtype))
    np.testing.assert_array_equal(act.backward(x, np.ones_like(x)),
                                  np.array([0, 0.5, 0.5, 1, np.nan], dtype))
    assert np.signbit(act(x)[:2]).all()  # GELU(-inf) and GELU(-0) are -0: x Phi(x) has x's sign


def test_the_textbook_formula_returns_zero_in_the_left_tail_and_gelu_does_not():
    # 0.5 x (1 + erf(x / sqrt 2)): 1 + erf rounds to 0 from x = -8.3 on, where x Phi(x) is a
    # normal float down to -37.5 (and subnormal to -38.6).
    x = np.array([-9.0, -20.0, -30.0, -37.0, -38.5])
    naive = np.array([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in x])
    assert (naive == 0).all()
    got = actlib.gelu(x)
    err = ulp_error(got, reference(ELEMENTWISE["gelu"][2], x))
    assert (got < 0).all() and err.max() <= 3, err
    assert -np.finfo(np.float64).tiny < got[-1] < 0  # subnormal, and to within 3 ULP


def test_the_textbook_tanh_formula_cancels_and_the_sigmoid_form_does_not():
    x = np.array([-6.0, -10.0, -20.0])
    u = math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)
    naive = 0.5 * x * (1 + np.tanh(u))
    assert naive[1] == 0 and naive[2] == 0  # 1 + tanh(u) = 0 in float64
    got = actlib.gelu(x, approximate="tanh")
    err = ulp_error(got, reference(ELEMENTWISE["gelu_tanh"][2], x))
    assert (got < 0).all() and err.max() <= 3, err


@pytest.mark.parametrize("approximate", FORMS)
def test_gradcheck_central_differences(approximate):
    act = FORMS[approximate]
    x = np.linspace(-6.0, 6.0, 241)
    assert gradcheck(act, act.gradient, x) < 1e-6
    x = np.random.default_rng(3).uniform(-4, 4, (3, 7))
    g = np.random.default_rng(4).standard_normal((3, 7))
    assert relative_error(act.backward(x, g), numerical_vjp(act, x, g)) < 1e-6


def test_the_minimum():
    # GELU'(x*) = 0 at x* = -0.7517915...: GELU(x*) = -0.1699722...
    x_star = mpmath.findroot(lambda t: ELEMENTWISE["gelu"][3](t), -0.75)
    assert abs(x_star + 0.7517915) < 1e-7
    x = np.linspace(-0.76, -0.74, 20001)
    y = actlib.gelu(x)
    assert abs(float(x[np.argmin(y)] - x_star)) < 1e-5
    assert abs(y.min() - float(ELEMENTWISE["gelu"][2](x_star))) < 1e-12  # grid step 1e-6
    # the derivative changes sign there, and is measured in ULP of the sum of its terms
    d = EXACT.gradient(x)
    assert d[0] < 0 < d[-1]


@pytest.mark.parametrize("approximate", FORMS)
def test_monotone_on_each_side_of_the_minimum_on_every_float16(approximate):
    x = every_finite_float16()
    y = FORMS[approximate](x).astype(np.float64)
    left, right = x < -0.75, x >= -0.75  # the minima: -0.7518 (exact), -0.7523 (tanh)
    assert (np.diff(y[left]) <= 0).all() and (np.diff(y[right]) >= 0).all()


@pytest.mark.parametrize("approximate", FORMS)
@settings(deadline=None, max_examples=60)
@given(data=st.data(), dtype=st.sampled_from(FLOATS))
def test_bounds_and_sign(approximate, data, dtype):
    act = FORMS[approximate]
    x = np.array(data.draw(st.lists(FINITE[dtype], min_size=1, max_size=30)), dtype)
    y = act(x)
    assert (np.signbit(y) == np.signbit(x)).all()  # x Phi(x) has x's sign, zeros included
    assert (y >= dtype(-0.17)).all()  # the minimum is -0.16997 (exact), -0.17004 (tanh) ...
    assert (y >= dtype(-0.1701)).all()
    assert (np.minimum(x, 0) <= y).all() and (y <= np.maximum(x, 0)).all()


def test_tanh_form_is_close_to_the_exact_one():
    x = np.linspace(-8, 8, 16001)
    diff = np.abs(actlib.gelu(x, approximate="tanh") - actlib.gelu(x))
    assert 4e-4 < diff.max() < 5e-4  # about 4.7e-4, near |x| = 2.1


@pytest.mark.parametrize("approximate", [1, None, True, b"tanh", ["tanh"]])
def test_approximate_of_the_wrong_type_is_a_typeerror(approximate):
    with pytest.raises(TypeError, match=r"gelu\(\): approximate"):
        actlib.gelu([1.0], approximate=approximate)
    with pytest.raises(TypeError, match=r"GELU\(\): approximate"):
        actlib.GELU(approximate=approximate)


@pytest.mark.parametrize("approximate", ["Tanh", "exact", "", "erf", "sigmoid"])
def test_other_strings_are_a_valueerror(approximate):
    with pytest.raises(ValueError, match=r"gelu\(\): approximate must be 'none' or 'tanh'"):
        actlib.gelu([1.0], approximate=approximate)
    with pytest.raises(ValueError, match=r"GELU\(\): approximate must be 'none' or 'tanh'"):
        actlib.GELU(approximate=approximate)


def test_functions_and_objects_agree():
    x = np.random.default_rng(0).standard_normal((5, 7)) * 10
    np.testing.assert_array_equal(actlib.gelu(x), EXACT(x))
    np.testing.assert_array_equal(actlib.gelu(x, "tanh"), TANH(x))
    np.testing.assert_array_equal(actlib.gelu(x, approximate="none"), EXACT(x))


# Products g f'(x) that are normal floats where f'(x) is subnormal or 0 in float64, and the
# float32/16 cases where the narrow derivative would be. (approximate, dtype, x, g)
TAILS = [
    ("none", np.float64, -38.0, 1e300),  # f' subnormal: -2.2e-312
    ("none", np.float64, -45.0, 1e300),  # f' = 0 in float64, g f' = -4.5e-139
    ("none", np.float64, -53.0, 1e308),  # near the hook's far end: g f' = -2.3e-301
    ("tanh", np.float64, -21.5, 1e300),  # f' subnormal in float64
    ("tanh", np.float64, -26.0, 1e300),  # f' = 0 in float64
    ("none", np.float32, -13.5, 1e30),  # f' subnormal in float32
    ("tanh", np.float16, -4.5, 1000.0),
]


@pytest.mark.parametrize("approximate, dtype, x, g", TAILS)
def test_backward_rounds_once_in_the_tails(approximate, dtype, x, g):
    x, g = np.array([x], dtype), np.array([g], dtype)
    name = NAMES[approximate]
    exact = mpmath.mpf(float(g[0])) * reference(ELEMENTWISE[name][3], x)
    scale = abs(mpmath.mpf(float(g[0]))) * reference(GRADIENT_MAGNITUDE[name], x)
    got = FORMS[approximate].backward(x, g)
    assert got[0] != 0
    assert ulp_error(got, exact, scale)[0] <= (4 if dtype == np.float64 else 1)


# The dense screen: seeded random inputs (half in [-40, 40], half in [-5, 5]) against mpmath
# directly (a long double has too few bits for exp(-x^2/2) far out), about 10 s in all here.
SCREEN = 2**13


@pytest.mark.parametrize("kind", ["forward", "gradient"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["gelu", "gelu_tanh"])
def test_dense_screen_within_the_bars(name, dtype, kind):
    assert_screen_bar_mpmath(name, kind, dtype, n=SCREEN)


# GELU and its derivative as m 2^k where they are subnormal or 0 in float64 (for GEGLU, whose
# products have up to two large factors): the far left tails, and GELU near 0 (x / 2). Measured
# in units of 2^-53 relative to |m| in [0.5, 1), the ULP of m: within 2.5, so that the products
# rounded from m stay within the bars. (approximate, derivative, low, high)
SCALED = [("none", False, -68.0, -37.5), ("none", True, -68.0, -37.5),
          ("tanh", False, -33.0, -21.0), ("tanh", True, -33.0, -21.0)]


@pytest.mark.parametrize("approximate, derivative, low, high", SCALED)
def test_scaled_tails_keep_their_bits(approximate, derivative, low, high):
    from actlib.gelu import _scale_tails

    rng = np.random.default_rng(12)
    x = np.concatenate([rng.uniform(low, high, 300), [low, np.nextafter(high, -np.inf)]])
    if not derivative:
        with np.errstate(under="ignore"):  # the test's own subnormals
            tiny = np.ldexp(rng.uniform(1, 2, 20), rng.integers(-1074, -900, 20))
        x = np.concatenate([x, tiny * rng.choice([-1, 1], 20)])
    act = FORMS[approximate]
    v, k = _scale_tails(x, act.gradient(x) if derivative else actlib.gelu(x, approximate),
                        approximate, derivative)
    fn = ELEMENTWISE[NAMES[approximate]][3 if derivative else 2]
    with mpmath.workprec(200):
        exact = [fn(mpmath.mpf(float(t))) for t in x]
        err = [float(abs(mpmath.ldexp(float(m), int(e)) - ex) / abs(ex)) * abs(float(m)) * 2**53
               for m, e, ex in zip(v, k, exact, strict=True)]
    assert ((np.abs(v) >= 0.5) & (np.abs(v) < 1)).all()
    assert max(err) <= 2.5, (x[np.argmax(err)], max(err))
    # beyond the clamp the value is below 2^-3200: times any two floats, below the subnormals
    far = np.array([low - 1.0, low - 1e6, -np.finfo(np.float64).max])
    v, k = _scale_tails(far, act.gradient(far) if derivative else actlib.gelu(far, approximate),
                        approximate, derivative)
    assert (v < 0).all() and (k < -3200).all()  # GELU and GELU' are negative there


def test_backward_keeps_its_bits_across_the_tail_hook():
    # g f'(x) with f'(x) subnormal or 0 and the product normal, on a dense band of the hook
    x = np.random.default_rng(5).uniform(-53.0, -37.5, 200)
    g = np.full_like(x, 1e308)
    exact = reference(lambda t: mpmath.mpf(1e308) * ELEMENTWISE["gelu"][3](t), x)
    assert ulp_error(EXACT.backward(x, g), exact).max() <= 4
