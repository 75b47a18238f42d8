"""DeepMimic's tabular training log (``agent0_log.txt``): a header row, then one row per dump.

The whole table is rewritten atomically at each dump, so a killed run never leaves a torn file.
"""
import os

from deepmimic.util.file_io import atomic_write


class TabularLogger:
    def __init__(self, path=None):
        self.path = path
        self.header = []
        self.rows = []
        self._current = {}

    def resume_from_file(self):
        """Keep the rows of an existing log (a resumed run appends to its history)."""
        if self.path and os.path.isfile(self.path):
            with open(self.path) as f:
                lines = [l.split() for l in f if l.strip()]
            if lines:
                self.header, self.rows = lines[0], lines[1:]

    def log(self, key, value):
        if key not in self.header:
            self.header.append(key)
        self._current[key] = value

    def get(self, key, default=None):
        return self._current.get(key, default)

    def format_table(self):
        width = max(len(k) for k in self.header) if self.header else 10
        lines = ["-" * (width + 20)]
        for k in self.header:
            v = self._current.get(k, "")
            vs = f"{v:.6g}" if isinstance(v, float) else str(v)
            lines.append(f"| {k:>{width}} | {vs:>15} |")
        lines.append("-" * (width + 20))
        return "\n".join(lines)

    def dump(self):
        """Append the current values as a row and rewrite the file (rank 0 only calls this)."""
        row = []
        for k in self.header:
            v = self._current.get(k, "")
            row.append(f"{v:.8g}" if isinstance(v, float) else str(v))
        self.rows.append(row)
        if self.path:
            text = "\t".join(self.header) + "\n" + "".join("\t".join(r) + "\n" for r in self.rows)
            atomic_write(self.path, lambda f: f.write(text), mode="w")


def read_log(path):
    """Parse an ``agent0_log.txt`` into {column: [float, ...]}."""
    with open(path) as f:
        lines = [l.split() for l in f if l.strip()]
    if not lines:
        return {}
    header = lines[0]
    cols = {k: [] for k in header}
    for row in lines[1:]:
        for k, v in zip(header, row):
            try:
                cols[k].append(float(v))
            except ValueError:
                cols[k].append(float("nan"))
    return cols
