"""Print the worst ULP error per activation, dtype and kind: on the tests' grids, then densely.

    python tests/ulp_report.py [--screen N]

The first table reuses ``grids.py`` (the same inputs and mpmath references as the tests). Softmax
forward and Jacobian are in ULP; softmax backward in units of ``eps * sum_i |J_ij g_i|``.

The second, the dense screen, looks harder where the elementwise activations bend. The grid has a
few thousand points in [-40, 40], and the rare inputs where a float64 kernel's roundings add up
fall between them (when this was written, ``--screen 40000000``, 90 s, took float64 sigmoid's
gradient to 2.94 ULP where the grid says 2.06). :func:`grids.screen_worst` measures N seeded
random float32 and float64 inputs per line (half in [-40, 40], half in [-5, 5]) against a
long-double reference, keeps the 64 worst and measures those again against mpmath: every figure
printed is mpmath's, with the input where it happens. Softmax's lines do the same with rows
(:func:`grids.softmax_screen_worst`): N values per line shared equally by lengths 2 to 1000 and
six families of rows (normal at scales 1, 10 and 100, one dominant entry, three values repeated,
entries spread down to exp's underflow), N counting each row's length (its square for the
Jacobian, measured on rows up to 30); backward's incoming gradients are drawn as the grid's. The
64 worst rows are measured again in mpmath; "at" names the case and the row's index in it
(``grids.softmax_screen_rows`` regenerates it). A line over its bar is marked, and the worst row
of each softmax line over its bar is printed below the table. GELU has no long-double reference
(64 bits are too few for ``exp(-x^2/2)`` and ``e^{2u}`` far out): its lines measure at most
``MPMATH_SCREEN`` inputs against mpmath directly. The screen needs a long double
with a 64-bit significand (x86-64 Linux) and says so where there is none (macOS arm64,
Windows). ``--screen 0`` skips it.
"""

import argparse

import numpy as np
from grids import (
    BARS,
    ELEMENTWISE,
    FLOATS,
    GATED,
    GATED_KINDS,
    JAC_MAX_LEN,
    KINDS,
    LONGDOUBLE,
    SCREEN_UNAVAILABLE,
    SOFTMAX_BARS,
    SOFTMAX_KINDS,
    SOFTMAX_UNITS,
    elementwise_errors,
    gated_backward_errors,
    gated_errors,
    grad_outputs,
    log_softmax_jacobian_exact,
    log_softmax_reference,
    log_softmax_vjp_exact,
    screen_available,
    screen_worst,
    screen_worst_mpmath,
    softmax_jacobian_reference,
    softmax_reference,
    softmax_rows,
    softmax_screen_case,
    softmax_screen_worst,
    vjp_error,
    vjp_exact,
)

import actlib
from actlib.testing import ulp_error

# Inputs per line screened by mpmath alone (GELU), at about 0.1 to 0.5 ms each.
MPMATH_SCREEN = 100_000


def grid_table():
    print(f"{'activation':<12} {'dtype':<8} {'kind':<9} {'inputs':>7} {'max error':>10}  bar")
    for name in ELEMENTWISE:
        for dtype in FLOATS:
            for k, kind in enumerate(KINDS):
                x, _, _, err = elementwise_errors(name, kind, dtype)
                print(f"{name:<12} {np.dtype(dtype).name:<8} {kind:<9} {x.size:>7} "
                      f"{err.max():>10.3f}  {BARS[dtype][k]:g} ULP")
    sm = actlib.Softmax()
    for dtype in FLOATS:
        rows = softmax_rows(dtype)
        fwd = max(ulp_error(sm(r), e).max()
                  for r, e in zip(rows, softmax_reference(dtype), strict=True))
        small = softmax_rows(dtype, JAC_MAX_LEN)
        jacs = softmax_jacobian_reference(dtype, JAC_MAX_LEN)
        jac = max(ulp_error(sm.gradient(r), j).max() for r, j in zip(small, jacs, strict=True))
        bwd = 0.0
        exact = softmax_reference(dtype, JAC_MAX_LEN)
        for r, p, g in zip(small, exact, grad_outputs(dtype, JAC_MAX_LEN), strict=True):
            value, cond = vjp_exact(p, g)
            bwd = max(bwd, vjp_error(sm.backward(r, g), value, cond, dtype).max())
        n = sum(r.size for r in rows)
        d = np.dtype(dtype).name
        bar = SOFTMAX_BARS[dtype]
        print(f"{'softmax':<12} {d:<8} {'forward':<9} {n:>7} {fwd:>10.3f}  {bar:g} ULP")
        print(f"{'softmax':<12} {d:<8} {'jacobian':<9} {len(small):>7} {jac:>10.3f}  {bar:g} ULP")
        print(f"{'softmax':<12} {d:<8} {'backward':<9} {len(small):>7} {bwd:>10.3f}  "
              f"{bar:g} {SOFTMAX_UNITS['backward']}")


def gated_and_log_softmax_table():
    """The gated units on their pair grids (forward, both partials, backward's two halves) and
    log-softmax on softmax's rows (forward, Jacobian, backward in eps * sum_i |J_ij g_i|)."""
    for name in GATED:
        for dtype in FLOATS:
            for k, kind in enumerate(GATED_KINDS):
                x, _, _, err = gated_errors(name, kind, dtype)
                print(f"{name:<12} {np.dtype(dtype).name:<8} {kind:<9} {len(x):>7} "
                      f"{err.max():>10.3f}  {BARS[dtype][min(k, 1)]:g} ULP")
            x, _, _, _, err = gated_backward_errors(name, dtype)
            for i, half in enumerate(("bwd a", "bwd b")):
                print(f"{name:<12} {np.dtype(dtype).name:<8} {half:<9} {len(x):>7} "
                      f"{err[:, i].max():>10.3f}  {BARS[dtype][1]:g} ULP")
    ls = actlib.LogSoftmax()
    for dtype in FLOATS:
        rows = softmax_rows(dtype)
        fwd = max(ulp_error(ls(r), e).max()
                  for r, e in zip(rows, log_softmax_reference(dtype), strict=True))
        small, ps = softmax_rows(dtype, JAC_MAX_LEN), softmax_reference(dtype, JAC_MAX_LEN)
        jac = max(ulp_error(ls.gradient(r), log_softmax_jacobian_exact(p)).max()
                  for r, p in zip(small, ps, strict=True))
        bwd = max(vjp_error(ls.backward(r, g), *log_softmax_vjp_exact(p, g), dtype).max()
                  for r, p, g in zip(small, ps, grad_outputs(dtype, JAC_MAX_LEN), strict=True))
        d, bar = np.dtype(dtype).name, SOFTMAX_BARS[dtype]
        for kind, n, err, unit in [("forward", sum(r.size for r in rows), fwd, "ULP"),
                                   ("jacobian", len(small), jac, "ULP"),
                                   ("backward", len(small), bwd, SOFTMAX_UNITS["backward"])]:
            print(f"{'log_softmax':<12} {d:<8} {kind:<9} {n:>7} {err:>10.3f}  {bar:g} {unit}")


def _screen_line(name, dtype, kind, n, err, at, bar, unit):
    over = "  OVER THE BAR" if err > bar else ""
    print(f"{name:<12} {np.dtype(dtype).name:<8} {kind:<9} {n:>9} {err:>10.3f}  {at:<30} "
          f"{bar:g} {unit}{over}")


def screen_table(n):
    """The dense screen's worst mpmath-confirmed error per line, and where it is."""
    print(f"\ndense screen: {n} seeded random inputs (softmax: values) per line, the worst 64 "
          f"confirmed by mpmath")
    if not screen_available():
        print(f"unavailable here: {SCREEN_UNAVAILABLE}")
        return
    print(f"{'activation':<12} {'dtype':<8} {'kind':<9} {'inputs':>9} {'max error':>10}  "
          f"{'at x':<30} bar")
    for name in (name for name in ELEMENTWISE if name in LONGDOUBLE):  # screened ones
        for dtype in (np.float32, np.float64):
            for k, kind in enumerate(KINDS):
                if name not in LONGDOUBLE:  # no long-double reference: mpmath on fewer inputs
                    m = min(n, MPMATH_SCREEN)
                    s = screen_worst_mpmath(name, kind, dtype, m)
                    at = str(s.x[0]) if s.err[0] > 0 else "(exact on all)"
                    _screen_line(name, dtype, kind, m, s.err[0], at, BARS[dtype][k], "ULP")
                    continue
                s = screen_worst(name, kind, dtype, n)
                at = str(s.x[0]) if s.err[0] > 0 else "(exact on all)"
                _screen_line(name, dtype, kind, n, s.err[0], at, BARS[dtype][k], "ULP")
    over = []
    for dtype in FLOATS:
        bar = SOFTMAX_BARS[dtype]
        for kind in SOFTMAX_KINDS:
            s = softmax_screen_worst(kind, dtype, n)
            unit = SOFTMAX_UNITS[kind]
            _screen_line("softmax", dtype, kind, n, s.err[0], s.cases[0], bar, unit)
            if s.err[0] > bar:
                over.append(f"softmax {kind} {np.dtype(dtype).name}: {(s.err > bar).sum()} of "
                            f"the {s.err.size} worst rows over {bar:g} {unit}; worst on "
                            + softmax_screen_case(s))
    for line in over:
        print("\n" + line)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screen", type=int, default=4_000_000, metavar="N",
                        help="dense-screen inputs (softmax: values) per line (default "
                             "4,000,000; 0 skips it)")
    args = parser.parse_args()
    grid_table()
    gated_and_log_softmax_table()
    if args.screen > 0:
        screen_table(args.screen)


if __name__ == "__main__":
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        main()
