"""netlab: the small network laboratory of the course's "in a network" sections.

Notebook 00 builds these pieces one by one; later notebooks import them so that each can spend its
time on its own activation. Everything is plain NumPy, seeded, and calls actlib's activation
objects: ``act(z)`` forward, ``act.backward(z, g)`` backward.

* :func:`init_weights` -- the weight matrices of a multilayer perceptron, with the initialisation
  that suits an activation (He for ReLU-like units, Glorot/Xavier for tanh-like, LeCun for SELU).
* :func:`signal_stats` -- push a batch through a deep stack at initialisation and a random upstream
  gradient back: per-layer activations and gradients, to see saturation, dead units and vanishing
  or exploding gradients.
* :func:`plot_layer_histograms` -- those per-layer values as a row of histograms.
* :func:`spirals` -- a small seeded two-class 2-D dataset no linear model can fit.
* :func:`train_mlp` -- mini-batch gradient descent on it, returning the loss curve.
"""

import matplotlib.pyplot as plt
import numpy as np

import actlib

# The standard deviation of a weight, by scheme, for a layer with fan_in inputs and fan_out outputs.
INITS = {
    "he": lambda fan_in, fan_out: np.sqrt(2.0 / fan_in),  # keeps E[z^2] for ReLU (half the units off)
    "glorot": lambda fan_in, fan_out: np.sqrt(2.0 / (fan_in + fan_out)),  # tanh, sigmoid
    "lecun": lambda fan_in, fan_out: np.sqrt(1.0 / fan_in),  # SELU, and tanh by some accounts
}


def init_weights(sizes, scheme, rng):
    """Weight matrices ``W[l]`` of shape ``(sizes[l], sizes[l + 1])``, normal with the scheme's std.

    ``scheme`` is a key of :data:`INITS` or a number (a fixed standard deviation). Biases start at 0
    and are left out: at initialisation they change nothing.

    >>> [w.shape for w in init_weights([2, 8, 1], "he", np.random.default_rng(0))]
    [(2, 8), (8, 1)]
    """
    weights = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        std = INITS[scheme](fan_in, fan_out) if isinstance(scheme, str) else float(scheme)
        weights.append(rng.normal(scale=std, size=(fan_in, fan_out)))
    return weights


def signal_stats(act, weights, x, rng):
    """Forward ``x`` through ``h = act(h @ W)`` for every ``W``, then a random gradient back.

    Returns ``(activations, gradients)``: lists with one array per layer, the layer's outputs
    ``h_l`` and the gradients of the loss with respect to its pre-activations ``z_l = h_{l-1} W_l``.
    The upstream gradient at the top is standard normal, as if from some loss.
    """
    zs, hs = [], []
    h = x
    for w in weights:
        z = h @ w
        h = act(z)
        zs.append(z)
        hs.append(h)
    g = rng.normal(size=h.shape)
    grads = [None] * len(weights)
    for layer in reversed(range(len(weights))):
        gz = act.backward(zs[layer], g)  # dL/dz = dL/dh * f'(z)
        grads[layer] = gz
        g = gz @ weights[layer].T  # dL/dh of the layer below
    return hs, grads


def plot_layer_histograms(values, title, layers=None, bins=60, range_=None, axes=None):
    """One histogram per layer of ``values`` (a list of arrays), in a row, sharing their x axis."""
    layers = range(len(values)) if layers is None else layers
    if axes is None:
        _, axes = plt.subplots(1, len(layers), figsize=(2.2 * len(layers), 2.2), sharex=True)
    for ax, layer in zip(np.atleast_1d(axes), layers, strict=True):
        ax.hist(np.ravel(values[layer]), bins=bins, range=range_, color="C0")
        ax.set_title(f"layer {layer + 1}", fontsize=9)
        ax.set_yticks([])
    np.atleast_1d(axes)[0].set_ylabel(title, fontsize=9)
    return axes


def spirals(n_per_class, rng, noise=0.2, turns=1.5):
    """Two interleaved spirals in 2-D, ``n_per_class`` points each: ``(X, y)`` with y in {0, 1}.

    >>> X, y = spirals(5, np.random.default_rng(0))
    >>> X.shape, y.tolist()
    ((10, 2), [0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    """
    t = np.sqrt(rng.uniform(0.05, 1, n_per_class)) * turns * 2 * np.pi
    arm = np.column_stack([t * np.cos(t), t * np.sin(t)]) / (turns * 2 * np.pi)
    X = np.concatenate([arm, -arm]) + rng.normal(scale=noise / (turns * 2 * np.pi), size=(2 * n_per_class, 2))
    y = np.repeat([0, 1], n_per_class)
    return X, y


def train_mlp(act, X, y, hidden, rng, scheme="he", lr=0.1, epochs=200, batch=64):
    """Train ``X -> [act(h W + b)] * len(hidden) -> logit`` with the logistic loss by mini-batch SGD.

    The output layer is one logit, the loss binary cross-entropy with logits (its gradient with
    respect to the logit is ``sigmoid(logit) - y``). Returns ``(losses, predict)``: the mean
    training loss after each epoch and a function mapping inputs to probabilities.
    """
    sizes = [X.shape[1], *hidden, 1]
    weights = init_weights(sizes, scheme, rng)
    biases = [np.zeros(n) for n in sizes[1:]]

    def forward(inputs):
        zs, hs = [], [inputs]
        for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
            z = hs[-1] @ w + b
            zs.append(z)
            hs.append(act(z) if i < len(weights) - 1 else z)
        return zs, hs

    def loss_of(logit, target):  # mean of log(1 + e^-s) with s = +-logit, written overflow-free
        s = np.where(target == 1, logit, -logit)
        return float(np.mean(np.maximum(-s, 0) + np.log1p(np.exp(-np.abs(s)))))

    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch):
            idx = order[start : start + batch]
            zs, hs = forward(X[idx])
            p = actlib.sigmoid(zs[-1][:, 0])
            g = ((p - y[idx]) / len(idx))[:, None]
            for layer in reversed(range(len(weights))):
                if layer < len(weights) - 1:
                    g = act.backward(zs[layer], g)
                gw, gb = hs[layer].T @ g, g.sum(axis=0)
                g = g @ weights[layer].T
                weights[layer] -= lr * gw
                biases[layer] -= lr * gb
        losses.append(loss_of(forward(X)[0][-1][:, 0], y))

    def predict(inputs):
        return actlib.sigmoid(forward(inputs)[0][-1][:, 0])

    return np.array(losses), predict
