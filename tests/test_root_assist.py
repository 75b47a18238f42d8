"""The root assist (``env/root_assist.py``): pushes toward the reference root, spread rigidly, fades, never in tests."""
import numpy as np
import pytest
from conftest import make_env

from deepmimic.env.base_env import Mode
from deepmimic.env.root_assist import RootAssist, root_accelerations


def _quat(axis, angle):
    axis = np.asarray(axis, dtype=float) / np.linalg.norm(axis)
    return np.append(axis * np.sin(angle / 2), np.cos(angle / 2))


def test_accelerations_are_zero_on_the_reference_and_point_back_to_it():
    q, z = _quat([0, 1, 0], 0.3), np.zeros(3)
    lin, ang = root_accelerations(1.0, np.ones(3), q, z, z, np.ones(3), q, z, z)
    assert np.allclose(lin, 0) and np.allclose(ang, 0)
    assert np.allclose(root_accelerations(1.0, z, q, z, z, z, -q, z, z)[1], 0, atol=1e-5)  # -q is the same turn
    # 0.1 m short in x and turned 0.2 rad short about y: pulled +x and turned +y, in proportion to the scale
    lin, ang = root_accelerations(0.5, np.zeros(3), _quat([0, 1, 0], 0.1), z, z, [0.1, 0, 0], q, z, z)
    assert lin == pytest.approx([0.5 * 100 * 0.1, 0, 0]) and ang == pytest.approx([0, 0.5 * 100 * 0.2, 0])
    lin, ang = root_accelerations(1.0, z, q, [0, -1.0, 0], [0, 0, 2.0], z, q, z, z)  # damping opposes velocity
    assert lin == pytest.approx([0, 20.0, 0]) and ang == pytest.approx([0, 0, -40.0])


def test_forces_move_the_body_as_one_rigid_body():
    """Spread by mass: a pure push gives the net force M a, a pure turn the rigid body's torque I alpha about the root."""
    env = make_env("walk", config=dict(assist_gain=1.0, assist_anneal_samples=1e6))
    hand = env.assist
    links = np.random.default_rng(0).normal(size=(len(hand.links), 3))
    f = hand.forces(np.array([1.0, 2.0, 3.0]), np.zeros(3), np.zeros(3), links)
    assert f.sum(axis=0) == pytest.approx(hand.mass.sum() * np.array([1.0, 2.0, 3.0]))
    ang = np.array([0.0, 0.0, 5.0])
    f = hand.forces(np.zeros(3), ang, np.zeros(3), links)
    inertia = sum(m * (r @ r * np.eye(3) - np.outer(r, r)) for m, r in zip(hand.mass[:, 0], links))
    assert np.cross(links, f).sum(axis=0) == pytest.approx(inertia @ ang)
    assert hand.mass.sum() == pytest.approx(45.0, abs=0.01)  # every link of the humanoid, none left out


def _steps_standing(env, start, max_steps):
    env.reset(start_time=start)
    for n in range(1, max_steps + 1):
        if env.step(env.reference_action(env.t + env.control_step()))[2]:
            return n
    return max_steps


def test_assist_holds_a_backflip_up_in_training_and_fades_and_tests_are_never_assisted():
    """Played with the clip's own PD targets the backflip falls within ~2 s; held at the root it goes on through
    the clip. Past --assist_anneal_samples, and in test episodes, it is the plain env, step for step."""
    plain = make_env("backflip")
    held = make_env("backflip", config=dict(assist_gain=1.0, assist_anneal_samples=1e6))
    assert plain.assist is None
    assert _steps_standing(plain, 0.0, 150) < 70
    assert _steps_standing(held, 0.0, 150) == 150
    held.set_sample_count(5e5)
    assert held.assist_scale() == pytest.approx(0.5)
    for sample_count, mode in ((1e6, Mode.TRAIN), (0, Mode.TEST)):
        held.set_sample_count(sample_count)
        held.set_mode(mode)
        plain.set_mode(mode)
        assert held.assist_scale() == 0
        assert _steps_standing(held, 0.0, 150) == _steps_standing(plain, 0.0, 150)
        assert np.allclose(held.record_state(), plain.record_state())
