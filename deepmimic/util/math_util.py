"""Interpolation helpers for annealed schedules."""
import numpy as np


def lerp(a, b, t):
    return (1.0 - t) * a + t * b


def log_lerp(a, b, t):
    """Interpolate in log space (DeepMimic anneals the exploration temperature this way)."""
    return np.exp(lerp(np.log(a), np.log(b), t))
