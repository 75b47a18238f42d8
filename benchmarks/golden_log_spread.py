"""How far the seeded golden training log moves under float32 kernel changes, and under real changes.

``tests/test_training.py::test_seeded_training_log_is_unchanged`` compares a seeded 3-iteration run with
``tests/data/seeded_walk_log.tsv`` at per-column tolerances. Those tolerances must be wider than what a
different CPU does to float32 results (other SIMD kernels, other reduction orders) and narrower than what
a small real change to training does. This script measures both on the machine it runs on:

* kernel variants: other thread counts, ATen's AVX2 / generic kernels instead of the detected ones, MKL's
  conditional-reproducibility modes (COMPATIBLE, AVX2, AVX512) -- the same computation, other roundings;
* real changes: each of discount, TD lambda, ratio clip, critic and actor step, advantage clip moved by a
  small amount (0.1% to 5%).

It prints, per log column, the largest relative deviation from this machine's own run for each variant,
and the deviation of this machine's run from the recorded golden log.

    python benchmarks/golden_log_spread.py          # ~2 minutes on 2 cores
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
from deepmimic.util.errors import DeepMimicError, ToolArgumentParser, run_cli
from deepmimic.util.logger import read_log

GOLDEN = os.path.join(ROOT, "tests", "data", "seeded_walk_log.tsv")
AGENT = os.path.join(ROOT, "tests", "data", "agent_small.txt")

KERNEL_VARIANTS = {
    "1 thread": {"OMP_NUM_THREADS": "1"},
    "ATen avx2": {"ATEN_CPU_CAPABILITY": "avx2"},
    "ATen generic": {"ATEN_CPU_CAPABILITY": "default"},
    "MKL_CBWR=COMPATIBLE": {"MKL_CBWR": "COMPATIBLE"},
    "MKL_CBWR=AVX2": {"MKL_CBWR": "AVX2"},
    "MKL_CBWR=AVX512": {"MKL_CBWR": "AVX512"},
    "all generic, 1 thread": {"MKL_CBWR": "COMPATIBLE", "ATEN_CPU_CAPABILITY": "default", "OMP_NUM_THREADS": "1"},
}
REAL_CHANGES = {
    "Discount +0.1%": ("Discount", 0.951),
    "TDLambda +0.1%": ("TDLambda", 0.951),
    "RatioClip +5%": ("RatioClip", 0.21),
    "CriticStepsize +1%": ("CriticStepsize", 0.0101),
    "ActorStepsize +4%": ("ActorStepsize", 0.0000026),
    "NormAdvClip -2.5%": ("NormAdvClip", 3.9),
}


def golden_run(workdir, name, agent=None, env=None):
    """The test's seeded run (1 process, 2 envs, seed 5, 3 iterations); returns its log columns."""
    out = os.path.join(workdir, name)
    agent_file = AGENT
    if agent:
        with open(AGENT) as f:
            cfg = json.load(f)
        cfg[agent[0]] = agent[1]
        agent_file = os.path.join(workdir, name + "_agent.txt")
        with open(agent_file, "w") as f:
            json.dump(cfg, f)
    cmd = [sys.executable, os.path.join(ROOT, "deepmimic", "DeepMimic_Optimizer.py"), "--arg_file",
           "args/train_humanoid3d_walk_deepmimic_args.txt", "--agent_files", agent_file, "--output_path", out,
           "--int_output_path", os.path.join(out, "int"), "--num_envs_per_proc", "2", "--rand_seed", "5",
           "--max_iters", "3"]
    done = subprocess.run(cmd, cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise DeepMimicError(f"golden_log_spread: the seeded run '{name}' failed (exit {done.returncode}): {last}")
    return read_log(os.path.join(out, "agent0_log.txt"))


def max_rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-9)))


def main():
    ToolArgumentParser(prog="golden_log_spread", description=__doc__.splitlines()[0]).parse_args()
    golden = read_log(GOLDEN)
    columns = list(golden)
    with tempfile.TemporaryDirectory() as tmp:
        base = golden_run(tmp, "base")
        runs = {"this machine vs golden file": (base, golden)}
        for name, env in KERNEL_VARIANTS.items():
            runs[name] = (golden_run(tmp, "k%d" % len(runs), env=env), base)
        for name, change in REAL_CHANGES.items():
            runs[name] = (golden_run(tmp, "r%d" % len(runs), agent=change), base)
    print("largest relative deviation per column (kernel variants and real changes vs this machine's run)")
    print("%-28s" % "variant" + "".join("%13s" % c for c in columns))
    for name, (got, ref) in runs.items():
        print("%-28s" % name + "".join("%13.1e" % max_rel(got[c], ref[c]) for c in columns))


if __name__ == "__main__":
    sys.exit(run_cli(main))
