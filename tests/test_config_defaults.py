"""Each setting's default is written once, in the key table (deepmimic/util/arg_keys.py KEYS)."""
import dataclasses
import glob
import math
import os
import re

from conftest import ROOT


def test_no_call_site_reads_a_key_with_its_own_default():
    """Keys are read with ArgParser.get, which takes the table's default; parse_*("key", default) would
    write a second default (as `num_envs_per_proc` 8 once stood in two scripts)."""
    from deepmimic.util.arg_keys import KEYS
    call = re.compile(r'\.parse_\w+\(\s*"(\w+)"')
    offenders = []
    for path in glob.glob(os.path.join(ROOT, "deepmimic", "**", "*.py"), recursive=True):
        if path.endswith(os.path.join("util", "arg_parser.py")):
            continue
        text = open(path).read()
        offenders += [f"{os.path.relpath(path, ROOT)}: {m.group(0)}" for m in call.finditer(text) if m.group(1) in KEYS]
    assert not offenders, offenders


def test_configs_from_an_empty_arg_set_hold_the_table_defaults():
    from deepmimic.env.imitation_env import EnvConfig
    from deepmimic.learning.trainer import RunConfig
    from deepmimic.settings import env_config, run_config
    from deepmimic.util.arg_keys import KEYS
    from deepmimic.util.arg_parser import ArgParser, resolve_path
    args = ArgParser.from_argv(["--motion_file", "data/motions/humanoid3d_walk.txt"])
    env = env_config(args)
    plain = EnvConfig(motion_file=env.motion_file)
    assert env == dataclasses.replace(plain, char_file=resolve_path(plain.char_file), ctrl_file=resolve_path(plain.ctrl_file))
    assert (env.world_scale, env.drift_term_dist, env.ref_root_state) == tuple(
        KEYS[k].default for k in ("world_scale", "drift_term_dist", "ref_root_state"))
    assert env.time_end_lim.time_min == env.time_lim.time_max == KEYS["time_end_lim_min"].default
    assert run_config(ArgParser.from_argv([])) == RunConfig()
    assert RunConfig().max_samples == math.inf and RunConfig().curve_episodes == KEYS["curve_episodes"].default
    empty = ArgParser.from_argv([])
    for key, spec in KEYS.items():  # get() on nothing is the table's value, typed
        value = empty.get(key)
        assert value == (list(spec.default) if isinstance(spec.default, tuple) else spec.default), key


def test_the_readme_key_table_is_the_key_table():
    """args/README.md's list of keys is generated from arg_keys (python -m deepmimic.util.arg_keys)."""
    from deepmimic.util.arg_keys import markdown_table
    readme = open(os.path.join(ROOT, "args", "README.md")).read()
    shown = readme.split("<!-- keys -->\n", 1)[1].split("\n<!-- /keys -->", 1)[0]
    assert shown == markdown_table(), "regenerate args/README.md's key table: python -m deepmimic.util.arg_keys"


def test_env_and_learning_never_read_the_arg_parser():
    """One reader of arg sets (``deepmimic.settings``): the env and the learner take typed configs only, so a
    key's spelling and its checks live in one place. (The gymnasium env builds its settings through it.)"""
    import ast
    pkg = os.path.join(ROOT, "deepmimic")
    found = []
    for path in glob.glob(os.path.join(pkg, "env", "*.py")) + glob.glob(os.path.join(pkg, "learning", "*.py")):
        for node in ast.walk(ast.parse(open(path).read())):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom) else
                     [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            if any(n.startswith("deepmimic.util.arg_parser") for n in names):
                found.append(os.path.relpath(path, pkg))
            if any(n == "deepmimic.settings" for n in names) and not path.endswith("gym_env.py"):
                found.append(os.path.relpath(path, pkg))
    assert not found, found


def test_only_the_two_entry_scripts_edit_the_import_path():
    """The package is imported as installed; only DeepMimic_Optimizer.py and testrl.py, which DeepMimic users run
    as files from a checkout, put the checkout on ``sys.path``. Tests load benchmark scripts by file
    (``conftest.benchmark``), and benchmarks load the tests' upstream oracle by file (``paths.load_script``)."""
    import ast
    found = []
    for folder in ("deepmimic", "benchmarks", "tests"):
        for path in glob.glob(os.path.join(ROOT, folder, "**", "*.py"), recursive=True):
            for node in ast.walk(ast.parse(open(path).read())):
                attr = node.func.value if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) else None
                edits_path = isinstance(attr, ast.Attribute) and attr.attr == "path" and getattr(attr.value, "id", "") == "sys"
                sets_env = isinstance(node, ast.Constant) and node.value == "PYTHON" + "PATH"  # (split, so this line is not a hit)
                if edits_path or sets_env:
                    found.append(os.path.relpath(path, ROOT))
    assert sorted(set(found)) == [os.path.join("deepmimic", "DeepMimic_Optimizer.py"), os.path.join("deepmimic", "testrl.py")]


def test_the_upstream_oracle_lives_with_the_tests_and_the_package_never_drives_upstreams_env():
    """The upstream port's env beside ours is a test oracle (tests/upstream_env.py): no module of the package imports
    it or upstream's ``pybullet_envs``; the benchmarks that measure against upstream load that one file."""
    import ast
    assert os.path.isfile(os.path.join(ROOT, "tests", "upstream_env.py"))
    found = []
    for path in glob.glob(os.path.join(ROOT, "deepmimic", "**", "*.py"), recursive=True):
        for node in ast.walk(ast.parse(open(path).read())):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom) else
                     [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            if any(n.split(".")[-1] == "upstream_env" or n.startswith("pybullet_envs") for n in names):
                found.append(os.path.relpath(path, ROOT))
    assert not found, found
    loaders = [os.path.basename(p) for p in glob.glob(os.path.join(ROOT, "benchmarks", "*.py"))
               if '"tests", "upstream_env.py"' in open(p).read()]
    assert sorted(loaders) == ["pretrained_policies.py", "throughput.py"], loaders
