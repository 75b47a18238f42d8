"""The upstream pybullet DeepMimic port's env, driven beside ours: the tests' oracle (same states, actions,
rewards) and the benchmarks' yardstick (a policy of ours played in upstream's own env, upstream's speed).

It lives with the tests; the two benchmarks that measure against upstream (``pretrained_policies.py``,
``throughput.py``) load it by path (``deepmimic.util.paths.load_script``). Our side of a comparison is the package's
own ``rollout.run_episodes``. The wheel's ``pybullet_envs/__init__.py`` registers gym envs and fails on modern gym,
so ``import_upstream_env`` installs a stub ``pybullet_envs`` module whose ``__path__`` points at the installed
folder and imports the env module alone.
"""
import importlib.util
import os
import sys
import types

import numpy as np

from deepmimic.env.observation import REF_ROOT_SIZE, ref_root_features
from deepmimic.learning.rollout import EpisodeResult
from deepmimic.policy import DEFAULT_FALL_BODIES


def upstream_root():
    spec = importlib.util.find_spec("pybullet_data")
    data_dir = os.path.dirname(spec.origin)
    return os.path.join(os.path.dirname(data_dir), "pybullet_envs"), data_dir


def import_upstream_env(module="pybullet_deep_mimic_env"):
    """The upstream env module (``pybullet_deep_mimic_env`` or ``pybullet_deep_mimic_env_multiclip``)."""
    envs_dir, _ = upstream_root()
    if "pybullet_envs" not in sys.modules or not hasattr(sys.modules["pybullet_envs"], "__path__"):
        stub = types.ModuleType("pybullet_envs")
        stub.__path__ = [envs_dir]
        sys.modules["pybullet_envs"] = stub
    return importlib.import_module(f"pybullet_envs.deep_mimic.env.{module}")


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
FALL = list(DEFAULT_FALL_BODIES)


def make_upstream_env(skill, fall_contact_bodies=FALL, motion_file=None):
    """Upstream's env for ``data/motions/humanoid3d_<skill>.txt``; ``motion_file`` (a path under
    pybullet_data, e.g. ``data/motions/walker/``) builds its multiclip env instead."""
    import contextlib
    import io
    multi = motion_file is not None
    mod = import_upstream_env("pybullet_deep_mimic_env_multiclip" if multi else "pybullet_deep_mimic_env")
    args = UpstreamArgs(motion_file if multi else f"data/motions/humanoid3d_{skill}.txt", fall_contact_bodies)
    make = mod.PyBulletDeepMimicEnvMultiClip if multi else mod.PyBulletDeepMimicEnv
    with contextlib.redirect_stdout(io.StringIO()):
        env = make(args, enable_draw=False, init_strategy=mod.InitializationStrategy.START)
    return env


def upstream_reset_at(env, start_time):
    """Reset the upstream env to reference time ``start_time`` (what its RSI would draw)."""
    h = env._humanoid
    env.t = start_time
    h.setSimTime(start_time)
    h.resetPose()
    h.resetPose()
    env.needs_update_time = env.t - 1


def upstream_body_error(env):
    """The tracking error (``deepmimic.env.tracking_error``) in upstream's env: its simulated body against its
    kinematic reference body, which it poses at the env's time and rewards against."""
    from deepmimic.env.tracking_error import body_pos_error
    h = env._humanoid
    pb = h._pybullet_client
    links = list(range(pb.getNumJoints(h._sim_model)))
    sim, ref = ([l[0] for l in pb.getLinkStates(body, links, computeForwardKinematics=1)]
                for body in (h._sim_model, h._kin_model))
    return body_pos_error(sim, ref)


#: State sizes a policy may have to play in the upstream env: its own state, or that plus the reference root.
UPSTREAM_STATE_SIZES = (197, 197 + REF_ROOT_SIZE)


def upstream_state(env, ref_root=False):
    """The upstream env's state; with ``ref_root`` followed by our ``--ref_root_state`` entries, the
    reference root taken from upstream's own pose interpolator, which holds the kinematic pose at the
    env's current time (set by its reset and by every ``update``)."""
    s = np.array(env.record_state(0))
    if not ref_root:
        return s
    h = env._humanoid
    base_pos, base_rot = h._pybullet_client.getBasePositionAndOrientation(h._sim_model)
    ref = h._poseInterpolator
    return np.concatenate([s, ref_root_features(base_pos, base_rot, ref._basePos, ref._baseOrn)])


class PDTargets:
    """A ``--residual_actions`` policy as upstream's env must be given it: each offset turned into the PD targets
    it stands for, at the upstream env's time (``ImitationEnv.absolute_action``)."""

    def __init__(self, policy, ours, upstream):
        self.policy, self.ours, self.upstream = policy, ours, upstream
        self.state_size = policy.state_size

    def __call__(self, state):
        return self.ours.absolute_action(self.policy(state), self.upstream.t + self.ours.control_step())


def upstream_actor(act, ours, upstream):
    """``act`` as upstream's env must be given it: itself, or a ``--residual_actions`` policy's PD targets."""
    return PDTargets(act, ours, upstream) if ours.cfg.residual_actions else act


def run_upstream(env, act, start, max_steps, end_time=None):
    """The same episode in the upstream env (its state, reward and termination); a policy trained with
    ``--ref_root_state`` also sees the reference root (``upstream_state``). ``end_time``: the clip's end for a
    clip that does not loop, where our env (and DeepMimic) ends the episode and upstream's plays on."""
    assert act.state_size in UPSTREAM_STATE_SIZES, act.state_size
    ref_root = act.state_size != UPSTREAM_STATE_SIZES[0]
    upstream_reset_at(env, start)
    s, ret, err = upstream_state(env, ref_root), 0.0, np.zeros(2)
    for n in range(1, max_steps + 1):
        env.set_action(0, act(s))
        for _ in range(8):
            env.update(1.0 / 240)
        s = upstream_state(env, ref_root)
        ret += env.calc_reward(0)
        err += upstream_body_error(env)
        if env._humanoid.terminates():
            return EpisodeResult.from_sums(ret, n, True, err)
        if end_time is not None and env.t >= end_time - 0.5 / 240:  # t adds up 1/240 s physics steps
            return EpisodeResult.from_sums(ret, n, False, err)
    return EpisodeResult.from_sums(ret, max_steps, False, err)
