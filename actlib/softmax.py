"""Softmax: turns a vector of scores into a probability distribution."""

import math

import numpy as np

from ._base import (
    BLOCK,
    Activation,
    as_float_array,
    as_grad_output,
    check_axis,
    exp_split,
    integer_axis,
)


def softmax(x, axis=-1):
    r"""Softmax along ``axis``, shifted by the maximum so ``exp`` never overflows.

    .. math::

        \mathrm{softmax}(x)_i = \frac{e^{x_i}}{\sum_j e^{x_j}}
                              = \frac{e^{x_i - m}}{\sum_j e^{x_j - m}}, \qquad m = \max_j x_j

    The shift changes nothing mathematically (:math:`e^{-m}` cancels) and makes every exponent
    :math:`\le 0`, so each term is in (0, 1] and the sum is in [1, n].

    Args:
        x: array_like of real numbers with at least one dimension.
        axis: the axis that sums to 1; the last by default, as in JAX (``jax.nn.softmax``) and
            TensorFlow. ``torch.softmax`` has no default ``dim``, and ``scipy.special.softmax``
            normalises over the whole array by default.

    Returns:
        The probabilities, with ``x``'s shape and dtype (float64 for integer or bool input).

    Raises:
        AxisError: if ``axis`` is out of range. A 0-d ``x`` (a scalar) has no axis, so it raises
            too, where the elementwise activations take scalars.
        TypeError: if ``axis`` is not an integer.

    Example:
        >>> softmax([1000.0, 1000.0, -1000.0])
        array([0.5, 0.5, 0. ])

    Notes:
        Limits and undefined cases, with no floating-point warning: ``-inf`` entries get
        probability 0; a slice with ``+inf`` entries shares all the mass equally among them (the
        limit of raising those scores together); a slice that is all ``-inf`` has no
        distribution and gives NaN, as does any slice containing NaN. PyTorch and JAX give NaN
        for ``+inf`` too. Accuracy: at most 4 ULP in float64 beyond the rounding of
        ``x_i - m`` (2.44 measured), because the sum of the exponentials is rounded only once
        (``np.sum`` alone reached 9 ULP); float16 and float32 are computed in float64 and
        rounded once (<= 1 ULP).
    """
    x = as_float_array(x, "softmax")
    axis = check_axis(axis, x.ndim, "softmax")
    out = np.empty(x.shape, x.dtype)
    for piece in _pieces(x, axis):
        _softmax64(x[piece], axis, out=out[piece])
    return out


# Elements per piece in _pieces(). Softmax's passes are few, and each piece costs about 30 us of
# fixed overhead (argmax, take_along_axis, ...), so its pieces are larger than blockwise's blocks:
# 4 * BLOCK was the fastest of BLOCK / 4 to 16 * BLOCK on 1000 x 1000 batches here.
PIECE = 4 * BLOCK


def _pieces(x, axis):
    """Index tuples that cut ``x`` into pieces of about ``PIECE`` elements, whole slices each.

    A piece's float64 temporaries stay in cache (as in ``blockwise``) and the extra memory stays
    a few pieces. Only a C-contiguous ``x`` is cut, and only along its first axis (when that is
    not ``axis``): each piece is then laid out like the whole array, so NumPy sums its slices in
    the same order and the result has the same bits as the whole array's.
    """
    if axis == 0 or x.size <= PIECE or not x.flags.c_contiguous:
        yield (...,)
        return
    step = max(1, PIECE // (x.size // x.shape[0]))
    for start in range(0, x.shape[0], step):
        yield (slice(start, start + step),)


def _per_slice(ufunc, a, b, axis, out=None):
    """``ufunc(a, b, out=out)`` where ``b`` holds one value per slice along ``axis`` (kept as a
    length-1 axis): the shift ``x - m``, the division ``e / s``.

    Broadcast along the last axis, such an operation runs through NumPy's ufunc buffer (8192
    elements) whenever the buffer is longer than the slices (numpy/numpy#13307), copying its
    operands as it goes: on 1000-element rows it took 0.42 ns per element here, twice an
    elementwise subtraction (0.20). Where the slices are at least twice ``_SLICE_BUFFER``
    long, a buffer of that size lets the loop run over each slice in place; shorter slices
    are faster buffered. Only elementwise operations run here, so not a bit changes (a reduction
    can: NumPy 2.0 sums in buffer-sized chunks). ``np.errstate`` restores the buffer size.
    """
    with np.errstate():
        if axis % a.ndim == a.ndim - 1 and a.shape[axis] >= 2 * _SLICE_BUFFER:
            np.setbufsize(_SLICE_BUFFER)
        return ufunc(a, b, out=out)


_SLICE_BUFFER = 128  # elements (a multiple of 16, as NumPy requires)


def _shifted_exp(x, axis):
    """``exp(x - max)`` along ``axis`` in float64 (each in [0, 1]), where the max is, and the
    shift actually subtracted (the max, or 0 for slices whose max is +-inf).

    ``x`` may be float16/32/64; the difference is taken in float64, where it is exact or within
    half a float64 ULP. The max's exp is exactly 1.
    """
    z, k, shift = _shifted(x, axis)
    if x.dtype != np.float64 and z.size:
        # float16/32: below z = -700 every term is 0 in the result's dtype, so the float64 terms
        # e^z need not be exact there: clamped, masked scores (-inf, -1e9) take exp's fast path
        # (NumPy's exp of a huge negative is 3 to 6 times slower) and add nothing to the sum.
        # A slice whose max is -inf (all -inf: no distribution) keeps its -inf, hence NaN.
        finite_max = np.isfinite(np.take_along_axis(z, k, axis=axis))
        np.maximum(z, np.where(finite_max, _NARROW_FLOOR, -np.inf), out=z)
    with np.errstate(under="ignore"):
        return np.exp(z, out=z), k, shift


def _shifted(x, axis):
    """``x - max`` along ``axis`` in float64 (each <= 0; a new array), where the max is, and the
    shift actually subtracted: :func:`_shifted_exp` before its ``exp``. In a slice with ``+inf``
    entries those are 0 and the rest ``-inf``; a slice that is all ``-inf`` stays ``-inf``."""
    if x.shape[axis] == 0:
        rows = list(x.shape)
        rows[axis] = 1
        return np.zeros(x.shape), np.zeros(rows, int), np.zeros(rows)
    k = np.argmax(x, axis=axis, keepdims=True)  # the first NaN, if any: then m is NaN
    m = np.take_along_axis(x, k, axis=axis)
    # Slices whose max is +-inf: shift by 0 instead (inf - inf would be NaN, with a warning).
    # A NaN max stays: the whole slice turns NaN before exp, which then cannot overflow.
    shift = np.where(np.isinf(m), 0.0, m)
    with np.errstate(over="ignore"):  # x_i - m below -max: -inf, and exp(-inf) = 0 is exact
        if x.dtype == np.float64:
            z = _per_slice(np.subtract, x, shift, axis)
        else:  # a float64 copy first: faster than a mixed-dtype subtract
            z = x.astype(np.float64)
            _per_slice(np.subtract, z, shift, axis, out=z)
    if np.any(m == np.inf):
        # A slice with +inf entries keeps just those (exp(0) = 1 each) and drops the rest.
        plus_inf = np.broadcast_to(m == np.inf, x.shape)
        z = np.where(plus_inf, np.where(x == np.inf, 0.0, -np.inf), z)
    return z, k, shift


# e^-700 is 1e-304: a float16/32 probability, gradient or Jacobian entry built on it is 0 (its
# scale is at most 3.4e38), exactly as for the true, smaller term, and a million of them add
# 1e-298 to a sum of at least 1.
_NARROW_FLOOR = -700.0


def _row_sum(e, axis):
    """``sum(e, axis)`` for terms in [0, 1], one of them 1 in each slice: rounded only once.

    ``np.sum`` rounds at every addition, and on slices of 5 to 1000 terms those roundings took
    softmax to 9 ULP. Here each term is split exactly into a head ``q``, the term rounded to a
    multiple of ``u = ulp(sigma)`` with ``sigma = 2**(ceil(log2 n) + 1) >= 2n``, and a tail
    ``r = e - q`` with ``|r| <= u / 2`` (the "extraction" of Rump, Ogita and Oishi's accurate
    summation). Every partial sum of heads is a multiple of ``u`` below ``2 sigma``, hence exact,
    in any order; the tails add up to at most ``n**2 * 2**-51``, so their own rounding errors are
    negligible against the sum, which is at least 1: under 0.01 ULP up to a million terms, and
    0.2 ULP at 4 million. What is left is the final rounding of heads + tails: half an ULP.
    """
    n = e.shape[axis]
    if n == 0:
        return np.sum(e, axis=axis, keepdims=True)
    return _extracted_sum(e, 2.0 ** (math.ceil(math.log2(n)) + 1), axis)


def _extracted_sum(h, sigma, axis, scratch=None):
    """The extraction's sum: the heads ``(h + sigma) - sigma`` (exact, by Sterbenz's lemma, for
    ``|h_i| <= sigma / 2``) summed, plus the tails ``h - heads`` (exact) summed. ``sigma`` is a
    power of two, a scalar or one per slice; ``scratch`` may lend the one temporary."""
    part = _per_slice(np.add, h, sigma, axis, out=scratch)
    _per_slice(np.subtract, part, sigma, axis, out=part)  # the heads, exactly
    heads = np.sum(part, axis=axis, keepdims=True)
    np.subtract(h, part, out=part)  # the tails, exactly
    return heads + np.sum(part, axis=axis, keepdims=True)


def _signed_row_sum(h, axis, scratch=None):
    """``sum(h, axis)`` for terms of both signs and any size, rounded only once (to a hair), and
    the bound ``max |h_i|`` of each slice.

    The extraction of :func:`_row_sum`, with a grid per slice: ``sigma = 2**(ceil(log2 n) + 1)
    * 2**ceil(log2 max|h_i|)``. Every head ``(h + sigma) - sigma`` is a multiple of
    ``u = ulp(sigma)``, and their partial sums stay below ``sigma``, so they are exact in any
    order; every tail ``h - head`` is exact and at most ``u / 2``, tiny against the slice's
    largest term, so the rounding of the tails' sum is negligible. The bound costs a max and a
    min of each slice. Slices with a non-finite term, or whose grid would overflow, keep
    ``np.sum``. ``scratch``, an array of ``h``'s shape that may be overwritten, saves one.
    """
    n = h.shape[axis]
    if n == 0:
        total = np.sum(h, axis=axis, keepdims=True)
        return total, np.zeros_like(total)
    bound = np.maximum(np.max(h, axis=axis, keepdims=True), -np.min(h, axis=axis, keepdims=True))
    exponent = np.frexp(bound)[1] + (math.ceil(math.log2(n)) + 1)  # bound = m 2**e, m in [1/2, 1)
    usable = np.isfinite(bound) & (exponent <= 1023)
    # A grid below the subnormals is 0 (the heads are then h); inf - inf in the tails of a slice
    # with an infinite term is NaN, and that slice keeps np.sum.
    with np.errstate(under="ignore", invalid="ignore"):
        sigma = np.ldexp(1.0, np.where(usable, exponent, 0))
        total = _extracted_sum(h, sigma, axis, scratch)
    if not usable.all():
        total = np.where(usable, total, np.sum(h, axis=axis, keepdims=True))
    return total, bound


def _sum_exp(e, x, axis):
    """The row sums of ``e``: exact to half an ULP for float64 ``x``; for float16/32, whose
    results are rounded to 2**29 times coarser, ``np.sum`` is plenty."""
    if x.dtype == np.float64:
        return _row_sum(e, axis)
    return np.sum(e, axis=axis, keepdims=True)


def _softmax64(x, axis, out):
    """Softmax of ``x`` (float16/32/64) along ``axis``: in float64, rounded once into ``out``."""
    e = _shifted_exp(x, axis)[0]
    s = _sum_exp(e, x, axis)
    # An all -inf slice is 0 / 0: NaN, no distribution. A probability below the smallest float16/32
    # normal rounds to a subnormal or 0 as it is stored: the right rounding.
    with np.errstate(invalid="ignore", under="ignore"):
        if out.dtype == np.float64:
            _per_slice(np.divide, e, s, axis, out=out)
        else:  # float64, then one cast: a few per cent faster than a ufunc casting as it stores
            out[...] = _per_slice(np.divide, e, s, axis, out=e)


def _split(a):
    """``a = hi + lo`` with ``hi`` holding the top 26 bits (Veltkamp), so ``hi * hi`` is exact."""
    t = 134217729.0 * a  # 2**27 + 1
    hi = t - (t - a)
    return hi, a - hi


def _two_product(a, b):
    """``a * b = hi + lo`` exactly (Dekker), barring overflow of ``a * 2**27`` and underflow."""
    hi = a * b
    a_hi, a_lo = _split(a)
    b_hi, b_lo = _split(b)
    lo = ((a_hi * b_hi - hi) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    return hi, lo


def _exact_sum(values):
    """The sum of ``values`` as ``hi + lo``: ``hi`` correctly rounded, ``lo`` the rest."""
    hi = math.fsum(values)
    return hi, math.fsum([*values, -hi])


def _jacobian_last_axis64(x):
    """The softmax Jacobian along the last axis of the float64 ``x``, rounded once per entry.

    The row sum is computed exactly (``math.fsum``) and each ``p_i`` carried as a double-double
    ``p + p_lo``; the products ``p_i p_j`` are then exact (Dekker) until the final rounding. What
    remains is the error of NumPy's ``exp`` in each factor.
    """
    e = _shifted_exp(x, -1)[0]
    n = e.shape[-1]
    rows = e.reshape(math.prod(e.shape[:-1]), n)
    sums = np.array([_exact_sum(r) for r in rows]).reshape(e.shape[:-1] + (2,))
    s_hi, s_lo = sums[..., :1], sums[..., 1:]
    with np.errstate(invalid="ignore", under="ignore"):  # all -inf slices: 0 / 0, NaN
        p = e / s_hi
        t_hi, t_lo = _two_product(p, s_hi)
        p_lo = (((e - t_hi) - t_lo) - p * s_lo) / s_hi  # p_i + p_lo_i = e_i / (s_hi + s_lo)
        hi, lo = _two_product(p[..., :, None], p[..., None, :])
        lo += p[..., :, None] * p_lo[..., None, :] + p_lo[..., :, None] * p[..., None, :]
        jac = -(hi + lo)
        # The diagonal p_i (1 - p_i): 1 - p_i as (1 - p) - p_lo stays accurate when p_i is
        # close to 1 (1 - p is then exact), where p * (1 - p) would cancel to 0.
        q = (1.0 - p) - p_lo
        d_hi, d_lo = _two_product(p, q)
        diagonal = np.arange(n)
        jac[..., diagonal, diagonal] = d_hi + (d_lo + p_lo * q)
    return jac


class Softmax(Activation):
    r"""Softmax along ``axis`` as an activation object; see :func:`softmax`.

    Example:
        >>> act = Softmax()
        >>> act
        Softmax(axis=-1)
        >>> act.gradient([0.0, 0.0])
        array([[ 0.25, -0.25],
               [-0.25,  0.25]])
        >>> act.backward([0.0, 0.0], [1.0, 0.0])
        array([ 0.25, -0.25])
    """

    name = "Softmax"

    def __init__(self, axis=-1):
        self.axis = integer_axis(axis, "Softmax")

    def _params(self):
        return {"axis": self.axis}

    def __call__(self, x):
        return softmax(x, self.axis)

    def gradient(self, x):
        r"""The full Jacobian along ``axis``: shape ``x.shape + (n,)``.

        .. math::

            J_{ij} = \frac{\partial p_i}{\partial x_j} = p_i(\delta_{ij} - p_j),
            \qquad J = \operatorname{diag}(p) - p p^\top

        ``J[..., i, ..., j]`` has ``i`` at position ``axis`` and ``j`` last.

        Each entry is a product of two probabilities, so in plain float64 it would carry both
        factors' rounding and the row sum's twice (6 ULP measured). Here the row sum is exact,
        the probabilities are carried to twice float64's precision and the products are
        error-free (Dekker's ``TwoProduct``) until one final rounding: at most 4 ULP in
        float64 (2.61 measured), what is left being NumPy's ``exp``. The diagonal is
        :math:`p_i (1 - p_i)` with :math:`1 - p_i` taken from that extra precision, so it does
        not cancel to 0 when ``p_i`` rounds to 1 (``x = [40, 0]``: 4.2e-18, not 0).

        The blog post returned ``p * (1 - p)``, the diagonal alone: multiplying it into an incoming
        gradient ignores how raising one score lowers all the others, and gives wrong gradients.
        Use :meth:`backward` in a network: it needs O(n) work per slice, this O(n^2).

        >>> Softmax().gradient([0.0, np.log(3.0)]).round(4)
        array([[ 0.1875, -0.1875],
               [-0.1875,  0.1875]])
        """
        x = as_float_array(x, "Softmax.gradient")
        axis = check_axis(self.axis, x.ndim, "Softmax.gradient")
        jac = _jacobian_last_axis64(np.moveaxis(x, axis, -1))
        with np.errstate(under="ignore"):  # entries below float16/32's normals: right rounding
            return np.moveaxis(jac, -2, axis).astype(x.dtype, copy=False)

    def backward(self, x, grad_output):
        r"""The vector-Jacobian product :math:`J^\top g`, without building :math:`J`.

        .. math::

            (J^\top g)_j = \sum_i g_i\, p_i(\delta_{ij} - p_j)
                         = p_j \Bigl(g_j - \sum_i g_i p_i\Bigr)

        O(n) time and memory per slice where the Jacobian needs O(n^2). Computed in float64 for
        float16 and float32 inputs and rounded once.

        Where one :math:`p_k > 1/2` dominates its slice, ``g_k - sum(g * p)`` would cancel (the
        sum is ``g_k`` up to the others' tiny share) and lose that share entirely. Since
        :math:`J^\top \mathbf{1} = 0`, subtracting the constant :math:`g_k` from ``g`` changes
        nothing mathematically and turns that entry into
        :math:`-p_k \sum_{i \ne k} (g_i - g_k) p_i`, with no cancellation: the error stays
        within a few ``eps * sum_i |J_ij g_i|``, the VJP's own conditioning. In float64 the sum
        ``sum(g * e)`` is rounded once, as the forward pass rounds ``sum(e)``: a plain float64 sum
        rounds at every addition, which cost up to 7.5 of those units on equal scores with
        ``g = [1, 2**-53, ...]`` and 4.9 on a dense random screen. Worst found now: 3.62 units
        (bar 4). Slices where ``exp`` underflows to subnormals are redone scaled by ``2**92``, and
        slices where some ``|g_i e_i|`` reaches ``2**900`` (where the sum or ``g - c`` could
        overflow although the VJP is finite) with ``g`` scaled by ``2**-128``: no input raises a
        floating-point warning. The bar holds for incoming gradients up to about ``1e25`` in size
        (measured to ``3e28``). Beyond, an entry whose ``p_j`` lies below ``exp(-772)`` (a score gap
        past what the scaled redo reaches) loses bits, and comes out 0 once ``p_j`` is below about
        ``exp(-810)``, although ``p_j g_j`` may still be a float (``g = [1e30, -1e30]`` on scores
        ``[0, -805]``: ``-4.99e-320`` for ``-4.94e-320``; at a gap of 812, 0 for ``-4.4e-323``).

        >>> Softmax().backward([0.0, 0.0, 0.0], [1.0, 1.0, 1.0])
        array([0., 0., 0.])
        """
        x = as_float_array(x, "Softmax.backward")
        g = as_grad_output(grad_output, x, "Softmax.backward")
        axis = check_axis(self.axis, x.ndim, "Softmax.backward")
        out = np.empty(x.shape, x.dtype)
        for piece in _pieces(x, axis):
            _softmax_vjp64(x[piece], g[piece], axis, out=out[piece])
        return out


def _softmax_vjp64(x, g, axis, out, scaled=False):
    """``p * (g - sum(g * p))`` along ``axis``, in float64, rounded once into ``out``.

    Computed as ``e * (g - c) / s`` with ``c = sum(g * e) / s``: the same quantity, with the
    division last, so a tiny ``p_j`` is not rounded to a subnormal before it is multiplied. For
    float64 both sums are rounded once (:func:`_row_sum`, :func:`_signed_row_sum`). ``scaled``
    marks the call that :func:`_redo_rows_scaled_down` makes, which needs no redo of its own.
    """
    e, k, shift = _shifted_exp(x, axis)
    s = _sum_exp(e, x, axis)
    g_in = g
    own = g.dtype != np.float64  # then astype copies, and the copy may be overwritten
    g = g.astype(np.float64, copy=False)
    # All -inf slices: 0 / 0, NaN. Overflow only where a |g_i e_i| >= _HUGE, or in the shift by
    # g_k where some |g_i| is within a factor 2 of the largest float: such slices are redone.
    with np.errstate(invalid="ignore", under="ignore", over="ignore"):
        # The largest p is p_k = 1 / s (its exp is exactly 1): p_k > 1/2 exactly where s < 2.
        dominant = s < 2.0
        if x.shape[axis] and dominant.any():
            g_k = np.take_along_axis(g, k, axis=axis)
            g_shift = np.where(dominant & np.isfinite(g_k), g_k, 0.0)
            g = np.subtract(g, g_shift, out=g if own else None)
        h = g * e
        if out.dtype == np.float64:
            dot, bound = _signed_row_sum(h, axis, scratch=out)  # out is free until the last step
        else:  # float16/32 results are rounded 2**29 times coarser: np.sum is plenty
            dot = np.sum(h, axis=axis, keepdims=True)
        _per_slice(np.subtract, g, dot / s, axis, out=h)
        np.multiply(h, e, out=h)
        if out.dtype != np.float64:
            out[...] = _per_slice(np.divide, h, s, axis, out=h)  # rounded once as it is stored
            return
        _per_slice(np.divide, h, s, axis, out=out)
        if e.size and e.min() < _SMALLEST_NORMAL:
            _redo_rows_with_subnormal_terms(x, g, e, s, shift, axis, out)
    suspect = ~(bound < _HUGE)  # a huge term, an overflow, or a NaN or inf in x or g
    if not scaled and suspect.any():
        _redo_rows_scaled_down(x, g_in, suspect, axis, out)


_SMALLEST_NORMAL = float(np.finfo(np.float64).smallest_normal)
_SCALE = 92  # 2**92 is about e**63.8
_RESCALE_TINY = 2.0**_SCALE * math.exp(-64.0)  # exp(z + 64) times this is exp(z) 2**92
_HUGE = 2.0**900  # a term g_i e_i this large can overflow the sum, or g - c (see below)
_DOWN = 128  # such slices are redone with g scaled by 2**-128
_REDO_FLOOR = -830.0  # exp(z) 2**92 is 0 below z = -809 even through exp(z + 64): out of reach


def _redo_rows_with_subnormal_terms(x, g, e, s, shift, axis, out):
    """Redo, scaled by ``2**92``, the float64 slices where some ``e_i = exp(z_i)`` is subnormal.

    Below ``exp(-708.4)`` the exponential keeps only a few of its 53 bits. The forward pass does
    not mind (``p_i <= e_i``), but the VJP multiplies ``p_i`` by ``g_i`` and sums: where the
    result is itself tiny (every ``p_j`` of the slice but one subnormal, say), it came out
    hundreds of its own ULPs off. Scaled, every term keeps its 53 bits: ``exp(z) 2**92`` for the
    others, and ``exp(z + 64) 2**92 e**-64`` for ``z <= -512`` (where ``z + 64`` is exact).
    The result ``(p_j g_j - p_j c) 2**-92``, with ``c = sum(g p)``, is scaled back in two
    products, each rounded once. (Where that would overflow, for ``|g|`` above about 1e250, the
    unscaled result stays.)
    """
    # Exact zeros of masked scores (-inf, or -1e9) are beyond any redo's reach: only slices with
    # an exponential that is subnormal or underflowed within reach (z > _REDO_FLOOR) are redone.
    with np.errstate(invalid="ignore", over="ignore"):
        reach = _per_slice(np.greater, x, shift + _REDO_FLOOR, axis)
        reach &= e < _SMALLEST_NORMAL
    redo = np.any(reach, axis=axis, keepdims=True) & np.isfinite(shift)
    if not redo.any():
        return
    rows = np.moveaxis(redo, axis, -1)[..., 0]

    def take(a):  # the slices to redo, as a 2-d array of rows
        return np.moveaxis(a, axis, -1)[rows]

    z = take(x) - take(shift)  # as _shifted_exp computed it
    tiny = z <= -512.0
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        t = np.where(tiny, np.exp(z + 64.0) * _RESCALE_TINY, np.ldexp(np.exp(z), _SCALE))
        p = t / take(s)  # p 2**92
        gp = take(g) * p
        c = _signed_row_sum(gp, 1)[0]  # c 2**92
        y = np.ldexp(gp, -_SCALE) - (p * c) * 2.0 ** (-2 * _SCALE)
    done = np.moveaxis(out, axis, -1)
    done[rows] = np.where(np.isfinite(y), y, done[rows])


def _redo_rows_scaled_down(x, g, suspect, axis, out):
    """Redo, with ``g`` scaled by ``2**-128``, the float64 slices with a finite ``g`` among the
    ``suspect`` ones: some ``|g_i e_i| >= 2**900``, or an overflow before the sum.

    There the sum of ``g * e``, ``g - c`` or the shift ``g - g_k`` may overflow although the VJP
    itself is finite: ``g = [1e308, 1e308]`` has ``c = 1e308`` and the VJP 0. Below ``2**900``
    none can: the sum is at most ``n 2**900``, ``|c| < 2**970`` cannot push ``g_i - c`` past the
    largest float, and ``g_k`` is that small too. The VJP is linear in ``g``, so the slice is
    computed with ``g 2**-128`` and the result scaled back, exactly; a result beyond the largest
    float is then inf, its correct rounding. (A suspect slice with a NaN or inf in ``g`` keeps
    what it has: NaN and inf propagate alike at any scale.)
    """
    gs = np.moveaxis(g, axis, -1)
    rows = np.moveaxis(suspect, axis, -1)[..., 0] & np.isfinite(gs).all(axis=-1)
    if not rows.any():
        return
    xs = np.moveaxis(x, axis, -1)[rows]
    ys = np.empty(xs.shape)
    with np.errstate(under="ignore"):  # subnormal g lose bits: nothing against 2**900
        gs = np.ldexp(gs[rows].astype(np.float64), -_DOWN)
    _softmax_vjp64(xs, gs, 1, ys, scaled=True)
    with np.errstate(over="ignore"):
        np.moveaxis(out, axis, -1)[rows] = np.ldexp(ys, _DOWN)


# ----------------------------------------------------------------------------------------------
# Log-softmax: log p_i = (x_i - max) - log(sum_j exp(x_j - max)), without the rounding of p


def log_softmax(x, axis=-1):
    r"""Log-softmax along ``axis``: the logarithm of :func:`softmax`, computed without it.

    .. math::

        \log \mathrm{softmax}(x)_i = z_i - \log \sum_j e^{z_j}
            = z_i - \operatorname{log1p}\Bigl(\sum_{j \ne k} e^{z_j}\Bigr), \qquad
            z_i = x_i - m, \quad m = x_k = \max_j x_j

    The max's term is exactly :math:`e^0 = 1`, so the log-sum-exp is ``log1p`` of the others'
    sum, taken as it is: its bits are not lost in ``1 + sum`` (so the top entry of ``[0, -300]``
    is ``-exp(-300)``, not 0). Both terms of the result have the same sign (:math:`z_i \le 0`,
    the log-sum-exp :math:`\ge 0`): nothing cancels.

    Args:
        x: array_like of real numbers with at least one dimension.
        axis: the axis along which the probabilities sum to 1; the last by default.

    Returns:
        The log-probabilities (each :math:`\le 0`), with ``x``'s shape and dtype (float64 for
        integer or bool input).

    Raises:
        AxisError: if ``axis`` is out of range (a 0-d ``x`` has no axis).

    Example:
        >>> log_softmax([0.0, 0.0])
        array([-0.69314718, -0.69314718])
        >>> log_softmax([0.0, -300.0])  # log(1 - 5.1e-131): np.log(softmax) gives 0 there
        array([-5.14820022e-131, -3.00000000e+002])

    Notes:
        ``np.log(softmax(x))`` loses the tail where ``p`` rounds to 1 (as above) and gives
        ``-inf`` where ``p`` underflows to 0 (``[0, -800]``: the exact value is -800). Limits
        as :func:`softmax`: ``-inf`` entries give ``-inf``; a slice with ``+inf`` entries gives
        ``-log(count)`` to each of them and ``-inf`` to the rest; a slice that is all ``-inf``,
        or holds a NaN, gives NaN; no floating-point warning for any input. Accuracy measured
        against mpmath beyond the rounding of ``x_i - m`` (the reference starts from the rounded
        differences, as for softmax): float64 within 4 ULP of ``|x_i - m| + logsumexp`` (which
        is ``|log p_i|``: the result's own ULP; 2.11 measured on a dense screen of rows of 2 to
        1000 entries), float32 and float16 within 1 ULP (computed in float64 and rounded once).
        The others' sum is rounded once in float64 (the extraction of softmax's row sums, on a
        grid scaled to the slice's second largest term).
    """
    x = as_float_array(x, "log_softmax")
    axis = check_axis(axis, x.ndim, "log_softmax")
    out = np.empty(x.shape, x.dtype)
    for piece in _pieces(x, axis):
        _log_softmax64(x[piece], axis, out=out[piece])
    return out


def _others(x, axis):
    """The pieces log-softmax and its derivatives share, in float64: ``z = x - max``, ``e =
    exp(z)`` with the max's own term (exactly 1) set to 0, ``r`` the sum of those others
    (rounded once for float64 ``x``), where the max is, and which slices are all ``-inf``."""
    z, k, _ = _shifted(x, axis)
    with np.errstate(under="ignore"):
        e = np.exp(z)
    empty = np.take_along_axis(z, k, axis=axis) == -np.inf  # all -inf: no distribution
    np.put_along_axis(e, k, 0.0, axis=axis)
    if x.dtype == np.float64 and e.shape[axis]:
        # _signed_row_sum's grid, scaled to the largest term (the slice's second largest), for
        # terms >= 0: its max alone bounds them. Sums as small as exp(-700) keep half an ULP.
        bound = np.max(e, axis=axis, keepdims=True)  # in [0, 1], or NaN
        growth = math.ceil(math.log2(e.shape[axis])) + 1
        sigma = np.ldexp(1.0, np.frexp(bound)[1] + growth)
        with np.errstate(invalid="ignore", under="ignore"):
            r = _extracted_sum(e, sigma, axis)
    else:  # float16/32 results are rounded 2**29 times coarser: np.sum is plenty
        r = np.sum(e, axis=axis, keepdims=True)
    return z, e, r, k, empty


def _log_softmax64(x, axis, out):
    """Log-softmax of ``x`` (float16/32/64) along ``axis``: in float64, rounded once into out."""
    if x.shape[axis] == 0:
        return
    z, _, r, _, empty = _others(x, axis)
    with np.errstate(under="ignore"):  # NumPy's baseline log1p flags a subnormal r: log1p(r) = r
        lse = np.log1p(r)  # r >= 0, or NaN
    lse[empty] = np.nan
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        # -inf - NaN (a NaN slice) is NaN quietly; float16 results beyond -65504 are -inf
        if out.dtype == np.float64:
            _per_slice(np.subtract, z, lse, axis, out=out)
        else:
            out[...] = _per_slice(np.subtract, z, lse, axis, out=z)


class LogSoftmax(Activation):
    r"""Log-softmax along ``axis`` as an activation object; see :func:`log_softmax`.

    Example:
        >>> act = LogSoftmax()
        >>> act
        LogSoftmax(axis=-1)
        >>> act.gradient([0.0, 0.0])
        array([[ 0.5, -0.5],
               [-0.5,  0.5]])
        >>> act.backward([0.0, 0.0], [1.0, 0.0])
        array([ 0.5, -0.5])
    """

    name = "LogSoftmax"

    def __init__(self, axis=-1):
        self.axis = integer_axis(axis, "LogSoftmax")

    def _params(self):
        return {"axis": self.axis}

    def __call__(self, x):
        return log_softmax(x, self.axis)

    def gradient(self, x):
        r"""The full Jacobian along ``axis``: shape ``x.shape + (n,)``.

        .. math::

            J_{ij} = \frac{\partial \log p_i}{\partial x_j} = \delta_{ij} - p_j

        ``J[..., i, ..., j]`` has ``i`` at position ``axis`` and ``j`` last, as
        :meth:`Softmax.gradient`. The diagonal's ``1 - p_k`` of the largest entry is taken as
        ``r / (1 + r)`` from the others' sum ``r``, so it does not cancel to 0 when ``p_k``
        rounds to 1 (``x = [0, -40]``: 4.2e-18, not 0). Accuracy measured against mpmath:
        float64 within 4 ULP (1.58 measured), float32 and float16 within 1 ULP (computed in
        float64 and rounded once). Use :meth:`backward` in a network: O(n) per slice where this
        is O(n^2).

        >>> LogSoftmax().gradient([0.0, -40.0])
        array([[ 4.24835426e-18, -4.24835426e-18],
               [-1.00000000e+00,  1.00000000e+00]])
        """
        x = as_float_array(x, "LogSoftmax.gradient")
        axis = check_axis(self.axis, x.ndim, "LogSoftmax.gradient")
        xl = np.moveaxis(x, axis, -1)
        n = xl.shape[-1]
        if n == 0:
            return np.empty(x.shape + (0,), x.dtype)
        _, e, r, k, empty = _others(xl, -1)
        s = 1.0 + r
        np.put_along_axis(e, k, 1.0, axis=-1)
        with np.errstate(invalid="ignore", under="ignore", over="ignore"):
            p = e / s  # softmax, as _softmax64 computes it
            p[np.broadcast_to(empty, p.shape)] = np.nan
            jac = np.broadcast_to(-p[..., None, :], xl.shape + (n,)).copy()
            diagonal = np.arange(n)
            jac[..., diagonal, diagonal] += 1.0  # 1 - p_i: p_i <= 1/2 but for the largest
            # the largest entry's 1 - p_k = r / s, without the cancellation of 1 - p_k
            one_minus = r / s
            one_minus[empty] = np.nan
            rows = np.broadcast_to(k[..., None], xl.shape[:-1] + (1, 1))
            diag = np.take_along_axis(jac, rows, axis=-2)  # row k
            np.put_along_axis(diag, k[..., None], one_minus[..., None], axis=-1)
            np.put_along_axis(jac, rows, diag, axis=-2)
            return np.moveaxis(jac, -2, axis).astype(x.dtype, copy=False)

    def backward(self, x, grad_output):
        r"""The vector-Jacobian product :math:`J^\top g` in O(n) per slice, without :math:`J`.

        .. math::

            (J^\top g)_j = \sum_i g_i (\delta_{ij} - p_j) = g_j - p_j \sum_i g_i

        For the largest entry ``k`` (whose ``p_k`` may be 1 to many digits), ``g_k - p_k sum g``
        would cancel and lose everything; it is computed as ``(g_k r - sum_{i != k} g_i) / (1 +
        r)`` with ``r`` the others' sum, which is the same number. ``p_j sum g`` for a ``p_j``
        that is subnormal (``x_j - max < -708``) is kept as ``exp_split``'s ``m 2**k`` and scaled
        once, so it is not rounded to the few bits of a subnormal first. Slices where the sum of
        ``g`` could overflow (some ``|g_i|`` beyond ``2**1000 / n``) are computed with ``g``
        scaled by ``2**-128``. Accuracy measured against mpmath in units of
        ``eps * sum_i |J_ij g_i|`` (the VJP's own conditioning, as for softmax): float64 within
        4 (2.30 measured on a dense screen), float32 and float16 within 1 (computed in float64
        and rounded once; the sums of float64 input rounded once each).

        >>> LogSoftmax().backward([0.0, -40.0], [1.0, 0.0])
        array([ 4.24835426e-18, -4.24835426e-18])
        """
        x = as_float_array(x, "LogSoftmax.backward")
        g = as_grad_output(grad_output, x, "LogSoftmax.backward")
        axis = check_axis(self.axis, x.ndim, "LogSoftmax.backward")
        out = np.empty(x.shape, x.dtype)
        for piece in _pieces(x, axis):
            _log_softmax_vjp64(x[piece], g[piece], axis, out=out[piece])
        return out


_LOG_TINY = -708.0  # exp(z) is a normal float64 above about -708.4


def _log_softmax_vjp64(x, g, axis, out, scaled=False):
    """``g - p * sum(g)`` along ``axis`` in float64, rounded once into ``out``; see
    :meth:`LogSoftmax.backward`."""
    if x.shape[axis] == 0:
        return
    z, e, r, k, empty = _others(x, axis)
    s = 1.0 + r
    gw = g.astype(np.float64)  # a copy: its k-th entries are zeroed below
    g_k = np.take_along_axis(gw, k, axis=axis)
    np.put_along_axis(gw, k, 0.0, axis=axis)
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        if x.dtype == np.float64:
            rest, bound = _signed_row_sum(gw, axis)  # sum_{i != k} g_i, rounded once
            bound = np.maximum(bound, np.abs(g_k))
        else:
            rest = np.sum(gw, axis=axis, keepdims=True)
            bound = np.zeros_like(rest)
        c = (rest + g_k) / s  # sum(g) / s: p_j sum(g) = e_j c
        np.multiply(e, c, out=e)
        if x.dtype == np.float64 and x.size:
            far = z < _LOG_TINY
            if far.any():  # e_j subnormal or 0: e_j c as m 2**k, rounded once
                m, kk = exp_split(z[far])
                e[far] = np.ldexp(m * np.broadcast_to(c, z.shape)[far], kk)
        np.put_along_axis(gw, k, g_k, axis=axis)
        top = (g_k * r - rest) / s  # the largest entry, without cancellation
        res = out if out.dtype == np.float64 else gw
        np.subtract(gw, e, out=res)  # g_j - p_j sum(g)
        np.put_along_axis(res, k, top, axis=axis)
        if empty.any():
            res[np.broadcast_to(empty, res.shape)] = np.nan
        if res is not out:
            out[...] = res  # float16/32: rounded once as it is stored
    # the sum of g may overflow (or g holds NaN or inf): those slices are redone scaled
    suspect = ~(bound < 2.0**1000 / (x.shape[axis] + 1))
    if x.dtype == np.float64 and not scaled and suspect.any():
        _log_softmax_redo_scaled(x, g, suspect, axis, out)


def _log_softmax_redo_scaled(x, g, suspect, axis, out):
    """The slices whose ``g`` could overflow its sum, with ``g`` scaled by ``2**-128`` (the VJP
    is linear in ``g``) and the result scaled back: a result beyond the largest float is then
    inf, its correct rounding. Slices with a NaN or inf in ``g`` keep what they have."""
    gs = np.moveaxis(g, axis, -1)
    rows = np.moveaxis(suspect, axis, -1)[..., 0] & np.isfinite(gs).all(axis=-1)
    if not rows.any():
        return
    xs = np.moveaxis(x, axis, -1)[rows]
    ys = np.empty(xs.shape)
    with np.errstate(under="ignore"):  # subnormal g lose bits: nothing against 2**1000 / n
        gs = np.ldexp(gs[rows].astype(np.float64), -_DOWN)
    _log_softmax_vjp64(xs, gs, 1, ys, scaled=True)
    with np.errstate(over="ignore"):
        np.moveaxis(out, axis, -1)[rows] = np.ldexp(ys, _DOWN)
