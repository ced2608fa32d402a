"""actlib: activation functions from scratch, exact, stable and fast, in NumPy.

Each activation comes as a function (JAX's and PyTorch's functional names) and as an object with
``__call__`` (forward), ``gradient`` (the derivative) and ``backward`` (the vector-Jacobian
product), named as PyTorch's classes. ``actlib.testing`` holds the measuring tools.
"""

from .elu import CELU, ELU, SELU, celu, elu, selu
from .gelu import GELU, gelu
from .glu import GEGLU, GLU, SwiGLU, geglu, glu, swiglu
from .hard import (
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    ReLU6,
    hard_sigmoid,
    hard_swish,
    hard_tanh,
    relu6,
)
from .leaky_relu import LeakyReLU, PReLU, leaky_relu, prelu
from .mish import Mish, mish
from .relu import ReLU, relu
from .sigmoid import Sigmoid, sigmoid
from .silu import SiLU, silu
from .softmax import LogSoftmax, Softmax, log_softmax, softmax
from .softplus import LogSigmoid, Softplus, Softsign, log_sigmoid, softplus, softsign
from .tanh import Tanh, tanh

__version__ = "0.1.0"

__all__ = [
    "CELU",
    "ELU",
    "GEGLU",
    "GELU",
    "GLU",
    "Hardsigmoid",
    "Hardswish",
    "Hardtanh",
    "LeakyReLU",
    "LogSigmoid",
    "LogSoftmax",
    "Mish",
    "PReLU",
    "ReLU",
    "ReLU6",
    "SELU",
    "Sigmoid",
    "SiLU",
    "Softmax",
    "Softplus",
    "Softsign",
    "SwiGLU",
    "Tanh",
    "celu",
    "elu",
    "geglu",
    "gelu",
    "glu",
    "hard_sigmoid",
    "hard_swish",
    "hard_tanh",
    "leaky_relu",
    "log_sigmoid",
    "log_softmax",
    "mish",
    "prelu",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "softsign",
    "swiglu",
    "tanh",
]
