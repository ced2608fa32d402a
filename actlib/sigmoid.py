"""The logistic sigmoid."""

import numpy as np

from ._base import Activation, as_float_array, as_result, blockwise, exp_split

# Elements per block for backward's exact kernel: its nine 128 KiB buffers (input, result and
# seven scratch) stay within a core's L2, as for SiLU's and Mish's exact kernels.
_BLOCK = 16384


def sigmoid(x):
    r"""Logistic sigmoid, elementwise, without overflow.

    .. math::

        \sigma(x) = \frac{1}{1 + e^{-x}} = \begin{cases}
            \dfrac{1}{1 + e^{-|x|}} & x \ge 0 \\[1ex]
            \dfrac{e^{-|x|}}{1 + e^{-|x|}} & x < 0
        \end{cases}

    Both branches use :math:`e = e^{-|x|} \in (0, 1]`, which never overflows.

    Args:
        x: array_like of real numbers, any shape.

    Returns:
        :math:`\sigma(x)` with ``x``'s shape and dtype (float64 for integer or bool input).

    Example:
        >>> sigmoid([-1000.0, 0.0, 1000.0])
        array([0. , 0.5, 1. ])

    Notes:
        The textbook ``1 / (1 + np.exp(-x))`` overflows in ``exp`` for ``x < -709.78`` (float64)
        or ``x < -88.72`` (float32): it still returns 0 but raises an overflow warning. The
        branch for ``x < 0`` also keeps full relative accuracy deep in the left tail, where
        ``sigma(x) = e^x`` is tiny but far from 0 in floating point.
        Accuracy, measured against mpmath over the whole float range: within the 3-ULP bar in
        float64 (1.76 measured; one refinement step, ``sigma = n - e sigma``, repairs the three
        roundings of ``n / (1 + e)``, which reach 2.5 ULP), 1 ULP in float32 and float16
        (computed in float64, rounded once). ``jax.nn.sigmoid`` and ``torch.sigmoid`` compute
        float32 in float32, which costs them more than 1 ULP (notebook 03's deep dive measures it).
        The work runs in cache-sized blocks, so memory beyond the result stays a few blocks.
    """
    x = as_float_array(x, "sigmoid")
    if x.dtype == np.float64:
        return as_result(blockwise(_sigmoid64, x, scratch=3))
    with np.errstate(over="ignore"):  # exp(-x) = inf for x < -709.78: see _sigmoid_narrow
        return as_result(blockwise(_sigmoid_narrow, x, scratch=3))


def _sigmoid64(x, out, t, e, n):
    np.abs(x, out=t)
    np.negative(t, out=t)
    np.exp(t, out=e)  # e = exp(-|x|) in (0, 1]
    # The numerator n, branch-free: max(e, [x >= 0]) is 1 for x >= 0, e for x < 0, NaN at NaN
    # (np.where costs several times more when the signs of x are random).
    np.maximum(e, np.greater_equal(x, 0.0), out=n)
    d = np.add(e, 1.0, out=t)
    q = np.divide(n, d, out=t)  # sigma to 2.5 ULP: 1 + e, exp and the division each round
    # sigma (1 + e) = n, so sigma = n - e sigma: one step of this fixed point maps q = sigma (1 + r)
    # to sigma (1 - e r), so it multiplies q's relative error r by e <= 1 and adds two roundings
    # (e q and the subtraction). Worst found 1.76 ULP; correcting the rounding of 1 + e by
    # Fast2Sum instead takes two more passes and still reaches 2.06 ULP.
    np.multiply(e, q, out=q)
    np.subtract(n, q, out=out)


def _sigmoid_narrow(x, out, t, e, _):
    # float16/32 values in float64: the plain 1 / (1 + exp(-x)) is within 3.4 float64 ULP,
    # far below half a float32 ULP, so rounding it once is enough. For x < -709.78, exp(-x)
    # overflows to inf and 1 / (1 + inf) = 0 is the right answer: float32 holds nothing below
    # 1.4e-45 = sigmoid(-103.3). The caller ignores that overflow.
    np.negative(x, out=t)
    np.exp(t, out=e)
    e += 1.0
    np.divide(1.0, e, out=out)  # rounds once to float16/32


def _sigmoid_gradient64(x, out, t, e, lo):
    np.abs(x, out=t)
    np.negative(t, out=t)
    np.exp(t, out=e)  # e = exp(-|x|)
    d = np.add(e, 1.0, out=t)
    # e / d^2 alone reaches 4.3 ULP: d = 1 + e rounds, and d^2 doubles that error. The rounding
    # error lo = (1 + e) - d is exact (Fast2Sum, as 1 >= e), and e / (d + lo)^2 = q (1 - 2 lo / d)
    # to first order, q = e / d^2.
    np.subtract(d, 1.0, out=lo)
    np.subtract(e, lo, out=lo)
    np.divide(lo, d, out=lo)
    np.multiply(d, d, out=d)
    q = np.divide(e, d, out=e)
    np.multiply(lo, q, out=lo)
    lo *= 2.0
    np.subtract(q, lo, out=out)


# Veltkamp's splitting constant: with c = (2**27 + 1) v, hi = c - (c - v) holds v's leading 26
# bits and v - hi the rest, so that the products of such halves are exact (Dekker's product).
_SPLIT = 134217729.0


def _split(v, hi, lo):
    """``v = hi + lo`` exactly, each of at most 26 significant bits (Veltkamp); ``|v| < 2**970``."""
    np.multiply(v, _SPLIT, out=lo)
    np.subtract(lo, v, out=hi)
    np.subtract(lo, hi, out=hi)
    np.subtract(v, hi, out=lo)


def _ratio_exact64(e, out, d, lo, hi, t, u, v):
    """``e / (1 + e)^2`` into ``out`` for ``e`` in ``[0, 1]``, float64, within about one unit of
    ``2**-53`` relative beyond ``e``'s own error: ``backward``'s derivative for the sigmoid and
    tanh, whose product with ``g`` adds only its own rounding. ``e`` is overwritten.

    * ``1 + e = d + lo`` exactly (Fast2Sum, ``e <= 1``); ``d^2 = p + pe`` exactly (Dekker's
      product, ``d`` split into halves ``dh + dl``); so ``(1 + e)^2 = p + c``,
      ``c = pe + 2 d lo``, up to ``lo^2 < 2**-104 p``.
    * ``q = e / p`` rounds; its remainder ``r = e - q p`` is recovered from the halves of ``q``
      and ``p`` (``e - qh ph`` exact by Sterbenz, the other partial products ``2**-25`` of ``e``
      and less, their roundings ``2**-78`` of it).
    * ``e / (p + c) = q + (r - q c) / p`` to first order, ``c / p`` and ``r / e`` being
      ``2**-52``: only the final addition rounds at the result's scale.
    """
    np.add(e, 1.0, out=d)
    np.subtract(d, 1.0, out=lo)
    np.subtract(e, lo, out=lo)  # lo = (1 + e) - d, exact
    _split(d, hi, t)  # d = hi + t (d <= 2)
    np.multiply(lo, d, out=lo)  # d lo
    np.multiply(hi, hi, out=out)
    np.multiply(hi, t, out=hi)
    np.multiply(t, t, out=t)
    p = np.multiply(d, d, out=d)
    np.subtract(out, p, out=out)  # pe = ((dh^2 - p) + 2 dh dl) + dl^2, exact (Dekker)
    out += hi
    out += hi
    out += t
    out += lo
    out += lo  # c = pe + 2 d lo
    q = np.divide(e, p, out=lo)
    np.multiply(out, q, out=out)  # q c
    _split(q, hi, t)  # q = hi + t: lo is free again
    _split(p, u, v)  # p = u + v (p <= 4)
    np.multiply(hi, u, out=lo)
    np.subtract(e, lo, out=e)  # e - qh ph, exact
    np.multiply(hi, v, out=lo)
    np.subtract(e, lo, out=e)
    np.multiply(t, u, out=lo)
    np.subtract(e, lo, out=e)
    np.multiply(t, v, out=lo)
    np.subtract(e, lo, out=e)  # r = e - q p
    np.subtract(e, out, out=e)
    np.divide(e, p, out=e)  # (r - q c) / p
    np.add(hi, t, out=lo)  # q again, exactly
    np.add(lo, e, out=out)


def _sigmoid_gradient_exact64(x, out, t, e, d, lo, hi, u, v):
    # backward's derivative (Sigmoid._gradient_for_backward): e / (1 + e)^2 with the square and
    # the division carried exactly, so that only exp's error and the final rounding remain.
    np.abs(x, out=t)
    np.negative(t, out=t)
    np.exp(t, out=e)
    _ratio_exact64(e, out, d, lo, hi, t, u, v)


def _sigmoid_gradient_narrow(x, out, t, e, _):
    # e / (1 + e)^2 in float64 is within about 4 float64 ULP: rounded once, <= 0.5 ULP + a hair.
    np.abs(x, out=t)
    np.negative(t, out=t)
    np.exp(t, out=e)
    d = np.add(e, 1.0, out=t)
    np.multiply(d, d, out=d)
    np.divide(e, d, out=out)


class Sigmoid(Activation):
    r"""Logistic sigmoid as an activation object; see :func:`sigmoid`.

    Example:
        >>> act = Sigmoid()
        >>> act([0.0]), act.gradient([0.0])
        (array([0.5]), array([0.25]))
    """

    name = "Sigmoid"
    # sigma'(x) = e^-|x| / (1 + e^-|x|)^2 is a normal float64 for |x| < 708.39; beyond, 1 + e^-|x|
    # is exactly 1 and sigma'(x) = e^-|x|, kept as m 2**k for backward.
    normal_gradient_range = (-708.0, 708.0)

    def __call__(self, x):
        return sigmoid(x)

    def _gradient_tail(self, x):
        return exp_split(-np.abs(x))

    def _gradient_for_backward(self, x):
        # backward needs the relative error (Activation._gradient_for_backward): gradient's reaches
        # 3.95 units of 2**-53, and g times it 4.4 ULP; this kernel's 2.1, so backward 2.6.
        return as_result(blockwise(_sigmoid_gradient_exact64, x, scratch=7, block_size=_BLOCK))

    def gradient(self, x):
        r"""The derivative, computed without cancellation in either tail.

        .. math::

            \sigma'(x) = \sigma(x)\,(1 - \sigma(x)) = \frac{e}{(1 + e)^2}, \qquad e = e^{-|x|}

        (:math:`\sigma'` is even). The blog post's ``s * (1 - s)`` evaluates the forward twice
        and, for ``x > 36.7``, rounds ``s`` to 1 and returns 0 while the true value is ``e^-x``;
        the form above stays accurate to the smallest subnormal. At most 4 ULP in float64 (2.94
        measured; 4.3 without the kernel's correction of ``1 + e``), 1 ULP in float32 and float16.

        ``backward`` multiplies by ``g`` and rounds once, which carries over the derivative's
        error *relative* to its size, plus half an ULP: this one's reaches 3.95 units of
        ``2**-53`` (twice its ULP error where the value sits just above a power of two), and
        ``g`` times it 4.4 ULP (``x = 8.9515``, ``g = 15442``: 4.12). So in float64 ``backward``
        multiplies by a more exact derivative (``Activation._gradient_for_backward``): the same
        ``e / (1 + e)^2`` with ``(1 + e)^2`` carried exactly (Fast2Sum, Dekker's product) and the
        division's remainder recovered, leaving ``exp``'s error and one rounding: within 2.12
        units relative measured (2.00 on NumPy's baseline kernels), so ``backward`` stays within
        2.61 ULP for any incoming gradient, at about 2.3 times this kernel's time.

        >>> Sigmoid().gradient([-40.0, 40.0])
        array([4.24835426e-18, 4.24835426e-18])
        """
        x = as_float_array(x, "Sigmoid.gradient")
        kernel = _sigmoid_gradient64 if x.dtype == np.float64 else _sigmoid_gradient_narrow
        return as_result(blockwise(kernel, x, scratch=3))
