"""Where a relative path is found: the working directory first, then the project (the checkout, or the installed
package's resources) as written, under ``data/`` (``motions/x.txt``, ``chars/x.txt`` as the PyTorch port wrote
them), and for arg files under ``args/`` (a bare ``train_humanoid3d_walk_args.txt`` works from any directory).
Every file a user names goes through here, so a path means the same to the env, the learner and the tools."""
import os

from deepmimic import PACKAGE_ROOT


#: Folder names of the PyTorch port's data layout that ours spells differently.
DATA_FOLDER_ALIASES = {"chars": "characters"}


def path_candidates(path, arg_file=False):
    """Where a relative ``path`` is looked for, in order."""
    if not path or os.path.isabs(path):
        return [path]
    first, _, rest = path.replace("\\", "/").partition("/")
    seed_style = os.path.join(DATA_FOLDER_ALIASES.get(first, first), rest) if rest else path
    found = [path, os.path.join(PACKAGE_ROOT, path), os.path.join(PACKAGE_ROOT, "data", seed_style)]
    if arg_file:
        found.append(os.path.join(PACKAGE_ROOT, "args", path))
    return list(dict.fromkeys(found))


def resolve_path(path, arg_file=False):
    """The first of ``path_candidates`` that exists, else ``path`` itself (the caller reports it missing)."""
    return next((p for p in path_candidates(path, arg_file) if p and os.path.exists(p)), path)


def load_script(path):
    """The Python file at ``path`` as a module named after it, loaded once (``sys.modules``): how the tests reach
    benchmark scripts and the benchmarks reach the tests' upstream oracle, files of a checkout rather than packages,
    without editing the import path."""
    import importlib.util
    import sys
    name = os.path.splitext(os.path.basename(path))[0]
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    return sys.modules[name]
