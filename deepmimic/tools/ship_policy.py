"""Ship the best policy of a recipe run: the curve point with the highest mean test return (among those
with at most --max_falls falls of 16), whose model the trainer kept (intermediate/agent0_curve_model_<samples>).

    deepmimic-ship-policy --skill run                  # show the best points of output/curves/run_recipe
    deepmimic-ship-policy --skill run --ship           # copy the best to data/policies/humanoid3d/
    python -m deepmimic.tools.ship_policy --skill kick --run output/skills/kick --ship   # any run folder
    python -m deepmimic.tools.ship_policy --skill spin --checkpoint benchmarks/results/checkpoints/spin_recipe_b2_qfix --ship

A committed checkpoint (a run's last model, with Adam's state) ships through --checkpoint: its point on the
committed curve (benchmarks/results/<name>.csv beside checkpoints/, or --curve) must pass --max_falls like any
other, and the shipped critic drops the optimizers' state (only a resume reads it).

Every curve point is the policy of that moment played on the same 16 seeded 20 s starts, so the curve
itself is the evaluation that picks the policy (not its sample count: points swing by +-100). The files
shipped are humanoid3d_<skill>_{anet,cnet}.pth; an existing file is replaced only with --overwrite. Then name it
in args/run_humanoid3d_<skill>_args.txt, give its sample count and committed curve in data/README.md (a test
traces every shipped policy there) and draw it (deepmimic-skill-gifs) before it counts as shipped.
"""
import math
import os
import sys

from deepmimic import PACKAGE_ROOT
from deepmimic.learning.learning_curve import curve_model_prefix, read_curve
from deepmimic.tools import skill_bars
from deepmimic.util.arg_keys import KEYS
from deepmimic.util.errors import DeepMimicError, ToolArgumentParser, check_ranges, run_cli
from deepmimic.util.file_io import atomic_copy_all, check_new_file


def main(argv=None):
    p = ToolArgumentParser(prog="deepmimic-ship-policy", description=__doc__.splitlines()[0])
    p.add_argument("--skill", required=True)
    where = p.add_mutually_exclusive_group()
    where.add_argument("--run", help="run folder (default output/curves/<skill>_recipe)")
    where.add_argument("--checkpoint", metavar="PREFIX",
                       help="a committed checkpoint's PREFIX_{anet,cnet}.pth instead of a run folder's curve points")
    p.add_argument("--curve", help="with --checkpoint: its learning curve (default: <PREFIX's folder>/../<name>.csv)")
    p.add_argument("--max_falls", type=int, default=2)
    p.add_argument("--ship", action="store_true", help="copy the best point's model to data/policies/humanoid3d/")
    p.add_argument("--overwrite", action="store_true", help="replace an already shipped policy of this skill")
    a = p.parse_args(argv)
    run = a.run or os.path.join(PACKAGE_ROOT, "output", "curves", f"{a.skill}_recipe")
    check_ranges(p, a, {"max_falls": (0, KEYS["curve_episodes"].bounds[1])})  # falls of a curve point's episodes
    if a.curve and not a.checkpoint:
        raise DeepMimicError("--curve names a checkpoint's curve: give --checkpoint too (a run folder has its own)")
    dest = os.path.join(PACKAGE_ROOT, "data", "policies", "humanoid3d", f"humanoid3d_{a.skill}")
    if a.checkpoint:
        return ship_checkpoint(a, dest)
    check_run_is_skill(a.skill, run)
    curve = os.path.join(run, "learning_curve.csv")
    if not os.path.isfile(curve):
        raise DeepMimicError("no learning curve here: train the skill first (benchmarks/learning_curve.py) or name --run", curve)
    rows = read_curve(curve)
    # a point is shippable when its return is a number and both its actor and critic were kept
    kept = [r for r in rows if r["test_falls"] <= a.max_falls and math.isfinite(r["test_return_mean"])
            and all(os.path.isfile(snapshot(run, r, part)) for part in ("anet", "cnet"))]
    for r in sorted(kept, key=lambda r: -r["test_return_mean"])[:5]:
        print(point_line(r))
    if not kept:
        raise DeepMimicError(f"no curve point with a finite return, a kept actor and critic and at most {a.max_falls} "
                             "falls", run)
    best = max(kept, key=lambda r: r["test_return_mean"])
    if a.ship:
        check_destination(dest, a.overwrite)
        atomic_copy_all([(snapshot(run, best, part), f"{dest}_{part}.pth") for part in ("anet", "cnet")])
        print(f"shipped the model at {best['samples']:,} samples as {dest}_{{anet,cnet}}.pth")
    return 0


def point_line(r):
    """One curve point as the listing shows it."""
    return (f"{r['samples']:>12,} samples  {r['wall_hours']:6.2f} h  mean test return {r['test_return_mean']:7.2f}  "
            f"falls {r['test_falls']}/{r['test_episodes']}")


def check_destination(dest, overwrite):
    for part in ("anet", "cnet"):  # before any copy: writable, and replaced only when asked
        check_new_file(f"{dest}_{part}.pth", "ship", overwrite, how="--overwrite")


def ship_checkpoint(a, dest):
    """Ship a committed checkpoint: both halves from one save (same samples), its clip the skill's, its point on
    the curve within --max_falls; the critic is written without the optimizers' state."""
    from deepmimic.learning.model_io import model_paths, save_checkpoints
    from deepmimic.util.policy_file import read_policy_file
    skill_bars.check_skill(a.skill)
    anet_path, cnet_path = model_paths(a.checkpoint)
    anet, cnet = read_policy_file(anet_path, "actor"), read_policy_file(cnet_path, "critic")
    samples = anet.get("samples")
    if cnet.get("samples") != samples:
        raise DeepMimicError(f"its critic was saved at {cnet.get('samples')} samples, its actor at {samples}: "
                             "not one checkpoint", cnet_path)
    check_clip_is_skill(a.skill, anet.get("env_args", {}).get("motion_file", [""])[0], anet_path)
    folder, name = os.path.split(anet_path[:-len("_anet.pth")])
    curve = a.curve or os.path.join(os.path.dirname(folder), name + ".csv")
    if not os.path.isfile(curve):
        raise DeepMimicError("no learning curve for this checkpoint here: name it with --curve", curve)
    row = next((r for r in read_curve(curve) if r["samples"] == samples), None)
    if row is None:
        raise DeepMimicError(f"no curve point at the checkpoint's {samples:,} samples (it was saved between points)", curve)
    print(point_line(row))
    if not (row["test_falls"] <= a.max_falls and math.isfinite(row["test_return_mean"])):
        raise DeepMimicError(f"its curve point has {row['test_falls']} falls (more than --max_falls {a.max_falls}) "
                             "or no finite return", curve)
    if a.ship:
        check_destination(dest, a.overwrite)
        cnet.pop("optimizers", None)
        save_checkpoints([(f"{dest}_anet.pth", anet), (f"{dest}_cnet.pth", cnet)])
        print(f"shipped the checkpoint at {samples:,} samples as {dest}_{{anet,cnet}}.pth")
    return 0


def check_run_is_skill(skill, run):
    """The skill is one the project trains, and the run trained its clip: a run of another clip shipped under
    this name would play the wrong motion. Its run_args.txt (every run the trainer writes has one) names the clip."""
    from deepmimic.settings import env_config
    from deepmimic.util.arg_parser import ArgParser
    skill_bars.check_skill(skill)
    run_args = os.path.join(run, "run_args.txt")
    if os.path.isfile(run_args):
        check_clip_is_skill(skill, env_config(ArgParser.from_argv(["--arg_file", run_args])).motion_file, run_args)


def check_clip_is_skill(skill, motion_file, where):
    """A model of another clip shipped under this name would play the wrong motion."""
    from deepmimic.settings import env_config
    from deepmimic.util.arg_parser import ArgParser
    recipe = skill_bars.recipe_arg_file(skill)
    want = os.path.basename(env_config(ArgParser.from_argv(["--arg_file", recipe])).motion_file)
    got = os.path.basename(motion_file)
    if want != got:
        raise DeepMimicError(f"the run trained {got}, not {skill}'s clip {want}: name the skill it trained", where)


def snapshot(run, row, part):
    return f"{curve_model_prefix(os.path.join(run, 'intermediate'), row['samples'])}_{part}.pth"


def cli():
    return run_cli(main)


if __name__ == "__main__":
    sys.exit(cli())
