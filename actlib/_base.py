"""What every activation shares: the input contract, the dtype policy and the base classes.

The input contract
------------------
* Anything ``numpy.asarray`` accepts comes in: lists, scalars, 0-d arrays, any shape, strided and
  read-only views. The input is never written to.
* float16, float32 and float64 keep their dtype; integers and bools are computed in float64.
* Any other dtype (complex, object, string, datetime, longdouble) raises ``TypeError`` naming the
  function and the dtype: an activation has no sensible meaning for them, and a silent cast would
  hide a bug in the caller.
* A scalar in gives a NumPy scalar out, as NumPy's own ufuncs do.
* No floating-point warning for any input, with one exception IEEE 754 itself makes: a
  *signalling* NaN (never produced by arithmetic, only by crafting bit patterns) may raise the
  invalid-operation flag where it is quieted. Quiet NaNs propagate silently.
"""

import numpy as np

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
        return arr
    if arr.dtype.kind in "biu":
        return arr.astype(np.float64)
    raise TypeError(
        f"{name}() does not support dtype {arr.dtype}; pass real floating, integer or bool input"
    )


def as_result(out):
    """Turn a 0-d result into a NumPy scalar, leave arrays alone (NumPy's ufunc convention)."""
    return out[()] if out.ndim == 0 else out


# Elements per block in blockwise(): the input, output and scratch blocks (512 KiB each in float64,
# 2.5 MiB for three scratch buffers) stay in cache, in a core's L2 and the L3 behind it, and the
# per-block Python overhead stays small (65536 was among the fastest of 8192 to 262144 here).
BLOCK = 65536


def blockwise(kernel, x, scratch):
    """Evaluate a float64 ``kernel`` over ``x`` in cache-sized blocks; round once to ``x``'s dtype.

    ``kernel(v, out, *buffers)`` receives a float64 block ``v``, the block ``out`` of the result
    (``x``'s dtype) and ``scratch`` float64 buffers of ``v``'s length, and writes its result into
    ``out`` with its last ufunc: for float16/32 that ufunc computes in float64 and rounds once as
    it stores. For float64 input ``v`` is a view of the input, so a kernel never writes to it. A
    kernel of k NumPy passes over whole arrays would stream k arrays through memory and allocate
    several of them; block by block, every pass runs in cache and the extra memory is ``scratch``
    blocks, whatever the size of ``x``.
    """
    flat = x.reshape(-1)  # a view unless x is not C-contiguous
    out = np.empty(x.shape, x.dtype)
    out_flat = out.reshape(-1)
    narrow = x.dtype != np.float64
    size = min(BLOCK, flat.size)
    buffers = [np.empty(size) for _ in range(scratch + narrow)]
    # A subnormal result, or one that rounds to 0, is the correct rounding, not an error.
    with np.errstate(under="ignore"):
        for start in range(0, flat.size, BLOCK):
            block = flat[start : start + BLOCK]
            views = [b[: block.size] for b in buffers]
            if narrow:
                np.copyto(views[0], block)
                block = views.pop(0)
            kernel(block, out_flat[start : start + block.size], *views)
    return out


def check_finite_param(value, what):
    """Return ``value`` as a Python float, or raise ``ValueError`` if it is not a finite real."""
    if isinstance(value, (str, bytes)):  # float("0.1") would parse it: a string is no number
        raise ValueError(f"{what} must be a finite real number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a finite real number, got {value!r}") from None
    if not np.isfinite(number):
        raise ValueError(f"{what} must be a finite real number, got {value!r}")
    return number


class Activation:
    """Base class: ``act(x)`` is the forward pass, ``act.gradient(x)`` the derivative and
    ``act.backward(x, grad_output)`` the vector-Jacobian product a network's backward pass calls.

    Subclasses set ``name``, implement ``__call__`` and ``gradient``; an elementwise activation's
    Jacobian is diagonal, so its ``backward`` is ``grad_output * gradient(x)``.
    """

    name = "activation"

    def __call__(self, x):
        raise NotImplementedError

    def gradient(self, x):
        raise NotImplementedError

    def backward(self, x, grad_output):
        """Chain rule for an elementwise activation: ``grad_output * f'(x)``, in ``x``'s dtype."""
        x = as_float_array(x, f"{self.name}.backward")
        g = as_grad_output(grad_output, x, f"{self.name}.backward")
        # An infinite grad_output where f' = 0 gives NaN (0 * inf) and a huge one can overflow to
        # inf: the IEEE answers, returned without a floating-point warning.
        with np.errstate(invalid="ignore", over="ignore", under="ignore"):
            return as_result(g * np.asarray(self.gradient(x)))

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
