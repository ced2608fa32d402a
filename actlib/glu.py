r"""Gated linear units: GLU, SwiGLU and GEGLU.

A gated unit splits its input in two halves ``a`` and ``b`` along an axis and multiplies one by a
nonlinear function of the other: a *gate* in (0, 1) or a smooth ReLU-like curve. The output has
half the input's length along that axis.

* ``glu`` (Dauphin et al. 2017, *Language modeling with gated convolutional networks*):
  ``a * sigmoid(b)``, as ``torch.nn.functional.glu`` and ``jax.nn.glu``: the *second* half
  gates the first.
* ``swiglu`` and ``geglu`` (Shazeer 2020, *GLU variants improve Transformer*): ``silu(a) * b``
  and ``gelu(a) * b``, the activation on the *first* half, as Shazeer writes
  ``Swish(xW) * xV`` and as Megatron-LM's ``swiglu`` (``y_1, y_2 = chunk(y, 2, -1);
  silu(y_1) * y_2``). Much code in the wild does the opposite (``x, gate = chunk(2); silu(gate)
  * x``, as in many GEGLU layers): with learned projections in front the two are the same
  model with the projection's columns swapped, but loaded weights must match the convention.

Accuracy. A product like ``a * sigmoid(b)`` computed from the rounded sigmoid carries the
sigmoid's error and one more rounding: up to 3.3 ULP in float64, over the forward bar of 3. Here
every product is formed as one quantity: the factors' significands are multiplied exactly
(Dekker's product), the gate is computed around that exact product (the sigmoid's refinement
step, or ``c e / (1 + e)**2`` with its roundings corrected), and the result is rounded once; the
exponents are added apart, so no intermediate product overflows or underflows. What is left is
NumPy's ``exp`` error and a rounding or two. Gates far in their tails (``|t| > 600``, where
``sigmoid(t)`` and ``sigmoid'(t)`` are ``e^-|t|`` to double precision) are taken as ``m 2**k``
(``_base.exp_split``'s reduction), so ``1e300 * sigmoid(-740)`` keeps all its bits.
"""

import numpy as np

from ._base import (
    _LN2_HI,
    _LN2_LO,
    BLOCK,
    Activation,
    as_float_array,
    as_result,
    check_axis,
    integer_axis,
)
from .sigmoid import Sigmoid, sigmoid

_TAIL = 600.0  # beyond, sigmoid(t) and sigmoid'(t) are e^-|t| to within e^-600 relative
_SMALLEST = float(np.finfo(np.float64).smallest_subnormal)
_HIGH = np.uint64(0xFFFFFFFFF8000000)  # sign, exponent and the top 26 bits of the significand


# ----------------------------------------------------------------------------------------------
# Exact products, and the gate kernels


def _split(x):
    """``x = hi + lo`` exactly, ``hi`` the top 26 bits of the significand (its low 27 bits
    cleared, as Veltkamp's split would give them, without its overflow past 2**996)."""
    hi = (x.view(np.uint64) & _HIGH).view(np.float64)
    return hi, x - hi


def _two_product(x, y):
    """``x y = p + err`` exactly (Dekker), for finite float64 arrays whose product neither
    overflows nor underflows."""
    p = x * y
    xh, xl = _split(x)
    yh, yl = _split(y)
    return p, ((xh * yh - p) + xh * yl + xl * yh) + xl * yl


def _product(*factors):
    """The product of the float64 arrays ``factors`` as ``(hi + lo) * 2**E``: ``hi`` and ``lo``
    the product of their significands (each in [0.5, 1)), exact for two factors and to about
    2**-106 relative for three; ``E`` the sum of their exponents. Finite factors only."""
    hi, exponent = np.frexp(factors[0])
    lo = np.zeros_like(hi)
    for f in factors[1:]:
        m, e = np.frexp(f)
        lo *= m
        hi, low = _two_product(hi, m)
        lo += low
        exponent = exponent + e
    return hi, lo, exponent.astype(np.int64)


def _exp_split_wide(y):
    """``exp(y) = m 2**k`` as ``_base.exp_split`` (Cody and Waite's reduction), for ``y`` down
    to -6000 rather than -2000: a product of three floats (up to ``2**3072``) times
    ``exp(-2000)`` is still a float. Below -6000 every such product is below the smallest
    subnormal."""
    y = np.maximum(y, -6000.0)
    k = np.rint(y * (1 / np.log(2.0)))
    k[~np.isfinite(k)] = 0.0
    m = np.exp((y - k * _LN2_HI) - k * _LN2_LO) * 0.5
    m[y == -np.inf] = 0.0
    return m, k.astype(np.int64) + 1


def _tails(y, exponent, hi, lo, t, far):
    """Where ``far``, the gate is ``e^-|t|`` to double precision: ``(hi + lo) m 2**(E + k)``.
    ``exponent`` None (one factor, unscaled) stands for 0: the tails are then scaled at once."""
    if far.any():
        m, k = _exp_split_wide(-np.abs(t[far]))
        if lo is None:
            y[far] = np.ldexp(hi[far] * m, k)
        else:
            h, low = _two_product(hi[far], m)
            y[far] = h + (low + lo[far] * m)
            exponent[far] += k
    return y, exponent


def _sigmoid_fast(c, t):
    """``c sigmoid(t)`` for one factor ``c``, as ``(y, E)``: the sigmoid's refinement step
    around the numerator. ``c n / (1 + e)`` with ``e = exp(-|t|)`` and ``n = max(e, [t >= 0])``
    is refined once as ``c n - e y0``, which multiplies ``y0``'s error by ``e <= 1``: 2.4 ULP
    at worst on a dense screen, where ``c * sigmoid(t)`` (the sigmoid rounded first) reaches
    3.3."""
    e = np.exp(-np.abs(t))
    num = c * np.maximum(e, t >= 0)
    y = num / (1.0 + e)
    y = num - e * y
    return _tails(y, None, c, None, t, t < -_TAIL)


def _sigmoid_grad_fast(c, t):
    """``c sigmoid'(t) = c e / (1 + e)**2`` for one factor ``c``, as ``(y, E)``, with the
    rounding of ``1 + e`` corrected (``1 + e = d + dl`` exactly, Fast2Sum): 3.3 ULP at worst
    on a dense screen, where ``c * sigmoid'(t)`` reaches 4.0."""
    e = np.exp(-np.abs(t))
    d = 1.0 + e
    dl = e - (d - 1.0)
    q = (c * e) / (d * d)
    y = q - 2.0 * q * (dl / d)
    return _tails(y, None, c, None, t, np.abs(t) > _TAIL)


def _sigmoid_exact(hi, lo, exponent, t):
    """``(hi + lo) 2**E sigmoid(t)`` for a product of significands ``hi + lo``, as ``(y, E)``.

    With ``e = exp(-|t|)`` and the numerator ``n = c`` (``t >= 0``) or ``c e`` (``t < 0``,
    exact by Dekker's product), ``y = n / (1 + e)``. ``1 + e = d + dl`` exactly (Fast2Sum), the
    quotient ``q = nh / d`` leaves the remainder ``nh - q d``, exact by Dekker's product, and
    ``y = q + (remainder + nl - q dl) / d`` to first order: what is left is ``exp``'s error
    and the final rounding (1.6 ULP measured; with the numerator rounded, the refinement step
    of :func:`_sigmoid_fast` reaches 2.9 for two factors).
    """
    e = np.exp(-np.abs(t))
    nh, nl = _two_product(hi, e)
    nl += lo * e
    negative = t < 0
    nh = np.where(negative, nh, hi)
    nl = np.where(negative, nl, lo)
    d = 1.0 + e
    dl = e - (d - 1.0)  # exact: 1 + e = d + dl (Fast2Sum, 1 >= e)
    q = nh / d
    ph, pl = _two_product(q, d)
    remainder = (nh - ph) - pl  # nh - q d: nh - ph is exact (Sterbenz)
    y = q + (remainder + nl - q * dl) / d
    return _tails(y, exponent, hi, lo, t, t < -_TAIL)


def _sigmoid_grad_exact(hi, lo, exponent, t):
    """``(hi + lo) 2**E sigmoid'(t)``, ``sigmoid'(t) = e / (1 + e)**2``, as ``(y, E)``.

    ``c e`` is exact (Dekker's product) and ``(1 + e)**2`` nearly so (``1 + e = d + dl`` by
    Fast2Sum, ``d**2`` by Dekker's product, ``2 d dl`` added); the quotient is corrected by its
    exact remainder, as in :func:`_sigmoid_exact`: ``exp``'s error and the final rounding
    are left (1.6 ULP measured; with the product of the factors rounded first, 4.0).
    """
    e = np.exp(-np.abs(t))
    nh, nl = _two_product(hi, e)
    nl += lo * e
    d = 1.0 + e
    dl = e - (d - 1.0)
    dh, dlo = _two_product(d, d)
    dlo += 2.0 * d * dl
    q = nh / dh
    ph, pl = _two_product(q, dh)
    remainder = (nh - ph) - pl
    y = q + (remainder + nl - q * dlo) / dh
    return _tails(y, exponent, hi, lo, t, np.abs(t) > _TAIL)


def _gate_product(t, factors, exact, grad, parts=False):
    """The product of the finite float64 ``factors`` and ``sigmoid(t)`` (``grad``: ``sigmoid'``).

    One factor, or ``exact`` False (float16/32 input, rounded to 2**29 times coarser than
    float64): the fast kernels, on the plain float64 product of the factors. Two or three
    factors of float64 input: their exact product, around which the gate is formed."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        if len(factors) == 1 or not exact:
            c = factors[0]
            for f in factors[1:]:
                c = c * f  # float16/32 values: at most 3 * 24 bits, a float64 range
            result = (_sigmoid_grad_fast if grad else _sigmoid_fast)(c, t)
        else:
            result = (_sigmoid_grad_exact if grad else _sigmoid_exact)(*_product(*factors), t)
        return result if parts else _ldexp(result)


def _ldexp(parts):
    """``y 2**E`` (``E`` None: 0): rounds only where it is subnormal, or beyond the largest
    float."""
    y, exponent = parts
    if exponent is None:
        return y
    with np.errstate(over="ignore", under="ignore"):
        return np.ldexp(y, exponent)


def _add(first, second):
    """``y1 2**E1 + y2 2**E2``, the terms brought to the larger exponent before they are added:
    each may lie beyond the largest float while their sum does not."""
    (y1, e1), (y2, e2) = first, second
    e1 = np.zeros(y1.shape, np.int64) if e1 is None else e1
    e2 = np.zeros(y2.shape, np.int64) if e2 is None else e2
    top = np.maximum(e1, e2)
    with np.errstate(under="ignore", invalid="ignore", over="ignore"):
        total = np.ldexp(y1, e1 - top) + np.ldexp(y2, e2 - top)
    return _ldexp((total, top))


def _nonzero(v, t):
    """``v`` with zeros replaced by the smallest subnormal (sign kept) where ``t`` is finite.

    For a factor that is exactly positive but underflows (``sigmoid(-800)``), so that an
    infinite co-factor gives the limit ``inf`` rather than ``inf * 0 = NaN``."""
    return np.where((v == 0) & np.isfinite(t), np.copysign(_SMALLEST, v), v)


def _limits(value, finite, plain):
    """``value`` where all factors are ``finite``; elsewhere ``plain()``, IEEE products of the
    factors with the gate's limits (NaN for ``0 * inf``, quietly)."""
    if finite.all():
        return value
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        return np.where(finite, value, plain())


def _finite(*arrays):
    """Whether all ``arrays`` are finite, and each with its non-finite entries set to 0."""
    finite = np.isfinite(arrays[0])
    for v in arrays[1:]:
        finite &= np.isfinite(v)
    if finite.all():
        return finite, list(arrays)
    return finite, [np.where(finite, v, 0.0) for v in arrays]


def _blocked(fn, *arrays):
    """``fn`` over the 1-d float64 ``arrays`` block by block (their temporaries stay in cache
    and the extra memory a few blocks); ``fn`` returns one array or a tuple of them."""
    n = arrays[0].size
    results = None
    for start in range(0, max(n, 1), BLOCK):
        part = fn(*(v[start : start + BLOCK] for v in arrays))
        part = part if isinstance(part, tuple) else (part,)
        if results is None:
            results = tuple(np.empty(n) for _ in part)
        for r, p in zip(results, part, strict=True):
            r[start : start + BLOCK] = p
    return results if len(results) > 1 else results[0]


# ----------------------------------------------------------------------------------------------
# Splitting, checks and the shared class


def _halves(x, axis, name):
    """``x`` as a float array, the axis as an index, and its two halves as flat float64 arrays
    (copies where ``x`` is not float64 or the halves are not contiguous)."""
    x = as_float_array(x, name)
    axis = check_axis(axis, x.ndim, name)
    n = x.shape[axis]
    if n % 2:
        raise ValueError(
            f"{name}(): axis {axis} has odd length {n}; a gated unit splits it into two "
            "halves of equal length"
        )
    a, b = np.split(x, 2, axis=axis)
    return x, axis, a.shape, _flat(a), _flat(b)


def _flat(v):
    return v.astype(np.float64, copy=False).reshape(-1)


def _result(y, shape, dtype):
    """The float64 ``y`` with ``shape``, rounded once to ``dtype`` (beyond its range: +-inf)."""
    with np.errstate(over="ignore", under="ignore"):
        return as_result(y.reshape(shape).astype(dtype, copy=False))


class _Gated(Activation):
    """A gated unit: ``__call__`` halves its input, ``gradient`` gives the pair ``(dy/da,
    dy/db)``, ``backward`` the gradient for both halves, with the input's shape.

    Subclasses give ``function`` (the function's name) and the three kernels on flat float64
    blocks of the halves: ``_forward(a, b, exact)``, ``_partials(a, b, exact)`` and
    ``_backward(a, b, g, exact)``; ``exact`` is True for float64 input.
    """

    function = "gated"

    def __init__(self, axis=-1):
        self.axis = integer_axis(axis, self.name)

    def _params(self):
        return {"axis": self.axis}

    def _call(self, x, axis, name):
        x, _, shape, a, b = _halves(x, axis, name)
        exact = x.dtype == np.float64
        return _result(_blocked(lambda u, v: self._forward(u, v, exact), a, b), shape, x.dtype)

    def __call__(self, x):
        return self._call(x, self.axis, self.function)

    def gradient(self, x):
        x, _, shape, a, b = _halves(x, self.axis, f"{self.name}.gradient")
        exact = x.dtype == np.float64
        da, db = _blocked(lambda u, v: self._partials(u, v, exact), a, b)
        return _result(da, shape, x.dtype), _result(db, shape, x.dtype)

    def backward(self, x, grad_output):
        name = f"{self.name}.backward"
        x, axis, shape, a, b = _halves(x, self.axis, name)
        g = as_float_array(grad_output, name)
        if g.shape != shape:
            raise ValueError(
                f"{name}(): grad_output has shape {g.shape} but the output has shape "
                f"{shape} (x's shape {x.shape} with axis {axis} halved); they must be equal"
            )
        with np.errstate(over="ignore"):  # beyond x's dtype's range: +-inf, as it is cast
            g = _flat(g.astype(x.dtype, copy=False))
        exact = x.dtype == np.float64
        ga, gb = _blocked(lambda u, v, w: self._backward(u, v, w, exact), a, b, g)
        out = np.empty(x.shape, x.dtype)
        first, second = np.split(out, 2, axis=axis)  # views: each half written once, rounded
        with np.errstate(over="ignore", under="ignore"):
            np.copyto(first, ga.reshape(shape), casting="same_kind")
            np.copyto(second, gb.reshape(shape), casting="same_kind")
        return as_result(out)


# ----------------------------------------------------------------------------------------------
# GLU: a * sigmoid(b)


def glu(x, axis=-1):
    r"""Gated linear unit: the first half of ``x`` along ``axis`` times the sigmoid of the second.

    .. math::

        \mathrm{glu}(x) = a \odot \sigma(b), \qquad x = [a, b], \qquad
        \frac{\partial y}{\partial a} = \sigma(b), \quad
        \frac{\partial y}{\partial b} = a\, \sigma'(b)

    Args:
        x: array_like of real numbers with at least one dimension; ``axis`` of even length.
        axis: the axis to split, the last by default (PyTorch's ``dim=-1``, JAX's ``axis=-1``).

    Returns:
        ``a * sigmoid(b)``: ``x``'s shape with ``axis`` halved, ``x``'s dtype (float64 for
        integer or bool input).

    Raises:
        ValueError: if ``axis`` has odd length. AxisError: if it is out of range.

    Example:
        >>> glu([1.0, 2.0, 0.0, 1000.0])  # a = [1, 2], b = [0, 1000]
        array([0.5, 2. ])

    Notes:
        Which half gates: the second, as in PyTorch (``F.glu``: "a is the first half of the
        input matrices and b is the second half") and JAX. Limits: ``b = +-inf`` gives ``a`` and
        0; an infinite ``a`` gives ``+-inf`` for any ``b > -inf`` (``sigmoid(b) > 0`` even where
        it underflows) and NaN for ``b = -inf`` (``inf * 0``); NaN propagates; no warning for
        any input. Accuracy measured against mpmath: float64 within 3 ULP (2.36 at worst; the
        sigmoid's refinement step taken around ``a``, where ``a * sigmoid(b)`` reaches 3.4),
        float32 and float16 within 1 ULP (computed in float64, rounded once).
    """
    return GLU()._call(x, axis, "glu")


class GLU(_Gated):
    r"""Gated linear unit as an activation object; see :func:`glu`.

    ``gradient(x)`` is the pair ``(sigmoid(b), a * sigmoid'(b))``, each with the output's shape;
    ``backward(x, g)`` is ``[g * sigmoid(b), g * a * sigmoid'(b)]`` joined along ``axis``:
    ``x``'s shape. ``g a`` is formed exactly and the gate around it, each result rounded nearly
    once, also where ``sigmoid'(b)`` underflows while the product is a float (``g = 1e300``,
    ``b = -740``). Worst found against mpmath, float64: ``dy/db`` 3.41 ULP (bar 4; the rounded
    derivative times ``a`` reaches 4.1), backward 2.35 and 1.57; float32 and float16 0.5.

    Example:
        >>> act = GLU()
        >>> act
        GLU(axis=-1)
        >>> x = np.array([2.0, 0.0])
        >>> act(x), act.gradient(x)
        (array([1.]), (array([0.5]), array([0.5])))
        >>> act.backward(x, [1.0])
        array([0.5, 0.5])
    """

    name = "GLU"
    function = "glu"

    @staticmethod
    def _forward(a, b, exact):
        finite, (a0,) = _finite(a)
        return _limits(_gate_product(b, [a0], exact, grad=False), finite,
                       lambda: a * _nonzero(sigmoid(b), b))

    @staticmethod
    def _partials(a, b, exact):
        finite, (a0,) = _finite(a)
        db = _limits(_gate_product(b, [a0], exact, grad=True), finite,
                     lambda: a * _nonzero(Sigmoid().gradient(b), b))
        return sigmoid(b), db

    @staticmethod
    def _backward(a, b, g, exact):
        fg, (g0,) = _finite(g)
        ga = _limits(_gate_product(b, [g0], exact, grad=False), fg,
                     lambda: g * _nonzero(sigmoid(b), b))
        fga, (g1, a1) = _finite(g, a)
        gb = _limits(_gate_product(b, [g1, a1], exact, grad=True), fga,
                     lambda: g * a * _nonzero(Sigmoid().gradient(b), b))
        return ga, gb


# ----------------------------------------------------------------------------------------------
# SwiGLU: silu(a) * b = a b sigmoid(a)


def swiglu(x, axis=-1):
    r"""SwiGLU: the SiLU (swish) of the first half of ``x`` along ``axis`` times the second.

    .. math::

        \mathrm{swiglu}(x) = \mathrm{silu}(a) \odot b = a\, \sigma(a)\, b, \qquad
        \frac{\partial y}{\partial a} = \mathrm{silu}'(a)\, b
            = \bigl(\sigma(a) + a\, \sigma'(a)\bigr)\, b, \quad
        \frac{\partial y}{\partial b} = \mathrm{silu}(a)

    Args:
        x: array_like of real numbers with at least one dimension; ``axis`` of even length.
        axis: the axis to split, the last by default.

    Returns:
        ``silu(a) * b``: ``x``'s shape with ``axis`` halved, ``x``'s dtype.

    Raises:
        ValueError: if ``axis`` has odd length. AxisError: if it is out of range.

    Example:
        >>> swiglu([0.0, 1000.0, 5.0, 2.0])  # a = [0, 1000], b = [5, 2]
        array([   0., 2000.])

    Notes:
        The activation acts on the first half, as in Shazeer (2020) and Megatron-LM; PaLM and
        LLaMA use this unit in their feed-forward blocks with separate projections for the two
        halves. Computed as ``(a b) sigmoid(a)`` with ``a b`` exact and the sigmoid formed around
        it (see the module notes), not as ``silu(a) * b``, whose roundings reach 3.3 ULP.
        Limits: ``silu(-inf) = 0``, ``silu(+inf) = inf``; ``0 * inf`` is NaN; NaN propagates; a
        product beyond the largest float is ``+-inf``, quietly. Accuracy measured against
        mpmath: float64 within 3 ULP (1.51 at worst), float32 and float16 within 1 ULP; the
        derivative ``dy/da``, which crosses zero, within 4 ULP of ``(|sigma(a)| + |a sigma'(a)|)
        |b|`` (2.51), ``dy/db`` 2.34, backward 1.88 and 1.49.
    """
    return SwiGLU()._call(x, axis, "swiglu")


def _silu_limit(a):
    """A stand-in for ``silu(a)`` where only its limits matter: ``a`` (its sign and zeros),
    0 at ``-inf``."""
    return np.where(a == -np.inf, 0.0, a)


def _silu_grad_limit(a):
    """A stand-in for ``silu'(a)`` where only its limits and sign matter."""
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        d = sigmoid(a) + np.where(np.isfinite(a), a, 0.0) * Sigmoid().gradient(a)
    # where it underflows (a far below 0) silu'(a) = e^a (1 + a) is negative
    d = np.where((d == 0) & np.isfinite(a), np.where(a < 0, -_SMALLEST, _SMALLEST), d)
    return np.where(a == np.inf, 1.0, np.where(a == -np.inf, 0.0, d))


def _silu_grad_times(a, factors, exact):
    """``silu'(a)`` times the finite ``factors``: ``f sigma(a) + a f sigma'(a)``, the two terms
    added before they are scaled to their size (each may overflow where their sum does not)."""
    return _add(_gate_product(a, factors, exact, grad=False, parts=True),
                _gate_product(a, [a, *factors], exact, grad=True, parts=True))


class SwiGLU(_Gated):
    r"""SwiGLU as an activation object; see :func:`swiglu`.

    ``gradient(x)`` is the pair ``(silu'(a) * b, silu(a))``; ``backward(x, g)`` is
    ``[g * b * silu'(a), g * silu(a)]`` joined along ``axis``, with ``silu'(a) b g`` as the sum
    of the two terms ``b g sigma(a)`` and ``a b g sigma'(a)``, each an exact product with the
    gate formed around it.

    Example:
        >>> act = SwiGLU()
        >>> x = np.array([0.0, 3.0])
        >>> act(x), act.gradient(x)
        (array([0.]), (array([1.5]), array([0.])))
        >>> act.backward(x, [2.0])
        array([3., 0.])
    """

    name = "SwiGLU"
    function = "swiglu"

    @staticmethod
    def _forward(a, b, exact):
        finite, (a0, b0) = _finite(a, b)
        return _limits(_gate_product(a0, [a0, b0], exact, grad=False), finite,
                       lambda: _silu_limit(a) * b)

    @staticmethod
    def _partials(a, b, exact):
        finite, (a0, b0) = _finite(a, b)
        da = _limits(_silu_grad_times(a0, [b0], exact), finite, lambda: _silu_grad_limit(a) * b)
        fa, (a1,) = _finite(a)
        db = _limits(_gate_product(a1, [a1], exact, grad=False), fa, lambda: _silu_limit(a))
        return da, db

    @staticmethod
    def _backward(a, b, g, exact):
        finite, (a0, b0, g0) = _finite(a, b, g)
        ga = _limits(_silu_grad_times(a0, [b0, g0], exact), finite,
                     lambda: _silu_grad_limit(a) * b * g)
        fag, (a1, g1) = _finite(a, g)
        gb = _limits(_gate_product(a1, [a1, g1], exact, grad=False), fag,
                     lambda: _silu_limit(a) * g)
        return ga, gb


# ----------------------------------------------------------------------------------------------
# GEGLU: gelu(a) * b, on actlib's GELU


_APPROXIMATIONS = ("none", "tanh")


def _check_approximate(approximate, name):
    if not isinstance(approximate, str):
        raise TypeError(f"{name}(): approximate must be 'none' or 'tanh', got {approximate!r}")
    if approximate not in _APPROXIMATIONS:
        raise ValueError(f"{name}(): approximate must be 'none' or 'tanh', got {approximate!r}")
    return approximate


def _gelu_parts(approximate):
    """actlib's ``gelu`` and, as ``(v, k)`` with value ``v 2**k``, GELU and its derivative
    (``GELU(approximate).gradient``): ``k`` is 0 except in the far left tail, where they are
    subnormal or 0 in float64 and ``v`` keeps their significant bits for the products with
    ``b`` and ``g`` (``actlib.gelu._scale_tails``). Imported when first used, so that this
    module does not depend on the order in which actlib's modules load."""
    from . import GELU, gelu
    from .gelu import _scale_tails

    grad = GELU(approximate=approximate).gradient

    def plain(a):
        return gelu(a, approximate=approximate)

    return (plain, lambda a: _scale_tails(a, plain(a), approximate),
            lambda a: _scale_tails(a, grad(a), approximate, derivative=True))


def _times(value, factors, scale=0):
    """The float64 ``value`` times ``2**scale`` times the product of the finite ``factors``, the
    product of the factors exact (Dekker) and the whole rounded nearly once: no rounding but
    ``value``'s own and the last, and no overflow or underflow before the end."""
    hi, lo, exponent = _product(*factors)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        m, e = np.frexp(value)
        h, low = _two_product(hi, m)
        return np.ldexp(h + (low + lo * m), exponent + e + scale)


def _signed_nonzero(v, a):
    """``v`` with zeros replaced by the smallest subnormal of ``a``'s sign where ``a`` is finite
    and not 0: ``gelu(a)`` and ``gelu'(a)`` underflow for ``a`` far below 0 but are not 0 (both
    negative there), so that an infinite co-factor gives the signed limit."""
    tiny = np.copysign(_SMALLEST, a)
    return np.where((v == 0) & np.isfinite(a) & (a != 0), tiny, v)


def geglu(x, axis=-1, approximate="none"):
    r"""GEGLU: the GELU of the first half of ``x`` along ``axis`` times the second half.

    .. math::

        \mathrm{geglu}(x) = \mathrm{gelu}(a) \odot b = a\,\Phi(a)\,b, \qquad
        \frac{\partial y}{\partial a} = \bigl(\Phi(a) + a\,\varphi(a)\bigr)\, b, \quad
        \frac{\partial y}{\partial b} = \mathrm{gelu}(a)

    Args:
        x: array_like of real numbers with at least one dimension; ``axis`` of even length.
        axis: the axis to split, the last by default.
        approximate: ``"none"`` (the exact GELU, with the normal distribution function
            :math:`\Phi`) or ``"tanh"`` (its tanh approximation), as :func:`actlib.gelu`.

    Returns:
        ``gelu(a) * b``: ``x``'s shape with ``axis`` halved, ``x``'s dtype.

    Raises:
        ValueError: if ``axis`` has odd length, or ``approximate`` is another string.
        TypeError: if ``approximate`` is not a string. AxisError: if ``axis`` is out of range.

    Notes:
        The activation acts on the first half, as in Shazeer (2020); T5 v1.1 uses this unit.
        Built on :func:`actlib.gelu` and ``GELU.gradient``: their results (rounded once each)
        are multiplied by the exact product of the other factors and rounded once more, so the
        accuracy is GELU's plus half an ULP. Where GELU or its derivative is subnormal or 0 in
        float64 (``a`` below -37.5, or -21 for the tanh form, and GELU for ``|a| < 2**-900``)
        they enter as ``m 2**k`` with all their bits, so that ``gelu(-40) * 1e300`` is
        ``-1.46e-48``, not 0. Limits: ``gelu(-inf) = 0``, ``gelu(+inf) = inf``;
        ``0 * inf`` is NaN; NaN propagates; a product beyond the largest float is ``+-inf``.
        Accuracy measured against mpmath on the pair grids: float64 forward 2.01 ULP (tanh form
        2.19), ``dy/da`` 2.12 (2.59) in ULP of ``(|Phi(a)| + |a phi(a)|) |b|``, ``dy/db``
        1.76 (1.46), backward 2.43 (2.39); float32 and float16 0.5.
    """
    approximate = _check_approximate(approximate, "geglu")
    return GEGLU(approximate=approximate)._call(x, axis, "geglu")


class GEGLU(_Gated):
    r"""GEGLU as an activation object; see :func:`geglu`.

    ``gradient(x)`` is the pair ``(gelu'(a) * b, gelu(a))``; ``backward(x, g)`` is
    ``[g * b * gelu'(a), g * gelu(a)]`` joined along ``axis``, with the products of ``g`` and
    ``b`` formed exactly before GELU's values multiply them.
    """

    name = "GEGLU"
    function = "geglu"

    def __init__(self, axis=-1, approximate="none"):
        super().__init__(axis)
        self.approximate = _check_approximate(approximate, "GEGLU")

    def _params(self):
        return {"axis": self.axis, "approximate": self.approximate}

    def _forward(self, a, b, exact):
        _, gelu, _ = _gelu_parts(self.approximate)
        v, k = gelu(a)
        finite, (b0,) = _finite(b)
        fv = np.isfinite(v)
        ok = finite & fv
        return _limits(_times(np.where(ok, v, 0.0), [np.where(ok, b0, 0.0)], k), ok,
                       lambda: _signed_nonzero(v, a) * b)

    def _partials(self, a, b, exact):
        plain, _, grad = _gelu_parts(self.approximate)
        d, k = grad(a)
        ok = np.isfinite(b) & np.isfinite(d)
        da = _limits(_times(np.where(ok, d, 0.0), [np.where(ok, b, 0.0)], k), ok,
                     lambda: _signed_nonzero(d, a) * b)
        return da, plain(a)

    def _backward(self, a, b, g, exact):
        _, gelu, grad = _gelu_parts(self.approximate)
        (v, kv), (d, kd) = gelu(a), grad(a)
        ok = np.isfinite(b) & np.isfinite(g) & np.isfinite(d)
        ga = _limits(_times(np.where(ok, d, 0.0), [np.where(ok, b, 0.0), np.where(ok, g, 0.0)],
                            kd),
                     ok, lambda: _signed_nonzero(d, a) * b * g)
        okb = np.isfinite(g) & np.isfinite(v)
        gb = _limits(_times(np.where(okb, v, 0.0), [np.where(okb, g, 0.0)], kv), okb,
                     lambda: _signed_nonzero(v, a) * g)
        return ga, gb
