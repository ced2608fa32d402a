"""Leaky ReLU: ReLU with a small slope for negative inputs; PReLU, whose slopes are learned."""

import math
import operator

import numpy as np

from ._base import (
    BLOCK,
    Activation,
    as_float_array,
    as_grad_output,
    as_result,
    check_real_param,
)
from .softmax import _two_product


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


# ----------------------------------------------------------------------------------------------
# PReLU: the slope is a learned weight, one for all inputs or one per channel


def _prelu_weight(weight, x, name):
    """The slopes as float64, shaped to broadcast against ``x`` (channel axis 1 for ndim >= 2)."""
    w = as_float_array(weight, name)
    if w.ndim > 1:
        raise ValueError(f"{name}(): weight must be a scalar or a 1-d array, got shape {w.shape}")
    w = w.reshape(-1).astype(np.float64)
    with np.errstate(invalid="ignore"):
        if not np.isfinite(w).all():
            raise ValueError(f"{name}(): weight must be finite, got {w!r}")
    channels = x.shape[1] if x.ndim >= 2 else 1
    if w.size != 1 and w.size != channels:
        raise ValueError(
            f"{name}(): weight has {w.size} slopes but x has {channels} channel(s) (the size of "
            f"axis 1, or 1 for x with fewer than 2 dimensions); pass 1 slope or {channels}"
        )
    if w.size == 1:
        return w.reshape(())
    return w.reshape((1, w.size) + (1,) * (x.ndim - 2))


def _prelu(x, w):
    # w x in float64, rounded once to x's dtype, kept where x <= 0 (and NaN); x where x > 0.
    out = np.empty_like(x)
    # a slope 0 at x = -inf is 0 * inf (fixed below); overflow and underflow round correctly
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        np.multiply(x, w, out=out, dtype=np.float64, casting="same_kind")
    np.copyto(out, x, where=x > 0)
    if not np.all(w):  # slope 0: the limit at -inf is 0, as for ReLU
        np.copyto(out, x.dtype.type(0), where=(x == -np.inf) & (w == 0))
    return out


def prelu(x, weight):
    r"""Parametric ReLU: leaky ReLU whose slope is a learned weight, elementwise.

    .. math::

        f(x) = \begin{cases} x & x > 0 \\ w_c\, x & x \le 0 \end{cases}, \qquad
        \frac{\partial f}{\partial x} = \begin{cases} 1 & x > 0 \\ w_c & x \le 0 \end{cases},
        \qquad \frac{\partial f}{\partial w_c} = \begin{cases} 0 & x > 0 \\ x & x \le 0
        \end{cases}

    with :math:`c` the input's channel: one slope for all inputs, or one per channel along axis 1
    (for ``x`` with 2 or more dimensions: ``(batch, channels, ...)``), as in PyTorch (He et al.
    2015, *Delving deep into rectifiers*).

    Args:
        x: array_like of real numbers, any shape.
        weight: the slopes: a scalar or a 1-d array of 1 value, or of ``x.shape[1]`` values
            (finite reals).

    Returns:
        ``f(x)`` with ``x``'s shape and dtype (float64 for integer or bool input).

    Raises:
        TypeError: if ``weight`` is complex, a string, ...
        ValueError: if ``weight`` has more than one dimension, a count that is neither 1 nor
            ``x.shape[1]`` (1 for ``x`` with fewer than 2 dimensions), or a non-finite value.

    Example:
        >>> prelu([-2.0, 3.0], 0.25)
        array([-0.5,  3. ])
        >>> prelu([[-1.0, -1.0], [2.0, -4.0]], [0.1, 0.5])  # one slope per column (axis 1)
        array([[-0.1, -0.5],
               [ 2. , -2. ]])

    Notes:
        ``w x`` is computed in float64 and rounded once to ``x``'s dtype (within 0.5 ULP of the
        product with the float64 slope). A slope 0 gives ReLU exactly (0 at ``-inf``, not
        ``0 * -inf = NaN``); NaN propagates. PyTorch requires ``weight`` to have ``x``'s dtype;
        here any real dtype is accepted and used in float64.
    """
    x = as_float_array(x, "prelu")
    return as_result(_prelu(x, _prelu_weight(weight, x, "prelu")))


class PReLU(Activation):
    r"""Parametric ReLU as an activation object with its learned slopes; see :func:`prelu`.

    Args:
        num_parameters: how many slopes: 1 (shared by all inputs, the default) or the number of
            channels (axis 1 of the input), as ``torch.nn.PReLU``.
        init: every slope's initial value, 0.25 by default (PyTorch's, from He et al. 2015).

    Attributes:
        weight: the slopes, a float64 array of shape ``(num_parameters,)``; a training loop
            updates it in place or replaces it (``act.weight -= lr * act.weight_gradient(x, g)``).

    Example:
        >>> act = PReLU()
        >>> act, act.weight
        (PReLU(num_parameters=1), array([0.25]))
        >>> x, g = np.array([-2.0, 1.0, -4.0]), np.array([1.0, 1.0, 0.5])
        >>> act(x), act.gradient(x)
        (array([-0.5,  1. , -1. ]), array([0.25, 1.  , 0.25]))
        >>> act.backward(x, g), act.weight_gradient(x, g)
        (array([0.25 , 1.   , 0.125]), array([-4.]))
    """

    name = "PReLU"

    def __init__(self, num_parameters=1, init=0.25):
        if isinstance(num_parameters, (bool, np.bool_)):
            raise TypeError(f"PReLU(): num_parameters must be an integer, got {num_parameters!r}")
        try:
            n = operator.index(num_parameters)
        except TypeError:
            raise TypeError(
                f"PReLU(): num_parameters must be an integer, got {num_parameters!r}"
            ) from None
        if n < 1:
            raise ValueError(f"PReLU(): num_parameters must be at least 1, got {n}")
        self.weight = np.full(n, check_real_param(init, "PReLU", "init"))

    def _params(self):
        return {"num_parameters": int(np.size(self.weight))}

    def __call__(self, x):
        return prelu(x, self.weight)

    def gradient(self, x):
        r"""The derivative with respect to ``x``: 1 for ``x > 0``, the channel's slope for
        ``x <= 0`` (at the kink too, as PyTorch), rounded to ``x``'s dtype; NaN at NaN.

        >>> PReLU(2, init=0.5).gradient([[-1.0, 0.0], [3.0, -2.0]])
        array([[0.5, 0.5],
               [1. , 0.5]])
        """
        x = as_float_array(x, "PReLU.gradient")
        w = _prelu_weight(self.weight, x, "PReLU.gradient")
        with np.errstate(over="ignore", under="ignore"):  # slopes beyond float16's range
            slope = np.broadcast_to(w, x.shape).astype(x.dtype)
        out = np.where(x > 0, x.dtype.type(1), slope)
        np.copyto(out, x, where=np.isnan(x))
        return as_result(out)

    def backward(self, x, grad_output):
        r"""The gradient with respect to ``x``: ``g`` where ``x > 0``, ``w g`` where ``x <= 0``,
        the product in float64 rounded once to ``x``'s dtype; NaN where ``x`` is NaN.

        As in PyTorch (``prelu_backward``), ``w g`` is computed even for ``w = 0``: an infinite
        ``g`` there gives NaN, by IEEE 754.

        >>> PReLU(init=0.1).backward([-1.0, 2.0], [3.0, 3.0])
        array([0.3, 3. ])
        """
        x = as_float_array(x, "PReLU.backward")
        g = as_grad_output(grad_output, x, "PReLU.backward")
        w = _prelu_weight(self.weight, x, "PReLU.backward")
        out = np.empty_like(x)
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            np.multiply(g, w, out=out, dtype=np.float64, casting="same_kind")
        np.copyto(out, g, where=x > 0)
        np.copyto(out, x, where=np.isnan(x))
        return as_result(out)

    def weight_gradient(self, x, grad_output):
        r"""The gradient with respect to the slopes: ``sum(g * x)`` over the inputs with
        ``x <= 0``, per channel, with the weight's shape.

        .. math::

            \frac{\partial L}{\partial w_c} = \sum_{i \in c,\; x_i \le 0} g_i\, x_i

        Returns a float64 array of shape ``(num_parameters,)``: a parameter's gradient has the
        parameter's dtype, as in PyTorch.

        Accuracy: the sum of the exact products, rounded once (within 0.5 ULP and
        ``2**-12`` ULP more, by construction; 0.5 measured against mpmath, on sums that cancel
        down to ``1e-120`` of their largest term too). Each ``g_i x_i`` is kept exactly
        (float16/32: exact in float64; float64: as ``hi + lo`` by Dekker's product), and the
        sum is the extraction of Rump, Ogita and Oishi that softmax's row sums use, repeated
        until what is left cannot move the rounding. ``np.sum(g * x)`` rounds every product
        and every addition, and loses all bits once the sum cancels. Products below
        ``2**-969`` lose the bits of ``lo`` below the smallest subnormal (``2**-1075`` each at
        most). Inputs so large that a product or the sum could overflow are first scaled by a
        power of two (their sum is then rounded twice only if it is subnormal after scaling
        back). A NaN, or an infinite product, in a channel gives that channel NaN or the
        infinity, as ``np.sum`` would. Time: 3.6 times ``np.sum(g * x)`` in float64, 1.7 in float32.

        >>> act = PReLU(num_parameters=2)
        >>> act.weight_gradient([[-1.0, 2.0], [-3.0, -4.0]], [[1.0, 1.0], [1.0, 0.5]])
        array([-4., -2.])
        """
        x = as_float_array(x, "PReLU.weight_gradient")
        g = as_grad_output(grad_output, x, "PReLU.weight_gradient")
        w = _prelu_weight(self.weight, x, "PReLU.weight_gradient")
        return _weight_gradient(x, g, per_channel=w.ndim > 0)


def _weight_gradient(x, g, per_channel):
    """``sum(g * x)`` over ``x <= 0``, per channel (axis 1) or over everything, rounded once."""
    if per_channel:
        shape = (x.shape[0], x.shape[1], math.prod(x.shape[2:]))
    else:
        shape = (x.size, 1, 1)
    x, g = x.reshape(shape), g.reshape(shape)  # views, unless x is not contiguous
    exact_products = x.dtype != np.float64  # float16/32 products are exact in float64
    if x.size == 0:
        return np.zeros(shape[1])
    n = 2 * shape[0] * shape[2]  # terms per channel: hi and lo
    sx = sg = 0
    if not exact_products:
        sx, sg = _product_scales(x, g, n)
    hi = np.empty(shape)
    lo = None if exact_products else np.empty(shape)
    step = max(1, BLOCK // (shape[1] * shape[2]))
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        for start in range(0, shape[0], step):
            chunk = slice(start, start + step)
            xc, gc = x[chunk].astype(np.float64), g[chunk].astype(np.float64)
            if sx or sg:  # bits below 2**-1074 of the scaled factors are lost
                xc, gc = np.ldexp(xc, -sx), np.ldexp(gc, -sg)
            np.copyto(xc, 0.0, where=xc > 0)
            if exact_products:
                np.multiply(xc, gc, out=hi[chunk])
            else:
                hi[chunk], lo[chunk] = _two_product(xc, gc)
        total = _exact_channel_sums([hi] if lo is None else [hi, lo])
        return np.ldexp(total, sx + sg) if sx or sg else total


def _product_scales(x, g, n):
    """Powers of two ``(sx, sg)`` that keep ``|x| 2**-sx`` and ``|g| 2**-sg`` below 2**990
    (Dekker's split multiplies by 2**27) and their products' sum below the largest float."""
    def exponent(a):
        with np.errstate(invalid="ignore"):
            big = np.fmax.reduce(np.where(np.isfinite(a), np.abs(a), 0.0), axis=None)
        return int(np.frexp(big)[1])

    ex, eg = exponent(x), exponent(g)
    sx, sg = max(0, ex - 990), max(0, eg - 990)
    excess = (ex - sx) + (eg - sg) - (1000 - math.ceil(math.log2(n)) - 2)
    if excess > 0:
        if ex - sx >= eg - sg:
            sx += excess
        else:
            sg += excess
    return sx, sg


def _exact_channel_sums(parts):
    """The sums over axes 0 and 2 of the float64 arrays ``parts`` (together), per channel
    (axis 1), each the exact sum rounded once.

    Rump, Ogita and Oishi's extraction, as softmax's row sums, repeated on what is left: each
    level cuts every term into a head, a multiple of ``ulp(sigma)`` for a power of two
    ``sigma >= 2n max|term|`` (so the heads' sum is exact in any order), and a tail of at most
    half that step, which the next level cuts again. Once the tails are too small to move the
    rounding of the total (their float64 sum errs by at most ``(log2 n + 1) n eps max|tail|``,
    kept below 2**-12 ULP of the total), the level sums and the tails' sum are added exactly
    (``math.fsum``) and rounded once. One level suffices unless the sum cancels to far below
    its largest terms. Channels with a NaN or an infinite term get ``np.sum(parts[0])``, the
    plain sum of the first part (the rounded products): NaN or the infinity.
    """
    axes = (0, 2)
    n = sum(p.shape[0] * p.shape[2] for p in parts)
    growth = math.ceil(math.log2(n)) + 1 if n > 1 else 1
    bound = _largest_magnitude(parts, axes)  # NaN propagates
    finite = np.isfinite(bound)
    plain = np.sum(parts[0], axis=axes)  # the products as rounded (lo is NaN beside inf)
    bound = np.where(finite, bound, 0.0)
    levels = []
    head = np.empty_like(parts[0])
    for _ in range(100):
        if not bound.any():
            break
        sigma = np.ldexp(1.0, np.frexp(bound)[1] + growth)[None, :, None]
        level = np.zeros(bound.shape)
        for p in parts:
            np.add(p, sigma, out=head)
            np.subtract(head, sigma, out=head)  # exact: |p| <= sigma / 2n
            level += np.sum(head, axis=axes)  # exact: partial sums stay below sigma
            p -= head  # exact
        levels.append(level)
        bound = np.where(finite, _largest_magnitude(parts, axes), 0.0)
        # the level sums may cancel each other (so far, the total is their exact sum)
        so_far = np.abs(_fsum_columns(levels))
        if np.all(n * bound * (growth + 1) <= 2.0**-12 * so_far):
            break
    tails = np.sum([np.sum(p, axis=axes) for p in parts], axis=0)
    return np.where(finite, _fsum_columns([*levels, tails]), plain)


def _largest_magnitude(parts, axes):
    """``max |p|`` over ``axes`` of all ``parts``, without a temporary ``|p|``."""
    return np.max([np.maximum(np.max(p, axis=axes), -np.min(p, axis=axes)) for p in parts],
                  axis=0)


def _fsum_columns(rows):
    """``math.fsum`` of each column of the 2-d ``rows`` (a list of equal 1-d arrays)."""
    return np.array([math.fsum(column) for column in np.array(rows).T.tolist()])
