"""The motion viewer: a clip plays kinematically, headless to a GIF; bad clips are one-line errors; its clip checks
(a jump in the root's turn rate between two frames, a pose in the ground)."""
import json
import os

import numpy as np
from PIL import Image

from conftest import ROOT, make_env
from deepmimic.view_motion import SPIN_SPIKE_RATIO, clip_checks, ground_penetration, root_spin_check
from test_cli_safety import _cli


def test_viewer_records_the_clip_moving(tmp_path, capsys):
    gif = tmp_path / "walk.gif"
    code, out, _ = _cli(capsys, "view", ["--motion_file", "data/motions/humanoid3d_walk.txt", "--record", str(gif),
                                         "--max_steps", "12", "--width", "160", "--height", "120"])
    assert code == 0 and "humanoid3d_walk.txt: 39 frames, cycle 1.267 s, root travels 1.24 m per cycle" in out
    assert "root turns fastest across frames 18-19" in out and "a jump in the clip?" in out  # walk's seam too
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


def test_runs_mirrored_seam_is_flagged_and_a_smooth_clip_is_not():
    """run's clip joins its mirrored halves between frames 11 and 12: the held frame difference turns the root at
    ~5.7 rad/s there, more than twice the low-passed rate; jump's fastest turn is its own, not a jump."""
    env = make_env("run")
    frame, held, smooth, median = root_spin_check(env.motion, env.char)
    assert frame == 11 and 5.0 < held < 6.5 and held > SPIN_SPIKE_RATIO * smooth and held > 3 * median
    assert "a jump in the clip?" in clip_checks(env)
    env = make_env("jump")
    frame, held, smooth, _ = root_spin_check(env.motion, env.char)
    assert held < SPIN_SPIKE_RATIO * smooth
    assert "a jump in the clip?" not in clip_checks(env)


def test_ground_penetration_of_the_clip_pose_and_of_the_same_clip_lifted(tmp_path):
    """run's stance foot sinks several cm into the ground at its foot strikes; the same clip 0.2 m higher
    never touches it."""
    env = make_env("run")
    depth, phase, name = ground_penetration(env)
    assert 0.03 < depth < 0.09 and name.endswith("ankle") and 0 <= phase < 1
    with open(os.path.join(ROOT, "data/motions/humanoid3d_run.txt")) as f:
        clip = json.load(f)
    frames = np.array(clip["Frames"])
    frames[:, 2] += 0.2  # root height
    clip["Frames"] = frames.tolist()
    lifted = tmp_path / "run_lifted.txt"
    lifted.write_text(json.dumps(clip))
    env = make_env(motion=str(lifted))
    assert ground_penetration(env)[0] == 0.0
    assert "never into the ground" in clip_checks(env)


def test_each_clip_of_a_set_is_checked_on_its_own_pose(tmp_path):
    """A folder of clips: each clip's line measures that clip, not the first one's pose again."""
    import shutil
    for name in ("humanoid3d_run.txt", "humanoid3d_walk.txt"):
        shutil.copy(os.path.join(ROOT, "data/motions", name), tmp_path / name)
    env = make_env(motion=str(tmp_path))
    depths = {os.path.basename(env.motions.clips[i].path): ground_penetration(env, i)[0] for i in range(2)}
    assert depths["humanoid3d_run.txt"] > 0.03 > depths["humanoid3d_walk.txt"]
