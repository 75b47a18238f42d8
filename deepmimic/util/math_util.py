"""Interpolation for annealed schedules."""


def lerp(a, b, t):
    return (1.0 - t) * a + t * b
