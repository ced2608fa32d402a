"""actlib: activation functions from scratch, exact, stable and fast, in NumPy.

Each activation comes as a function (JAX's and PyTorch's functional names) and as an object with
``__call__`` (forward), ``gradient`` (the derivative) and ``backward`` (the vector-Jacobian
product), named as PyTorch's classes. ``actlib.testing`` holds the measuring tools.
"""

from .elu import CELU, ELU, SELU, celu, elu, selu
from .leaky_relu import LeakyReLU, leaky_relu
from .relu import ReLU, relu
from .sigmoid import Sigmoid, sigmoid
from .softmax import Softmax, softmax
from .softplus import LogSigmoid, Softplus, Softsign, log_sigmoid, softplus, softsign
from .tanh import Tanh, tanh

__version__ = "0.1.0"

__all__ = [
    "CELU",
    "ELU",
    "LeakyReLU",
    "LogSigmoid",
    "ReLU",
    "SELU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Softsign",
    "Tanh",
    "celu",
    "elu",
    "leaky_relu",
    "log_sigmoid",
    "relu",
    "selu",
    "sigmoid",
    "softmax",
    "softplus",
    "softsign",
    "tanh",
]
