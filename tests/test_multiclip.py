"""Several clips as one task: folders and dataset files, lead-clip draws, best-over-clips reward,
bad sets as one-line errors, and the walker arg files training and playing."""
import json
import os

import numpy as np
import pytest
from conftest import ROOT, make_env
from test_cli_safety import _cli

from deepmimic.env.reward import imitation_reward

WALK = os.path.join(ROOT, "data/motions/humanoid3d_walk.txt")
BACKFLIP = os.path.join(ROOT, "data/motions/humanoid3d_backflip.txt")


def _dataset(tmp_path, motions):
    path = tmp_path / "set.txt"
    path.write_text(json.dumps({"Motions": motions}))
    return str(path)


def test_folder_and_dataset_forms(tmp_path):
    walker = make_env(motion="data/motions/walker")
    assert walker.motions.names == ["0walk_forward.txt", "turn_left0.txt", "turn_left1.txt",
                                    "turn_right0.txt", "turn_right1.txt"]
    assert np.allclose(walker.motions.probs, 0.2)
    # a dataset: absolute and dataset-relative files, weights
    (tmp_path / "clips").mkdir()
    (tmp_path / "clips" / "flip.txt").write_text(open(BACKFLIP).read())
    env = make_env(motion=_dataset(tmp_path, [{"Weight": 3, "File": WALK}, {"Weight": 1, "File": "clips/flip.txt"}]))
    assert env.motions.names == ["humanoid3d_walk.txt", "flip.txt"] and np.allclose(env.motions.probs, [0.75, 0.25])
    leads = [env.reset() is not None and env.clip for _ in range(400)]
    assert 0.68 < leads.count(0) / 400 < 0.82
    # the phase is the lead clip's: same time, different clip lengths
    env.reset(start_time=0.6, clip="flip.txt")
    flip_phase = env.phase()
    env.reset(start_time=0.6, clip=0)
    assert abs(env.phase() - 0.6 / env.motions.clips[0].cycle_time) < 1e-12
    assert abs(flip_phase - 0.6 / env.motions.clips[1].cycle_time) < 1e-12 and flip_phase != env.phase()


def test_a_single_clip_draws_nothing_from_the_rng():
    a, b = make_env(seed=3), make_env(seed=3)
    a.reset()
    assert a.rng.uniform() == (b.reset() is not None and b.rng.uniform())
    assert len(a.motions) == 1 and a.clip == 0


def test_reward_is_the_best_over_the_clips(tmp_path):
    both = make_env(motion=_dataset(tmp_path, [{"File": WALK}, {"File": BACKFLIP}]), seed=1)
    walk_only = make_env(seed=1)
    for env in (both, walk_only):
        env.reset(start_time=0.4, clip=0)
    for _ in range(5):
        a = walk_only.reference_action(walk_only.t)
        s1, r1, _, _ = both.step(a)
        s2, r2, _, _ = walk_only.step(a)
        assert np.array_equal(s1, s2) and r1 >= r2  # same simulation; the walk clip is one candidate
        per_clip = [imitation_reward(both.tracking_state(m), both.joint_weights)["reward"] for m in both.motions.clips]
        assert r1 == max(per_clip) and r2 == per_clip[0]


BAD_SETS = [
    (lambda p: str(p / "empty_dir"), "motion folder holds no clip files"),
    (lambda p: _dataset(p, []), "'Motions' must be a non-empty list"),
    (lambda p: _dataset(p, [{"File": "nowhere.txt"}]), "Motions[0]: clip file 'nowhere.txt' not found"),
    (lambda p: _dataset(p, [{"File": WALK, "Weight": -1}]), "Motions[0]: Weight must be a positive number"),
    (lambda p: _dataset(p, [{"Weight": 1}]), "Motions[0] needs a \"File\" string"),
]


@pytest.mark.parametrize("make,words", BAD_SETS, ids=[w[:30] for _, w in BAD_SETS])
def test_bad_motion_sets_are_one_line_errors(tmp_path, capsys, make, words):
    (tmp_path / "empty_dir").mkdir()
    argv = ["--arg_file", "args/train_humanoid3d_walker_args.txt", "--motion_file", make(tmp_path),
            "--output_path", str(tmp_path / "out")]
    code, _, err = _cli(capsys, "train", argv)
    assert code == 2 and words in err and "Traceback" not in err and err.count("\n") == 1, err


def test_walker_args_train_and_play(tmp_path, capsys, small_agent_file):
    out = tmp_path / "walker"
    code, _, err = _cli(capsys, "train", ["--arg_file", "args/train_humanoid3d_walker_args.txt",
                                          "--agent_files", small_agent_file, "--num_envs_per_proc", "2",
                                          "--warm_start_samples", "200", "--curve_every", "600", "--curve_episodes", "5",
                                          "--max_samples", "1200", "--output_path", str(out),
                                          "--int_output_path", str(out / "int"), "--rand_seed", "3"])
    assert code == 0, err
    from deepmimic.learning.learning_curve import read_curve  # the recipe's curve over the five clips
    assert [r["test_episodes"] for r in read_curve(str(out / "learning_curve.csv"))][-1] == 5
    code, stdout, err = _cli(capsys, "play", ["--arg_file", "args/run_humanoid3d_walker_args.txt",
                                              "--agent_files", small_agent_file,
                                              "--model_files", str(out / "agent0_model_anet.pth"),
                                              "--num_episodes", "2", "--max_steps", "10", "--rand_seed", "1"])
    assert code == 0, err
    assert "episodes: 2  mean return:" in stdout


def test_viewer_lists_every_clip_and_shows_the_chosen_one(tmp_path, capsys):
    gif = tmp_path / "left.gif"
    code, out, err = _cli(capsys, "view", ["--motion_file", "data/motions/walker", "--clip", "turn_left0.txt",
                                           "--record", str(gif), "--max_steps", "3", "--width", "64", "--height", "48"])
    assert code == 0, err
    assert out.count("38 frames, cycle 1.233 s") == 5 and "showing turn_left0.txt" in out and gif.is_file()
    code, _, err = _cli(capsys, "view", ["--motion_file", "data/motions/walker", "--clip", "turn_up.txt",
                                         "--record", str(tmp_path / "up.gif")])
    assert code == 2 and "no clip named 'turn_up.txt'" in err and err.count("\n") == 1


def test_envs_of_one_process_share_a_clip_and_an_edited_clip_is_read_again(tmp_path):
    """A 200k-frame clip cost ~400 MB and ~25 s per env (16 envs: 6 GB): the envs of a rank now share one copy;
    the clip's memory and load time no longer multiply with --num_envs_per_proc."""
    import shutil
    clip = tmp_path / "walk.txt"
    shutil.copy(os.path.join(ROOT, "data/motions/humanoid3d_walk.txt"), clip)
    a, b = make_env(motion=str(clip)), make_env(motion=str(clip))
    assert a.motion is b.motion and a.motion.root_pos is b.motion.root_pos
    data = json.loads(clip.read_text())
    data["Frames"] = data["Frames"][:20]
    clip.write_text(json.dumps(data))  # an edit: the next env reads the new clip
    c = make_env(motion=str(clip))
    assert c.motion is not a.motion and c.motion.num_frames == 20 and a.motion.num_frames > 20
    for env in (a, b, c):
        env.close()


def test_a_clip_named_relative_to_another_working_directory_is_found_there(tmp_path, monkeypatch):
    """The clip cache once handed a later call the relative path it had read from another working directory
    (a test in another folder: "No such file" for the clip it had just read)."""
    from deepmimic.env.motion_set import clip_entries
    (tmp_path / "data" / "motions").mkdir(parents=True)
    os.symlink(WALK, tmp_path / "data" / "motions" / "humanoid3d_walk.txt")
    (tmp_path / "run").mkdir()
    monkeypatch.chdir(tmp_path)
    assert os.path.isfile(clip_entries("data/motions/humanoid3d_walk.txt")[0][0])
    monkeypatch.chdir(tmp_path / "run")
    assert os.path.isfile(clip_entries("../data/motions/humanoid3d_walk.txt")[0][0])
