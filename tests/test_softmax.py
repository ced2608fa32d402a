"""Softmax: ULP bars beyond exp(x_i - max)'s conditioning; Jacobian, VJP, limits, properties."""

import importlib

import mpmath
import numpy as np
import pytest
from grids import (
    FINITE,
    FLOATS,
    JAC_MAX_LEN,
    SOFTMAX_BARS,
    draw_grad_outputs,
    grad_outputs,
    softmax_exact,
    softmax_jacobian_reference,
    softmax_reference,
    softmax_rows,
    vjp_error,
    vjp_exact,
    worst_case,
    worst_of,
)
from hypothesis import given, settings
from hypothesis import strategies as st

import actlib
from actlib.testing import numerical_jacobian, numerical_vjp, relative_error, ulp_error

softmax_module = importlib.import_module("actlib.softmax")  # actlib.softmax is the function
SM = actlib.Softmax()
# One bar, grids.SOFTMAX_BARS, for the forward, the Jacobian and backward. The Jacobian as plain
# -p_i p_j in float64 reached 6.1 ULP here; the exact row sum and error-free products of
# Softmax.gradient bring it to 2.0. backward: |error| <= K * eps * sum_i |J_ij g_i|.


@pytest.mark.parametrize("dtype", FLOATS)
def test_forward_ulp_bar(dtype):
    results = []
    for row, exact in zip(softmax_rows(dtype), softmax_reference(dtype), strict=True):
        p = SM(row)
        assert p.dtype == dtype
        err = ulp_error(p, exact)
        results.append((err.max(), f"row of {row.size}: " + worst_case(row, p, exact, err)))
    worst, where = worst_of(results)
    assert worst <= SOFTMAX_BARS[dtype], where


@pytest.mark.parametrize("dtype", FLOATS)
def test_jacobian_against_mpmath(dtype):
    results = []
    rows = softmax_rows(dtype, JAC_MAX_LEN)
    for row, exact in zip(rows, softmax_jacobian_reference(dtype, JAC_MAX_LEN), strict=True):
        jac = SM.gradient(row)
        assert jac.shape == (row.size, row.size) and jac.dtype == dtype
        err = ulp_error(jac, exact)
        i, j = np.unravel_index(np.argmax(err), err.shape)
        results.append((err.max(), f"row {row!r}, J[{i}, {j}] = {jac[i, j]!r}, exact "
                                   f"{float(exact[i, j])!r}: {err.max():.3f} ULP"))
    worst, where = worst_of(results)
    assert worst <= SOFTMAX_BARS[dtype], where


@pytest.mark.parametrize("dtype", FLOATS)
def test_backward_within_the_vjp_conditioning(dtype):
    rows = softmax_rows(dtype, JAC_MAX_LEN)
    exact = softmax_reference(dtype, JAC_MAX_LEN)
    results = []
    for row, p, g in zip(rows, exact, grad_outputs(dtype, JAC_MAX_LEN), strict=True):
        value, cond = vjp_exact(p, g)
        out = SM.backward(row, g)
        assert out.dtype == dtype and out.shape == row.shape
        err = vjp_error(out, value, cond, dtype)
        results.append((err.max(), f"x = {row!r}, g = {g!r}: {err.max():.3f} eps * cond"))
        if dtype == np.float64:  # equal to the Jacobian contracted with g, within that tolerance
            fi = np.finfo(dtype)
            jac = SM.gradient(row)
            with np.errstate(under="ignore"):  # the check's own arithmetic, not actlib's
                via_jac = np.einsum("ij,i->j", jac, g)
                diff = np.abs(via_jac - out) / (fi.eps * cond + fi.smallest_subnormal)
            assert diff.max() <= SOFTMAX_BARS[dtype], (row, g, diff.max())
    worst, where = worst_of(results)
    assert worst <= SOFTMAX_BARS[dtype], where


def test_vjp_reference_is_the_jacobian_contracted_with_g():
    # vjp_exact works in O(n) from p (the screen needs rows of 1000); on the rows with exact
    # Jacobians it is J^T g, sum_i J_ij g_i, and its conditioning sum_i |J_ij g_i|
    dtype = np.float64
    for p, jac, g in zip(softmax_reference(dtype, JAC_MAX_LEN),
                         softmax_jacobian_reference(dtype, JAC_MAX_LEN),
                         grad_outputs(dtype, JAC_MAX_LEN), strict=True):
        value, cond = vjp_exact(p, g)
        with mpmath.workprec(200):
            terms = jac * np.array([mpmath.mpf(float(v)) for v in g], dtype=object)[:, None]
            for j in range(g.size):
                scale = mpmath.fsum(terms[:, j], absolute=True)
                assert abs(value[j] - mpmath.fsum(terms[:, j])) <= 1e-40 * scale
                assert cond[j] == pytest.approx(float(scale), rel=1e-12)


def test_dominated_row_keeps_the_small_share():
    # p = [1 - 4.2e-18, 4.2e-18]: J^T g has -p0 p1 in its first entry; g_0 - sum(g p) cancels to 0
    x, g = np.array([0.0, -40.0]), np.array([1.0, 2.0])
    expected = np.einsum("ij,i->j", SM.gradient(x), g)
    np.testing.assert_allclose(SM.backward(x, g), expected, rtol=1e-15)
    assert SM.backward(x, g)[0] < 0


def test_gradient_checks_by_central_differences():
    rng = np.random.default_rng(5)
    for n in (1, 2, 5, 12):
        x = rng.standard_normal(n) * 3
        assert relative_error(SM.gradient(x), numerical_jacobian(actlib.softmax, x)) < 1e-7
        g = rng.standard_normal(n)
        assert relative_error(SM.backward(x, g), numerical_vjp(actlib.softmax, x, g)) < 1e-7
    x, g = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    assert relative_error(SM.backward(x, g), numerical_vjp(actlib.softmax, x, g)) < 1e-7


def test_gradient_check_catches_the_seed_diagonal():
    x = np.array([0.5, -1.0, 2.0])
    p = actlib.softmax(x)
    assert relative_error(np.diag(p * (1 - p)), numerical_jacobian(actlib.softmax, x)) > 0.5


def test_non_last_axis_and_jacobian_layout():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((4, 3, 5))
    act = actlib.Softmax(axis=1)
    p = act(x)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_array_equal(p, np.moveaxis(actlib.softmax(np.moveaxis(x, 1, -1)), -1, 1))
    jac = act.gradient(x)
    assert jac.shape == x.shape + (3,)  # J[a, i, b, j] = d p[a, i, b] / d x[a, j, b]
    for a, b in [(0, 0), (2, 4), (3, 1)]:
        column = x[a, :, b]
        np.testing.assert_allclose(jac[a, :, b, :], SM.gradient(column), rtol=1e-15, atol=1e-300)
    g = rng.standard_normal(x.shape)
    np.testing.assert_allclose(act.backward(x, g), np.einsum("aibj,aib->ajb", jac, g),
                               rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(actlib.Softmax(axis=0).gradient(x[:, 0, 0]),
                               SM.gradient(x[:, 0, 0]), rtol=0, atol=0)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("shape", "axis", "order", "cut"), [
    ((37, 11), -1, "C", True), ((5, 7, 9), 1, "C", True), ((5, 7, 9), 2, "C", True),
    ((37, 11), -1, "F", False), ((11, 37), 0, "C", False), ((50,), 0, "C", False),
])
def test_pieces_give_the_bits_of_the_whole_array(monkeypatch, dtype, shape, axis, order, cut):
    # Inputs over PIECE elements are computed piece by piece; with pieces of a few elements,
    # every cut is exercised, and the bits must be those of the whole array.
    rng = np.random.default_rng(9)
    x = np.asarray((rng.standard_normal(shape) * 30).astype(dtype), order=order)
    x[(0,) * x.ndim] = 100  # a dominated slice: backward's shift by g_k
    g = rng.standard_normal(shape).astype(dtype)
    act = actlib.Softmax(axis)
    whole = act(x), act.backward(x, g)
    monkeypatch.setattr(softmax_module, "PIECE", 7)
    assert (len(list(softmax_module._pieces(x, axis % x.ndim))) > 1) == cut
    for piecewise, expected in zip((act(x), act.backward(x, g)), whole, strict=True):
        np.testing.assert_array_equal(piecewise, expected)


@pytest.mark.parametrize("dtype", FLOATS)
def test_limits_without_warnings(dtype):
    inf, nan = np.inf, np.nan
    x = np.array([
        [-inf, 0.0, 0.0],     # -inf gets probability 0
        [-inf, -inf, -inf],   # no distribution: NaN
        [inf, 1.0, inf],      # +inf entries share the mass equally
        [nan, 0.0, 1.0],      # NaN anywhere: the row is NaN
        [np.finfo(dtype).max, -np.finfo(dtype).max, 0.0],  # x - max overflows to -inf
    ], dtype=dtype)
    expected = np.array([[0, 0.5, 0.5], [nan] * 3, [0.5, 0, 0.5], [nan] * 3, [1, 0, 0]], dtype)
    np.testing.assert_array_equal(actlib.softmax(x), expected)
    jac = SM.gradient(x)
    assert np.isnan(jac[1]).all() and np.isnan(jac[3]).all()
    np.testing.assert_array_equal(jac[0], [[0, 0, 0], [0, 0.25, -0.25], [0, -0.25, 0.25]])
    np.testing.assert_array_equal(jac[4], np.zeros((3, 3)))
    g = np.array([1.0, 2.0, 3.0], dtype)
    out = SM.backward(x, np.broadcast_to(g, x.shape))
    assert np.isnan(out[1]).all() and np.isnan(out[3]).all()
    np.testing.assert_array_equal(out[0], np.array([0, -0.25, 0.25], dtype))


@pytest.mark.parametrize("shape", [(0,), (0, 3), (3, 0)])
def test_empty(shape):
    x = np.empty(shape)
    assert SM(x).shape == shape
    assert SM.gradient(x).shape == shape + (shape[-1],)
    assert SM.backward(x, x).shape == shape


@settings(deadline=None, max_examples=60)
@given(ks=st.lists(st.integers(-2**20, 2**20), min_size=1, max_size=30),
       c=st.integers(-2**20, 2**20))
def test_shift_invariance_exact(ks, c):
    # x = k / 1024 and x + c are exact in float64, and so are the shifted differences
    # x_i - max: the two computations are the same, bit for bit.
    x = np.array(ks, dtype=np.float64) / 1024
    np.testing.assert_array_equal(actlib.softmax(x + c), actlib.softmax(x))


@settings(deadline=None, max_examples=80)
@given(data=st.data(), dtype=st.sampled_from(FLOATS))
def test_rows_sum_to_one_and_lie_in_0_1(data, dtype):
    # each p_i is within the forward bar B (<= B * eps * p_i), their float64 sum adds at most
    # n * eps64 * sum: |sum - 1| <= (B + n) * eps
    width = {np.float16: 16, np.float32: 32, np.float64: 64}[dtype]
    n = data.draw(st.integers(1, 50))
    x = np.array(data.draw(st.lists(st.floats(allow_nan=False, allow_infinity=False,
                                              width=width), min_size=n, max_size=n)), dtype)
    p = actlib.softmax(x)
    assert ((p >= 0) & (p <= 1)).all()
    total = np.sum(p.astype(np.float64))
    assert abs(total - 1) <= (SOFTMAX_BARS[dtype] + n) * np.finfo(dtype).eps, (x, total)


@settings(deadline=None, max_examples=300)
@given(data=st.data(), dtype=st.sampled_from(FLOATS))
def test_backward_warns_on_nothing(data, dtype):
    # any scores and any incoming gradients, +-inf and the largest floats included: conftest
    # turns every floating-point warning into a failure
    n = data.draw(st.integers(1, 6))
    x, g = (np.array(data.draw(st.lists(FINITE[dtype], min_size=n, max_size=n)), dtype)
            for _ in range(2))
    y = actlib.Softmax().backward(x, g)
    if np.isfinite(x).all() and np.isfinite(g).all() and np.abs(g.astype(float)).max() <= 1e300:
        assert np.isfinite(y).all(), (x, g, y)


def _terms_with_a_one(rng, n, rows):
    """Rows of ``n`` terms in [0, 1], one of them exactly 1: what softmax sums after its shift."""
    e = np.exp(-rng.exponential(rng.choice([0.5, 3.0, 30.0], (rows, 1)), (rows, n)))
    e[np.arange(rows), rng.integers(n, size=rows)] = 1.0
    return e


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_per_slice_buffer_does_not_leak(dtype, monkeypatch):
    """softmax and backward shrink NumPy's ufunc buffer for long slices (``_per_slice``); the
    caller's buffer size must come back, and the bits must be the default buffer's."""
    rng = np.random.default_rng(5)
    x = (rng.normal(size=(40, 600)) * 4).astype(dtype)
    g = rng.normal(size=x.shape).astype(dtype)
    before = np.getbufsize()
    results = actlib.softmax(x), actlib.Softmax().backward(x, g)
    assert np.getbufsize() == before
    with pytest.raises(ValueError):
        actlib.Softmax().backward(x, g[:, :5])
    assert np.getbufsize() == before
    monkeypatch.setattr(softmax_module, "_SLICE_BUFFER", 8192)  # longer than the slices: unused
    again = actlib.softmax(x), actlib.Softmax().backward(x, g)
    assert all(np.array_equal(a, b) for a, b in zip(results, again, strict=True))


def _rounded_once(rows):
    """A test that row sums of ``rows`` are within half an ULP (and a hair) of the exact sums."""
    with mpmath.workprec(200):  # the sums to 200 bits: exact as far as a float64 can tell
        exact = np.array([mpmath.fsum(map(mpmath.mpf, row)) for row in rows], dtype=object)
    return lambda s: (ulp_error(s.ravel(), exact) <= 0.5 + 1e-3).all()


@pytest.mark.parametrize("n", [2, 5, 30, 100, 1000])
def test_row_sum_rounds_once(n):
    e = _terms_with_a_one(np.random.default_rng(n), n, 400)
    exact_within = _rounded_once(e)
    assert exact_within(softmax_module._row_sum(e, axis=1))
    assert exact_within(softmax_module._row_sum(e.T.copy(), axis=0))  # summed in another order
    if n >= 5:  # np.sum rounds at each addition: the test can tell
        assert not exact_within(np.sum(e, axis=1))


@pytest.mark.parametrize("n", [2, 5, 30, 100, 1000])
def test_signed_row_sum_rounds_once(n):
    # terms g_i e_i of both signs from 1e-3 to 1e3 in size, as the backward pass sums them
    rng = np.random.default_rng(100 + n)
    h = draw_grad_outputs(rng, (400, n), np.float64) * rng.random((400, n))
    exact_within = _rounded_once(h)
    total, bound = softmax_module._signed_row_sum(h, 1)
    np.testing.assert_array_equal(bound.ravel(), np.abs(h).max(axis=1))
    assert exact_within(total)
    assert exact_within(softmax_module._signed_row_sum(h.T.copy(), 0)[0])
    if n >= 5:  # np.sum rounds at each addition: the test can tell
        assert not exact_within(np.sum(h, axis=1))


def test_signed_row_sum_limits():
    h = np.array([[np.inf, 1.0, 2.0], [np.nan, 1.0, 0.0], [0.0, 0.0, 0.0],
                  [1e308, -1e308, 5e-324], [5e-324, 5e-324, -1e-323]])
    total = softmax_module._signed_row_sum(h, 1)[0].ravel()
    np.testing.assert_array_equal(total, [np.inf, np.nan, 0.0, 5e-324, 0.0])


def test_backward_where_the_plain_sum_of_g_p_rounds_badly():
    # Equal scores and g = [1, 2**-53, ..., 2**-53]: each 2**-53 added to 1 rounds away, and
    # np.sum's running sums lose 15 of them, 7.5 units of eps * sum_i |J_ij g_i| for every
    # p_j with a tiny g_j. The sum rounded once keeps them.
    for n in (128, 1000):
        x = np.zeros(n)
        g = np.full(n, 2.0**-53)
        g[0] = 1.0
        value, cond = vjp_exact(softmax_exact(x), g)
        err = vjp_error(actlib.Softmax().backward(x, g), value, cond, np.float64)
        assert err.max() <= 0.5 + 1e-3, f"n = {n}: {err.max():.2f} units at entry {err.argmax()}"


def test_backward_with_grad_outputs_near_the_largest_float():
    # sum(g * p) overflows, or g - sum(g * p) does, although the VJP is finite: those slices
    # are redone with g scaled by 2**-128 (the VJP is linear in g), with no warning.
    big = float(np.finfo(np.float64).max)
    cases = [([0.0, 0.0], [1e308, 1e308]), ([0.0, 0.0, 0.0], [big, big, -1e308]),
             ([0.0, 0.0, 0.0], [big, -big, -big]), ([1.0, -2.0, 0.5], [1e307, 3e307, -big])]
    x = np.array([c[0] for c in cases[1:]])
    g = np.array([c[1] for c in cases[1:]])
    for axis, xs, gs in [(-1, x, g), (0, x.T.copy(), g.T.copy())]:
        y = actlib.Softmax(axis=axis).backward(xs, gs)
        for row, grad, got in zip(x, g, y if axis == -1 else y.T, strict=True):
            value, cond = vjp_exact(softmax_exact(row), grad)
            assert vjp_error(got, value, cond, np.float64).max() <= SOFTMAX_BARS[np.float64]
    x, g = map(np.array, cases[0])
    np.testing.assert_array_equal(actlib.Softmax().backward(x, g), [0.0, 0.0])


@pytest.mark.parametrize("gap", [709.0, 745.0, 772.0, 804.0, 1000.0, 1400.0])
def test_backward_with_huge_score_gaps_and_large_gradients(gap):
    # p_1 = exp(-gap) / s, down to far below the smallest float, with |g| up to 1e25: the bar
    # holds (Softmax.backward's docstring gives 1e25 as the limit; 3e28 fails at a gap of 804)
    for size in (1.0, 1e10, 1e25):
        x, g = np.array([0.0, -gap, -3.0]), np.array([0.5, size, -2.0])
        value, cond = vjp_exact(softmax_exact(x), g)
        err = vjp_error(actlib.Softmax().backward(x, g), value, cond, np.float64)
        assert err.max() <= SOFTMAX_BARS[np.float64], (gap, size, err)


def test_backward_when_exp_underflows_to_subnormals():
    # Every term but one is below exp(-708.4), so only a few of their bits survive exp; the
    # VJP of the dominant entry is itself subnormal and made of them alone.
    x = np.array([[-5.40013849, -750.59286285, -743.01024048], [0.0, -720.0, -740.0]])
    g = np.array([[-629.4370053, 87.76377634, 700.46500939], [1e3, -5e2, 7e2]])
    for axis, xs, gs in [(-1, x, g), (0, x.T.copy(), g.T.copy())]:
        y = actlib.Softmax(axis=axis).backward(xs, gs)
        y = y if axis == -1 else y.T
        for row, grad, got in zip(x, g, y, strict=True):
            value, cond = vjp_exact(softmax_exact(row), grad)
            assert vjp_error(got, value, cond, np.float64).max() <= SOFTMAX_BARS[np.float64]


@pytest.mark.parametrize("mask", [-np.inf, -1e9])
def test_masked_rows_take_the_plain_path(mask):
    # A causal mask puts -inf (or -1e9) above the diagonal: exp gives exact zeros there, not
    # subnormals, so nothing needs the scaled redo. It used to run for every such row: 3.7 input
    # sizes of memory (and 10x the time) where an unmasked batch needs 1.5; now 1.9 (the short
    # rows' dominant entry shifts g, a copy).
    import tracemalloc

    rng = np.random.default_rng(0)
    n = 1000  # cut into pieces, as a large batch is
    scores = rng.standard_normal((n, n))
    masked = np.where(np.tri(n, dtype=bool), scores, mask)
    g = rng.standard_normal((n, n))
    peaks = []
    for x in (scores, masked):
        tracemalloc.start()
        out = SM.backward(x, g)
        peaks.append(tracemalloc.get_traced_memory()[1] / x.nbytes)
        tracemalloc.stop()
    assert peaks[1] <= peaks[0] + 0.5, peaks
    # and the masked rows are right: each is the backward of its unmasked part, zeros beyond
    for i in (0, 1, 100, n - 1):
        np.testing.assert_array_equal(out[i, : i + 1], SM.backward(scores[i, : i + 1],
                                                                   g[i, : i + 1]))
        assert not out[i, i + 1 :].any()


def test_shifted_exp_of_empty_slices_keeps_the_shape():
    from actlib.softmax import _shifted_exp

    for axis in (-1, 1):
        e, k, shift = _shifted_exp(np.empty((2, 0)), axis)
        assert e.shape == (2, 0) and k.shape == (2, 1) and shift.shape == (2, 1)


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_probabilities_below_the_narrow_normals_raise_no_underflow(dtype):
    x = np.array([0.0, -100.0], dtype)
    with np.errstate(all="raise"):
        p, jac = actlib.softmax(x), SM.gradient(x)
        SM.backward(x, np.ones_like(x))
    with np.errstate(under="ignore"):  # the expected value's own rounding
        tail = np.array(np.exp(-100.0)).astype(dtype)
    assert p[1] == tail and jac[1, 1] == tail
