"""Print the worst ULP error per activation, dtype and kind, measured on the test suite's grids.

    python tests/ulp_report.py

It reuses ``grids.py`` (the same inputs and mpmath references as the tests). Softmax forward and
Jacobian are in ULP; softmax backward in units of ``eps * sum_i |J_ij g_i|``.
"""

import numpy as np
from grids import (
    BARS,
    ELEMENTWISE,
    FLOATS,
    JAC_MAX_LEN,
    KINDS,
    SOFTMAX_BARS,
    elementwise_errors,
    grad_outputs,
    softmax_jacobian_reference,
    softmax_reference,
    softmax_rows,
    vjp_error,
    vjp_exact,
)

import actlib
from actlib.testing import ulp_error


def main():
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
        for r, j, g in zip(small, jacs, grad_outputs(dtype, JAC_MAX_LEN), strict=True):
            value, cond = vjp_exact(j, g)
            bwd = max(bwd, vjp_error(sm.backward(r, g), value, cond, dtype).max())
        n = sum(r.size for r in rows)
        d = np.dtype(dtype).name
        bar = SOFTMAX_BARS[dtype]
        print(f"{'softmax':<12} {d:<8} {'forward':<9} {n:>7} {fwd:>10.3f}  {bar:g} ULP")
        print(f"{'softmax':<12} {d:<8} {'jacobian':<9} {len(small):>7} {jac:>10.3f}  {bar:g} ULP")
        print(f"{'softmax':<12} {d:<8} {'backward':<9} {len(small):>7} {bwd:>10.3f}  "
              f"{bar:g} eps * sum_i |J_ij g_i|")


if __name__ == "__main__":
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        main()
