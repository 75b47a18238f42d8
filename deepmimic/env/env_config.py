"""The env's settings as one typed record, with every default from the key table (``util/arg_keys.py``).

Kept apart from the env itself so that reading settings (``deepmimic.settings``) does not load PyBullet.
"""
from dataclasses import dataclass, field

from deepmimic.env.timer import TimerParams
from deepmimic.util.arg_keys import KEYS


def _default(key):
    """A key's one default (``util.arg_keys.KEYS``)."""
    return KEYS[key].default


#: Episode length when no --time_*lim_* key is given: the end limits' defaults, fixed.
DEFAULT_TIME_LIM = TimerParams(_default("time_end_lim_min"), _default("time_end_lim_min"), _default("time_end_lim_exp"))


@dataclass(frozen=True)
class RewardWeights:
    """The imitation reward's weights and scales (``env/reward.py``). The four term weights and the end-effector
    scale are keys a user sets (``--reward_*``); the rest are DeepMimic's released values, fixed."""
    pose: float = _default("reward_pose_w")
    vel: float = _default("reward_vel_w")
    end_eff: float = _default("reward_end_eff_w")
    root: float = _default("reward_root_w")
    pose_scale: float = 2.0
    vel_scale: float = 0.1
    end_eff_scale: float = _default("reward_end_eff_scale")
    root_scale: float = 5.0
    # the root error mixes position, rotation and velocities with these sub-weights
    root_pos: float = 1.0
    root_rot: float = 0.1
    root_vel: float = 0.01
    root_ang_vel: float = 0.001


@dataclass
class EnvConfig:
    """The env's settings. Defaults come from the key table; ``deepmimic.settings.env_config`` reads an arg set."""
    motion_file: str
    char_file: str = _default("character_files")[0]
    ctrl_file: str = _default("char_ctrl_files")[0]
    fall_contact_bodies: list = field(default_factory=list)
    world_scale: float = _default("world_scale")
    sim_freq: int = 240
    ctrl_freq: int = 30
    time_lim: TimerParams = DEFAULT_TIME_LIM
    time_end_lim: TimerParams = DEFAULT_TIME_LIM
    anneal_samples: float = _default("anneal_samples")
    #: DeepMimic compares joint velocities with the motion's; the upstream port reads them back
    #: from its kinematic body, where they are always 0. False keeps upstream parity.
    ref_joint_vel_reward: bool = _default("ref_joint_vel_reward")
    #: DeepMimic compares end effectors relative to each character's root, turned into its heading
    #: frame (heights above the ground); the upstream port compares world positions, so there a
    #: drifting character loses the end-effector term with the root term. False keeps upstream parity.
    end_eff_root_relative: bool = _default("end_eff_root_relative")
    #: DeepMimic low-passes the clip's frame velocities and blends them between frames; the upstream port
    #: holds the raw difference of the frame pair around ``t``. They seed every start state (RSI) and the
    #: velocity reward. False keeps upstream parity (``motion_data.MotionData._frame_velocities``).
    smooth_ref_vel: bool = _default("smooth_ref_vel")
    #: End a training episode as a failure once the root is farther than this (m) from the reference
    #: root (0: off, as DeepMimic; test episodes never end this way). The reward compares world
    #: positions, so a drifting character earns little; ending such episodes early spends samples
    #: where they teach (MimicKit does similar).
    drift_term_dist: float = _default("drift_term_dist")
    #: A curriculum for the drift limit: this distance at the first sample, moved linearly to
    #: ``drift_term_dist`` over ``drift_anneal_samples`` (None: the limit is ``drift_term_dist`` throughout).
    #: Creeping run policies end 54 of 64 training episodes by drift ~2 s in, so their tests fall in states
    #: past 1 m that training never kept; a looser leash early lets training see them.
    drift_term_dist_beg: float = _default("drift_term_dist_beg")
    drift_anneal_samples: float = _default("drift_anneal_samples")
    #: End a training episode as a failure once any body is farther than this (m) from the same body of
    #: the reference pose (0: off). MimicKit ends at 1 m, ProtoMotions at 0.25-0.5 m: a character that
    #: slowly topples is stopped before the fall, where the samples still teach.
    pose_term_dist: float = _default("pose_term_dist")
    #: Training episodes only: a PD push toward the reference root's position and turn, spread over the body by mass
    #: (``root_assist``), at this strength (1: a 0.1 m error pulls with about the body's weight) at the first sample,
    #: falling linearly to 0 over ``assist_anneal_samples``; 0: off. Held up, early episodes run through the clip while
    #: balance is still unlearnt (on run it did not pay: benchmarks/results/README.md, recipe_v2_assist).
    assist_gain: float = _default("assist_gain")
    assist_anneal_samples: float = _default("assist_anneal_samples")
    #: Share of training episodes started toward the parts of the clip whose episodes fail
    #: (``start_sampler``); 0: every start uniform, DeepMimic's reference state initialisation.
    adaptive_starts: float = _default("adaptive_starts")
    #: Where a failed episode counts: the bin it started in ("start") or the one it ended in ("fail").
    adaptive_starts_at: str = _default("adaptive_starts_at")
    #: A clip that does not loop ends its episodes, as in DeepMimic, so a fall in its last frames costs the
    #: policy only those frames' reward and the critic's guess past the end; punch learnt to topple there.
    #: In training, play on this long (s) past the end against the last frame held (0: off); tests end
    #: with the clip either way, so returns compare across settings.
    clip_end_hold: float = _default("clip_end_hold")
    #: Append the reference root to the state: its position relative to the character's root and
    #: the heading difference (cos, sin), in the character's heading frame. DeepMimic's state is
    #: root-relative, so a policy cannot see (or correct) global drift, which the reward punishes.
    ref_root_state: bool = _default("ref_root_state")
    #: Append the reference pose one control step ahead (joint quaternions, revolute angles) to the
    #: state, as MimicKit's target observations: the policy reads the pose to reach instead of
    #: recalling it from the phase.
    ref_pose_state: bool = _default("ref_pose_state")
    #: Actions are offsets from the clip's pose at the end of the control step (a rotation vector per spherical joint,
    #: an angle per revolute one), not PD targets (DeepMimic): a zero action plays the clip, so the actor learns only
    #: the corrections, as DReCon and UHC do (``character.build_residual_action_layout``). False keeps upstream parity.
    residual_actions: bool = _default("residual_actions")
    #: The reward's term weights and end-effector scale (``--reward_*`` keys); DeepMimic's released values by default.
    reward: RewardWeights = field(default_factory=RewardWeights)
