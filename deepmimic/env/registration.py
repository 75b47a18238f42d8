"""Gymnasium ids for the humanoid3d skills; imports only gymnasium, so it is cheap at package import."""
SKILLS = ("walk", "run", "jump", "backflip", "cartwheel", "crawl", "dance_a", "dance_b", "getup_facedown",
          "getup_faceup", "kick", "punch", "roll", "spin", "spinkick")


def env_id(skill):
    return "deepmimic/HumanoidDeepMimic" + "".join(p.capitalize() for p in skill.split("_")) + "-v0"


def register_all():
    import gymnasium as gym
    for skill in SKILLS:
        if env_id(skill) not in gym.registry:
            gym.register(id=env_id(skill), entry_point="deepmimic.env.gym_env:DeepMimicGymEnv", kwargs={"skill": skill})
