"""actlib.testing's own tools, checked on cases whose answers are known."""

import mpmath
import numpy as np
import pytest

from actlib.testing import (
    gradcheck,
    numerical_derivative,
    numerical_jacobian,
    numerical_vjp,
    reference,
    relative_error,
    ulp,
    ulp_error,
)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_ulp_error_counts_neighbours(dtype):
    one = np.array([1.0], dtype)
    exact = reference(lambda t: t, one)
    assert ulp_error(one, exact)[0] == 0
    for k in (1, 2, 5):
        up = one.copy()
        for _ in range(k):
            up = np.nextafter(up, dtype(2))
        assert ulp_error(up, exact)[0] == k
    # below 1 the spacing halves, but the ULP is taken at the exact value (1): half a step each
    down = np.nextafter(one, dtype(0))
    assert ulp_error(down, exact)[0] == 0.5


def test_ulp_error_is_fractional_at_float64():
    # exact 1/3 and its float64 rounding: |fl(1/3) - 1/3| = 2**-54 / 3 = 1/3 ULP at 1/3
    x = np.array([1.0 / 3.0])
    err = ulp_error(x, reference(lambda t: mpmath.mpf(1) / 3, [0.0]))
    assert err[0] == pytest.approx(1 / 3, rel=1e-12)


def test_ulp_error_subnormals_and_special_values():
    tiny = np.float64(5e-324)
    assert ulp_error(np.array([2 * tiny]), reference(lambda t: t, [tiny]))[0] == 1
    c = np.array([np.nan, np.nan, np.inf, 1.0, np.inf, -np.inf])
    exact = np.array([mpmath.nan, mpmath.mpf(1), mpmath.inf, mpmath.inf,
                      mpmath.mpf(2) ** 1025, mpmath.mpf(2) ** 1025], dtype=object)
    np.testing.assert_array_equal(ulp_error(c, exact), [0, np.inf, 0, np.inf, 0, np.inf])


def test_ulp_error_with_a_wider_float_reference():
    x = np.array([1.0, 2.0], np.float32)
    wide = x.astype(np.float64) * (1 + 2.0**-23)  # one float32 ULP above
    np.testing.assert_array_equal(ulp_error(x, wide), [1.0, 1.0])
    with pytest.raises(TypeError):
        ulp_error(x.astype(np.float64), x.astype(np.float64))


def test_ulp():
    assert ulp(1.0, np.float64) == 2.0**-52
    assert ulp(mpmath.mpf(3), np.float32) == 2.0**-22
    assert ulp(0.0, np.float32) == 2.0**-149
    assert ulp(1e-40, np.float32) == 2.0**-149  # subnormal spacing
    assert ulp(65504.0, np.float16) == 32.0


def test_reference_is_exact_at_the_float():
    r = reference(mpmath.exp, np.array([0.1]))
    with mpmath.workprec(400):
        assert abs(r[0] - mpmath.exp(mpmath.mpf(0.1))) < mpmath.mpf(2) ** -190
        assert mpmath.mpf(0.1) != mpmath.mpf(1) / 10  # the float 0.1, not one tenth


def test_gradcheck_accepts_right_and_catches_wrong_derivatives():
    x = np.linspace(-2, 2, 21)
    assert gradcheck(np.sin, np.cos, x) < 1e-8
    assert gradcheck(np.sin, lambda v: np.cos(v) * 1.001, x) > 5e-4
    assert gradcheck(np.exp, np.exp, x) < 1e-8
    assert gradcheck(np.square, lambda v: v, x) > 0.4  # forgot the 2


def test_numerical_derivative_and_jacobian_and_vjp():
    x = np.array([0.3, -1.2, 2.0])
    np.testing.assert_allclose(numerical_derivative(np.sin, x), np.cos(x), rtol=1e-9)
    a = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]])
    np.testing.assert_allclose(numerical_jacobian(lambda v: a @ v, x), a, rtol=1e-9)
    jac = numerical_jacobian(lambda v: v**2, x)
    np.testing.assert_allclose(jac, np.diag(2 * x), atol=1e-9)
    g = np.array([1.0, -2.0])
    np.testing.assert_allclose(numerical_vjp(lambda v: a @ v, x, g), a.T @ g, rtol=1e-9)
    g2 = np.arange(6.0).reshape(2, 3)
    x2 = np.linspace(-1, 1, 6).reshape(2, 3)
    np.testing.assert_allclose(numerical_vjp(np.tanh, x2, g2), g2 / np.cosh(x2) ** 2, rtol=1e-8)
    with pytest.raises(ValueError):
        numerical_jacobian(np.sin, x2)


def test_relative_error():
    assert relative_error([1.0, 0.0], [1.0, 0.0]) == 0
    assert relative_error([2.0], [1.0]) == 0.5
    assert relative_error([], []) == 0
