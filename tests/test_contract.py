"""The input contract every activation shares (README, "Using actlib"; actlib/_base.py)."""

import numpy as np
import pytest
from grids import FLOATS, special_values

import actlib

# name, callable, its name in error messages, takes a 0-d input
ELEMENTWISE = [actlib.ReLU(), actlib.LeakyReLU(), actlib.Sigmoid(), actlib.Tanh()]
ELEMENTWISE += [actlib.ELU(), actlib.SELU(), actlib.CELU(), actlib.Softplus(),
                actlib.LogSigmoid(), actlib.Softsign()]
ELEMENTWISE += [actlib.ReLU6(), actlib.Hardtanh(), actlib.Hardsigmoid(), actlib.Hardswish(),
                actlib.PReLU()]
ELEMENTWISE += [actlib.SiLU(), actlib.Mish()]
ELEMENTWISE += [actlib.GELU(), actlib.GELU(approximate="tanh")]
ACTS = ELEMENTWISE + [actlib.Softmax(), actlib.LogSoftmax()]
ALONG_AXIS = ("Softmax", "LogSoftmax")  # not elementwise: they normalise along an axis
FUNCTIONS = {"ReLU": "relu", "LeakyReLU": "leaky_relu", "Sigmoid": "sigmoid", "Tanh": "tanh",
             "Softmax": "softmax", "LogSoftmax": "log_softmax"}
FUNCTIONS |= {"ELU": "elu", "SELU": "selu", "CELU": "celu", "Softplus": "softplus",
              "LogSigmoid": "log_sigmoid", "Softsign": "softsign"}
FUNCTIONS |= {"ReLU6": "relu6", "Hardtanh": "hard_tanh", "Hardsigmoid": "hard_sigmoid",
              "Hardswish": "hard_swish", "PReLU": "prelu"}
FUNCTIONS |= {"SiLU": "silu", "Mish": "mish"}
FUNCTIONS |= {"GELU": "gelu"}
# the functions' arguments beyond x
FUNCTION_ARGS = {"PReLU": (0.25,)}


def function(act):
    """The function form of ``act``, taking ``x`` alone."""
    f = getattr(actlib, FUNCTIONS[act.name])
    args = FUNCTION_ARGS.get(act.name, ())
    return (lambda x: f(x, *args)) if args else f


def methods(act):
    """(label, callable taking x, expected name in a TypeError message)."""
    return [
        ("function", function(act), FUNCTIONS[act.name]),
        ("call", act, FUNCTIONS[act.name]),
        ("gradient", act.gradient, f"{act.name}.gradient"),
        ("backward", lambda x: act.backward(x, np.ones(np.shape(x))), f"{act.name}.backward"),
    ]


CASES = [(act, label, f, name) for act in ACTS for label, f, name in methods(act)]
IDS = [f"{act.name}-{label}" for act, label, _, _ in CASES]
ELEMENTWISE_CASES = [c for c in CASES if c[0].name not in ALONG_AXIS]
ELEMENTWISE_IDS = [i for c, i in zip(CASES, IDS, strict=True) if c[0].name not in ALONG_AXIS]


@pytest.mark.parametrize("act, label, f, name", CASES, ids=IDS)
def test_lists_nd_strided_readonly_and_input_untouched(act, label, f, name):
    rng = np.random.default_rng(0)
    base = rng.standard_normal((4, 6)) * 3
    expected = f(base.copy())
    np.testing.assert_array_equal(f(base.tolist()), expected)
    view = base[:, ::2]
    np.testing.assert_array_equal(f(view), f(view.copy()))
    frozen = base.copy()
    frozen.flags.writeable = False
    np.testing.assert_array_equal(f(frozen), expected)
    for x in (base, view, rng.standard_normal((2, 3, 4)), np.array([np.inf, -np.inf, np.nan])):
        before = x.copy()
        f(x)
        np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("act, label, f, name", ELEMENTWISE_CASES, ids=ELEMENTWISE_IDS)
def test_scalars_and_0d(act, label, f, name):
    for x, dtype in [(1.5, np.float64), (-2, np.float64), (True, np.float64),
                     (np.float32(0.5), np.float32), (np.array(-0.25, np.float16), np.float16)]:
        out = f(x)
        assert isinstance(out, np.generic) and out.dtype == dtype, (x, out)
        assert out == f(np.array([x], dtype=dtype))[0]


@pytest.mark.parametrize("act, label, f, name", CASES, ids=IDS)
def test_dtypes_kept_and_integers_as_float64(act, label, f, name):
    for dtype in FLOATS:
        assert f(np.array([0.5, -1.0], dtype)).dtype == dtype
    for dtype in (np.int8, np.int64, np.uint8, np.uint64, np.bool_):
        x = np.array([1, 0], dtype)
        out = f(x)
        assert out.dtype == np.float64
        np.testing.assert_array_equal(out, f(x.astype(np.float64)))


BAD = [np.array([1 + 2j]), np.array([1.0], dtype=object), np.array(["1.0"]),
       np.array(["2024-01-01"], dtype="datetime64[D]"), np.array([1], dtype="timedelta64[s]"),
       np.array([1.0], dtype=np.complex64)]
if np.dtype(np.longdouble) != np.dtype(np.float64):
    BAD.append(np.array([1.0], dtype=np.longdouble))


@pytest.mark.parametrize("act, label, f, name", CASES, ids=IDS)
@pytest.mark.parametrize("bad", BAD, ids=lambda a: str(a.dtype))
def test_unsupported_dtypes_raise_typeerror_naming_function_and_dtype(act, label, f, name, bad):
    call = (lambda x: act.backward(x, np.ones(1))) if label == "backward" else f
    with pytest.raises(TypeError) as info:
        call(bad)
    assert f"{name}()" in str(info.value) and str(bad.dtype) in str(info.value), info.value


@pytest.mark.parametrize("act", ACTS, ids=lambda a: a.name)
def test_bad_grad_output(act):
    x = np.zeros((2, 3))
    for g in (np.zeros((3, 2)), np.zeros(3), np.zeros((1, 3)), np.zeros((2, 3, 1))):
        with pytest.raises(ValueError, match="shape"):
            act.backward(x, g)
    with pytest.raises(TypeError, match="complex128"):
        act.backward(x, np.zeros((2, 3), complex))
    out = act.backward(x.astype(np.float32), np.ones((2, 3), np.int64))
    assert out.dtype == np.float32


@pytest.mark.parametrize("slope", [np.nan, np.inf, -np.inf, 10**400, np.float64(np.inf)])
def test_non_finite_negative_slope_is_a_valueerror_naming_the_function(slope):
    with pytest.raises(ValueError, match=r"LeakyReLU\(\): negative_slope"):
        actlib.LeakyReLU(negative_slope=slope)
    with pytest.raises(ValueError, match=r"leaky_relu\(\): negative_slope"):
        actlib.leaky_relu([1.0], negative_slope=slope)


@pytest.mark.parametrize("slope", ["0.1", None, 1j, [0.1], np.array([0.1]), True, np.True_])
def test_negative_slope_of_the_wrong_type_is_a_typeerror(slope):
    with pytest.raises(TypeError, match=r"LeakyReLU\(\): negative_slope"):
        actlib.LeakyReLU(negative_slope=slope)
    with pytest.raises(TypeError, match=r"leaky_relu\(\): negative_slope"):
        actlib.leaky_relu([1.0], negative_slope=slope)


def test_real_slopes_of_any_kind_are_accepted():
    for slope in (0, 1, np.float32(0.5), np.int64(2), 0.25):
        assert actlib.LeakyReLU(slope).negative_slope == float(slope)


def test_a_slope_beyond_float16_rounds_to_inf_quietly():
    # 1e5 is beyond float16's largest finite (65504): the slope's rounding is inf, no warning.
    out = actlib.LeakyReLU(1e5).gradient(np.float16([-1.0, 2.0]))
    assert out.dtype == np.float16
    np.testing.assert_array_equal(out, np.float16([np.inf, 1.0]))


BIG_ENDIAN = [np.array([-720.0, -3.0, 0.5, 40.0], ">f8"), np.array([-3.0, 0.5, 90.0], ">f4"),
              np.array([-3.0, 0.5, 9.0], ">f2")]


@pytest.mark.parametrize("act, label, f, name", CASES, ids=IDS)
@pytest.mark.parametrize("x", BIG_ENDIAN, ids=lambda a: a.dtype.str)
def test_non_native_byte_order_gives_the_native_results(act, label, f, name, x):
    # '>f8' has dtype.type float64 but is not np.float64: it used to take the float16/32 path,
    # and sigmoid(-720) came out 0.0 where the native result is 2.03e-313.
    native = x.astype(x.dtype.newbyteorder("="))
    got, expected = f(x), f(native)
    assert got.dtype == native.dtype
    np.testing.assert_array_equal(got, expected)


def test_big_endian_sigmoid_keeps_its_subnormal():
    assert actlib.sigmoid(np.array([-720.0], ">f8"))[0] == actlib.sigmoid(-720.0) > 0


def test_softmax_axis():
    x = np.zeros((2, 3))
    for axis in (2, -3):
        with pytest.raises(np.exceptions.AxisError):
            actlib.softmax(x, axis=axis)
        for method in ("__call__", "gradient"):
            with pytest.raises(np.exceptions.AxisError):
                getattr(actlib.Softmax(axis=axis), method)(x)
        with pytest.raises(np.exceptions.AxisError):
            actlib.Softmax(axis=axis).backward(x, x)
    with pytest.raises(np.exceptions.AxisError):
        actlib.softmax(3.0)  # a 0-d array has no axis
    for axis in (1.0, "1", None, True):
        with pytest.raises(TypeError, match="axis"):
            actlib.softmax(x, axis=axis)
        with pytest.raises(TypeError, match="axis"):
            actlib.Softmax(axis=axis)
    assert actlib.softmax(x, axis=np.int64(0)).shape == (2, 3)
    # a 0-d integer array is an axis for NumPy (operator.index), so for us too
    np.testing.assert_array_equal(actlib.softmax(x, axis=np.array(0)), actlib.softmax(x, axis=0))
    assert actlib.Softmax(axis=np.array(-1)).axis == -1
    with pytest.raises(TypeError, match="axis"):
        actlib.softmax(x, axis=np.True_)
    with pytest.raises(np.exceptions.AxisError, match=r"softmax\(\)"):
        actlib.softmax(x, axis=5)


@pytest.mark.parametrize("act, label, f, name", CASES, ids=IDS)
def test_empty_arrays(act, label, f, name):
    for shape in [(0,), (2, 0), (0, 3)]:
        out = f(np.empty(shape, np.float32))
        along = label == "gradient" and act.name in ALONG_AXIS
        expected = shape + (shape[-1],) if along else shape
        assert out.shape == expected and out.dtype == np.float32


def test_repr_shows_parameters():
    assert repr(actlib.ReLU()) == "ReLU()"
    assert repr(actlib.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
    assert repr(actlib.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(actlib.Sigmoid()) == "Sigmoid()"
    assert repr(actlib.Tanh()) == "Tanh()"
    assert repr(actlib.SiLU()) == "SiLU()"
    assert repr(actlib.Mish()) == "Mish()"
    assert repr(actlib.Softmax()) == "Softmax(axis=-1)"
    assert repr(actlib.Softmax(axis=0)) == "Softmax(axis=0)"
    assert repr(actlib.ELU()) == "ELU(alpha=1.0)"
    assert repr(actlib.ELU(0.5)) == "ELU(alpha=0.5)"
    assert repr(actlib.SELU()) == "SELU()"
    assert repr(actlib.CELU(2)) == "CELU(alpha=2.0)"
    assert repr(actlib.Softplus()) == "Softplus(beta=1.0)"
    assert repr(actlib.Softplus(beta=10)) == "Softplus(beta=10.0)"
    assert repr(actlib.LogSigmoid()) == "LogSigmoid()"
    assert repr(actlib.Softsign()) == "Softsign()"
    assert repr(actlib.GELU()) == "GELU(approximate='none')"
    assert repr(actlib.GELU(approximate="tanh")) == "GELU(approximate='tanh')"


def test_pytorch_conventions():
    assert actlib.ReLU().gradient(0.0) == 0
    # an inactive ReLU passes no gradient, even an infinite one (threshold_backward); NaN x: NaN
    np.testing.assert_array_equal(actlib.ReLU().backward([-1.0, 0.0, 1.0, np.nan], [np.inf] * 4),
                                  [0.0, 0.0, np.inf, np.nan])
    assert actlib.LeakyReLU().negative_slope == 0.01
    assert actlib.LeakyReLU(0.3).gradient(0.0) == 0.3
    assert actlib.Softmax().axis == -1
    # ELU's (and SELU's) derivative at 0 is the left one, alpha (PyTorch's elu_backward tests
    # x <= 0); CELU's is 1 on both sides
    assert actlib.ELU().alpha == 1.0 and actlib.ELU(0.5).gradient(0.0) == 0.5
    assert actlib.SELU().gradient(0.0) == actlib.selu(-np.inf) * -1
    assert actlib.CELU(0.3).gradient(0.0) == 1.0 and actlib.CELU().alpha == 1.0
    assert actlib.Softplus().beta == 1.0 and not hasattr(actlib.Softplus(), "threshold")


# Parameters at their extremes: scales of exp's argument from 2**-1000 to 2**1000, negative and
# zero ELU alphas, powers of two and not.
EXTREME_PARAMETERS = [
    actlib.ELU(0.0), actlib.ELU(-1.5), actlib.ELU(0.3), actlib.ELU(1e300), actlib.ELU(1e-300),
    actlib.CELU(0.3), actlib.CELU(2.0**-1000), actlib.CELU(2.0**1000), actlib.CELU(1e-300),
    actlib.CELU(3e300), actlib.CELU(7.0), actlib.Softplus(0.3), actlib.Softplus(10.0),
    actlib.Softplus(2.0**-1000), actlib.Softplus(2.0**1000), actlib.Softplus(1e-300),
    actlib.Softplus(3e300),
]


# Outputs that scale with a parameter (or lambda x): beyond the dtype's largest float, +-inf is
# the correct rounding (the ULP tests check the values).
MAY_OVERFLOW = {"LeakyReLU", "SELU", "ELU", "CELU", "Softplus"}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("act", ACTS + [actlib.LeakyReLU(0.3), actlib.LeakyReLU(3.0)]
                         + EXTREME_PARAMETERS, ids=lambda a: repr(a))
def test_extreme_inputs_raise_no_floating_point_warning(act, dtype):
    # Every method meets +-0, subnormals, +-tiny, +-1, +-max, +-inf and NaN, and every grad_output
    # meets them too (and the smallest subnormal), with every floating-point flag raising:
    # underflow too, since a subnormal result, or one rounding to 0, is the correct rounding.
    x = special_values(dtype)
    tiny = np.full_like(x, np.finfo(dtype).smallest_subnormal)
    for g in (np.ones_like(x), x, x[::-1].copy(), tiny):
        with np.errstate(all="raise"):
            ys = [act(x), act.gradient(x), act.backward(x, g)]
        if act.name not in ALONG_AXIS:
            ys += [function(act)(x)]
            finite = np.isfinite(x)
            for y in ys[:2]:
                assert np.isnan(y[~finite & np.isnan(x)]).all()  # NaN propagates
                assert np.isfinite(y[finite]).all() or act.name in MAY_OVERFLOW
        for y in ys:
            assert y.dtype == dtype
    if act.name in ALONG_AXIS:  # every pair of extremes as a row, and the rows as columns
        rows = np.stack(np.meshgrid(x, x), axis=-1).reshape(-1, 2)
        for axis in (-1, 0):
            s = type(act)(axis=axis)
            data = rows if axis == -1 else rows.T
            with np.errstate(all="raise"):
                s(data), s.gradient(data), s.backward(data, np.ones_like(data))


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
@pytest.mark.parametrize("act", ACTS, ids=lambda a: a.name)
def test_grad_output_beyond_the_dtype_rounds_to_inf_quietly(act, dtype):
    # grad_output is cast to x's dtype: a float64 gradient beyond float16/32's range becomes inf
    # (the right rounding) without an "overflow in cast" warning.
    x = np.array([0.5, -1.0], dtype=dtype)
    g = np.array([1e300, 1.0])
    y = act.backward(x, g)
    assert y.dtype == dtype
    assert np.isinf(y[0]) or np.isnan(y[0])


# ELU's alpha is any finite real (PyTorch's too); CELU's alpha and softplus's beta divide, so they
# must be positive, and within [2**-1000, 2**1000] where e^(x/alpha) and e^(beta x) are reduced.
SCALE_PARAMETERS = [(actlib.celu, actlib.CELU, "alpha"), (actlib.softplus, actlib.Softplus, "beta")]
PARAMETRISED = [(actlib.elu, actlib.ELU, "alpha")] + SCALE_PARAMETERS


def _param_id(value):
    return getattr(value, "__name__", value)


@pytest.mark.parametrize("function, cls, param", PARAMETRISED, ids=_param_id)
@pytest.mark.parametrize("value", ["1.0", None, 1j, [1.0], np.array([1.0]), True, np.True_])
def test_parameter_of_the_wrong_type_is_a_typeerror(function, cls, param, value):
    with pytest.raises(TypeError, match=rf"{cls.__name__}\(\): {param}"):
        cls(value)
    with pytest.raises(TypeError, match=rf"{function.__name__}\(\): {param}"):
        function([1.0], value)


@pytest.mark.parametrize("function, cls, param", PARAMETRISED, ids=_param_id)
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf, 10**400])
def test_non_finite_parameter_is_a_valueerror(function, cls, param, value):
    with pytest.raises(ValueError, match=rf"{cls.__name__}\(\): {param}"):
        cls(value)
    with pytest.raises(ValueError, match=rf"{function.__name__}\(\): {param}"):
        function([1.0], value)


@pytest.mark.parametrize("function, cls, param", SCALE_PARAMETERS, ids=_param_id)
@pytest.mark.parametrize("value", [0, 0.0, -0.0, -1.0, 2.0**-1001, 2.0**1001, 5e-324])
def test_scale_parameter_out_of_range_is_a_valueerror(function, cls, param, value):
    with pytest.raises(ValueError, match=rf"{cls.__name__}\(\): {param}"):
        cls(value)
    with pytest.raises(ValueError, match=rf"{function.__name__}\(\): {param}"):
        function([1.0], value)


def test_real_parameters_of_any_kind_are_accepted():
    for value in (1, np.float32(0.5), np.int64(2), 0.25, 2.0**-1000, 2.0**1000):
        assert actlib.CELU(value).alpha == float(value)
        assert actlib.Softplus(value).beta == float(value)
        assert actlib.ELU(value).alpha == float(value)
    for value in (0, -2.5, -1e308, 1e308):
        assert actlib.ELU(value).alpha == float(value)
