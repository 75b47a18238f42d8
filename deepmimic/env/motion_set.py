"""Several motion clips imitated as one task (DeepMimic's dataset files, the upstream walker folder).

``--motion_file`` names one of:
  - a clip (a DeepMimic motion file with ``Frames``);
  - a folder: every file in it is a clip, in sorted name order, each with weight 1
    (hidden files are skipped);
  - a dataset file ``{"Motions": [{"Weight": w, "File": f}, ...]}`` (DeepMimic's format); ``File``
    is relative to the working directory, the project root, or the dataset's own folder.

How several clips make one task (the upstream multiclip env's semantics, with each clip's own timing):
  - every episode has a *lead* clip, drawn with probability proportional to its weight; the initial
    state is the lead clip's pose and velocity at a random time, and the state's phase is the lead
    clip's phase. (Upstream always starts from its first clip.)
  - the reward is the best over the clips, each evaluated at the same episode time (wrapped by its
    own duration and continued by its own cycle offset).
"""
import os

import numpy as np

from deepmimic.env.motion_data import MotionData
from deepmimic.util.paths import resolve_path
from deepmimic.util.errors import DeepMimicError, load_json_file


def _dataset_entries(path, data):
    """(file, weight) pairs of a dataset file's ``Motions`` list, checked."""
    motions = data.get("Motions")
    if not isinstance(motions, list) or not motions:
        raise DeepMimicError("'Motions' must be a non-empty list of {\"Weight\": w, \"File\": f}", path)
    entries = []
    for i, m in enumerate(motions):
        if not isinstance(m, dict) or not isinstance(m.get("File"), str):
            raise DeepMimicError(f"Motions[{i}] needs a \"File\" string", path)
        w = m.get("Weight", 1.0)
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not np.isfinite(w) or w <= 0:
            raise DeepMimicError(f"Motions[{i}]: Weight must be a positive number, got {w!r}", path)
        f = resolve_path(m["File"])
        if not os.path.isfile(f):
            f = os.path.join(os.path.dirname(path), m["File"])
        if not os.path.isfile(f):
            raise DeepMimicError(f"Motions[{i}]: clip file {m['File']!r} not found", path)
        entries.append((f, float(w)))
    return entries


#: Clips already read in this process, by file and what the clip depends on: every env of a rank shares one
#: copy of a clip's arrays, read once (a 200k-frame clip took ~400 MB and ~25 s per env).
_CLIPS = {}
_ENTRIES = {}


def _signature(path):
    st = os.stat(path)
    return os.path.abspath(path), st.st_ino, st.st_size, st.st_mtime_ns


def shared_clip(path, char, smooth_vel=False):
    """The clip at ``path`` for ``char``'s joints, read once per process (``MotionData`` is not changed after
    it is built; an edited file is read again)."""
    key = (_signature(path), tuple(char.types), bool(smooth_vel))
    if key not in _CLIPS:
        if len(_CLIPS) >= 64:
            _CLIPS.clear()
        _CLIPS[key] = MotionData(path, char, smooth_vel)
    return _CLIPS[key]


def clip_entries(path):
    """(file, weight) of every clip that ``path`` (a clip, folder or dataset file) names."""
    if os.path.isfile(path):
        key = (_signature(path), os.getcwd())  # entries are paths as given, and may be relative to the cwd
        if key not in _ENTRIES:
            _ENTRIES.clear()
            _ENTRIES[key] = _read_entries(path)
        return _ENTRIES[key]
    return _read_entries(path)


def _read_entries(path):
    if os.path.isdir(path):
        files = sorted(os.path.join(path, f) for f in os.listdir(path)
                       if not f.startswith(".") and os.path.isfile(os.path.join(path, f)))
        if not files:
            raise DeepMimicError("motion folder holds no clip files", path)
        return [(f, 1.0) for f in files]
    data = load_json_file(path, "motion")
    if isinstance(data, dict) and "Motions" in data and "Frames" not in data:
        return _dataset_entries(path, data)
    return [(path, 1.0)]  # a clip: MotionData checks it


class MotionSet:
    """The clips of a task, their names and their sampling probabilities."""

    def __init__(self, path, char, smooth_vel=False):
        entries = clip_entries(path)
        self.path = path
        self.clips = [shared_clip(f, char, smooth_vel) for f, _ in entries]
        self.names = [os.path.basename(f) for f, _ in entries]
        w = np.array([w for _, w in entries])
        self.probs = w / w.sum()

    def __len__(self):
        return len(self.clips)

    def sample(self, rng):
        """Index of a lead clip drawn by weight. A single clip draws nothing from ``rng``, so
        single-clip runs keep their random streams (and seeded logs) unchanged."""
        if len(self.clips) == 1:
            return 0
        return int(rng.choice(len(self.clips), p=self.probs))

    def index(self, name_or_index):
        """A clip index from its position or its file name."""
        if isinstance(name_or_index, (int, np.integer)):
            if not 0 <= name_or_index < len(self.clips):
                raise DeepMimicError(f"clip {name_or_index} out of range (the set has {len(self.clips)})", self.path)
            return int(name_or_index)
        if name_or_index not in self.names:
            raise DeepMimicError(f"no clip named {name_or_index!r} (clips: {', '.join(self.names)})", self.path)
        return self.names.index(name_or_index)
