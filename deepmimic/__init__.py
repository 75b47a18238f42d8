"""DeepMimic in PyTorch + PyBullet: physics-based characters that imitate motion clips."""
import os

__version__ = "0.1.0"

#: Folder that holds ``args/`` and ``data/`` (the repository root for an editable install).
PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

try:  # register the gymnasium ids (deepmimic/HumanoidDeepMimicWalk-v0, ...)
    from deepmimic.env.registration import register_all as _register_all
    _register_all()
except ImportError:  # gymnasium missing: the rest of the package still works
    pass
