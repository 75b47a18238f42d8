import os

import pytest

import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The upstream port as test oracle lives with the benchmarks (it is not part of the package); tests share it.
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
from upstream_oracle import FALL  # noqa: E402,F401

SMALL_AGENT = open(os.path.join(ROOT, "tests", "data", "agent_small.txt")).read()  # also read by benchmarks/golden_log_spread.py


@pytest.fixture
def small_agent_file(tmp_path):
    path = tmp_path / "agent_small.txt"
    path.write_text(SMALL_AGENT)
    return str(path)


@pytest.fixture(scope="session")
def root():
    return ROOT


def make_env(skill="walk", **kw):
    from deepmimic.env.imitation_env import EnvConfig, ImitationEnv
    motion = kw.pop("motion", f"data/motions/humanoid3d_{skill}.txt")
    cfg = EnvConfig(motion_file=os.path.join(ROOT, motion),
                    char_file=kw.pop("char_file", os.path.join(ROOT, "data/characters/humanoid3d.txt")),
                    ctrl_file=os.path.join(ROOT, "data/controllers/humanoid3d_ctrl.txt"),
                    fall_contact_bodies=kw.pop("fall", FALL), ref_root_state=kw.pop("ref_root_state", False))
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
