"""Mish: x times the tanh of the softplus of x."""

import numpy as np

from ._base import Activation, as_float_array, as_result, blockwise, two_sum
from .silu import _BLOCK, _NARROW, _exp_tail, _fix_tails, _linear_exp_tail

# Past these the asymptotic forms take over (_fix_tails): mish(x) = x e^x and
# mish'(x) = (1 + x) e^x to every bit on the left (tanh(softplus(x)) = e^x (1 + O(e^x)), and
# e^-690 = 2.6e-300), mish(x) = x and mish'(x) = 1 on the right. Beyond them the kernels'
# exponentials overflow (e^709.78), and before that Dekker's split of B (~ 2 e^-x on the left,
# ~ e^x on the right) does, from |x| = 690.4, where 2**27 B exceeds the largest float.
_LOW = -690.0
_HIGH = 690.0
_C27 = 134217729.0  # 2**27 + 1: Veltkamp's splitting constant for float64


def mish(x):
    r"""Mish, elementwise: x times the tanh of the softplus of x, without overflow.

    .. math::

        \operatorname{mish}(x) = x \tanh(\operatorname{softplus}(x))
            = x \tanh\bigl(\ln(1 + e^{x})\bigr)
            = x\,\frac{e^{x} + 2}{e^{x} + 2 + 2e^{-x}}

    The last form follows from :math:`\tanh(\ln u) = (u^2 - 1)/(u^2 + 1)` with
    :math:`u = 1 + e^x`, divided through by :math:`e^x`.

    Args:
        x: array_like of real numbers, any shape.

    Returns:
        :math:`\operatorname{mish}(x)` with ``x``'s shape and dtype (float64 for integer or
        bool input).

    Example:
        >>> mish([-1.0, 0.0, 1.0, 40.0])
        array([-0.30340146,  0.        ,  0.86509839, 40.        ])
        >>> mish(-1000.0), mish(-np.inf)  # no overflow warning, no NaN
        (np.float64(-0.0), np.float64(-0.0))

    Notes:
        Mish is not monotonic: its minimum is -0.308843 at x = -1.192431 (where
        :math:`\operatorname{mish}'(x) = 0`), and it tends to 0 from below as x goes to -inf
        (``mish(-inf)`` is -0.0, not NaN).

        float64: two exponentials, no logarithm and no tanh. The sums ``A = e^x + 2`` and
        ``B = A + 2 e^-x`` are carried with their rounding errors (Fast2Sum, 2Sum), so that
        ``x A / B`` rounds three times: at most 2.42 ULP measured (bar 3; without the carried
        errors, 3.3 to 3.7). For x < -690, ``x e^x`` with ``e^x`` scaled by a power of two
        (``exp_split``), rounded once. float16 and float32 are computed in float64 and rounded
        once: within 0.50 ULP.

        PyTorch (2.13, CPU) computes ``x * tanh(log1p(exp(x)))`` in the input's dtype: 3.1 ULP
        in float64, 2.9 in float32, ``mish(-inf)`` is NaN, and far left ``exp(x)`` is subnormal
        before the result is (21 ULP at x = -712, and more below).
    """
    x = as_float_array(x, "mish")
    with np.errstate(over="ignore", invalid="ignore"):  # e^x or e^-x = inf: _fix_tails
        if x.dtype == np.float64:
            out = blockwise(_mish64, x, 5, _BLOCK)
            _fix_tails(x, out, lambda v: _exp_tail(v, v), lambda v: v, _LOW, _HIGH)
        else:
            out = blockwise(_mish_narrow, x, 2, _BLOCK)
            # x < -200: |mish(x)| < 3e-85 rounds to -0 in float16/32; x > 200: mish(x) = x
            _fix_tails(x, out, lambda v: -0.0, lambda v: v, -_NARROW, _NARROW)
    return as_result(out)


def _mish64(x, out, p, q, a, alo, b):
    np.exp(x, out=p)
    np.negative(x, out=q)
    np.exp(q, out=q)
    # A + alo = P + 2 exactly: Fast2Sum(2, P), exact for every P below 2**54 since 2 is a power
    # of two (A - 2 is a multiple of A's ULP, and P - (A - 2) is exact by Sterbenz's lemma);
    # beyond, the 2 is below P's last bit and its weight in t = A / B, 2 e^-x / B, is 0.
    np.add(p, 2.0, out=a)
    np.subtract(a, 2.0, out=alo)
    np.subtract(p, alo, out=alo)
    np.add(q, q, out=q)  # 2Q
    # B + p = A + 2Q (2Sum: A is the larger for x > 0, 2Q for x < 0)
    two_sum(a, q, b, out, p)
    p += alo  # B's error, alo included
    # t = (A + alo) / (B + p) = t0 + (alo - t0 p) / B to first order; y = x t0 + x tc
    t0 = np.divide(a, b, out=a)
    np.multiply(p, t0, out=p)
    np.subtract(alo, p, out=alo)
    np.divide(alo, b, out=alo)
    np.multiply(x, alo, out=alo)
    np.multiply(x, t0, out=t0)
    np.add(t0, alo, out=out)


def _mish_narrow(x, out, c, p):
    # float16/32 values in float64, one exponential: tanh(softplus(x)) = W / (W + 2) with
    # W = e^x (e^x + 2) = (1 + e^x)^2 - 1, within a few float64 ULP. W overflows from x = 354
    # (inf / inf) and x = -inf gives -inf * 0: the caller sets x and -0 beyond |x| = 200.
    np.exp(x, out=p)
    np.add(p, 2.0, out=c)
    p *= c  # W
    np.add(p, 2.0, out=c)
    p /= c
    np.multiply(x, p, out=out)


def _split(v, hi, lo, t):
    """Veltkamp's split: ``v = hi + lo`` exactly, each half with at most 26 significant bits."""
    np.multiply(v, _C27, out=t)
    np.subtract(t, v, out=hi)
    np.subtract(t, hi, out=hi)
    np.subtract(v, hi, out=lo)


def _two_prod_error(a_hi, a_lo, b_hi, b_lo, p, out, t):
    """``a b - p`` exactly, for ``p = fl(a b)`` and the halves of ``a`` and ``b`` (Dekker)."""
    np.multiply(a_hi, b_hi, out=out)
    np.subtract(out, p, out=out)
    np.multiply(a_hi, b_lo, out=t)
    out += t
    np.multiply(a_lo, b_hi, out=t)
    out += t
    np.multiply(a_lo, b_lo, out=t)
    out += t


def _mish_gradient64(x, out, p, q, a, alo, b, blo, c, t):
    # mish'(x) = t + x sigma(x) (1 - t^2) with t = tanh(softplus(x)) = A / B, A = P + 2,
    # B = A + 2Q (P = e^x, Q = e^-x); sigma (1 - t^2) = 4 (1 + Q) / B^2, so
    # mish'(x) = (A + x L) / B with L = 4 (1 + Q) / B. The sums A, 1 + Q, B and A + x L are
    # carried with their rounding errors (Fast2Sum, 2Sum), and their first-order effect on L
    # and on the quotient is added back: at most 2.8 ULP measured, 3.4 units relative.
    np.exp(x, out=p)
    np.negative(x, out=q)
    np.exp(q, out=q)
    np.add(p, 2.0, out=a)  # A + alo = P + 2 (Fast2Sum(2, P), as in _mish64)
    np.subtract(a, 2.0, out=alo)
    np.subtract(p, alo, out=alo)
    # c + t = Q + 1: Fast2Sum(Q, 1), exact for Q >= 1/2 (x <= 0.69); beyond, x L is so small
    # next to A that the error of t does not show
    np.add(q, 1.0, out=c)
    np.subtract(c, q, out=t)
    np.subtract(1.0, t, out=t)
    q += q  # 2Q
    # b + blo = A + 2Q (2Sum), alo added to the error
    two_sum(a, q, b, p, blo)
    blo += alo
    c *= 4.0  # 4 (1 + Q) = c + t
    t *= 4.0
    l0 = np.divide(c, b, out=c)
    np.multiply(l0, blo, out=p)
    t -= p
    t /= b  # L = l0 + t to first order
    t *= x
    t += alo  # the numerator's small terms
    xl = np.multiply(x, l0, out=l0)
    # S + p = A + x l0 (2Sum)
    two_sum(a, xl, q, out, p)
    p += t
    # (S + p) / (B + blo) = y0 + (p - y0 blo) / B to first order, y0 = S / B
    y0 = np.divide(q, b, out=q)
    np.multiply(y0, blo, out=blo)
    p -= blo
    p /= b
    np.add(y0, p, out=out)


def _mish_gradient_exact64(x, out, p, q, a, alo, b, blo, c, t, h1, l1, h2, l2, s):
    # _mish_gradient64 with L's division and x L's product carried too (Dekker's product,
    # exact): what is left is the final division and addition and the exps' errors. At most
    # 1.9 ULP measured, 2.7 units of 2**-53 relative: what backward multiplies by g.
    np.exp(x, out=p)
    np.negative(x, out=q)
    np.exp(q, out=q)
    np.add(p, 2.0, out=a)  # A + alo = P + 2 (Fast2Sum(2, P), as in _mish64)
    np.subtract(a, 2.0, out=alo)
    np.subtract(p, alo, out=alo)
    two_sum(q, 1.0, c, blo, t)  # c + t = 1 + Q
    q += q  # 2Q
    # b + blo = A + 2Q (2Sum), alo added to the error
    two_sum(a, q, b, p, blo)
    blo += alo
    c *= 4.0  # 4 (1 + Q) = c + t, exactly
    t *= 4.0
    # L = c / b + lc: the division's residual c - L0 b exactly (Dekker), then b's and c's errors
    l0 = np.divide(c, b, out=q)
    _split(l0, h1, l1, s)
    _split(b, h2, l2, s)
    prod = np.multiply(l0, b, out=p)
    _two_prod_error(h1, l1, h2, l2, prod, s, out)
    np.subtract(c, prod, out=c)  # exact (Sterbenz)
    c -= s
    c += t
    np.multiply(l0, blo, out=t)
    c -= t
    lc = np.divide(c, b, out=c)
    # x L0 = xl + s exactly (Dekker); s collects every small term of the numerator
    _split(x, h2, l2, s)
    xl = np.multiply(x, l0, out=p)
    _two_prod_error(h2, l2, h1, l1, xl, s, out)
    np.multiply(x, lc, out=lc)
    s += lc
    s += alo
    two_sum(a, xl, q, out, t)  # S + t = A + x L0
    t += s
    # (S + t) / (B + blo) = y0 + (t - y0 blo) / B to first order, y0 = S / B
    y0 = np.divide(q, b, out=q)
    np.multiply(y0, blo, out=blo)
    t -= blo
    t /= b
    np.add(y0, t, out=out)


def _mish_gradient_narrow(x, out, c, p, q, a):
    # The same quotient without the error terms: within 5 float64 ULP of the sum of the terms'
    # magnitudes, far below half a float32 ULP.
    np.clip(x, -_NARROW, _NARROW, out=c)
    np.exp(c, out=p)
    np.negative(c, out=q)
    np.exp(q, out=q)
    np.add(p, 2.0, out=a)  # A
    np.add(q, 1.0, out=p)
    p *= 4.0  # 4 (1 + Q)
    q += q
    q += a  # B
    np.divide(p, q, out=p)  # L
    p *= c
    p += a  # A + x L
    np.divide(p, q, out=out)


class Mish(Activation):
    r"""Mish as an activation object; see :func:`mish`.

    Example:
        >>> act = Mish()
        >>> act([0.0, 1.0]), act.gradient([0.0, 1.0])
        (array([0.        , 0.86509839]), array([0.6       , 1.04903622]))
    """

    name = "Mish"
    # mish'(x) = (1 + x) e^x far left is a normal float64 down to x = -714.9; the kernel covers
    # x >= -690, and the tail below is kept as m 2**k.
    normal_gradient_range = (_LOW, np.inf)

    def __call__(self, x):
        return mish(x)

    def _gradient_tail(self, x):
        return _linear_exp_tail(x)

    def _gradient_for_backward(self, x):
        # backward needs the relative error (Activation._gradient_for_backward): 2.7 units of
        # 2**-53 with the division and the product carried too, so backward stays within 3.2 ULP.
        return _mish_gradient(x, _mish_gradient_exact64, 13)

    def gradient(self, x):
        r"""The derivative, accurate where it crosses zero and in both tails.

        .. math::

            \operatorname{mish}'(x) = t + x\,\sigma(x)\,(1 - t^2)
                = \frac{A + x L}{B}, \qquad
            t = \tanh(\operatorname{softplus}(x)) = \frac{A}{B},\;
            L = \frac{4(1 + e^{-x})}{B}

        with :math:`A = e^x + 2` and :math:`B = e^x + 2 + 2e^{-x}`
        (:math:`\sigma(x)(1 - t^2) = 4(1 + e^{-x})/B^2`). It is 0 at x = -1.192431 (the
        minimum of mish), negative to its left (down to -0.1125 at x = -2.2564), 0.6 at 0,
        and tends to 1 on the right (its maximum, 1.0885 at x = 1.4906). Errors are measured in
        ULP of the sum of the terms' magnitudes, :math:`t + |x|\,\sigma(x)(1 - t^2)`, as for
        SiLU.

        Every sum carries its rounding error (2Sum, Fast2Sum), and their first-order effect
        is added back: at most 2.8 ULP in float64 (bar 4), 0.50 in float32 and float16. Below
        x = -690 it is ``(1 + x) e^x`` scaled once. ``backward`` multiplies by the same
        quotient with the division in ``L`` and the product ``x L`` carried too (Dekker's
        exact product): 1.9 ULP and, what the product needs, within 2.7 units of ``2**-53``
        relative to the terms' magnitudes, so ``backward`` stays within 3.2 ULP for any
        incoming gradient (``Activation._gradient_for_backward``).

        PyTorch's ``tanh_sp + x * sigmoid * (1 - tanh_sp * tanh_sp)`` rounds ``1 - t^2`` near 1
        and multiplies that error by x: 18 ULP in float64 (x = 18.7), 8 ULP in float32, NaN at
        +inf, and the wrong sign far left (x = -712).

        >>> Mish().gradient([-40.0, 0.0, 1.0, 40.0])
        array([-1.65685816e-16,  6.00000000e-01,  1.04903622e+00,  1.00000000e+00])
        """
        x = as_float_array(x, "Mish.gradient")
        if x.dtype == np.float64:
            return as_result(_mish_gradient(x, _mish_gradient64, 8))
        return as_result(blockwise(_mish_gradient_narrow, x, 4, _BLOCK))


def _mish_gradient(x, kernel, scratch):
    """``kernel`` over float64 ``x``, with ``(1 + x) e^x`` left of -690 and 1 right of 690."""
    with np.errstate(over="ignore", invalid="ignore"):
        out = blockwise(kernel, x, scratch, _BLOCK)
        _fix_tails(x, out, lambda v: _exp_tail(1.0 + v, v), lambda v: 1.0, _LOW, _HIGH)
    return out
