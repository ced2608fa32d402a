"""SiLU (Swish with beta = 1): x times the sigmoid of x."""

import numpy as np

from ._base import Activation, as_float_array, as_result, blockwise, exp_split

# Past these the float64 kernels' exponentials overflow (e^709.78 is the largest float64), and
# the values come from their asymptotic forms instead (_fix_tails): silu(x) = x e^x and
# silu'(x) = (1 + x) e^x to every bit on the left, silu(x) = x and silu'(x) = 1 on the right.
_LOW = -709.0
_HIGH = 709.0
# float16/32 inputs are computed in float64; beyond |x| = 200 a few kernels overflow, and the
# values there round to the limits anyway (|silu'(-200)| = 2.7e-85, far below float32's smallest
# subnormal, and silu'(200) rounds to 1): they are clamped to [-200, 200] or fixed after.
_NARROW = 200.0
# Elements per block for the kernels with three scratch buffers or more: 16384 keeps their five
# to fifteen 128 KiB buffers (input, result, scratch) within a core's L2 and the L3 behind it;
# measured 4 to 8 per cent faster than _base.BLOCK for them (the forward, one buffer, is not).
_BLOCK = 16384


def silu(x):
    r"""SiLU (sigmoid-weighted linear unit, Swish with :math:`\beta = 1`), elementwise.

    .. math::

        \operatorname{silu}(x) = x\,\sigma(x) = \frac{x}{1 + e^{-x}}

    Args:
        x: array_like of real numbers, any shape.

    Returns:
        :math:`x\,\sigma(x)` with ``x``'s shape and dtype (float64 for integer or bool input).

    Example:
        >>> silu([-1.0, 0.0, 1.0, 40.0])
        array([-0.26894142,  0.        ,  0.73105858, 40.        ])
        >>> silu(-1000.0), silu(-np.inf)  # no overflow warning, no NaN
        (np.float64(-0.0), np.float64(-0.0))

    Notes:
        SiLU is not monotonic: its minimum is -0.278464542761074 at x = -1.278464542761074
        (where :math:`x = -1 - e^{x}`), and it tends to 0 from below as x goes to -inf
        (``silu(-inf)`` is -0.0, not NaN).

        ``x / (1 + exp(-x))``: for x < 0 the large ``e^{-x}`` sits in the denominator, so
        nothing cancels; its three roundings (``exp``, ``1 + e^{-x}``, the division) give at
        most 2.3 ULP in float64 (bar 3; carrying the rounding of ``1 + e^{-x}`` with 2Sum would
        give 1.9, at twice the time). Left of x = -709.78, where ``exp`` overflows and the
        textbook formula returns -0 although ``x e^x`` is a normal float down to x = -716,
        actlib scales ``e^x`` by a power of two (``exp_split``) and rounds once. float16 and
        float32 are computed in float64 and rounded once: within 0.50 ULP.

        PyTorch (2.13, CPU) computes the same quotient in the input's dtype: 2.3 ULP in float64
        and in float32, ``silu(-inf)`` is NaN, and ``silu(-712.0)`` is -0.0 where the true value
        is -4.31e-307.
    """
    x = as_float_array(x, "silu")
    with np.errstate(over="ignore", invalid="ignore"):  # exp(-x) = inf far left: fixed below
        out = blockwise(_silu_kernel, x, scratch=1)
        if x.dtype == np.float64:
            _fix_tails(x, out, lambda v: _exp_tail(v, v), lambda v: v)
        else:
            _fix_neginf(x, out)
    return as_result(out)


def _silu_kernel(x, out, t):
    # x / (1 + e^-x), the last division rounding once into x's dtype. Left of x = -709.78,
    # e^-x = inf and x / inf = -0: right for float16/32, replaced by _fix_tails in float64;
    # x = -inf gives NaN (-inf / inf), set to -0 by the caller.
    np.negative(x, out=t)
    np.exp(t, out=t)
    t += 1.0
    np.divide(x, t, out=out)


def _exp_tail(v, x):
    """``v e^x`` for ``x`` below -708 (float64), where ``e^x`` is subnormal or 0 but the product
    may be a normal float: ``exp_split`` gives ``e^x = m 2**k``, the product ``v m`` is scaled
    once. ``x = -inf`` gives -0 (the limit of ``x e^x`` and ``(1 + x) e^x``)."""
    m, k = exp_split(x)
    with np.errstate(invalid="ignore", under="ignore"):
        out = np.ldexp(v * m, k)
    out[np.isneginf(x)] = -0.0
    return out


def _fix_tails(x, out, left, right, low=_LOW, high=_HIGH):
    """Replace ``out`` where ``x < low`` by ``left(x)`` and where ``x > high`` by ``right(x)``.

    Two reductions find out whether any element is there; most arrays have none, and then this
    costs a small fraction of the kernel. NaN is in neither tail.
    """
    flat = x.reshape(-1)
    if not flat.size:
        return
    if np.fmin.reduce(flat) < low:
        far = x < low
        out[far] = left(x[far])
    if np.fmax.reduce(flat) > high:
        far = x > high
        out[far] = right(x[far])


def _fix_neginf(x, out):
    """Set ``out`` to -0 where ``x`` is -inf (float16/32 kernels give NaN there)."""
    flat = x.reshape(-1)
    if flat.size and np.fmin.reduce(flat) == -np.inf:
        out[np.isneginf(x)] = -0.0


def _silu_gradient64(x, out, p, q, n):
    # silu'(x) = s + x s (1 - s) = (1 + x + P) / (P + 2 + Q), with P = e^x, Q = e^-x, since
    # s = P / (1 + P) = (1 + P) / ((1 + P)(1 + Q)) and (1 + P)(1 + Q) = P + 2 + Q (P Q = 1): two
    # exponentials and no product, sums of terms of one sign but for 1 + x, which is exact
    # around the zero at -1.2785. Five roundings and the exps: at most 2.8 ULP measured (bar 4),
    # in ULP of the terms' magnitudes; relative to them, 3.9 units of 2**-53 (see
    # _silu_gradient_exact64, which backward uses).
    np.exp(x, out=p)  # inf for x > 709.78, 0 far left: _fix_tails replaces both
    np.negative(x, out=q)
    np.exp(q, out=q)
    q += p
    q += 2.0  # P + Q + 2
    np.add(x, 1.0, out=n)
    n += p  # 1 + x + P
    np.divide(n, q, out=out)


def _silu_gradient_exact64(x, out, p, q, n, lo, b):
    # The same quotient with the numerator's and the denominator's roundings carried (2Sum,
    # Fast2Sum) and divided out: the exps (about 1.2 units of 2**-53 at worst, entering once)
    # and two roundings are left. At most 1.9 ULP measured, 2.8 units relative.
    np.exp(x, out=p)
    np.negative(x, out=q)
    np.exp(q, out=q)
    n1 = np.add(x, 1.0, out=lo)  # exact for x in [-2, -0.5], around the zero at -1.2785
    # n + err = n1 + P (2Sum)
    np.add(n1, p, out=n)
    bb = np.subtract(n, n1, out=out)
    np.subtract(n, bb, out=b)
    np.subtract(n1, b, out=b)
    np.subtract(p, bb, out=bb)
    np.add(b, bb, out=lo)  # lo: the numerator's rounding error
    # b1 + err = P + Q (2Sum), then B + err' = b1 + 2 (Fast2Sum: b1 = P + Q >= 2)
    b1 = np.add(p, q, out=b)
    bb = np.subtract(b1, p, out=out)
    np.subtract(q, bb, out=q)
    np.subtract(b1, bb, out=bb)
    np.subtract(p, bb, out=p)
    np.add(p, q, out=p)  # P + Q - b1
    big = np.add(b1, 2.0, out=q)
    np.subtract(big, b1, out=out)
    np.subtract(2.0, out, out=out)
    np.add(p, out, out=p)  # the denominator's rounding error
    # (n + lo) / (B + p) = y0 + (lo - y0 p) / B to first order, y0 = n / B
    y0 = np.divide(n, big, out=n)
    np.multiply(p, y0, out=p)
    np.subtract(lo, p, out=lo)
    np.divide(lo, big, out=lo)
    np.add(y0, lo, out=out)


def _silu_gradient_narrow(x, out, t, d):
    # float16/32 values in float64: (1 + T + x T) / (1 + T)^2 with T = e^-x, one exponential,
    # within a few float64 ULP of the terms' magnitudes. Beyond |x| = 200 the caller sets the
    # limits (T or (1 + T)^2 overflow on the left, x T is inf * 0 at +inf).
    np.negative(x, out=t)
    np.exp(t, out=t)
    np.add(t, 1.0, out=d)
    np.multiply(x, t, out=t)
    t += d  # 1 + T + x T
    np.multiply(d, d, out=d)
    np.divide(t, d, out=out)


def _silu_gradient(x, kernel, scratch):
    """``kernel`` over float64 ``x`` with the tails: ``(1 + x) e^x`` left of -709, 1 right of
    709 (where the kernel's exponentials overflow)."""
    with np.errstate(over="ignore", invalid="ignore"):
        out = blockwise(kernel, x, scratch, _BLOCK)
        _fix_tails(x, out, lambda v: _exp_tail(1.0 + v, v), lambda v: 1.0)
    return out


class SiLU(Activation):
    r"""SiLU (Swish with :math:`\beta = 1`) as an activation object; see :func:`silu`.

    Example:
        >>> act = SiLU()
        >>> act([0.0, 1.0]), act.gradient([0.0, 1.0])
        (array([0.        , 0.73105858]), array([0.5       , 0.92767051]))
    """

    name = "SiLU"
    # silu'(x) = (1 + x) e^x far left is a normal float64 down to x = -714.9; the kernel covers
    # x >= -709 (e^-x overflows beyond), and the tail below is kept as m 2**k for backward.
    normal_gradient_range = (_LOW, np.inf)

    def __call__(self, x):
        return silu(x)

    def _gradient_tail(self, x):
        return _linear_exp_tail(x)

    def _gradient_for_backward(self, x):
        # backward needs the relative error (Activation._gradient_for_backward): the plain quotient
        # reaches 3.9 units of 2**-53 and backward would reach 4.4 ULP; this one 2.8 and 3.3.
        return _silu_gradient(x, _silu_gradient_exact64, 5)

    def gradient(self, x):
        r"""The derivative, accurate where it crosses zero and in both tails.

        .. math::

            \operatorname{silu}'(x) = \sigma(x) + x\,\sigma(x)\,(1 - \sigma(x))
                = \frac{1 + x + e^{x}}{e^{x} + 2 + e^{-x}}

        It is 0 at x = -1.278464542761074 (the minimum of silu), negative to its left, and
        tends to 1 on the right (its maximum, 1.0998 at x = 2.3994). Near the zero the two
        terms cancel: errors are measured in ULP of the sum of their magnitudes,
        :math:`\sigma(x) + |x|\,\sigma(x)(1 - \sigma(x))`, since no float64 evaluation can beat
        the rounding of its largest term (notebooks/deep-dives/09_silu_mish.ipynb).

        The right-hand form needs two exponentials but no product, and cancels only where the
        derivative itself crosses 0: at most 2.8 ULP in float64 (bar 4), 0.50 ULP in float32
        and float16. Below x = -709, where ``e^-x`` overflows, it is ``(1 + x) e^x`` scaled
        once. ``backward`` multiplies by the same quotient with its sums' rounding errors
        carried (2Sum) and divided out, 1.9 ULP and, what the product needs, within 2.8 units
        of ``2**-53`` relative to the terms' magnitudes: ``backward`` stays within 3.3 ULP for
        any incoming gradient (``Activation._gradient_for_backward``).

        PyTorch's ``sigmoid * (1 + x * (1 - sigmoid))`` rounds ``1 - sigmoid`` near 1 and
        multiplies that error by x: 18 ULP in float64 (x = 36.7), 8 ULP in float32 (x = 16.6),
        NaN at +inf, and -0 far left (x = -712, where the true value is -4.3e-307).

        >>> SiLU().gradient([-40.0, 0.0, 1.0, 40.0])
        array([-1.65685816e-16,  5.00000000e-01,  9.27670512e-01,  1.00000000e+00])
        """
        x = as_float_array(x, "SiLU.gradient")
        if x.dtype == np.float64:
            return as_result(_silu_gradient(x, _silu_gradient64, 3))
        with np.errstate(over="ignore", invalid="ignore"):
            out = blockwise(_silu_gradient_narrow, x, 2, _BLOCK)
            # |silu'(-200)| = 2.7e-85 is below float32's smallest subnormal; silu'(200) rounds to 1
            _fix_tails(x, out, lambda v: -0.0, lambda v: 1.0, -_NARROW, _NARROW)
        return as_result(out)


def _linear_exp_tail(x):
    """``(1 + x) e^x`` as ``(m, k)`` with ``|m| < 1``, for ``backward``'s float64 tail.

    ``exp_split`` takes arguments below -2000 as -2000, which no single float can bring back
    from below the subnormals; but ``(1 + x) m`` is then as large as ``x``, and ``g`` may be as
    large again. The true ``g (1 + x) e^x`` is below 1e-550 for every ``x < -2000`` and float
    ``g``: ``m`` is 0 there (-inf included).
    """
    e, k = exp_split(x)
    with np.errstate(invalid="ignore"):  # -inf times m = 0
        m, j = np.frexp((1.0 + x) * e)
    m[x < -2000.0] = -0.0
    return m, k + j
