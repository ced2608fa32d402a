"""Derive the coefficients of ``actlib/_special_coefficients.py`` with mpmath, and check them.

    .venv/bin/python tools/fit_special.py          # fit, check, write the coefficients module
    .venv/bin/python tools/fit_special.py --check  # fit again, compare with the committed module

(about five minutes of mpmath). ``actlib/special.py`` evaluates the standard normal CDF and
erf/erfc as

* near 0, an odd series: ``Phi(x) = 1/2 + x A(x^2)``, ``erf(z) = z B(z^2)`` (``|x|, |z| < 1/2``),
  for GELU's derivative ``Phi(x) + x phi(x) = 1/2 + x A2(x^2)``, and the same two for GELU's
  tanh form, ``sigma(2u) = 1/2 + x At(x^2)`` and its derivative ``1/2 + x A2t(x^2)``: polynomials;
* elsewhere ``Phi(-t) = exp(-t^2/2) T(t) / t`` and ``erfc(z) = exp(-z^2) T_z(z) / z``, the
  exponent's argument carried exactly, where ``T(t) = t exp(t^2/2) Phi(-t)`` (``t`` times Mills'
  ratio) rises slowly from 0 to ``1/sqrt(2 pi)``. Each piece computes it as a float ``anchor`` of
  26 bits plus a correction ``anchor_lo + u P(u)/Q(u)`` at most about half of T, so that the
  correction's rounding errors shrink in proportion, and ``exp(...) * anchor`` is exact in two
  products:
  * the middle piece: ``u = t - centre``, ``anchor`` = T(centre) rounded to 26 bits and
    ``anchor_lo = T(centre) - anchor``, ``V = P/Q`` fitted to ``(T(centre + u) - T(centre)) / u``;
  * the tail: ``u = w = 1/t^2``, ``anchor`` = the limit rounded to 26 bits, and
    ``T = anchor + (anchor_lo - w U(w))``, ``U = P/Q`` fitted to ``(limit - T) / w``.

Each rational is fitted by iteratively reweighted least squares (Lawson's algorithm towards the
minimax error), weighted so that the error measured is the relative error of what the library
returns (of T, of Phi, or of erf and erfc), in 80-digit arithmetic. Then its coefficients are
rounded to float64 one at a time, the others refitted after each rounding, so that the float64
coefficients are nearly as good as the exact fit. The check evaluates the rounded coefficients
exactly (mpmath) on a dense grid: what is printed, and written into the module's comments, is the
weighted error of the float64 coefficients, in units of 2^-53.
"""

import argparse
import sys
from pathlib import Path

import mpmath as mp

mp.mp.dps = 80
ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "actlib" / "_special_coefficients.py"
UNIT = mp.mpf(2) ** -53


# ---------------------------------------------------------------------------------------------
# The functions, from their definitions.


def phi_q(t):
    """Phi(-t), the standard normal's lower tail."""
    return mp.erfc(t / mp.sqrt(2)) / 2


def erfc_q(z):
    return mp.erfc(z)


class Family:
    """Phi(-t) = exp(-k t^2) T(t) / t (k = 1/2) or erfc(z) = exp(-k z^2) T(z) / z (k = 1)."""

    def __init__(self, name, q, k, limit):
        self.name, self.q, self.k, self.limit = name, q, mp.mpf(k), limit

    def T(self, t):
        return t * mp.exp(self.k * t * t) * self.q(t)

    def U(self, w):
        """(limit - T(1/sqrt(w))) / w, and its limit limit / (2k) at w = 0."""
        if w == 0:
            return self.limit / (2 * self.k)
        return (self.limit - self.T(1 / mp.sqrt(w))) / w


PHI = Family("phi", phi_q, mp.mpf(1) / 2, 1 / mp.sqrt(2 * mp.pi))
ERFC = Family("erfc", erfc_q, 1, 1 / mp.sqrt(mp.pi))


def small_a(s):
    """A(s) = (Phi(sqrt s) - 1/2) / sqrt s, so that Phi(x) = 1/2 + x A(x^2)."""
    if s == 0:
        return 1 / mp.sqrt(2 * mp.pi)
    r = mp.sqrt(s)
    return mp.erf(r / mp.sqrt(2)) / (2 * r)


def small_a2(s):
    """A2(s) = A(s) + phi(sqrt s): Phi(x) + x phi(x) = 1/2 + x A2(x^2)."""
    return small_a(s) + mp.exp(-s / 2) / mp.sqrt(2 * mp.pi)


def _two_u(x):
    """2u = 2 sqrt(2/pi) (x + 0.044715 x^3), GELU's tanh form's argument (0.044715 exact)."""
    return 2 * mp.sqrt(2 / mp.pi) * (x + mp.mpf("0.044715") * x**3)


def _tanh_terms(x):
    """sigma(2u) and x sigma(2u) (1 - sigma(2u)) (2u)': the tanh form's derivative is their sum."""
    v = _two_u(x)
    s, s_neg = 1 / (1 + mp.exp(-v)), 1 / (1 + mp.exp(v))
    dv = 2 * mp.sqrt(2 / mp.pi) * (1 + 3 * mp.mpf("0.044715") * x**2)
    return s, x * s * s_neg * dv


def tanh_small_a(s):
    """(sigma(2u) - 1/2) / x at x = sqrt s: GELU_tanh(x) = x (1/2 + x At(x^2))."""
    if s == 0:
        return mp.sqrt(2 / mp.pi) / 2
    r = mp.sqrt(s)
    return (_tanh_terms(r)[0] - mp.mpf(1) / 2) / r


def tanh_small_a2(s):
    """(GELU_tanh'(x) - 1/2) / x at x = sqrt s: GELU_tanh'(x) = 1/2 + x A2t(x^2)."""
    if s == 0:
        return mp.sqrt(2 / mp.pi)
    r = mp.sqrt(s)
    return (mp.fsum(_tanh_terms(r)) - mp.mpf(1) / 2) / r


def small_b(s):
    """B(s) = erf(sqrt s) / sqrt s, so that erf(z) = z B(z^2)."""
    if s == 0:
        return 2 / mp.sqrt(mp.pi)
    r = mp.sqrt(s)
    return mp.erf(r) / r


# ---------------------------------------------------------------------------------------------
# Fitting


def horner(c, x):
    s = mp.mpf(0)
    for ci in reversed(c):
        s = s * x + ci
    return s


def chebyshev_nodes(a, b, n):
    a, b = mp.mpf(a), mp.mpf(b)
    return [(a + b) / 2 - (b - a) / 2 * mp.cos(mp.pi * (k + mp.mpf(1) / 2) / n) for k in range(n)]


def _lawson(xs, fs, weights, n, m, fixed, iters):
    """P_n / Q_m (q_0 = 1) with the coefficients in ``fixed`` held (index j < n + 1 is p_j, index
    n + j is q_j), minimising max |P/Q - f| * weight: least squares of the linearised residual
    (P - f Q) / Q_previous, reweighted by Lawson's rule. Returns (max error, p, q)."""
    size = len(xs)
    free = [j for j in range(n + 1 + m) if j not in fixed]
    lawson = [mp.mpf(1) / size] * size
    q_prev = [mp.mpf(1)] * size
    best = None
    for _ in range(iters):
        rows, rhs = [], []
        for x, fx, wt, lw, qp in zip(xs, fs, weights, lawson, q_prev, strict=True):
            k = mp.sqrt(lw) * wt / qp
            basis = [x**j for j in range(n + 1)] + [-fx * x**j for j in range(1, m + 1)]
            r = fx - mp.fsum(basis[j] * v for j, v in fixed.items())
            rows.append([basis[j] * k for j in free])
            rhs.append(r * k)
        coef = dict(fixed)
        if free:
            sol, _ = mp.qr_solve(mp.matrix(rows), mp.matrix(rhs))
            coef.update({j: sol[i] for i, j in enumerate(free)})
        p = [coef[j] for j in range(n + 1)]
        q = [mp.mpf(1)] + [coef[n + j] for j in range(1, m + 1)]
        errs, q_prev = [], []
        for x, fx, wt in zip(xs, fs, weights, strict=True):
            qx = horner(q, x)
            q_prev.append(qx)
            errs.append((horner(p, x) / qx - fx) * wt)
        worst = max(abs(e) for e in errs)
        if best is None or worst < best[0]:
            best = (worst, p, q)
        total = mp.fsum(lw * abs(e) for lw, e in zip(lawson, errs, strict=True))
        if total == 0 or not free:
            break
        lawson = [lw * abs(e) / total for lw, e in zip(lawson, errs, strict=True)]
    return best


def fit(f, a, b, n, m, weight, iters=40, refit_iters=12):
    """Fit f on [a, b] by P_n/Q_m, then round the coefficients to float64 one at a time (lowest
    order first), refitting the others after each. Returns float64 lists p, q (q[0] = 1)."""
    xs = chebyshev_nodes(a, b, max(120, 10 * (n + m + 1)))
    fs = [f(x) for x in xs]
    weights = [weight(x) for x in xs]
    _, p, q = _lawson(xs, fs, weights, n, m, {}, iters)
    fixed = {}
    for j in range(n + 1 + m):
        coef = p + q[1:]
        fixed[j] = mp.mpf(float(coef[j]))
        if len(fixed) < n + 1 + m:
            _, p, q = _lawson(xs, fs, weights, n, m, fixed, refit_iters)
        else:
            p = [fixed[i] for i in range(n + 1)]
            q = [mp.mpf(1)] + [fixed[n + i] for i in range(1, m + 1)]
    return [float(v) for v in p], [float(v) for v in q]


def weighted_error(f, p, q, a, b, weight, points=1500):
    """max |P/Q - f| * weight over a dense uniform grid, the float64 coefficients taken exactly."""
    p = [mp.mpf(v) for v in p]
    q = [mp.mpf(v) for v in q]
    a, b = mp.mpf(a), mp.mpf(b)
    worst = mp.mpf(0)
    for i in range(points + 1):
        x = a + (b - a) * i / points
        if weight(x) == 0:
            continue
        worst = max(worst, abs(horner(p, x) / horner(q, x) - f(x)) * weight(x))
    return worst


# ---------------------------------------------------------------------------------------------
# The layout. Degrees chosen so that every weighted error is below about 2^-56 (0.1 ULP).

SMALL = [  # (name, function, bound on |x|, degree in x^2, weight on s = x^2)
    ("PHI_SMALL", small_a, 0.5, 8,
     lambda s: mp.sqrt(s) / phi_q(mp.sqrt(s)) if s > 0 else mp.mpf(0)),
    ("GRAD_SMALL", small_a2, 0.5, 9,
     lambda s: mp.sqrt(s) / (phi_q(mp.sqrt(s)) + mp.sqrt(s) * mp.npdf(mp.sqrt(s)))
     if s > 0 else mp.mpf(0)),
    ("ERF_SMALL", small_b, 0.5, 9,
     lambda s: max(1 / small_b(s), mp.sqrt(s) / mp.erfc(mp.sqrt(s)))),
    ("TANH_SMALL", tanh_small_a, 0.5, 8,
     lambda s: mp.sqrt(s) / _tanh_terms(-mp.sqrt(s))[0] if s > 0 else mp.mpf(0)),
    ("TANH_GRAD_SMALL", tanh_small_a2, 0.5, 9,
     lambda s: mp.sqrt(s) / mp.fsum(abs(v) for v in _tanh_terms(-mp.sqrt(s)))
     if s > 0 else mp.mpf(0)),
]
# For each family: the middle pieces, T anchored at a centre, (lo, hi, centre, n, m), then the
# tail, T = limit - w U(w) with w = 1/t^2 for t >= the last middle piece's hi, (n, m).
PIECES = [
    ("PHI", PHI, [(0.5, 2.0, 0.8, 6, 6)], (8, 8)),
    ("ERFC", ERFC, [(0.5, 1.42, 0.6, 6, 6)], (8, 8)),
]


def short(x, bits=26):
    """x rounded to a float of ``bits`` significant bits."""
    m, e = mp.frexp(x)
    return float(mp.ldexp(mp.nint(m * 2**bits), e - bits))


def fit_all(log=print):
    """Fit every piece: a list of (name, value, weighted error, description), where value is a
    tuple of coefficients (a series), a dict of a Piece's fields, or a tuple of piece names."""
    out = []

    def emit(name, value, err, what):
        if err is not None:
            log(f"{name:<12} {what:<44} weighted error {mp.nstr(err / UNIT, 3):>9} x 2^-53")
        out.append((name, value, err, what))

    for name, f, bound, deg, weight in SMALL:
        s_max = mp.mpf(bound) ** 2
        p, q = fit(f, 0, s_max, deg, 0, weight)
        err = weighted_error(f, p, q, 0, s_max, weight)
        emit(name, tuple(p), err, f"|x| < {bound}: degree {deg} in x^2")

    for family, fam, mids, (tn, tm) in PIECES:
        names = []
        for i, (lo, hi, centre, n, m) in enumerate(mids, 1):
            name = f"{family}_MID{i}"
            names.append(name)
            centre = mp.mpf(centre)
            exact = fam.T(centre)
            anchor = short(exact)
            slope = mp.diff(fam.T, centre)

            def v(u, fam=fam, centre=centre, exact=exact, slope=slope):
                return slope if u == 0 else (fam.T(centre + u) - exact) / u

            def weight(u, fam=fam, centre=centre):
                return abs(u) / fam.T(centre + u)

            a, b = mp.mpf(lo) - centre, mp.mpf(hi) - centre
            p, q = fit(v, a, b, n, m, weight)
            err = weighted_error(v, p, q, a, b, weight)
            value = {"lo": lo, "hi": hi, "centre": float(centre), "anchor": anchor,
                     "anchor_lo": float(exact - anchor), "p": tuple(p), "q": tuple(q)}
            emit(name, value, err, f"[{lo}, {hi}] around {float(centre)}: {n}/{m}")
        name = f"{family}_TAIL"
        names.append(name)
        lo = mids[-1][1]
        w_max = 1 / mp.mpf(lo) ** 2

        def weight(w, fam=fam):
            return w / fam.T(1 / mp.sqrt(w)) if w > 0 else mp.mpf(0)

        p, q = fit(fam.U, 0, w_max, tn, tm, weight)
        err = weighted_error(fam.U, p, q, mp.mpf(10) ** -30, w_max, weight)
        anchor = short(fam.limit)
        value = {"lo": lo, "hi": None, "centre": None, "anchor": anchor,
                 "anchor_lo": float(fam.limit - anchor), "p": tuple(p), "q": tuple(q)}
        emit(name, value, err, f"t >= {lo}, in w = 1/t^2: {tn}/{tm}")
        emit(f"{family}_PIECES", tuple(names), None, "")
    return out


HEADER = '''"""The coefficients actlib.special uses, written by tools/fit_special.py: do not edit.

Each comment gives the piece's weighted error with these float64 coefficients (taken exactly), in
units of 2^-53: the relative error it adds to what the library returns (see the tool's docstring).
"""

from typing import NamedTuple


class Piece(NamedTuple):
    """T(t) = anchor + (anchor_lo + u P(u) / Q(u)), u = t - centre (middle pieces), or
    T(t) = anchor + (anchor_lo - u P(u) / Q(u)), u = 1/t^2 (the tail); anchor has 26 bits."""

    lo: float
    hi: float | None
    centre: float | None
    anchor: float
    anchor_lo: float
    p: tuple
    q: tuple

'''


def constants():
    """512 ln 2 split as hi + lo, hi a multiple of 2^-43: the shift that keeps exp's result normal
    (exact to subtract from any float in [512, 1024), whose ULP is 2^-43)."""
    shift = 512 * mp.log(2)
    hi = mp.nint(shift * 2**43) / 2**43
    # GELU's tanh form: 2u = K1 x + K3 x^3, K1 = 2 sqrt(2/pi), K3 = 2 (0.044715) sqrt(2/pi) with
    # 0.044715 the exact decimal; K3_HI has 19 bits, so K3_HI times a 34-bit float is exact.
    k1 = 2 * mp.sqrt(2 / mp.pi)
    k3 = 2 * mp.mpf("0.044715") * mp.sqrt(2 / mp.pi)
    k3_hi = short(k3, 19)
    k1_36 = short(k1, 36)
    return (f"\n# 512 ln 2 = SHIFT_HI + SHIFT_LO, SHIFT_HI a multiple of 2^-43\n"
            f"SHIFT_HI = {float(hi)!r}\nSHIFT_LO = {float(shift - hi)!r}\n"
            f"\n# GELU's tanh form: 2u = K1 x + K3 x^3; K1 = 2 sqrt(2/pi) = K1_HI + K1_LO and\n"
            f"# K3 = 2 (0.044715) sqrt(2/pi) = K3_HI + K3_LO (0.044715 exact), K3_HI of 19 bits\n"
            f"K1_HI = {float(k1)!r}\nK1_LO = {float(k1 - float(k1))!r}\n"
            f"K3_HI = {k3_hi!r}\nK3_LO = {float(k3 - k3_hi)!r}\n"
            f"# K1 = K1_36 + K1_REST, K1_36 of 36 bits: times a 17-bit float, exact\n"
            f"K1_36 = {k1_36!r}\nK1_REST = {float(k1 - k1_36)!r}\n")


def _floats(values, indent):
    pad = " " * indent
    return "(\n" + "".join(f"{pad}    {v!r},\n" for v in values) + f"{pad})"


def render(items):
    parts = [HEADER, constants()]
    for name, value, err, what in items:
        parts.append("\n")
        if err is not None:
            parts.append(f"# {what}; weighted error {mp.nstr(err / UNIT, 3)} x 2^-53\n")
        if isinstance(value, dict):
            fields = "".join(
                f"    {k}={_floats(v, 4) if isinstance(v, tuple) else repr(v)},\n"
                for k, v in value.items())
            parts.append(f"{name} = Piece(\n{fields})\n")
        elif err is None:
            parts.append(f"{name} = ({', '.join(value)})\n")
        else:
            parts.append(f"{name} = {_floats(value, 0)}\n")
    return "".join(parts)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="compare with the committed file instead of writing it")
    args = parser.parse_args(argv)
    text = render(fit_all())
    if args.check:
        same = TARGET.read_text() == text
        print("the committed coefficients are reproduced" if same else
              "DIFFERENT from the committed coefficients")
        return 0 if same else 1
    TARGET.write_text(text)
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
