"""Import the upstream pybullet DeepMimic port (our test oracle) without its package __init__.

The wheel's ``pybullet_envs/__init__.py`` registers gym envs and fails on modern gym, so we
install a stub ``pybullet_envs`` module whose ``__path__`` points at the installed folder.
"""
import importlib.util
import os
import sys
import types


def upstream_root():
    spec = importlib.util.find_spec("pybullet_data")
    data_dir = os.path.dirname(spec.origin)
    return os.path.join(os.path.dirname(data_dir), "pybullet_envs"), data_dir


def import_upstream_env():
    envs_dir, _ = upstream_root()
    if "pybullet_envs" not in sys.modules or not hasattr(sys.modules["pybullet_envs"], "__path__"):
        stub = types.ModuleType("pybullet_envs")
        stub.__path__ = [envs_dir]
        sys.modules["pybullet_envs"] = stub
    from pybullet_envs.deep_mimic.env import pybullet_deep_mimic_env
    return pybullet_deep_mimic_env


class UpstreamArgs:
    """The two arg-parser calls the upstream env makes."""

    def __init__(self, motion_file, fall_contact_bodies):
        self.motion_file = motion_file
        self.fall_contact_bodies = list(fall_contact_bodies)

    def parse_strings(self, key):
        assert key == "motion_file"
        return [self.motion_file]

    def parse_ints(self, key):
        assert key == "fall_contact_bodies"
        return self.fall_contact_bodies


#: Bodies whose ground contact ends an episode for most skills (args/train_humanoid3d_walk_args.txt).
FALL = [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 12, 13, 14]


def make_upstream_env(skill, fall_contact_bodies=FALL):
    import contextlib
    import io
    mod = import_upstream_env()
    args = UpstreamArgs(f"data/motions/humanoid3d_{skill}.txt", fall_contact_bodies)
    with contextlib.redirect_stdout(io.StringIO()):
        env = mod.PyBulletDeepMimicEnv(args, enable_draw=False,
                                       init_strategy=mod.InitializationStrategy.START)
    return env


def upstream_reset_at(env, start_time):
    """Reset the upstream env to reference time ``start_time`` (what its RSI would draw)."""
    h = env._humanoid
    env.t = start_time
    h.setSimTime(start_time)
    h.resetPose()
    h.resetPose()
    env.needs_update_time = env.t - 1
