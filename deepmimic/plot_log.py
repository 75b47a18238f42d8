"""Plot Train_Return / Test_Return against samples and wall time from one or more agent0_log.txt,
or learning curves (learning_curve.csv, mean test return on full episodes):

    python deepmimic/plot_log.py output/humanoid3d_walk/agent0_log.txt [more logs...] -o curves.png
    python deepmimic/plot_log.py benchmarks/results/walk_*.csv -o walk.png
"""
import math
import os
import sys

from deepmimic.util.errors import DeepMimicError, ToolArgumentParser, run_cli
from deepmimic.util.file_io import check_new_file
from deepmimic.learning.learning_curve import read_curve as read_curve_rows
from deepmimic.util.logger import read_log


#: More series than this share one legend beside the plots: inside the axes it would cover the curves.
LEGEND_INSIDE_MAX = 6


def series_styles(n):
    """A distinct (colour, line style) for each of ``n`` series: matplotlib's ten colours solid, then dashed, dotted
    and dash-dotted, so a comparison of many configurations never draws two alike."""
    import matplotlib
    colors = matplotlib.colormaps["tab10"].colors
    return [(colors[i % 10], ("-", "--", ":", "-.")[(i // 10) % 4]) for i in range(n)]


def _samples_and_hours_figure():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    return fig, axes


def _finish(fig, axes, ylabel, out_path, title=None):
    import matplotlib.pyplot as plt
    axes[0].set_xlabel("samples")
    axes[1].set_xlabel("wall time (h)")
    handles, labels = axes[0].get_legend_handles_labels()
    inside = len(labels) <= LEGEND_INSIDE_MAX
    for ax in axes:
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        if inside:
            ax.legend(fontsize=8)
    if title:  # a curve's title is its config's whole description: wrapped, not cut at the figure's edge
        import textwrap
        fig.suptitle("\n".join(textwrap.wrap(title, 140)), fontsize=10)
    fig.tight_layout()
    if not inside:  # one legend for both plots, beside them; the saved image widens to hold it
        fig.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.0, 0.92), fontsize=8)
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    fig.savefig(out_path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return out_path


def read_training_log(path):
    """The columns of an agent0_log.txt, or a one-line error: missing, not text, empty, no returns to plot."""
    if not os.path.isfile(path):
        raise DeepMimicError("log file not found", path)
    try:
        cols = read_log(path)
    except UnicodeDecodeError:
        raise DeepMimicError("not a DeepMimic training log: not a text file", path)
    if not cols:
        raise DeepMimicError("not a DeepMimic training log: the file is empty", path)
    missing = [k for k in ("Samples", "Wall_Time", "Train_Return", "Test_Return") if k not in cols]
    if missing:
        raise DeepMimicError(f"not a DeepMimic training log: missing column(s) {', '.join(missing)}", path)
    finite = [v for k in ("Train_Return", "Test_Return") for v in cols[k] if math.isfinite(v)]
    if not finite:
        raise DeepMimicError("the log has no finite Train_Return or Test_Return value to plot "
                             f"({len(cols['Samples'])} rows)", path)
    return cols


def plot_logs(paths, out_path):
    fig, axes = _samples_and_hours_figure()
    for path in paths:
        cols = read_training_log(path)
        label = os.path.basename(os.path.dirname(os.path.abspath(path))) or path
        marker = "o" if len(cols["Samples"]) < 50 else None  # a short (even 1-row) log stays visible
        for ax, x in zip(axes, ("Samples", "Wall_Time")):
            ax.plot(cols[x], cols["Train_Return"], marker=marker, ms=4, label=f"{label} train")
            ax.plot(cols[x], cols["Test_Return"], "--", marker=marker, ms=4, label=f"{label} test")
    return _finish(fig, axes, "return", out_path)


def plot_curves(csv_paths, out_path, title=None):
    """Learning curves (``learning_curve.csv``): mean test return vs samples and wall hours."""
    fig, axes = _samples_and_hours_figure()
    for path, (color, line) in zip(csv_paths, series_styles(len(csv_paths))):
        rows = read_curve_rows(path)
        label = os.path.splitext(os.path.basename(path))[0]
        for ax, x in zip(axes, ("samples", "wall_hours")):
            ax.plot([r[x] for r in rows], [r["test_return_mean"] for r in rows], marker="o", ls=line, color=color, ms=3,
                    label=label)
    return _finish(fig, axes, "mean test return (20 s episodes, max 600)", out_path, title)


def check_plot_output(path, overwrite=False, inputs=()):
    """The output's format is one matplotlib writes, and its folder is writable (before any plotting)."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.backend_bases import FigureCanvasBase
    ext = os.path.splitext(path)[1].lstrip(".").lower()
    formats = FigureCanvasBase.get_supported_filetypes()
    if ext not in formats:
        raise DeepMimicError(f"-o: unknown image format {ext!r} (use one of {', '.join(sorted(formats))})", path)
    check_new_file(path, "out", overwrite, inputs, how="--overwrite")


def main(argv=None):
    p = ToolArgumentParser(prog="deepmimic-plot", description="Plot DeepMimic training logs")
    p.add_argument("logs", nargs="+")
    p.add_argument("-o", "--out", default="learning_curves.png")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out image")
    a = p.parse_args(argv)
    check_plot_output(a.out, a.overwrite, a.logs)
    if all(path.endswith(".csv") for path in a.logs):
        for path in a.logs:
            read_curve_rows(path)  # every file checked before any plotting
        print(plot_curves(a.logs, a.out))
    else:
        print(plot_logs(a.logs, a.out))
    return 0


def cli():
    return run_cli(main)


if __name__ == "__main__":
    sys.exit(cli())
