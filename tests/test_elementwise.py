"""What every elementwise activation must satisfy: issue 2's ULP bars on each dtype's whole grid
against mpmath, and ``backward(x, g) == g * gradient(x)``.

The grids and references are in ``grids.py``; ``test_dense_screen.py`` looks again, densely, where
the activations bend. Each activation's own file tests what is particular to it.
"""

import numpy as np
import pytest
from grids import ELEMENTWISE, FINITE, FLOATS, KINDS, assert_elementwise_bar
from hypothesis import given, settings
from hypothesis import strategies as st

import actlib

ACTIVATIONS = {"relu": actlib.ReLU(), "leaky_relu": actlib.LeakyReLU(), "sigmoid": actlib.Sigmoid(),
               "tanh": actlib.Tanh()}


def test_every_elementwise_activation_is_here():
    assert set(ACTIVATIONS) == set(ELEMENTWISE)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_ulp_bars_against_mpmath(name, dtype, kind):
    assert_elementwise_bar(name, kind, dtype)


@pytest.mark.parametrize("name", ELEMENTWISE)
@settings(deadline=None, max_examples=60)
@given(data=st.data(), dtype=st.sampled_from(FLOATS))
def test_backward_is_grad_output_times_gradient(name, data, dtype):
    act = ACTIVATIONS[name]
    pairs = data.draw(st.lists(st.tuples(st.floats(width=16), FINITE[dtype]), min_size=1,
                               max_size=20))
    x, g = (np.array(column, dtype) for column in zip(*pairs, strict=True))
    with np.errstate(invalid="ignore", over="ignore"):  # inf * 0 = NaN is the expected answer
        expected = g * act.gradient(x)
    np.testing.assert_array_equal(act.backward(x, g), expected)
