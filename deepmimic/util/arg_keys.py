"""Every key an arg file or command line may carry: its group, kind, default, check and meaning.

One table serves three purposes: unknown keys are errors naming the closest known key (a typo in
``--max_samples`` must not train forever), every value is checked before any work starts, and
``--help`` prints the table. Keys that DeepMimic's and the upstream port's arg files carry but this
port does not need are accepted and listed in ``COMPAT_KEYS`` with the reason.
"""
import difflib
import math
from dataclasses import dataclass

from deepmimic.util.errors import DeepMimicError, range_text, shown_number


@dataclass(frozen=True)
class Key:
    """One key. ``default`` is the value every reader gets when the key is not given (``ArgParser.get``):
    this table is the one place a default is written (tested)."""
    group: str
    kind: str         # str, strs, int, ints, float, bool, count (a whole number; 1e7 is allowed)
    default: object   # typed: str, tuple, int, float, bool, or None (a rule described by ``shown``)
    help: str
    low: float = -math.inf   # numeric values must lie in [low, high]
    high: float = math.inf
    choices: tuple = ()      # str values must be one of these (when given)
    shown: str = ""          # --help's text for the default, where the value alone would not say it

    @property
    def bounds(self):
        """(low, high): the range a script checks a value against before it passes the value on as this key."""
        return self.low, self.high

    def shown_default(self):
        if self.shown:
            return self.shown
        if isinstance(self.default, tuple):
            return " ".join(str(v) for v in self.default) or "-"
        if isinstance(self.default, bool):
            return "true" if self.default else "false"
        return str(self.default) if self.default != "" else "-"


_POS = 1e-12  # "positive" lower bound for floats
MAX_INT = 2 ** 31 - 1  # the largest seed or count a command line takes (a 32-bit int, as DeepMimic reads them)
TRUE_WORDS = ("true", "1", "yes")    # what a bool key accepts (any case)
FALSE_WORDS = ("false", "0", "no")
DEFAULT_AGENT_FILE = "data/agents/ct_agent_humanoid_ppo_fast.txt"

#: Other names users know a key by (DeepMimic's, the PyTorch port's): read as the key they stand for.
ALIASES = {"model_file": "model_files", "char_file": "character_files", "character_file": "character_files"}
KEYS = {
    "arg_file": Key("general", "str", "", "file of '--key values' lines; the command line overrides it"),
    "help": Key("general", "strs", (), "print this help and exit"),
    "env_type": Key("general", "str", "humanoid3d", "the character kind (DeepMimic's and the PyTorch port's key); humanoid3d is the one there is",
                    choices=("humanoid3d",)),
    # env
    "motion_file": Key("env", "str", "", "motion clip (DeepMimic motion JSON), a folder of clips, or a dataset file {\"Motions\": [{\"Weight\": w, \"File\": f}]}", shown="(required)"),
    "character_files": Key("env", "strs", ("data/characters/humanoid3d.txt",), "DeepMimic char file (skeleton and bodies)"),
    "char_ctrl_files": Key("env", "strs", ("data/controllers/humanoid3d_ctrl.txt",), "PD gains per joint"),
    "fall_contact_bodies": Key("env", "ints", (), "body ids whose ground contact ends an episode as a fall", 0, 1000, shown="(none)"),
    "world_scale": Key("env", "float", 4.0, "accepted for DeepMimic compatibility: the body is built at this scale and loaded scaled back, so the simulation is the same at any value (as upstream)", _POS),
    "time_lim_min": Key("env", "float", None, "episode length (s) at the start of training: minimum", 0, shown="time_end_lim_min"),
    "time_lim_max": Key("env", "float", None, "... maximum", 0, shown="time_lim_min"),
    "time_lim_exp": Key("env", "float", None, "... rate of the exponential added to the minimum", 0, shown="time_end_lim_exp"),
    "time_end_lim_min": Key("env", "float", 20.0, "episode length (s) after --anneal_samples and in tests: minimum", 0),
    "time_end_lim_max": Key("env", "float", None, "... maximum", 0, shown="time_end_lim_min"),
    "time_end_lim_exp": Key("env", "float", 0.0, "... rate of the exponential added to the minimum", 0),
    "anneal_samples": Key("env", "float", 0.0, "samples over which episode length anneals to the end limits", 0),
    "ref_joint_vel_reward": Key("env", "bool", False, "velocity reward compares with the clip's joint velocities (DeepMimic), not 0 (upstream)"),
    "smooth_ref_vel": Key("env", "bool", False, "reference velocities (start states, velocity reward) as DeepMimic's: each frame's low-passed at the clip's VelFilterCutoff (6 Hz if absent) and blended between frames; false: upstream's difference of the frame pair, constant between frames"),
    "end_eff_root_relative": Key("env", "bool", False, "end-effector reward compares positions relative to each character's root in its heading frame, heights above the ground (DeepMimic), not world positions (upstream)"),
    "ref_root_state": Key("env", "bool", False, "append the reference root's offset and heading to the state (fast recipe)"),
    "ref_pose_state": Key("env", "bool", False, "append the reference pose one control step ahead to the state (MimicKit's target observation)"),
    "residual_actions": Key("env", "bool", False, "actions are offsets from the clip's pose (a rotation vector per ball joint, an angle per hinge), not PD targets (DeepMimic, upstream): a zero action plays the clip, so the actor learns only corrections (the recipe's)"),
    "pose_term_dist": Key("env", "float", 0.0, "end a training episode as a failure when any body is this far (m) from its place in the reference pose (MimicKit's pose termination); 0: off", 0),
    "assist_gain": Key("env", "float", 0.0, "training episodes only: a PD push toward the reference root's position and turn, spread over the body by mass, at this strength at the first sample (1: a 0.1 m error pulls with about the body's weight), falling linearly to 0 over --assist_anneal_samples (an assistive-force curriculum); 0: off", 0, 10),
    "assist_anneal_samples": Key("env", "float", 0.0, "samples over which --assist_gain falls to 0", 0),
    "drift_term_dist": Key("env", "float", 0.0, "end a training episode as a failure when the root is this far (m) from the reference; 0: off", 0),
    "drift_term_dist_beg": Key("env", "float", None, "a curriculum for --drift_term_dist: the distance (m) at the first sample, moved linearly to --drift_term_dist over --drift_anneal_samples", 0, shown="drift_term_dist"),
    "drift_anneal_samples": Key("env", "float", 0.0, "samples over which --drift_term_dist_beg moves to --drift_term_dist", 0),
    "adaptive_starts": Key("env", "float", 0.0, "share of training episodes that start where the rank's recent episodes failed most (by 5% bins of the clip, in proportion to their failure rate); the rest start uniformly, as DeepMimic (0)", 0, 1),
    "adaptive_starts_at": Key("env", "str", "start", "with --adaptive_starts: count a failed episode in the bin where it started, drawn by each bin's failure rate (start), or where it ended, drawn by each bin's share of the failures smoothed over the two bins before it (fail: BeyondMimic's rule; for a clip that fails from every start)", choices=("start", "fail")),
    "clip_end_hold": Key("env", "float", 0.0, "a clip that does not loop (kick, punch, getups): training episodes play on this many seconds past its end, against its last frame held, so a fall at the end costs what it costs elsewhere; 0: they end with the clip, as DeepMimic (test episodes always do)", 0, 60),
    "reward_pose_w": Key("env", "float", 0.5, "weight of the reward's pose term (joint rotations); the four weights are normalised by their sum. Defaults: DeepMimic's released code", 0, 1e6),
    "reward_vel_w": Key("env", "float", 0.05, "... of its velocity term (joint angular velocities)", 0, 1e6),
    "reward_end_eff_w": Key("env", "float", 0.15, "... of its end-effector term (hands and feet; MimicKit's key_pos)", 0, 1e6),
    "reward_root_w": Key("env", "float", 0.2, "... of its root term (the root's position, rotation and velocities)", 0, 1e6),
    "reward_end_eff_scale": Key("env", "float", 40.0, "the end-effector term is exp(-scale * mean squared distance, m^2): larger, the term falls faster with the distance", _POS, 1e6),
    # training
    "agent_files": Key("training", "strs", (DEFAULT_AGENT_FILE,), "PPO hyperparameters (DeepMimic agent JSON); the default is the recipe's"),
    "num_workers": Key("training", "int", 1, "MPI processes: the training relaunches itself under the bundled mpiexec -n N, as DeepMimic's mpi_run.py (or run mpiexec -n N yourself)", 1, 256),
    "model_files": Key("training", "strs", (), "agent0_model_anet.pth to resume from or to play", shown="(none)"),
    "train_agents": Key("training", "bool", True, "false: build everything but do not train"),
    "rand_seed": Key("training", "int", None, "seed; each MPI rank gets its own stream", 0, MAX_INT, shown="(time)"),
    "num_envs_per_proc": Key("training", "int", 8, "simulations per MPI rank, stepped as one batch", 1, 256),
    "max_samples": Key("training", "count", math.inf, "stop and save once this many samples are reached: the warm start stops at it, a PPO iteration collects the agent file's whole BatchSize, so the count may end up to one batch past it", 1, shown="(no limit)"),
    "max_iters": Key("training", "count", math.inf, "stop and save after this many PPO iterations", 1, shown="(no limit)"),
    "warm_start_samples": Key("training", "int", 0, "samples per rank to fit the actor to the clip's PD targets before PPO", 0, 10 ** 7),
    "tensorboard": Key("training", "bool", True, "mirror the log as TensorBoard scalars when tensorboard is installed"),
    "overwrite": Key("general", "bool", False, "replace existing outputs: a run in --output_path, a --record file, a non-empty --record_png folder"),
    # output
    "output_path": Key("output", "str", "", "folder for agent0_model_*.pth, agent0_log.txt, learning_curve.csv", shown="(none)"),
    "int_output_path": Key("output", "str", "", "folder for intermediate models", shown="<output_path>/intermediate"),
    "int_output_iters": Key("output", "int", 0, "test episodes (the log's Test_Return) every this many iterations, and intermediate models unless --int_save_iters is given", 1, 10 ** 9, shown="(agent file's IntOutputIters)"),
    "int_save_iters": Key("output", "int", 0, "intermediate models (int_output_path) every this many iterations", 1, 10 ** 9, shown="(--int_output_iters)"),
    "curve_every": Key("output", "count", 0, "every this many samples, test on fixed starts into learning_curve.csv; 0: off", 0, shown="0 (off)"),
    "curve_episodes": Key("output", "int", 16, "test episodes per learning-curve point", 1, 10000),
    "stop_at_return": Key("output", "float", 0.0, "stop once two learning-curve points in a row reach this mean test return with at most --stop_max_falls falls (needs --curve_every); 0: off", 0.0, 1e9, shown="0 (off)"),
    "fine_samples": Key("output", "count", 0, "once --stop_at_return is reached, train this many more samples in a fine phase (the agent file's FineActorStepsize, exploration held at ExpParamsEnd, its rate FineExpRate if given), then stop; 0: stop at the bar", 0, shown="0 (off)"),
    "stop_max_falls": Key("output", "int", 2, "falls a curve point may have to count for --stop_at_return and for agent0_best_*.pth (the best point's model)", 0, 10000),
    # playback (testrl)
    "num_episodes": Key("playback", "int", 0, "evaluate this many episodes headless and print statistics", 0, 10 ** 6),
    "max_episodes": Key("playback", "int", 0, "GUI: quit after this many episodes (0: never)", 0, 10 ** 6),
    "max_steps": Key("playback", "int", 0, "end each episode after this many control steps", 1, 10 ** 7, shown="(time limit)"),
    "record": Key("playback", "str", "", "record a GIF headless to this file"),
    "record_png": Key("playback", "str", "", "write PNG frames headless to this folder"),
    "cycles": Key("playback", "float", 1.0, "view_motion: clip cycles to record headless", 1e-3, 1000),
    "clip": Key("playback", "str", "0", "view_motion: which clip of a folder or dataset --motion_file (file name or index)", shown="(first)"),
    "width": Key("playback", "int", 320, "recorded frame width (pixels)", 16, 4096),
    "height": Key("playback", "int", 240, "recorded frame height (pixels)", 16, 4096),
}

#: Keys of DeepMimic's / the upstream port's arg files that are accepted and not used.
COMPAT_KEYS = {
    "scene": "one scene (imitation) is built",
    "num_update_substeps": "240 Hz physics and 30 Hz control are fixed, as upstream",
    "num_sim_substeps": "as num_update_substeps",
    "terrain_file": "the ground is a plane",
    "char_types": "one character type (general)",
    "char_ctrls": "one controller (stable PD)",
    "enable_char_soft_contact": "no soft contacts",
    "sync_char_root_pos": "the reference is drawn beside the character instead",
    "sync_char_root_rot": "as sync_char_root_pos",
    "enable_char_contact_fall": "falls are defined by --fall_contact_bodies (empty: none)",
    "enable_root_rot_fail": "not used by the humanoid3d skills shipped",
    "hold_end_frame": "non-looping clips hold their last frame",
    "playback_speed": "the GUI plays in real time",
}


def check_key(key, values, source):
    """Raise DeepMimicError naming ``source`` for an unknown key or a value that is not allowed."""
    if key in COMPAT_KEYS:
        return
    spec = KEYS.get(key)
    if spec is None:
        close = difflib.get_close_matches(key, list(KEYS) + list(COMPAT_KEYS) + list(ALIASES), n=1, cutoff=0.6)
        hint = f"; did you mean --{close[0]}?" if close else " (see --help)"
        raise DeepMimicError(f"unknown key --{key}{hint}", source)
    if spec.kind in ("str", "int", "float", "bool", "count") and len(values) != 1 and key != "help":
        raise DeepMimicError(f"--{key} takes one value, got {len(values)}", source)
    if key == "output_path" and values == [""]:  # it trained to the end and saved nothing
        raise DeepMimicError("--output_path is empty: name a folder (or leave the key out to train without saving)", source)
    if spec.choices and values and values[0] not in spec.choices:
        raise DeepMimicError(f"--{key} must be {' or '.join(spec.choices)}, got {values[0]}", source)
    if spec.kind == "bool" and values and values[0].lower() not in TRUE_WORDS + FALSE_WORDS:
        raise DeepMimicError(f"--{key} expects true or false, got {values[0]}", source)
    if spec.kind in ("int", "ints", "float", "count"):
        conv = int if spec.kind in ("int", "ints") else float
        try:
            nums = [conv(v) for v in values]
        except ValueError:
            raise DeepMimicError(f"--{key} expects {'a number' if conv is float else 'integers'}, got {' '.join(values)}", source)
        if spec.kind == "count" and not all(math.isfinite(x) and x == int(x) for x in nums):
            raise DeepMimicError(f"--{key} is a count and takes a whole number, got {' '.join(values)}", source)
        for x in nums:
            if not (spec.low <= x <= spec.high) or (conv is float and not math.isfinite(x)):
                raise DeepMimicError(f"--{key} must be {_range_text(spec)}, got {shown_number(x)}", source)


def _range_text(spec):
    if spec.low == _POS:
        return "a positive number"
    return range_text(spec.low, spec.high)


def list_arg_files():
    """The shipped arg files, as 'train: walk, run, ...' lines (the recipe, DeepMimic's, playing)."""
    import os
    from deepmimic import PACKAGE_ROOT
    names = sorted(os.listdir(os.path.join(PACKAGE_ROOT, "args"))) if os.path.isdir(os.path.join(PACKAGE_ROOT, "args")) else []
    lines = []
    for kind, pattern, what in (("train", "train_humanoid3d_<skill>_args.txt", "the recipe"),
                                ("train", "train_humanoid3d_<skill>_deepmimic_args.txt", "DeepMimic's configuration"),
                                ("run", "run_humanoid3d_<skill>_args.txt", "play")):
        head, tail = pattern.split("<skill>")
        skills = [n[len(head):-len(tail)] for n in names if n.startswith(head) and n.endswith(tail)]
        if tail == "_args.txt":  # the recipe's pattern also matches the _deepmimic_ files
            skills = [k for k in skills if not k.endswith("_deepmimic")]
        lines.append(f"  {kind} ({what}): args/{pattern} for " + ", ".join(skills))
    return lines


def format_help(title, groups):
    """The keys of ``groups`` with defaults and meanings, the shipped arg files, the compatibility keys."""
    lines = [title.strip(), ""]
    for group in groups:
        lines.append(f"{group}:")
        for name, spec in KEYS.items():
            if spec.group == group:
                lines.append(f"  --{name:22s} {spec.help} [default: {spec.shown_default()}]")
        lines.append("")
    lines += ["arg files:"] + list_arg_files() + [""]
    lines.append("aliases: " + ", ".join(f"--{a} = --{k}" for a, k in ALIASES.items()))
    lines.append("accepted for DeepMimic/upstream arg files, not used: " + ", ".join(f"--{k}" for k in COMPAT_KEYS))
    return "\n".join(lines)


def markdown_table():
    """Every key as a markdown table (group, key, default, meaning): args/README.md's key list is generated
    from this table (``python -m deepmimic.util.arg_keys``) and a test keeps the two equal."""
    rows = ["| group | key | default | meaning |", "|---|---|---|---|"]
    for name, spec in KEYS.items():
        if name != "help":
            rows.append(f"| {spec.group} | `--{name}` | {spec.shown_default().replace('|', '/')} | {spec.help.replace('|', '/')} |")
    rows.append("| alias | " + ", ".join(f"`--{a}`" for a in ALIASES) + " | | " +
                ", ".join(f"`--{a}` is `--{k}`" for a, k in ALIASES.items()) + " |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
