"""The learning curve users compare configurations by: deterministic test episodes of the full
test time limit (20 s) from the same seeded start phases every time, evaluated every K samples.

Train_Return is not comparable between configurations (episode lengths anneal, termination rules
differ); a fixed set of full-length test episodes is. Rows go to ``learning_curve.csv`` with the
columns below; a resumed run keeps the rows up to the resumed model and continues them. ``body_err_mm`` and
``body_err_rel_mm`` are the tracking error over every control step of the point's episodes
(``deepmimic.env.tracking_error``); curves written before it existed have the first five columns only, and
read back with those cells empty (NaN).
"""
import math
import csv
import os

import numpy as np

from deepmimic.learning.rollout import summarize
from deepmimic.util.errors import DeepMimicError
from deepmimic.util.file_io import atomic_write

COLUMNS = ("samples", "wall_hours", "test_return_mean", "test_falls", "test_episodes", "body_err_mm", "body_err_rel_mm")
#: The columns of curves written before the tracking error: still read (and continued) as they are.
OLD_COLUMNS = COLUMNS[:5]
START_SEED = 20180801  # the start phases never change between runs or configurations


def curve_model_prefix(int_output_path, samples):
    """Where the trainer keeps the model behind a curve point (``<prefix>_anet.pth`` / ``_cnet.pth``), so the best
    point can be shipped later (``deepmimic-ship-policy``)."""
    return os.path.join(int_output_path, f"agent0_curve_model_{int(samples):012d}")


def at_bar(row, bar, max_falls):
    """One curve point at or above the bar (a finite mean return) with at most ``max_falls`` falls."""
    return math.isfinite(row["test_return_mean"]) and row["test_return_mean"] >= bar and row["test_falls"] <= max_falls


def bar_reached_at(rows, bar, max_falls, confirm=2):
    """Samples of the first point that made ``confirm`` points in a row at the bar, or None: where a run
    stops at its bar (``--stop_at_return``) or begins its fine phase (``--fine_samples``)."""
    for i in range(confirm - 1, len(rows)):
        if all(at_bar(r, bar, max_falls) for r in rows[i - confirm + 1:i + 1]):
            return rows[i]["samples"]
    return None


def start_times(cycle_time, num_episodes):
    """The seeded start times (s) of the curve's test episodes: the same for every run."""
    return np.random.default_rng(START_SEED).uniform(0.0, cycle_time, size=num_episodes)


def curve_starts(motions, num_episodes):
    """The curve's (clip, start time) of each test episode: episode i leads with clip i modulo the set's size, so
    every clip of a motion set (the walker's five) is judged at every point, never a random draw; the times are
    ``start_times``' fractions of that clip's cycle (for one clip, exactly ``start_times``' values)."""
    fractions = start_times(1.0, num_episodes)
    clips = [i % len(motions) for i in range(num_episodes)]
    return [(c, float(f * motions.clips[c].cycle_time)) for c, f in zip(clips, fractions)]


class CurveWriter:
    """Rows of the learning curve, written atomically after each evaluation (rank 0 only)."""

    def __init__(self, path, resume_samples=None):
        self.path = path
        self.rows = []
        if resume_samples is not None and os.path.isfile(path):
            self.rows = [r for r in read_curve(path) if r["samples"] <= resume_samples]
            self._write()

    def next_due(self, every):
        """Sample count at which the next evaluation is due (0: evaluate the initial policy)."""
        return self.rows[-1]["samples"] + every if self.rows else 0

    def add(self, samples, wall_hours, results):
        """``results``: a ``rollout.EpisodeResult`` per test episode over all ranks."""
        point = summarize(results)
        self.rows.append({"samples": int(samples), "wall_hours": float(wall_hours),
                          "test_return_mean": point["return"], "test_falls": point["falls"],
                          "test_episodes": point["episodes"], "body_err_mm": point["body_err_mm"],
                          "body_err_rel_mm": point["body_err_rel_mm"]})
        self._write()
        return self.rows[-1]

    def _write(self):
        def write(f):
            w = csv.writer(f, lineterminator="\n")
            w.writerow(COLUMNS)
            for r in self.rows:
                w.writerow([r["samples"], f"{r['wall_hours']:.4f}", f"{r['test_return_mean']:.3f}",
                            r["test_falls"], r["test_episodes"], _mm(r["body_err_mm"]), _mm(r["body_err_rel_mm"])])
        atomic_write(self.path, write, mode="w")


def _mm(value):
    """A tracking-error cell: one decimal, empty where it was not measured."""
    return "" if math.isnan(value) else f"{value:.1f}"


def read_curve(path):
    """Rows of a learning_curve.csv as dicts of numbers (the tracking error NaN where a cell is empty). A file
    that is missing, not a curve, or has a row cut short (a run killed mid-write) is one error naming the
    file and the line."""
    if not os.path.isfile(path):
        raise DeepMimicError("learning curve file not found", path)
    try:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            if tuple(reader.fieldnames or ()) not in (COLUMNS, OLD_COLUMNS):
                raise DeepMimicError(f"not a learning_curve.csv: expected columns {','.join(COLUMNS)}, "
                                     f"got {','.join(reader.fieldnames or ()) or 'none'}", path)
            return [_curve_row(r, reader.line_num, path) for r in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise DeepMimicError(f"cannot read the learning curve: {getattr(e, 'strerror', None) or e}", path)


def _curve_row(r, line, path):
    try:
        if None in r or None in r.values():  # too many cells, or too few
            raise ValueError
        return {"samples": int(r["samples"]), "wall_hours": float(r["wall_hours"]),
                "test_return_mean": float(r["test_return_mean"]), "test_falls": int(r["test_falls"]),
                "test_episodes": int(r["test_episodes"]), "body_err_mm": float(r.get("body_err_mm") or "nan"),
                "body_err_rel_mm": float(r.get("body_err_rel_mm") or "nan")}
    except ValueError:
        cells = [v for k, v in r.items() if k is not None and v is not None] + list(r.get(None) or [])
        raise DeepMimicError(f"line {line} is cut short or is not numbers ({','.join(cells)}); "
                             "a run stopped mid-write: delete that line", path) from None
