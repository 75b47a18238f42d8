import importlib.util
import os
import sys

import pytest

from deepmimic.tools.upstream_env import FALL  # noqa: F401 (tests import it from here)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def benchmark(name):
    """The script ``benchmarks/<name>.py`` as a module, for tests of its pieces (benchmarks are scripts, not a
    package: loaded by path, once, so a test's monkeypatch reaches the functions that read it)."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, "benchmarks", f"{name}.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]

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
