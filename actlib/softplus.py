"""The smooth ReLU and its relatives: softplus, log-sigmoid and softsign."""

import math
from fractions import Fraction
from functools import partial

import numpy as np

from ._base import Activation, as_float_array, as_result, blockwise, check_real_param, exp_split
from ._scaled_exp import ScaledExp, check_scale, is_power_of_two, scale_pow2

# sigma(x) = e^x / (1 + e^x) is a normal float64 for x > -708.39 (e^-708.39 = 2**-1022).
_LOG_TINY = 708.0


def _softplus_pow2(beta, far, x, out, t, u):
    # softplus(x) = max(x, 0) + log1p(e^(-beta |x|)) / beta: the exponential never exceeds 1,
    # the logarithm's argument 1 + e never cancels, and the sum adds two terms of one sign.
    # beta is a power of two, so beta |x| and the division are exact (or +-inf, 0, subnormal).
    np.abs(x, out=t)
    if beta == 1.0:
        np.negative(t, out=t)
    else:
        t *= -beta
    np.exp(t, out=t)
    np.log1p(t, out=t)
    if beta != 1.0:
        t *= 1.0 / beta
    np.clip(x, 0.0, np.inf, out=u)
    np.add(u, t, out=out)
    if far is not None:
        _far_left(x, out, *far)


def _softplus_scaled(beta, se, far, x, out, a, k, r):
    # The same, with e^(-beta |x|) = 2**k e^r reduced in x's units: rounding beta |x| first
    # would cost up to beta |x| / 2 ULP (actlib/_scaled_exp.py).
    np.abs(x, out=a)
    np.negative(a, out=a)
    se.reduce(a, k, r)
    np.exp(r, out=r)
    scale_pow2(r, k, a)  # e^(-beta |x|), rounded once
    np.log1p(a, out=a)
    a /= beta
    np.clip(x, 0.0, np.inf, out=r)
    np.add(r, a, out=out)
    if far is not None:
        _far_left(x, out, *far)


def _far_left(x, out, threshold, split, beta):
    # beta < 1, x < -708.39 / beta: e^(beta x) is subnormal, with few bits, and dividing it by
    # beta would magnify its rounding error by 1 / beta. softplus(x) = e^(beta x) / beta there
    # (log1p(e) = e to far below a ULP): scale the significand first, then round once.
    if not np.fmin.reduce(x) < threshold:
        return
    far = x < threshold
    m, k = split(x[far])
    out[far] = np.ldexp(m / beta, k)


def _softplus_narrow(beta, x, out, t, u):
    # float16/32 in float64: beta |x| rounded errs by beta |x| 2**-53 relative in the
    # exponential, at most about 2**-45 where the result is still a float32: far below 1/2 ULP.
    np.abs(x, out=t)
    t *= -beta  # -inf past the float64 maximum: e^-inf = 0 (the caller ignores the overflow)
    np.exp(t, out=t)
    np.log1p(t, out=t)
    t /= beta
    np.clip(x, 0.0, np.inf, out=u)
    np.add(u, t, out=out)


def _sigmoid_scaled(beta, se, sign, x, out, a, k, r):
    # sigma(s beta x), s = +-1, as n / (1 + e) with e = e^(-beta |x|) and n = 1 on the side where
    # s x >= 0, e on the other: no overflow, no cancellation. Without the sigmoid's refinement
    # step (within 2.5 ULP, under the derivative's bar of 4).
    np.abs(x, out=a)
    np.negative(a, out=a)
    if se is None:
        if beta != 1.0:
            a *= beta
        np.exp(a, out=a)
    else:
        se.reduce(a, k, r)
        np.exp(r, out=r)
        scale_pow2(r, k, a)
    step = np.greater_equal(x, 0.0) if sign > 0 else np.less_equal(x, 0.0)
    np.maximum(a, step, out=r)  # the numerator; NaN at NaN
    a += 1.0
    np.divide(r, a, out=out)


def _sigmoid_narrow(beta, sign, x, out, t, _k, _r):
    # float16/32 in float64: 1 / (1 + e^(-s beta x)); e^... = inf past 709.78 gives 0, right.
    np.multiply(x, -sign * beta, out=t)
    np.exp(t, out=t)
    t += 1.0
    np.divide(1.0, t, out=out)


def _check_beta(beta, name):
    return check_scale(check_real_param(beta, name, "beta"), name, "beta")


class _SoftplusKernels:
    """The forward and derivative kernels for one ``beta``, chosen once."""

    def __init__(self, beta):
        self.beta = beta
        self.pow2 = is_power_of_two(beta)
        self.exp = None if self.pow2 else ScaledExp(1 / Fraction(beta))
        # beta < 1: the left tail far out needs _far_left (see there)
        self.far = (-_LOG_TINY / beta, self.split, beta) if beta < 1.0 else None

    def split(self, x):
        """``e^(beta x)`` as ``(m, k)``, ``m <= 0.71``, for ``x <= 0``."""
        if self.pow2:
            return _pow2_split(self.beta, x)
        return self.exp.split(x)

    def forward(self, x):
        if x.dtype != np.float64:
            kernel, scratch = partial(_softplus_narrow, self.beta), 2
        elif self.pow2:
            kernel, scratch = partial(_softplus_pow2, self.beta, self.far), 2
        else:
            kernel, scratch = partial(_softplus_scaled, self.beta, self.exp, self.far), 3
        with np.errstate(over="ignore"):  # see the kernels: beta |x| = inf, a float16 overflow
            return as_result(blockwise(kernel, x, scratch=scratch))

    def sigmoid(self, x, sign):
        """``sigma(sign * beta * x)``, the derivative of softplus (sign 1) or log-sigmoid (-1)."""
        if x.dtype != np.float64:
            kernel = partial(_sigmoid_narrow, self.beta, sign)
        else:
            kernel = partial(_sigmoid_scaled, self.beta, self.exp, sign)
        with np.errstate(over="ignore"):
            return as_result(blockwise(kernel, x, scratch=3))


def _pow2_split(beta, x):
    with np.errstate(over="ignore"):  # beta x = -inf for a huge x: m = 0, right
        return exp_split(beta * np.asarray(x, dtype=np.float64))


def softplus(x, beta=1.0):
    r"""Softplus, the smooth ReLU, elementwise.

    .. math::

        \operatorname{softplus}(x) = \frac{1}{\beta}\log\bigl(1 + e^{\beta x}\bigr)
            = \max(x, 0) + \frac{1}{\beta}\log\bigl(1 + e^{-\beta |x|}\bigr), \qquad
        \operatorname{softplus}'(x) = \sigma(\beta x)

    As :math:`\beta \to \infty` it tends to ReLU; its derivative is the sigmoid.

    Args:
        x: array_like of real numbers, any shape.
        beta: the sharpness :math:`\beta`; a real number between ``2**-1000`` and ``2**1000``.
            Default 1.0, as PyTorch.

    Returns:
        ``softplus(x)`` with ``x``'s shape and dtype (float64 for integer or bool input).

    Raises:
        TypeError: if ``beta`` is not a real number (a bool, a string, ``None``).
        ValueError: if ``beta`` is not positive (it divides) or lies outside
            ``[2**-1000, 2**1000]``.

    Example:
        >>> softplus([-40.0, 0.0, 30.0, 1000.0])
        array([4.24835426e-18, 6.93147181e-01, 3.00000000e+01, 1.00000000e+03])
        >>> float(softplus(30.0) - 30.0)  # log1p(e^-30) = 9.36e-14, kept to a ULP of 30
        9.237055564881302e-14

    Notes:
        The naive ``np.log(1 + np.exp(x))`` overflows for ``x > 709.78`` and returns 0 for
        ``x < -36.7``, where ``1 + e^x`` rounds to 1 (the true value is ``e^x``, a normal
        float down to ``x = -708``). The second form above never overflows and keeps both tails.

        No ``threshold``: PyTorch's ``softplus(x, beta=1, threshold=20)`` returns ``x`` itself
        once ``beta * x > 20``, dropping ``log1p(e^-20) / beta = 2.06e-9``: 5.8e5 ULP of float64
        just above ``x = 20`` (5.2e5 at 20.1, 3.9e3 at 25; a thousandth of a float32 ULP, so
        only float64 notices; notebook 07's deep dive measures it). The exact form costs no
        more here: it is what the kernel computes everywhere.

        For a ``beta`` that is not a power of two, rounding ``beta * x`` before the
        exponential would cost up to ``beta |x| / 2`` ULP in the left tail (softplus there
        is ``e^(beta x) / beta``); the float64 path reduces the exponential's argument in
        ``x``'s units (``actlib/_scaled_exp.py``), and for ``beta < 1`` scales the tail's
        significand by ``1 / beta`` before rounding it into the subnormals.
        Accuracy, against mpmath over the whole float range and a dense screen, on NumPy's
        AVX-512 and baseline kernels: float64 within 3 ULP (1.62 measured for ``beta`` = 1,
        2.29 for 10), float32 and float16 within 1 ULP, for ``beta`` = 1, 0.5 and 10 (the tests'
        values; any beta in range by a property test).
    """
    b = _check_beta(beta, "softplus")
    x = as_float_array(x, "softplus")
    return _SoftplusKernels(b).forward(x)


class Softplus(Activation):
    r"""Softplus as an activation object; see :func:`softplus`. No ``threshold`` (PyTorch's
    ``threshold=20`` cut-over to ``x`` costs 5.8e5 ULP in float64; see :func:`softplus`).

    Example:
        >>> act = Softplus(beta=2.0)
        >>> act
        Softplus(beta=2.0)
        >>> act.gradient([-1.0, 0.0, 1.0])
        array([0.11920292, 0.5       , 0.88079708])
    """

    name = "Softplus"

    def __init__(self, beta=1.0):
        self.beta = _check_beta(beta, "Softplus")
        self._kernels = _SoftplusKernels(self.beta)
        self.normal_gradient_range = (-_LOG_TINY / self.beta, math.inf)

    def _params(self):
        return {"beta": self.beta}

    def __call__(self, x):
        return self._kernels.forward(as_float_array(x, "softplus"))

    def _gradient_tail(self, x):
        return self._kernels.split(x)

    def gradient(self, x):
        r"""The derivative, the sigmoid of :math:`\beta x`:

        .. math::

            \operatorname{softplus}'(x) = \sigma(\beta x) = \frac{n}{1 + e}, \qquad
            e = e^{-\beta|x|}, \quad n = \begin{cases} 1 & x \ge 0 \\ e & x < 0 \end{cases}

        float64 within 4 ULP (2.46 measured), float32 and float16 within 1 ULP. PyTorch's
        backward switches to 1 past its threshold (``beta * x > 20``), where the derivative is
        :math:`1 - 2\cdot10^{-9}` (1.9e7 ULP off in float64).

        >>> Softplus().gradient([-800.0, 0.0, 40.0])
        array([0. , 0.5, 1. ])
        """
        x = as_float_array(x, "Softplus.gradient")
        return self._kernels.sigmoid(x, 1)


_LOGSIG = _SoftplusKernels(1.0)


def _log_sigmoid_kernel(x, out, t, u):
    # log sigma(x) = min(x, 0) - log1p(e^-|x|): -softplus(-x), both terms <= 0.
    np.abs(x, out=t)
    np.negative(t, out=t)
    np.exp(t, out=t)
    np.log1p(t, out=t)
    np.clip(x, -np.inf, 0.0, out=u)
    np.subtract(u, t, out=out)


def log_sigmoid(x):
    r"""The logarithm of the sigmoid, elementwise, without overflow or lost tails.

    .. math::

        \log\sigma(x) = -\log\bigl(1 + e^{-x}\bigr)
            = \min(x, 0) - \log\bigl(1 + e^{-|x|}\bigr) = -\operatorname{softplus}(-x),
        \qquad (\log\sigma)'(x) = \sigma(-x) = 1 - \sigma(x)

    It is the log-likelihood of a label 1 under a logistic model with logit ``x``: binary
    cross-entropy with logits is ``-log_sigmoid(x)`` for label 1 and ``-log_sigmoid(-x)``
    for label 0.

    Args:
        x: array_like of real numbers, any shape.

    Returns:
        ``log(sigmoid(x))`` with ``x``'s shape and dtype (float64 for integer or bool input).

    Example:
        >>> log_sigmoid([-1000.0, 0.0, 40.0])
        array([-1.00000000e+03, -6.93147181e-01, -4.24835426e-18])

    Notes:
        ``np.log(sigmoid(x))`` is ``-inf`` once ``sigmoid(x)`` underflows (``x < -745``, where
        the answer is about ``x``), has no correct digit from ``x = 36.7`` on and is 0 past
        ``x = 37.4``, where ``sigmoid(x)`` rounds to 1 and the answer is ``-e^-x``. Accuracy,
        against mpmath over the whole float range: float64 within 3 ULP (1.68 measured), float32
        and float16 within 1 ULP.
    """
    x = as_float_array(x, "log_sigmoid")
    return as_result(blockwise(_log_sigmoid_kernel, x, scratch=2))


class LogSigmoid(Activation):
    r"""The log-sigmoid as an activation object; see :func:`log_sigmoid`.

    Example:
        >>> act = LogSigmoid()
        >>> act.gradient([-40.0, 0.0, 40.0])
        array([1.00000000e+00, 5.00000000e-01, 4.24835426e-18])
    """

    name = "LogSigmoid"
    # sigma(-x) is a normal float64 for x < 708.39
    normal_gradient_range = (-math.inf, _LOG_TINY)

    def __call__(self, x):
        return log_sigmoid(x)

    def _gradient_tail(self, x):
        return exp_split(-np.asarray(x, dtype=np.float64))

    def gradient(self, x):
        r"""The derivative :math:`\sigma(-x) = n / (1 + e)`, :math:`e = e^{-|x|}`, ``n = 1`` for
        ``x <= 0`` and ``e`` for ``x > 0``: ``1 - sigmoid(x)`` has no correct digit from
        ``x = 36.7`` on and is 0 past 37.4. float64 within 4 ULP (2.41 measured), float32 and
        float16 within 1 ULP.

        >>> LogSigmoid().gradient([800.0])
        array([0.])
        """
        x = as_float_array(x, "LogSigmoid.gradient")
        return _LOGSIG.sigmoid(x, -1)


# 1 / (1 + |x|)^2 is a normal float64 for |x| < 2**511
_SOFTSIGN_NORMAL = 2.0**511
_SOFTSIGN_CLIP = 2.0**53


def _softsign_kernel(x, out, c, u):
    # x / (1 + |x|) with x clipped to +-2**53 first: +-inf give +-1 rather than inf / inf, and
    # past 2**53 the quotient is +-1, within 1 ULP of the exact value (which rounds to
    # 1 - 2**-53 below 2**54); unclipped, 1 + |x| rounds up there and 2**53 + 2 gave 1 - 2**-52
    # where 6e15 gave 1 - 2**-53. (Below 2**53, where 1 + |x| rounds, the quotient can still
    # step down by one ULP between neighbouring x: within the bars, as any result that is not
    # correctly rounded may.)
    np.clip(x, -_SOFTSIGN_CLIP, _SOFTSIGN_CLIP, out=c)
    np.abs(c, out=u)
    u += 1.0
    np.divide(c, u, out=out)


def _softsign_gradient_kernel(x, out, t, u):
    # q = (1 / d) / d with d = 1 + |x|: the reciprocal first, so that nothing overflows (d * d
    # would be inf past 1.3e154, where the derivative is still a float). Relative error at most
    # 4 u (u = 2**-53): d's rounding, doubled by the square, and the two divisions', which add
    # without doubling: under 4 ULP in float64 (3.0 on dense screens), and far below half a
    # float32 ULP for float16/32, rounded once.
    r = out if out.dtype == np.float64 else u
    np.abs(x, out=t)
    t += 1.0
    np.divide(1.0, t, out=r)
    np.divide(r, t, out=out)


def _softsign_gradient_corrected64(x, out, a, d, v):
    # For backward in float64, whose product with g adds another u: q = (1 / d) / d corrected
    # for lo = (1 + |x|) - d, exact by Fast2Sum of the larger and the smaller of |x| and 1:
    # 1 / (d + lo)^2 = q (1 - 2 lo / d) to first order. Relative error about 2 u, so g times it
    # stays within 3 ULP (2.84 on a dense screen; g times (1/d)^2 reached 4.2, (1/d)/d 3.3).
    np.abs(x, out=a)
    np.clip(a, 1.0, 2.0**600, out=d)  # the larger (inf: 2**600, whose 1 / d^2 is 0 too)
    np.clip(a, 0.0, 1.0, out=a)  # the smaller
    np.add(d, a, out=v)  # 1 + |x| rounded
    np.subtract(v, d, out=d)
    np.subtract(a, d, out=a)  # lo, exact
    np.divide(1.0, v, out=d)  # 1 / d
    np.multiply(a, d, out=a)  # lo / d
    np.divide(d, v, out=v)  # q = 1 / d^2, within 1 ULP
    np.multiply(a, v, out=a)
    a += a
    np.subtract(v, a, out=out)


def softsign(x):
    r"""Softsign, elementwise (Bergstra et al. 2009).

    .. math::

        \operatorname{softsign}(x) = \frac{x}{1 + |x|}, \qquad
        \operatorname{softsign}'(x) = \frac{1}{(1 + |x|)^2}

    Like tanh it maps the line onto (-1, 1), but it approaches :math:`\pm 1` polynomially,
    :math:`1 - 1/|x|`, where tanh's tails close exponentially: its gradient dies far more slowly.

    Args:
        x: array_like of real numbers, any shape.

    Returns:
        ``softsign(x)`` with ``x``'s shape and dtype (float64 for integer or bool input).

    Example:
        >>> softsign([-np.inf, -1.0, 0.0, 3.0])
        array([-1.  , -0.5 ,  0.  ,  0.75])

    Notes:
        The naive ``x / (1 + np.abs(x))`` gives NaN at ``+-inf`` (inf / inf), with an "invalid"
        warning; here those entries get their limits ``+-1``, silently. ``x`` is clipped to
        ``+-2**53`` first: past it the result is ``+-1`` (within 1 ULP; the exact value rounds to
        ``1 - 2**-53`` below ``2**54``), where unclipped ``1 + |x|`` rounds up and the quotient
        jumps between ``1`` and ``1 - 2**-52``. Below, where ``1 + |x|`` rounds, the result can
        step down by one ULP between neighbouring inputs, within the accuracy bar.
        Accuracy, against mpmath: float64 within 3 ULP (1.47 measured), float32 and float16
        within 1 ULP.
    """
    x = as_float_array(x, "softsign")
    return as_result(blockwise(_softsign_kernel, x, scratch=2))


class Softsign(Activation):
    r"""Softsign as an activation object; see :func:`softsign`.

    Example:
        >>> act = Softsign()
        >>> act([1.0]), act.gradient([-1.0, 0.0, 1.0])
        (array([0.5]), array([0.25, 1.  , 0.25]))
    """

    name = "Softsign"
    normal_gradient_range = (-_SOFTSIGN_NORMAL, _SOFTSIGN_NORMAL)

    def __call__(self, x):
        return softsign(x)

    def _gradient_tail(self, x):
        # |x| >= 2**511: 1 + |x| = |x| = M 2**e, 1/2 <= M < 1, and 1/x^2 = (1/M)^2 / 4 * 2**(2 - 2e)
        significand, e = np.frexp(np.abs(np.asarray(x, dtype=np.float64)))
        r = 1.0 / significand  # 0 at inf
        return r * r * 0.25, 2 - 2 * e.astype(np.int64)

    def _gradient_for_backward(self, x):
        return as_result(blockwise(_softsign_gradient_corrected64, x, scratch=3))

    def gradient(self, x):
        r"""The derivative :math:`1 / (1 + |x|)^2`.

        With ``d = 1 + |x|`` rounded, this computes ``(1 / d) / d`` (``d * d`` overflows past
        1.3e154, where the derivative is still a float): its relative error is at most 4 units
        of ``2**-53``, under the 4-ULP bar in float64; float32 and float16 are computed in
        float64 and rounded once (within 1 ULP). ``backward`` multiplies by ``g``, one rounding
        more, so there the float64 derivative is also corrected for the rounding of ``d``,
        recovered exactly (8 passes more): without it, ``g`` times ``(1 / d)^2`` reached 4.2 ULP
        on a dense screen. Beyond ``|x| = 2**511`` the float64 derivative is subnormal, and
        ``backward`` keeps it as ``m * 2**k`` for large incoming gradients.

        >>> Softsign().gradient([1e160])
        array([1.e-320])
        """
        x = as_float_array(x, "Softsign.gradient")
        return as_result(blockwise(_softsign_gradient_kernel, x, scratch=2))
