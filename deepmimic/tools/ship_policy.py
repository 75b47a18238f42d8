"""Ship the best policy of a recipe run: the curve point with the highest mean test return (among those
with at most --max_falls falls of 16), whose model the trainer kept (intermediate/agent0_curve_model_<samples>).

    deepmimic-ship-policy --skill run                  # show the best points of output/curves/run_recipe
    deepmimic-ship-policy --skill run --ship           # copy the best to data/policies/humanoid3d/
    python -m deepmimic.tools.ship_policy --skill kick --run output/skills/kick --ship   # any run folder

Every curve point is the policy of that moment played on the same 16 seeded 20 s starts, so the curve
itself is the evaluation that picks the policy (not its sample count: points swing by +-100). The files
shipped are humanoid3d_<skill>_{anet,cnet}.pth; an existing file is replaced only with --overwrite. Then name it
in args/run_humanoid3d_<skill>_args.txt and draw it (deepmimic-skill-gifs) before it counts as shipped.
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
    p.add_argument("--run", help="run folder (default output/curves/<skill>_recipe)")
    p.add_argument("--max_falls", type=int, default=2)
    p.add_argument("--ship", action="store_true", help="copy the best point's model to data/policies/humanoid3d/")
    p.add_argument("--overwrite", action="store_true", help="replace an already shipped policy of this skill")
    a = p.parse_args(argv)
    run = a.run or os.path.join(PACKAGE_ROOT, "output", "curves", f"{a.skill}_recipe")
    check_ranges(p, a, {"max_falls": (0, KEYS["curve_episodes"].bounds[1])})  # falls of a curve point's episodes
    check_run_is_skill(a.skill, run)
    curve = os.path.join(run, "learning_curve.csv")
    if not os.path.isfile(curve):
        raise DeepMimicError("no learning curve here: train the skill first (benchmarks/learning_curve.py) or name --run", curve)
    rows = read_curve(curve)
    # a point is shippable when its return is a number and both its actor and critic were kept
    kept = [r for r in rows if r["test_falls"] <= a.max_falls and math.isfinite(r["test_return_mean"])
            and all(os.path.isfile(snapshot(run, r, part)) for part in ("anet", "cnet"))]
    for r in sorted(kept, key=lambda r: -r["test_return_mean"])[:5]:
        print(f"{r['samples']:>12,} samples  {r['wall_hours']:6.2f} h  mean test return {r['test_return_mean']:7.2f}  "
              f"falls {r['test_falls']}/{r['test_episodes']}")
    if not kept:
        raise DeepMimicError(f"no curve point with a finite return, a kept actor and critic and at most {a.max_falls} "
                             "falls", run)
    best = max(kept, key=lambda r: r["test_return_mean"])
    if a.ship:
        dest = os.path.join(PACKAGE_ROOT, "data", "policies", "humanoid3d", f"humanoid3d_{a.skill}")
        for part in ("anet", "cnet"):  # before any copy: writable, and replaced only when asked
            check_new_file(f"{dest}_{part}.pth", "ship", a.overwrite, how="--overwrite")
        atomic_copy_all([(snapshot(run, best, part), f"{dest}_{part}.pth") for part in ("anet", "cnet")])
        print(f"shipped the model at {best['samples']:,} samples as {dest}_{{anet,cnet}}.pth")
    return 0


def check_run_is_skill(skill, run):
    """The skill is one the project trains, and the run trained its clip: a run of another clip shipped under
    this name would play the wrong motion. Its run_args.txt (every run the trainer writes has one) names the clip."""
    from deepmimic.settings import env_config
    from deepmimic.util.arg_parser import ArgParser
    skill_bars.check_skill(skill)
    recipe = skill_bars.recipe_arg_file(skill)
    run_args = os.path.join(run, "run_args.txt")
    if not os.path.isfile(run_args):
        return
    want, got = (os.path.basename(env_config(ArgParser.from_argv(["--arg_file", f])).motion_file) for f in (recipe, run_args))
    if want != got:
        raise DeepMimicError(f"the run trained {got}, not {skill}'s clip {want}: name the skill it trained", run_args)


def snapshot(run, row, part):
    return f"{curve_model_prefix(os.path.join(run, 'intermediate'), row['samples'])}_{part}.pth"


def cli():
    return run_cli(main)


if __name__ == "__main__":
    sys.exit(cli())
