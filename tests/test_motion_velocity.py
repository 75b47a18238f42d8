"""Reference velocities: upstream's (the frame pair's difference, held between frames) by default, DeepMimic's
(frame differences low-passed, blended between frames) with --smooth_ref_vel."""
import dataclasses
import json
import math
import os

import numpy as np
import pytest
from conftest import ROOT, make_env

from deepmimic.env.character import load_character
from deepmimic.env.imitation_env import ImitationEnv
from deepmimic.env.motion_data import MotionData, butterworth_zero_phase
from deepmimic.util.arg_parser import ArgParser
from deepmimic.util.errors import DeepMimicError

CHAR = os.path.join(ROOT, "data/characters/humanoid3d.txt")
WALK = os.path.join(ROOT, "data/motions/humanoid3d_walk.txt")


def _clip(tmp_path, **keys):
    data = json.load(open(WALK))
    data.update(keys)
    path = tmp_path / "m.txt"
    path.write_text(json.dumps(data))
    return str(path)


def test_the_filter_is_a_zero_phase_second_order_butterworth():
    """Forward and backward, each pass -3 dB at the cutoff: a sine at the cutoff keeps half its amplitude, one
    at a tenth of it all, one near the sampling limit almost nothing, and a constant stays (DeepMimic's filter)."""
    dt, cutoff, t = 1.0 / 120, 6.0, np.arange(2400) / 120.0
    inner = slice(600, 1800)  # away from the edges, where each pass starts from a held sample
    for freq, gain in ((cutoff, 0.5), (cutoff / 10, 1.0), (48.0, 0.0)):
        y = butterworth_zero_phase(np.sin(2 * math.pi * freq * t), dt, cutoff)
        assert abs(np.abs(y[inner]).max() - gain) < 0.01, (freq, np.abs(y[inner]).max())
    at_crossings = butterworth_zero_phase(np.sin(2 * math.pi * cutoff * t), dt, cutoff)[inner][::20]
    assert np.all(np.abs(at_crossings) < 1e-3)  # no lag: zero crossings stay where they were
    assert np.allclose(butterworth_zero_phase(np.full((50, 3), 2.5), dt, cutoff), 2.5, atol=1e-12)


def test_deepmimic_velocities_blend_the_frames_differences(tmp_path):
    """Unfiltered (VelFilterCutoff 0), DeepMimic's velocity half-way through a frame is the mean of that frame's
    and the next one's difference; upstream's is that frame's alone. At a frame both are its difference."""
    char = load_character(CHAR)
    path = _clip(tmp_path, VelFilterCutoff=0)
    up, dm = MotionData(path, char), MotionData(path, char, smooth_vel=True)
    d = (dm.root_pos[1:] - dm.root_pos[:-1]) / dm.frame_dur
    for i in (2, 10, 20):
        mid = (i + 0.5) * dm.frame_dur
        assert np.allclose(dm.reference(mid).root_vel, 0.5 * (d[i] + d[i + 1]), atol=1e-12)
        assert np.allclose(up.reference(mid).root_vel, d[i], atol=1e-12)
        assert np.allclose(dm.reference((i + 1e-9) * dm.frame_dur).root_vel, d[i], atol=1e-6)
    assert np.allclose(dm.rev_vel[-1], dm.rev_vel[-2])  # the last frame repeats the one before, as DeepMimic
    filtered = MotionData(_clip(tmp_path, VelFilterCutoff=6), char, smooth_vel=True)
    assert np.allclose(filtered.root_vel, butterworth_zero_phase(dm.root_vel, dm.frame_dur, 6.0), atol=1e-12)
    assert np.abs(filtered.root_vel - dm.root_vel).max() > 0.01
    past_nyquist = MotionData(_clip(tmp_path, VelFilterCutoff=0.5 / dm.frame_dur), char, smooth_vel=True)
    assert np.array_equal(past_nyquist.root_vel, dm.root_vel)  # a low-pass at the frames' Nyquist rate keeps all
    assert filtered.reference(0.3).root_pos.tolist() == up.reference(0.3).root_pos.tolist()  # poses unchanged


def test_a_backflip_started_at_the_bottom_of_its_landing_gets_deepmimics_velocity():
    """Why the option exists: upstream holds the falling frame pair's 3.1 m/s down until the landing frame, so a
    start at phase 0.71 (the bottom of the crouch) slams the character into the ground; DeepMimic's is 0.7."""
    upstream = make_env("backflip")
    deepmimic = ImitationEnv(dataclasses.replace(upstream.cfg, smooth_ref_vel=True), seed=0)
    start = 0.71 * upstream.motion.cycle_time
    vy = []
    for env in (upstream, deepmimic):
        env.reset(start_time=start)
        vy.append(env.pb.getBaseVelocity(env.body)[0][1])
    assert vy[0] < -3.0 and -1.0 < vy[1] < 0.0, vy
    args = ArgParser.from_argv(["--motion_file", WALK, "--smooth_ref_vel", "true"])
    from deepmimic.settings import env_config
    assert env_config(args).smooth_ref_vel and not make_env("walk").cfg.smooth_ref_vel


@pytest.mark.parametrize("value", [-1, "6", None, True])
def test_a_bad_vel_filter_cutoff_is_named(tmp_path, value):
    with pytest.raises(DeepMimicError, match="'VelFilterCutoff' must be a number of Hz >= 0"):
        MotionData(_clip(tmp_path, VelFilterCutoff=value), load_character(CHAR))
