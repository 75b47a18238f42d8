"""The motion viewer: a clip plays kinematically, headless to a GIF; bad clips are one-line errors."""
import numpy as np
from PIL import Image

from test_cli_safety import _cli


def test_viewer_records_the_clip_moving(tmp_path, capsys):
    gif = tmp_path / "walk.gif"
    code, out, _ = _cli(capsys, "view", ["--motion_file", "data/motions/humanoid3d_walk.txt", "--record", str(gif),
                                         "--max_steps", "12", "--width", "160", "--height", "120"])
    assert code == 0 and "humanoid3d_walk.txt: 39 frames, cycle 1.267 s, root travels 1.24 m per cycle" in out
    im = Image.open(gif)
    assert im.n_frames == 12 and im.size == (160, 120)
    frames = []
    for k in (0, 11):
        im.seek(k)
        frames.append(np.asarray(im.convert("RGB"), dtype=int))
    assert np.abs(frames[0] - frames[1]).sum() > 1000  # the character moved between the first and last frame


def test_viewer_reports_a_bad_clip_in_one_line(tmp_path, capsys):
    bad = tmp_path / "clip.txt"
    bad.write_text('{"Loop": "wrap", "Frames": [[0.03, 0, 0.9, 0], [0.03, 0, 0.9, 0]]}')
    code, _, err = _cli(capsys, "view", ["--motion_file", str(bad), "--record", str(tmp_path / "x.gif")])
    assert code == 2 and "clip.txt: frame 0 has length 4, expected 44" in err and err.count("\n") == 1
    assert not (tmp_path / "x.gif").exists()
