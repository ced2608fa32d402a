"""Leaky ReLU: ReLU with a small slope for negative inputs."""

import numpy as np

from ._base import Activation, as_float_array, as_result, check_real_param


def leaky_relu(x, negative_slope=0.01):
    r"""Leaky rectified linear unit, elementwise.

    .. math::

        f(x) = \begin{cases} x & x > 0 \\ \alpha x & x \le 0 \end{cases}, \qquad
        f'(x) = \begin{cases} 1 & x > 0 \\ \alpha & x \le 0 \end{cases}

    with :math:`\alpha` = ``negative_slope``.

    Args:
        x: array_like of real numbers, any shape.
        negative_slope: the slope :math:`\alpha` for ``x <= 0``; any finite real. Default 0.01,
            as in PyTorch (``torch.nn.LeakyReLU``) and JAX (``jax.nn.leaky_relu``).

    Returns:
        ``f(x)`` with ``x``'s shape and dtype (float64 for integer or bool input).

    Raises:
        TypeError: if ``negative_slope`` is not a real number (a bool, a string, ``None``).
        ValueError: if ``negative_slope`` is not finite.

    Example:
        >>> leaky_relu([-2.0, 0.0, 3.0])
        array([-0.02,  0.  ,  3.  ])

    Notes:
        The blog post's class defaulted to ``alpha=0.2`` while its docstring said 1e-2; we follow
        PyTorch and JAX (0.01). Keras uses 0.3 (``negative_slope`` of ``keras.layers.LeakyReLU``).

        ``alpha * x`` is rounded once to the input's dtype: float16 and float32 inputs are
        multiplied in float64, because 0.01 is not exactly representable in them and a rounded
        slope would add a second error. The float64 product is itself rounded, so at a few
        near-ties (less than 1e-13 ULP beyond one half: 21 of the negative float16 values with
        the default slope) the result is the float nearest the float64 product rather than the
        nearest to the exact one; within the bars either way.
        NaN propagates, ``-inf`` gives ``-inf * alpha``. With ``alpha = 0`` this is
        ReLU exactly (``0 * -inf`` would otherwise be NaN). An ``alpha`` above 1 can overflow for
        inputs near the float maximum; the result is then the correctly signed infinity.
    """
    slope = check_real_param(negative_slope, "leaky_relu", "negative_slope")
    x = as_float_array(x, "leaky_relu")
    if slope == 0:
        return as_result(np.maximum(x, x.dtype.type(0)))  # 0 * -inf would be NaN
    # slope * x in float64, rounded once to x's dtype, written straight into the result.
    out = np.empty_like(x)
    # |slope| > 1 near the float max gives +-inf, a tiny x a subnormal or 0: the right roundings.
    with np.errstate(over="ignore", under="ignore"):
        np.multiply(x, slope, out=out, dtype=np.float64, casting="same_kind")
    # For slope <= 1, f(x) = max(x, slope * x); for slope > 1, min(x, slope * x). Rounding is
    # monotonic, so the comparison still picks the right side. Branch-free, unlike np.where.
    pick = np.maximum if slope <= 1 else np.minimum
    return as_result(pick(out, x, out=out))


class LeakyReLU(Activation):
    r"""Leaky ReLU as an activation object; see :func:`leaky_relu`.

    Example:
        >>> act = LeakyReLU(negative_slope=0.1)
        >>> act
        LeakyReLU(negative_slope=0.1)
        >>> act([-1.0, 2.0]), act.gradient([-1.0, 0.0, 2.0])
        (array([-0.1,  2. ]), array([0.1, 0.1, 1. ]))
    """

    name = "LeakyReLU"

    def __init__(self, negative_slope=0.01):
        self.negative_slope = check_real_param(negative_slope, "LeakyReLU", "negative_slope")

    def _params(self):
        return {"negative_slope": self.negative_slope}

    def __call__(self, x):
        return leaky_relu(x, self.negative_slope)

    def gradient(self, x):
        r"""The derivative: 1 for ``x > 0``, ``negative_slope`` for ``x <= 0``, NaN at NaN.

        At the kink we return ``negative_slope``, as PyTorch does; the blog post returned 1 there
        (``x >= 0``). The result has ``x``'s dtype, the slope rounded once to it.

        >>> LeakyReLU().gradient([-3.0, 0.0, 3.0, np.nan])
        array([0.01, 0.01, 1.  ,  nan])
        """
        x = as_float_array(x, "LeakyReLU.gradient")
        with np.errstate(over="ignore", under="ignore"):  # a slope beyond float16's range is inf
            slope = x.dtype.type(self.negative_slope)
        if 0 <= slope <= 1:
            # max(sign(x), slope): 1 for x > 0, slope for x <= 0, NaN at NaN; branch-free.
            out = np.sign(x, out=np.empty_like(x))  # out= keeps a 0-d input an array
            return as_result(np.maximum(out, slope, out=out))
        out = np.where(x > 0, x.dtype.type(1), slope)
        np.copyto(out, x, where=np.isnan(x))
        return as_result(out)
