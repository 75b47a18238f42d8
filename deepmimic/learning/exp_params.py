"""Exploration parameters, annealed from ExpParamsBeg to ExpParamsEnd over ExpAnnealSamples.

DeepMimic's agent files also carry InitActionRate, NoiseInternal and Temp; its PPO agent does not use
them and neither do we (they are accepted, see ``agent_config.EXP_RANGES``).
"""
from dataclasses import dataclass

from deepmimic.util.math_util import lerp


@dataclass
class ExpParams:
    rate: float = 0.2           # probability that a step gets exploration noise
    noise: float = 0.1          # std of the Gaussian noise in normalised action space

    @classmethod
    def from_json(cls, data):
        """From an agent file's ExpParamsBeg/End, which state both (``agent_config`` checks)."""
        return cls(rate=float(data["Rate"]), noise=float(data["Noise"]))

    def lerp(self, other, t):
        return ExpParams(rate=lerp(self.rate, other.rate, t), noise=lerp(self.noise, other.noise, t))
