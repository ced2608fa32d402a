"""The exponential linear units: ELU, SELU and CELU."""

import math
from fractions import Fraction
from functools import partial

import numpy as np

from ._base import (
    Activation,
    as_float_array,
    as_result,
    blockwise,
    check_real_param,
    clip,
    exp_split,
)
from ._scaled_exp import ScaledExp, check_scale, is_power_of_two, scale_pow2

# SELU's constants (Klambauer et al. 2017), the floats nearest to the solutions of the
# fixed-point equations E[selu(z)] = 0, E[selu(z)^2] = 1 for z ~ N(0, 1) (notebook 06 derives
# them with mpmath: alpha = 1.67326324235437728481704299167165..., lambda = 1.05070098735548049
# 341933498529460...). PyTorch's literals round to the same floats.
SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805
# lambda * alpha rounded once from the exact product: 1.7580993408473768. PyTorch multiplies the
# two floats, which gives 1.7580993408473766, one ULP below.
_SELU_NEG = 1.7580993408473768
# -log of the smallest normal float64, less a margin: c e^x is a normal float for
# x >= -_LOG_TINY - log|c| (e^-708.39 = 2**-1022).
_LOG_TINY = 708.0


def _exp_linear_kernel(scale, neg, x, out, t, u):
    # f = scale * max(x, 0) + neg * expm1(min(x, 0)): for x > 0 the second term is 0 and for
    # x <= 0 the first, so the sum adds an exact 0 and rounds once (into float16/32 too).
    # Branch-free: np.where would evaluate both sides and cost several times more.
    clip(x, -np.inf, 0.0, t)  # min(x, 0), -0 at -0: elu(-0) is alpha * expm1(-0), -0 for alpha > 0
    np.expm1(t, out=t)  # -1 at -inf, NaN at NaN; never overflows
    if neg != 1.0:
        t *= neg
    clip(x, 0.0, np.inf, u)  # max(x, 0), NaN at NaN; faster than np.maximum(x, 0.0)
    if scale != 1.0:
        u *= scale  # SELU: lambda * x, +inf past the float maximum (the caller ignores it)
    np.add(u, t, out=out)


def _exp_linear_gradient_kernel(pos, neg, x, out, t, u):
    # f'(x) = pos for x > 0, neg * e^x for x <= 0 (PyTorch's side at 0). e^min(x, 0) is 1 for
    # x > 0, so neg * e^min(x, 0) is neg there, and adding (pos - neg) [x > 0] turns it into pos:
    # pos - neg is exact and neg + (pos - neg) == pos (checked by the caller).
    np.clip(x, -np.inf, 0.0, out=t)
    np.exp(t, out=t)
    if neg != 1.0:
        t *= neg
    if pos == neg:
        np.copyto(out, t, casting="same_kind")
        return
    np.greater(x, 0.0, out=u)  # 1.0 or 0.0 (NaN: 0, and t is NaN)
    u *= pos - neg
    np.add(t, u, out=out)


def _exp_linear_gradient_masked(pos, neg, x, out, t, u):
    # For slopes where neg + (pos - neg) is not exactly pos (ELU with an alpha beyond [1/2, 2]):
    # the same, the positive side written over.
    np.clip(x, -np.inf, 0.0, out=t)
    np.exp(t, out=t)
    t *= neg
    np.copyto(t, pos, where=np.greater(x, 0.0))
    np.copyto(out, t, casting="same_kind")


def _exp_linear_gradient(x, pos, neg, name):
    x = as_float_array(x, name)
    exact = neg + (pos - neg) == pos
    kernel = _exp_linear_gradient_kernel if exact else _exp_linear_gradient_masked
    with np.errstate(over="ignore"):  # an alpha beyond float16/32's range: inf, right
        return as_result(blockwise(partial(kernel, pos, neg), x, scratch=2))


def _gradient_range(coef):
    """Where ``coef * e^x`` is a normal float64: ``(lo, inf)``, or None if it is always 0."""
    if coef == 0:
        return None
    return (-_LOG_TINY - math.log(abs(coef)), math.inf)


def _scaled_exp_tail(coef, x):
    """``coef * e^x`` as ``(m, k)``, ``|m| <= 0.71``, for the backward pass far left."""
    m, k = exp_split(x)
    c, e = math.frexp(coef)  # coef = c 2**e, 1/2 <= |c| < 1
    return m * c, k + e


def elu(x, alpha=1.0):
    r"""Exponential linear unit, elementwise (Clevert et al. 2015).

    .. math::

        \operatorname{elu}(x) = \begin{cases} x & x > 0 \\
            \alpha\,(e^{x} - 1) & x \le 0 \end{cases}, \qquad
        \operatorname{elu}'(x) = \begin{cases} 1 & x > 0 \\ \alpha\,e^{x} & x \le 0 \end{cases}

    Args:
        x: array_like of real numbers, any shape.
        alpha: the value :math:`-\alpha` the unit saturates to as :math:`x \to -\infty`; any
            finite real. Default 1.0, as in PyTorch, JAX and Keras.

    Returns:
        ``elu(x)`` with ``x``'s shape and dtype (float64 for integer or bool input).

    Raises:
        TypeError: if ``alpha`` is not a real number (a bool, a string, ``None``).
        ValueError: if ``alpha`` is not finite.

    Example:
        >>> elu([-1000.0, -1e-20, 0.0, 2.0])
        array([-1.e+00, -1.e-20,  0.e+00,  2.e+00])

    Notes:
        The negative side is ``alpha * expm1(x)``: the textbook ``alpha * (np.exp(x) - 1)``
        subtracts two nearly equal numbers near 0 and returns 0 for ``|x| < 1.1e-16``
        (``-1e-20`` above is exact here) and millions of ULP off a little further out; and
        ``np.where(x > 0, x, np.exp(x) - 1)`` evaluates ``np.exp(x)`` for the positive ``x``
        too, which overflows past 709.78. PyTorch's CPU kernel computes ``exp(x) - 1`` too.
        NaN propagates; ``-inf`` gives ``-alpha``, ``+inf`` gives ``+inf``.
        Accuracy, measured against mpmath over the whole float range and a dense screen, on
        NumPy's AVX-512 and baseline kernels: float64 within 3 ULP (0.76 measured: ``expm1`` and
        one rounding of the product), float32 and float16 within 1 ULP (computed in float64,
        rounded once; 0.5 measured).
    """
    a = check_real_param(alpha, "elu", "alpha")
    x = as_float_array(x, "elu")
    with np.errstate(over="ignore"):  # an alpha beyond float16/32's range: -inf, right
        return as_result(blockwise(partial(_exp_linear_kernel, 1.0, a), x, scratch=2))


class ELU(Activation):
    r"""Exponential linear unit as an activation object; see :func:`elu`.

    Example:
        >>> act = ELU(alpha=0.5)
        >>> act
        ELU(alpha=0.5)
        >>> act([-np.inf, 0.0, 3.0]), act.gradient([-1.0, 0.0, 3.0])
        (array([-0.5,  0. ,  3. ]), array([0.18393972, 0.5       , 1.        ]))
    """

    name = "ELU"

    def __init__(self, alpha=1.0):
        self.alpha = check_real_param(alpha, "ELU", "alpha")
        self.normal_gradient_range = _gradient_range(self.alpha)

    def _params(self):
        return {"alpha": self.alpha}

    def __call__(self, x):
        return elu(x, self.alpha)

    def _gradient_tail(self, x):
        return _scaled_exp_tail(self.alpha, x)

    def gradient(self, x):
        r"""The derivative: 1 for ``x > 0``, :math:`\alpha e^x` for ``x <= 0``, NaN at NaN.

        At the kink we return :math:`\alpha`, the left derivative, as PyTorch's
        ``elu_backward`` does (its test is ``x <= 0``); for :math:`\alpha \ne 1` the derivative
        jumps there (CELU does not). float64 within 4 ULP (1.0 measured), float32 and float16
        within 1 ULP; ``backward`` keeps :math:`\alpha e^x` where it is subnormal in float64
        (``x < -708``) for incoming gradients that make the product a normal float.

        >>> ELU().gradient([-1.0, 0.0, 1.0, np.nan])
        array([0.36787944, 1.        , 1.        ,        nan])
        """
        return _exp_linear_gradient(x, 1.0, self.alpha, "ELU.gradient")


def selu(x):
    r"""Scaled exponential linear unit, elementwise (Klambauer et al. 2017).

    .. math::

        \operatorname{selu}(x) = \lambda \begin{cases} x & x > 0 \\
            \alpha\,(e^{x} - 1) & x \le 0 \end{cases}, \qquad
        \operatorname{selu}'(x) = \begin{cases} \lambda & x > 0 \\
            \lambda \alpha\,e^{x} & x \le 0 \end{cases}

    with :math:`\alpha \approx 1.6732632423543772848`, :math:`\lambda \approx
    1.0507009873554804934`: the solution of :math:`E[\operatorname{selu}(z)] = 0`,
    :math:`E[\operatorname{selu}(z)^2] = 1` for :math:`z \sim N(0, 1)`, so that activations of
    mean 0 and variance 1 keep them through a layer of LeCun-normal weights (notebook 06).

    Args:
        x: array_like of real numbers, any shape.

    Returns:
        ``selu(x)`` with ``x``'s shape and dtype (float64 for integer or bool input).

    Example:
        >>> selu([-np.inf, 0.0, 1.0])
        array([-1.75809934,  0.        ,  1.05070099])

    Notes:
        :data:`SELU_ALPHA` and :data:`SELU_SCALE` are the floats nearest to the exact
        constants, and the negative side's factor :math:`\lambda\alpha` is the exact product
        rounded once (1.7580993408473768; PyTorch multiplies the two rounded floats and gets
        1.7580993408473766). The negative side uses ``expm1``, as :func:`elu`. ``lambda * x``
        overflows to ``+inf`` for ``x`` within 5 per cent of the largest float, silently: that
        is its correct rounding. Accuracy, against mpmath with the exact constants: float64
        within 3 ULP (1.64 measured), float32 and float16 within 1 ULP.
    """
    x = as_float_array(x, "selu")
    with np.errstate(over="ignore"):  # lambda x beyond the float maximum is +inf
        return as_result(blockwise(partial(_exp_linear_kernel, SELU_SCALE, _SELU_NEG), x,
                                   scratch=2))


class SELU(Activation):
    r"""Scaled exponential linear unit as an activation object; see :func:`selu`.

    Example:
        >>> act = SELU()
        >>> act([0.0]), act.gradient([-1.0, 0.0, 1.0])
        (array([0.]), array([0.6467686 , 1.75809934, 1.05070099]))
    """

    name = "SELU"
    normal_gradient_range = _gradient_range(_SELU_NEG)

    def __call__(self, x):
        return selu(x)

    def _gradient_tail(self, x):
        return _scaled_exp_tail(_SELU_NEG, x)

    def gradient(self, x):
        r"""The derivative: :math:`\lambda` for ``x > 0``, :math:`\lambda\alpha e^x` for
        ``x <= 0`` (:math:`\lambda\alpha` at 0, as PyTorch: the derivative jumps there).

        float64 within 4 ULP (1.62 measured), float32 and float16 within 1 ULP.

        >>> SELU().gradient([-800.0, 5.0])
        array([0.        , 1.05070099])
        """
        return _exp_linear_gradient(x, SELU_SCALE, _SELU_NEG, "SELU.gradient")


def _celu_kernel(alpha, inv, small, x, out, t, u):
    # alpha * expm1(x / alpha) for x <= 0, x for x > 0, as _exp_linear_kernel.
    clip(x, -np.inf, 0.0, t)
    if inv is not None:
        t *= inv  # alpha a power of two: x / alpha exactly (a multiplication is faster)
    else:
        t /= alpha  # rounds, but the result's sensitivity to t is below 1 (see celu)
    np.expm1(t, out=t)
    t *= alpha
    clip(x, 0.0, np.inf, u)
    np.add(u, t, out=out)
    if small is not None and np.fmin.reduce(np.abs(x, out=u)) < small:
        # alpha > 4: where x / alpha is subnormal its rounding, scaled back by alpha, would cost
        # up to alpha/2 ULP. There |x / alpha| < 2**-54 and celu(x) = x (1 + x/(2 alpha) + ...)
        # rounds to x itself.
        np.copyto(out, x, where=u < small, casting="same_kind")


def _celu_gradient_pow2(inv, x, out, t):
    # e^(x / alpha), x / alpha exact (or subnormal, where e^t = 1 anyway); 1 for x > 0.
    np.clip(x, -np.inf, 0.0, out=t)
    if inv != 1.0:
        t *= inv
    np.exp(t, out=out)


def _celu_gradient_scaled(se, x, out, a, k, r):
    # e^(x / alpha) as 2**k e^r, without rounding x / alpha (actlib/_scaled_exp.py).
    np.clip(x, -np.inf, 0.0, out=a)
    se.reduce(a, k, r)
    np.exp(r, out=r)
    scale_pow2(r, k, out)


def _celu_gradient_narrow(alpha, x, out, t):
    # float16/32: x / alpha rounded in float64 errs by |x / alpha| * 2**-53 relative, at most
    # about 2**-46 where the result is still a float32 (|x / alpha| < 104): far below 1/2 ULP.
    np.clip(x, -np.inf, 0.0, out=t)
    t /= alpha
    np.exp(t, out=out)


def _check_celu_alpha(alpha, name):
    return check_scale(check_real_param(alpha, name, "alpha"), name, "alpha")


def _celu_forward(x, alpha):
    pow2 = is_power_of_two(alpha)
    inv = 1.0 / alpha if pow2 else None
    small = alpha * 2.0**-54 if alpha > 4 else None
    # x / alpha can overflow to -inf for a tiny alpha (then expm1 gives -1, right), and for a
    # large one underflow to 0 (e^0 - 1 = 0, within the bar of x itself, fixed when alpha > 4).
    with np.errstate(over="ignore"):
        return as_result(blockwise(partial(_celu_kernel, alpha, inv, small), x, scratch=2))


def celu(x, alpha=1.0):
    r"""Continuously differentiable exponential linear unit, elementwise (Barron 2017).

    .. math::

        \operatorname{celu}(x) = \begin{cases} x & x > 0 \\
            \alpha\,(e^{x/\alpha} - 1) & x \le 0 \end{cases}, \qquad
        \operatorname{celu}'(x) = \begin{cases} 1 & x > 0 \\ e^{x/\alpha} & x \le 0 \end{cases}

    Unlike ELU, the derivative is 1 on both sides of 0 for every :math:`\alpha`; for
    :math:`\alpha = 1` the two are the same function.

    Args:
        x: array_like of real numbers, any shape.
        alpha: the saturation value :math:`-\alpha` and the scale of the exponential; a real
            number between ``2**-1000`` and ``2**1000``. Default 1.0, as PyTorch and JAX.

    Returns:
        ``celu(x)`` with ``x``'s shape and dtype (float64 for integer or bool input).

    Raises:
        TypeError: if ``alpha`` is not a real number (a bool, a string, ``None``).
        ValueError: if ``alpha`` is not positive (it divides) or lies outside
            ``[2**-1000, 2**1000]``.

    Example:
        >>> celu([-np.inf, -1.0, 0.0, 2.0], alpha=2.0)
        array([-2.        , -0.78693868,  0.        ,  2.        ])

    Notes:
        ``alpha * expm1(x / alpha)``, with ``expm1`` as in :func:`elu`. Rounding ``x / alpha``
        first costs the forward little: a relative error ``d`` in ``t = x/alpha`` changes
        ``expm1(t)`` by at most ``|t e^t / expm1(t)| <= 1`` times ``d``. (The derivative is
        another matter; see :meth:`CELU.gradient`.) PyTorch accepts a negative ``alpha``, for
        which the unit grows without bound as ``x -> -inf``; Barron defines it for
        ``alpha > 0``, and so do we. PyTorch raises for ``alpha = 0`` too.
        Accuracy, against mpmath over the whole float range: float64 within 3 ULP (1.79
        measured), float32 and float16 within 1 ULP, for ``alpha`` = 1, 0.5, 2 and 0.3 (the
        tests' values; any alpha in range by a property test).
    """
    a = _check_celu_alpha(alpha, "celu")
    x = as_float_array(x, "celu")
    return _celu_forward(x, a)


class CELU(Activation):
    r"""Continuously differentiable exponential linear unit as an activation object; see
    :func:`celu`.

    Example:
        >>> act = CELU(alpha=2.0)
        >>> act
        CELU(alpha=2.0)
        >>> act.gradient([-2.0, 0.0, 1.0])
        array([0.36787944, 1.        , 1.        ])
    """

    name = "CELU"

    def __init__(self, alpha=1.0):
        self.alpha = _check_celu_alpha(alpha, "CELU")
        self._pow2 = is_power_of_two(self.alpha)
        self._exp = ScaledExp(Fraction(self.alpha))
        # e^(x/alpha) is a normal float64 for x / alpha > -708.39
        self.normal_gradient_range = (-_LOG_TINY * self.alpha, math.inf)

    def _params(self):
        return {"alpha": self.alpha}

    def __call__(self, x):
        return _celu_forward(as_float_array(x, "celu"), self.alpha)

    def _gradient_tail(self, x):
        return self._exp.split(x)

    def gradient(self, x):
        r"""The derivative: 1 for ``x > 0``, :math:`e^{x/\alpha}` for ``x <= 0``; 1 at 0, where
        it is continuous (PyTorch: ``(1/alpha) * alpha * e^0``, 1 up to its rounding).

        ``np.exp(x / alpha)`` would err by up to :math:`|x/\alpha|/2` ULP for an
        :math:`\alpha` that is not a power of two (350 ULP at ``x/alpha = -700``), since the
        exponential turns the rounding of ``x / alpha`` into a relative error. The float64
        path reduces the argument in ``x``'s units instead, :math:`e^{x/\alpha} = 2^k e^r`,
        with :math:`k \ln 2 \cdot \alpha` exact (``actlib/_scaled_exp.py``). float64 within
        4 ULP (0.96 measured), float32 and float16 within 1 ULP.

        >>> CELU(alpha=0.3).gradient([-200.0])
        array([2.95355728e-290])
        """
        x = as_float_array(x, "CELU.gradient")
        if x.dtype != np.float64:
            kernel, scratch = partial(_celu_gradient_narrow, self.alpha), 1
        elif self._pow2:
            kernel, scratch = partial(_celu_gradient_pow2, 1.0 / self.alpha), 1
        else:
            kernel, scratch = partial(_celu_gradient_scaled, self._exp), 3
        with np.errstate(over="ignore"):  # x / alpha beyond the float range: -inf, e^-inf = 0
            return as_result(blockwise(kernel, x, scratch=scratch))
