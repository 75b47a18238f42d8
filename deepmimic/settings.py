"""The one reader of the arg parser: an arg set becomes the typed configs that ``env/`` and ``learning/`` take.

``Settings.from_args(args)`` builds the whole tree — ``env`` (``EnvConfig``), ``run`` (``RunConfig``), ``play``
(``PlayConfig``) and ``agent`` (``AgentConfig``) — so the env and the learner never see an ``ArgParser`` and a
key's spelling lives in one place. ``run_args.txt`` stays as it is: it is written from the arg set
(``util/run_settings.py``), which is also what a policy file's ``env_args`` hold.
"""
import dataclasses
import os
from dataclasses import dataclass

from deepmimic.env.env_config import DEFAULT_TIME_LIM, EnvConfig, RewardWeights, TimerParams
from deepmimic.learning.agent_config import AgentConfig, agent_config_from_data, load_agent_file
from deepmimic.learning.model_io import load_checkpoint, model_paths
from deepmimic.learning.trainer import RunConfig
from deepmimic.util.arg_keys import KEYS
from deepmimic.util.arg_parser import ArgParser
from deepmimic.util.errors import DeepMimicError
from deepmimic.util.file_io import check_new_dir, check_new_file
from deepmimic.util.paths import resolve_path
from deepmimic.util.run_settings import STATE_KEYS, apply_policy_settings, env_args, saved_env_args


def _where(args):
    return args.get("arg_file") or None


def _timer(args, prefix, fallback):
    """A --<prefix>_min/_max/_exp triple; a _max or _exp left out: the _min, and no exponential part."""
    if not args.has_key(prefix + "_min"):
        return fallback
    low, high, exp = (args.get(f"{prefix}_{part}") for part in ("min", "max", "exp"))
    lim = TimerParams(low, low if high is None else high, exp or 0.0)
    if lim.time_max < lim.time_min or lim.time_max <= 0:
        raise DeepMimicError(f"--{prefix}_max ({lim.time_max:g}) must be positive and >= --{prefix}_min "
                             f"({lim.time_min:g})", _where(args))
    return lim


def _check_drift_curriculum(args):
    """--drift_term_dist_beg anneals to --drift_term_dist over --drift_anneal_samples: it needs both."""
    if args.get("drift_term_dist_beg") is None:
        return
    if not args.get("drift_term_dist") > 0:
        raise DeepMimicError("--drift_term_dist_beg needs --drift_term_dist > 0, the distance it moves to (0 turns "
                             "drift termination off)", _where(args))
    if not args.get("drift_anneal_samples") > 0:
        raise DeepMimicError("--drift_term_dist_beg needs --drift_anneal_samples > 0, the samples it moves over",
                             _where(args))


def _check_assist(args):
    """--assist_gain fades over --assist_anneal_samples: a hand that never fades would hold up every training
    episode while test episodes, never assisted, fall."""
    if args.get("assist_gain") > 0 and not args.get("assist_anneal_samples") > 0:
        raise DeepMimicError("--assist_gain needs --assist_anneal_samples > 0, the samples it fades over",
                             _where(args))


def _check_adaptive_starts(args):
    """--adaptive_starts_at says how the adaptive share of starts is drawn: alone it would change nothing."""
    if args.get("adaptive_starts_at") != "start" and not args.get("adaptive_starts") > 0:
        raise DeepMimicError(f"--adaptive_starts_at {args.get('adaptive_starts_at')} needs --adaptive_starts > 0, the "
                             "share of training episodes it draws", _where(args))


def env_config(args):
    """The env's settings: the clip, the character and its gains (paths resolved), episode limits, the terms."""
    motion = args.get("motion_file")
    if not motion:
        raise DeepMimicError("no --motion_file given (set it in the arg file)", _where(args))
    _check_drift_curriculum(args)
    _check_adaptive_starts(args)
    _check_assist(args)
    end = _timer(args, "time_end_lim", DEFAULT_TIME_LIM)
    beg = _timer(args, "time_lim", end)
    flags = ("world_scale", "anneal_samples", "ref_joint_vel_reward", "end_eff_root_relative", "smooth_ref_vel",
             "drift_term_dist", "drift_term_dist_beg", "drift_anneal_samples", "pose_term_dist", "clip_end_hold",
             "assist_gain", "assist_anneal_samples", "adaptive_starts", "adaptive_starts_at", "ref_root_state",
             "ref_pose_state", "residual_actions", "fall_contact_bodies")
    return EnvConfig(motion_file=resolve_path(motion), char_file=resolve_path(args.get("character_files")[0]),
                     ctrl_file=resolve_path(args.get("char_ctrl_files")[0]), time_lim=beg, time_end_lim=end,
                     reward=reward_weights(args), **{key: args.get(key) for key in flags})


def reward_weights(args):
    """The reward's ``--reward_*`` weights; all four zero would leave the reward undefined (0/0)."""
    w = RewardWeights(pose=args.get("reward_pose_w"), vel=args.get("reward_vel_w"), end_eff=args.get("reward_end_eff_w"),
                      root=args.get("reward_root_w"), end_eff_scale=args.get("reward_end_eff_scale"))
    if w.pose + w.vel + w.end_eff + w.root <= 0:
        raise DeepMimicError("--reward_pose_w, --reward_vel_w, --reward_end_eff_w and --reward_root_w are all 0: "
                             "give at least one term a weight", _where(args))
    return w


def model_file(args):
    """The model ``--model_files`` names (resolved; a run folder names its ``agent0_model_anet.pth``), or "" when
    none is given (``none`` is DeepMimic's word for it)."""
    files = [m for m in args.get("model_files") if m != "none"]
    path = resolve_path(files[0]) if files else ""
    return os.path.join(path, "agent0_model_anet.pth") if path and os.path.isdir(path) else path


def output_paths(args):
    """(output_path, int_output_path). Intermediate models follow an --output_path given on the
    command line unless --int_output_path is given there too (an arg file's folder is for its own output)."""
    out = args.get("output_path")
    inter = args.get("int_output_path")
    if out and args.source_of("output_path") == "command line" and args.source_of("int_output_path") != "command line":
        inter = os.path.join(out, "intermediate")
    return out, inter


def run_config(args):
    """The run's own settings (outputs, limits, curve, warm start); the files it reads are never replaced."""
    given = [args.get("arg_file") or ""] + (list(args.get("agent_files")) if args.has_key("agent_files") else [])
    keys = ("max_samples", "max_iters", "overwrite", "tensorboard", "curve_every", "curve_episodes", "stop_at_return",
            "stop_max_falls", "fine_samples", "warm_start_samples", "int_output_iters", "int_save_iters")
    return RunConfig(*output_paths(args), resume_from=model_file(args), train=args.get("train_agents"),
                     inputs=tuple(resolve_path(f) for f in given if f), **{key: args.get(key) for key in keys})


def policy_settings(args):
    """For playing: the env settings a policy file carries fill what ``args`` leaves out (a contradiction
    of the settings that shape the state is an error); returns (its agent file's JSON, its path), or None
    for files that carry none (format 1)."""
    model = model_file(args)
    if not model:
        return None
    anet = model_paths(model)[0]
    data = load_checkpoint(anet, "actor")
    apply_policy_settings(args, data.get("env_args", {}), anet)
    return (data["agent"], anet) if "agent" in data else None


def recording_outputs(args, inputs=()):
    """(gif, png folder) of ``--record`` / ``--record_png``, checked before anything is simulated: a GIF
    name ending in .gif, never an input file or an existing file (unless --overwrite true), PNG frames only
    into a new or empty folder."""
    gif, png_dir = args.get("record"), args.get("record_png")
    overwrite = args.get("overwrite")
    if gif:
        if os.path.splitext(gif)[1].lower() != ".gif":
            raise DeepMimicError("--record writes an animated GIF: give the file a .gif name", gif)
        check_new_file(gif, "record", overwrite, inputs)
    if png_dir:
        check_new_dir(png_dir, "record_png", overwrite)
    return gif, png_dir


def gym_env_config(arg_file, ref_root_state=False, policy_file=None):
    """The gymnasium env's settings: ``arg_file``'s, with the state a policy file was trained on (and its
    character) when one is given, else the plain state (plus the reference root if ``ref_root_state``)."""
    args = ArgParser.from_argv(["--arg_file", arg_file])
    if not policy_file:
        return dataclasses.replace(env_config(args), ref_root_state=ref_root_state, ref_pose_state=False)
    saved = saved_env_args(policy_file)
    for key in STATE_KEYS:
        args.set(key, saved.get(key, KEYS[key].default))
    return env_config(args)


def agent_config(args, saved_agent=None):
    """The agent of ``--agent_files`` (default: the recipe's), or ``saved_agent`` (a policy's own, from
    ``policy_settings``) when no agent file is given."""
    if saved_agent is not None and not args.has_key("agent_files"):
        return agent_config_from_data(*saved_agent)
    return load_agent_file(resolve_path(args.get("agent_files")[0]))


@dataclass(frozen=True)
class PlayConfig:
    """What ``testrl.py`` plays: how many episodes (or a GUI), how long, what size of frame."""
    num_episodes: int
    max_episodes: int
    max_steps: int          # 0: no limit
    width: int
    height: int


@dataclass
class Settings:
    """An arg set as typed configs; ``env_args`` is the arg set's env part as strings, kept in policy files."""
    env: EnvConfig
    run: RunConfig
    play: PlayConfig
    agent: AgentConfig
    num_envs: int
    env_args: dict

    @classmethod
    def from_args(cls, args, saved_agent=None):
        play = PlayConfig(*(args.get(k) for k in ("num_episodes", "max_episodes", "max_steps", "width", "height")))
        return cls(env=env_config(args), run=run_config(args), play=play, agent=agent_config(args, saved_agent),
                   num_envs=args.get("num_envs_per_proc"), env_args=env_args(args))
