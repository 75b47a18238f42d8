"""Draw each skill as a small animated GIF: the simulated character (dark) beside its reference (white).

    python -m deepmimic.tools.skill_gifs                      # every skill with a shipped policy of ours
    python -m deepmimic.tools.skill_gifs --skills walk backflip --out_dir /tmp/skills --overwrite
    python -m deepmimic.tools.skill_gifs --skills punch --model_files output/skills/punch --out_dir /tmp/look

A person judges a motion by looking at it; a return says little about how a skill looks. Each skill is played
as a user plays it, by its run arg file (``args/run_humanoid3d_<skill>_args.txt``, its policy and settings),
deterministically from the clip's start, for one clip cycle (at least ``--min_seconds``, at most
``--max_seconds``; a clip set such as the walker's plays each of its clips from its start in turn, the
``--max_seconds`` shared among them, each labelled), every other control step (15 frames/s), with a camera that
follows the pair at 60 degrees so that neither hides the other. One line per skill says the episode's return per step, its tracking error,
whether it fell and the file's size: a GIF of a policy that falls or drifts off shows it. ``--model_files``
draws a policy that is not shipped (a run folder or an ``_anet.pth``) the same way: look before shipping.
"""
import os
import sys

from deepmimic import PACKAGE_ROOT
from deepmimic.util.errors import DeepMimicError, ToolArgumentParser, check_ranges, run_cli
from deepmimic.util.file_io import check_new_file, check_writable_dir

DEFAULT_OUT = os.path.join("benchmarks", "results", "skills")
FRAME_EVERY = 2  # control steps (30 Hz) per frame: 15 frames/s


def shipped_skills():
    """Skills with a policy of ours in data/policies/humanoid3d (the converted upstream ones end in _upstream)."""
    from deepmimic.policy import shipped_names
    return [n for n in shipped_names() if "_upstream" not in n]


def run_args(skill, model_files=None):
    """The arguments that play ``skill``: its run arg file, and ``model_files`` in place of its policy when given.
    Checked before any drawing: the file exists and the policy file reads."""
    from deepmimic.settings import model_file
    from deepmimic.util.arg_parser import ArgParser
    from deepmimic.util.policy_file import read_policy_file
    path = os.path.join(PACKAGE_ROOT, "args", f"run_humanoid3d_{skill}_args.txt")
    if not os.path.isfile(path):
        raise DeepMimicError(f"unknown skill {skill!r}: there is no args/run_humanoid3d_{skill}_args.txt")
    argv = ["--arg_file", path] + (["--model_files", model_files] if model_files else [])
    model = model_file(ArgParser.from_argv(argv))
    if model_files and not os.path.isfile(model):
        raise DeepMimicError("--model_files: no actor model here", model)
    if not model or not os.path.isfile(model):
        raise DeepMimicError(f"--skills {skill}: no policy to draw: its run file plays {model or 'no --model_files'}, which does not "
                             "exist (no policy of ours ships for it yet)")
    read_policy_file(model, "actor")
    return argv


def record_skill(skill, gif, size, min_seconds, max_seconds, model_files=None):
    """Play ``skill`` as ``run_args`` says and write ``gif``; returns the episode's ``EpisodeResult``."""
    from PIL import ImageDraw
    from deepmimic.env.recorder import FrameRecorder
    from deepmimic.factory import build_agent, build_envs
    from deepmimic.learning.rollout import EpisodeResult, run_episodes, summarize
    from deepmimic.settings import Settings, policy_settings
    from deepmimic.util.arg_parser import ArgParser
    args = ArgParser.from_argv(run_args(skill, model_files) + ["--rand_seed", "1"])
    settings = Settings.from_args(args, policy_settings(args))
    env = build_envs(settings.env, 1, 1, show_reference=True)[0]
    agent = build_agent(settings, env, 1)
    clips = len(env.motions)
    seconds = max_seconds / clips if clips > 1 else min(max(env.clip_duration(), min_seconds), max_seconds)
    steps = int(round(seconds / env.control_step()))  # per clip
    count = {"steps": 0}

    def frame(_, e):
        if count["steps"] % FRAME_EVERY == 0:
            img = e.render_rgb(size, size, distance=3.0, yaw=60.0, pitch=-10.0)
            from PIL import Image
            pic = Image.fromarray(img)
            label = skill if clips == 1 else f"{skill}: {os.path.splitext(e.motions.names[e.clip])[0]}"
            ImageDraw.Draw(pic).text((6, 4), label, fill=(0, 0, 0))
            rec.add(pic)
        count["steps"] += 1
    with FrameRecorder(gif_path=gif, fps=30 // FRAME_EVERY, total=clips * steps // FRAME_EVERY) as rec:
        results = run_episodes(agent, [env], clips, max_steps=steps, on_step=frame,
                               start_times=[(c, 0.0) for c in range(clips)])
        rec.close()
    env.close()
    point = summarize(results)  # a clip set's episodes as one: summed return and steps, error per step
    return EpisodeResult(sum(r.ret for r in results), sum(r.length for r in results), any(r.fell for r in results),
                         point["body_err_mm"], point["body_err_rel_mm"])


def main(argv=None):
    p = ToolArgumentParser(prog="skill_gifs", description=__doc__.splitlines()[0])
    p.add_argument("--skills", nargs="+", help="skills to draw (default: every skill with a shipped policy of ours)")
    p.add_argument("--out_dir", default=DEFAULT_OUT, help=f"folder for <skill>.gif (default {DEFAULT_OUT})")
    p.add_argument("--size", type=int, default=240, help="frame width and height in pixels (default 240)")
    p.add_argument("--min_seconds", type=float, default=3.0, help="shortest recording (default 3 s)")
    p.add_argument("--max_seconds", type=float, default=5.0, help="longest recording (default 5 s)")
    p.add_argument("--overwrite", action="store_true", help="replace GIFs already in --out_dir")
    p.add_argument("--model_files", help="draw this policy (a run folder or an _anet.pth) instead of the shipped one; "
                                         "one skill")
    a = p.parse_args(argv)
    check_ranges(p, a, {"size": (64, 1024), "min_seconds": (0.5, 30.0), "max_seconds": (a.min_seconds, 30.0)})
    skills = list(dict.fromkeys(a.skills or shipped_skills()))  # a skill named twice is drawn once
    if a.model_files and len(skills) != 1:
        p.error("--model_files draws one policy: name its one skill with --skills")
    for skill in skills:
        run_args(skill, a.model_files)
    check_writable_dir(a.out_dir, "out_dir")
    gifs = {s: os.path.join(a.out_dir, f"{s}.gif") for s in skills}
    for gif in gifs.values():
        check_new_file(gif, "out_dir", a.overwrite, how="--overwrite")
    for skill, gif in gifs.items():
        r = record_skill(skill, gif, a.size, a.min_seconds, a.max_seconds, a.model_files)
        print(f"{skill:15s} {r.length / 30:4.1f} s  reward/step {r.ret / r.length:.3f}  tracking error "
              f"{r.body_err_mm:5.0f} mm ({r.body_err_rel_mm:3.0f} mm root-relative)  {'FELL' if r.fell else 'no fall'}  "
              f"{os.path.getsize(gif) / 1024:4.0f} KB  {gif}", flush=True)
    return 0


def cli():
    return run_cli(main)


if __name__ == "__main__":
    sys.exit(cli())
