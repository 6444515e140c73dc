"""Statistics of repeats: medians with a 95% bootstrap interval, ratios of
two or more points with an interval from the repeats of all of them, and the
detection of points whose repeats fall into two modes.

Why the bootstrap: timings on a shared machine are skewed and few (3-10
repeats); no normality is assumed. scipy.stats.bootstrap (Debian's scipy
1.10) does the resampling; method='percentile' because BCa's jackknife
breaks down on ties and on samples this small, and a fixed random_state so
the same file always gives the same report. With n repeats the interval of
a median cannot be narrower than the data allow: with 3 repeats it is about
the range. Fewer than 2 repeats on any side: no interval (None).
"""
from dataclasses import dataclass

import numpy as np

CONFIDENCE = 0.95
RESAMPLES = 2000
SEED = 20161013  # fixed: the same file gives the same intervals


@dataclass
class Estimate:
    value: float
    lo: float = None  # 95% interval, None when it cannot be computed
    hi: float = None

    def above(self, x):
        """Beyond x even at the bottom of the interval."""
        return self.lo is not None and self.lo > x

    def below(self, x):
        return self.hi is not None and self.hi < x

    def fmt(self, spec="{:.3f}"):
        s = spec.format(self.value)
        if self.lo is not None:
            s += " [" + spec.format(self.lo) + ", " + spec.format(self.hi) + "]"
        return s


def _bootstrap(samples, statistic):
    """statistic(*samples, axis) with a percentile interval; each sample is
    resampled independently (paired=False): the repeats of two points are
    not paired."""
    samples = [np.asarray(s, dtype=float) for s in samples]
    value = float(statistic(*samples, axis=-1))
    if any(len(s) < 2 for s in samples) or not np.isfinite(value):
        return Estimate(value)
    if all(np.ptp(s) == 0 for s in samples):  # nothing to resample
        return Estimate(value, value, value)
    from scipy.stats import bootstrap
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "degenerate" warnings on ties: the interval is still right
        res = bootstrap(tuple(samples), statistic, paired=False, vectorized=True, n_resamples=RESAMPLES,
                        confidence_level=CONFIDENCE, method="percentile", random_state=SEED)
    lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return Estimate(value)
    return Estimate(value, min(lo, value), max(hi, value))


def median(values):
    """The median of the repeats with its 95% bootstrap interval."""
    return _bootstrap([values], lambda x, axis: np.median(x, axis=axis))


def ratio(samples, fn):
    """A derived figure of several points: fn(m1, m2, ...) over the medians of
    each sample, its interval from resampling every sample independently.
    Division by a zero median gives no figure (None)."""
    meds = [np.float64(np.median(s)) for s in samples]  # numpy: x/0 is inf, not an exception
    with np.errstate(divide="ignore", invalid="ignore"):
        value = float(fn(*meds))
        if not np.isfinite(value):
            return None

        def statistic(*xs, axis):
            return fn(*(np.median(x, axis=axis) for x in xs))
        return _bootstrap(samples, statistic)


# Bimodality: a documented rule, simple enough to check by hand.
MIN_REPEATS = 4        # below this two modes of >= 2 cannot be told from noise
MIN_SHARE = 0.2        # each mode holds at least 20% of the repeats, and >= 2
GAP_OVER_SPREAD = 3.0  # the gap is 3x wider than either mode's own range
MIN_GAP_FRAC = 0.10    # and at least 10% of the lower mode: no splitting 1.00/1.01


@dataclass
class Modes:
    low: list
    high: list

    def describe(self, spec="{:.4f}"):
        n = len(self.low) + len(self.high)
        return (f"bimodal: {spec.format(float(np.median(self.low)))} ({len(self.low)}/{n}) | "
                f"{spec.format(float(np.median(self.high)))} ({len(self.high)}/{n})")


def bimodal(values):
    """Modes(low, high) when the sorted repeats split at their largest gap
    into two groups, each >= 2 repeats and >= 20% of them, the gap > 3x the
    larger group's range and > 10% of the lower group's median; else None.
    E.g. walls 1.50, 1.52, 3.5, 3.7, 3.8: gap 1.98 against ranges 0.02 and
    0.3 -> two modes, 2/5 at 1.51 s and 3/5 at 3.7 s."""
    x = sorted(float(v) for v in values)
    n = len(x)
    if n < MIN_REPEATS:
        return None
    gaps = [x[i + 1] - x[i] for i in range(n - 1)]
    i = max(range(n - 1), key=lambda k: gaps[k])
    low, high = x[:i + 1], x[i + 1:]
    need = max(2, MIN_SHARE * n)
    if len(low) < need or len(high) < need:
        return None
    spread = max(low[-1] - low[0], high[-1] - high[0])
    if gaps[i] <= GAP_OVER_SPREAD * spread or gaps[i] <= MIN_GAP_FRAC * float(np.median(low)):
        return None
    return Modes(low, high)
