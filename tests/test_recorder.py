"""Recordings (``deepmimic.env.recorder``): streamed to disk frame by frame (memory stays flat however long),
checked against the free disk before anything is simulated, whole when stopped, one line when the disk fills."""
import errno
import os
import signal
import subprocess
import sys
import time
from collections import namedtuple

import numpy as np
import pytest
from PIL import Image, ImageSequence

from deepmimic.env import recorder
from deepmimic.env.recorder import FrameRecorder, check_recording_space
from deepmimic.util.errors import DeepMimicError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _moving_square(k, h=96, w=128):
    frame = np.full((h, w, 3), 200, np.uint8)
    frame[10 + k % 60:30 + k % 60, 20 + k % 90:40 + k % 90] = [255 - 3 * (k % 80), 40, 3 * (k % 80)]
    return frame


def test_gif_holds_every_frame_as_given(tmp_path):
    frames = [_moving_square(k) for k in range(30)] + [_moving_square(29)]  # the last one unchanged
    with FrameRecorder(gif_path=str(tmp_path / "a.gif"), png_dir=str(tmp_path / "png"), fps=15) as rec:
        for f in frames:
            rec.add(f)
        assert rec.close() == 31
    with Image.open(tmp_path / "a.gif") as im:
        assert im.n_frames == 31 and im.info["loop"] == 0
        durations = []
        for want, got in zip(frames, ImageSequence.Iterator(im)):
            assert np.array_equal(np.asarray(got.convert("RGB")), want)  # few colours: exact after the palette
            durations.append(got.info["duration"])
    assert set(durations) == {60, 70} and sum(durations[:30]) == 2000  # 30 frames at 15/s: 2 s, as GIF can
    assert len(os.listdir(tmp_path / "png")) == 31
    assert [f for f in os.listdir(tmp_path) if f.startswith(".tmp_")] == []


def test_memory_stays_flat_over_a_long_recording(tmp_path):
    """400 frames of 512x384 (236 MB of RGB) add at most a few MB over the first 20: frames are not kept."""
    script = f"""
import resource, numpy as np
from deepmimic.env.recorder import FrameRecorder
rng = np.random.default_rng(0)
with FrameRecorder(gif_path={str(tmp_path / "long.gif")!r}) as rec:
    for k in range(400):
        frame = np.full((384, 512, 3), 180, np.uint8)
        frame[k % 300:k % 300 + 80, k:k + 100] = rng.integers(0, 255, 3)
        rec.add(frame)
        if k == 19:
            early = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rec.close()
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - early) // 1024)
"""
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-2000:]
    assert int(r.stdout.split()[-1]) < 40  # MB; holding the frames would add ~230
    with Image.open(tmp_path / "long.gif") as im:
        assert im.n_frames == 400


def test_a_recording_that_cannot_fit_is_refused_before_it_starts(tmp_path, monkeypatch):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(recorder.shutil, "disk_usage", lambda path: usage(10 ** 9, 0, 10 ** 8))
    check_recording_space(str(tmp_path / "a.gif"), None, 100, 640, 480, "--cycles")  # 31 MB: fits
    with pytest.raises(DeepMimicError, match=r"--cycles: 1,000 frames of 640x480 may need 0.3 GB.*0.1 GB free"):
        check_recording_space(str(tmp_path / "a.gif"), None, 1000, 640, 480, "--cycles")
    with pytest.raises(DeepMimicError, match="--record_png"):
        check_recording_space(None, str(tmp_path / "new" / "frames"), 200, 640, 480, "--max_steps")
    from deepmimic.view_motion import main
    with pytest.raises(DeepMimicError, match="--cycles: 3"):
        main(["--motion_file", os.path.join(ROOT, "data/motions/humanoid3d_walk.txt"), "--cycles", "1000",
              "--width", "1024", "--height", "768", "--record", str(tmp_path / "b.gif")])
    assert os.listdir(tmp_path) == []


def test_a_full_disk_ends_in_one_line_and_leaves_no_temp_file(tmp_path, monkeypatch):
    def full(self, chunks):
        raise OSError(errno.ENOSPC, "No space left on device")
    target = tmp_path / "full.gif"
    target.write_bytes(b"the user's file")
    rec = FrameRecorder(gif_path=str(target))
    monkeypatch.setattr(recorder.GifStream, "_write", full)
    with pytest.raises(DeepMimicError, match="cannot write the recording: No space left on device"):
        rec.add(_moving_square(0))
    assert os.listdir(tmp_path) == ["full.gif"] and target.read_bytes() == b"the user's file"


def test_ctrl_c_in_view_motion_recording_keeps_a_whole_gif(tmp_path):
    gif = tmp_path / "clip.gif"
    proc = subprocess.Popen([sys.executable, "-m", "deepmimic.view_motion", "--motion_file",
                             "data/motions/humanoid3d_walk.txt", "--cycles", "1000", "--width", "32", "--height", "24",
                             "--record", str(gif)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line, deadline = "", time.time() + 180
    while time.time() < deadline and not line.startswith("humanoid3d_walk.txt"):
        line = proc.stdout.readline()  # the clip's summary: recording starts next
    time.sleep(3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "Traceback" not in err, err[-2000:]
    last = out.strip().splitlines()[-1]
    assert last.startswith("stopped by signal 2: ") and last.endswith(" frames recorded"), out[-2000:]
    frames = int(last.split(": ")[1].split()[0])
    with Image.open(gif) as im:
        assert 0 < frames < 30000 and im.n_frames == frames
