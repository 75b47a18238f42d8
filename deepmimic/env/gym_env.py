"""Gymnasium environments for every humanoid3d skill, on the same env code as training.

    import gymnasium as gym, deepmimic   # importing the package registers the ids
    env = gym.make("deepmimic/HumanoidDeepMimicWalk-v0", render_mode="rgb_array")

``terminated`` means a fall (a fall-contact body touched the ground); ``truncated`` means the
episode time limit (``--time_end_lim_max`` of the run arg file, 20 s) was reached. Observations are
DeepMimic's 197-d state whatever the run arg file's policy needs; ``ref_root_state=True`` (a
``gym.make`` keyword) appends the reference root as the recipe's policies expect (202-d), and
``policy_file=".../agent0_model_anet.pth"`` builds the observation that policy was trained with (the
settings a policy file of this package carries).
"""
import os

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from deepmimic import PACKAGE_ROOT
from deepmimic.env.imitation_env import ImitationEnv, Mode, Terminate

class DeepMimicGymEnv(gym.Env):
    metadata = {"render_modes": ["rgb_array"], "render_fps": 30}

    def __init__(self, skill="walk", arg_file=None, render_mode=None, width=320, height=240, ref_root_state=False,
                 policy_file=None):
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"unsupported render_mode {render_mode!r}; use 'rgb_array'")
        arg_file = arg_file or os.path.join(PACKAGE_ROOT, "args", f"run_humanoid3d_{skill}_args.txt")
        from deepmimic.settings import gym_env_config  # the one reader of arg files (imported here: it sits above env/)
        cfg = gym_env_config(arg_file, ref_root_state, policy_file)
        self.sim = ImitationEnv(cfg, seed=None, show_reference=render_mode is not None)
        self.sim.set_mode(Mode.TEST)
        self.render_mode, self.width, self.height = render_mode, width, height
        self.observation_space = spaces.Box(-np.inf, np.inf, shape=(self.sim.state_size,), dtype=np.float32)
        self.action_space = spaces.Box(self.sim.a_bound_min.astype(np.float32), self.sim.a_bound_max.astype(np.float32),
                                       dtype=np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        # One stream for starts and time limits, derived from gymnasium's seeded generator.
        self.sim.rng = np.random.default_rng(self.np_random.integers(2 ** 63))
        start = None if options is None else options.get("start_time")
        obs = self.sim.reset(start_time=start)
        return obs.astype(np.float32), {"phase": self.sim.phase()}

    def step(self, action):
        action = np.asarray(action, dtype=np.float64)
        if not np.all(np.isfinite(action)):  # PyBullet would return NaN observations forever
            raise ValueError(f"action contains NaN or infinite values at indices {np.nonzero(~np.isfinite(action))[0].tolist()}")
        obs, reward, done, term = self.sim.step(action)
        terminated = term == Terminate.FAIL
        truncated = done and not terminated
        err = self.sim.body_error  # the step's tracking error (deepmimic.env.tracking_error), in mm
        info = {"phase": self.sim.phase(), "body_err_mm": 1000.0 * err.global_m, "body_err_rel_mm": 1000.0 * err.root_rel_m}
        return obs.astype(np.float32), float(reward), bool(terminated), bool(truncated), info

    def render(self):
        if self.render_mode == "rgb_array":
            return self.sim.render_rgb(self.width, self.height)
        return None

    def close(self):
        self.sim.close()
