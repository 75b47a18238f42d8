"""DeepMimic in PyTorch + PyBullet: physics-based characters that imitate motion clips."""
import os

__version__ = "0.1.0"


def _find_root():
    """Folder that holds ``args/`` and ``data/``: the repository root for a checkout or an editable
    install; ``deepmimic/resources`` for a wheel or ``pip install .``, where setup.py copies them."""
    here = os.path.dirname(os.path.abspath(__file__))
    checkout = os.path.dirname(here)
    if os.path.isdir(os.path.join(checkout, "args")) and os.path.isdir(os.path.join(checkout, "data")):
        return checkout
    return os.path.join(here, "resources")


#: Relative paths in arg files that do not exist from the working directory resolve here.
PACKAGE_ROOT = _find_root()

try:  # register the gymnasium ids (deepmimic/HumanoidDeepMimicWalk-v0, ...)
    from deepmimic.env.registration import register_all as _register_all
    _register_all()
except ImportError:  # gymnasium missing: the rest of the package still works
    pass
