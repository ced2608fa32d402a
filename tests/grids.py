"""The inputs and the exact references the accuracy tests and ``ulp_report.py`` share.

Every grid is seeded, so a run is reproducible, and every mpmath reference is computed once per
process (``functools.lru_cache``): the tests of one activation and the report reuse them.

* :func:`elementwise_grid` -- float16: every finite value plus +-inf and NaN (exhaustive).
  float32 and float64: every power of two from the smallest subnormal to the largest binade
  times seeded random mantissas, both signs; the extremes of each format; a dense band around
  0; seeded bands where the activations are interesting (sigmoid's [-40, 40], exp's overflow
  threshold, the tails where sigmoid' and tanh' go subnormal and then to 0, SiLU's and Mish's
  minima and the left tails where x e^x goes subnormal and then to 0).
* :data:`ELEMENTWISE` -- for each elementwise activation: the forward and derivative callables
  under test and their exact definitions in mpmath (written independently of actlib's formulas).
* :func:`screen_worst` -- the dense screen: millions of seeded random inputs where the
  activations bend, measured against long-double references (:data:`LONGDOUBLE`), whose worst
  few are measured again in mpmath. The grid's few thousand points there miss rare worst cases.
* :func:`softmax_rows` -- rows of many lengths, scales and spreads, and the exact references
  for softmax, its Jacobian and its vector-Jacobian product.
* :func:`softmax_screen_worst` -- the dense screen for softmax: seeded random batches of rows
  (:func:`softmax_screen_rows`) measured against long-double references, the worst rows
  measured again in mpmath with the references of the fixed rows.
"""

import functools
from typing import NamedTuple

import mpmath
import numpy as np
from hypothesis import strategies as st

import actlib
from actlib.testing import reference, ulp_error

FLOATS = (np.float16, np.float32, np.float64)
# hypothesis strategies for every finite value of each dtype (+-inf included, NaN not)
FINITE = {dtype: st.floats(allow_nan=False, width=np.finfo(dtype).bits) for dtype in FLOATS}

# The accuracy rule (README, "Accuracy"), in ULP: (forward, derivative and backward). The float64
# forward bar is 3, not 2: NumPy's own exp and tanh differ by about a ULP between platforms.
BARS = {np.float64: (3.0, 4.0), np.float32: (1.0, 1.0), np.float16: (1.0, 1.0)}
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
# SiLU and Mish go like x e^x far left (their derivatives like (1 + x) e^x): subnormal below
# x + log|x| = log(tiny), 0 below x + log|x| = log(smallest subnormal / 2).
_XEXP_TINY = {np.float32: 91.85, np.float64: 714.97}
_XEXP_SUB = {np.float32: 108.66, np.float64: 751.76}
# The non-default parameters measured like the defaults (ELEMENTWISE): ELU's and CELU's alpha,
# softplus's beta. CELU's e^(x/alpha) and softplus's e^(beta x) go subnormal, then to 0, at s
# times exp's thresholds (s = alpha, 1/beta): the grid has bands there for these s.
ELU_ALPHAS = (0.5, 2.0)
CELU_ALPHAS = (0.5, 2.0, 0.3)
SOFTPLUS_BETAS = (0.5, 10.0)
_EXP_SCALES = sorted({a for a in CELU_ALPHAS} | {1 / b for b in SOFTPLUS_BETAS} - {0.5})
# GELU: where x Phi(x) and its derivative go subnormal and then round to 0 (x = -37.5 to -38.7 in
# float64, -13 to -14.3 in float32), the same for the tanh form (x = -21 to -21.7, -10 to -10.7);
# the derivative's zero (-0.7518) and the edges of actlib.special's pieces (0.5 and 2).
_GELU_BANDS = {np.float32: ((-14.5, -12.5), (-11.0, -9.5), (-0.8, -0.7), (0.45, 0.55),
                            (-0.55, -0.45), (1.95, 2.05), (-2.05, -1.95)),
               np.float64: ((-39.0, -37.0), (-22.0, -20.5), (-0.8, -0.7), (0.45, 0.55),
                            (-0.55, -0.45), (1.95, 2.05), (-2.05, -1.95))}


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
    # A mantissa near 2 in the top binade rounds to inf; the subnormal binades are meant.
    with np.errstate(over="ignore", under="ignore"):
        positive = np.ldexp(m, exps[:, None]).astype(dtype).ravel()
        top = (np.ldexp(1.0, exps + 1).astype(dtype) if dtype != np.float64
               else np.ldexp(1.0, np.minimum(exps + 1, 1023)))
        below_next = np.nextafter(top.astype(dtype), dtype(0))  # each binade's largest float
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


# Where the hard activations have kinks (ReLU6 at 0 and 6, Hardtanh at -1 and 1, Hardsigmoid and
# Hardswish at -3 and 3, Hardswish's derivative crosses 0 at -1.5).
KINKS = (-6.0, -3.0, -1.5, -1.0, 0.0, 1.0, 3.0, 6.0)


def _kinks(rng, dtype):
    """Each kink, its 8 nearest floats on either side and 50 seeded points within 1e-3."""
    parts = []
    with np.errstate(under="ignore"):  # the neighbours of 0 are subnormal: meant
        for k in KINKS:
            up = down = dtype(k)
            near = [up]
            for _ in range(8):
                up, down = np.nextafter(up, dtype(np.inf)), np.nextafter(down, dtype(-np.inf))
                near += [up, down]
            parts += [np.array(near, dtype), _band(rng, k - 1e-3, k + 1e-3, 50, dtype)]
    return np.concatenate(parts)


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
        for scale in _EXP_SCALES:  # the left tails of e^(x/alpha), e^(beta x) (0.5: above)
            for centre in (scale * _LOG_TINY[dtype], scale * _LOG_SUB[dtype]):
                parts.append(_band(rng, -centre - 3 * scale, -centre + 3 * scale, 150, dtype))
        parts += [_kinks(rng, dtype)]
        # SiLU's and Mish's minima and the zeros of their derivatives (-1.2785, -1.1924), and
        # their left tails (drawn last, so the bands above keep their points)
        parts.append(_band(rng, -1.6, -0.9, 400, dtype))
        for centre in (_XEXP_TINY[dtype], _XEXP_SUB[dtype]):
            parts.append(-_band(rng, centre - 3, centre + 3, 400, dtype))
        gelu_rng = np.random.default_rng(2025)  # its own seed: the bands above stay as they were
        parts += [_band(gelu_rng, lo, hi, 300, dtype) for lo, hi in _GELU_BANDS[dtype]]
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


def _mp_silu(t):
    if mp.isinf(t):
        return t if t > 0 else mp.mpf(0)  # the limits (t / (1 + e^-t) is -inf / inf at -inf)
    return t * _mp_sigmoid(t)


def _mp_silu_terms(t):
    """silu'(t) = s + t s (1 - s): the two terms, 1 - s taken as sigma(-t) (no cancellation)."""
    s = _mp_sigmoid(t)
    return s, t * s * _mp_sigmoid(-t)


def _mp_mish(t):
    if mp.isinf(t):
        return t if t > 0 else mp.mpf(0)
    return t * mp.tanh(mp.log1p(mp.exp(t)))


def _mp_mish_terms(t):
    """mish'(t) = tanh(sp) + t sech^2(sp) sigma(t), sp = softplus(t) = log(1 + e^t)."""
    sp = mp.log1p(mp.exp(t))
    return mp.tanh(sp), t * mp.sech(sp) ** 2 * _mp_sigmoid(t)


def _mp_derivative(terms, limits):
    """The derivative as the sum of ``terms(t)``, its limits at -inf and +inf given."""
    def f(t):
        if mp.isinf(t):
            return mp.mpf(limits[t > 0])
        a, b = terms(t)
        return a + b
    return f


def _mp_magnitude(terms):
    """The sum of the magnitudes of ``terms(t)``: the unit for a derivative that crosses 0."""
    def f(t):
        if mp.isinf(t):
            return mp.mpf(1) if t > 0 else mp.mpf(0)  # both derivatives' limits, as magnitudes
        a, b = terms(t)
        return abs(a) + abs(b)
    return f
def _mp_clip(lo, hi):
    return lambda t: min(max(t, mp.mpf(lo)), mp.mpf(hi))


def _mp_clip_grad(lo, hi):  # PyTorch's hardtanh_backward: 0 at both kinks
    return lambda t: mp.mpf(1) if lo < t < hi else mp.mpf(0)


def _mp_hard_sigmoid(t):  # the line t/6 + 1/2, clipped to [0, 1]
    return min(max(t / 6 + mp.mpf(1) / 2, mp.mpf(0)), mp.mpf(1))


def _mp_hard_sigmoid_grad(t):  # PyTorch's hardsigmoid_backward: 0 at -3 and 3
    return mp.mpf(1) / 6 if -3 < t < 3 else mp.mpf(0)


def _mp_hard_swish(t):
    return t * _mp_hard_sigmoid(t) if mp.isfinite(t) else (t if t > 0 else mp.mpf(0))


def _mp_hard_swish_grad(t):  # PyTorch's hardswish_backward: the middle piece on [-3, 3]
    if t < -3:
        return mp.mpf(0)
    return (2 * t + 3) / 6 if t <= 3 else mp.mpf(1)
def _mp_ncdf(t):
    return mp.erfc(-t / mp.sqrt(2)) / 2  # the standard normal CDF Phi


# GELU. Beyond |x| = 1e4 (mpmath's erfc fails near 1e308) Phi(x) is within 10^-(2e7) of 0 or 1,
# far below any float: 1 for x > 0, and for x < 0 its asymptote phi(x) / |x|, tiny but not 0
# (so that a product with an infinite factor, as in GEGLU, has its sign and is not NaN).
_GELU_BIG = 10**4


def _mp_gelu(t):
    if abs(t) > _GELU_BIG:
        return t if t > 0 else -mp.npdf(t)
    return t * _mp_ncdf(t)


def _mp_gelu_parts(t):
    """Phi(x) and x phi(x): GELU'(x) is their sum."""
    if abs(t) > _GELU_BIG:
        if t > 0 or mp.isinf(t):
            return (mp.mpf(1) if t > 0 else mp.mpf(0)), mp.mpf(0)
        return mp.npdf(t) / -t, t * mp.npdf(t)
    return _mp_ncdf(t), t * mp.npdf(t)


# GELU's tanh form, x sigma(2u) = x (1 + tanh u) / 2, u = sqrt(2/pi) (x + 0.044715 x^3), the
# constant the exact decimal. Beyond |x| = 100, sigma(2u) is within e^(-1e5) of 1 or 0.
_GELU_TANH_C = "0.044715"  # a string: made an mpf at the working precision, not at 53 bits
_GELU_TANH_BIG = 100


def _mp_two_u(t):
    return 2 * mp.sqrt(2 / mp.pi) * (t + mp.mpf(_GELU_TANH_C) * t**3)


def _mp_gelu_tanh(t):
    if abs(t) > _GELU_TANH_BIG:  # for x < 0, sigma(2u) = e^(2u) to within e^(-1e5) relative
        return t if t > 0 else (mp.mpf(0) if mp.isinf(t) else t * mp.exp(_mp_two_u(t)))
    return t / (1 + mp.exp(-_mp_two_u(t)))  # (1 + tanh u) / 2 = sigma(2u), without cancelling


def _mp_gelu_tanh_parts(t):
    """sigma(2u) and x sigma(2u) (1 - sigma(2u)) 2u'(x): the derivative is their sum."""
    if abs(t) > _GELU_TANH_BIG and (t > 0 or mp.isinf(t)):
        return (mp.mpf(1) if t > 0 else mp.mpf(0)), mp.mpf(0)
    v = _mp_two_u(t)
    if t < -_GELU_TANH_BIG:  # sigma(v) = e^v, 1 - sigma(v) = 1, to within e^(-1e5) relative
        s = mp.exp(v)
        return s, t * s * 2 * mp.sqrt(2 / mp.pi) * (1 + 3 * mp.mpf(_GELU_TANH_C) * t**2)
    s, s_neg = 1 / (1 + mp.exp(-v)), 1 / (1 + mp.exp(v))  # sigma(v), 1 - sigma(v)
    dv = 2 * mp.sqrt(2 / mp.pi) * (1 + 3 * mp.mpf(_GELU_TANH_C) * t**2)
    return s, t * s * s_neg * dv


def _sum_of(terms):
    return lambda t: mp.fsum(terms(t))


def _magnitude_of(terms):
    return lambda t: mp.fsum(abs(v) for v in terms(t))


_LEAKY = actlib.LeakyReLU()
_SLOPE = _LEAKY.negative_slope
_PRELU = actlib.PReLU(init=0.1)  # a slope no float16/32 holds exactly, unlike PyTorch's 0.25
_PRELU_SLOPE = float(_PRELU.weight[0])
_GELU_TANH = actlib.GELU(approximate="tanh")

# name: (forward, derivative, exact forward, exact derivative)
ELEMENTWISE = {
    "relu": (actlib.relu, actlib.ReLU().gradient, _nan_or(_mp_relu), _nan_or(_mp_relu_grad)),
    "leaky_relu": (actlib.leaky_relu, _LEAKY.gradient,
                   _nan_or(_mp_leaky(_SLOPE)), _nan_or(_mp_leaky_grad(_SLOPE))),
    "sigmoid": (actlib.sigmoid, actlib.Sigmoid().gradient,
                _nan_or(_mp_sigmoid), _nan_or(_mp_sigmoid_grad)),
    "tanh": (actlib.tanh, actlib.Tanh().gradient, _nan_or(mp.tanh), _nan_or(_mp_tanh_grad)),
    "silu": (actlib.silu, actlib.SiLU().gradient, _nan_or(_mp_silu),
             _nan_or(_mp_derivative(_mp_silu_terms, (0, 1)))),
    "mish": (actlib.mish, actlib.Mish().gradient, _nan_or(_mp_mish),
             _nan_or(_mp_derivative(_mp_mish_terms, (0, 1)))),
    "prelu": (_PRELU, _PRELU.gradient,
              _nan_or(_mp_leaky(_PRELU_SLOPE)), _nan_or(_mp_leaky_grad(_PRELU_SLOPE))),
    "relu6": (actlib.relu6, actlib.ReLU6().gradient,
              _nan_or(_mp_clip(0, 6)), _nan_or(_mp_clip_grad(0, 6))),
    "hard_tanh": (actlib.hard_tanh, actlib.Hardtanh().gradient,
                  _nan_or(_mp_clip(-1, 1)), _nan_or(_mp_clip_grad(-1, 1))),
    "hard_sigmoid": (actlib.hard_sigmoid, actlib.Hardsigmoid().gradient,
                     _nan_or(_mp_hard_sigmoid), _nan_or(_mp_hard_sigmoid_grad)),
    "hard_swish": (actlib.hard_swish, actlib.Hardswish().gradient,
                   _nan_or(_mp_hard_swish), _nan_or(_mp_hard_swish_grad)),
    "gelu": (actlib.gelu, actlib.GELU().gradient, _nan_or(_mp_gelu),
             _nan_or(_sum_of(_mp_gelu_parts))),
    "gelu_tanh": (_GELU_TANH, _GELU_TANH.gradient, _nan_or(_mp_gelu_tanh),
                  _nan_or(_sum_of(_mp_gelu_tanh_parts))),
}
KINDS = ("forward", "gradient")
# For a derivative that is a sum of terms and crosses zero (SiLU, GELU, Mish): name -> the sum
# of its terms' magnitudes in mpmath. Its errors are measured in ULP of that sum (the rule's
# unit for such derivatives), since no float64 evaluation beats the rounding of its largest term.
GRADIENT_MAGNITUDE = {
    "silu": _nan_or(_mp_magnitude(_mp_silu_terms)),  # s + |t| s (1 - s)
    "mish": _nan_or(_mp_magnitude(_mp_mish_terms)),  # tanh(sp) + |t| sech^2(sp) sigma(t)
    "gelu": _nan_or(_magnitude_of(_mp_gelu_parts)),  # Phi(t) + |t| phi(t)
    "gelu_tanh": _nan_or(_magnitude_of(_mp_gelu_tanh_parts)),
}
ACTIVATION_OBJECTS = {"relu": actlib.ReLU(), "leaky_relu": _LEAKY, "sigmoid": actlib.Sigmoid(),
                      "tanh": actlib.Tanh()}
ACTIVATION_OBJECTS |= {"prelu": _PRELU, "relu6": actlib.ReLU6(), "hard_tanh": actlib.Hardtanh(),
                       "hard_sigmoid": actlib.Hardsigmoid(), "hard_swish": actlib.Hardswish()}
ACTIVATION_OBJECTS |= {"silu": actlib.SiLU(), "mish": actlib.Mish()}
ACTIVATION_OBJECTS |= {"gelu": actlib.GELU(), "gelu_tanh": _GELU_TANH}


# The exponential linear units and the softplus family (notebooks 06 and 07), from their
# definitions; SELU's constants from Klambauer et al.'s fixed point, not from actlib's floats.
def _selu_constants():
    """(alpha, lambda) with E[selu(z)] = 0 and E[selu(z)^2] = 1 for z ~ N(0, 1).

    With g(c) = E[e^(cz); z <= 0] = e^(c^2/2) erfc(c/sqrt 2) / 2 and E[z; z > 0] = 1/sqrt(2 pi):
    the mean is lambda (1/sqrt(2 pi) - alpha (1/2 - g(1))), so alpha = 1/sqrt(2 pi) / (1/2 - g(1));
    the second moment lambda^2 (1/2 + alpha^2 (g(2) - 2 g(1) + 1/2)) = 1 gives lambda.
    """
    with mp.workprec(256):
        half = mp.mpf(1) / 2

        def g(c):
            return mp.exp(c * c / 2) * mp.erfc(c / mp.sqrt(2)) / 2

        alpha = 1 / mp.sqrt(2 * mp.pi) / (half - g(1))
        lam = 1 / mp.sqrt(half + alpha**2 * (g(2) - 2 * g(1) + half))
    return alpha, lam


SELU_EXACT = _selu_constants()


def _mp_elu(alpha):
    return lambda t: t if t > 0 else mp.mpf(alpha) * mp.expm1(t)


def _mp_elu_grad(alpha):
    return lambda t: mp.mpf(1) if t > 0 else mp.mpf(alpha) * mp.exp(t)  # PyTorch: alpha at 0


def _mp_selu(t):
    alpha, lam = SELU_EXACT
    return lam * t if t > 0 else lam * alpha * mp.expm1(t)


def _mp_selu_grad(t):
    alpha, lam = SELU_EXACT
    return lam if t > 0 else lam * alpha * mp.exp(t)


def _mp_celu(alpha):
    return lambda t: t if t > 0 else mp.mpf(alpha) * mp.expm1(t / mp.mpf(alpha))


def _mp_celu_grad(alpha):
    return lambda t: mp.mpf(1) if t > 0 else mp.exp(t / mp.mpf(alpha))


def _mp_softplus(beta):
    return lambda t: mp.log1p(mp.exp(mp.mpf(beta) * t)) / mp.mpf(beta)


def _mp_softplus_grad(beta):
    return lambda t: 1 / (1 + mp.exp(-mp.mpf(beta) * t))


def _mp_log_sigmoid(t):
    return -mp.log1p(mp.exp(-t))  # log(1 / (1 + e^-t)); log1p keeps -e^-t for large t


def _mp_softsign(t):
    return mp.sign(t) if mp.isinf(t) else t / (1 + abs(t))  # the limits +-1 at +-inf


def _mp_softsign_grad(t):
    return 1 / (1 + abs(t)) ** 2


def _mp_log_sigmoid_grad(t):
    return 1 / (1 + mp.exp(t))  # sigma(-t)


def _register(name, forward, obj, exact, exact_gradient):
    ELEMENTWISE[name] = (forward, obj.gradient, _nan_or(exact), _nan_or(exact_gradient))
    ACTIVATION_OBJECTS[name] = obj


_register("elu", actlib.elu, actlib.ELU(), _mp_elu(1.0), _mp_elu_grad(1.0))
_register("selu", actlib.selu, actlib.SELU(), _mp_selu, _mp_selu_grad)
_register("celu", actlib.celu, actlib.CELU(), _mp_celu(1.0), _mp_celu_grad(1.0))
_register("softplus", actlib.softplus, actlib.Softplus(), _mp_softplus(1.0),
          _mp_softplus_grad(1.0))
_register("log_sigmoid", actlib.log_sigmoid, actlib.LogSigmoid(), _mp_log_sigmoid,
          _mp_log_sigmoid_grad)
_register("softsign", actlib.softsign, actlib.Softsign(), _mp_softsign, _mp_softsign_grad)
for _a in ELU_ALPHAS:
    _register(f"elu(alpha={_a:g})", functools.partial(actlib.elu, alpha=_a), actlib.ELU(_a),
              _mp_elu(_a), _mp_elu_grad(_a))
for _a in CELU_ALPHAS:
    _register(f"celu(alpha={_a:g})", functools.partial(actlib.celu, alpha=_a), actlib.CELU(_a),
              _mp_celu(_a), _mp_celu_grad(_a))
for _b in SOFTPLUS_BETAS:
    _register(f"softplus(beta={_b:g})", functools.partial(actlib.softplus, beta=_b),
              actlib.Softplus(_b), _mp_softplus(_b), _mp_softplus_grad(_b))


@functools.cache
def elementwise_reference(name, kind, dtype):
    """Exact values (mpmath, 200 bits) of activation ``name``'s ``kind`` on the dtype's grid."""
    exact = ELEMENTWISE[name][2 if kind == "forward" else 3]
    return reference(exact, elementwise_grid(dtype))


@functools.cache
def gradient_scale(name, dtype):
    """The unit's base for ``name``'s derivative on the grid: the magnitudes, or None."""
    if name not in GRADIENT_MAGNITUDE:
        return None
    return reference(GRADIENT_MAGNITUDE[name], elementwise_grid(dtype))


def elementwise_errors(name, kind, dtype):
    """``(x, computed, exact, ulp errors)`` of actlib's ``name`` (``kind``) on the grid."""
    x = elementwise_grid(dtype)
    f = ELEMENTWISE[name][0 if kind == "forward" else 1]
    computed = np.asarray(f(x))
    exact = elementwise_reference(name, kind, dtype)
    scale = gradient_scale(name, dtype) if kind == "gradient" else None
    return x, computed, exact, ulp_error(computed, exact, scale)


@functools.cache
def elementwise_grad_outputs(dtype):
    """Seeded incoming gradients for the grid of ``dtype``: for each x, ``+-2**k (1 + u)`` with
    ``k`` uniform over the whole exponent range, so that many products ``g f'(x)`` land in the
    normal range where ``f'(x)`` alone is subnormal or 0 (and some overflow, some underflow).
    Read-only."""
    fi = np.finfo(dtype)
    x = elementwise_grid(dtype)
    rng = np.random.default_rng(7)
    k = rng.integers(fi.minexp, fi.maxexp, x.size)
    sign = rng.choice([-1.0, 1.0], x.size)
    with np.errstate(under="ignore", over="ignore"):
        g = np.ldexp(sign * (1 + rng.random(x.size)), k).astype(dtype)
    g.flags.writeable = False
    return g


def backward_errors(name, dtype):
    """``(x, g, computed, exact, ulp errors)`` of ``backward(x, g)`` on the grid, exact being
    ``g f'(x)`` in mpmath, in the derivative's unit scaled by ``|g|``."""
    x, g = elementwise_grid(dtype), elementwise_grad_outputs(dtype)
    computed = np.asarray(ACTIVATION_OBJECTS[name].backward(x, g))
    exact_grad = elementwise_reference(name, "gradient", dtype)
    with mp.workprec(256):
        exact = np.array([mp.mpf(float(gi)) * d for gi, d in zip(g, exact_grad, strict=True)],
                         dtype=object)
        scale = gradient_scale(name, dtype)
        if scale is not None:
            scale = np.array([abs(mp.mpf(float(gi))) * m for gi, m in zip(g, scale, strict=True)],
                             dtype=object)
    return x, g, computed, exact, ulp_error(computed, exact, scale)


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


def _ld_silu_terms(x):
    s, c = _ld_sigmoid(x), _ld_sigmoid(-x)  # 1 - s as sigma(-x): no cancellation
    return s, x * s * c


def _ld_mish_terms(x):
    sp = np.log1p(np.exp(x))
    return np.tanh(sp), x * _ld_sigmoid(x) / np.cosh(sp) ** 2


# name: (forward, derivative), long double in and out
LONGDOUBLE = {
    "relu": (lambda x: np.where(x > 0, x, 0), lambda x: (x > 0).astype(np.longdouble)),
    "leaky_relu": (lambda x: np.where(x > 0, x, np.longdouble(_SLOPE) * x),
                   lambda x: np.where(x > 0, 1, np.longdouble(_SLOPE))),
    "sigmoid": (_ld_sigmoid, _ld_sigmoid_grad),
    "tanh": (np.tanh, _ld_tanh_grad),
    "silu": (lambda x: x * _ld_sigmoid(x), lambda x: sum(_ld_silu_terms(x))),
    "mish": (lambda x: x * np.tanh(np.log1p(np.exp(x))), lambda x: sum(_ld_mish_terms(x))),
    "prelu": (lambda x: np.where(x > 0, x, np.longdouble(_PRELU_SLOPE) * x),
              lambda x: np.where(x > 0, 1, np.longdouble(_PRELU_SLOPE))),
    "relu6": (lambda x: np.clip(x, 0, 6), lambda x: ((x > 0) & (x < 6)).astype(np.longdouble)),
    "hard_tanh": (lambda x: np.clip(x, -1, 1),
                  lambda x: ((x > -1) & (x < 1)).astype(np.longdouble)),
    "hard_sigmoid": (lambda x: np.clip(x + 3, 0, 6) / 6,
                     lambda x: np.where((x > -3) & (x < 3), 1 / np.longdouble(6), 0)),
    "hard_swish": (lambda x: x * (np.clip(x + 3, 0, 6) / 6),
                   lambda x: np.where(x < -3, 0, np.where(x > 3, 1, (2 * x + 3) / 6))),
}


# The ELU and softplus families in long double. SELU's constants from the exact ones (64 bits).
# CELU's derivative e^(x/alpha): x/alpha rounds in long double too, by up to 2**-64 |x/alpha|,
# which e^ turns into 0.03 ULP of float64 at x/alpha = -133 (the screen's far end for
# alpha = 0.3): too much for a reference. So x/alpha is carried as t + t_lo, the remainder
# x - t alpha exact from halves (Dekker): t and alpha split into 32-bit halves (Veltkamp with
# 2**32 + 1 in long double's 64 bits; alpha, a float64, into 32 and 21 bits), so that every
# partial product is exact.
_LD_SELU = tuple(np.longdouble(mp.nstr(c, 30)) for c in SELU_EXACT)  # (alpha, lambda)


def _ld_split(v, bits):
    """``v = hi + lo`` with ``hi`` of ``64 - bits`` significant bits (Veltkamp)."""
    c = v * np.longdouble(2.0**bits + 1)
    hi = c - (c - v)
    return hi, v - hi


def _ld_exp_ratio(x, alpha):
    """e^(x / alpha) for long-double x and a float64 alpha, to about 2**-63 relative."""
    a = np.longdouble(alpha)
    t = x / a
    t_hi, t_lo = _ld_split(t, 32)
    a_hi, a_lo = _ld_split(a, 32)
    rem = (((x - t_hi * a_hi) - t_hi * a_lo) - t_lo * a_hi) - t_lo * a_lo  # x - t alpha
    return np.exp(t) * (1 + rem / a)


def _ld_softplus(beta):
    b = np.longdouble(beta)  # beta x is exact in long double for the tests' betas (1, 0.5, 10)
    return (lambda x: np.log1p(np.exp(b * x)) / b, lambda x: 1 / (1 + np.exp(-b * x)))


def _ld_register(name, forward, gradient):
    LONGDOUBLE[name] = (forward, gradient)


_ld_register("elu", lambda x: np.where(x > 0, x, np.expm1(x)),
             lambda x: np.where(x > 0, 1, np.exp(x)))
_ld_register("selu", lambda x: _LD_SELU[1] * np.where(x > 0, x, _LD_SELU[0] * np.expm1(x)),
             lambda x: _LD_SELU[1] * np.where(x > 0, 1, _LD_SELU[0] * np.exp(x)))
_ld_register("celu", *LONGDOUBLE["elu"])
_ld_register("celu(alpha=0.3)",
             lambda x: np.where(x > 0, x, np.longdouble(0.3) * np.expm1(x / np.longdouble(0.3))),
             lambda x: np.where(x > 0, 1, _ld_exp_ratio(np.minimum(x, 0), 0.3)))
_ld_register("softplus", *_ld_softplus(1.0))
_ld_register("softplus(beta=10)", *_ld_softplus(10.0))
_ld_register("log_sigmoid", lambda x: -np.log1p(np.exp(-x)), lambda x: 1 / (1 + np.exp(x)))
_ld_register("softsign", lambda x: x / (1 + np.abs(x)), lambda x: 1 / (1 + np.abs(x)) ** 2)
# The dense screen's activations from the two families (tests/test_dense_screen.py)
SCREENED_FAMILIES = ("elu", "selu", "celu(alpha=0.3)", "softplus", "softplus(beta=10)",
                     "log_sigmoid", "softsign")
# name: the sum of the derivative's terms' magnitudes in long double (see GRADIENT_MAGNITUDE)
LONGDOUBLE_MAGNITUDE = {
    "silu": lambda x: sum(np.abs(t) for t in _ld_silu_terms(x)),
    "mish": lambda x: sum(np.abs(t) for t in _ld_mish_terms(x)),
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
    scaled = kind == "gradient" and name in GRADIENT_MAGNITUDE
    x_kept, y_kept, err_kept = np.empty(0, dtype), np.empty(0, dtype), np.empty(0)
    for x in screen_inputs(dtype, n, seed):
        y = np.asarray(f(x))
        xl = x.astype(np.longdouble)
        err = ulp_error(y, ld_exact(xl), LONGDOUBLE_MAGNITUDE[name](xl) if scaled else None)
        i = _largest(err, keep)
        x_kept = np.concatenate([x_kept, x[i]])
        y_kept = np.concatenate([y_kept, y[i]])
        err_kept = np.concatenate([err_kept, err[i]])
        i = _largest(err_kept, keep)
        x_kept, y_kept, err_kept = x_kept[i], y_kept[i], err_kept[i]
    exact = reference(ELEMENTWISE[name][2 + k], x_kept)
    err = ulp_error(y_kept, exact, reference(GRADIENT_MAGNITUDE[name], x_kept) if scaled else None)
    order = np.argsort(-err, kind="stable")
    return Screen(x_kept[order], y_kept[order], exact[order], err[order], err_kept[order])


def assert_screen_bar(name, kind, dtype, n, seed=0):
    """Assert the accuracy rule's bar on the dense screen's worst inputs, confirmed by mpmath."""
    s = screen_worst(name, kind, dtype, n, seed)
    bar = BARS[dtype][KINDS.index(kind)]
    assert s.err[0] <= bar, (
        f"{name} {kind} {np.dtype(dtype).name}, dense screen of {n} inputs (seed {seed}): "
        f"{(s.err > bar).sum()} of the {s.x.size} worst above {bar} ULP; "
        + worst_case(s.x, s.computed, s.exact, s.err)
    )
    # the long-double screen and mpmath agree where it looked (they differ by ~1e-3 ULP)
    assert np.max(np.abs(s.screened - s.err)) <= 0.01


def screen_worst_mpmath(name, kind, dtype, n, seed=0, keep=64):
    """Like :func:`screen_worst` for an activation without a long-double reference (GELU: a
    long double's 64 bits are not enough for ``exp(-x^2/2)`` or ``e^{2u}`` far out): ``n``
    inputs of :func:`screen_inputs` measured against mpmath directly, all of them, so ``n`` is
    tens of thousands rather than millions. Returns the ``keep`` worst as a :class:`Screen`."""
    k = KINDS.index(kind)
    x = np.concatenate(list(screen_inputs(dtype, n, seed)))
    y = np.asarray(ELEMENTWISE[name][k](x))
    exact = reference(ELEMENTWISE[name][2 + k], x)
    scaled = kind == "gradient" and name in GRADIENT_MAGNITUDE
    err = ulp_error(y, exact, reference(GRADIENT_MAGNITUDE[name], x) if scaled else None)
    order = np.argsort(-err, kind="stable")[:keep]
    return Screen(x[order], y[order], exact[order], err[order], err[order])


def assert_screen_bar_mpmath(name, kind, dtype, n, seed=0):
    """Assert the accuracy rule's bar on :func:`screen_worst_mpmath`'s inputs."""
    s = screen_worst_mpmath(name, kind, dtype, n, seed)
    bar = BARS[dtype][KINDS.index(kind)]
    assert s.err[0] <= bar, (
        f"{name} {kind} {np.dtype(dtype).name}, mpmath screen of {n} inputs (seed {seed}): "
        f"{(s.err > bar).sum()} of the {s.x.size} worst above {bar} ULP; "
        + worst_case(s.x, s.computed, s.exact, s.err)
    )


# ----------------------------------------------------------------------------------------------
# The derivative backward multiplies by, and the incoming gradient that hurts it most.
#
# backward(x, g) rounds g d once, d the float64 derivative (Activation._gradient_for_backward).
# Its error in ULP of |g| M (M = |f'(x)|, or the sum of the derivative's terms' magnitudes for one
# that crosses zero) is up to rho + 1/2, where rho = |d - f'(x)| / (2**-53 M) is the derivative's
# relative error: an ULP of |g| M is 2**-53 |g| M when |g| M sits just below a power of two,
# whatever M's own place in its binade. So rho, not the derivative's ULP error, must stay below
# 3.5 for backward's bar of 4. :func:`relative_screen_worst` screens rho where the activations bend
# (long double chooses, mpmath measures); :func:`worst_backward_pair` takes the worst x found and
# picks incoming gradients that put |g| M just below a power of two, where the product's own
# rounding decides the last half ULP, and keeps the worst pair by mpmath.


def _mp_unit(name):
    """The unit ``M`` of ``name``'s derivative in mpmath: the terms' magnitudes, or ``|f'|``."""
    if name in GRADIENT_MAGNITUDE:
        return GRADIENT_MAGNITUDE[name]
    exact = ELEMENTWISE[name][3]
    return lambda t: abs(exact(t))


def _ld_unit(name, x):
    """``M`` in long double (see :func:`_mp_unit`)."""
    if name in LONGDOUBLE_MAGNITUDE:
        return LONGDOUBLE_MAGNITUDE[name](x)
    return np.abs(LONGDOUBLE[name][1](x))


def backward_derivative(name):
    """The float64 derivative ``name``'s ``backward`` multiplies by (float64 in, float64 out)."""
    return ACTIVATION_OBJECTS[name]._gradient_for_backward


def relative_errors(name, x, d):
    """``rho = |d - f'(x)| / (2**-53 M(x))`` for float64 derivative values ``d`` at float64
    ``x``, in mpmath (float64 array)."""
    exact, unit = ELEMENTWISE[name][3], _mp_unit(name)
    with mp.workprec(256):
        return np.array([float(abs(mp.mpf(float(di)) - exact(mp.mpf(float(xi))))
                               / (unit(mp.mpf(float(xi))) * mp.mpf(2) ** -53))
                         for xi, di in zip(x, d, strict=True)])


class RelativeScreen(NamedTuple):
    """What :func:`relative_screen_worst` found: the kept inputs, worst (by mpmath) first."""

    x: np.ndarray
    d: np.ndarray  # the derivative there
    rho: np.ndarray  # its relative error, units of 2**-53 M, by mpmath: the figures to report
    screened: np.ndarray  # the same by long double, which chose these inputs


def relative_screen_worst(name, n, seed=3, keep=16, derivative=None):
    """The ``keep`` float64 inputs of :func:`screen_inputs` where ``derivative`` (by default
    the one ``backward`` uses) has the largest relative error ``rho``, measured again in mpmath."""
    if not screen_available():
        raise RuntimeError(SCREEN_UNAVAILABLE)
    derivative = backward_derivative(name) if derivative is None else derivative
    ld_exact = LONGDOUBLE[name][1]
    x_kept, d_kept, r_kept = np.empty(0), np.empty(0), np.empty(0)
    for x in screen_inputs(np.float64, n, seed):
        d = np.asarray(derivative(x))
        xl = x.astype(np.longdouble)
        with np.errstate(under="ignore", invalid="ignore", divide="ignore"):
            r = np.abs(d.astype(np.longdouble) - ld_exact(xl)) / (_ld_unit(name, xl) * 2.0**-53)
        r = np.where(np.isnan(r), 0.0, r).astype(np.float64)  # 0 / 0 where d and M are 0
        i = _largest(r, keep)
        x_kept, d_kept = np.concatenate([x_kept, x[i]]), np.concatenate([d_kept, d[i]])
        r_kept = np.concatenate([r_kept, r[i]])
        i = _largest(r_kept, keep)
        x_kept, d_kept, r_kept = x_kept[i], d_kept[i], r_kept[i]
    rho = relative_errors(name, x_kept, d_kept)
    order = np.argsort(-rho, kind="stable")
    return RelativeScreen(x_kept[order], d_kept[order], rho[order], r_kept[order])


class BackwardPair(NamedTuple):
    """The worst ``(x, g)`` :func:`worst_backward_pair` found, float64."""

    x: float
    g: float
    computed: float  # backward(x, g)
    exact: object  # g f'(x), mpmath
    scale: object  # |g| M(x), mpmath: the unit's base
    err: float  # backward's error, ULP of |g| M(x)
    rho: float  # the relative error at x of the derivative backward multiplies by

    def __str__(self):
        return (f"backward(x = {self.x!r}, g = {self.g!r}) = {self.computed!r}, exact "
                f"{mp.nstr(self.exact, 20)}: {self.err:.3f} ULP (its derivative's relative "
                f"error there: {self.rho:.3f} units of 2**-53)")


def worst_backward_pair(name, x, tries=64, backward=None):
    """The worst ``(x, g)`` for float64 ``backward``, ``x`` among the given inputs, by mpmath.

    For each ``x`` the incoming gradients ``g = (2 - j 2**-24) / M(x)``, ``j = 1 .. tries``,
    rounded: ``|g| M`` sits just below 2, where an ULP is relatively smallest, so the error of
    the derivative counts in full (``rho`` ULP); the product's own rounding, different for each
    ``j``, adds up to half an ULP more. Few ``x`` are meant: the worst of a screen or a band.
    ``backward(x, g)`` is the activation's unless given (``lambda x, g: g * act.gradient(x)``
    shows what the base class's product with ``gradient`` would do); ``rho`` is that of the
    derivative ``backward`` uses.
    """
    act, exact, unit = ACTIVATION_OBJECTS[name], ELEMENTWISE[name][3], _mp_unit(name)
    backward = act.backward if backward is None else backward
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    rho = relative_errors(name, x, backward_derivative(name)(x))
    best = None
    j = np.arange(1, tries + 1)
    for xi, ri in zip(x, rho, strict=True):
        with mp.workprec(256):
            fx, mx = exact(mp.mpf(float(xi))), unit(mp.mpf(float(xi)))
            g = np.array([float((2 - mp.mpf(int(k)) * mp.mpf(2) ** -24) / mx) for k in j])
            exact_g = np.array([mp.mpf(float(gi)) * fx for gi in g], dtype=object)
            scale_g = np.array([mp.mpf(float(gi)) * mx for gi in g], dtype=object)
        computed = np.asarray(backward(np.full(g.size, xi), g))
        err = ulp_error(computed, exact_g, scale_g)
        k = int(np.argmax(err))
        if best is None or err[k] > best.err:
            best = BackwardPair(float(xi), float(g[k]), float(computed[k]), exact_g[k],
                                scale_g[k], float(err[k]), float(ri))
    return best


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
        with np.errstate(under="ignore"):  # tiny scales round to subnormals: meant
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


def softmax_exact(row):
    """Exact softmax of the 1-d ``row`` from its :func:`_shifts` (an object array of mpmath)."""
    with mp.workprec(200):
        e = [mp.exp(d) for d in _shifts(row)]
        s = mp.fsum(e)
        p = [v / s for v in e]
    return np.array(p, dtype=object)


@functools.cache
def _softmax_exact(dtype, max_len, index):
    return softmax_exact(softmax_rows(dtype, max_len)[index])


def softmax_reference(dtype, max_len=None):
    """Exact softmax of every row of :func:`softmax_rows` (object arrays of mpmath numbers)."""
    rows = softmax_rows(dtype, max_len)
    return [_softmax_exact(dtype, max_len, i) for i in range(len(rows))]


def jacobian_exact(p):
    """Exact ``J[i, j] = p_i (delta_ij - p_j)`` from the exact probabilities ``p``."""
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


@functools.cache
def _jacobian_exact(dtype, max_len, index):
    return jacobian_exact(_softmax_exact(dtype, max_len, index))


def softmax_jacobian_reference(dtype, max_len):
    """Exact Jacobians ``J[i, j] = p_i (delta_ij - p_j)`` of the rows up to ``max_len``."""
    rows = softmax_rows(dtype, max_len)
    return [_jacobian_exact(dtype, max_len, i) for i in range(len(rows))]


def draw_grad_outputs(rng, shape, dtype):
    """Incoming gradients of ``shape``: mixed signs and magnitudes (1e-3 to 1e3)."""
    with np.errstate(under="ignore"):  # a float16 gradient near 1e-3 times a small normal
        return (rng.standard_normal(shape) * 10.0 ** rng.uniform(-3, 3, shape)).astype(dtype)


def grad_outputs(dtype, max_len=None):
    """Seeded incoming gradients (:func:`draw_grad_outputs`), one per softmax_rows row."""
    rng = np.random.default_rng(11)
    return [draw_grad_outputs(rng, row.size, dtype) for row in softmax_rows(dtype, max_len)]


def vjp_exact(p, g):
    r"""Exact ``(J^T g)_j`` and the VJP's conditioning ``sum_i |J_ij g_i|``, from the exact ``p``.

    With :math:`J_{ij} = p_i (\delta_{ij} - p_j)` and :math:`1 - p_j = \sum_{i \ne j} p_i`:

    .. math::

        (J^\top g)_j = p_j \Bigl(g_j - \sum_i p_i g_i\Bigr)
                     = p_j \sum_{i \ne j} p_i (g_j - g_i), \qquad
        \sum_i |J_{ij} g_i| = p_j \Bigl(|g_j| \sum_{i \ne j} p_i + \sum_{i \ne j} p_i |g_i|\Bigr)

    O(n), without the Jacobian: the first forms (a sum over all ``i``, less the ``j``-th term)
    for every ``j`` but the largest ``p_k``, where they cancel (``p_k`` can be within 1e-300 of
    1, and ``g_k - sum_i p_i g_i`` then keeps nothing at any precision) and the sums over
    ``i != k`` are taken directly. Every other ``p_j`` is at most 1/2, so there nothing cancels
    beyond what the conditioning itself allows. The value as an object array, the conditioning as
    float64.
    """
    n = p.size
    k = max(range(n), key=lambda i: p[i])
    with mp.workprec(200):
        gm = [mp.mpf(float(v)) for v in g]
        dot = mp.fsum(pj * gj for pj, gj in zip(p, gm, strict=True))
        value = [pj * (gj - dot) for pj, gj in zip(p, gm, strict=True)]
        value[k] = p[k] * mp.fsum(p[i] * (gm[k] - gm[i]) for i in range(n) if i != k)
        weighted = [pj * abs(gj) for pj, gj in zip(p, gm, strict=True)]
        total = mp.fsum(weighted)
        others = [1 - pj for pj in p]
        rest = [total - w for w in weighted]
        others[k] = mp.fsum(p[i] for i in range(n) if i != k)
        rest[k] = mp.fsum(weighted[i] for i in range(n) if i != k)
        cond = [p[j] * (abs(gm[j]) * others[j] + rest[j]) for j in range(n)]
    return np.array(value, dtype=object), np.array([float(c) for c in cond])


def vjp_error(computed, exact, cond, dtype):
    """``|computed - exact|`` in units of ``eps * sum_i |J_ij g_i|`` (``eps`` of ``dtype``).

    ``exact`` is what :func:`vjp_exact` returns (mpmath numbers) or, for the dense screen, a
    long-double array of any shape (:func:`_ld_softmax_vjp`). The smallest subnormal is added to
    the scale: a result that underflows is judged in absolute terms there, as ULP errors are.
    """
    fi = np.finfo(dtype)
    eps, tiny = float(fi.eps), float(fi.smallest_subnormal)
    if exact.dtype != object:
        with np.errstate(under="ignore"):  # the measure's own arithmetic
            scale = eps * cond + tiny
            return (np.abs(computed.astype(exact.dtype) - exact) / scale).astype(np.float64)
    # the scale in mpmath: eps * cond can be subnormal in float64, where it would round
    with mp.workprec(200):
        return np.array([float(abs(mp.mpf(float(c)) - y) / (eps * mp.mpf(float(k)) + tiny))
                         for c, y, k in zip(computed, exact, cond, strict=True)])


# ----------------------------------------------------------------------------------------------
# The softmax screen: seeded random batches of rows, measured against long double, the worst rows
# measured again in mpmath (softmax_exact, jacobian_exact, vjp_exact), as screen_worst does for
# the elementwise activations. The grid's ~100 fixed rows missed float64's worst cases.
#
# The long-double references start where _shifts does (float64: the rounded differences
# fl(x_i - max); float16/32: the differences taken in long double, exact unless the two entries
# are some 40 binades apart, and then within 2**-64 of x_i - max, far below a float32 ULP once
# through exp) and follow the same mathematics as the mpmath ones, with the same care where it
# cancels: at the largest p_k, 1 - p_k and g_k - sum_i p_i g_i are sums over i != k.

SOFTMAX_KINDS = ("forward", "jacobian", "backward")
SOFTMAX_UNITS = {"forward": "ULP", "jacobian": "ULP", "backward": "eps * sum_i |J_ij g_i|"}
SOFTMAX_SCREEN_LENGTHS = (2, 3, 5, 10, 30, 100, 1000)
# What makes float64's error large: the roundings of the row sum (more terms, more roundings; the
# partial sum that holds the max's exp(0) = 1 rounds each small term added to it, at 2**-53 of
# 1), then each exp's error and the division; in backward, p_i that underflow (subnormal, with
# few bits) before they are multiplied by g_i - sum(g p). "dominant": one entry 0 to 40 above the
# row's max (p_k close to 1, the sum a little above 1); "repeats": three values repeated along the
# row (the same roundings many times); "spread": uniform from where exp rounds to 0 in the dtype
# (1.01 log of its smallest subnormal) to 0, so the p_i cover its whole range.
SOFTMAX_SCREEN_FAMILIES = ("normal*1", "normal*10", "normal*100", "dominant", "repeats", "spread")


def _screen_family(rng, family, shape, dtype):
    rows, n = shape
    if family.startswith("normal*"):
        x = rng.standard_normal(shape) * float(family.removeprefix("normal*"))
    elif family == "dominant":
        x = rng.standard_normal(shape)
        k = rng.integers(n, size=(rows, 1))
        top = x.max(axis=1, keepdims=True) + rng.uniform(0, 40, (rows, 1))
        np.put_along_axis(x, k, top, axis=1)
    elif family == "repeats":
        values = rng.standard_normal((rows, 3)) * 3
        x = np.take_along_axis(values, rng.integers(3, size=shape), axis=1)
    else:  # spread
        x = rng.uniform(1.01 * np.log(float(np.finfo(dtype).smallest_subnormal)), 0, shape)
    with np.errstate(under="ignore"):
        return x.astype(dtype)


def softmax_screen_rows(dtype, n, seed, max_len=None, per_row=None, grads=False):
    """Seeded random rows, about ``n`` measured values in all, as ``(case, start, x, g)`` batches.

    Every length of :data:`SOFTMAX_SCREEN_LENGTHS` (up to ``max_len``) with every family of
    :data:`SOFTMAX_SCREEN_FAMILIES` is a case ``"n=100 normal*10"`` and gets an equal share of
    ``n``: ``share // per_row(length)`` rows, at least one (``per_row`` is the length by
    default; the Jacobian's values per row are its square). ``x`` is a ``(rows, length)`` batch
    of at most ``SCREEN_CHUNK`` values, the case's rows ``start`` on; ``g`` seeded incoming
    gradients of its shape (:func:`draw_grad_outputs`) or None. Each case draws from its own
    seed: adding a length or a family leaves the other cases' rows as they were.
    """
    per_row = per_row or (lambda length: length)
    lengths = [m for m in SOFTMAX_SCREEN_LENGTHS if max_len is None or m <= max_len]
    cases = [(m, f) for m in lengths for f in SOFTMAX_SCREEN_FAMILIES]
    share = n // len(cases)
    for index, (length, family) in enumerate(cases):
        rng = np.random.default_rng([seed, index])
        g_rng = np.random.default_rng([seed, index, 11])
        total = max(1, share // per_row(length))
        step = max(1, SCREEN_CHUNK // per_row(length))
        for start in range(0, total, step):
            shape = (min(step, total - start), length)
            x = _screen_family(rng, family, shape, dtype)
            g = draw_grad_outputs(g_rng, shape, dtype) if grads else None
            yield f"n={length} {family}", start, x, g


def _ld_exp_shifts(x):
    """``exp`` of :func:`_shifts`'s differences for a batch of rows (last axis), in long double,
    and where each row's max is (its exp is exactly 1)."""
    k = np.argmax(x, axis=-1, keepdims=True)
    m = np.take_along_axis(x, k, axis=-1)
    if x.dtype == np.float64:
        with np.errstate(over="ignore"):
            d = (x - m).astype(np.longdouble)
    else:
        d = x.astype(np.longdouble) - m.astype(np.longdouble)
    with np.errstate(under="ignore"):
        return np.exp(d), k


def _ld_sum_others(a, k):
    """``sum_{i != j} a_i`` for every ``j`` of each row: the row sum less ``a_j``, except at
    index ``k``, the row's largest ``p``, where ``a_k`` may be nearly all the sum: there the
    others are summed without it."""
    others = a.sum(axis=-1, keepdims=True) - a
    rest = a.copy()
    np.put_along_axis(rest, k, 0, axis=-1)
    np.put_along_axis(others, k, rest.sum(axis=-1, keepdims=True), axis=-1)
    return others


def _ld_softmax(x):
    """Softmax ``p_i = e_i / sum_j e_j`` of a batch of rows (last axis), in long double."""
    e, _ = _ld_exp_shifts(x)
    return e / e.sum(axis=-1, keepdims=True)


def _ld_softmax_jacobian(x):
    """``J[..., i, j] = p_i (delta_ij - p_j)``, the diagonal ``p_i sum_{j != i} p_j``."""
    e, k = _ld_exp_shifts(x)
    s = e.sum(axis=-1, keepdims=True)
    p = e / s
    jac = -p[..., :, None] * p[..., None, :]
    diagonal = np.arange(x.shape[-1])
    jac[..., diagonal, diagonal] = p * (_ld_sum_others(e, k) / s)
    return jac


def _ld_softmax_vjp(x, g):
    """``(J^T g)_j`` and ``sum_i |J_ij g_i|`` of a batch, in long double, as :func:`vjp_exact`."""
    e, k = _ld_exp_shifts(x)
    s = e.sum(axis=-1, keepdims=True)
    p = e / s
    g = g.astype(np.longdouble)
    value = p * (g - (p * g).sum(axis=-1, keepdims=True))
    g_k = np.take_along_axis(g, k, axis=-1)
    value_k = np.take_along_axis(p, k, axis=-1) * (p * (g_k - g)).sum(axis=-1, keepdims=True)
    np.put_along_axis(value, k, value_k, axis=-1)  # the i = k term of that sum is exactly 0
    cond = p * (np.abs(g) * (_ld_sum_others(e, k) / s) + _ld_sum_others(p * np.abs(g), k))
    return value, cond


_SOFTMAX = actlib.Softmax()


def _screen_batch(kind, x, g):
    """actlib's results on the batch ``x`` and each row's largest error against long double."""
    if kind == "forward":
        y = _SOFTMAX(x)
        return y, ulp_error(y, _ld_softmax(x)).max(axis=-1)
    if kind == "jacobian":
        y = _SOFTMAX.gradient(x)
        return y, ulp_error(y, _ld_softmax_jacobian(x)).max(axis=(-2, -1))
    y = _SOFTMAX.backward(x, g)
    value, cond = _ld_softmax_vjp(x, g)
    return y, vjp_error(y, value, cond, x.dtype.type).max(axis=-1)


def _row_exact(kind, row, g, y):
    """mpmath's exact values for one row and actlib's errors there (ULP, or eps * cond)."""
    p = softmax_exact(row)
    if kind == "forward":
        return p, ulp_error(y, p)
    if kind == "jacobian":
        jac = jacobian_exact(p)
        return jac, ulp_error(y, jac)
    value, cond = vjp_exact(p, g)
    return value, vjp_error(y, value, cond, row.dtype.type)


class SoftmaxScreen(NamedTuple):
    """What :func:`softmax_screen_worst` found: the kept rows, worst (by mpmath) first."""

    cases: list  # "n=100 normal*10, row 17": the case and the row's index in it
    rows: list  # the inputs
    grads: list  # backward's incoming gradients (None for forward and jacobian)
    computed: list  # actlib's results
    exact: list  # mpmath's (object arrays)
    errs: list  # per value, against mpmath: ULP, or eps * sum_i |J_ij g_i| for backward
    err: np.ndarray  # each row's largest: the figures to report
    screened: np.ndarray  # each row's largest against long double, which chose these rows


def softmax_screen_worst(kind, dtype, n, seed=0, keep=64):
    """The ``keep`` rows of :func:`softmax_screen_rows` where actlib's softmax ``kind`` is worst.

    ``kind`` is ``"forward"``, ``"jacobian"`` (rows up to ``JAC_MAX_LEN``, ``n`` counting its
    ``length**2`` values per row) or ``"backward"``. Every row is measured against long double,
    batch by batch; the ``keep`` whose largest error is worst are measured again in mpmath, so
    every error returned is mpmath's and the screen only chooses where to look.
    """
    if not screen_available():
        raise RuntimeError(SCREEN_UNAVAILABLE)
    jacobian = kind == "jacobian"
    batches = softmax_screen_rows(
        dtype, n, seed, max_len=JAC_MAX_LEN if jacobian else None,
        per_row=(lambda length: length * length) if jacobian else None,
        grads=kind == "backward",
    )
    kept = []  # (long-double error, "case, row i", row, g, actlib's result)
    for case, start, x, g in batches:
        y, err = _screen_batch(kind, x, g)
        for i in _largest(err, keep):
            kept.append((err[i], f"{case}, row {start + i}", x[i],
                         None if g is None else g[i], y[i]))
        kept = sorted(kept, key=lambda item: -item[0])[:keep]
    confirmed = [(*item, *_row_exact(kind, *item[2:])) for item in kept]
    confirmed.sort(key=lambda item: -item[-1].max())
    screened, cases, rows, grads, computed, exact, errs = zip(*confirmed, strict=True)
    return SoftmaxScreen(list(cases), list(rows), list(grads), list(computed), list(exact),
                         list(errs), np.array([e.max() for e in errs]),
                         np.array(screened, dtype=np.float64))


def softmax_screen_case(s, i=0):
    """A message naming the ``i``-th row of a :class:`SoftmaxScreen`: its case, its largest
    error and where, the values there, and the row itself (summarised past 12 entries)."""
    err, row, y, exact = s.errs[i], s.rows[i], s.computed[i], s.exact[i]
    at = np.unravel_index(int(np.argmax(err)), err.shape)
    where = "entry " + ", ".join(map(str, at))
    text = np.array2string(row, threshold=12, precision=17, separator=", ")
    message = (f"{s.cases[i]}: {err[at]:.3f} at {where}: got {y[at]!r}, exact "
               f"{mp.nstr(exact[at], 20)}; x = {text}")
    if s.grads[i] is not None:
        message += "; g = " + np.array2string(s.grads[i], threshold=12, precision=17,
                                              separator=", ")
    return message


def assert_softmax_screen_bar(kind, dtype, n, seed=0, keep=8):
    """Assert the softmax bar (:data:`SOFTMAX_BARS`) on the screen's worst rows, by mpmath."""
    s = softmax_screen_worst(kind, dtype, n, seed, keep)
    bar = SOFTMAX_BARS[dtype]
    assert s.err[0] <= bar, (
        f"softmax {kind} {np.dtype(dtype).name}, dense screen of {n} values (seed {seed}): "
        f"{(s.err > bar).sum()} of the {s.err.size} worst rows above {bar} "
        f"{SOFTMAX_UNITS[kind]}; worst on "
        + softmax_screen_case(s)
    )
    # the long-double screen and mpmath agree where it looked
    assert np.max(np.abs(s.screened - s.err)) <= 0.01


def assert_elementwise_bar(name, kind, dtype):
    """Assert the accuracy rule's bar for activation ``name``'s ``kind`` on ``dtype``'s grid."""
    x, computed, exact, err = elementwise_errors(name, kind, dtype)
    assert computed.dtype == dtype and computed.shape == x.shape
    bar = BARS[dtype][0 if kind == "forward" else 1]
    assert err.max() <= bar, (
        f"{name} {kind} {np.dtype(dtype).name}: {(err > bar).sum()} of {x.size} inputs above "
        f"{bar} ULP; " + worst_case(x, computed, exact, err)
    )


# ----------------------------------------------------------------------------------------------
# Log-softmax: exact references from the same rounded differences as softmax's (_shifts)


def log_softmax_exact(row):
    """Exact log-softmax of the 1-d ``row`` (an object array of mpmath numbers).

    ``d_i - log(sum_j exp(d_j))`` from :func:`_shifts`, with the log-sum-exp taken as
    ``log1p`` of the sum of the terms other than the max's (``exp(0) = 1``): at 200 bits,
    ``log(1 + 1e-300)`` would round the sum to 1 and give 0.
    """
    d = _shifts(row)
    k = max(range(len(d)), key=lambda i: d[i])
    with mp.workprec(200):
        if mp.isinf(d[k]):  # all -inf, or +inf entries: left to the tests of limits
            return np.array([mp.nan] * len(d), dtype=object)
        lse = mp.log1p(mp.fsum(mp.exp(v) for i, v in enumerate(d) if i != k))
        return np.array([v - lse for v in d], dtype=object)


def log_softmax_jacobian_exact(p):
    """Exact ``J[i, j] = delta_ij - p_j`` from the exact probabilities ``p``; the diagonal as
    ``sum_{j != i} p_j`` (``1 - p_i`` would round to 0 at any precision for ``p_i`` within
    1e-300 of 1)."""
    n = p.size
    with mp.workprec(200):
        jac = np.empty((n, n), dtype=object)
        for i in range(n):
            for j in range(n):
                jac[i, j] = -p[j]
            jac[i, i] = mp.fsum(p[j] for j in range(n) if j != i)
    return jac


def log_softmax_vjp_exact(p, g):
    r"""Exact ``(J^T g)_j = g_j - p_j sum_i g_i`` and its conditioning ``sum_i |J_ij g_i| =
    |g_j| (1 - p_j) + p_j sum_{i != j} |g_i|``, from the exact ``p``.

    At the largest ``p_k`` (which may be 1 to hundreds of digits) the value is
    ``g_k sum_{i != k} p_i - p_k sum_{i != k} g_i``, which does not cancel. The value as an
    object array, the conditioning as float64.
    """
    n = p.size
    k = max(range(n), key=lambda i: p[i])
    with mp.workprec(200):
        gm = [mp.mpf(float(v)) for v in g]
        total = mp.fsum(gm)
        value = [gj - pj * total for pj, gj in zip(p, gm, strict=True)]
        others_p = [mp.fsum(p[i] for i in range(n) if i != j) for j in range(n)]
        value[k] = gm[k] * others_p[k] - p[k] * mp.fsum(gm[i] for i in range(n) if i != k)
        abs_total = mp.fsum(abs(v) for v in gm)
        cond = [abs(gm[j]) * others_p[j] + p[j] * (abs_total - abs(gm[j])) for j in range(n)]
    return np.array(value, dtype=object), np.array([float(c) for c in cond])


@functools.cache
def _log_softmax_exact(dtype, max_len, index):
    return log_softmax_exact(softmax_rows(dtype, max_len)[index])


def log_softmax_reference(dtype, max_len=None):
    """Exact log-softmax of every row of :func:`softmax_rows` (object arrays of mpmath)."""
    rows = softmax_rows(dtype, max_len)
    return [_log_softmax_exact(dtype, max_len, i) for i in range(len(rows))]


# ----------------------------------------------------------------------------------------------
# Gated units: y = f(a, b) for the halves of [a, b]; the grid pairs every input of the
# elementwise grid, as the gate's argument, with the grid shuffled, as the other factor


def _mp_dsigmoid(t):
    return 1 / (4 * mp.cosh(t / 2) ** 2)


def _mp_silu(t):
    return mp.mpf(0) if t == -mp.inf else t * _mp_sigmoid(t)  # the limit at -inf


def _mp_silu_grad_terms(t):
    """``silu'(t) = sigma(t) + t sigma'(t)`` as its two terms, with the limits at +-inf."""
    if mp.isinf(t):
        return (mp.mpf(1) if t > 0 else mp.mpf(0)), mp.mpf(0)
    return _mp_sigmoid(t), t * _mp_dsigmoid(t)


def _mp_glu(a, b):
    return a * _mp_sigmoid(b)


def _mp_glu_da(a, b):
    return _mp_sigmoid(b)


def _mp_glu_db(a, b):
    return a * _mp_dsigmoid(b)


def _mp_swiglu(a, b):
    return _mp_silu(a) * b


def _mp_swiglu_da(a, b):
    return b * sum(_mp_silu_grad_terms(a))


def _mp_swiglu_da_scale(a, b):  # silu'(a) b crosses zero: the unit is its terms' magnitudes
    return abs(b) * sum(abs(v) for v in _mp_silu_grad_terms(a))


def _mp_swiglu_db(a, b):
    return _mp_silu(a)


def _mp_gelu_terms(t, approximate):
    """``gelu'(t)`` as its two terms (``Phi(t)``, ``t phi(t)``; for the tanh approximation
    ``sigma(2u)`` and ``t sigma(2u) sigma(-2u) 2u'``), and ``gelu(t)``, with the limits at +-inf:
    the elementwise references above (guarded where mpmath's erfc fails, near 1e308)."""
    if approximate == "none":
        return _mp_gelu_parts(t), _mp_gelu(t)
    return _mp_gelu_tanh_parts(t), _mp_gelu_tanh(t)


def _mp_geglu(approximate):
    def forward(a, b):
        return _mp_gelu_terms(a, approximate)[1] * b

    def da(a, b):
        return b * sum(_mp_gelu_terms(a, approximate)[0])

    def db(a, b):
        return _mp_gelu_terms(a, approximate)[1]

    def da_scale(a, b):
        return abs(b) * sum(abs(v) for v in _mp_gelu_terms(a, approximate)[0])

    return forward, da, db, da_scale


# name: (object, exact y, exact dy/da, exact dy/db, magnitude of dy/da's terms or None)
GATED = {
    "glu": (actlib.GLU(), _mp_glu, _mp_glu_da, _mp_glu_db, None),
    "swiglu": (actlib.SwiGLU(), _mp_swiglu, _mp_swiglu_da, _mp_swiglu_db, _mp_swiglu_da_scale),
}
if hasattr(actlib, "GELU"):  # GEGLU is built on actlib's GELU
    GATED |= {"geglu": (actlib.GEGLU(), *_mp_geglu("none")),
              "geglu_tanh": (actlib.GEGLU(approximate="tanh"), *_mp_geglu("tanh"))}
GATED_KINDS = ("forward", "da", "db")


@functools.cache
def gated_pairs(dtype):
    """``(a, b)``: ``b`` the whole elementwise grid of ``dtype`` (float16: every float), ``a``
    the same grid in a seeded random order. Read-only."""
    b = elementwise_grid(dtype)
    a = np.random.default_rng(13).permutation(b)
    a.flags.writeable = False
    return a, b


def _mp_pairs(f, a, b):
    with mp.workprec(200):
        return np.array([f(mp.mpf(float(u)), mp.mpf(float(v))) for u, v in
                         zip(a, b, strict=True)], dtype=object)


@functools.cache
def gated_reference(name, kind, dtype):
    """Exact ``kind`` ("forward", "da", "db" or "da_scale") of gated unit ``name`` on the pairs."""
    exact = GATED[name][1 + (GATED_KINDS + ("da_scale",)).index(kind)]
    return None if exact is None else _mp_pairs(exact, *gated_pairs(dtype))


def gated_errors(name, kind, dtype):
    """``(x, computed, exact, ulp errors)`` of the gated unit ``name`` (``kind``) on the pairs;
    ``x`` is the ``(N, 2)`` input, rows ``[a, b]``."""
    a, b = gated_pairs(dtype)
    x = np.stack([a, b], axis=-1)
    act = GATED[name][0]
    if kind == "forward":
        computed = act(x)[:, 0]
    else:
        computed = act.gradient(x)[GATED_KINDS.index(kind) - 1][:, 0]
    exact = gated_reference(name, kind, dtype)
    scale = gated_reference(name, "da_scale", dtype) if kind == "da" else None
    return x, computed, exact, ulp_error(computed, exact, scale)


def gated_backward_errors(name, dtype):
    """``(x, g, computed, exact, errors)`` of ``backward(x, g)`` on the pairs, ``g`` the grid's
    incoming gradients of every size; both halves, ``(N, 2)``."""
    a, b = gated_pairs(dtype)
    x = np.stack([a, b], axis=-1)
    g = elementwise_grad_outputs(dtype)
    computed = GATED[name][0].backward(x, g[:, None])
    exact, scales = [], []
    with mp.workprec(256):
        gm = [mp.mpf(float(v)) for v in g]
        for kind in ("da", "db"):
            ref = gated_reference(name, kind, dtype)
            exact.append(np.array([u * v for u, v in zip(gm, ref, strict=True)], dtype=object))
            scale = gated_reference(name, "da_scale", dtype) if kind == "da" else None
            scales.append(None if scale is None else
                          np.array([abs(u) * v for u, v in zip(gm, scale, strict=True)],
                                   dtype=object))
    errs = [ulp_error(computed[:, i], exact[i], scales[i]) for i in range(2)]
    return x, g, computed, np.stack(exact, axis=-1), np.stack(errs, axis=-1)


def assert_self_gated_bounds(f, act, x, minimum, d_min, d_max):
    """The bounds of a self-gated unit x g(x) with 0 < g < 1 (SiLU, Mish), within the bars:
    x <= f(x) <= 0 for x <= 0 and 0 <= f(x) <= x for x >= 0, f(x) >= its minimum, and its
    derivative within [d_min, d_max]; the limits 0 at -inf and inf at inf."""
    dtype = x.dtype.type
    y = f(x).astype(np.float64)
    bar = BARS[dtype][0] * float(np.finfo(dtype).eps)
    xf = x.astype(np.float64)
    fin = np.isfinite(xf)
    with np.errstate(under="ignore"):  # the test's own tolerance for subnormal x
        assert (np.abs(y[fin]) - np.abs(xf[fin]) <= np.abs(xf[fin]) * bar).all()
    assert (y[~fin] == np.maximum(xf[~fin], 0)).all()
    assert (np.sign(y) * np.sign(xf) >= 0).all()
    assert (y >= float(minimum) * (1 + bar)).all()
    d = act.gradient(x).astype(np.float64)
    slack = BARS[dtype][1] * float(np.finfo(dtype).eps)  # an ULP at 1, in the magnitudes' unit
    assert ((d >= d_min - slack) & (d <= d_max + slack)).all()


def worst_of(pairs):
    """The ``(error, where)`` pair with the largest error."""
    return max(pairs, key=lambda item: item[0])


def assert_scaled_unit_bars(forward, act, x, fwd, grad):
    """A scaled unit (CELU's alpha, softplus's beta) within float64's bars at ``x``: forward
    3 ULP of ``fwd``, derivative 4 of ``grad``, and backward with g = 1e300 4 ULP of g f'."""
    assert ulp_error(forward(x), fwd).max(initial=0) <= 3
    assert ulp_error(act.gradient(x), grad).max(initial=0) <= 4
    g = np.full(x.shape, 1e300)
    with mpmath.workprec(256):
        exact = np.array([mpmath.mpf(1e300) * v for v in grad], dtype=object)
    assert ulp_error(act.backward(x, g), exact).max(initial=0) <= 4
