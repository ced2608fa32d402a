"""``exp(x / s)`` for a scale ``s`` that is not a power of two, without rounding ``x / s`` first.

CELU's derivative is ``exp(x / alpha)`` and softplus's tail ``exp(beta x)``. Rounding the
argument first, ``t = fl(x / alpha)``, errs by up to half an ULP of ``t``, and ``exp`` turns an
absolute error ``dt`` into a relative one: ``exp(t + dt) = exp(t) (1 + dt)``. At ``t = -700``
that is ``700 * 2**-53``, about 350 to 700 ULP of the result. Only a power-of-two ``s`` makes the
division exact.

The cure is Cody and Waite's argument reduction, done in ``x``'s units rather than ``t``'s:
``exp(x / s) = 2**k exp(r)`` with ``k = rint(x / (s ln 2))`` and ``r = (x - k c) / s``, where
``c = s ln 2`` is held as ``c_hi + c_lo``, ``c_hi`` with 41 significant bits. For
``|k| < 2**12`` the product ``k c_hi`` is exact, and ``x - k c_hi`` is exact too (the two are
within a factor of two, Sterbenz's lemma): the only roundings left are those of a number
``r`` below ``0.35`` in magnitude, so ``exp(r)`` is as accurate as ``exp`` itself, and ``2**k``
scales it exactly.
"""

import math
from fractions import Fraction

import numpy as np

# ln 2 to 106 bits: the float nearest to it plus the float nearest to the rest.
_LN2 = Fraction(float.fromhex("0x1.62e42fefa39efp-1")) + Fraction(
    float.fromhex("0x1.abc9e3b39803fp-56")
)
# The exponents k kept: 2**-3100 times the largest float is far below the smallest subnormal,
# so the backward pass's products g * m * 2**k are 0 below it; |k| < 2**12 keeps k * c_hi exact.
K_MIN = -3100.0
# The scales accepted, so that c = s ln 2, 1 / s and -2000 s are normal floats far from overflow.
SCALE_RANGE = (2.0**-1000, 2.0**1000)


def is_power_of_two(value):
    """Whether the positive float ``value`` is a power of two (dividing by it is exact)."""
    return math.frexp(value)[0] == 0.5


def check_scale(value, name, param):
    """``value`` (a float, already type-checked) must lie in :data:`SCALE_RANGE`: raise
    ``ValueError`` naming the function and the parameter otherwise."""
    lo, hi = SCALE_RANGE
    if not value > 0:
        raise ValueError(f"{name}(): {param} must be positive (it divides), got {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"{name}(): {param} must be between 2**-1000 and 2**1000, got {value!r}")
    return value


class ScaledExp:
    """The constants of ``exp(x / s)`` for one scale ``s`` (a positive :class:`~fractions.Fraction`:
    ``alpha`` for CELU, ``1 / beta`` for softplus)."""

    def __init__(self, s):
        c = s * _LN2
        e = math.frexp(float(c))[1]
        self.c_hi = float(Fraction(round(c * 2 ** (41 - e))) / 2 ** (41 - e))
        self.c_lo = float(c - Fraction(self.c_hi))
        self.inv_c = float(1 / c)
        self.inv_s = float(1 / s)

    def reduce(self, a, k, r):
        """For a float64 array ``a`` (NaN, -inf and any finite value), write ``k`` and ``r`` with
        ``exp(a / s) = 2**k exp(r)``; ``k`` an integer-valued float no less than ``K_MIN``
        (NaN gives ``k = K_MIN``, ``r = NaN``). ``a`` is overwritten. The caller ignores
        overflow (``a / (s ln 2)`` beyond the float range is ``+-inf``) and underflow."""
        np.multiply(a, self.inv_c, out=k)
        np.rint(k, out=k)
        np.fmax(k, K_MIN, out=k)  # NaN and -inf become K_MIN: a finite integer to cast
        np.multiply(k, self.c_hi, out=r)
        np.subtract(a, r, out=a)  # exact (for |a / s| up to 2000 ln 2 ... see the module)
        np.multiply(k, self.c_lo, out=r)
        np.subtract(a, r, out=r)
        np.multiply(r, self.inv_s, out=r)
        return k, r

    def split(self, a):
        """``exp(a / s)`` as ``(m, k)`` with ``m <= 0.71`` and ``k`` int64, for any float64 ``a``
        up to 0: the form the backward pass's ``_gradient_tail`` returns."""
        a = np.array(a, dtype=np.float64)  # a copy: reduce overwrites it
        k, r = np.empty_like(a), np.empty_like(a)
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            self.reduce(a, k, r)
            m = np.exp(r) * 0.5
        return m, k.astype(np.int64) + 1
