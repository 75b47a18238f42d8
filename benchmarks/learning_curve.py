"""Train walk (or another skill) for a number of samples and write samples-vs-return.

    python benchmarks/learning_curve.py --samples 1000000 --procs 2 --out output/bench_walk

Runs DeepMimic_Optimizer under ``mpiexec -n PROCS`` with the default agent file, then reads
``agent0_log.txt`` and writes ``learning_curve.csv`` and ``learning_curve.png`` next to it.
"""
import argparse
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--skill", default="walk")
    p.add_argument("--samples", type=float, default=1e6)
    p.add_argument("--procs", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", default=os.path.join(ROOT, "output", "bench_learning_curve"))
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    cmd = [mpiexec, "-n", str(a.procs), sys.executable, os.path.join(ROOT, "deepmimic", "DeepMimic_Optimizer.py"),
           "--arg_file", os.path.join(ROOT, "args", f"train_humanoid3d_{a.skill}_args.txt"),
           "--output_path", a.out, "--int_output_path", os.path.join(a.out, "intermediate"),
           "--max_samples", str(int(a.samples)), "--rand_seed", str(a.seed)]
    print(" ".join(cmd), flush=True)
    t0 = time.time()
    with open(os.path.join(a.out, "train_stdout.txt"), "w") as f:
        rc = subprocess.call(cmd, stdout=f, stderr=subprocess.STDOUT, cwd=ROOT)
    wall = time.time() - t0
    if rc != 0:
        sys.exit(f"training failed with exit code {rc}; see {a.out}/train_stdout.txt")
    from deepmimic.util.logger import read_log
    cols = read_log(os.path.join(a.out, "agent0_log.txt"))
    with open(os.path.join(a.out, "learning_curve.csv"), "w") as f:
        f.write("samples,train_return,test_return,wall_time_h\n")
        for row in zip(cols["Samples"], cols["Train_Return"], cols["Test_Return"], cols["Wall_Time"]):
            f.write(",".join(f"{v:.6g}" for v in row) + "\n")
    from deepmimic.plot_log import plot_logs
    plot_logs([os.path.join(a.out, "agent0_log.txt")], os.path.join(a.out, "learning_curve.png"))
    last = max(range(len(cols["Samples"])), key=lambda i: cols["Samples"][i])
    tail = cols["Train_Return"][-5:]
    print(f"skill={a.skill} procs={a.procs} samples={int(cols['Samples'][last])} wall={wall / 3600:.3f} h "
          f"({cols['Samples'][last] / wall:.0f} samples/s) final Train_Return={cols['Train_Return'][last]:.2f} "
          f"(mean of last 5 iterations {sum(tail) / len(tail):.2f}) Test_Return={cols['Test_Return'][last]:.2f}")


if __name__ == "__main__":
    main()
