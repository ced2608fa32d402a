"""What every activation shares: the input contract, the dtype policy and the base classes.

The input contract
------------------
* Anything ``numpy.asarray`` accepts comes in: lists, scalars, 0-d arrays, any shape, strided and
  read-only views. The input is never written to.
* float16, float32 and float64 keep their dtype; integers and bools are computed in float64.
  Non-native byte order (``'>f8'`` on a little-endian machine) is read as the native dtype.
* Any other dtype (complex, object, string, datetime, longdouble) raises ``TypeError`` naming the
  function and the dtype: an activation has no sensible meaning for them, and a silent cast would
  hide a bug in the caller.
* A scalar in gives a NumPy scalar out, as NumPy's own ufuncs do.
* No floating-point warning for any input, underflow included, with one exception IEEE 754
  itself makes: a *signalling* NaN (never produced by arithmetic, only by crafting bit patterns)
  may raise the invalid-operation flag where it is quieted. Quiet NaNs propagate silently.
* A parameter of the wrong type (``None``, a string, a complex number, a bool) raises
  ``TypeError``; of the right type but out of range (non-finite, too large for a float, an
  axis out of range) ``ValueError`` or ``AxisError``; each message names the function and the
  parameter.
"""

import math
import numbers
import operator

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

SUPPORTED_FLOATS = (np.float16, np.float32, np.float64)


def as_float_array(x, name):
    """Return ``x`` as an ndarray of float16/32/64 without copying when it already is one.

    >>> as_float_array([1, 2], "relu").dtype
    dtype('float64')
    >>> as_float_array(1j, "relu")
    Traceback (most recent call last):
    ...
    TypeError: relu() does not support dtype complex128; pass real floating, integer or bool input
    """
    arr = np.asarray(x)
    if arr.dtype.type in SUPPORTED_FLOATS:
        # A big-endian '>f8' has dtype.type float64 but is not the native dtype: NumPy would carry
        # its byte order into results and dtype comparisons would take it for another dtype.
        return arr if arr.dtype.isnative else arr.astype(arr.dtype.newbyteorder("="))
    if arr.dtype.kind in "biu":
        return arr.astype(np.float64)
    raise TypeError(
        f"{name}() does not support dtype {arr.dtype}; pass real floating, integer or bool input"
    )


def as_result(out):
    """Turn a 0-d result into a NumPy scalar, leave arrays alone (NumPy's ufunc convention)."""
    return out[()] if out.ndim == 0 else out


# np.clip returns the bound where x equals it before NumPy 2.1, and x from 2.1 on
# (numpy/numpy#26280): the same value, but where x = -0 meets a bound of 0, a different zero.
CLIP_RETURNS_X_AT_A_TIE = bool(np.signbit(np.clip(np.array([-0.0]), 0.0, 1.0))[0])


def clip(x, lo, hi, out):
    """``np.clip(x, lo, hi, out=out)``, returning ``x`` itself where it equals a bound, as NumPy
    2.1 and later do: ``x``'s own zero, ``-0`` or ``+0``, where it meets a bound of 0, on every
    NumPy (before 2.1 the zeros are copied back, a pass that costs only there)."""
    np.clip(x, lo, hi, out=out)
    if not CLIP_RETURNS_X_AT_A_TIE and (lo == 0 or hi == 0):
        np.copyto(out, x, where=x == 0, casting="same_kind")
    return out



def two_sum(a, b, s, bb, err):
    """``s + err = a + b`` exactly (Knuth's 2Sum, for any order of magnitude), into the arrays
    ``s`` and ``err``; ``b`` may be a scalar. Uses ``bb`` as scratch; all three distinct from
    ``a`` and ``b``."""
    np.add(a, b, out=s)
    np.subtract(s, a, out=bb)
    np.subtract(s, bb, out=err)
    np.subtract(a, err, out=err)
    np.subtract(b, bb, out=bb)
    err += bb

# Elements per block in blockwise(): the input, output and scratch blocks (512 KiB each in float64,
# 2.5 MiB for three scratch buffers) stay in cache, in a core's L2 and the L3 behind it, and the
# per-block Python overhead stays small (65536 was among the fastest of 8192 to 262144 here).
BLOCK = 65536


def blockwise(kernel, x, scratch, block_size=BLOCK):
    """Evaluate a float64 ``kernel`` over ``x`` in cache-sized blocks; round once to ``x``'s dtype.

    ``kernel(v, out, *buffers)`` receives a float64 block ``v``, the block ``out`` of the result
    (``x``'s dtype) and ``scratch`` float64 buffers of ``v``'s length, and writes its result into
    ``out`` with its last ufunc: for float16/32 that ufunc computes in float64 and rounds once as
    it stores. For float64 input ``v`` is a view of the input, so a kernel never writes to it. A
    kernel of k NumPy passes over whole arrays would stream k arrays through memory and allocate
    several of them; block by block, every pass runs in cache and the extra memory is ``scratch``
    blocks, whatever the size of ``x``. ``block_size`` elements per block: a kernel with many
    scratch buffers may run faster in smaller blocks, which keep all of its buffers in L2.
    """
    flat = x.reshape(-1)  # a view unless x is not C-contiguous
    out = np.empty(x.shape, x.dtype)
    out_flat = out.reshape(-1)
    narrow = x.dtype != np.float64
    size = min(block_size, flat.size)
    buffers = [np.empty(size) for _ in range(scratch + narrow)]
    # A subnormal result, or one that rounds to 0, is the correct rounding, not an error.
    with np.errstate(under="ignore"):
        for start in range(0, flat.size, block_size):
            block = flat[start : start + block_size]
            views = [b[: block.size] for b in buffers]
            if narrow:
                np.copyto(views[0], block)
                block = views.pop(0)
            kernel(block, out_flat[start : start + block.size], *views)
    return out


def check_real_param(value, name, param):
    """Return ``value`` as a Python float, or raise naming the function ``name`` and ``param``.

    ``TypeError`` unless ``value`` is a real number (a bool, a string, ``None``, a complex number
    or an array is not); ``ValueError`` if it is not finite as a float (``nan``, ``inf``,
    ``10**400``).

    >>> check_real_param(1, "elu", "alpha")
    1.0
    >>> check_real_param("0.1", "leaky_relu", "negative_slope")
    Traceback (most recent call last):
    ...
    TypeError: leaky_relu(): negative_slope must be a real number, got '0.1'
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}(): {param} must be a real number, got {value!r}")
    try:
        number = float(value)
    except OverflowError:  # an int beyond the float range
        number = math.inf
    if not math.isfinite(number):
        shown = repr(value) if len(repr(value)) <= 40 else f"{repr(value)[:20]}... ({number})"
        raise ValueError(f"{name}(): {param} must be finite, got {shown}")
    return number


def check_axis(axis, ndim, name):
    """Return ``axis`` as an index in ``range(ndim)``, as NumPy's reductions accept it.

    Any integer, NumPy integer or 0-d integer array is an axis (``operator.index``); a bool, a
    float or a string is a ``TypeError``; an axis out of range an ``AxisError`` naming ``name``.

    >>> check_axis(-1, 2, "softmax")
    1
    """
    return normalize_axis_index(integer_axis(axis, name), ndim, f"{name}(): axis")


def integer_axis(axis, name):
    """Return ``axis`` as a Python int, or raise ``TypeError`` naming the function ``name``."""
    if isinstance(axis, (bool, np.bool_)):
        raise TypeError(f"{name}(): axis must be an integer, got {axis!r}")
    try:
        return operator.index(axis)
    except TypeError:
        raise TypeError(f"{name}(): axis must be an integer, got {axis!r}") from None


# exp(y) = m 2**k with k*LN2_HI exact (Cody and Waite's split of ln 2, as in fdlibm's exp).
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10


def exp_split(y):
    """``exp(y)`` as ``(m, k)`` with ``exp(y) = m * 2**k``, ``m`` in ``[0.35, 0.71]``, for any
    float64 ``y``: the exponential of arguments far below -745, where ``np.exp`` underflows.

    Derivatives that decay like ``e^{-|x|}`` go subnormal, and then to 0, long before the
    product with an incoming gradient does (``1e300 * e^{-740}`` is ``4e-22``). A ``backward``
    keeps them as ``(m, k)`` and scales the product back once: ``np.ldexp(g * m, k)``. With
    ``k = rint(y / ln 2)`` and ``r = (y - k LN2_HI) - k LN2_LO`` (the first subtraction exact),
    ``m = exp(r) / 2``: within about 1 ULP of ``exp(y) 2**-k``. ``y`` below -2000 is taken
    as -2000 (``exp(-2000)`` times any float is below the smallest subnormal); ``-inf`` gives
    ``m = 0``; NaN gives NaN.

    >>> m, k = exp_split(np.array([-800.0]))
    >>> print(f"{np.ldexp(1e300 * m, k)[0]:.6e}")  # 1e300 exp(-800), where np.exp(-800) is 0
    3.667875e-48
    """
    y = np.asarray(y, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        yc = np.maximum(y, -2000.0)
        k = np.rint(yc * (1 / math.log(2)))
        k[~np.isfinite(k)] = 0.0  # NaN stays NaN through r
        r = (yc - k * _LN2_HI) - k * _LN2_LO
        m = np.exp(r) * 0.5
    m[y == -np.inf] = 0.0
    return m, k.astype(np.int64) + 1


class Activation:
    """Base class: ``act(x)`` is the forward pass, ``act.gradient(x)`` the derivative and
    ``act.backward(x, grad_output)`` the vector-Jacobian product a network's backward pass calls.

    Subclasses set ``name`` and implement ``__call__`` and ``gradient``. An elementwise
    activation's Jacobian is diagonal, so its ``backward`` is ``grad_output * f'(x)``, rounded
    once (:meth:`backward`); softmax-like ones override it.
    """

    name = "activation"
    # For a float64 derivative that goes subnormal (or to 0) far out while ``g * f'(x)`` may
    # still be a normal float: ``(lo, hi)`` between which ``f'`` is a normal float, and
    # ``_gradient_tail(x)`` giving ``f'(x) = m * 2**k`` as ``(m, k)`` (``m <= 1``) outside.
    normal_gradient_range = None

    def __call__(self, x):
        raise NotImplementedError

    def gradient(self, x):
        raise NotImplementedError

    def _gradient_tail(self, x):
        raise NotImplementedError

    def _gradient_for_backward(self, x):
        """The float64 derivative ``backward`` multiplies by (``x`` is float64): ``gradient``'s,
        unless a subclass needs a tighter one there (the product adds its own rounding)."""
        return self.gradient(x)

    def backward(self, x, grad_output):
        r"""The vector-Jacobian product of an elementwise activation: ``grad_output * f'(x)``,
        with ``x``'s dtype, rounded once.

        float16 and float32: the derivative is computed in float64 and the product rounded once
        to ``x``'s dtype (``g * gradient(x)`` would round twice: 1.4 ULP, and far off where
        ``f'(x)`` is subnormal in the narrow dtype while the product is not). float64: the
        product of ``g`` and the float64 derivative, and where that derivative is subnormal or 0
        but the product need not be, the derivative as ``m * 2**k`` (``_gradient_tail``), the
        product scaled back once. ``grad_output`` is first cast to ``x``'s dtype, as a network's
        incoming gradient has the output's dtype. An infinite ``grad_output`` where ``f' = 0``
        gives NaN (``0 * inf``), as IEEE 754 says; a product beyond the largest float gives
        ``+-inf``; neither raises a floating-point warning.
        """
        x = as_float_array(x, f"{self.name}.backward")
        g = as_grad_output(grad_output, x, f"{self.name}.backward")
        wide = x.astype(np.float64, copy=False)
        d = np.asarray(self._gradient_for_backward(wide))  # a new array, float64
        if d is wide:  # pragma: no cover - a gradient that returned its input
            d = d.copy()
        with np.errstate(invalid="ignore", over="ignore", under="ignore"):
            if x.dtype != np.float64:
                return as_result(np.multiply(d, g, out=np.empty_like(x), casting="same_kind"))
            np.multiply(d, g, out=d)
            if self.normal_gradient_range is not None and x.size:
                lo, hi = self.normal_gradient_range
                flat = x.reshape(-1)
                if np.fmin.reduce(flat) < lo or np.fmax.reduce(flat) > hi:
                    far = (x < lo) | (x > hi)
                    m, k = self._gradient_tail(x[far])
                    d[far] = np.ldexp(g[far] * m, k)
        return as_result(d)

    def _params(self):
        return {}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({args})"


def as_grad_output(grad_output, x, name):
    """Check that ``grad_output`` is a real array of ``x``'s shape and cast it to ``x``'s dtype.

    The gradient with respect to ``x`` has ``x``'s dtype, as in PyTorch.
    """
    g = as_float_array(grad_output, name)
    if g.shape != x.shape:
        raise ValueError(
            f"{name}(): grad_output has shape {g.shape} but x has shape {x.shape}; "
            "they must be equal"
        )
    with np.errstate(over="ignore"):  # beyond x's dtype's range, +-inf is the right rounding
        return g.astype(x.dtype, copy=False)
