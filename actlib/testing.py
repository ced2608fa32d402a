"""Measuring tools shared by the notebooks and the tests.

* :func:`reference` evaluates a function exactly (200 bits, mpmath) at every float of an array.
* :func:`ulp_error` says how far a computed result is from the exact one, in units in the last place
  of the result's dtype.
* :func:`numerical_derivative`, :func:`numerical_jacobian`, :func:`numerical_vjp` and
  :func:`gradcheck` compare analytic derivatives against central differences.

mpmath is needed only by :func:`reference` and by :func:`ulp_error` given mpmath values; it is
imported when they are called, so ``import actlib`` needs NumPy alone.
"""

import numpy as np

__all__ = [
    "reference",
    "ulp_error",
    "ulp",
    "numerical_derivative",
    "numerical_jacobian",
    "numerical_vjp",
    "relative_error",
    "gradcheck",
]


def _mpmath():
    try:
        import mpmath
    except ImportError:  # pragma: no cover - mpmath is in the course and test extras
        raise ImportError(
            "exact references need mpmath: pip install mpmath (or install actlib[course])"
        ) from None
    return mpmath


def reference(f, x, prec=200):
    """Exact values of ``f`` at every element of ``x``, as an object array of mpmath numbers.

    ``f`` takes and returns mpmath numbers (``mpmath.exp``, ``lambda t: 1 / (1 + mpmath.exp(-t))``);
    it runs with ``prec`` bits of working precision, far more than any float needs. Each float of
    ``x`` converts to mpmath exactly, so the reference is the true value at the true input.

    >>> import mpmath
    >>> float(reference(mpmath.exp, [0.0, 1.0])[1])
    2.718281828459045
    """
    mp = _mpmath()
    x = np.asarray(x)
    out = np.empty(x.shape, dtype=object)
    with mp.workprec(prec):
        for i, v in np.ndenumerate(x):
            out[i] = f(mp.mpf(float(v)))
    return out


_FORMATS = {  # dtype: (significand bits p, smallest normal exponent emin, largest exponent emax)
    np.dtype(np.float16): (11, -14, 15),
    np.dtype(np.float32): (24, -126, 127),
    np.dtype(np.float64): (53, -1022, 1023),
}


def ulp(y, dtype):
    """The spacing of ``dtype``'s floats at the real number ``y`` (an mpmath number or a float).

    For ``2**e <= |y| < 2**(e+1)`` it is ``2**(e - p + 1)`` with ``p`` significand bits; below the
    smallest normal it is the subnormal spacing; beyond the largest finite float, the spacing there.

    >>> ulp(1.0, np.float64) == 2.0**-52
    True
    >>> ulp(0.0, np.float16) == 2.0**-24
    True
    """
    p, emin, emax = _FORMATS[np.dtype(dtype)]
    mp = _mpmath() if not isinstance(y, (float, int, np.floating, np.integer)) else None
    if y == 0:
        e = emin
    elif mp is None:
        e = int(np.frexp(float(y))[1]) - 1
    else:
        e = int(mp.frexp(y)[1]) - 1
    e = min(max(e, emin), emax)
    return 2.0 ** (e - p + 1)


def ulp_error(computed, exact, scale=None):
    """Elementwise ``|computed - exact|``, in ULP of ``computed``'s dtype at the exact value.

    ``computed`` is a float16/32/64 array. ``exact`` is what :func:`reference` returns (mpmath
    numbers), or a float array of a wider dtype (float64 is exact enough to judge float16 and
    float32). Both NaN counts as 0; a NaN on one side only, or an infinity where the other side
    is finite and does not round to it, counts as ``inf``.

    A correctly rounded result is at most 0.5 ULP away; 1 ULP means "one of the two floats around
    the exact value".

    ``scale``, if given (same kinds as ``exact``), measures in ULP at ``|scale|`` instead: for a
    value that is a sum of terms and crosses zero, such as SiLU's derivative
    ``s + x s (1 - s)``, no evaluation beats the rounding of its largest term, so its error is
    measured in ULP of the sum of the terms' magnitudes (``|s| + |x s (1 - s)|``).

    >>> import mpmath
    >>> x = np.array([0.0, 1.0])
    >>> ulp_error(np.exp(x), reference(mpmath.exp, x)) <= 0.5
    array([ True,  True])
    """
    computed = np.asarray(computed)
    dtype = computed.dtype
    if dtype not in _FORMATS:
        raise TypeError(f"ulp_error() measures float16/32/64 results, not {dtype}")
    exact = np.asarray(exact)
    if scale is not None:
        scale = np.asarray(scale)
        if exact.dtype == object or scale.dtype == object:
            mp = _mpmath()
            with mp.workprec(256):
                out = np.empty(computed.shape, dtype=np.float64)
                for i, c in np.ndenumerate(computed):
                    y, m = mp.mpf(exact[i]), mp.mpf(scale[i])
                    if mp.isnan(y) or np.isnan(c) or np.isinf(c) or mp.isinf(y):
                        out[i] = ulp_error(np.asarray(c, dtype), np.asarray(exact[i], object))
                    else:
                        out[i] = float(abs(mp.mpf(float(c)) - y) / ulp(m, dtype))
            return out
        e = np.clip(np.frexp(np.abs(scale))[1].astype(np.int64) - 1, *_FORMATS[dtype][1:])
        with np.errstate(invalid="ignore", over="ignore", under="ignore"):
            spacing = np.ldexp(1.0, e - _FORMATS[dtype][0] + 1).astype(scale.dtype)
            err = np.abs(computed.astype(exact.dtype) - exact) / spacing
        plain = ulp_error(computed, exact)  # NaN and inf: judged as without a scale
        return np.where((plain == 0) | ~np.isfinite(err), plain, err)
    if exact.dtype != object:
        if exact.dtype.kind != "f" or np.finfo(exact.dtype).bits <= np.finfo(dtype).bits:
            raise TypeError(
                f"exact values for {dtype} results must be mpmath numbers or a wider float dtype"
            )
        return _ulp_error_floats(computed, exact)
    mp = _mpmath()
    out = np.empty(computed.shape, dtype=np.float64)
    big = float(np.finfo(dtype).max) * (1 + 2.0 ** -(_FORMATS[dtype][0] + 1))  # rounds to inf
    # mpmath's default precision is 53 bits: at it, mp.mpf(y) would round the exact value to a
    # float64 and float64 errors would come out as whole ULP (3.6 or 4.4 both read as 4).
    with mp.workprec(256):
        for i, c in np.ndenumerate(computed):
            y = exact[i]
            out[i] = _one_error(float(c), mp.mpf(y), dtype, big, mp)
    return out


def _one_error(c, y, dtype, overflow, mp):
    if mp.isnan(y) or np.isnan(c):
        return 0.0 if (mp.isnan(y) and np.isnan(c)) else np.inf
    if np.isinf(c):
        return 0.0 if (abs(y) >= overflow and (y > 0) == (c > 0)) else np.inf
    if mp.isinf(y):
        return np.inf
    return float(abs(mp.mpf(c) - y) / ulp(y, dtype))


def _ulp_error_floats(computed, exact):
    c = computed.astype(exact.dtype)
    p, emin, emax = _FORMATS[computed.dtype]
    e = np.clip(np.frexp(exact)[1].astype(np.int64) - 1, emin, emax)
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):  # subnormal spacings
        spacing = np.ldexp(1.0, e - p + 1).astype(exact.dtype)
        err = np.abs(c - exact) / spacing
    both_nan = np.isnan(c) & np.isnan(exact)
    same_inf = np.isinf(c) & (c == exact)
    rounds_to_inf = np.isinf(c) & np.isfinite(exact) & (
        np.abs(exact) >= np.finfo(computed.dtype).max * (1 + 2.0 ** -(p + 1))
    ) & (np.sign(c) == np.sign(exact))
    err = np.where(both_nan | same_inf | rounds_to_inf, 0.0, err)
    with np.errstate(under="ignore"):  # errors below float64's normals are 0 for our purposes
        return np.where(np.isnan(err), np.inf, err).astype(np.float64)


def _step(x):
    # h = eps**(1/3) * max(1, |x|) balances the O(h**2) truncation error against the
    # O(eps / h) rounding error of a central difference.
    return np.cbrt(np.finfo(np.float64).eps) * np.maximum(1.0, np.abs(x))


def numerical_derivative(f, x, h=None):
    """Central differences ``(f(x + h) - f(x - h)) / (2h)`` for an elementwise ``f``, in float64.

    Trustworthy where ``f`` is smooth on ``[x - h, x + h]`` (not across a kink) and ``f'`` is not
    tiny next to ``f`` itself (the rounding error is about ``eps * |f| / h``).

    >>> print(f"{numerical_derivative(np.sin, [0.0])[0]:.9f}")
    1.000000000
    """
    x = np.asarray(x, dtype=np.float64)
    h = _step(x) if h is None else np.asarray(h, dtype=np.float64)
    xp, xm = x + h, x - h
    return (np.asarray(f(xp), dtype=np.float64) - np.asarray(f(xm), dtype=np.float64)) / (xp - xm)


def numerical_jacobian(f, x, h=None):
    """The Jacobian ``J[i, j] = d f_i / d x_j`` of ``f`` at the 1-d ``x``, by central differences.

    >>> numerical_jacobian(lambda v: 2 * v, [1.0, 2.0]).round(6)
    array([[2., 0.],
           [0., 2.]])
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"numerical_jacobian() takes a 1-d x, got shape {x.shape}")
    steps = _step(x) if h is None else np.broadcast_to(np.asarray(h, np.float64), x.shape)
    columns = []
    for j in range(x.size):
        xp, xm = x.copy(), x.copy()
        xp[j] += steps[j]
        xm[j] -= steps[j]
        diff = np.asarray(f(xp), np.float64) - np.asarray(f(xm), np.float64)
        columns.append(diff / (xp[j] - xm[j]))
    return np.stack(columns, axis=-1)


def numerical_vjp(f, x, grad_output, h=None):
    """The vector-Jacobian product ``d/dx sum(grad_output * f(x))`` by central differences.

    It is what ``backward(x, grad_output)`` should return, computed one input element at a time.

    >>> numerical_vjp(np.square, [3.0], [1.0]).round(6)
    array([6.])
    """
    x = np.asarray(x, dtype=np.float64)
    g = np.asarray(grad_output, dtype=np.float64)
    steps = _step(x) if h is None else np.broadcast_to(np.asarray(h, np.float64), x.shape)
    out = np.empty(x.shape)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += steps[i]
        xm[i] -= steps[i]
        # Sum the difference, not two sums: elements f(xp) and f(xm) share cancel exactly.
        diff = np.asarray(f(xp), np.float64) - np.asarray(f(xm), np.float64)
        out[i] = np.sum(g * diff) / (xp[i] - xm[i])
    return out


def relative_error(a, b):
    """The largest elementwise ``|a - b| / max(|a|, |b|)`` (0 where both are 0), as in cs231n.

    About 1e-7 or less means two derivatives agree to the accuracy central differences allow.

    >>> relative_error([1.0, 0.0], [1.0 + 1e-9, 0.0]) < 1e-8
    True
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    scale = np.maximum(np.abs(a), np.abs(b))
    err = np.abs(a - b) / np.where(scale > 0, scale, 1.0)
    return float(err.max(initial=0.0))


def gradcheck(f, df, x, h=None):
    """Relative error between the analytic derivative ``df(x)`` and central differences of ``f``.

    For elementwise activations: ``gradcheck(act, act.gradient, x)``. The step is ``h``, or by
    default ``eps**(1/3) * max(1, |x|)`` (about ``6e-6`` near 0), as in
    :func:`numerical_derivative`; about ``1e-7`` or less means the two agree
    (:func:`relative_error`). Keep ``x`` away from kinks (ReLU at 0) by more than the step.

    >>> gradcheck(np.sin, np.cos, np.linspace(-2, 2, 9)) < 1e-8
    True
    """
    return relative_error(df(np.asarray(x, np.float64)), numerical_derivative(f, x, h))
