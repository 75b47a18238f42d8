"""Train skills one after another with the recipe, each until it is clearly past the bar or out of samples.

    python benchmarks/skill_queue.py --skills run jump backflip spinkick cartwheel

For each skill in order: a skill whose committed curve (``benchmarks/results/<skill>_recipe.csv``) already
passed the bar, or reached ``--max_samples``, is skipped; otherwise ``learning_curve.py --config recipe``
trains it (resuming its run folder, or the committed checkpoint ``benchmarks/results/checkpoints/
<skill>_recipe`` on a fresh machine). While it trains, the curve is watched: after ``--confirm`` points in a row
at or above ``--bar`` with at most ``--max_falls`` falls of 16, the run is stopped (Ctrl-C: it saves) and
the next skill starts. After each skill its latest model is copied to the checkpoint folder, so the queue
continues on another machine or in another session: run the same command again. Ctrl-C stops the queue
(the running skill saves first).
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "benchmarks", "results")
sys.path.insert(0, ROOT)
from deepmimic.learning.learning_curve import read_curve  # noqa: E402


def passed(rows, bar, max_falls, confirm):
    """The last ``confirm`` points all at or above the bar with few falls."""
    tail = rows[-confirm:]
    return len(tail) == confirm and all(r["test_return_mean"] >= bar and r["test_falls"] <= max_falls for r in tail)


def done(skill, a):
    path = os.path.join(RESULTS, f"{skill}_recipe.csv")
    rows = read_curve(path) if os.path.isfile(path) else []
    return bool(rows) and (passed(rows, a.bar, a.max_falls, a.confirm) or rows[-1]["samples"] >= a.max_samples)


def keep_checkpoint(skill, run):
    """The run's latest model, where the next session (or machine) resumes it from."""
    os.makedirs(os.path.join(RESULTS, "checkpoints"), exist_ok=True)
    for part in ("anet", "cnet"):
        src = os.path.join(run, f"agent0_model_{part}.pth")
        if os.path.isfile(src):
            shutil.copyfile(src, os.path.join(RESULTS, "checkpoints", f"{skill}_recipe_{part}.pth"))


def interrupt(pid):
    """Ctrl-C to the training's mpiexec (the child of learning_curve.py ``pid``): every rank saves, then
    learning_curve.py publishes the curve and ends."""
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    for child in found:
        os.kill(int(child), signal.SIGINT)


def train(skill, a):
    """Train one skill until the bar is passed, the samples are spent, or the queue is stopped; True to go on."""
    run = os.path.join(ROOT, "output", "curves", f"{skill}_recipe")
    cmd = [sys.executable, os.path.join(ROOT, "benchmarks", "learning_curve.py"), "--skill", skill, "--config", "recipe",
           "--samples", str(int(a.max_samples)), "--procs", str(a.procs)]
    committed = os.path.join(RESULTS, "checkpoints", f"{skill}_recipe")
    if not os.path.isfile(os.path.join(run, "agent0_model_anet.pth")) and os.path.isfile(committed + "_anet.pth"):
        cmd += ["--resume_from", committed]
    print(f"[queue] {skill}: {' '.join(cmd)}", flush=True)
    child = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True)  # a terminal's Ctrl-C reaches only the queue
    curve = os.path.join(run, "learning_curve.csv")
    stopping = {"queue": False}

    def stop_all(signum, frame):
        stopping["queue"] = True
        interrupt(child.pid)
    previous = signal.signal(signal.SIGINT, stop_all), signal.signal(signal.SIGTERM, stop_all)
    try:
        while child.poll() is None:
            time.sleep(30)
            rows = read_curve(curve) if os.path.isfile(curve) else []
            if rows and passed(rows, a.bar, a.max_falls, a.confirm):
                print(f"[queue] {skill}: past the bar at {rows[-1]['samples']} samples; stopping it", flush=True)
                interrupt(child.pid)
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
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    p.add_argument("--skills", nargs="+", default=["run", "jump", "backflip", "spinkick", "cartwheel", "walk"])
    p.add_argument("--max_samples", type=float, default=15e6)
    p.add_argument("--bar", type=float, default=360.0, help="mean test return to pass (of 600)")
    p.add_argument("--max_falls", type=int, default=2, help="falls of the 16 curve episodes allowed at the bar")
    p.add_argument("--confirm", type=int, default=2, help="curve points in a row past the bar")
    p.add_argument("--procs", type=int, default=2)
    a = p.parse_args()
    for skill in a.skills:
        if done(skill, a):
            print(f"[queue] {skill}: done (curve past the bar or at --max_samples)", flush=True)
            continue
        if not train(skill, a):
            print("[queue] stopped", flush=True)
            return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
