"""Gated units: the accuracy rule on every pair grid (forward, both partials, backward for
gradients of every size), a dense screen, the split convention, limits, gradient checks."""

import math
from functools import partial

import mpmath
import numpy as np
import pytest
from grids import (
    BARS,
    FLOATS,
    GATED,
    GATED_KINDS,
    gated_backward_errors,
    gated_errors,
    screen_available,
    special_values,
    worst_case,
)
from hypothesis import given, settings
from hypothesis import strategies as st

import actlib
from actlib.testing import numerical_vjp, reference, ulp_error

FUNCTIONS = {"glu": actlib.glu, "swiglu": actlib.swiglu, "geglu": actlib.geglu,
             "geglu_tanh": partial(actlib.geglu, approximate="tanh")}


@pytest.mark.parametrize("kind", GATED_KINDS)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", GATED)
def test_ulp_bars_against_mpmath(name, dtype, kind):
    x, computed, exact, err = gated_errors(name, kind, dtype)
    assert computed.dtype == dtype
    bar = BARS[dtype][0 if kind == "forward" else 1]
    assert err.max() <= bar, (
        f"{name} {kind} {np.dtype(dtype).name}: {(err > bar).sum()} of {err.size} above {bar} "
        "ULP; " + worst_case(x[:, 0], computed, exact, err) + f" (b = {x[np.argmax(err), 1]!r})"
    )


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", GATED)
def test_backward_within_the_bars_for_gradients_of_every_size(name, dtype):
    x, g, computed, exact, err = gated_backward_errors(name, dtype)
    assert computed.dtype == dtype and computed.shape == x.shape
    bar = BARS[dtype][1]
    i, j = np.unravel_index(np.argmax(err), err.shape)
    assert err.max() <= bar, (name, dtype, x[i], g[i], computed[i], exact[i], err[i, j])


# Pairs where the rounded sigmoid times a goes over the bar: a * sigmoid(b) 3.40 ULP (on every
# kernel set), a * sigmoid'(b) 4.10 ULP (with NumPy's AVX-512 exp; 2.10 on the baseline kernels);
# and tails where sigmoid'(b) is subnormal or 0 but the products are floats.
HARD_FORWARD = (1.9933299537826485, 0.0066507861103719534)
HARD_DERIVATIVE = (1.971354665165173, -4.1134040474937095)
TAILS = [(1e300, -740.0), (1e300, -800.0), (np.finfo(np.float64).max, 0.5), (3.0, -1500.0)]


def _exact_pair(a, b):
    with mpmath.workprec(200):
        s = 1 / (1 + mpmath.exp(-mpmath.mpf(b)))
        return mpmath.mpf(a) * s, mpmath.mpf(a) / (4 * mpmath.cosh(mpmath.mpf(b) / 2) ** 2), s


def test_products_rounded_nearly_once_where_the_rounded_sigmoid_is_not_enough():
    act = actlib.GLU()
    y, _, _ = _exact_pair(*HARD_FORWARD)
    x = np.array(HARD_FORWARD)
    assert ulp_error(np.array([x[0] * actlib.sigmoid(x[1])]), np.array([y]))[0] > 3
    assert ulp_error(act(x), np.array([y]))[0] <= 3
    _, dy, _ = _exact_pair(*HARD_DERIVATIVE)
    assert ulp_error(act.gradient(np.array(HARD_DERIVATIVE))[1], np.array([dy]))[0] <= 4


@pytest.mark.parametrize("a, b", TAILS)
def test_tails_keep_their_bits(a, b):
    act = actlib.GLU()
    x = np.array([a, b])
    y, dy, s = _exact_pair(a, b)
    assert ulp_error(act(x), np.array([y]))[0] <= 3
    assert ulp_error(act.gradient(x)[1], np.array([dy]))[0] <= 4
    g = 1e-300 if abs(a) > 1 else 1e300
    with mpmath.workprec(200):
        exact = np.array([mpmath.mpf(g) * s, mpmath.mpf(g) * dy], dtype=object)
    assert ulp_error(act.backward(x, [g]), exact).max() <= 4


def test_the_split_convention():
    # PyTorch's F.glu and JAX's glu: a is the first half, b the second, y = a * sigmoid(b);
    # Shazeer's SwiGLU: silu(first half) * second half
    x = np.array([[1.0, 2.0, 3.0, -1.0, 0.0, 2.0]])
    a, b = x[:, :3], x[:, 3:]
    np.testing.assert_allclose(actlib.glu(x), a * actlib.sigmoid(b), rtol=1e-15)
    silu = a * actlib.sigmoid(a)
    np.testing.assert_allclose(actlib.swiglu(x), silu * b, rtol=1e-15)
    # along another axis
    y = np.moveaxis(np.stack([x, 2 * x, -x]), 0, 2)  # (1, 6, 3)
    for f in FUNCTIONS.values():
        np.testing.assert_array_equal(f(y, axis=1)[..., 1], f(2 * x))
        assert f(y, axis=1).shape == (1, 3, 3)


@pytest.mark.parametrize("name", GATED)
def test_odd_lengths_and_bad_axes(name):
    act, f = GATED[name][0], FUNCTIONS[name]
    label, name = type(act).__name__, name.removesuffix("_tanh")  # geglu_tanh: geglu()
    with pytest.raises(ValueError, match=rf"{name}\(\): axis 1 has odd length 3"):
        f(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=rf"{label}.gradient\(\): axis 0 has odd length 5"):
        type(act)(axis=0).gradient(np.zeros((5, 2)))
    with pytest.raises(ValueError, match=rf"{label}.backward\(\): axis 0 has odd length"):
        act.backward(np.zeros(3), np.zeros(1))
    with pytest.raises(np.exceptions.AxisError, match=rf"{name}\(\)"):
        f(np.zeros((2, 2)), axis=2)
    with pytest.raises(np.exceptions.AxisError):
        f(1.0)  # a 0-d input has no axis
    for axis in (1.0, None, True, "0"):
        with pytest.raises(TypeError, match="axis"):
            type(act)(axis=axis)
    with pytest.raises(ValueError, match=rf"{label}.backward\(\): grad_output has shape"):
        act.backward(np.zeros((2, 4)), np.zeros((2, 4)))
    assert repr(type(act)(axis=0)).startswith(f"{label}(axis=0")  # GEGLU: approximate too


@pytest.mark.parametrize("name", GATED)
def test_shapes_dtypes_and_empty(name):
    act = GATED[name][0]
    for dtype in FLOATS:
        x = np.ones((3, 4), dtype)
        assert act(x).shape == (3, 2) and act(x).dtype == dtype
        da, db = act.gradient(x)
        assert da.shape == db.shape == (3, 2) and da.dtype == db.dtype == dtype
        out = act.backward(x, np.ones((3, 2), dtype))
        assert out.shape == x.shape and out.dtype == dtype
    assert act(np.array([1, 2])).dtype == np.float64
    assert act(np.empty((0, 4))).shape == (0, 2) and act(np.empty((3, 0))).shape == (3, 0)
    assert act.backward(np.empty((3, 0)), np.empty((3, 0))).shape == (3, 0)
    x = np.arange(8.0).reshape(2, 4)
    before = x.copy()
    act(x), act.gradient(x), act.backward(x, x[:, :2])
    np.testing.assert_array_equal(x, before)
    with pytest.raises(TypeError, match=rf"{name.removesuffix('_tanh')}\(\) does not support "
                       "dtype complex128"):
        FUNCTIONS[name](np.zeros(2, complex))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", GATED)
def test_every_pair_of_extremes_warns_on_nothing(name, dtype):
    # +-0, subnormals, +-1, +-max, +-inf and NaN as a and b, and as g: conftest turns every
    # floating-point warning into a failure; a product beyond the largest float is +-inf
    v = special_values(dtype)
    a, b = (u.ravel() for u in np.meshgrid(v, v))
    x = np.stack([a, b], axis=-1)
    act = GATED[name][0]
    y = act(x)
    da, db = act.gradient(x)
    for g in (np.ones_like(a), a, np.full_like(a, np.finfo(dtype).max)):
        act.backward(x, g[:, None])
    finite = np.isfinite(a) & np.isfinite(b)
    assert not np.isnan(y[finite]).any() and not np.isnan(da[finite]).any()
    assert np.isnan(y[np.isnan(a) | np.isnan(b)]).all()


def test_limits():
    inf, nan = np.inf, np.nan
    x = np.array([[inf, 0.0], [inf, -800.0], [inf, -inf], [2.0, inf], [2.0, -inf],
                  [-inf, 1.0], [nan, 1.0], [1.0, nan]])
    np.testing.assert_array_equal(actlib.glu(x)[:, 0], [inf, inf, nan, 2.0, 0.0, -inf, nan, nan])
    x = np.array([[inf, 2.0], [-inf, 2.0], [-inf, inf], [inf, 0.0], [3.0, inf], [-3.0, -inf]])
    np.testing.assert_array_equal(actlib.swiglu(x)[:, 0], [inf, 0.0, nan, nan, inf, inf])
    da, db = actlib.SwiGLU().gradient(x)
    np.testing.assert_array_equal(db[:, 0], [inf, 0.0, 0.0, inf, 3 * actlib.sigmoid(3.0),
                                             -3 * actlib.sigmoid(-3.0)])
    np.testing.assert_array_equal(da[:2, 0], [2.0, 0.0])


def test_products_beyond_the_largest_float_are_inf_quietly():
    big = np.finfo(np.float64).max
    x = np.array([[big, big], [4.0, big], [0.25, big]])
    y = actlib.swiglu(x)[:, 0]
    assert y[0] == y[1] == np.inf  # silu(4) = 3.93: beyond the largest float
    exact = reference(lambda t: t / (1 + mpmath.exp(-t)) * mpmath.mpf(big), [0.25])
    assert ulp_error(y[2:], exact)[0] <= 3
    out = actlib.GLU().backward(np.array([[big, 0.0]]), [[big]])
    assert out[0, 0] == big / 2 and out[0, 1] == np.inf


@pytest.mark.parametrize("name", GATED)
def test_gradient_checks_by_central_differences(name):
    rng = np.random.default_rng(4)
    act, f = GATED[name][0], FUNCTIONS[name]
    x = rng.standard_normal((5, 6)) * 2
    g = rng.standard_normal((5, 3))
    numeric = numerical_vjp(f, x, g)
    assert np.max(np.abs(act.backward(x, g) - numeric)) <= 1e-8 * np.max(np.abs(numeric))
    da, db = act.gradient(x)
    np.testing.assert_allclose(act.backward(x, g), np.concatenate([g * da, g * db], axis=-1),
                               rtol=1e-14, atol=1e-300)


@settings(deadline=None, max_examples=60)
@given(data=st.data(), dtype=st.sampled_from(FLOATS))
def test_glu_is_between_zero_and_a(data, dtype):
    # finite a and b (inf * sigmoid(-inf) is NaN: test_limits)
    finite = st.floats(allow_nan=False, allow_infinity=False, width=np.finfo(dtype).bits)
    pairs = data.draw(st.lists(st.tuples(finite, finite), min_size=1, max_size=20))
    x = np.array(pairs, dtype)
    y = actlib.glu(x)[:, 0]
    a = x[:, 0]
    assert (np.abs(y) <= np.abs(a)).all() and ((y == 0) | (np.sign(y) == np.sign(a))).all()


def _ld_sigmoid_terms(t):
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(t))
    return np.where(t >= 0, 1, e) / (1 + e), e / (1 + e) ** 2


@pytest.mark.skipif(not screen_available(), reason="needs a 64-bit long double significand")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dense_screen(dtype):
    # a and g random over 40 binades, b where the sigmoid bends; against long double, the worst
    # few measured again in mpmath
    rng = np.random.default_rng(8)
    n = 2**20
    b = np.concatenate([rng.uniform(-40, 40, n // 2), rng.uniform(-5, 5, n // 2)]).astype(dtype)
    a, g = ((rng.uniform(1, 2, n) * 2.0 ** rng.integers(-20, 20, n)
             * rng.choice([-1, 1], n)).astype(dtype) for _ in range(2))
    L = np.longdouble
    al, bl, gl = a.astype(L), b.astype(L), g.astype(L)
    s, ds = _ld_sigmoid_terms(bl)
    sa, dsa = _ld_sigmoid_terms(al)
    glu, swi = actlib.GLU(), actlib.SwiGLU()
    x = np.stack([a, b], axis=-1)
    got = {"glu": glu(x)[:, 0], "glu db": glu.gradient(x)[1][:, 0],
           "glu backward a": glu.backward(x, g[:, None])[:, 0],
           "glu backward b": glu.backward(x, g[:, None])[:, 1],
           "swiglu": swi(x)[:, 0], "swiglu db": swi.gradient(x)[1][:, 0],
           "swiglu backward b": swi.backward(x, g[:, None])[:, 1]}
    with np.errstate(under="ignore"):  # the references' own products of tiny values
        references = [al * s, al * ds, gl * s, gl * al * ds, al * sa * bl, al * sa, gl * al * sa]
    cases = {label: (got[label], ld) for label, ld in zip(got, references, strict=True)}
    bars = {"glu": 0, "swiglu": 0, "swiglu db": 1}
    for label, (got, ld) in cases.items():
        err = ulp_error(got, ld)
        worst = np.argsort(err)[-4:]
        name = label.split()[0]
        for i in worst:
            row = [mpmath.mpf(float(v)) for v in x[i]]
            with mpmath.workprec(200):
                if label.endswith("backward a"):
                    exact = mpmath.mpf(float(g[i])) * GATED[name][2](*row)
                elif label.endswith("backward b"):
                    exact = mpmath.mpf(float(g[i])) * GATED[name][3](*row)
                else:
                    exact = GATED[name][1 if " " not in label else 3](*row)
            e = ulp_error(np.array([got[i]]), np.array([exact], dtype=object))[0]
            bar = BARS[dtype][bars.get(label, 1)]
            assert e <= bar, (label, x[i], g[i], e)
            assert abs(e - err[i]) <= 0.01


# ----------------------------------------------------------------------------------------------
# GEGLU is built on actlib's GELU. Its composition (the split, the exact products, the limits,
# the parameter) is tested here with a stand-in GELU from math.erfc; the accuracy of the whole,
# with actlib's own GELU, by the tests above once GELU is registered in grids.GATED.


def _stub_gelu(v, approximate="none"):
    v = np.asarray(v, np.float64)
    with np.errstate(all="ignore"):
        if approximate == "tanh":
            out = 0.5 * v * (1 + np.tanh(np.sqrt(2 / np.pi) * (v + 0.044715 * v**3)))
        else:
            out = v * 0.5 * np.vectorize(math.erfc)(-v / np.sqrt(2))
    return np.where(v == -np.inf, 0.0, out)


class _StubGELU:
    def __init__(self, approximate="none"):
        self.approximate = approximate

    def gradient(self, v):
        v = np.asarray(v, np.float64)
        with np.errstate(all="ignore"):
            if self.approximate == "tanh":
                k, c = np.sqrt(2 / np.pi), 0.044715
                t = np.tanh(k * (v + c * v**3))
                d = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * k * (1 + 3 * c * v * v)
            else:
                cdf = 0.5 * np.vectorize(math.erfc)(-v / np.sqrt(2))
                d = cdf + v * np.exp(-v * v / 2) / np.sqrt(2 * np.pi)
        return np.where(v == np.inf, 1.0, np.where(v == -np.inf, 0.0, d))


@pytest.fixture
def stub_gelu(monkeypatch):
    monkeypatch.setattr(actlib, "gelu", _stub_gelu, raising=False)
    monkeypatch.setattr(actlib, "GELU", _StubGELU, raising=False)


def test_geglu_composition_with_a_stand_in_gelu(stub_gelu):
    rng = np.random.default_rng(9)
    x = np.column_stack([rng.standard_normal(400) * 3, rng.standard_normal(400) * 10.0 **
                         rng.uniform(-3, 3, 400)])
    act = actlib.GEGLU()
    y = act(x)[:, 0]
    # GELU's value times b, rounded once: half an ULP beyond GELU's own error, whatever it is
    # (this stand-in's is large where erfc's argument rounds: that is not what is tested here)
    with mpmath.workprec(200):
        exact = np.array([mpmath.mpf(float(v)) * mpmath.mpf(b) for v, b in
                          zip(_stub_gelu(x[:, 0]), x[:, 1], strict=True)], dtype=object)
    assert ulp_error(y, exact).max() <= 0.5 + 1e-6
    g_big = np.full((400, 1), 1e300)
    with mpmath.workprec(200):  # backward's b-half, g gelu(a), with g = 1e300: rounded once too
        exact = np.array([mpmath.mpf(1e300) * mpmath.mpf(float(v)) for v in _stub_gelu(x[:, 0])],
                         dtype=object)
    assert ulp_error(actlib.GEGLU().backward(x, g_big)[:, 1], exact).max() <= 0.5 + 1e-6
    np.testing.assert_array_equal(actlib.geglu(x), act(x))
    # the activation on the first half, the second half linear
    np.testing.assert_allclose(y, _stub_gelu(x[:, 0]) * x[:, 1], rtol=1e-15)
    g = rng.standard_normal((400, 1))
    for approximate in ("none", "tanh"):
        act = actlib.GEGLU(approximate=approximate)
        xs = x[:8] / 3
        numeric = numerical_vjp(partial(actlib.geglu, approximate=approximate), xs, g[:8])
        assert np.max(np.abs(act.backward(xs, g[:8]) - numeric)) <= 1e-8 * np.max(np.abs(numeric))
        da, db = act.gradient(xs)
        np.testing.assert_allclose(act.backward(xs, g[:8]), np.concatenate([g[:8] * da, g[:8] * db],
                                                                            axis=-1), rtol=1e-14)


def test_geglu_limits_and_extremes_warn_on_nothing(stub_gelu):
    inf, nan = np.inf, np.nan
    x = np.array([[inf, 2.0], [-inf, 2.0], [-inf, inf], [3.0, inf], [-40.0, inf], [nan, 1.0],
                  [1e308, 10.0]])
    y = actlib.geglu(x)[:, 0]
    np.testing.assert_array_equal(y, [inf, 0.0, nan, inf, -inf, nan, inf])
    da, db = actlib.GEGLU().gradient(x)
    np.testing.assert_array_equal(db[:, 0], _stub_gelu(x[:, 0]))
    assert da[4, 0] == -inf  # gelu'(-40) underflows but is negative
    v = special_values(np.float64)
    a, b = (u.ravel() for u in np.meshgrid(v, v))
    pairs = np.stack([a, b], axis=-1)
    for approximate in ("none", "tanh"):
        act = actlib.GEGLU(approximate=approximate)
        act(pairs), act.gradient(pairs), act.backward(pairs, np.ones((a.size, 1)))


def test_geglu_parameters():
    assert repr(actlib.GEGLU()) == "GEGLU(axis=-1, approximate='none')"
    assert repr(actlib.GEGLU(axis=0, approximate="tanh")) == "GEGLU(axis=0, approximate='tanh')"
    for bad in ("erf", "Tanh", ""):
        with pytest.raises(ValueError, match=r"GEGLU\(\): approximate must be 'none' or 'tanh'"):
            actlib.GEGLU(approximate=bad)
        with pytest.raises(ValueError, match=r"geglu\(\): approximate"):
            actlib.geglu(np.zeros(2), approximate=bad)
    for bad in (None, True, 1):
        with pytest.raises(TypeError, match=r"GEGLU\(\): approximate"):
            actlib.GEGLU(approximate=bad)
    with pytest.raises(ValueError, match=r"geglu\(\): axis 0 has odd length 3"):
        actlib.geglu(np.zeros(3))
    with pytest.raises(TypeError, match=r"geglu\(\): axis"):
        actlib.geglu(np.zeros(2), axis=1.0)
