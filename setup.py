import os
import shutil

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


class BuildWithResources(build_py):
    """Wheels and non-editable installs carry args/ and data/ as deepmimic/resources/, so the arg
    files, clips and shipped policies work from any directory (deepmimic.PACKAGE_ROOT finds them)."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads them from the checkout
        for folder in ("args", "data"):
            shutil.copytree(os.path.join(HERE, folder), os.path.join(self.build_lib, "deepmimic", "resources", folder),
                            dirs_exist_ok=True)


setup(
    name="deepmimic",
    version="0.1.0",
    description="DeepMimic (Peng et al. 2018) in PyTorch + PyBullet: motion imitation with PPO",
    license="MIT",
    python_requires=">=3.9",
    packages=find_packages(include=["deepmimic", "deepmimic.*"]),
    cmdclass={"build_py": BuildWithResources},
    install_requires=[
        "torch==2.13.0",
        "pybullet>=3.2.5",
        "gymnasium>=1.0",
        "mpi4py>=3.1",
        "mpich",
        "numpy>=1.23",
        "numba>=0.60",  # compiled state and reward kernels (env/observation.py, env/reward.py)
        "pillow",
        "matplotlib",
        "pybvh>=0.9",  # BVH parsing for deepmimic-bvh2motion (the retargeting is ours)
    ],
    # scipy: the upstream multiclip env (a test oracle) imports it; the BVH tests write Euler angles with it
    extras_require={"test": ["pytest>=7", "tensorboard", "scipy"], "tensorboard": ["tensorboard"]},
    entry_points={
        "console_scripts": [
            "deepmimic-train=deepmimic.DeepMimic_Optimizer:cli",
            "deepmimic-play=deepmimic.testrl:cli",
            "deepmimic-plot=deepmimic.plot_log:cli",
            "deepmimic-view-motion=deepmimic.view_motion:cli",
            "deepmimic-convert-tf=deepmimic.tools.tf_checkpoint:cli",
            "deepmimic-bvh2motion=deepmimic.tools.bvh_import:cli",
            "deepmimic-skill-gifs=deepmimic.tools.skill_gifs:cli",
            "deepmimic-train-skills=deepmimic.tools.train_skills:cli",
            "deepmimic-ship-policy=deepmimic.tools.ship_policy:cli",
        ]
    },
)
