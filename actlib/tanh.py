"""The hyperbolic tangent."""

import numpy as np

from ._base import Activation, as_float_array, as_result, blockwise, exp_split
from .sigmoid import _BLOCK, _ratio_exact64


def tanh(x):
    r"""Hyperbolic tangent, elementwise.

    .. math::

        \tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}} = 2\sigma(2x) - 1

    Args:
        x: array_like of real numbers, any shape.

    Returns:
        :math:`\tanh(x)` with ``x``'s shape and dtype (float64 for integer or bool input).

    Example:
        >>> tanh([-1000.0, 0.0, 1e-8, 1000.0])
        array([-1.e+00,  0.e+00,  1.e-08,  1.e+00])

    Notes:
        NumPy's ``np.tanh`` is already accurate (1.19 ULP at worst measured here, 2.10 with
        NumPy's baseline kernels; the bar is 3) and never overflows, so the forward is
        ``np.tanh``; float16 and float32 go through float64 and are rounded once. The blog post's
        ``2 / (1 + np.exp(-2 * x)) - 1`` overflows for ``x < -354.9`` and, near 0, subtracts two
        nearly equal numbers: at ``x = 1e-8`` it is off by millions of ULP.
    """
    x = as_float_array(x, "tanh")
    if x.dtype == np.float64:
        # NumPy's baseline (non-AVX) kernel flags underflow for subnormal x, where tanh(x) = x.
        with np.errstate(under="ignore"):
            return as_result(np.tanh(x))
    # float16/32: computed in float64 inside the ufunc, buffer by buffer, and rounded once,
    # without a float64 copy of the whole input.
    out = np.empty_like(x)  # out= keeps a 0-d input an array
    with np.errstate(under="ignore"):  # a subnormal float16 result is the right rounding
        return as_result(np.tanh(x, out=out, dtype=np.float64, casting="same_kind"))


def _tanh_gradient64(x, out, a, e, lo):
    np.abs(x, out=a)
    np.multiply(a, -2.0, out=a)  # past |x| = 9e307 this is -inf (the caller ignores the overflow)
    np.exp(a, out=e)  # e = exp(-2|x|) in [0, 1]; a is free again for 1 + e
    d = np.add(e, 1.0, out=a)
    # 1 + e = d + lo exactly (Fast2Sum, 1 >= e); squaring doubles the rounding's weight, which
    # took the result to 4.2 ULP at x = -6.936 with numpy 1.26's exp. With h = d / 2 (exact),
    # 4e / (d + lo)^2 = e / (h + lo/2)^2 is q (1 - lo / h) to first order, q = e / h^2 = 4e / d^2.
    np.subtract(d, 1.0, out=lo)
    np.subtract(e, lo, out=lo)
    h = np.multiply(d, 0.5, out=d)
    np.divide(lo, h, out=lo)
    q = np.divide(e, np.square(h, out=h), out=e)
    np.multiply(lo, q, out=lo)
    np.subtract(q, lo, out=out)


def _tanh_gradient_exact64(x, out, a, e, d, lo, hi, u, v):
    # backward's derivative (Tanh._gradient_for_backward): 4 e / (1 + e)^2 with the square and
    # the division carried exactly (the sigmoid's _ratio_exact64), so that only exp's error and
    # the final rounding remain; times 4, exact (a normal float wherever backward uses it).
    np.abs(x, out=a)
    np.multiply(a, -2.0, out=a)  # -inf past |x| = 9e307 (the caller ignores the overflow)
    np.exp(a, out=e)
    _ratio_exact64(e, out, d, lo, hi, a, u, v)
    out *= 4.0


def _tanh_gradient_narrow(x, out, a, e, _):
    # 4e / (1 + e)^2 in float64 is within about 4 float64 ULP: rounded once, <= 0.5 ULP + a hair.
    # 2|x| <= 7e38 cannot overflow float64.
    np.abs(x, out=a)
    np.multiply(a, -2.0, out=a)
    np.exp(a, out=e)
    d = np.add(e, 1.0, out=a)
    np.multiply(d, d, out=d)
    np.multiply(e, 4.0, out=e)
    np.divide(e, d, out=out)  # rounds once to float16/32


class Tanh(Activation):
    r"""Hyperbolic tangent as an activation object; see :func:`tanh`.

    Example:
        >>> act = Tanh()
        >>> act([0.0]), act.gradient([0.0])
        (array([0.]), array([1.]))
    """

    name = "Tanh"
    # tanh'(x) = 4e / (1 + e)^2 with e = e^{-2|x|} is a normal float64 for |x| < 354.9; beyond,
    # 1 + e is exactly 1 and tanh'(x) = 4 e^{-2|x|}, kept as m 2**k for backward.
    normal_gradient_range = (-354.0, 354.0)

    def __call__(self, x):
        return tanh(x)

    def _gradient_tail(self, x):
        with np.errstate(over="ignore"):  # -2|x| = -inf past 9e307: exp_split gives m = 0
            m, k = exp_split(-2.0 * np.abs(x))
        return m, k + 2

    def _gradient_for_backward(self, x):
        # backward needs the relative error (Activation._gradient_for_backward): gradient's reaches
        # 3.95 units of 2**-53, and g times it 4.4 ULP; this kernel's 2.1, so backward 2.6.
        with np.errstate(over="ignore"):  # -2|x| = -inf past 9e307, as in gradient
            return as_result(blockwise(_tanh_gradient_exact64, x, scratch=7, block_size=_BLOCK))

    def gradient(self, x):
        r"""The derivative, accurate in the tails.

        .. math::

            \tanh'(x) = 1 - \tanh^2(x) = \operatorname{sech}^2(x)
                      = \frac{4e}{(1 + e)^2}, \qquad e = e^{-2|x|}

        The blog post's ``1 - t**2`` rounds ``t`` to 1 for ``|x| > 19.1`` and returns 0 where the
        true value is about ``4 e^{-2|x|}``. At most 4 ULP in float64 (2.87 measured), 1 ULP in
        float32 and float16.

        ``backward`` multiplies by ``g`` and rounds once, which carries over the derivative's
        error *relative* to its size, plus half an ULP: this one's reaches 3.95 units of
        ``2**-53``, and ``g`` times it 4.45 ULP. So in float64 ``backward`` multiplies by a more
        exact derivative (``Activation._gradient_for_backward``, the sigmoid's kernel on
        ``e = e^{-2|x|}``, times 4): within 2.11 units relative measured (1.99 on NumPy's
        baseline kernels), so ``backward`` stays within 2.61 ULP for any incoming gradient.

        >>> Tanh().gradient([-20.0, 20.0])
        array([1.6993417e-17, 1.6993417e-17])
        """
        x = as_float_array(x, "Tanh.gradient")
        if x.dtype != np.float64:
            return as_result(blockwise(_tanh_gradient_narrow, x, scratch=3))
        # -2|x| = -inf for |x| > 9e307 is an overflow, and the right input: exp(-inf) = 0, and
        # tanh'(x) is below the smallest subnormal from |x| = 373 on.
        with np.errstate(over="ignore"):
            return as_result(blockwise(_tanh_gradient64, x, scratch=3))
