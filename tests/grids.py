"""The inputs and the exact references the accuracy tests and ``ulp_report.py`` share.

Every grid is seeded, so a run is reproducible, and every mpmath reference is computed once per
process (``functools.lru_cache``): the tests of one activation and the report reuse them.

* :func:`elementwise_grid` -- float16: every finite value plus +-inf and NaN (exhaustive).
  float32 and float64: every power of two from the smallest subnormal to the largest binade
  times seeded random mantissas, both signs; the extremes of each format; a dense band around
  0; seeded bands where the activations are interesting (sigmoid's [-40, 40], exp's overflow
  threshold, the tails where sigmoid' and tanh' go subnormal and then to 0).
* :data:`ELEMENTWISE` -- for each elementwise activation: the forward and derivative callables
  under test and their exact definitions in mpmath (written independently of actlib's formulas).
* :func:`screen_worst` -- the dense screen: millions of seeded random inputs where the
  activations bend, measured against long-double references (:data:`LONGDOUBLE`), whose worst
  few are measured again in mpmath. The grid's few thousand points there miss rare worst cases.
* :func:`softmax_rows` -- rows of many lengths, scales and spreads, and the exact references
  for softmax, its Jacobian and its vector-Jacobian product.
"""

import functools
from typing import NamedTuple

import mpmath
import numpy as np

import actlib
from actlib.testing import reference, ulp_error

FLOATS = (np.float16, np.float32, np.float64)

# The bars of issue 2, in ULP: (forward, derivative).
BARS = {np.float64: (2.0, 4.0), np.float32: (1.0, 1.0), np.float16: (1.0, 1.0)}
# Softmax's bar, for the forward (ULP beyond the rounding of x_i - max), the Jacobian (ULP) and
# backward (units of eps * sum_i |J_ij g_i|, the vector-Jacobian product's conditioning).
SOFTMAX_BARS = {np.float64: 4.0, np.float32: 1.0, np.float16: 1.0}
# The Jacobian and VJP references are O(n^2) mpmath work per row: only rows up to this length.
JAC_MAX_LEN = 64

# Where things happen, per dtype: exp(x) overflows past log(max); sigmoid'(x) ~ e^-|x| goes
# subnormal past -log(tiny) and rounds to 0 past -log(smallest subnormal / 2); tanh'(x) ~ 4e^-2|x|
# does the same at about half those |x|.
_LOG_MAX = {np.float32: 88.72, np.float64: 709.78}
_LOG_TINY = {np.float32: 87.34, np.float64: 708.40}
_LOG_SUB = {np.float32: 103.97, np.float64: 745.13}


def binade_grid(dtype, mantissas, seed):
    """``m * 2**e`` for every binade ``e`` of ``dtype`` (subnormals included), both signs.

    ``m`` is 1 (the power of two itself), just below 2 (the binade's largest float) and
    ``mantissas`` seeded random values in (1, 2).
    """
    fi = np.finfo(dtype)
    exps = np.arange(fi.minexp - fi.nmant, fi.maxexp)  # smallest subnormal .. largest binade
    rng = np.random.default_rng(seed)
    m = np.concatenate(
        [np.ones((exps.size, 1)), 1 + rng.random((exps.size, mantissas))], axis=1
    )
    with np.errstate(over="ignore"):  # a mantissa near 2 in the top binade rounds to inf
        positive = np.ldexp(m, exps[:, None]).astype(dtype).ravel()
        top = (np.ldexp(1.0, exps + 1).astype(dtype) if dtype != np.float64
               else np.ldexp(1.0, np.minimum(exps + 1, 1023)))
    below_next = np.nextafter(top.astype(dtype), dtype(0))  # the largest float of each binade
    positive = np.concatenate([positive, below_next])
    positive = positive[np.isfinite(positive)]
    return np.concatenate([positive, -positive])


def special_values(dtype):
    """+-0, +-smallest subnormal, +-smallest normal, +-1, +-max, +-inf and NaN."""
    fi = np.finfo(dtype)
    pos = np.array([0.0, fi.smallest_subnormal, fi.tiny, 1.0, fi.max, np.inf], dtype=dtype)
    return np.concatenate([pos, -pos, np.array([np.nan], dtype=dtype)])


def every_finite_float16():
    """All 63,488 finite float16 values (both zeros), sorted by value."""
    x = np.arange(2**16, dtype=np.uint16).view(np.float16)
    return np.sort(x[np.isfinite(x)])


def _band(rng, lo, hi, n, dtype):
    return rng.uniform(lo, hi, n).astype(dtype)


@functools.cache
def elementwise_grid(dtype):
    """The inputs every elementwise activation is measured on: sorted, then -0 and NaN.
    Read-only, so a test cannot spoil the cached copy."""
    dtype = np.dtype(dtype).type
    if dtype == np.float16:
        x = np.concatenate([every_finite_float16(), special_values(np.float16)])
    else:
        rng = np.random.default_rng(2024)
        parts = [
            binade_grid(dtype, mantissas=3 if dtype == np.float64 else 7, seed=1),
            special_values(dtype),
            np.linspace(-8, 8, 4001).astype(dtype),  # dense band around 0
            _band(rng, -1e-3, 1e-3, 500, dtype),
            _band(rng, -40, 40, 3000, dtype),  # where sigmoid and tanh bend
        ]
        for centre in (_LOG_MAX[dtype], _LOG_TINY[dtype], _LOG_TINY[dtype] / 2,
                       _LOG_SUB[dtype], _LOG_SUB[dtype] / 2):
            band = _band(rng, centre - 3, centre + 3, 400, dtype)
            parts += [band, -band]
        x = np.concatenate(parts)
    # np.unique sorts and keeps one of +0 / -0, so put -0 back. NaN is added after it: numpy 2.4's
    # unique turns float16's quiet NaN into a signalling one (0x7c01), which is not an input we
    # mean to test (any arithmetic on a signalling NaN raises "invalid" by IEEE 754).
    x = np.unique(x[~np.isnan(x)])
    x = np.concatenate([x, np.array([-0.0, np.nan], dtype=dtype)])
    x.flags.writeable = False
    return x


# ----------------------------------------------------------------------------------------------
# Exact definitions, in mpmath. They follow the mathematics, not actlib's formulas.

mp = mpmath


def _nan_or(f):
    return lambda t: t if mp.isnan(t) else f(t)


def _mp_relu(t):
    return t if t > 0 else mp.mpf(0)


def _mp_relu_grad(t):
    return mp.mpf(1) if t > 0 else mp.mpf(0)  # PyTorch: 0 at the kink


def _mp_leaky(slope):
    return lambda t: t if t > 0 else mp.mpf(slope) * t


def _mp_leaky_grad(slope):
    return lambda t: mp.mpf(1) if t > 0 else mp.mpf(slope)  # PyTorch: the slope at the kink


def _mp_sigmoid(t):
    return 1 / (1 + mp.exp(-t))


def _mp_sigmoid_grad(t):
    return 1 / (4 * mp.cosh(t / 2) ** 2)  # sigma'(x) = 1 / (2 + 2 cosh x)


def _mp_tanh_grad(t):
    return mp.sech(t) ** 2


_LEAKY = actlib.LeakyReLU()
_SLOPE = _LEAKY.negative_slope

# name: (forward, derivative, exact forward, exact derivative)
ELEMENTWISE = {
    "relu": (actlib.relu, actlib.ReLU().gradient, _nan_or(_mp_relu), _nan_or(_mp_relu_grad)),
    "leaky_relu": (actlib.leaky_relu, _LEAKY.gradient,
                   _nan_or(_mp_leaky(_SLOPE)), _nan_or(_mp_leaky_grad(_SLOPE))),
    "sigmoid": (actlib.sigmoid, actlib.Sigmoid().gradient,
                _nan_or(_mp_sigmoid), _nan_or(_mp_sigmoid_grad)),
    "tanh": (actlib.tanh, actlib.Tanh().gradient, _nan_or(mp.tanh), _nan_or(_mp_tanh_grad)),
}
KINDS = ("forward", "gradient")


@functools.cache
def elementwise_reference(name, kind, dtype):
    """Exact values (mpmath, 200 bits) of activation ``name``'s ``kind`` on the dtype's grid."""
    exact = ELEMENTWISE[name][2 if kind == "forward" else 3]
    return reference(exact, elementwise_grid(dtype))


def elementwise_errors(name, kind, dtype):
    """``(x, computed, exact, ulp errors)`` of actlib's ``name`` (``kind``) on the grid."""
    x = elementwise_grid(dtype)
    f = ELEMENTWISE[name][0 if kind == "forward" else 1]
    computed = np.asarray(f(x))
    exact = elementwise_reference(name, kind, dtype)
    return x, computed, exact, ulp_error(computed, exact)


def worst_case(x, computed, exact, err):
    """A message naming the worst input, what came out, the exact value and the error."""
    i = int(np.argmax(np.where(np.isnan(err), np.inf, err)))
    index = np.unravel_index(i, err.shape)
    xi = x[index] if np.ndim(x) == err.ndim else x
    return (f"worst at x = {xi!r}: got {computed[index]!r}, exact "
            f"{mp.nstr(exact[index], 20)}, error {err[index]:.3f} ULP")


# ----------------------------------------------------------------------------------------------
# The dense screen: long-double references choose where to look, mpmath measures there.
#
# They follow the mathematics, like the mpmath ones, in forms that do not cancel: e / (1 + e)**2
# and not s * (1 - s), whose 1 - s keeps about 6 of long double's 64 bits at x = 40. exp(-x) does
# not overflow in long double anywhere in the screen's [-40, 40]. On 4,000 points of [-40, 40]
# they agree with mpmath to 2e-3 ULP of float64 (1e-3 forward) and 4e-12 ULP of float32.


def _ld_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _ld_sigmoid_grad(x):
    e = np.exp(-np.abs(x))
    return e / (1 + e) ** 2


def _ld_tanh_grad(x):
    e = np.exp(-2 * np.abs(x))
    return 4 * e / (1 + e) ** 2  # sech(x)**2, from sech x = 2 e^-|x| / (1 + e^-2|x|)


# name: (forward, derivative), long double in and out
LONGDOUBLE = {
    "relu": (lambda x: np.where(x > 0, x, 0), lambda x: (x > 0).astype(np.longdouble)),
    "leaky_relu": (lambda x: np.where(x > 0, x, np.longdouble(_SLOPE) * x),
                   lambda x: np.where(x > 0, 1, np.longdouble(_SLOPE))),
    "sigmoid": (_ld_sigmoid, _ld_sigmoid_grad),
    "tanh": (np.tanh, _ld_tanh_grad),
}
SCREEN_CHUNK = 2**20  # inputs per pass: about 100 MB of temporaries
SCREEN_UNAVAILABLE = (
    f"the dense screen needs a long double with a 64-bit significand; this platform's has "
    f"{np.finfo(np.longdouble).nmant + 1} bits (x86-64 Linux has 64; macOS arm64 and Windows 53)"
)


def screen_available():
    """Whether long double is wide enough (a 64-bit significand) to judge float64 results."""
    return np.finfo(np.longdouble).nmant >= 63


def screen_inputs(dtype, n, seed):
    """``n`` seeded random inputs of ``dtype``, yielded in chunks of at most ``SCREEN_CHUNK``.

    Half of each chunk is uniform in [-40, 40], where sigmoid and tanh bend, half in [-5, 5],
    where they curve most.
    """
    rng = np.random.default_rng(seed)
    for start in range(0, n, SCREEN_CHUNK):
        m = min(SCREEN_CHUNK, n - start)
        x = np.concatenate([rng.uniform(-40, 40, m // 2), rng.uniform(-5, 5, m - m // 2)])
        yield x.astype(dtype)


def _largest(err, keep):
    return np.argpartition(err, -keep)[-keep:] if err.size > keep else np.arange(err.size)


class Screen(NamedTuple):
    """What :func:`screen_worst` found: the kept inputs, worst (by mpmath) first."""

    x: np.ndarray
    computed: np.ndarray  # actlib's results
    exact: np.ndarray  # mpmath's (object array)
    err: np.ndarray  # ULP errors against mpmath: the figures to report
    screened: np.ndarray  # ULP errors against long double, which chose these inputs


def screen_worst(name, kind, dtype, n, seed=0, keep=64):
    """The ``keep`` inputs, of :func:`screen_inputs`, where actlib's ``name`` (``kind``) is worst.

    All ``n`` are measured against :data:`LONGDOUBLE`, chunk by chunk so memory stays bounded;
    the ``keep`` worst are then measured again against mpmath (:data:`ELEMENTWISE`), so every
    error returned is mpmath's and the screen only chooses where to look.
    """
    if not screen_available():
        raise RuntimeError(SCREEN_UNAVAILABLE)
    k = KINDS.index(kind)
    f, ld_exact = ELEMENTWISE[name][k], LONGDOUBLE[name][k]
    x_kept, y_kept, err_kept = np.empty(0, dtype), np.empty(0, dtype), np.empty(0)
    for x in screen_inputs(dtype, n, seed):
        y = np.asarray(f(x))
        err = ulp_error(y, ld_exact(x.astype(np.longdouble)))
        i = _largest(err, keep)
        x_kept = np.concatenate([x_kept, x[i]])
        y_kept = np.concatenate([y_kept, y[i]])
        err_kept = np.concatenate([err_kept, err[i]])
        i = _largest(err_kept, keep)
        x_kept, y_kept, err_kept = x_kept[i], y_kept[i], err_kept[i]
    exact = reference(ELEMENTWISE[name][2 + k], x_kept)
    err = ulp_error(y_kept, exact)
    order = np.argsort(-err, kind="stable")
    return Screen(x_kept[order], y_kept[order], exact[order], err[order], err_kept[order])


def assert_screen_bar(name, kind, dtype, n, seed=0):
    """Assert issue 2's ULP bar on the dense screen's worst inputs, confirmed by mpmath."""
    s = screen_worst(name, kind, dtype, n, seed)
    bar = BARS[dtype][KINDS.index(kind)]
    assert s.err[0] <= bar, (
        f"{name} {kind} {np.dtype(dtype).name}, dense screen of {n} inputs (seed {seed}): "
        f"{(s.err > bar).sum()} of the {s.x.size} worst above {bar} ULP; "
        + worst_case(s.x, s.computed, s.exact, s.err)
    )
    # the long-double screen and mpmath agree where it looked (they differ by ~1e-3 ULP)
    np.testing.assert_allclose(s.screened, s.err, rtol=0, atol=0.01)


# ----------------------------------------------------------------------------------------------
# Softmax


def _row_specs():
    """(length, scale, kind) of each test row: many lengths, small to huge scales and spreads."""
    specs = []
    for n in (1, 2, 3, 5, 8, 17, 64, 300):
        for scale in (1e-300, 1e-8, 1.0, 10.0, 100.0, 700.0, 1e5, 1e300):
            specs.append((n, scale, "normal"))
    for n in (2, 3, 10, 100):
        specs += [(n, 0.0, "ties"), (n, 0.0, "one-dominant"), (n, 0.0, "spread")]
    return specs


@functools.cache
def softmax_rows(dtype, max_len=None):
    """Seeded rows of ``dtype`` (a tuple of read-only 1-d arrays), finite entries only.

    Scales from 1e-300 (every p equal) to 1e300 (one or two p survive); "one-dominant" rows
    have one entry far above the rest (p close to 1, the others tiny or subnormal); "spread"
    rows run from -750 to 0, so their exponentials cover the whole float64 range.
    """
    dtype = np.dtype(dtype).type
    rng = np.random.default_rng(7)
    fmax = float(np.finfo(dtype).max)
    rows = []
    for n, scale, kind in _row_specs():
        if max_len is not None and n > max_len:
            continue
        if kind == "normal":
            row = rng.standard_normal(n) * scale
        elif kind == "ties":
            row = np.repeat(rng.standard_normal(), n)
        elif kind == "one-dominant":
            row = rng.uniform(-60, -20, n)
            row[rng.integers(n)] = 0.0
        else:
            row = np.linspace(-750.0, 0.0, n)
            rng.shuffle(row)
        row = np.clip(row, -fmax, fmax).astype(dtype)
        row.flags.writeable = False
        rows.append(row)
    return tuple(rows)


def _shifts(row):
    """The differences ``x_i - max`` the reference starts from.

    float64: the rounded differences fl(x_i - max), the one rounding any implementation must
    make, so the bar measures what comes after it. float16/32: the exact differences (float64
    rounding of them changes the result by far less than a float32 ULP).
    """
    m = row.max()
    if row.dtype == np.float64:
        with np.errstate(over="ignore"):
            d = row - m
        return [mp.mpf(float(v)) for v in d]
    return [mp.mpf(float(v)) - mp.mpf(float(m)) for v in row]


@functools.cache
def _softmax_exact(dtype, max_len, index):
    row = softmax_rows(dtype, max_len)[index]
    with mp.workprec(200):
        e = [mp.exp(d) for d in _shifts(row)]
        s = mp.fsum(e)
        p = [v / s for v in e]
    return np.array(p, dtype=object)


def softmax_reference(dtype, max_len=None):
    """Exact softmax of every row of :func:`softmax_rows` (object arrays of mpmath numbers)."""
    rows = softmax_rows(dtype, max_len)
    return [_softmax_exact(dtype, max_len, i) for i in range(len(rows))]


@functools.cache
def _jacobian_exact(dtype, max_len, index):
    p = _softmax_exact(dtype, max_len, index)
    n = p.size
    with mp.workprec(200):
        jac = np.empty((n, n), dtype=object)
        for i in range(n):
            for j in range(n):
                jac[i, j] = -p[i] * p[j]
            # 1 - p_i = sum of the others: 1 - p_i would round to 0 at any precision when
            # p_i = 1 - exp(-1e300)
            jac[i, i] = p[i] * mp.fsum(p[j] for j in range(n) if j != i)
    return jac


def softmax_jacobian_reference(dtype, max_len):
    """Exact Jacobians ``J[i, j] = p_i (delta_ij - p_j)`` of the rows up to ``max_len``."""
    rows = softmax_rows(dtype, max_len)
    return [_jacobian_exact(dtype, max_len, i) for i in range(len(rows))]


def grad_outputs(dtype, max_len=None):
    """Seeded incoming gradients, one per row: mixed signs and magnitudes (1e-3 to 1e3)."""
    rng = np.random.default_rng(11)
    out = []
    for row in softmax_rows(dtype, max_len):
        g = rng.standard_normal(row.size) * 10.0 ** rng.uniform(-3, 3, row.size)
        out.append(g.astype(dtype))
    return out


def vjp_exact(jac, g):
    """Exact ``(J^T g)_j`` and the VJP's conditioning ``sum_i |J_ij g_i|``, as float64 arrays."""
    n = g.size
    with mp.workprec(200):
        gm = [mp.mpf(float(v)) for v in g]
        value = [mp.fsum(jac[i, j] * gm[i] for i in range(n)) for j in range(n)]
        cond = [mp.fsum(abs(jac[i, j] * gm[i]) for i in range(n)) for j in range(n)]
    return np.array(value, dtype=object), np.array([float(c) for c in cond])


def vjp_error(computed, exact, cond, dtype):
    """``|computed - exact|`` in units of ``eps * sum_i |J_ij g_i|`` (``eps`` of ``dtype``).

    The smallest subnormal is added to the scale: a result that underflows is judged in
    absolute terms there, as ULP errors are.
    """
    fi = np.finfo(dtype)
    scale = float(fi.eps) * cond + float(fi.smallest_subnormal)
    pairs = zip(computed, exact, strict=True)
    diff = np.array([float(abs(mp.mpf(float(c)) - y)) for c, y in pairs])
    return diff / scale


def assert_elementwise_bar(name, kind, dtype):
    """Assert issue 2's ULP bar for activation ``name``'s ``kind`` on ``dtype``'s whole grid."""
    x, computed, exact, err = elementwise_errors(name, kind, dtype)
    assert computed.dtype == dtype and computed.shape == x.shape
    bar = BARS[dtype][0 if kind == "forward" else 1]
    assert err.max() <= bar, (
        f"{name} {kind} {np.dtype(dtype).name}: {(err > bar).sum()} of {x.size} inputs above "
        f"{bar} ULP; " + worst_case(x, computed, exact, err)
    )
