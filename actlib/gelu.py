r"""GELU, the Gaussian error linear unit: ``x Phi(x)``, exact, and its tanh approximation."""

import numpy as np

from . import _special_coefficients as _c
from . import special as _s
from ._base import Activation, as_float_array, as_result, blockwise, two_sum

_APPROXIMATIONS = ("none", "tanh")


def _check_approximate(approximate, name):
    if not isinstance(approximate, str):
        raise TypeError(
            f"{name}(): approximate must be a string, 'none' or 'tanh', got {approximate!r}"
        )
    if approximate not in _APPROXIMATIONS:
        raise ValueError(f"{name}(): approximate must be 'none' or 'tanh', got {approximate!r}")
    return approximate


# ---------------------------------------------------------------------------------------------
# The exact GELU: x Phi(x) = relu(x) - t Phi(-t), t = |x|, with t Phi(-t) = exp(-t^2/2) T(t)
# rounded once by actlib.special.lower_tail, and x (1/2 + x A(x^2)) for |x| < 1/2.


def _gelu_kernel(x, out, *bufs):
    t = bufs[0]
    _s._tail_argument(x, _s.PHI_CLAMP, t)
    y, scale = _s.lower_tail(t, 0.5, _c.PHI_PIECES, bufs[1:11])
    y *= scale  # t Phi(-t), rounded once (subnormal results included)
    rest = scale
    np.maximum(x, -0.0, out=rest)  # relu, with -0 for x < 0: GELU(-40) is -0, not +0
    rest -= y  # x - t Phi(-t) = x Phi(x) for x > 0; -t Phi(-t) for x < 0
    xs, s, p = y, bufs[11], bufs[12]
    np.clip(x, -_s.SMALL, _s.SMALL, out=xs)
    np.multiply(xs, xs, out=s)
    _s._polynomial(_c.PHI_SMALL, s, p)
    p *= xs
    p += 0.5
    p *= xs  # x Phi(x) for |x| < 1/2
    _s._small_mask(x, s)
    _s._blend(p, rest, s, out)


def _near_zero_derivative(x, coeffs, other, xs, x2, poly, out):
    """``out = 1/2 + x A(x^2)`` where ``|x| < 1/2`` (A the polynomial ``coeffs``), ``other``
    elsewhere: both forms' derivative series near 0, where their general formulas cancel."""
    np.clip(x, -_s.SMALL, _s.SMALL, out=xs)
    np.multiply(xs, xs, out=x2)
    _s._polynomial(coeffs, x2, poly)
    poly *= xs
    poly += 0.5
    _s._small_mask(x, x2)
    _s._blend(poly, other, x2, out)


def _gelu_gradient_kernel(x, out, *bufs):
    t = bufs[0]
    _s._tail_argument(x, _s.PHI_CLAMP, t)
    e, b, big, anchor, corr, g, h, u, pq, w = bufs[1:11]
    _s.exp_neg_square(t, 0.5, e, b, big, pq, w)
    _s._scaled_mills(t, _c.PHI_PIECES, b, anchor, corr, g, h, u, pq, w)
    # f'(-t) = Phi(-t) - t phi(t) = exp(-t^2/2) (T/t - c t), c = 1/sqrt(2 pi); with the factor
    # (1 - b) of exp_neg_square: T (1 - b) / t - c t + c t b. c t is carried exactly as
    # c_hi th + (c_hi tl + c_lo t), c_hi of 26 bits and t = th + tl split in halves.
    anchor += corr
    anchor /= t  # T (1 - b) / t
    c_hi, c_lo = _c.PHI_TAIL.anchor, _c.PHI_TAIL.anchor_lo
    np.multiply(t, b, out=w)
    w *= _s.INV_SQRT_2PI
    anchor += w  # + c t b
    np.multiply(t, c_lo, out=w)
    anchor -= w
    _s._split_hi(t, u)
    np.subtract(t, u, out=w)
    w *= c_hi
    anchor -= w  # - c_hi tl: exact product
    u *= c_hi  # c_hi th: exact
    anchor -= u  # the one rounding of the difference
    anchor *= e
    _s._unshift(big, g)
    anchor *= g
    # f'(x) = 1 - f'(-x)... as f'(t) = Phi(t) + t phi(t) = 1 - (Phi(-t) - t phi(t)):
    # f'(x) = H + (1 - 2H) f'(-|x|), H = [x > 0]
    np.greater(x, 0.0, out=h, casting="unsafe")
    np.multiply(h, -2.0, out=u)
    u += 1.0
    anchor *= u
    anchor += h
    # |x| < 1/2: Phi(x) + x phi(x) = 1/2 + x A2(x^2)
    _near_zero_derivative(x, _c.GRAD_SMALL, anchor, u, w, pq, out)


_NORMAL_RANGE = (-37.5, np.inf)  # f' is a normal float64 number here (below: subnormal)
# Beyond this, exp(-t^2/2) times any float64 gradient is below the smallest subnormal: the tail
# hook's t is clipped there (t^2 / 2 stays below 2048, where exp_split_exact applies).
_HOOK_CLAMP = 60.0


def _exact_tail(x, clamp):
    """``(t, T, m, k)`` for ``x <= -2``: ``t = min(-x, clamp)``, ``T = T(t)`` (the tail piece) and
    ``exp(-t^2/2) = m 2^k``, ``t^2`` carried exactly."""
    t = np.minimum(-x, clamp)
    p, err = _s.exact_square(t)
    m, k = _s.exp_split_exact(-0.5 * p, -0.5 * err)
    tail = _c.PHI_TAIL
    w = 1.0 / (t * t)
    u = np.polyval(tail.p[::-1], w) / np.polyval(tail.q[::-1], w)
    return t, tail.anchor + (tail.anchor_lo - w * u), m, k


def _gelu_gradient_tail(x, clamp=_HOOK_CLAMP):
    """``f'(x) = m 2^k`` for ``x`` below the normal range (``x < -37.5``), ``|m| <= 1``."""
    t, big_t, m, k = _exact_tail(x, clamp)
    # Phi(-t) - t phi(t) = exp(-t^2/2) (T/t - c t), c t carried exactly as in the kernel above
    c_hi, c_lo = _c.PHI_TAIL.anchor, _c.PHI_TAIL.anchor_lo
    th = np.empty_like(t)
    _s._split_hi(t, th)
    m *= (big_t / t - (c_hi * (t - th) + c_lo * t)) - c_hi * th
    mant, e = np.frexp(m)  # |mant| in [0.5, 1): g * mant cannot overflow
    return mant, k + e


def _gelu_tail(x, clamp):
    """``f(x) = -t Phi(-t) = -exp(-t^2/2) T(t) = m 2^k`` for ``x <= -2``, ``|m| <= 1``."""
    _, big_t, m, k = _exact_tail(x, clamp)
    mant, e = np.frexp(-m * big_t)
    return mant, k + e


# ---------------------------------------------------------------------------------------------
# The tanh form: x sigma(v), v = 2u = K1 x + K3 x^3. In the left tail GELU is about x e^v, so a
# relative error d in v costs |v| d: v is carried as vh + vl to about 2^-66 of itself.

_TANH_CLAMP = 25.0  # beyond: sigma(v) is 1 in float64 (x > 0), GELU is below 2^-1075 (x < 0)
_TANH_SCRATCH = 14
_TANH_NORMAL_RANGE = (-21.0, np.inf)  # f' is a normal float64 number here (below: subnormal)
_TANH_HOOK_CLAMP = 28.0  # below -28, e^v times any float64 gradient is below 2^-1075
_KEEP_17 = np.int64(-(1 << 36))  # clears 36 of the 52 stored bits: 17 significant bits left
_KEEP_36 = np.int64(-(1 << 17))  # 36 significant bits left
_K3 = _c.K3_HI + _c.K3_LO


def _tanh_argument(x, xh, xl, xh2, vh, vl, b, tmp):
    r"""``(hi, lo)``, two of the buffers, with ``hi + lo = K1 x + K3 x^3`` to about 2^-66 of
    itself and ``|lo| <= ulp(hi) / 2``, for ``|x|`` at most 28 (``xh2`` keeps ``xh^2``).

    With ``x = xh + xl``, ``xh`` of 17 bits: ``xh^2`` (34 bits) and ``K3_HI xh^2`` (53) are
    exact, ``B = K1 + K3 xh^2`` is summed exactly (TwoSum) and split as ``B1`` (36 bits) plus
    the rest, so ``xh B1`` is exact too; what is left,
    ``xh (B - B1) + xl (K1 + K3 (x^2 + x xh + xh^2))``, is below 2^-15 of ``v`` and needs no care.
    """
    np.bitwise_and(x.view(np.int64), _KEEP_17, out=xh.view(np.int64))
    np.subtract(x, xh, out=xl)
    np.multiply(xh, xh, out=xh2)
    q = vh
    np.multiply(xh2, _c.K3_HI, out=q)
    # TwoSum: K1_HI + q = s + err exactly
    s = vl
    np.add(q, _c.K1_HI, out=s)
    np.subtract(s, _c.K1_HI, out=b)  # bb
    np.subtract(s, b, out=tmp)
    np.subtract(_c.K1_HI, tmp, out=tmp)
    q -= b
    tmp += q  # err
    # B = s + (err + K3_LO xh^2 + K1_LO) = B1 + B2, B1 = s rounded to 36 bits
    np.bitwise_and(s.view(np.int64), _KEEP_36, out=b.view(np.int64))
    s -= b
    s += tmp
    np.multiply(xh2, _c.K3_LO, out=tmp)
    s += tmp
    s += _c.K1_LO
    np.multiply(xh, b, out=vh)  # xh B1: exact
    # vl = xh B2 + xl (K1 + K3 (x^2 + x xh + xh^2))
    np.multiply(xh, s, out=b)
    np.multiply(x, x, out=tmp)
    np.multiply(x, xh, out=s)
    tmp += s
    tmp += xh2
    tmp *= _K3
    tmp += _c.K1_HI
    tmp *= xl
    tmp += b
    # renormalise (Fast2Sum): s + t = vh + vl exactly, t below half an ULP of s
    np.add(vh, tmp, out=s)
    np.subtract(s, vh, out=b)
    tmp -= b
    return s, tmp


def _tanh_exp(x, vh, vl, e, big, c, h):
    r"""``exp(-|v|) = e (1 + c) 2^(-512 big)`` with ``v = vh + vl``, ``|c|`` about 2^-53 ``|v|``,
    ``big`` 1 where ``v <= -600`` (the shift keeps ``e`` a normal number; never for ``x >= 0``).
    Also ``h = [x >= 0]``. Overwrites ``vl``."""
    np.greater_equal(x, 0.0, out=h, casting="unsafe")
    # -|v| = -|vh| + c, c = -vl for v >= 0 and +vl for v < 0 (v has x's sign)
    np.multiply(h, -2.0, out=c)
    c += 1.0
    c *= vl
    np.less_equal(vh, -_s._SHIFT_AT, out=big, casting="unsafe")
    np.abs(vh, out=e)
    np.negative(e, out=e)
    np.multiply(big, _c.SHIFT_HI, out=vl)
    e += vl  # exact
    np.multiply(big, _c.SHIFT_LO, out=vl)
    c += vl
    np.exp(e, out=e)


def _tanh_sigma(e, c, h, sc, n, r, tmp):
    r"""``sigma(v) = n (1 - r)`` (times ``sc`` for the shifted elements): ``n = max(e, h)`` is 1
    for ``x >= 0`` and ``E = exp(-|v|)`` (shifted) for ``x < 0``, and
    ``r = E / (1 + E)`` (unshifted) is at most 1/2. Overwrites ``e``."""
    np.maximum(e, h, out=n)
    np.multiply(e, sc, out=r)  # E, unshifted
    np.multiply(r, c, out=tmp)
    r += tmp  # E (1 + c)
    np.add(r, 1.0, out=tmp)  # d
    # 1 + E = d + lo exactly (Fast2Sum, E <= 1), and E / (d + lo) = (E / d)(1 - lo / d)
    np.subtract(1.0, tmp, out=e)
    e += r  # lo
    r /= tmp
    e /= tmp
    e *= r
    r -= e


def _gelu_tanh_kernel(x, out, *bufs):
    xc, xh, xl, xh2, vh, vl, b, tmp, e, big, h, sc, n, r = bufs[:14]
    np.clip(x, -_TANH_CLAMP, _TANH_CLAMP, out=xc)
    vh, vl = _tanh_argument(xc, xh, xl, xh2, vh, vl, b, tmp)
    c = xh  # free again
    _tanh_exp(xc, vh, vl, e, big, c, h)
    _s._unshift(big, sc)
    _tanh_sigma(e, c, h, sc, n, r, b)
    # GELU = x n (1 + c') (1 - r), c' = c for x < 0 (n = E) and 0 for x >= 0 (n = 1), with
    # x n exact as P + Pl (x split in 17 + 36 bits, n in 26 + 27): P + (Pl + (P + Pl)(c' - r)),
    # so that the errors of r (a few ULP) count only in proportion to r / (1 - r) = E.
    np.subtract(1.0, h, out=b)
    c *= b  # c'
    c -= r
    np.bitwise_and(xc.view(np.int64), _KEEP_17, out=xh2.view(np.int64))
    np.subtract(xc, xh2, out=vl)  # xl
    vl *= n
    _s._split_hi(n, big)
    n -= big  # nl
    n *= xh2
    vl += n  # Pl = xl n + xh nl
    np.multiply(xh2, big, out=e)  # P = xh nh, exact
    np.add(e, vl, out=n)  # P + Pl, rounded
    c *= n
    vl += c
    e += vl
    e *= sc  # last: a subnormal result rounds once
    np.copysign(e, x, out=e)  # GELU has x's sign (-0 for -0 and for the underflowed tail)
    # |x| < 1/2, where r is near 1/2 and its errors would count in full: x (1/2 + x At(x^2))
    np.clip(x, -_s.SMALL, _s.SMALL, out=xh2)
    np.multiply(xh2, xh2, out=n)
    _s._polynomial(_c.TANH_SMALL, n, r)
    r *= xh2
    r += 0.5
    r *= xh2
    _s._small_mask(x, n)
    _s._blend(r, e, n, out)
    np.greater(x, _TANH_CLAMP, out=h, casting="unsafe")
    if h.any():  # sigma(v) = 1 there: GELU(x) = x (+inf included)
        np.copyto(out, x, where=h.astype(bool))


def _gelu_tanh_gradient_kernel(x, out, *bufs):
    xc, xh, xl, xh2, vh, vl, b, tmp, e, big, h, sc, n, r = bufs[:14]
    np.clip(x, -_TANH_CLAMP, _TANH_CLAMP, out=xc)
    hi, lo = _tanh_argument(xc, xh, xl, xh2, vh, vl, b, tmp)
    tmp, vh, vl = vh, hi, lo  # the buffer of the argument vh is free again
    # 1 + x v' = 1 + K1 x + 3 K3 x^3 = 1 + 3 v - 2 K1 x, carried as hi + lo: 3 vh = s3 + e3 exactly
    # (Fast2Sum of 2 vh and vh), 2 K1 x = 2 K1_36 xh (exact: 36 + 17 bits) + 2 (K1_36 xl +
    # K1_REST x), then hi = (s3 - 2 K1_36 xh) + 1 with both sums' roundings kept (TwoSum), and
    # lo = the rest (below 2^-15 of hi).
    one_xv = xh2
    np.add(vh, vh, out=b)
    np.add(b, vh, out=one_xv)  # s3
    np.subtract(one_xv, b, out=b)
    np.subtract(vh, b, out=b)  # e3
    np.multiply(vl, 3.0, out=tmp)
    b += tmp
    np.multiply(xl, -2.0 * _c.K1_36, out=tmp)
    b += tmp
    np.multiply(xc, -2.0 * _c.K1_REST, out=tmp)
    b += tmp  # the small parts
    t = xl
    np.multiply(xh, -2.0 * _c.K1_36, out=tmp)  # exact
    two_sum(one_xv, tmp, t, e, big)  # t + big = s3 - 2 K1_36 xh
    b += big
    two_sum(t, 1.0, one_xv, e, big)  # one_xv + big = t + 1
    np.add(b, big, out=xl)  # lo
    c = xh
    _tanh_exp(xc, vh, vl, e, big, c, h)
    _s._unshift(big, sc)
    _tanh_sigma(e, c, h, sc, n, r, b)
    # f' = sigma (1 + x v' (1 - sigma)) (sigma unshifted in 1 - sigma), sigma = n (1 + c' - r),
    # c' = c for x < 0 (where n = E) and 0 for x >= 0 (n = 1). 1 - sigma is r for x >= 0 and
    # 1 - r for x < 0, so B = 1 + x v' (1 - sigma) is 1 + x v' r for x >= 0 and
    # (1 + x v') - x v' r for x < 0: with B = Bh + Bl, f' = n Bh + n (Bl + B (c' - r)), where
    # only the last product and sum round at the result's size.
    np.subtract(1.0, h, out=b)
    c *= b
    c -= r  # c' - r
    np.subtract(one_xv, 1.0, out=tmp)
    tmp += xl  # x v', to a rounding
    tmp *= r
    np.multiply(h, 2.0, out=vh)
    vh -= 1.0
    tmp *= vh  # +- x v' r
    one_xv *= b
    one_xv += h  # Bh: the hi part of 1 + x v' for x < 0, 1 for x >= 0
    xl *= b
    xl += tmp  # Bl
    np.add(one_xv, xl, out=tmp)
    tmp *= c
    xl += tmp
    xl *= n
    one_xv *= n
    one_xv += xl
    one_xv *= sc
    # |x| < 1/2, where r is near 1/2 and the sums above cancel by half: 1/2 + x A2t(x^2)
    _near_zero_derivative(x, _c.TANH_GRAD_SMALL, one_xv, xh, tmp, r, out)


def _gelu_tanh_narrow_kernel(x, out, xc, v, e, h):
    # float16/32: v and sigma(v) in plain float64 are within |v| 2^-52 (at most 2^-45 where the
    # result is a float32) of the exact values: far below half a float32 ULP.
    np.clip(x, -_TANH_CLAMP, _TANH_CLAMP, out=xc)
    np.multiply(xc, xc, out=v)
    v *= _K3
    v += _c.K1_HI
    v *= xc
    np.abs(v, out=e)
    np.negative(e, out=e)
    np.exp(e, out=e)
    np.greater_equal(xc, 0.0, out=h, casting="unsafe")
    np.maximum(e, h, out=h)  # n
    e += 1.0
    h /= e
    np.clip(x, -_TANH_CLAMP, np.inf, out=xc)  # x = -inf gives -25 * 0, not NaN
    np.multiply(xc, h, out=out)


def _gelu_tanh_gradient_narrow_kernel(x, out, xc, v, e, h, d):
    np.clip(x, -_TANH_CLAMP, _TANH_CLAMP, out=xc)
    np.multiply(xc, xc, out=v)
    v *= _K3
    v += _c.K1_HI
    v *= xc
    np.abs(v, out=e)
    np.negative(e, out=e)
    np.exp(e, out=e)  # E = exp(-|v|)
    np.greater_equal(xc, 0.0, out=h, casting="unsafe")
    np.maximum(e, h, out=h)  # n
    np.add(e, 1.0, out=d)
    h /= d  # sigma(v) = n / (1 + E)
    np.multiply(xc, xc, out=v)
    v *= 3.0 * _K3
    v += _c.K1_HI
    v *= xc  # x v'
    e /= d
    e /= d  # sigma (1 - sigma) = E / (1 + E)^2
    v *= e
    np.add(h, v, out=out)


def _tanh_tail(x, clamp):
    """``(xc, vh, vl, m, k)`` for ``x <= -21``: ``xc = max(x, -clamp)``, ``v = vh + vl`` at
    ``xc`` and ``e^v = m 2^k``, which is ``sigma(v)`` here (``1 + e^v`` is 1)."""
    xc = np.maximum(x, -clamp)
    bufs = [np.empty_like(xc) for _ in range(7)]
    xh, xl, xh2, vh, vl, b, tmp = bufs
    vh, vl = _tanh_argument(xc, xh, xl, xh2, vh, vl, b, tmp)
    return (xc, vh, vl, *_s.exp_split_exact(vh, vl))


def _gelu_tanh_tail(x, clamp):
    """``f(x) = x e^v = m 2^k`` for ``x <= -21``, ``|m| <= 1``."""
    xc, _, _, m, k = _tanh_tail(x, clamp)
    mant, e = np.frexp(xc * m)
    return mant, k + e


def _gelu_tanh_gradient_tail(x, clamp=_TANH_HOOK_CLAMP):
    """``f'(x) = m 2^k`` for ``x`` below the normal range (``x < -21``), ``|m| <= 1``."""
    xc, vh, vl, m, k = _tanh_tail(x, clamp)
    # f' = e^v (1 + x v'), 1 + x v' = 1 + 3 v - 2 K1 x rounded once (3 vh = s3 + e3 exactly)
    s3 = 2.0 * vh + vh
    e3 = vh - (s3 - 2.0 * vh)
    m *= s3 + ((e3 + 3.0 * vl) + (1.0 - 2.0 * _c.K1_HI * xc))
    mant, e = np.frexp(m)
    return mant, k + e


# ---------------------------------------------------------------------------------------------
# For GEGLU (actlib.glu), whose products have up to two large factors (b g, up to 2^2048): GELU
# and its derivative as m 2^k where they are subnormal or 0 in float64. The clamps put the
# values below 2^-3200 there: times any two float64 numbers, below the smallest subnormal.
_SCALED_CLAMP = 68.0
_TANH_SCALED_CLAMP = 33.0


def _scale_tails(x, v, approximate="none", derivative=False):
    """GELU (``derivative``: its derivative) of the float64 array ``x``, given as ``v`` (a new
    float64 array, which this modifies), as ``(v, k)``, value ``v 2^k``: ``k`` is 0, except
    where the value is subnormal or 0 in float64, and ``v`` (``|v|`` in [0.5, 1)) keeps its
    significant bits: in the far left tail (``x`` below -37.5 for the exact form, -21 for the
    tanh form) and, for GELU itself, near 0 (``|x| < 2^-900``, where GELU is ``x / 2`` to
    2^-900 of itself).

    >>> x = np.array([-40.0, 1.0])
    >>> v, k = _scale_tails(x, gelu(x))
    >>> print(f"{np.ldexp(v * 1e300, k)[0]:.6e}")  # gelu(-40) is 0 in float64
    -1.462357e-48
    """
    k = np.zeros(v.shape, np.int64)
    tanh = approximate == "tanh"
    tail = (x < (_TANH_NORMAL_RANGE[0] if tanh else _NORMAL_RANGE[0])) & (x > -np.inf)
    if tail.any():
        if derivative:
            fn = _gelu_tanh_gradient_tail if tanh else _gelu_gradient_tail
        else:
            fn = _gelu_tanh_tail if tanh else _gelu_tail
        v[tail], k[tail] = fn(x[tail], _TANH_SCALED_CLAMP if tanh else _SCALED_CLAMP)
    if not derivative:
        tiny = np.abs(x) < 2.0**-900
        if tiny.any():
            v[tiny], e = np.frexp(x[tiny])
            k[tiny] = e - 1  # x / 2, exactly
    return v, k


# ---------------------------------------------------------------------------------------------
# The public API


def gelu(x, approximate="none"):
    r"""Gaussian error linear unit, elementwise: the input times the probability that a standard
    normal variable is below it.

    .. math::

        \operatorname{GELU}(x) = x\,\Phi(x)
            = \frac{x}{2}\left(1 + \operatorname{erf}\frac{x}{\sqrt 2}\right),
        \qquad
        \operatorname{GELU}_{\tanh}(x) = \frac{x}{2}\left(1 + \tanh u\right) = x\,\sigma(2u),
        \quad u = \sqrt{2/\pi}\,\bigl(x + 0.044715\,x^3\bigr)

    Args:
        x: array_like of real numbers, any shape.
        approximate: ``"none"`` (default) for the exact form, ``"tanh"`` for Hendrycks and
            Gimpel's tanh approximation (PyTorch's ``approximate="tanh"``, JAX's default).

    Returns:
        GELU of ``x`` with ``x``'s shape and dtype (float64 for integer or bool input).

    Raises:
        TypeError: for complex, object, string or other non-real input; if ``approximate`` is not
            a string.
        ValueError: if ``approximate`` is a string other than ``"none"`` and ``"tanh"``.

    Example:
        >>> gelu([-40.0, -3.0, 0.0, 1.0, 3.0])
        array([-0.        , -0.00404969,  0.        ,  0.84134475,  2.99595031])
        >>> gelu([-3.0, 1.0], approximate="tanh")
        array([-0.00363739,  0.84119199])

    Notes:
        Computed as ``relu(x) - t Phi(-t)`` with ``t = |x|`` (no cancellation) and
        ``t Phi(-t) = exp(-t^2/2) T(t)``, ``t^2`` carried exactly into ``exp`` and the product
        rounded once (:mod:`actlib.special`), and near 0 (``|x| < 1/2``) by an odd series. The
        textbook ``0.5 * x * (1 + erf(x / sqrt(2)))`` cancels in ``1 + erf`` and returns 0 from
        ``x = -8.4`` on, where the true value is still ``-2e-16`` (and a float down to
        ``x = -38.6``); rounding ``x / sqrt(2)`` costs another ``x^2`` ULP before that.
        PyTorch computes that formula in the input's dtype (``GeluKernelImpl``; its tanh form as
        ``0.5 x (1 + tanh(u))``). Measured with torch 2.13 on CPU: 0 in the left tail, 9e15 ULP
        off in float64 and 1.7e7 in float32, forward and derivative alike (the exact form's
        float64 derivative 1.3e14). Our tanh form is ``x sigma(2u)``, which avoids
        ``1 + tanh(u)``'s cancellation, with ``2u`` carried to about 2^-66 of itself (in the left
        tail an error in ``2u`` is multiplied by ``|2u|``) and the constant 0.044715 taken as the
        exact decimal; an odd series near 0. GELU(-0) is -0.
        Accuracy, measured against mpmath over the whole float64 range (grids from the
        subnormals to the largest float, dense bands, 100,000-input screens): at most 1.96 ULP
        (exact) and 1.88 ULP (tanh) in float64, on AVX-512 and baseline kernels alike; float16
        and float32 are computed in float64 and rounded once (0.5 ULP measured).
    """
    approximate = _check_approximate(approximate, "gelu")
    x = as_float_array(x, "gelu")
    if approximate == "tanh":
        if x.dtype != np.float64:
            return as_result(blockwise(_gelu_tanh_narrow_kernel, x, scratch=4))
        return as_result(blockwise(_gelu_tanh_kernel, x, scratch=_TANH_SCRATCH))
    return as_result(blockwise(_gelu_kernel, x, scratch=13))


class GELU(Activation):
    r"""GELU as an activation object; see :func:`gelu`.

    Args:
        approximate: ``"none"`` (default) or ``"tanh"``, as PyTorch's ``nn.GELU``.

    Example:
        >>> act = GELU()
        >>> act([0.0, 1.0]), act.gradient([0.0, 1.0])
        (array([0.        , 0.84134475]), array([0.5       , 1.08331547]))
        >>> GELU(approximate="tanh")
        GELU(approximate='tanh')
    """

    name = "GELU"

    def __init__(self, approximate="none"):
        self.approximate = _check_approximate(approximate, "GELU")
        # where f' is a normal float64 number; below, _gradient_tail gives it as m 2^k
        self.normal_gradient_range = (
            _NORMAL_RANGE if self.approximate == "none" else _TANH_NORMAL_RANGE
        )

    def _params(self):
        return {"approximate": self.approximate}

    def __call__(self, x):
        return gelu(x, self.approximate)

    def gradient(self, x):
        r"""The derivative.

        .. math::

            \operatorname{GELU}'(x) = \Phi(x) + x\,\varphi(x), \qquad
            \operatorname{GELU}_{\tanh}'(x) = \sigma(2u) + x\,\sigma(2u)\,(1 - \sigma(2u))\,2u'(x)

        with :math:`\varphi(x) = e^{-x^2/2}/\sqrt{2\pi}` and
        :math:`2u'(x) = 2\sqrt{2/\pi}\,(1 + 3 \cdot 0.044715\,x^2)`. Both cross zero once, near
        ``x = -0.7518`` (exact) and ``-0.7523`` (tanh), where the two terms cancel: there the
        error is measured, as the accuracy rule says, in ULP of the sum of the terms'
        magnitudes ``|Phi(x)| + |x phi(x)|``. Computed as ``exp(-t^2/2) (T(t)/t - t/sqrt(2 pi))``
        for ``x = -t`` and ``1`` minus that for ``x = t``, ``t^2`` carried exactly, so the left
        tail keeps its relative accuracy down to the smallest subnormal (``x = -38.6``). Measured:
        at most 1.94 ULP (exact) and 1.78 ULP (tanh) of the terms' magnitudes in float64,
        0.5 ULP in float16 and float32; ``backward`` (rounded once) 2.23 and 2.23. PyTorch
        computes ``cdf + x * pdf`` with the forward's ``1 + erf``: measured with torch 2.13 on
        CPU, 1.3e14 ULP off in float64 and 1.7e7 in float32 (its tanh form: 9e15 and 1.7e7, 0
        where the derivative is a float).

        >>> GELU().gradient([-40.0, -30.0, -0.75])
        array([ 0.00000000e+000, -4.41603169e-195,  7.74278261e-004])
        """
        x = as_float_array(x, "GELU.gradient")
        if self.approximate == "tanh":
            if x.dtype != np.float64:
                return as_result(blockwise(_gelu_tanh_gradient_narrow_kernel, x, scratch=5))
            return as_result(blockwise(_gelu_tanh_gradient_kernel, x, scratch=_TANH_SCRATCH))
        return as_result(blockwise(_gelu_gradient_kernel, x, scratch=11))

    def _gradient_tail(self, x):
        if self.approximate == "tanh":
            return _gelu_tanh_gradient_tail(x)
        return _gelu_gradient_tail(x)
