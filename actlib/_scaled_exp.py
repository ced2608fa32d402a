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
        (NaN gives NaN for both). ``a`` is overwritten. The caller ignores overflow
        (``a / (s ln 2)`` beyond the float range is ``+-inf``) and underflow."""
        np.multiply(a, self.inv_c, out=k)
        np.rint(k, out=k)
        np.clip(k, K_MIN, np.inf, out=k)  # -inf becomes K_MIN (NaN stays: r is NaN too)
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
        k[np.isnan(k)] = 0.0  # m is NaN there
        return m, k.astype(np.int64) + 1


# 2**52 + 1023 + k, for an integer -1022 <= k <= 0, is a float whose bits are those of 2**52
# plus 1023 + k: less _MAGIC_BITS and shifted into the exponent field, they are the bits of 2**k.
_MAGIC = 2.0**52 + 1023.0
_MAGIC_BITS = 0x4330000000000000


def scale_pow2(m, k, out):
    """``out = m * 2**k`` for integer-valued float ``k <= 0`` (NaN allowed where ``m`` is NaN);
    ``k`` is overwritten, ``out`` must not be ``m``.

    ``np.ldexp`` takes 6 to 10 ns per element here (it has no vectorized loop), several times
    ``exp`` itself; building ``2**k`` from its exponent bits takes four integer and float passes
    of about 0.15 ns each. That covers ``k >= -1000``, where ``2**k`` is a normal float; a block
    reaching further (``|x / alpha| > 693``) goes through ``np.ldexp``, which also rounds
    subnormal results once.
    """
    if np.fmin.reduce(k, initial=0.0) < -1000.0:
        with np.errstate(invalid="ignore"):  # NaN k (where m is NaN) cast to an integer
            np.ldexp(m, k.astype(np.int64), out=out)
        return
    k += _MAGIC
    bits = k.view(np.int64)
    bits -= _MAGIC_BITS
    bits <<= 52
    np.multiply(m, k, out=out)
