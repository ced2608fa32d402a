"""actlib: activation functions from scratch, exact, stable and fast, in NumPy.

Each activation comes as a function (JAX's and PyTorch's functional names) and as an object with
``__call__`` (forward), ``gradient`` (the derivative) and ``backward`` (the vector-Jacobian
product), named as PyTorch's classes. ``actlib.testing`` holds the measuring tools.
"""

from .leaky_relu import LeakyReLU, leaky_relu
from .mish import Mish, mish
from .relu import ReLU, relu
from .sigmoid import Sigmoid, sigmoid
from .silu import SiLU, silu
from .softmax import Softmax, softmax
from .tanh import Tanh, tanh

__version__ = "0.1.0"

__all__ = [
    "LeakyReLU",
    "Mish",
    "ReLU",
    "Sigmoid",
    "SiLU",
    "Softmax",
    "Tanh",
    "leaky_relu",
    "mish",
    "relu",
    "sigmoid",
    "silu",
    "softmax",
    "tanh",
]
