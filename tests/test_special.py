"""actlib.special (erf, erfc, ndtr, normal_pdf) against mpmath over the whole range of each dtype,
its symmetries, monotonicity and input contract.

The grid: float16 exhaustively; float32 and float64 every binade from the smallest subnormal to
the largest (grids.binade_grid), the extremes, a dense band around 0, the edges of the pieces
(0.5, 1.42, 2), the shifted exponent's threshold (t^2/2 = 600, z^2 = 600) and the tails where each
function goes subnormal and then to 0. Then a seeded random screen against mpmath.
"""

import functools

import mpmath as mp
import numpy as np
import pytest
from grids import (
    FINITE,
    FLOATS,
    binade_grid,
    every_finite_float16,
    screen_inputs,
    special_values,
    worst_case,
)
from hypothesis import given, settings

from actlib import special
from actlib.testing import reference, ulp_error

# Beyond |x| = 1e4 (mpmath's erfc fails near 1e308) the functions are within 10^-(2e7) of their
# limits, far below any float, and are taken as the limits.
BIG = 10**4


def _guard(f, limit):
    def g(t):
        if mp.isnan(t):
            return t
        return limit(t) if abs(t) > BIG else f(t)

    return g


# name: (actlib's function, its exact definition in mpmath)
FUNCTIONS = {
    "erf": (special.erf, _guard(mp.erf, lambda t: mp.sign(t))),
    "erfc": (special.erfc, _guard(mp.erfc, lambda t: mp.mpf(2 if t < 0 else 0))),
    "ndtr": (special.ndtr, _guard(lambda t: mp.erfc(-t / mp.sqrt(2)) / 2,
                                  lambda t: mp.mpf(1 if t > 0 else 0))),
    "normal_pdf": (special.normal_pdf, _guard(mp.npdf, lambda t: mp.mpf(0))),
}
# The bars: float64 within 2 ULP (measured below 1.9: exp's error and about one rounding);
# float16 and float32 rounded once from float64, within 1 ULP (the accuracy rule).
BARS = {np.float64: 2.0, np.float32: 1.0, np.float16: 1.0}

# Where each function goes subnormal, then to 0: Phi and phi at x = -37.5 to -38.7, erfc at
# 26.5 to 27.3 (float64); Phi at -13 to -14.3, erfc at 9 to 10.1 (float32).
_TAILS = {np.float64: [(-39.0, -37.0), (26.0, 27.5), (37.0, 39.0), (34.0, 35.0), (24.0, 25.0)],
          np.float32: [(-14.5, -12.5), (9.0, 10.5), (12.5, 14.5)]}
_EDGES = (0.5, 1.42, 2.0)


@functools.cache
def grid(dtype):
    """The inputs, sorted, then -0 and NaN; read-only."""
    if dtype == np.float16:
        x = np.concatenate([every_finite_float16(), special_values(np.float16)])
    else:
        rng = np.random.default_rng(12)
        parts = [binade_grid(dtype, mantissas=2 if dtype == np.float64 else 5, seed=3),
                 special_values(dtype), np.linspace(-8, 8, 2001), rng.uniform(-1e-3, 1e-3, 300),
                 rng.uniform(-40, 40, 1500)]
        parts += [rng.uniform(lo, hi, 300) for lo, hi in _TAILS[dtype]]
        parts += [rng.uniform(s * e - 0.02, s * e + 0.02, 100) for e in _EDGES for s in (-1, 1)]
        with np.errstate(over="ignore"):
            x = np.concatenate(parts).astype(dtype)
    x = np.unique(x[~np.isnan(x)])
    x = np.concatenate([x, np.array([-0.0, np.nan], dtype=dtype)])
    x.flags.writeable = False
    return x


@functools.cache
def exact(name, dtype):
    return reference(FUNCTIONS[name][1], grid(dtype))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", FUNCTIONS)
def test_within_the_bar_on_the_whole_grid(name, dtype):
    x = grid(dtype)
    got = FUNCTIONS[name][0](x)
    assert got.dtype == dtype and got.shape == x.shape
    err = ulp_error(got, exact(name, dtype))
    bar = BARS[dtype]
    assert err.max() <= bar, (f"{name} {np.dtype(dtype).name}: {(err > bar).sum()} of {x.size} "
                              f"above {bar} ULP; " + worst_case(x, got, exact(name, dtype), err))


@pytest.mark.parametrize("name", FUNCTIONS)
def test_dense_screen_float64(name):
    # 4096 seeded inputs, half in [-40, 40] and half in [-5, 5], against mpmath
    x = np.concatenate(list(screen_inputs(np.float64, 4096, seed=5)))
    got = FUNCTIONS[name][0](x)
    ref = reference(FUNCTIONS[name][1], x)
    err = ulp_error(got, ref)
    assert err.max() <= BARS[np.float64], worst_case(x, got, ref, err)


def test_the_left_tail_keeps_relative_accuracy():
    # Phi(-37) = 5.7e-300 and erfc(26) = 5.7e-296: through x / sqrt(2) rounded, or 1 - Phi(37),
    # these would be off by thousands of ULP, or 0.
    x = np.array([-37.0, -38.0, -38.4])
    err = ulp_error(special.ndtr(x), reference(FUNCTIONS["ndtr"][1], x))
    assert (special.ndtr(x) > 0).all() and err.max() <= 2
    z = np.array([26.0, 26.5, 27.2])
    err = ulp_error(special.erfc(z), reference(FUNCTIONS["erfc"][1], z))
    assert (special.erfc(z) > 0).all() and err.max() <= 2


@pytest.mark.parametrize("dtype", FLOATS)
def test_limits_nan_and_zero(dtype):
    x = np.array([-np.inf, -0.0, 0.0, np.inf, np.nan], dtype)
    np.testing.assert_array_equal(special.erf(x), np.array([-1, -0.0, 0, 1, np.nan], dtype))
    assert np.signbit(special.erf(x)[1])  # erf(-0) = -0
    np.testing.assert_array_equal(special.erfc(x), np.array([2, 1, 1, 0, np.nan], dtype))
    np.testing.assert_array_equal(special.ndtr(x), np.array([0, 0.5, 0.5, 1, np.nan], dtype))
    c = dtype(1 / np.sqrt(2 * np.pi))
    np.testing.assert_array_equal(special.normal_pdf(x), np.array([0, c, c, 0, np.nan], dtype))


@settings(deadline=None, max_examples=60)
@given(x=FINITE[np.float64])
def test_symmetries(x):
    x = np.array([x, -x])
    erf, pdf = special.erf(x), special.normal_pdf(x)
    assert erf[0] == -erf[1] and pdf[0] == pdf[1]  # odd and even, exactly
    # Phi(x) + Phi(-x) = 1 and erf + erfc = 1, within the bars and the sum's rounding
    for total in (special.ndtr(x).sum(), special.erf(x[:1]) + special.erfc(x[:1])):
        assert abs(total - 1) <= 3 * 2.0**-53 + 2 * BARS[np.float64] * 2.0**-52


@pytest.mark.parametrize("name, sign", [("erf", 1), ("erfc", -1), ("ndtr", 1)])
def test_monotone_on_every_float16(name, sign):
    x = every_finite_float16()
    y = FUNCTIONS[name][0](x).astype(np.float64)
    assert (sign * np.diff(y) >= 0).all()


@pytest.mark.parametrize("name", FUNCTIONS)
def test_input_contract(name):
    f = FUNCTIONS[name][0]
    assert f(0.5).dtype == np.float64 and np.ndim(f(0.5)) == 0  # a NumPy scalar
    for dtype in FLOATS:
        assert f(np.array([0.5, -1.0], dtype)).dtype == dtype
    for dtype in (np.int8, np.uint64, np.bool_):
        np.testing.assert_array_equal(f(np.array([1, 0], dtype)), f(np.array([1.0, 0.0])))
    assert f(np.empty((2, 0), np.float32)).shape == (2, 0)
    x = np.random.default_rng(0).standard_normal((3, 4)) * 5
    before = x.copy()
    np.testing.assert_array_equal(f(x[:, ::2]), f(x[:, ::2].copy()))
    np.testing.assert_array_equal(f(x.tolist()), f(x))
    np.testing.assert_array_equal(f(x.astype(">f8")), f(x))
    np.testing.assert_array_equal(x, before)
    for bad in (np.array([1j]), np.array(["1"]), np.array([1.0], dtype=object)):
        with pytest.raises(TypeError, match=rf"{name}\(\) does not support dtype"):
            f(bad)
