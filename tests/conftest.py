import os

import pytest

from deepmimic.util.paths import load_script
from upstream_env import FALL  # noqa: F401 (tests import it from here)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def benchmark(name):
    """The script ``benchmarks/<name>.py`` as a module, for tests of its pieces (benchmarks are scripts, not a
    package: loaded by path, once, so a test's monkeypatch reaches the functions that read it)."""
    return load_script(os.path.join(ROOT, "benchmarks", f"{name}.py"))

SMALL_AGENT = open(os.path.join(ROOT, "tests", "data", "agent_small.txt")).read()  # also read by benchmarks/golden_log_spread.py


@pytest.fixture
def small_agent_file(tmp_path):
    path = tmp_path / "agent_small.txt"
    path.write_text(SMALL_AGENT)
    return str(path)


@pytest.fixture(scope="session")
def root():
    return ROOT


def untrained_policy(prefix, state_size, net="fc_2layers_1024units", exp_noise=0.05, **info):
    """An untrained humanoid3d policy pair (36 actions) at ``prefix``: for tests that need a policy file of a given
    state size or saved settings (``info``: env_args, samples, ...). Returns the ``_anet.pth`` path."""
    from deepmimic.learning.model_io import save_actor_critic
    from deepmimic.learning.nets import Actor, Critic
    from deepmimic.learning.normalizer import Normalizer
    anet, _ = save_actor_critic(str(prefix), Actor(net, Normalizer(state_size), Normalizer(36)),
                                Critic(net, Normalizer(state_size), Normalizer(1)), state_size, 36, exp_noise, 0.95, **info)
    return anet


#: what a walker-set policy of the recipe saves: the clip folder and the reference root in its 202-d state
WALKER_ENV_ARGS = {"motion_file": ["data/motions/walker"], "ref_root_state": ["true"]}


def make_env(skill="walk", **kw):
    from deepmimic.env.imitation_env import EnvConfig, ImitationEnv
    motion = kw.pop("motion", f"data/motions/humanoid3d_{skill}.txt")
    cfg = EnvConfig(motion_file=os.path.join(ROOT, motion),
                    char_file=kw.pop("char_file", os.path.join(ROOT, "data/characters/humanoid3d.txt")),
                    ctrl_file=os.path.join(ROOT, "data/controllers/humanoid3d_ctrl.txt"),
                    fall_contact_bodies=kw.pop("fall", FALL), ref_root_state=kw.pop("ref_root_state", False),
                    **kw.pop("config", {}))
    return ImitationEnv(cfg, seed=kw.pop("seed", 0), **kw)


def run_and_interrupt(cmd, ready, act, wait_s=240, **popen):
    """Start ``cmd`` (from the project root), wait until ``ready()`` (at most ``wait_s``), call ``act(proc)`` (a
    signal, a deleted folder), and let it end: (exit code, stdout, stderr). The process never outlives the test."""
    import subprocess
    import time
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)
    try:
        deadline = time.time() + wait_s
        while time.time() < deadline and not ready():
            time.sleep(0.2)
        act(proc)
        stdout, stderr = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, stdout, stderr
