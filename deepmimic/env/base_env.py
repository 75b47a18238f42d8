"""The contract between an imitation env and the learner: what the agent and trainer may rely on.

Nothing under ``deepmimic/learning`` imports PyBullet or a concrete env; it sees envs only through
``EnvSpec`` (sizes, normalisation hints, action bounds, reward range: fixed for an env's life) and
the methods of ``ImitationTask``. MimicKit's ``BaseEnv`` plays the same role.
"""
from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol

import numpy as np


class Terminate(IntEnum):
    """How an episode ended: time-out (Null, bootstrap), fall (Fail, value 0) or success."""
    NULL = 0
    FAIL = 1
    SUCC = 2


class Mode(IntEnum):
    TRAIN = 0
    TEST = 1


@dataclass(frozen=True)
class EnvSpec:
    """Everything the agent needs to build its networks and normalizers (DeepMimic's BuildStateOffset,
    BuildActionBounds, GetRewardMin/Max, ...)."""
    state_size: int
    action_size: int
    state_offset: np.ndarray       # normalised state = (s + offset) * scale
    state_scale: np.ndarray
    state_norm_groups: np.ndarray  # -1: never re-normalised (the phase)
    action_offset: np.ndarray      # normalised action = (a + offset) * scale
    action_scale: np.ndarray
    action_bound_min: np.ndarray
    action_bound_max: np.ndarray
    reward_min: float
    reward_max: float


class ImitationTask(Protocol):
    """What the trainer, the evaluation loop and the warm start call on an env."""
    spec: EnvSpec
    t: float                       # simulation time (s)

    def reset(self, start_time=None) -> np.ndarray: ...
    def step(self, action) -> tuple: ...          # (state, reward, done, Terminate or None)
    def set_mode(self, mode: Mode) -> None: ...
    def set_sample_count(self, count: int) -> None: ...
    def clip_duration(self) -> float: ...         # one cycle of the reference clip (s)
    def control_step(self) -> float: ...         # seconds per control step
    def reference_action(self, t: float) -> np.ndarray: ...
    def clip_action(self, t: float) -> np.ndarray: ...           # the action that plays the clip's pose at t
