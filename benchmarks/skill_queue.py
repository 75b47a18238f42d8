"""Train skills one after another with the recipe, each until it is clearly past the bar or out of samples.

    python benchmarks/skill_queue.py --skills run jump backflip spinkick cartwheel

For each skill in order: a skill whose committed curve (``benchmarks/results/<skill>_recipe.csv``) already
passed the skill's bar, or spent its sample budget, is skipped (the queue says which); otherwise
``learning_curve.py --config recipe`` trains it (resuming its run folder, or the committed checkpoint
``benchmarks/results/checkpoints/<skill>_recipe`` on a fresh machine). While it trains, the curve is watched:
after ``--confirm`` points in a row at or above the skill's bar (``deepmimic.tools.skill_bars``: walk from
scratch >= 450 with at most 1 fall of 16, within 10M samples; the others >= 360 with at most 2 falls, within 15M, a
clip that does not loop 0.6 per step of its shorter episodes; ``--bar`` /
``--max_falls`` / ``--max_samples`` replace them), the run is stopped (Ctrl-C: it saves) and the next skill
starts. After each skill its latest model is copied to the checkpoint folder, so the queue continues on another
machine or in another session: run the same command again. Ctrl-C stops the queue (the running skill saves
first).
"""
import os
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "benchmarks", "results")
from deepmimic.tools import skill_bars
from deepmimic.learning.learning_curve import read_curve
from deepmimic.util.arg_keys import KEYS, MAX_INT
from deepmimic.util.errors import ToolArgumentParser, check_ranges, run_cli
from deepmimic.util.file_io import atomic_copy
from learning_curve import arg_file  # (benchmarks/learning_curve.py: the recipe's arg file of a skill)


def skill_bar(skill, a):
    """The skill's bar (``deepmimic.tools.skill_bars``), with --bar / --max_falls / --max_samples in its place."""
    return skill_bars.skill_bar(skill, a.bar, a.max_falls, a.max_samples)


def why_done(skill, a):
    """Why the skill's committed curve needs no more training (past its bar, or its sample budget spent), else None."""
    path = os.path.join(RESULTS, f"{skill}_recipe.csv")
    return skill_bars.why_done(read_curve(path) if os.path.isfile(path) else [], skill_bar(skill, a), a.confirm)


def keep_checkpoint(skill, run):
    """The run's latest model, where the next session (or machine) resumes it from."""
    os.makedirs(os.path.join(RESULTS, "checkpoints"), exist_ok=True)
    for part in ("anet", "cnet"):
        src = os.path.join(run, f"agent0_model_{part}.pth")
        if os.path.isfile(src):
            atomic_copy(src, os.path.join(RESULTS, "checkpoints", f"{skill}_recipe_{part}.pth"))


def train(skill, a):
    """Train one skill until the bar is passed, the samples are spent, or the queue is stopped; True to go on."""
    run = os.path.join(ROOT, "output", "curves", f"{skill}_recipe")
    bar = skill_bar(skill, a)
    cmd = [sys.executable, os.path.join(ROOT, "benchmarks", "learning_curve.py"), "--skill", skill, "--config", "recipe",
           "--samples", str(int(bar.max_samples)), "--procs", str(a.procs)]
    committed = os.path.join(RESULTS, "checkpoints", f"{skill}_recipe")
    if not os.path.isfile(os.path.join(run, "agent0_model_anet.pth")) and os.path.isfile(committed + "_anet.pth"):
        cmd += ["--resume_from", committed]
    print(f"[queue] {skill}: {' '.join(cmd)}", flush=True)
    child = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True)  # a terminal's Ctrl-C reaches only the queue
    curve = os.path.join(run, "learning_curve.csv")
    stopping = {"queue": False}

    def stop_all(signum, frame):
        stopping["queue"] = True
        child.send_signal(signal.SIGINT)  # learning_curve.py: every rank saves, the curve is published
    previous = signal.signal(signal.SIGINT, stop_all), signal.signal(signal.SIGTERM, stop_all)
    try:
        while child.poll() is None:
            time.sleep(30)
            rows = read_curve(curve) if os.path.isfile(curve) else []
            if rows and skill_bars.passed(rows, bar.ret, bar.max_falls, a.confirm):
                print(f"[queue] {skill}: past the bar at {rows[-1]['samples']} samples; stopping it", flush=True)
                child.send_signal(signal.SIGINT)
                break
        child.wait()
    finally:
        signal.signal(signal.SIGINT, previous[0])
        signal.signal(signal.SIGTERM, previous[1])
    subprocess.call([sys.executable, os.path.join(ROOT, "benchmarks", "learning_curve.py"), "--skill", skill,
                     "--config", "recipe", "--publish"], cwd=ROOT)
    keep_checkpoint(skill, run)
    return not stopping["queue"]


def main():
    p = ToolArgumentParser(prog="skill_queue", description=__doc__.splitlines()[0])
    p.add_argument("--skills", nargs="+", default=["run", "jump", "backflip", "spinkick", "cartwheel", "walk"])
    p.add_argument("--max_samples", type=float, help="samples per skill (default: 10M for walk, 15M for the others)")
    p.add_argument("--bar", type=float, help="mean test return to pass, of 600 (default: 450 for walk, 360 for the others, "
                   "0.6 per step a clip that does not loop can run)")
    p.add_argument("--max_falls", type=int, help="falls of the 16 curve episodes allowed at the bar (default: 1 for walk, "
                   "2 for the others)")
    p.add_argument("--confirm", type=int, default=2, help="curve points in a row past the bar")
    p.add_argument("--procs", type=int, default=2)
    a = p.parse_args()
    check_ranges(p, a, {"max_samples": (1, MAX_INT), "bar": (0, 600), "max_falls": (0, 16), "confirm": (1, 1000),
                        "procs": KEYS["num_workers"].bounds})
    for skill in a.skills:  # every skill's arg file and clip read before any training
        if not os.path.isfile(arg_file(skill, "recipe")):
            p.error(f"--skills {skill}: there is no {os.path.relpath(arg_file(skill, 'recipe'), ROOT)}")
        skill_bar(skill, a)
    for skill in a.skills:
        reason = why_done(skill, a)
        if reason:
            print(f"[queue] {skill}: done, {reason}", flush=True)
            continue
        if not train(skill, a):
            print("[queue] stopped", flush=True)
            return 130
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
