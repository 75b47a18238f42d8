"""What machine a run ran on, said once in its output: wall hours compare only between runs on the same CPU
(subnormal weights cost an Intel Xeon 2.2x of a long run and an AMD EPYC far less: benchmarks/results/throughput.md)."""
import os
import platform


def cpu_model():
    """The CPU's model name (Linux: /proc/cpuinfo), else what ``platform`` knows, else "unknown CPU"."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return " ".join(line.split(":", 1)[1].split())
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def describe(ranks):
    """One line: the CPU, its logical cores and the run's MPI ranks."""
    return f"machine: {cpu_model()}, {os.cpu_count()} logical cores, {ranks} rank{'s' if ranks != 1 else ''}"
