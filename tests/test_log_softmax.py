"""Log-softmax: ULP bars beyond the rounding of x_i - max, the Jacobian, the O(n) VJP within its
conditioning, the tails np.log(softmax) loses, limits, a dense screen, properties."""

import mpmath
import numpy as np
import pytest
from grids import (
    FINITE,
    FLOATS,
    JAC_MAX_LEN,
    SOFTMAX_BARS,
    grad_outputs,
    log_softmax_exact,
    log_softmax_jacobian_exact,
    log_softmax_reference,
    log_softmax_vjp_exact,
    screen_available,
    softmax_exact,
    softmax_reference,
    softmax_rows,
    softmax_screen_rows,
    vjp_error,
    worst_case,
    worst_of,
)
from hypothesis import given, settings
from hypothesis import strategies as st

import actlib
from actlib.testing import numerical_jacobian, numerical_vjp, relative_error, ulp_error

LS = actlib.LogSoftmax()
# The bars are softmax's (grids.SOFTMAX_BARS): float64 4 ULP (forward, Jacobian) and 4 units of
# eps * sum_i |J_ij g_i| (backward); float32 and float16 1.


@pytest.mark.parametrize("dtype", FLOATS)
def test_forward_ulp_bar(dtype):
    results = []
    for row, exact in zip(softmax_rows(dtype), log_softmax_reference(dtype), strict=True):
        y = LS(row)
        assert y.dtype == dtype
        err = ulp_error(y, exact)
        results.append((err.max(), f"row of {row.size}: " + worst_case(row, y, exact, err)))
    worst, where = worst_of(results)
    assert worst <= SOFTMAX_BARS[dtype], where


@pytest.mark.parametrize("dtype", FLOATS)
def test_jacobian_against_mpmath(dtype):
    results = []
    rows = softmax_rows(dtype, JAC_MAX_LEN)
    for row, p in zip(rows, softmax_reference(dtype, JAC_MAX_LEN), strict=True):
        jac = LS.gradient(row)
        assert jac.shape == (row.size, row.size) and jac.dtype == dtype
        exact = log_softmax_jacobian_exact(p)
        err = ulp_error(jac, exact)
        i, j = np.unravel_index(np.argmax(err), err.shape)
        results.append((err.max(), f"row {row!r}, J[{i}, {j}] = {jac[i, j]!r}, exact "
                                   f"{float(exact[i, j])!r}: {err.max():.3f} ULP"))
    worst, where = worst_of(results)
    assert worst <= SOFTMAX_BARS[dtype], where


@pytest.mark.parametrize("dtype", FLOATS)
def test_backward_within_the_vjp_conditioning(dtype):
    rows = softmax_rows(dtype, JAC_MAX_LEN)
    results = []
    for row, p, g in zip(rows, softmax_reference(dtype, JAC_MAX_LEN),
                         grad_outputs(dtype, JAC_MAX_LEN), strict=True):
        value, cond = log_softmax_vjp_exact(p, g)
        out = LS.backward(row, g)
        assert out.dtype == dtype and out.shape == row.shape
        err = vjp_error(out, value, cond, dtype)
        results.append((err.max(), f"x = {row!r}, g = {g!r}: {err.max():.3f} eps * cond"))
    worst, where = worst_of(results)
    assert worst <= SOFTMAX_BARS[dtype], where


def test_the_tails_np_log_of_softmax_loses():
    # p_0 = 1 - 5.1e-131 rounds to 1 and p_1 = e^-800 underflows: log(p) gives 0 and -inf
    x = np.array([[0.0, -300.0], [0.0, -800.0]])
    y = actlib.log_softmax(x)
    assert y[0, 0] == -np.exp(-300.0) and y[1, 1] == -800.0
    with np.errstate(divide="ignore", under="ignore"):
        naive = np.log(actlib.softmax(x))
    assert naive[0, 0] == 0 and naive[1, 1] == -np.inf
    for row, got in zip(x, y, strict=True):
        assert ulp_error(got, log_softmax_exact(row)).max() <= 0.5


def test_dominated_rows_keep_their_small_gradients():
    # 1 - p_0 = 4.2e-18: the Jacobian's diagonal and backward keep it (1 - p_0 would be 0)
    x, g = np.array([0.0, -40.0]), np.array([1.0, 0.0])
    p = softmax_exact(x)
    value, cond = log_softmax_vjp_exact(p, g)
    assert vjp_error(LS.backward(x, g), value, cond, np.float64).max() <= 1
    assert LS.backward(x, g)[0] > 0
    assert ulp_error(LS.gradient(x), log_softmax_jacobian_exact(p)).max() <= 1


@pytest.mark.parametrize("gap", [700.0, 745.0, 800.0, 1200.0])
def test_backward_where_p_is_subnormal_or_zero(gap):
    # p_1 = exp(-gap) is subnormal or 0, g large: p_1 sum(g) is still a float, kept exactly
    for size in (1.0, 1e100, 1e300):
        x, g = np.array([0.0, -gap, -3.0]), np.array([0.5, 1.0, -2.0]) * size
        value, cond = log_softmax_vjp_exact(softmax_exact(x), g)
        err = vjp_error(LS.backward(x, g), value, cond, np.float64)
        assert err.max() <= SOFTMAX_BARS[np.float64], (gap, size, err)


def test_backward_with_grad_outputs_near_the_largest_float():
    # sum(g) overflows although the VJP is finite: g = [max, max] on equal scores gives 0
    big = float(np.finfo(np.float64).max)
    x = np.array([[0.0, 0.0], [0.0, 1.0], [2.0, -1.0]])
    g = np.array([[big, big], [big, -big / 2], [-big, -big]])
    for axis, xs, gs in [(-1, x, g), (0, x.T.copy(), g.T.copy())]:
        y = actlib.LogSoftmax(axis=axis).backward(xs, gs)
        for row, grad, got in zip(x, g, y if axis == -1 else y.T, strict=True):
            value, cond = log_softmax_vjp_exact(softmax_exact(row), grad)
            assert np.isfinite(got).all()
            assert vjp_error(got, value, cond, np.float64).max() <= SOFTMAX_BARS[np.float64]


@pytest.mark.parametrize("dtype", FLOATS)
def test_limits_without_warnings(dtype):
    inf, nan = np.inf, np.nan
    x = np.array([
        [-inf, 0.0, 0.0],     # -inf gets log-probability -inf
        [-inf, -inf, -inf],   # no distribution: NaN
        [inf, 1.0, inf],      # +inf entries share the mass: -log 2 each
        [nan, 0.0, 1.0],      # NaN anywhere: the row is NaN
        [np.finfo(dtype).max, -np.finfo(dtype).max, 0.0],  # x - max overflows to -inf
    ], dtype=dtype)
    y = actlib.log_softmax(x)
    log2 = dtype(-np.log(2.0))
    expected = np.array([[-inf, log2, log2], [nan] * 3, [log2, -inf, log2], [nan] * 3,
                         [0, -inf, -np.finfo(dtype).max]], dtype)
    np.testing.assert_array_equal(y, expected)
    jac = LS.gradient(x)
    assert np.isnan(jac[1]).all() and np.isnan(jac[3]).all()
    np.testing.assert_array_equal(jac[0], [[1, -0.5, -0.5], [0, 0.5, -0.5], [0, -0.5, 0.5]])
    out = LS.backward(x, np.broadcast_to(np.array([1.0, 2.0, 3.0], dtype), x.shape))
    assert np.isnan(out[1]).all() and np.isnan(out[3]).all()
    np.testing.assert_array_equal(out[0], np.array([1, -1, 0], dtype))  # g - p sum(g)


def test_gradient_checks_by_central_differences():
    rng = np.random.default_rng(5)
    for n in (1, 2, 5, 12):
        x = rng.standard_normal(n) * 3
        assert relative_error(LS.gradient(x), numerical_jacobian(actlib.log_softmax, x)) < 1e-7
        g = rng.standard_normal(n)
        # entries near 0 carry the differences' rounding (eps |log p| / h): judged on the whole
        numeric = numerical_vjp(actlib.log_softmax, x, g)
        assert np.max(np.abs(LS.backward(x, g) - numeric)) <= 1e-8 * np.max(np.abs(numeric))
    x, g = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    numeric = numerical_vjp(actlib.log_softmax, x, g)
    assert np.max(np.abs(LS.backward(x, g) - numeric)) <= 1e-8 * np.max(np.abs(numeric))


def test_non_last_axis_and_jacobian_layout():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((4, 3, 5))
    act = actlib.LogSoftmax(axis=1)
    y = act(x)
    np.testing.assert_array_equal(y, np.moveaxis(actlib.log_softmax(np.moveaxis(x, 1, -1)),
                                                  -1, 1))
    jac = act.gradient(x)
    assert jac.shape == x.shape + (3,)
    for a, b in [(0, 0), (2, 4), (3, 1)]:
        np.testing.assert_array_equal(jac[a, :, b, :], LS.gradient(x[a, :, b]))
    g = rng.standard_normal(x.shape)
    np.testing.assert_allclose(act.backward(x, g), np.einsum("aibj,aib->ajb", jac, g),
                               rtol=1e-12, atol=1e-15)
    assert repr(act) == "LogSoftmax(axis=1)" and repr(LS) == "LogSoftmax(axis=-1)"


@pytest.mark.parametrize("shape", [(0,), (0, 3), (3, 0)])
def test_empty(shape):
    x = np.empty(shape)
    assert LS(x).shape == shape
    assert LS.gradient(x).shape == shape + (shape[-1],)
    assert LS.backward(x, x).shape == shape


@settings(deadline=None, max_examples=60)
@given(ks=st.lists(st.integers(-2**20, 2**20), min_size=1, max_size=30),
       c=st.integers(-2**20, 2**20))
def test_shift_invariance_exact(ks, c):
    x = np.array(ks, dtype=np.float64) / 1024
    np.testing.assert_array_equal(actlib.log_softmax(x + c), actlib.log_softmax(x))


@settings(deadline=None, max_examples=80)
@given(data=st.data(), dtype=st.sampled_from(FLOATS))
def test_at_most_zero_and_exp_sums_to_one(data, dtype):
    n = data.draw(st.integers(1, 30))
    x = np.array(data.draw(st.lists(FINITE[dtype], min_size=n, max_size=n)), dtype)
    y = actlib.log_softmax(x)
    assert (y <= 0).all()
    g = np.array(data.draw(st.lists(FINITE[dtype], min_size=n, max_size=n)), dtype)
    LS.backward(x, g)  # no warning for any pair (conftest)
    if np.isfinite(x).all():
        with np.errstate(under="ignore"):
            total = np.sum(np.exp(y.astype(np.float64)))
        assert abs(total - 1) <= (SOFTMAX_BARS[dtype] + n) * np.finfo(dtype).eps * 4


def _ld_others(x):
    """For a batch of rows in long double: the index ``k`` of each row's largest entry, the
    differences ``d = x - x_k`` (rounded as softmax rounds them) and ``e^d`` with ``e^0`` at
    ``k`` set to 0."""
    k = np.argmax(x, axis=-1, keepdims=True)
    m = np.take_along_axis(x, k, axis=-1)
    if x.dtype == np.float64:
        d = (x - m).astype(np.longdouble)
    else:
        d = x.astype(np.longdouble) - m.astype(np.longdouble)
    with np.errstate(under="ignore"):
        e = np.exp(d)
    np.put_along_axis(e, k, 0, axis=-1)
    return k, d, e


def _ld_log_softmax(x):
    """Log-softmax of a batch of rows in long double, from softmax's rounded differences."""
    _, d, e = _ld_others(x)
    return d - np.log1p(e.sum(axis=-1, keepdims=True))


@pytest.mark.skipif(not screen_available(), reason="needs a 64-bit long double significand")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dense_screen(dtype):
    # softmax's screen rows (lengths 2 to 1000, six families), against long double; the worst
    # eight rows measured again in mpmath
    kept = []
    for case, _start, x, _ in softmax_screen_rows(dtype, 2**19, seed=3):
        y = actlib.log_softmax(x)
        err = ulp_error(y, _ld_log_softmax(x)).max(axis=-1)
        for i in np.argsort(err)[-2:]:
            kept.append((err[i], case, x[i], y[i]))
    kept = sorted(kept, key=lambda item: -item[0])[:8]
    for screened, case, row, y in kept:
        err = ulp_error(y, log_softmax_exact(row)).max()
        assert err <= SOFTMAX_BARS[dtype], (case, err, row)
        assert abs(err - screened) <= 0.01


def _ld_log_softmax_vjp(x, g):
    """``g - p sum(g)`` and its conditioning for a batch of rows in long double, as
    :func:`grids.log_softmax_vjp_exact`: the largest entry as ``(g_k r - sum_{i != k} g_i) / s``
    with ``r`` the others' exponentials' sum and ``s = 1 + r``."""
    k, _, e = _ld_others(x)
    r = e.sum(axis=-1, keepdims=True)
    s = 1 + r
    np.put_along_axis(e, k, 1, axis=-1)
    p = e / s
    g = g.astype(np.longdouble)
    g_k = np.take_along_axis(g, k, axis=-1)
    others_g = g.copy()
    np.put_along_axis(others_g, k, 0, axis=-1)
    rest = others_g.sum(axis=-1, keepdims=True)  # not sum - g_k, which cancels
    value = g - p * (rest + g_k)
    np.put_along_axis(value, k, (g_k * r - rest) / s, axis=-1)
    others = (s - e) / s  # 1 - p_j, the largest's as r / s
    np.put_along_axis(others, k, r / s, axis=-1)
    cond = np.abs(g) * others + p * (np.abs(g).sum(axis=-1, keepdims=True) - np.abs(g))
    return value, cond


@pytest.mark.skipif(not screen_available(), reason="needs a 64-bit long double significand")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dense_screen_backward(dtype):
    kept = []
    for case, _start, x, g in softmax_screen_rows(dtype, 2**19, seed=4, grads=True):
        y = LS.backward(x, g)
        value, cond = _ld_log_softmax_vjp(x, g)
        err = vjp_error(y, value, cond, dtype).max(axis=-1)
        for i in np.argsort(err)[-2:]:
            kept.append((err[i], case, x[i], g[i], y[i]))
    kept = sorted(kept, key=lambda item: -item[0])[:8]
    for screened, case, row, g, y in kept:
        value, cond = log_softmax_vjp_exact(softmax_exact(row), g)
        err = vjp_error(y, value, cond, dtype).max()
        assert err <= SOFTMAX_BARS[dtype], (case, err, row, g)
        assert abs(err - screened) <= 0.01


def test_mpmath_reference_is_the_log_of_softmax():
    # the references agree with each other where log p_i is not tiny
    for row in softmax_rows(np.float64, 8)[:20]:
        with mpmath.workprec(200):
            for a, p in zip(log_softmax_exact(row), softmax_exact(row), strict=True):
                if p > 0 and abs(a) > 1e-10:
                    assert abs(a - mpmath.log(p)) <= 1e-40 * abs(a)


def test_axis_errors_name_the_function():
    x = np.zeros((2, 3))
    for axis in (2, -3):
        with pytest.raises(np.exceptions.AxisError, match=r"log_softmax\(\)"):
            actlib.log_softmax(x, axis=axis)
        for method in ("gradient", "backward"):
            with pytest.raises(np.exceptions.AxisError, match=rf"LogSoftmax.{method}\(\)"):
                args = (x, x) if method == "backward" else (x,)
                getattr(actlib.LogSoftmax(axis=axis), method)(*args)
    with pytest.raises(np.exceptions.AxisError):
        actlib.log_softmax(3.0)  # a 0-d array has no axis
    for axis in (1.0, "1", None, True):
        with pytest.raises(TypeError, match=r"log_softmax\(\): axis"):
            actlib.log_softmax(x, axis=axis)
        with pytest.raises(TypeError, match=r"LogSoftmax\(\): axis"):
            actlib.LogSoftmax(axis=axis)
    np.testing.assert_array_equal(actlib.log_softmax(x, axis=np.array(0)),
                                  actlib.log_softmax(x, axis=0))


def test_a_subnormal_sum_of_the_others_raises_no_underflow():
    # log1p of a subnormal r: NumPy's baseline kernels flag underflow (the dense screen met it);
    # the result is -r, the top entry of [0, -740]
    for dtype in FLOATS:
        y = actlib.log_softmax(np.array([0.0, -740.0, -745.0], dtype))
        assert y.dtype == dtype and y[0] <= 0
    y = actlib.log_softmax(np.array([0.0, -740.0]))
    assert ulp_error(y, log_softmax_exact(np.array([0.0, -740.0]))).max() <= 0.5
