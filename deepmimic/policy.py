"""A trained policy as one object: its actor, the env settings it was trained with (typed) and its agent.

``Policy.load`` reads an ``_anet.pth`` once, through the checked reader (``util/policy_file.py``). A file of
format 2 carries the env settings of its training (``env_args``) and its agent file; for an older file (the
converted upstream policies) the state size tells which extra state entries it expects. Every tool that plays a
policy outside a trainer (the upstream comparisons, the throughput and fall benchmarks) goes through here
instead of re-applying ``env_args`` on its own.
"""
import dataclasses
import os
from dataclasses import dataclass

import numpy as np
import torch

from deepmimic import PACKAGE_ROOT
from deepmimic.env.env_config import EnvConfig
from deepmimic.env.observation import REF_ROOT_SIZE
from deepmimic.learning.agent_config import agent_config_from_data
from deepmimic.learning.model_io import actor_from_checkpoint
from deepmimic.util.errors import DeepMimicError
from deepmimic.util.policy_file import read_policy_file

SHIPPED = os.path.join(PACKAGE_ROOT, "data", "policies", "humanoid3d")
#: DeepMimic's state (197 entries): what a policy of format 1 sees before any of the optional extras.
BASE_STATE_SIZE = 197
#: The bodies whose ground contact is a fall for most clips (``args/train_humanoid3d_walk_args.txt``): a
#: format-1 file does not say which it was trained with.
DEFAULT_FALL_BODIES = (0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 12, 13, 14)
REF_POSE_SIZE = 36


def shipped_names():
    """Short names of the shipped policies, ours and the converted ones (``walk``, ``walk_upstream``)."""
    return sorted(f[len("humanoid3d_"):-len("_anet.pth")] for f in os.listdir(SHIPPED) if f.endswith("_anet.pth"))


def shipped_path(name):
    """``name`` as a file: a path (it ends in .pth, names a folder or exists) as it is, else the shipped
    ``humanoid3d_<name>_anet.pth``; an unknown short name is refused with the names that exist."""
    if name.endswith(".pth") or os.sep in name or os.path.exists(name):
        return name
    path = os.path.join(SHIPPED, f"humanoid3d_{name}_anet.pth")
    if not os.path.isfile(path):
        raise DeepMimicError(f"no shipped policy named {name!r} (shipped: {', '.join(shipped_names())}; or give a "
                             "_anet.pth path)")
    return path


@dataclass
class Policy:
    path: str
    actor: object       # learning.nets.Actor, with its normalizers
    env_args: dict      # the saved env settings as strings (empty for a format-1 file)
    agent: object       # its AgentConfig, or None for a file that carries none
    samples: int        # samples it was trained on

    @classmethod
    def load(cls, name):
        """A policy file (``..._anet.pth``) or the short name of a shipped one (``walk``, ``jump_upstream``)."""
        path = shipped_path(name)
        data = read_policy_file(path, "actor")
        actor = actor_from_checkpoint(data, path)
        agent = agent_config_from_data(data["agent"], path) if "agent" in data else None
        return cls(path, actor.eval(), dict(data.get("env_args", {})), agent, int(data.get("samples", 0)))

    @property
    def state_size(self):
        return self.actor.s_norm.size

    def act(self, states):
        """The mean action for one state (1-d in, 1-d out) or a batch (2-d), as float64 numpy."""
        x = np.asarray(states)
        with torch.no_grad():
            out = self.actor(torch.as_tensor(np.atleast_2d(x), dtype=torch.float32)).double().numpy()
        return out[0] if x.ndim == 1 else out

    __call__ = act  # a states -> actions function, as ``rollout.run_episodes`` plays one

    def env_config(self, motion_file, **overrides):
        """Our env on ``motion_file`` with the state this policy was trained on; ``overrides``: ``EnvConfig``
        fields to play it under instead (e.g. ``smooth_ref_vel``)."""
        if self.env_args:
            from deepmimic.settings import env_config  # the one reader of arg sets (above learning/)
            from deepmimic.util.arg_parser import ArgParser
            from deepmimic.util.run_settings import apply_policy_settings
            args = ArgParser.from_argv(["--motion_file", motion_file])
            apply_policy_settings(args, self.env_args, self.path)  # the saved settings fill all but the clip
            cfg = env_config(args)
        else:
            extra = self.state_size - BASE_STATE_SIZE
            data = os.path.join(PACKAGE_ROOT, "data")
            cfg = EnvConfig(motion_file=motion_file, char_file=os.path.join(data, "characters/humanoid3d.txt"),
                            ctrl_file=os.path.join(data, "controllers/humanoid3d_ctrl.txt"),
                            fall_contact_bodies=list(DEFAULT_FALL_BODIES),
                            ref_root_state=extra in (REF_ROOT_SIZE, REF_ROOT_SIZE + REF_POSE_SIZE),
                            ref_pose_state=extra in (REF_POSE_SIZE, REF_ROOT_SIZE + REF_POSE_SIZE))
        return dataclasses.replace(cfg, **overrides)

    def make_env(self, skill, seed=0, **overrides):
        """Our env on ``skill``'s clip (``data/motions/humanoid3d_<skill>.txt``) or clip set (``data/motions/<skill>/``,
        the walker's five), set up for this policy: its training-mode schedules (episode length, drift limit)
        where its training stopped."""
        from deepmimic.env.imitation_env import ImitationEnv
        motion = os.path.join(PACKAGE_ROOT, "data", f"motions/humanoid3d_{skill}.txt")
        if not os.path.isfile(motion) and os.path.isdir(os.path.join(PACKAGE_ROOT, "data", "motions", skill)):
            motion = os.path.join(PACKAGE_ROOT, "data", "motions", skill)
        env = ImitationEnv(self.env_config(motion, **overrides), seed=seed)
        env.set_sample_count(self.samples)
        return env
