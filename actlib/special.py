r"""The error function and the standard normal distribution, in NumPy alone.

NumPy has no ``erf``, and actlib depends on NumPy only, so GELU's exact form
:math:`x \Phi(x)` needs these. Public names:

* :func:`erf` and :func:`erfc`, the error function and its complement;
* :func:`ndtr`, the standard normal CDF :math:`\Phi(x) = \tfrac12 \operatorname{erfc}(-x/\sqrt2)`
  (SciPy's name);
* :func:`normal_pdf`, the standard normal density :math:`\varphi(x) = e^{-x^2/2} / \sqrt{2\pi}`.

All four take array_like input with actlib's input contract (float16/32/64 keep their dtype,
integers and bools compute in float64, complex and other dtypes raise ``TypeError``), never warn,
propagate NaN and give the limits at +-inf. float16 and float32 are computed in float64 and rounded
once. Accuracy against mpmath over the whole float64 range: see each function.

How they are computed
---------------------
Near 0 an odd series, ``Phi(x) = 1/2 + x A(x^2)`` and ``erf(z) = z B(z^2)`` (``|x|, |z| < 1/2``).
Elsewhere the lower tail, with ``t = |x|``:

.. math::

    \Phi(-t) = e^{-t^2/2}\, \frac{T(t)}{t}, \qquad
    \operatorname{erfc}(z) = e^{-z^2}\, \frac{T_z(z)}{z},

where :math:`T(t) = t\, e^{t^2/2} \Phi(-t)` (``t`` times Mills' ratio) rises slowly from 0 to
:math:`1/\sqrt{2\pi}`; then ``Phi(x) = 1 - Phi(-x)`` for ``x > 0`` (at least 1/2, so the
subtraction loses nothing), ``erfc(-z) = 2 - erfc(z)`` and ``erf(z) = 1 - erfc(z)``. Three things
keep this exact to the last bits:

1. **The exponent's argument carried exactly.** ``t * t`` rounds, and half an ULP of
   ``t^2/2 = 700`` changes ``exp`` by 700 ULP. So ``t^2 = p + err`` exactly (Dekker's product:
   ``t`` split into halves of 26 and 27 bits, whose products are exact), ``exp`` gets ``-p/2``
   exactly and ``err`` enters as a factor ``(1 - err/2)``. That is also why the argument is never
   ``x / sqrt(2)``: rounding that quotient alone costs about ``x^2`` ULP far out.
2. **T as a float plus a small correction.** Two pieces of ``t`` (``[0.5, 2]`` and
   ``[2, inf)``; ``[0.5, 1.42]`` and beyond for erfc) compute ``T = anchor + corr``: ``anchor``
   a float of 26 bits, ``corr = anchor_lo + u P(u)/Q(u)`` with ``u = t - centre`` or ``1/t^2``
   and rationals fitted with mpmath (``tools/fit_special.py`` derives them; the coefficients are
   in ``actlib/_special_coefficients.py``). The correction is at most about half of T, so its
   rounding errors shrink in proportion.
3. **Few roundings after exp.** ``exp(...) * anchor`` is exact as two products (``exp``'s result
   split in halves, ``anchor`` of 26 bits), so ``exp(...) * T`` rounds once, apart from the small
   ``exp(...) * corr``. Dividing by ``t`` (for Phi and erfc; GELU needs ``t Phi(-t)`` itself)
   is corrected by its exact remainder. What remains is ``exp``'s own error (0.63 ULP at most
   for NumPy's AVX-512 ``exp``, 0.5 for the baseline one) and about one rounding.

Where ``exp(-t^2/2)`` would be near the subnormal range (``t^2/2 >= 600``) the exponent is
shifted by ``512 ln 2`` (split so that the subtraction is exact) and the result multiplied by
``2^-512`` last, which rounds once into the subnormal range. The pieces are selected by 0/1
masks (``m a + (1 - m) b`` is exact and branch-free; ``np.where`` costs several passes on random
signs), and the work runs in cache-sized blocks (``actlib._base.blockwise``).

Accuracy, measured against mpmath (binade grid over the whole float64 range, dense bands, the
tails to underflow; ``tests/test_special.py``): ndtr, erf, erfc and normal_pdf within 2 ULP in
float64; float16 and float32 are rounded once from float64, within 1 ULP.
"""

import numpy as np

from . import _special_coefficients as _c
from ._base import as_float_array, as_result, blockwise

__all__ = ["erf", "erfc", "ndtr", "normal_pdf"]

# Clearing the low 27 bits of a float64's significand leaves its top 26 bits: the "high half" of
# Dekker's split (the low half, x - hi, has at most 27 bits), so hi * hi and hi * lo are exact.
_HI_MASK = np.int64(-(1 << 27))
# Past these, Phi(-t) and erfc(t) are 0 in float64 (Phi(-38.48) and erfc(27.3) are below half
# the smallest subnormal): clamping there keeps every intermediate finite (+-inf give the limits).
PHI_CLAMP = 40.0
ERFC_CLAMP = 28.0
# k t^2 >= this: exp(-k t^2) is computed shifted by 512 ln 2, so that it stays a normal number
_SHIFT_AT = 600.0
_SHIFT_SCALE = 2.0**-512
SMALL = 0.5  # |x| below this: the odd series
# 1/sqrt(2 pi), rounded: the tail's 26-bit anchor plus the rest
INV_SQRT_2PI = _c.PHI_TAIL.anchor + _c.PHI_TAIL.anchor_lo


# ---------------------------------------------------------------------------------------------
# Building blocks: each works on float64 blocks and writes into the buffers it is given.


def _split_hi(a, hi):
    """hi = the top 26 bits of a's significand (a - hi is exact and has at most 27 bits)."""
    np.bitwise_and(a.view(np.int64), _HI_MASK, out=hi.view(np.int64))


def _polynomial(coefs, u, out):
    """out = coefs[0] + coefs[1] u + ... + coefs[-1] u^n (Horner)."""
    np.multiply(u, coefs[-1], out=out)
    out += coefs[-2]
    for c in coefs[-3::-1]:
        out *= u
        out += c


def _rational(piece, u, out, tmp):
    """out = P(u) / Q(u) with a piece's coefficients."""
    _polynomial(piece.p, u, out)
    _polynomial(piece.q, u, tmp)
    np.divide(out, tmp, out=out)


def exp_neg_square(t, k, e, b, big, tmp1, tmp2):
    r"""``exp(-k t^2) = e (1 - b) 2^(-512 big)``, to about 2^-100 beyond ``exp``'s own rounding.

    For ``0 <= t`` up to the clamp and ``k`` 1/2 or 1. ``t^2 = p + err`` exactly (Dekker), and
    ``e = exp(-k p + 512 ln2_hi big)``: its argument is exact, so ``e`` is ``np.exp``'s rounding
    of the true value. ``b = k err - 512 ln2_lo big`` is below 2^-43 in magnitude. ``big`` is 1
    where ``k t^2 >= 600`` (there the shift keeps ``e`` a normal number) and 0 elsewhere.
    """
    p, th = tmp1, tmp2
    # t = th + tl with 26- and 27-bit halves: th^2 and 2 th tl are exact, tl^2 rounds at 2^-105 t^2
    _split_hi(t, th)
    tl = e
    np.subtract(t, th, out=tl)
    np.multiply(t, t, out=p)
    err = b
    np.multiply(th, th, out=err)
    err -= p  # exact (Sterbenz): th^2 is within a factor 2 of p
    th *= tl
    th += th
    err += th
    np.multiply(tl, tl, out=tl)
    err += tl
    np.multiply(p, -k, out=p)  # exact: k is 1/2 or 1
    err *= k
    # -k p + SHIFT_HI is exact for k p in [600, 1024): both are multiples of 2^-43, and
    # exp(-k t^2 + 512 ln 2) = exp(-k p + SHIFT_HI) exp(-k err + SHIFT_LO).
    np.less_equal(p, -_SHIFT_AT, out=big, casting="unsafe")
    np.multiply(big, _c.SHIFT_HI, out=th)
    p += th
    np.multiply(big, _c.SHIFT_LO, out=th)
    err -= th
    np.exp(p, out=e)


def _scaled_mills(t, pieces, b, anchor, corr, g, h, u, pq, w):
    r"""``anchor + corr = T(t) (1 - b)`` for ``t`` from ``pieces[0].lo`` to the clamp, with
    ``anchor`` the piece's 26-bit float and ``|corr|`` below about ``T/2``. Below
    ``pieces[0].lo`` both are finite (the first piece's value at its end), for masking out.

    Every piece is evaluated on every element, at ``t`` clipped into its interval, and weighted
    by 0 or 1 (exact, and cheaper than ``np.where`` on random data).
    """
    *mids, tail = pieces
    before, after = None, g  # weights: 1 - [t >= next piece] for the first piece, ...
    for i, mid in enumerate(mids):
        nxt = mids[i + 1] if i + 1 < len(mids) else tail
        np.greater_equal(t, nxt.lo, out=after, casting="unsafe")
        np.clip(t, mid.lo, mid.hi, out=u)
        u -= mid.centre
        _rational(mid, u, pq, w)
        pq *= u
        pq += mid.anchor_lo
        if before is None:
            np.subtract(1.0, after, out=w)
        else:
            np.subtract(before, after, out=w)
        if i == 0:
            np.multiply(pq, w, out=corr)
            np.multiply(w, mid.anchor, out=anchor)
        else:
            pq *= w
            corr += pq
            w *= mid.anchor
            anchor += w
        before, after = after, (h if after is g else g)
    # The tail, in w = 1/t^2, weight [t >= tail.lo]
    np.clip(t, tail.lo, PHI_CLAMP, out=u)
    np.multiply(u, u, out=u)
    np.divide(1.0, u, out=u)
    _rational(tail, u, pq, w)
    pq *= u
    np.subtract(tail.anchor_lo, pq, out=pq)
    pq *= before
    corr += pq
    np.multiply(before, tail.anchor, out=w)
    anchor += w
    # times (1 - b)
    np.add(anchor, corr, out=w)
    w *= b
    corr -= w


def _times_exp(e, anchor, corr, tmp):
    r"""``anchor = fl(e (anchor + corr))``: ``e anchor`` is exact as ``eh anchor + el anchor``
    (``anchor`` has 26 bits, ``e``'s halves 26 and 27), so only ``e corr`` and two sums round,
    the last being the result's rounding. Overwrites ``e`` and ``corr``; returns ``anchor``."""
    corr *= e
    _split_hi(e, tmp)
    e -= tmp
    e *= anchor  # el anchor, exact
    corr += e
    anchor *= tmp  # eh anchor, exact
    anchor += corr
    return anchor


def exact_square(t):
    """``(p, err)`` with ``t^2 = p + err`` exactly (up to 2^-105 t^2), for a float64 array ``t``
    with ``t^2`` finite: Dekker's product on whole arrays (for the few elements of a tail hook)."""
    th = np.empty_like(t)
    _split_hi(t, th)
    tl = t - th
    p = t * t
    return p, ((th * th - p) + 2 * th * tl) + tl * tl


# Cody and Waite's ln 2 = LN2_HI + LN2_LO, LN2_HI with 32 bits (fdlibm's): k LN2_HI is exact.
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10


def exp_split_exact(y, y_lo):
    r"""``exp(y + y_lo) = m 2^k`` for ``y`` a multiple of 2^-42 in ``[-2048, 0]`` (as ``-p/2`` of
    :func:`exact_square` is for ``t`` up to 64) and a small ``y_lo``: ``m`` in ``[0.7, 1.42]`` to
    ``exp``'s rounding and about 2^-54 more, ``k`` an int64 array. ``y - k LN2_HI`` is exact (both
    are multiples of 2^-42 and the difference is below 0.35), unlike a rounded ``y + y_lo``.
    For derivatives that are subnormal or 0 in float64 where their product with an incoming
    gradient is not (``actlib._base.Activation._gradient_tail``)."""
    k = np.rint(y * (1 / _LN2_HI))
    r = (y - k * _LN2_HI) - k * _LN2_LO + y_lo
    return np.exp(r), k.astype(np.int64)


def _unshift(big, out):
    """out = 1 where big is 0 and 2^-512 where it is 1. Overwrites big."""
    np.subtract(1.0, big, out=out)
    big *= _SHIFT_SCALE
    out += big


def lower_tail(t, k, pieces, bufs):
    r"""``(y, scale)`` with ``y scale = exp(-k t^2) T(t)``, rounded once (``scale`` is 1 or
    2^-512, applied last so that a subnormal result rounds once).

    ``t`` is in ``[pieces[0].lo, clamp]`` (elsewhere ``y`` is finite and meaningless). It is
    ``t Q(t)`` for the lower tail ``Q`` (``Phi(-t)``, ``k = 1/2``; ``erfc(t)``, ``k = 1``), which
    for ``k = 1/2`` is GELU's ``-x Phi(x)`` at ``x = -t``. Uses the 10 buffers ``bufs``; ``y`` and
    ``scale`` are two of them, the others are free again.
    """
    e, b, big, anchor, corr, g, h, u, pq, w = bufs
    exp_neg_square(t, k, e, b, big, pq, w)
    _scaled_mills(t, pieces, b, anchor, corr, g, h, u, pq, w)
    y = _times_exp(e, anchor, corr, w)
    _unshift(big, e)
    return y, e


def _lower_tail_dd(t, k, pieces, bufs):
    r"""Like :func:`lower_tail`, but ``(yh, yl, scale)`` with ``yh + yl`` the product to a few
    units of 2^-106 beyond ``exp``'s error: for dividing by ``t`` with one rounding."""
    e, b, big, anchor, corr, g, h, u, pq, w = bufs
    exp_neg_square(t, k, e, b, big, pq, w)
    _scaled_mills(t, pieces, b, anchor, corr, g, h, u, pq, w)
    corr *= e
    _split_hi(e, w)
    e -= w
    e *= anchor
    corr += e  # el anchor + e corr: the small part
    anchor *= w  # eh anchor: exact
    np.add(anchor, corr, out=g)  # yh
    anchor -= g
    anchor += corr  # yl (Fast2Sum: |eh anchor| >= |the small part|)
    _unshift(big, e)
    return g, anchor, e


def _divide(yh, yl, t, q, qh, ql, th, prod):
    r"""``q = (yh + yl) / t``, rounded once (to within a hair): ``fl(yh / t)`` corrected by the
    remainder ``yh - q t``, which Dekker's split computes exactly. Overwrites ``yh``."""
    np.divide(yh, t, out=q)
    _split_hi(q, qh)
    np.subtract(q, qh, out=ql)
    _split_hi(t, th)
    np.multiply(qh, th, out=prod)
    yh -= prod  # exact (Sterbenz), as are the partial products below
    np.subtract(t, th, out=prod)
    prod *= qh
    yh -= prod
    np.multiply(ql, th, out=prod)
    yh -= prod
    np.subtract(t, th, out=prod)
    prod *= ql
    yh -= prod
    yh += yl
    yh /= t
    q += yh


def _tail_argument(x, clamp, out):
    """out = |x| clipped to [SMALL, clamp]: where the tail pieces apply, finite, and never 0."""
    np.clip(x, -clamp, clamp, out=out)
    np.abs(out, out=out)
    np.clip(out, SMALL, clamp, out=out)


def _small_mask(x, out):
    """out = 1.0 where |x| < SMALL (the odd series), 0.0 elsewhere and at NaN."""
    np.abs(x, out=out)
    np.less(out, SMALL, out=out, casting="unsafe")


def _blend(small, rest, mask, out):
    """out = small where mask is 1, rest where it is 0 (mask 0/1, both finite). Overwrites all
    three inputs."""
    small *= mask
    np.subtract(1.0, mask, out=mask)
    rest *= mask
    np.add(small, rest, out=out)


def _tail_quotient(x, t, k, pieces, bufs):
    """``Q(t) = exp(-k t^2) T(t) / t`` rounded once, for ``t`` from ``pieces[0].lo`` on; returns
    the buffer holding it. Uses the 14 buffers ``bufs``."""
    yh, yl, scale = _lower_tail_dd(t, k, pieces, bufs[:10])
    free = [v for v in bufs if v is not yh and v is not yl and v is not scale]
    q = free[0]
    _divide(yh, yl, t, q, *free[1:5])
    q *= scale
    return q, free[1:]


# ---------------------------------------------------------------------------------------------
# The kernels: kernel(v, out, *scratch) for blockwise().


def _ndtr_kernel(x, out, *bufs):
    t = bufs[0]
    _tail_argument(x, PHI_CLAMP, t)
    q, free = _tail_quotient(x, t, 0.5, _c.PHI_PIECES, bufs[1:15])
    h, s, xs, p = free[:4]
    # Phi(x) = Q for x < 0, 1 - Q for x > 0: H + (1 - 2H) Q with H = [x > 0]
    np.greater(x, 0.0, out=h, casting="unsafe")
    np.multiply(h, -2.0, out=s)
    s += 1.0
    q *= s
    q += h
    # |x| < 1/2: Phi(x) = 1/2 + x A(x^2)
    np.clip(x, -SMALL, SMALL, out=xs)
    np.multiply(xs, xs, out=s)
    _polynomial(_c.PHI_SMALL, s, p)
    p *= xs
    p += 0.5
    _small_mask(x, h)
    _blend(p, q, h, out)


def _erfc_kernel(x, out, *bufs):
    t = bufs[0]
    _tail_argument(x, ERFC_CLAMP, t)
    q, free = _tail_quotient(x, t, 1.0, _c.ERFC_PIECES, bufs[1:15])
    h, s, xs, p = free[:4]
    # erfc(z) = Q for z > 0, 2 - Q for z < 0: 2H + (1 - 2H) Q with H = [z < 0]
    np.less(x, 0.0, out=h, casting="unsafe")
    np.multiply(h, -2.0, out=s)
    s += 1.0
    q *= s
    h += h
    q += h
    # |z| < 1/2: erfc(z) = 1 - z B(z^2)
    np.clip(x, -SMALL, SMALL, out=xs)
    np.multiply(xs, xs, out=s)
    _polynomial(_c.ERF_SMALL, s, p)
    p *= xs
    np.subtract(1.0, p, out=p)
    _small_mask(x, h)
    _blend(p, q, h, out)


def _erf_kernel(x, out, *bufs):
    t = bufs[0]
    _tail_argument(x, ERFC_CLAMP, t)
    q, free = _tail_quotient(x, t, 1.0, _c.ERFC_PIECES, bufs[1:15])
    h, s, ts, p = free[:4]
    # erf(|z|) = 1 - erfc(|z|), then erf's sign: copysign keeps erf(-0) = -0
    np.subtract(1.0, q, out=q)
    np.abs(x, out=ts)
    np.clip(ts, 0.0, SMALL, out=ts)
    np.multiply(ts, ts, out=s)
    _polynomial(_c.ERF_SMALL, s, p)
    p *= ts
    _small_mask(x, h)
    _blend(p, q, h, s)
    np.copysign(s, x, out=out)


def _normal_pdf_kernel(x, out, *bufs):
    t, e, b, big, corr, anchor, tmp1, tmp2 = bufs[:8]
    np.clip(x, -PHI_CLAMP, PHI_CLAMP, out=t)
    np.abs(t, out=t)
    exp_neg_square(t, 0.5, e, b, big, tmp1, tmp2)
    # 1/sqrt(2 pi) = anchor + anchor_lo, times (1 - b)
    tail = _c.PHI_TAIL
    anchor.fill(tail.anchor)
    np.multiply(b, -(tail.anchor + tail.anchor_lo), out=corr)
    corr += tail.anchor_lo
    y = _times_exp(e, anchor, corr, tmp1)
    _unshift(big, e)
    np.multiply(y, e, out=out)


def _apply(kernel, x, name, scratch):
    x = as_float_array(x, name)
    return as_result(blockwise(kernel, x, scratch=scratch))


# ---------------------------------------------------------------------------------------------
# The public functions


def ndtr(x):
    r"""The standard normal cumulative distribution function, elementwise.

    .. math::

        \Phi(x) = \frac{1}{\sqrt{2\pi}} \int_{-\infty}^{x} e^{-s^2/2}\, ds
                = \tfrac12 \operatorname{erfc}\!\left(-\frac{x}{\sqrt 2}\right)

    Args:
        x: array_like of real numbers, any shape.

    Returns:
        :math:`\Phi(x)` with ``x``'s shape and dtype (float64 for integer or bool input).

    Raises:
        TypeError: for complex, object, string or other non-real dtypes.

    Example:
        >>> ndtr([-10.0, -1.0, 0.0, 1.0])
        array([7.61985302e-24, 1.58655254e-01, 5.00000000e-01, 8.41344746e-01])

    Notes:
        Computed in ``x`` itself, never through ``x / sqrt(2)``, whose rounding alone costs about
        ``x^2`` ULP in the left tail; ``Phi(x) = 1 - Phi(-x)`` only where that is at least 1/2.
        ``Phi(x)`` is 0 below ``x = -38.48`` and rounds to 1 above 8.3. SciPy's ``ndtr`` has the
        same definition; ``0.5 * (1 + erf(x / sqrt(2)))`` is 0 from ``x = -8.3`` on. Accuracy
        against mpmath: see the module's notes.
    """
    return _apply(_ndtr_kernel, x, "ndtr", 15)


def erfc(x):
    r"""The complementary error function, elementwise.

    .. math::

        \operatorname{erfc}(x) = 1 - \operatorname{erf}(x)
            = \frac{2}{\sqrt\pi} \int_x^\infty e^{-s^2}\, ds

    Args:
        x: array_like of real numbers, any shape.

    Returns:
        :math:`\operatorname{erfc}(x)` with ``x``'s shape and dtype (float64 for integer or bool
        input).

    Raises:
        TypeError: for complex, object, string or other non-real dtypes.

    Example:
        >>> erfc([-1.0, 0.0, 1.0, 10.0])
        array([1.84270079e+00, 1.00000000e+00, 1.57299207e-01, 2.08848758e-45])
    """
    return _apply(_erfc_kernel, x, "erfc", 15)


def erf(x):
    r"""The error function, elementwise.

    .. math::

        \operatorname{erf}(x) = \frac{2}{\sqrt\pi} \int_0^x e^{-s^2}\, ds

    Args:
        x: array_like of real numbers, any shape.

    Returns:
        :math:`\operatorname{erf}(x)` with ``x``'s shape and dtype (float64 for integer or bool
        input); ``erf(-0) = -0``.

    Raises:
        TypeError: for complex, object, string or other non-real dtypes.

    Example:
        >>> erf([-1.0, 0.0, 1e-10, 1.0])
        array([-8.42700793e-01,  0.00000000e+00,  1.12837917e-10,  8.42700793e-01])
    """
    return _apply(_erf_kernel, x, "erf", 15)


def normal_pdf(x):
    r"""The standard normal density, elementwise.

    .. math::

        \varphi(x) = \frac{e^{-x^2/2}}{\sqrt{2\pi}}

    Args:
        x: array_like of real numbers, any shape.

    Returns:
        :math:`\varphi(x)` with ``x``'s shape and dtype (float64 for integer or bool input).

    Raises:
        TypeError: for complex, object, string or other non-real dtypes.

    Example:
        >>> normal_pdf([0.0, 1.0, 38.0])
        array([3.98942280e-001, 2.41970725e-001, 1.09722105e-314])
    """
    return _apply(_normal_pdf_kernel, x, "normal_pdf", 8)
