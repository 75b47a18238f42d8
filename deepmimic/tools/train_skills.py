"""Train skills to their bars, one after another, resumable:

    deepmimic-train-skills --skills walk run jump --out output/skills
    python -m deepmimic.tools.train_skills --skills kick punch --num_workers 2

Each skill trains with the recipe (``args/train_humanoid3d_<skill>_args.txt``) into ``<out>/<skill>``, a
learning-curve point every --curve_every samples (16 fixed starts), and stops at two points in a row at its bar
(``deepmimic.tools.skill_bars``: walk 450 of 600 with at most 1 fall, the others 360 with at most 2, a clip
that ends early the same 0.6 a step), then trains --fine_samples more (1M) in the fine phase (a smaller actor step,
the final exploration: closer tracking), or stops at its sample budget (10M for walk, 15M for the others). A folder that
holds a model is resumed; a skill past its bar or budget is skipped, and the list says why. The best point is
``<out>/<skill>/agent0_best_anet.pth``; play it with ``testrl.py --model_files <out>/<skill>/agent0_best_anet.pth``.
Ctrl-C stops the running skill (it saves, as training does) and the list; the same command continues.
One process tree: this command, mpiexec, the ranks.
"""
import os
import sys

from deepmimic.tools import skill_bars
from deepmimic.learning.learning_curve import read_curve
from deepmimic.util import mpi_util
from deepmimic.util.arg_keys import KEYS, MAX_INT
from deepmimic.util.errors import ToolArgumentParser, check_ranges, run_cli
from deepmimic.util.file_io import check_writable_dir

OPTIMIZER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "DeepMimic_Optimizer.py")


def parse(argv):
    p = ToolArgumentParser(prog="deepmimic-train-skills", description=__doc__.splitlines()[0])
    p.add_argument("--skills", nargs="+", required=True, help="skills to train, in order (walk, run, kick, ...)")
    p.add_argument("--out", default=os.path.join("output", "skills"), help="a folder per skill goes here (default output/skills)")
    p.add_argument("--num_workers", type=int, default=2, help="MPI processes per training (default 2)")
    p.add_argument("--rand_seed", type=int, default=1, help="seed of every training (default 1)")
    p.add_argument("--curve_every", type=int, default=250000, help="samples between curve points (default 250000)")
    p.add_argument("--bar", type=float, help="mean curve return to reach, of 600 (default: the skill's own)")
    p.add_argument("--max_falls", type=int, help="falls of the 16 curve episodes allowed at the bar (default: the skill's own)")
    p.add_argument("--max_samples", type=float, help="sample budget per skill (default: 10M walk, 15M others)")
    p.add_argument("--fine_samples", type=float, help="samples of the fine phase after the bar (default 1M; 0: stop at the bar)")
    a = p.parse_args(argv)
    check_ranges(p, a, {"num_workers": KEYS["num_workers"].bounds, "rand_seed": KEYS["rand_seed"].bounds,
                        "curve_every": (1, MAX_INT), "bar": (1e-9, 600), "max_falls": (0, KEYS["curve_episodes"].default),
                        "max_samples": (1, MAX_INT), "fine_samples": (0, MAX_INT)})
    a.skills = list(dict.fromkeys(a.skills))  # a skill named twice trains once
    for skill in a.skills:  # every skill's arg file and clip read before any training
        skill_bars.check_skill(skill, "--skills")
        skill_bars.skill_bar(skill)
    check_writable_dir(a.out, "out")
    return a


def command(skill, bar, run, a):
    """The training of ``skill`` into ``run`` (resumed when it holds a model), stopping at ``bar``."""
    argv = ["--arg_file", skill_bars.recipe_arg_file(skill), "--output_path", run,
            "--int_output_path", os.path.join(run, "intermediate"), "--rand_seed", str(a.rand_seed),
            "--max_samples", str(int(bar.max_samples)), "--curve_every", str(a.curve_every),
            "--stop_at_return", repr(float(bar.ret)), "--stop_max_falls", str(bar.max_falls),
            "--fine_samples", str(int(bar.fine_samples))]
    model = os.path.join(run, "agent0_model_anet.pth")
    return argv + (["--model_files", model] if os.path.isfile(model) else [])


def train(argv, workers):
    """Run the optimizer on ``argv`` (under mpiexec for several workers; Ctrl-C passed on once); its exit code."""
    if workers > 1:
        return mpi_util.launch_workers(workers, OPTIMIZER, argv)
    return mpi_util.run_child([sys.executable, OPTIMIZER, *argv])


def main(argv=None):
    a = parse(sys.argv[1:] if argv is None else argv)
    for skill in a.skills:
        bar = skill_bars.skill_bar(skill, a.bar, a.max_falls, a.max_samples, a.fine_samples)
        run = os.path.join(a.out, skill)
        curve = os.path.join(run, "learning_curve.csv")
        reason = skill_bars.why_done(read_curve(curve) if os.path.isfile(curve) else [], bar)
        if reason:
            print(f"[skills] {skill}: done, {reason}; best point {os.path.join(run, 'agent0_best_anet.pth')}", flush=True)
            continue
        print(f"[skills] {skill}: training into {run} to {bar.ret:.1f} with <= {bar.max_falls} falls "
              f"(two curve points in a row), then {int(bar.fine_samples):,} in the fine phase, at most "
              f"{int(bar.max_samples):,} samples", flush=True)
        code = train(command(skill, bar, run, a), a.num_workers)
        if code != 0:
            print(f"[skills] stopped at {skill} (exit code {code}); the same command continues", flush=True)
            return code
    return 0


def cli():
    return run_cli(main)


if __name__ == "__main__":
    sys.exit(cli())
