"""Exploration parameters, annealed from ExpParamsBeg to ExpParamsEnd over ExpAnnealSamples."""
from dataclasses import dataclass

from deepmimic.util.math_util import lerp, log_lerp


@dataclass
class ExpParams:
    rate: float = 0.2           # probability that a step gets exploration noise
    init_action_rate: float = 0.0
    noise: float = 0.1          # std of the Gaussian noise in normalised action space
    noise_internal: float = 0.0
    temp: float = 0.1

    @classmethod
    def from_json(cls, data):
        p = cls()
        for key, attr in (("Rate", "rate"), ("InitActionRate", "init_action_rate"), ("Noise", "noise"),
                          ("NoiseInternal", "noise_internal"), ("Temp", "temp")):
            if key in data:
                setattr(p, attr, float(data[key]))
        return p

    def lerp(self, other, t):
        return ExpParams(rate=lerp(self.rate, other.rate, t),
                         init_action_rate=lerp(self.init_action_rate, other.init_action_rate, t),
                         noise=lerp(self.noise, other.noise, t),
                         noise_internal=lerp(self.noise_internal, other.noise_internal, t),
                         temp=float(log_lerp(self.temp, other.temp, t)))
