"""DeepMimic in PyTorch + PyBullet: physics-based characters that imitate motion clips."""
import os

__version__ = "0.1.0"

#: Folder that holds ``args/`` and ``data/`` (the repository root for an editable install).
PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
