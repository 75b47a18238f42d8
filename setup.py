from setuptools import find_packages, setup

setup(
    name="deepmimic",
    version="0.1.0",
    description="DeepMimic (Peng et al. 2018) in PyTorch + PyBullet: motion imitation with PPO",
    license="MIT",
    python_requires=">=3.9",
    packages=find_packages(include=["deepmimic", "deepmimic.*"]),
    install_requires=[
        "torch==2.13.0",
        "pybullet>=3.2.5",
        "gymnasium>=1.0",
        "mpi4py>=3.1",
        "mpich",
        "numpy>=1.23",
        "pillow",
        "matplotlib",
    ],
    extras_require={"test": ["pytest>=7", "tensorboard"], "tensorboard": ["tensorboard"]},
    entry_points={
        "console_scripts": [
            "deepmimic-train=deepmimic.DeepMimic_Optimizer:cli",
            "deepmimic-play=deepmimic.testrl:cli",
            "deepmimic-plot=deepmimic.plot_log:cli",
            "deepmimic-convert-tf=deepmimic.learning.tf_checkpoint:cli",
        ]
    },
)
