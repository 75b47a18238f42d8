import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
from deepmimic.tools.upstream_oracle import FALL  # noqa: F401  (shared with the tests and benchmarks)

SMALL_AGENT = """{"AgentType": "PPO", "ActorNet": "fc_2layers_256units", "ActorStepsize": 0.0000025,
 "ActorMomentum": 0.9, "ActorWeightDecay": 0.0005, "ActorInitOutputScale": 0.01,
 "CriticNet": "fc_2layers_256units", "CriticStepsize": 0.01, "CriticMomentum": 0.9, "CriticWeightDecay": 0,
 "Discount": 0.95, "BatchSize": 600, "MiniBatchSize": 64, "Epochs": 1, "NormalizerSamples": 1000000,
 "RatioClip": 0.2, "NormAdvClip": 4, "TDLambda": 0.95, "OutputIters": 1, "IntOutputIters": 2,
 "TestEpisodes": 2, "ExpAnnealSamples": 64000000,
 "ExpParamsBeg": {"Rate": 1, "Noise": 0.05}, "ExpParamsEnd": {"Rate": 0.2, "Noise": 0.05}}"""


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
                    fall_contact_bodies=kw.pop("fall", FALL))
    return ImitationEnv(cfg, seed=kw.pop("seed", 0), **kw)
