"""Speed and memory of actlib against the naive formulas, side by side in one process.

Run from the repository root, with actlib installed (``python3 course.py`` sets up ``.venv``)::

    .venv/bin/python benchmarks/bench.py            # 10**6 elements, 15 repeats (about a minute)
    .venv/bin/python benchmarks/bench.py --quick    # 3 repeats: a smoke run of a few seconds
    .venv/bin/python benchmarks/bench.py --n 100000 --repeat 31
    .venv/bin/python benchmarks/bench.py --only softmax --only tanh

What it measures, for every activation of ``ELEMENTWISE`` and softmax, in float64 and float32
(GELU's exact form against ``0.5 * x * (1 + scipy.special.erf(x / sqrt(2)))``, when SciPy is
installed; its tanh form against the textbook ``0.5 * x * (1 + tanh(sqrt(2/pi) (x + 0.044715
x**3)))``, and for information against the same with ``x * x * x``):

* time of actlib's forward and gradient against the blog post's formula (``np.where(x >= 0, x, 0)``,
  ``1 / (1 + np.exp(-x))``, ``s * (1 - s)`` with ``s`` recomputed twice as the seed does,
  ``2 / (1 + np.exp(-2 * x)) - 1``, ``1 - t**2``, ...), on ``--n`` elements (default 10**6).
  Each timing is the median of ``--repeat`` runs of ``timeit``; the naive and the actlib runs are
  interleaved, so a neighbour loading the machine slows both alike. The headline is the ratio
  actlib / naive: absolute milliseconds on a shared machine are noise.
* peak memory of one actlib call (``tracemalloc``, to which NumPy reports its array buffers),
  in units of "float64 arrays of the input's length" (8 bytes x n), the result included.
* softmax on a (1000, 1000) batch (sqrt(n) x sqrt(n)): the forward, and ``Softmax.backward``
  (the vector-Jacobian product a network calls), also on causally masked batches (scores above
  the diagonal -inf, or -1e9, as attention masks them). The seed has no vector-Jacobian product,
  so the backward is judged against the naive one, ``p * (g - sum(g * p))`` with the seed's
  softmax. What a network built on the seed would compute, ``g * p * (1 - p)``, is timed too, for
  information only: that "gradient" is the wrong quantity (only the Jacobian's diagonal),
  cheaper because it skips the sum. The real Jacobian is n x n per row, O(n^2) memory (8 GB
  here), so it is not timed.

Bars (README, "Speed and memory"), all while actlib stays within the accuracy rule (the tests
check that):

* float64: actlib time <= 1.5 x the naive formula's for the blog post's five and the
  piecewise-linear activations, 2.0 x for the sigmoid's forward (which keeps a refinement step)
  and for the transcendental activations beyond the blog post: each row's bar is in the table;
* float32: actlib time <= 3 x the naive formula's (actlib may compute in float64 and round once);
* peak memory of an actlib call <= 4 float64 arrays of the input's length.

The naive formulas overflow in ``exp`` for large inputs; their warnings are silenced here with
``np.errstate``. Exit status is 0 whether or not the bars are met: this is a report, not a test.
"""

import argparse
import math
import statistics
import sys
import timeit
import tracemalloc
from functools import partial

import numpy as np

import actlib
from actlib.elu import SELU_ALPHA, SELU_SCALE

SLOPE = 0.01  # leaky_relu: actlib's (and PyTorch's) default, used for both sides
FLOAT32_BAR = 3.0
MEMORY_BAR = 4.0  # float64 arrays of the input's length


# The seed's formulas, as the blog post writes them (one line each, its defects included).
def seed_relu(x):
    return np.where(x >= 0, x, 0)


def seed_relu_gradient(x):
    return np.where(x >= 0, 1, 0)


def seed_leaky_relu(x):
    return np.where(x >= 0, x, SLOPE * x)


def seed_leaky_relu_gradient(x):
    return np.where(x >= 0, 1, SLOPE)


def seed_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def seed_sigmoid_gradient(x):
    return seed_sigmoid(x) * (1 - seed_sigmoid(x))


def seed_tanh(x):
    return 2 / (1 + np.exp(-2 * x)) - 1


def seed_tanh_gradient(x):
    return 1 - np.power(seed_tanh(x), 2)


# The hard activations' naive forms: np.clip and np.where, as most code writes them.
def naive_relu6(x):
    return np.clip(x, 0, 6)


def naive_relu6_gradient(x):
    return np.where((x > 0) & (x < 6), 1.0, 0.0)


def naive_hard_tanh(x):
    return np.clip(x, -1, 1)


def naive_hard_tanh_gradient(x):
    return np.where((x > -1) & (x < 1), 1.0, 0.0)


def naive_hard_sigmoid(x):
    return np.clip(x / 6 + 0.5, 0, 1)


def naive_hard_sigmoid_gradient(x):
    return np.where((x > -3) & (x < 3), 1 / 6, 0.0)


def naive_hard_swish(x):
    return x * np.clip(x / 6 + 0.5, 0, 1)


def naive_hard_swish_gradient(x):
    return np.where(x < -3, 0.0, np.where(x > 3, 1.0, x / 3 + 0.5))


def naive_prelu(x, w=0.25):
    return np.where(x > 0, x, w * x)


def naive_prelu_gradient(x, w=0.25):
    return np.where(x > 0, 1.0, w)


def naive_prelu_weight_gradient(x, g):
    return np.sum(np.where(x > 0, 0.0, g * x))


def naive_glu(x):
    a, b = np.split(x, 2, axis=-1)
    return a * (1 / (1 + np.exp(-b)))


def naive_glu_backward(x, g):
    a, b = np.split(x, 2, axis=-1)
    s = 1 / (1 + np.exp(-b))
    return np.concatenate([g * s, g * a * s * (1 - s)], axis=-1)


def naive_swiglu(x):
    a, b = np.split(x, 2, axis=-1)
    return a / (1 + np.exp(-a)) * b


def naive_swiglu_backward(x, g):
    a, b = np.split(x, 2, axis=-1)
    s = 1 / (1 + np.exp(-a))
    return np.concatenate([g * b * s * (1 + a * (1 - s)), g * a * s], axis=-1)


def seed_softmax(x):
    e_x = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e_x / np.sum(e_x, axis=-1, keepdims=True)


def naive_log_softmax(x):
    """The textbook stable log-softmax: the max shift, then log-sum-exp."""
    z = x - np.max(x, axis=-1, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))


def naive_log_softmax_backward(x, g):
    """The textbook VJP of log-softmax, ``g - softmax(x) * sum(g)``."""
    return g - seed_softmax(x) * np.sum(g, axis=-1, keepdims=True)


def seed_softmax_backward(x, g):
    """What a network on the seed computes: the incoming gradient times the seed's "gradient".
    Not a vector-Jacobian product: timed for information, not judged."""
    p = seed_softmax(x)
    return g * (p * (1 - p))


def naive_softmax_backward(x, g):
    """The vector-Jacobian product as textbooks write it, ``p * (g - sum(g * p))``,
    on the seed's softmax: the naive formula the backward pass is judged against."""
    p = seed_softmax(x)
    return p * (g - np.sum(g * p, axis=-1, keepdims=True))


def naive_silu(x):
    return x / (1 + np.exp(-x))


def naive_silu_gradient(x):
    s = 1 / (1 + np.exp(-x))
    return s * (1 + x * (1 - s))  # PyTorch's silu_backward


def naive_mish(x):
    return x * np.tanh(np.log1p(np.exp(x)))


def naive_mish_gradient(x):
    t = np.tanh(np.log1p(np.exp(x)))
    return t + x * (1 / (1 + np.exp(-x))) * (1 - t * t)  # PyTorch's mish_backward


# GELU. The exact form's naive formula needs erf, which NumPy lacks: SciPy's, for the benchmark
# only (rows skipped with a note where SciPy is absent). The tanh form's is the textbook's, with
# x**3 as it is written; NumPy computes x**3 with pow, about 20x slower than x * x * x, so the
# rows against "x * x * x" are printed too, for information.
try:
    from scipy.special import erf as scipy_erf
except ImportError:  # pragma: no cover - SciPy is not a dependency
    scipy_erf = None
SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


def naive_gelu(x):
    return 0.5 * x * (1 + scipy_erf(x / math.sqrt(2)))


def naive_gelu_gradient(x):
    return 0.5 * (1 + scipy_erf(x / math.sqrt(2))) + x * np.exp(-0.5 * x * x) / math.sqrt(
        2 * math.pi)


def naive_gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x**3)))


def naive_gelu_tanh_gradient(x):
    t = np.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x**3))
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)


def naive_gelu_tanh_mul(x):
    return 0.5 * x * (1 + np.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)))


def naive_gelu_tanh_gradient_mul(x):
    t = np.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)


# name: (actlib object, naive forward, naive derivative, float64 bars (forward, derivative)).
# The naive formulas are the blog post's, or the textbook's for the activations it lacks.
ELEMENTWISE = {
    "relu": (actlib.ReLU(), seed_relu, seed_relu_gradient, (1.5, 1.5)),
    "leaky_relu": (actlib.LeakyReLU(SLOPE), seed_leaky_relu, seed_leaky_relu_gradient, (1.5, 1.5)),
    # the forward keeps one refinement step (2.5 -> 1.76 ULP) and may take 2x
    "sigmoid": (actlib.Sigmoid(), seed_sigmoid, seed_sigmoid_gradient, (2.0, 1.5)),
    "tanh": (actlib.Tanh(), seed_tanh, seed_tanh_gradient, (1.5, 1.5)),
    "silu": (actlib.SiLU(), naive_silu, naive_silu_gradient, (2.0, 2.0)),
    "mish": (actlib.Mish(), naive_mish, naive_mish_gradient, (2.0, 2.0)),
    "gelu_tanh": (actlib.GELU(approximate="tanh"), naive_gelu_tanh, naive_gelu_tanh_gradient,
                  (2.0, 2.0)),
}
if scipy_erf is not None:
    ELEMENTWISE["gelu"] = (actlib.GELU(), naive_gelu, naive_gelu_gradient, (2.0, 2.0))
# For information: (name, actlib object, naive forward, naive derivative, note)
INFO = [("gelu_tanh", actlib.GELU(approximate="tanh"), naive_gelu_tanh_mul,
         naive_gelu_tanh_gradient_mul, "naive with x * x * x, not x**3")]
# the hard activations and PReLU, against their np.clip / np.where forms
ELEMENTWISE |= {
    "relu6": (actlib.ReLU6(), naive_relu6, naive_relu6_gradient, (1.5, 1.5)),
    "hard_tanh": (actlib.Hardtanh(), naive_hard_tanh, naive_hard_tanh_gradient, (1.5, 1.5)),
    "hard_sigmoid": (actlib.Hardsigmoid(), naive_hard_sigmoid, naive_hard_sigmoid_gradient,
                     (1.5, 1.5)),
    "hard_swish": (actlib.Hardswish(), naive_hard_swish, naive_hard_swish_gradient, (1.5, 1.5)),
    "prelu": (actlib.PReLU(), naive_prelu, naive_prelu_gradient, (1.5, 1.5)),
}
# gated units: (actlib object, naive forward, naive backward); float64 bar 2.0 (transcendental)
GATED = {
    "glu": (actlib.GLU(), naive_glu, naive_glu_backward),
    "swiglu": (actlib.SwiGLU(), naive_swiglu, naive_swiglu_backward),
}


def naive_geglu_parts(gelu, gradient):
    def forward(x):
        a, b = np.split(x, 2, axis=-1)
        return gelu(a) * b

    def backward(x, g):
        a, b = np.split(x, 2, axis=-1)
        return np.concatenate([g * b * gradient(a), g * gelu(a)], axis=-1)

    return forward, backward


GATED["geglu_tanh"] = (actlib.GEGLU(approximate="tanh"),
                       *naive_geglu_parts(naive_gelu_tanh, naive_gelu_tanh_gradient))
if scipy_erf is not None:
    GATED["geglu"] = (actlib.GEGLU(), *naive_geglu_parts(naive_gelu, naive_gelu_gradient))


# The ELU and softplus families (notebooks 06, 07): the textbook formulas, np.where and all.
def naive_elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * (np.exp(x) - 1))


def naive_elu_gradient(x, alpha=1.0):
    return np.where(x > 0, 1.0, alpha * np.exp(x))


def naive_selu(x):
    return SELU_SCALE * naive_elu(x, SELU_ALPHA)


def naive_selu_gradient(x):
    return SELU_SCALE * naive_elu_gradient(x, SELU_ALPHA)


def naive_celu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * (np.exp(x / alpha) - 1))


def naive_celu_gradient(x, alpha=1.0):
    return np.where(x > 0, 1.0, np.exp(x / alpha))


def naive_softplus(x, beta=1.0):
    return np.log(1 + np.exp(beta * x)) / beta


def naive_softplus_gradient(x, beta=1.0):
    return 1 / (1 + np.exp(-beta * x))


def naive_log_sigmoid(x):
    return np.log(seed_sigmoid(x))


def naive_log_sigmoid_gradient(x):
    return 1 - seed_sigmoid(x)


def naive_softsign(x):
    return x / (1 + np.abs(x))


def naive_softsign_gradient(x):
    return 1 / (1 + np.abs(x)) ** 2


# transcendental beyond the blog post: 2.0x in float64
ELEMENTWISE.update({
    "elu": (actlib.ELU(), naive_elu, naive_elu_gradient, (2.0, 2.0)),
    "selu": (actlib.SELU(), naive_selu, naive_selu_gradient, (2.0, 2.0)),
    "celu": (actlib.CELU(), naive_celu, naive_celu_gradient, (2.0, 2.0)),
    "softplus": (actlib.Softplus(), naive_softplus, naive_softplus_gradient, (2.0, 2.0)),
    "log_sigmoid": (actlib.LogSigmoid(), naive_log_sigmoid, naive_log_sigmoid_gradient,
                    (2.0, 2.0)),
    "softsign": (actlib.Softsign(), naive_softsign, naive_softsign_gradient, (2.0, 2.0)),
})
CELU_ALPHA, SOFTPLUS_BETA = 0.3, 10.0  # the information rows: a scale that is not a power of two


def scaled_exp_cases(x):
    """For information (no bar): CELU and softplus at a scale that is not a power of two. Their
    float64 paths then reduce the exponential's argument in x's units (actlib/_scaled_exp.py),
    about 15 passes more, to keep e^(x/alpha) and e^(beta x) exact where the naive formula errs
    by hundreds of ULP."""
    rows = [
        ("celu", actlib.CELU(CELU_ALPHA), partial(naive_celu, alpha=CELU_ALPHA),
         partial(naive_celu_gradient, alpha=CELU_ALPHA), f"alpha={CELU_ALPHA}"),
        ("softplus", actlib.Softplus(SOFTPLUS_BETA), partial(naive_softplus, beta=SOFTPLUS_BETA),
         partial(naive_softplus_gradient, beta=SOFTPLUS_BETA), f"beta={SOFTPLUS_BETA:g}"),
    ]
    for name, act, naive, naive_gradient, note in rows:
        yield name, "forward", x.dtype, partial(naive, x), partial(act, x), note, None
        yield (name, "gradient", x.dtype, partial(naive_gradient, x), partial(act.gradient, x),
               note, None)


def causal_mask(s, fill):
    """``s`` with the entries above the diagonal set to ``fill``, as attention masks scores."""
    return np.where(np.tri(*s.shape, dtype=bool), s, s.dtype.type(fill))


def cases(n, rng):
    """Yield (activation, op, dtype, naive thunk, actlib thunk, note, bar) for every row of the
    table; a row whose bar is None is printed for information, without a verdict."""
    side = max(1, math.isqrt(n))
    for dtype in (np.float64, np.float32):
        # Scores of a typical pre-activation, wide enough to reach both tails of sigmoid and tanh.
        x = (rng.standard_normal(n) * 4.0).astype(dtype)
        for name, (act, naive, naive_gradient, bars) in ELEMENTWISE.items():
            bar_forward, bar_gradient = bars if dtype == np.float64 else (FLOAT32_BAR,) * 2
            yield name, "forward", x.dtype, partial(naive, x), partial(act, x), "", bar_forward
            yield (name, "gradient", x.dtype, partial(naive_gradient, x),
                   partial(act.gradient, x), "", bar_gradient)
        for name, act, naive, naive_gradient, note in INFO:
            yield name, "forward", x.dtype, partial(naive, x), partial(act, x), note, None
            yield (name, "gradient", x.dtype, partial(naive_gradient, x),
                   partial(act.gradient, x), note, None)
        yield from scaled_exp_cases(x)
        g = rng.standard_normal(n).astype(dtype)
        yield ("prelu", "weight_grad", x.dtype, partial(naive_prelu_weight_gradient, x, g),
               partial(actlib.PReLU().weight_gradient, x, g), "exact sum vs np.sum", None)
        # gated units: n inputs (rows of two halves), n/2 outputs
        xg = x.reshape(side, -1) if x.size % (2 * side) == 0 else x[: 2 * (n // 2)].reshape(-1, 2)
        gg = rng.standard_normal(xg.shape[:-1] + (xg.shape[-1] // 2,)).astype(dtype)
        bar = 2.0 if dtype == np.float64 else FLOAT32_BAR
        for name, (act, naive, naive_backward) in GATED.items():
            yield name, "forward", x.dtype, partial(naive, xg), partial(act, xg), "", bar
            yield (name, "backward", x.dtype, partial(naive_backward, xg, gg),
                   partial(act.backward, xg, gg), "", bar)
        s = (rng.standard_normal((side, side)) * 4.0).astype(dtype)
        g = rng.standard_normal((side, side)).astype(dtype)
        act = actlib.Softmax()
        batch = f"{side}x{side}"
        bar = 1.5 if dtype == np.float64 else FLOAT32_BAR
        yield "softmax", "forward", s.dtype, partial(seed_softmax, s), partial(act, s), batch, bar
        yield ("softmax", "backward", s.dtype, partial(naive_softmax_backward, s, g),
               partial(act.backward, s, g), f"{batch}; naive = p*(g - sum(g*p))", bar)
        for fill in (-np.inf, -1e9):
            m = causal_mask(s, fill)
            yield ("softmax", "backward", s.dtype, partial(naive_softmax_backward, m, g),
                   partial(act.backward, m, g), f"{batch} causally masked with {fill:g}", bar)
        yield ("softmax", "backward", s.dtype, partial(seed_softmax_backward, s, g),
               partial(act.backward, s, g), f"{batch}; vs the seed's g*p*(1-p), no VJP", None)
        act = actlib.LogSoftmax()
        bar = 2.0 if dtype == np.float64 else FLOAT32_BAR
        yield ("log_softmax", "forward", s.dtype, partial(naive_log_softmax, s), partial(act, s),
               f"{batch}; naive = z - log(sum(exp(z)))", bar)
        yield ("log_softmax", "backward", s.dtype, partial(naive_log_softmax_backward, s, g),
               partial(act.backward, s, g), f"{batch}; naive = g - p*sum(g)", bar)


def calibrate(thunk, min_seconds):
    """The number of calls per timing that lasts at least ``min_seconds`` (timeit's autorange)."""
    number = 1
    while True:
        if timeit.timeit(thunk, number=number) >= min_seconds:
            return number
        number *= 2 if number < 64 else 4


def warm_allocator():
    """Let glibc's malloc keep freed arrays of up to 32 MiB instead of unmapping them.

    A large block is mmap'ed; once one is freed, glibc raises its mmap and trim thresholds to that
    block's size. Before that, each fresh 8 MB array costs ~2000 first-touch page faults (~3 ms
    here, more than a float64 exp), and whether a call pays them depends on the allocation
    history of the rows before it: the ratios swung by 2-10x between runs. Freeing one 30 MiB
    block up front makes both sides run from reused memory (a steady training loop's state).
    Harmless with other allocators; ``--cold`` skips it.
    """
    block = np.ones(30 * 2**20 // 8)
    del block


def time_pair(naive, fast, repeat, min_seconds):
    """Seconds per call of ``naive`` and ``fast``, timed alternately ``repeat`` times each."""
    naive()  # warm-up: first-touch page faults, ufunc loop lookup
    fast()
    number = calibrate(naive, min_seconds)
    t_naive, t_fast = [], []
    for _ in range(repeat):
        t_naive.extend(timeit.repeat(naive, number=number, repeat=1))
        t_fast.extend(timeit.repeat(fast, number=number, repeat=1))
    return [t / number for t in t_naive], [t / number for t in t_fast]


def peak_memory(thunk):
    """Peak bytes NumPy allocates during one call of ``thunk``, the returned array included."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        result = thunk()
        peak = tracemalloc.get_traced_memory()[1] - base
        del result
    finally:
        tracemalloc.stop()
    return peak


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10**6, help="elements per input (default 10**6)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="timings per side, median reported (default 15, --quick 3)")
    parser.add_argument("--quick", action="store_true", help="3 repeats: a smoke run")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the inputs")
    parser.add_argument("--cold", action="store_true",
                        help="do not warm the allocator: include first-touch page faults")
    parser.add_argument("--only", metavar="NAME", action="append",
                        help="time only this activation (relu, ..., softmax); repeatable")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")
    repeat = args.repeat or (3 if args.quick else 15)
    min_seconds = 0.002 if args.quick else 0.01
    rng = np.random.default_rng(args.seed)
    if not args.cold:
        warm_allocator()
    unit = 8 * args.n

    print(f"actlib {actlib.__version__} vs the naive formulas; numpy {np.__version__}, "
          f"Python {sys.version.split()[0]}")
    print(f"n = {args.n:,} elements (softmax: a {math.isqrt(args.n)}x{math.isqrt(args.n)} batch), "
          f"median of {repeat} interleaved timeit runs per side.")
    print("Ratio = actlib time / naive time: the headline. Absolute ms on a shared machine are "
          "noise; spread = quartiles")
    print("of the back-to-back ratios. Peak = actlib's peak memory in float64 arrays of n elements "
          f"({unit / 2**20:.1f} MiB each); naive peak, the seed's.")
    print("Allocator " + ("cold: first-touch page faults included." if args.cold else
                          "warmed: memory is reused, page faults excluded (--cold includes them)."))
    print(f"Bars: ratio <= the row's bar (float64: 1.5 or 2.0), <= {FLOAT32_BAR:g} (float32); "
          f"peak <= {MEMORY_BAR:g}.")
    print()
    header = (f"{'activation':<11} {'op':<9} {'dtype':<8} {'naive ms':>9} {'actlib ms':>10} "
              f"{'ratio':>6} {'spread':<11} {'bar':>4} {'met?':<11} {'peak':>5} {'naive peak':>10}"
              "  note")
    print(header)
    print("-" * len(header))
    failures = []
    with np.errstate(all="ignore"):  # the naive formulas overflow in exp; keep the output clean
        for name, op, dtype, naive, fast, note, bar in cases(args.n, rng):
            if args.only and name not in args.only:
                continue
            naive_times, fast_times = time_pair(naive, fast, repeat, min_seconds)
            t_naive = statistics.median(naive_times)
            t_fast = statistics.median(fast_times)
            ratio = t_fast / t_naive
            # The spread: quartiles of the ratios of the runs timed back to back.
            pairs = sorted(f / n for f, n in zip(fast_times, naive_times, strict=True))
            q1, q3 = pairs[(len(pairs) - 1) // 4], pairs[(3 * len(pairs)) // 4]
            peak = peak_memory(fast) / unit
            naive_peak = peak_memory(naive) / unit
            missed = [what for what, ok in (("time", bar is None or ratio <= bar),
                                             ("mem", peak <= MEMORY_BAR)) if not ok]
            verdict = "NO:" + "+".join(missed) if missed else "yes"
            if bar is None:
                verdict = "(info)"
            elif missed:
                failures.append(f"{name} {op} {dtype} ({', '.join(missed)})")
            shown_bar = "-" if bar is None else f"{bar:.1f}"
            print(f"{name:<11} {op:<9} {str(dtype):<8} {t_naive * 1e3:9.3f} {t_fast * 1e3:10.3f} "
                  f"{ratio:6.2f} {q1:5.2f}-{q3:<5.2f} {shown_bar:>4} {verdict:<11} {peak:5.2f} "
                  f"{naive_peak:10.2f}  {note}", flush=True)
    print()
    print("softmax backward: judged against the naive vector-Jacobian product "
          "p * (g - sum(g * p)). The seed's p * (1 - p)")
    print("is only the diagonal of the Jacobian diag(p) - p p^T, so g * p * (1 - p) is a wrong "
          "gradient (timed for information:")
    print("what a seed-based network pays, without the sum). "
          "Softmax.gradient builds the full Jacobian,")
    print(f"O(n^2) per row: {math.isqrt(args.n)}^3 = {math.isqrt(args.n) ** 3:.2e} elements here, "
          "so it is not benchmarked; backward needs O(n).")
    if scipy_erf is None:
        print("gelu (exact): skipped, its naive formula needs scipy.special.erf "
              "(pip install scipy, for the benchmark only).")
    if failures:
        print(f"Bars NOT met ({len(failures)}): " + "; ".join(failures))
    else:
        print("All bars met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
