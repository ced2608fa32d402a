"""The hard activations: ReLU6, Hardtanh, Hardsigmoid and Hardswish.

Piecewise-linear (Hardswish: piecewise-quadratic) stand-ins for tanh, the sigmoid and SiLU,
built from clips, additions and a multiplication or two: no ``exp``, cheap on mobile processors and
exact to quantise (MobileNetV2 and V3, Howard et al. 2019). Their derivatives are the ones
PyTorch's kernels use at every kink (``aten/src/ATen/native/cpu/Activation.cpp``:
``hardtanh_backward``, ``hardsigmoid_backward``, ``hardswish_backward``; ``relu6`` is
``hardtanh(x, 0, 6)`` there), and ``backward`` passes no gradient where the unit is flat, as
PyTorch does (an infinite or NaN incoming gradient there gives 0, not NaN).
"""

import numpy as np

from ._base import (
    BLOCK,
    Activation,
    as_float_array,
    as_grad_output,
    as_result,
    check_real_param,
    clip,
)


def _blocks(kernel, x, scratch, dtype=np.float64):
    """``kernel(v, out, *buffers)`` over ``x`` in cache-sized blocks, as ``_base.blockwise``, but
    ``v`` is the block of ``x`` itself, in ``x``'s dtype: the kernel's first ufunc reads it into
    a float64 buffer as it computes, which saves ``blockwise``'s separate copy of float16/32
    blocks (these kernels are a few passes each, so one pass is a large share)."""
    flat = x.reshape(-1)
    out = np.empty(x.shape, x.dtype)
    out_flat = out.reshape(-1)
    size = min(BLOCK, flat.size)
    buffers = [np.empty(size, dtype) for _ in range(scratch)]
    with np.errstate(under="ignore"):  # a subnormal or zero result is the right rounding
        for start in range(0, flat.size, BLOCK):
            block = flat[start : start + BLOCK]
            kernel(block, out_flat[start : start + block.size], *(b[: block.size] for b in buffers))
    return out


def _bound(value, dtype):
    """``value`` (a Python float) rounded to ``dtype``: beyond its range +-inf, below it 0."""
    with np.errstate(over="ignore", under="ignore"):
        return dtype.type(value)


def _clip(x, lo, hi):
    """``min(max(x, lo), hi)`` in ``x``'s dtype, NaN kept, in one fast pass of ``np.clip``.

    The bounds are rounded to ``x``'s dtype first, which is the correct rounding of the clipped
    value: rounding is monotonic, so no float lies strictly between a bound and its rounding.
    """
    out = np.empty_like(x)  # out= keeps a 0-d input an array
    lo, hi = _bound(lo, x.dtype), _bound(hi, x.dtype)
    # np.clip with both bounds is one pass (0.8 ns per element here); np.maximum and np.minimum
    # take about twice as long each.
    return clip(x, lo, hi, out)  # x's own zero at a bound of 0, on every NumPy


def _inside(x, lo, hi):
    """``lo < x < hi``, compared exactly: against the bounds themselves, not their rounding to
    ``x``'s dtype (where ``-0.1`` would become another number). Bounds that ``x``'s dtype holds
    exactly (-1, 1, 0, 6, +-3) are compared in that dtype, others in float64."""
    with np.errstate(over="ignore", under="ignore"):
        exact = float(x.dtype.type(lo)) == lo and float(x.dtype.type(hi)) == hi
    if exact:
        return (x > x.dtype.type(lo)) & (x < x.dtype.type(hi))
    wide = x.astype(np.float64)
    return (wide > lo) & (wide < hi)


def _indicator(mask, x, value=1.0):
    """``value`` (rounded to ``x``'s dtype) where ``mask``, 0 elsewhere, NaN where ``x`` is."""
    out = np.array(mask, dtype=x.dtype)  # a 0-d x gives a 0-d array, not a scalar
    if value != 1:
        out *= x.dtype.type(value)
    np.copyto(out, x, where=np.isnan(x))
    return as_result(out)


def _masked_backward(x, g, d, live):
    """``g * d`` rounded once to ``x``'s dtype where ``live``; 0 elsewhere; NaN where ``x`` is.

    ``d`` is the float64 derivative; the product is taken in float64 and rounded once (float64:
    rounded once itself). Where the unit is flat (``~live``) no gradient passes, whatever ``g``.
    """
    out = np.zeros(x.shape, x.dtype)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        np.multiply(g, d, out=out, where=live, casting="same_kind")
    np.copyto(out, x, where=np.isnan(x))
    return as_result(out)


# ----------------------------------------------------------------------------------------------
# ReLU6 and Hardtanh: clips, exact


def relu6(x):
    r"""ReLU capped at 6, elementwise.

    .. math::

        \mathrm{relu6}(x) = \min(\max(x, 0), 6), \qquad
        \mathrm{relu6}'(x) = \begin{cases} 1 & 0 < x < 6 \\ 0 & \text{otherwise} \end{cases}

    Args:
        x: array_like of real numbers, any shape.

    Returns:
        ``min(max(x, 0), 6)`` with ``x``'s shape and dtype (float64 for integer or bool input).

    Example:
        >>> relu6([-2.0, 3.0, 8.0])
        array([0., 3., 6.])

    Notes:
        MobileNetV2's activation: the cap keeps activations in a range an 8-bit fixed-point
        format covers. Exact (no rounding); NaN propagates; ``relu6(inf) = 6``. The same as
        ``hard_tanh(x, 0, 6)``, as in PyTorch, whose ``relu6`` calls ``hardtanh``: the
        derivative is 0 at both kinks (0 and 6).
    """
    x = as_float_array(x, "relu6")
    return as_result(_clip(x, 0.0, 6.0))


class _Clip(Activation):
    """min(max(x, lo), hi): derivative 1 strictly inside, 0 outside and at the kinks."""

    lo, hi = 0.0, 6.0

    def gradient(self, x):
        x = as_float_array(x, f"{self.name}.gradient")
        return _indicator(_inside(x, self.lo, self.hi), x)

    def backward(self, x, grad_output):
        x = as_float_array(x, f"{self.name}.backward")
        g = as_grad_output(grad_output, x, f"{self.name}.backward")
        out = np.where(_inside(x, self.lo, self.hi), g, x.dtype.type(0))
        np.copyto(out, x, where=np.isnan(x))
        return as_result(out)


class ReLU6(_Clip):
    r"""ReLU6 as an activation object; see :func:`relu6`.

    ``gradient`` is 1 for ``0 < x < 6`` and 0 elsewhere, the kinks included (PyTorch's
    ``hardtanh_backward``); ``backward`` passes the incoming gradient where ``0 < x < 6`` and
    nothing elsewhere, even an infinite one (exact: no rounding). NaN ``x`` gives NaN.

    Example:
        >>> act = ReLU6()
        >>> act.gradient([-1.0, 0.0, 3.0, 6.0, 7.0])
        array([0., 0., 1., 0., 0.])
        >>> act.backward([-1.0, 3.0, 7.0], [np.inf, 2.0, 5.0])
        array([0., 2., 0.])
    """

    name = "ReLU6"

    def __call__(self, x):
        return relu6(x)


def _hard_tanh_params(min_val, max_val, name):
    lo = check_real_param(min_val, name, "min_val")
    hi = check_real_param(max_val, name, "max_val")
    if not lo < hi:
        raise ValueError(f"{name}(): min_val must be less than max_val, got {lo!r} and {hi!r}")
    return lo, hi


def hard_tanh(x, min_val=-1.0, max_val=1.0):
    r"""Hard tanh: the identity clipped to ``[min_val, max_val]``, elementwise.

    .. math::

        \mathrm{hardtanh}(x) = \min(\max(x, a), b), \qquad
        \mathrm{hardtanh}'(x) = \begin{cases} 1 & a < x < b \\ 0 & \text{otherwise} \end{cases}

    with :math:`a` = ``min_val`` and :math:`b` = ``max_val``.

    Args:
        x: array_like of real numbers, any shape.
        min_val, max_val: the clip's bounds, finite reals with ``min_val < max_val``.
            Default -1 and 1, tanh's range, as in PyTorch (``torch.nn.Hardtanh``).

    Returns:
        The clipped values with ``x``'s shape and dtype (float64 for integer or bool input).

    Raises:
        TypeError: if a bound is not a real number (a bool, a string, ``None``).
        ValueError: if a bound is not finite, or ``min_val >= max_val``.

    Example:
        >>> hard_tanh([-3.0, 0.5, 2.0])
        array([-1. ,  0.5,  1. ])

    Notes:
        The bounds are rounded to ``x``'s dtype (``-0.1`` is not a float16): the result is then
        the correct rounding of the exact value, within 0.5 ULP, and exact where ``x`` lies
        between the bounds. A bound beyond the dtype's range is ``+-inf`` there, quietly. NaN
        propagates. ``min_val`` must be below ``max_val``, as ``torch.nn.Hardtanh`` asserts: with
        equal bounds the unit is a constant and passes no gradient anywhere.
    """
    lo, hi = _hard_tanh_params(min_val, max_val, "hard_tanh")
    x = as_float_array(x, "hard_tanh")
    return as_result(_clip(x, lo, hi))


class Hardtanh(_Clip):
    r"""Hard tanh as an activation object; see :func:`hard_tanh`.

    ``gradient`` is 1 for ``min_val < x < max_val`` (``x`` compared with the bounds exactly,
    not with their rounding to ``x``'s dtype) and 0 elsewhere, the kinks included (PyTorch's
    ``hardtanh_backward``, which compares with the rounded bounds: the two differ only for
    ``x`` between a bound and its rounding). ``backward`` passes the incoming gradient inside
    and nothing outside, even an infinite one; NaN ``x`` gives NaN (PyTorch's vectorised kernel
    gives 0 there, its scalar one the gradient).

    Example:
        >>> act = Hardtanh(-2.0, 2.0)
        >>> act
        Hardtanh(min_val=-2.0, max_val=2.0)
        >>> act([-3.0, 1.0]), act.gradient([-3.0, -2.0, 1.0])
        (array([-2.,  1.]), array([0., 0., 1.]))
    """

    name = "Hardtanh"

    def __init__(self, min_val=-1.0, max_val=1.0):
        self.min_val, self.max_val = _hard_tanh_params(min_val, max_val, "Hardtanh")

    @property
    def lo(self):
        return self.min_val

    @property
    def hi(self):
        return self.max_val

    def _params(self):
        return {"min_val": self.min_val, "max_val": self.max_val}

    def __call__(self, x):
        return hard_tanh(x, self.min_val, self.max_val)


# ----------------------------------------------------------------------------------------------
# Hardsigmoid and Hardswish: one rounding of (x + 3) / 6 and of x times it


def _hard_sigmoid_kernel(x, out, t):
    # (x + 3) / 6, not x / 6 + 1/2: near x = -3 the latter rounds x / 6 (an error of up to
    # 2**-54) and then cancels it against 1/2, leaving a result as small as 2**-50 with that
    # absolute error: millions of ULP. x + 3 is exact there (Sterbenz: -6 <= x <= -1.5).
    np.clip(x, -3.0, 3.0, out=t)  # float16/32 x: read into float64 as it is clipped (exact)
    t += 3.0
    np.divide(t, 6.0, out=out, casting="same_kind")  # float16/32: rounded once as it is stored


def _hard_sigmoid_float32(x, out, c, t, e):
    # float32 in float32 arithmetic, within 1 ULP without a float64 copy (which costs 3x the
    # naive float32 formula): t = fl(c + 3) with its error e = c - (t - 3), exact (Fast2Sum,
    # |c| <= 3); then y = t/6 + e/6. t/6 never falls halfway between two floats (t is a multiple
    # of 4 ULP of t/6, so t/6 is a whole number of ULP plus 0, 1/3 or 2/3 of one), so its
    # rounding errs by at most 1/3 ULP; e/6 is below 2/3 ULP, its own rounding negligible; and
    # the sum rounds once more: at most 1/3 + 1/2 ULP and a hair (0.83 measured on every float32
    # of two binades and a million random ones).
    three, six = np.float32(3), np.float32(6)
    np.clip(x, -three, three, out=c)
    np.add(c, three, out=t)
    np.subtract(t, three, out=e)
    np.subtract(c, e, out=e)  # the rounding error of c + 3
    np.divide(t, six, out=t)
    np.divide(e, six, out=e)
    np.add(t, e, out=out)


def hard_sigmoid(x):
    r"""Hard sigmoid: a straight line through (0, 1/2) of slope 1/6, clipped to [0, 1].

    .. math::

        \mathrm{hardsigmoid}(x) = \min\Bigl(\max\Bigl(\frac{x}{6} + \frac12, 0\Bigr), 1\Bigr)
                                = \frac{\min(\max(x + 3, 0), 6)}{6}

    Args:
        x: array_like of real numbers, any shape.

    Returns:
        The values in [0, 1] with ``x``'s shape and dtype (float64 for integer or bool input).

    Example:
        >>> hard_sigmoid([-4.0, 0.0, 1.5, 4.0])
        array([0.  , 0.5 , 0.75, 1.  ])

    Notes:
        Computed as ``(clip(x, -3, 3) + 3) / 6``: the textbook ``x / 6 + 0.5`` rounds ``x / 6``
        and then cancels it against 0.5 near ``x = -3``, where the result is tiny: at
        ``x = -3 + 2**-50`` it comes out 12% too large, 7.5e14 ULP. ``x + 3`` is exact there.
        Accuracy measured against mpmath over the whole float range: float64 at most 1 ULP (two
        roundings, ``x + 3`` and the division; one where ``x + 3`` is exact), float16 0.5 ULP
        (computed in float64 and rounded once), float32 0.83 ULP: computed in float32 itself,
        with the rounding error of ``x + 3`` recovered exactly, which is faster than through a
        float64 copy (2.2 against 2.6 times the naive float32 formula, measured here); every
        float32 in [-3, 3] checked, the bound is 1/3 + 1/2 ULP. Keras 2 used the slope 0.2
        (``0.2 x + 0.5`` clipped, kinks at +-2.5); PyTorch, JAX (``jax.nn.hard_sigmoid``) and
        MobileNetV3 use 1/6, as here.
    """
    x = as_float_array(x, "hard_sigmoid")
    if x.dtype == np.float32:
        return as_result(_blocks(_hard_sigmoid_float32, x, scratch=3, dtype=np.float32))
    return as_result(_blocks(_hard_sigmoid_kernel, x, scratch=1))


class Hardsigmoid(Activation):
    r"""Hard sigmoid as an activation object; see :func:`hard_sigmoid`.

    ``gradient`` is 1/6 (rounded to ``x``'s dtype) for ``-3 < x < 3`` and 0 elsewhere, the
    kinks at -3 and 3 included: PyTorch's ``hardsigmoid_backward``. ``backward`` is ``g / 6``
    there (one correctly rounded division: PyTorch multiplies by a rounded 1/6 instead) and 0
    elsewhere, even for an infinite ``g``; NaN ``x`` gives NaN.

    Example:
        >>> act = Hardsigmoid()
        >>> act.gradient([-3.0, 0.0, 3.0])
        array([0.        , 0.16666667, 0.        ])
        >>> act.backward([0.0, 5.0], [6.0, np.inf])
        array([1., 0.])
    """

    name = "Hardsigmoid"

    def __call__(self, x):
        return hard_sigmoid(x)

    def gradient(self, x):
        x = as_float_array(x, "Hardsigmoid.gradient")
        return _indicator(_inside(x, -3.0, 3.0), x, 1 / 6)

    def backward(self, x, grad_output):
        x = as_float_array(x, "Hardsigmoid.backward")
        g = as_grad_output(grad_output, x, "Hardsigmoid.backward")
        out = np.zeros(x.shape, x.dtype)
        # g / 6 in x's dtype is one correctly rounded division (float16: via float32, within
        # a hair of it); a subnormal or zero quotient is the right rounding.
        with np.errstate(under="ignore"):
            np.divide(g, x.dtype.type(6), out=out, where=_inside(x, -3.0, 3.0))
        np.copyto(out, x, where=np.isnan(x))
        return as_result(out)


def _hard_swish_kernel(x, out, u, t):
    # x * hardsigmoid(x), with x first raised to -3 (where hardsigmoid is 0 anyway) so that
    # -inf * 0 is not NaN; hardsigmoid is exactly 1 for x >= 3, so no x * 6 / 6 overflows.
    np.clip(x, -3.0, np.inf, out=u)  # float16/32 x: read into float64 as it is clipped
    np.clip(u, -3.0, 3.0, out=t)
    t += 3.0
    t /= 6.0
    np.multiply(u, t, out=out, casting="same_kind")  # float16/32: rounded once when stored


def hard_swish(x):
    r"""Hard swish: ``x`` times the hard sigmoid, elementwise (MobileNetV3).

    .. math::

        \mathrm{hardswish}(x) = x \cdot \frac{\min(\max(x + 3, 0), 6)}{6}
            = \begin{cases} 0 & x \le -3 \\ x (x + 3) / 6 & -3 < x < 3 \\ x & x \ge 3 \end{cases}

    Args:
        x: array_like of real numbers, any shape.

    Returns:
        The values with ``x``'s shape and dtype (float64 for integer or bool input).

    Example:
        >>> hard_swish([-4.0, -1.5, 0.0, 3.0, 10.0])
        array([-0.   , -0.375,  0.   ,  3.   , 10.   ])

    Notes:
        A stand-in for SiLU, ``x sigmoid(x)``, without ``exp``. ``-inf`` gives 0 (not
        ``-inf * 0 = NaN``), ``+inf`` gives ``+inf``, NaN propagates; ``x`` near the largest
        float is returned as is (``x * 6 / 6`` would overflow). Accuracy measured against
        mpmath over the whole float range: float64 1.69 ULP at worst (three roundings: ``x + 3``,
        the division by 6 and the product), float32 and float16 0.5 ULP (computed in float64
        and rounded once).
        Below -3 the result is ``-0.0``, as ``x * 0`` is in PyTorch.
    """
    x = as_float_array(x, "hard_swish")
    return as_result(_blocks(_hard_swish_kernel, x, scratch=2))


def _hard_swish_gradient_kernel(x, out, c, s):
    # (c + 3/2) / 3 with c = clip(x, -3, 3), the middle piece (2x + 3) / 6 on the closed [-3, 3]:
    # c + 1.5 is exact near the zero at -1.5 (Sterbenz), so the result does not cancel. Outside,
    # s = sign(x - c) is +1 (x > 3) or -1 (x < -3), and c + 1.5 - 1.5 s is 3 or 0 there: the
    # derivative is 1 above 3 and 0 below -3 without a branch; NaN stays NaN.
    np.clip(x, -3.0, 3.0, out=c)
    np.subtract(x, c, out=s)
    np.sign(s, out=s)
    s *= -1.5
    c += 1.5
    c += s
    np.divide(c, 3.0, out=out, casting="same_kind")


def _hard_swish_gradient64(x):
    """The derivative in float64 as PyTorch defines it: 0 below -3, ``(2x + 3) / 6`` on the
    closed ``[-3, 3]``, 1 above 3; NaN at NaN."""
    return _blocks(_hard_swish_gradient_kernel, x.astype(np.float64, copy=False), scratch=2)


class Hardswish(Activation):
    r"""Hard swish as an activation object; see :func:`hard_swish`.

    The derivative, as PyTorch's ``hardswish_backward`` defines it at the kinks:

    .. math::

        \mathrm{hardswish}'(x) = \begin{cases}
            0 & x < -3 \\ (2x + 3) / 6 & -3 \le x \le 3 \\ 1 & x > 3 \end{cases}

    It jumps at both kinks: at -3 from 0 to -1/2, at 3 from 3/2 to 1; PyTorch takes the middle
    piece's value at both (-1/2 and 3/2). Computed as ``(2x + 3) / 6`` (``2x + 3`` is exact
    near its zero at -1.5): float64 at most 1 ULP, float32 and float16 0.5 ULP (measured).
    ``backward`` is ``g`` times it, rounded once, and passes nothing below -3, even an
    infinite ``g``; NaN ``x`` gives NaN.

    Example:
        >>> act = Hardswish()
        >>> act.gradient([-4.0, -3.0, -1.5, 3.0, 4.0])
        array([ 0. , -0.5,  0. ,  1.5,  1. ])
        >>> act.backward([-4.0, 0.0], [np.inf, 2.0])
        array([0., 1.])
    """

    name = "Hardswish"

    def __call__(self, x):
        return hard_swish(x)

    def gradient(self, x):
        x = as_float_array(x, "Hardswish.gradient")
        return as_result(_blocks(_hard_swish_gradient_kernel, x, scratch=2))

    def backward(self, x, grad_output):
        x = as_float_array(x, "Hardswish.backward")
        g = as_grad_output(grad_output, x, "Hardswish.backward")
        wide = x.astype(np.float64, copy=False)
        return _masked_backward(x, g, _hard_swish_gradient64(x), ~(wide < -3.0))
