"""DeepMimic's tabular training log (``agent0_log.txt``): a header row, then one row per dump.

The header is written atomically with the first row; later rows are appended one line at a
time (flushed and synced), so a killed run loses at most the row being written.
"""
import os
import socket
import time

from deepmimic.util.file_io import atomic_write


class TabularLogger:
    def __init__(self, path=None):
        self.path = path
        self.header = []
        self.rows = []
        self._current = {}
        self._header_grew = False  # a column added since the file's header was written: rewrite it

    def resume_from_file(self, max_samples=None):
        """Keep the rows of an existing log (a resumed run appends to its history).

        Rows logged after the model being resumed was saved (``Samples`` > ``max_samples``) are
        dropped, so the resumed log continues from the model rather than from where a killed run died.
        """
        if not (self.path and os.path.isfile(self.path)):
            return
        with open(self.path) as f:
            lines = [l.split() for l in f if l.strip()]
        if not lines:
            return
        self.header, self.rows = lines[0], lines[1:]
        if max_samples is not None and "Samples" in self.header:
            col = self.header.index("Samples")
            self.rows = [r for r in self.rows if len(r) > col and float(r[col]) <= max_samples]
        self._rewrite()

    def last_value(self, key, default):
        """The last logged ``key`` of the resumed rows, as a float."""
        if key in self.header and self.rows:
            try:
                return float(self.rows[-1][self.header.index(key)])
            except (IndexError, ValueError):
                pass
        return default

    def _rewrite(self):
        self._header_grew = False
        text = "\t".join(self.header) + "\n" + "".join("\t".join(r) + "\n" for r in self.rows)
        atomic_write(self.path, lambda f: f.write(text), mode="w")

    def log(self, key, value):
        if key not in self.header:
            self.header.append(key)
            self._header_grew = True
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
        """Append the current values as a row (rank 0 only calls this)."""
        row = [f"{self._current[k]:.8g}" if isinstance(self._current.get(k), float) else str(self._current.get(k, ""))
               for k in self.header]
        self.rows.append(row)
        if not self.path:
            return
        if len(self.rows) == 1 or self._header_grew or not os.path.isfile(self.path):
            self._rewrite()
        else:
            with open(self.path, "a") as f:
                f.write("\t".join(row) + "\n")
                f.flush()
                os.fsync(f.fileno())


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


class TensorBoardScalars:
    """TensorBoard scalars written in the calling thread into one event file held open for the run.

    Not torch's SummaryWriter: its writer thread reopens the file by name at every write, so a run whose
    output folder is deleted got a FileNotFoundError traceback from that thread and died with MPI's exit 1
    before the trainer could say so. Here a write to the open file cannot fail that way, and the trainer
    stops writing once it sees the folder gone.
    """

    def __init__(self, folder):
        from tensorboard.compat.proto.event_pb2 import Event
        from tensorboard.compat.proto.summary_pb2 import Summary
        from tensorboard.summary.writer.record_writer import RecordWriter
        self._event, self._summary = Event, Summary
        os.makedirs(folder, exist_ok=True)
        name = f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}.{os.getpid()}.0"
        self._records = RecordWriter(open(os.path.join(folder, name), "ab"))
        self._write(Event(wall_time=time.time(), file_version="brain.Event:2"))

    def _write(self, event):
        self._records.write(event.SerializeToString())
        self._records.flush()

    def add_scalars(self, values, step):
        summary = self._summary(value=[self._summary.Value(tag=k, simple_value=v) for k, v in values.items()])
        self._write(self._event(wall_time=time.time(), step=int(step), summary=summary))

    def close(self):
        self._records.close()


def make_tensorboard_writer(folder):
    """A ``TensorBoardScalars`` logging to ``folder`` when TensorBoard is installed, else None (optional)."""
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        return None
    return TensorBoardScalars(folder)


def log_to_tensorboard(writer, logger, step):
    """Mirror the numeric columns of the current log row as TensorBoard scalars at ``step`` samples."""
    if writer is None:
        return
    writer.add_scalars({key: float(value) for key in logger.header
                        if isinstance(value := logger.get(key), (int, float))}, step)
