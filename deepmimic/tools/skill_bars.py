"""When a skill counts as learned: its bar on the learning curve's 16 fixed test episodes, and its sample budget.

Walk from scratch must match the steered run (>= 450 of 600 with at most 1 fall, within 10M samples); every other
skill >= 360 with at most 2 falls, within 15M. The bars are for the curve's 20 s test episodes (600 control steps,
reward <= 1 a step): a clip that does not loop (kick, punch, the getups) ends its episodes with the clip, so its bar
asks the same reward per step of the steps those episodes can run (360 of 600 is 0.6 a step; a kick's 16 episodes
can run 19.6 steps on average, so 11.7). Training judges two points in a row (``--stop_at_return``).
"""
import functools
import os
from typing import NamedTuple

import numpy as np

from deepmimic.learning.learning_curve import at_bar, bar_reached_at


class Bar(NamedTuple):
    """What a skill must reach on the 16 curve episodes, within how many samples, and how many it trains on past
    the bar in the fine phase (``--fine_samples``: run's tracking error 105.7 -> 54.8 mm root-relative in 1M)."""
    ret: float
    max_falls: int
    max_samples: float
    fine_samples: float = 1e6


BARS = {"walk": Bar(450.0, 1, 10e6)}
DEFAULT_BAR = Bar(360.0, 2, 15e6)
CURVE_STEPS = 600  # control steps of a curve test episode (20 s at 30 Hz)
CONFIRM = 2  # curve points in a row at the bar


def recipe_arg_file(skill):
    """The recipe's training arg file of ``skill`` (``args/train_humanoid3d_<skill>_args.txt``)."""
    from deepmimic import PACKAGE_ROOT
    return os.path.join(PACKAGE_ROOT, "args", f"train_humanoid3d_{skill}_args.txt")


def check_skill(skill, flag="--skill"):
    """A skill the project trains has its recipe arg file; else one line naming the flag that gave it."""
    from deepmimic.util.errors import DeepMimicError
    if not os.path.isfile(recipe_arg_file(skill)):
        raise DeepMimicError(f"{flag} {skill}: there is no args/train_humanoid3d_{skill}_args.txt")


@functools.lru_cache(maxsize=None)
def episode_steps(skill):
    """The most control steps each of the curve's test episodes of ``skill`` can run: 600, or, for a clip that
    does not loop, up to the clip's end, where the env ends the episode as DeepMimic does. Read once per skill;
    a motion set (the walker's clips) counts each episode's own lead clip (``curve_starts``)."""
    from deepmimic.env.character import load_character
    from deepmimic.env.motion_set import MotionSet
    from deepmimic.learning.learning_curve import curve_starts
    from deepmimic.settings import env_config
    from deepmimic.util.arg_keys import KEYS
    from deepmimic.util.arg_parser import ArgParser
    cfg = env_config(ArgParser.from_argv(["--arg_file", recipe_arg_file(skill)]))
    motions = MotionSet(cfg.motion_file, load_character(cfg.char_file))  # the env's copies, read once
    steps = []
    for clip, t in curve_starts(motions, KEYS["curve_episodes"].default):
        motion = motions.clips[clip]
        left = np.ceil((motion.cycle_time - 0.5 / cfg.sim_freq - t) * cfg.ctrl_freq)  # the env's time-out rule
        steps.append(CURVE_STEPS if motion.loop else int(np.clip(left, 1, CURVE_STEPS)))
    return tuple(steps)


def skill_bar(skill, ret=None, max_falls=None, max_samples=None, fine_samples=None):
    """The skill's bar; any of ``ret`` / ``max_falls`` / ``max_samples`` / ``fine_samples`` given replaces its own."""
    bar = BARS.get(skill, DEFAULT_BAR)
    steps = episode_steps(skill)
    own = bar.ret * sum(steps) / len(steps) / CURVE_STEPS
    pick = lambda given, own: own if given is None else given  # noqa: E731
    return Bar(pick(ret, own), pick(max_falls, bar.max_falls), pick(max_samples, bar.max_samples),
               pick(fine_samples, bar.fine_samples))


def why_done(rows, bar, confirm=CONFIRM):
    """Why a skill whose curve is ``rows`` needs no more training (past its bar and its fine phase, or its budget
    spent), else None."""
    reached = bar_reached_at(rows, bar.ret, bar.max_falls, confirm)
    if reached is not None and rows[-1]["samples"] >= reached + bar.fine_samples:
        return (f"past its bar ({bar.ret:g} with <= {bar.max_falls} falls) at {int(reached):,} samples"
                + (f" and its fine phase of {int(bar.fine_samples):,}" if bar.fine_samples > 0 else ""))
    if rows and rows[-1]["samples"] >= bar.max_samples:
        spent = f"its budget of {int(bar.max_samples):,} samples spent ({int(rows[-1]['samples']):,})"
        passing = [r for r in rows if r["samples"] <= bar.max_samples and at_bar(r, bar.ret, bar.max_falls)]
        if not passing:
            return f"{spent} below the bar"
        best = max(passing, key=lambda r: r["test_return_mean"])
        return (f"{spent}; points past its bar ({bar.ret:g} with <= {bar.max_falls} falls), not {confirm} in a row: "
                f"the best {best['test_return_mean']:.1f} with {best['test_falls']} falls at {int(best['samples']):,}")
    return None
