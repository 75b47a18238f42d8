"""Train a DeepMimic policy from an arg file, MPI-parallel:

    mpiexec -n 2 python deepmimic/DeepMimic_Optimizer.py --arg_file args/train_humanoid3d_walk_args.txt

Command-line values override the arg file. Ctrl-C (or SIGTERM) stops every rank at the next step,
saves the model and exits 130; --model_files <output_path>/agent0_model_anet.pth resumes.
``--num_workers N`` starts the N processes itself (DeepMimic's mpi_run.py): no mpiexec needed.
"""
import os
import sys

if __package__ in (None, ""):  # run as a script: make the package importable from a checkout
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from deepmimic.util import mpi_util  # noqa: E402
from deepmimic.util.arg_keys import format_help  # noqa: E402
from deepmimic.util.arg_parser import ArgParser  # noqa: E402


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = ArgParser.from_argv(argv)
    if args.has_key("help"):
        mpi_util.is_root() and print(format_help(__doc__, ["general", "env", "training", "output"]))
        return 0
    if args.has_key("num_workers"):  # else: as many processes as mpiexec started (or 1)
        code = mpi_util.launch_workers(args.get("num_workers"), os.path.abspath(__file__), argv)
        if code is not None:  # the workers ran (and printed) the training
            return code
    from deepmimic.factory import make_trainer  # after the arguments: a bad one is one line, before PyBullet's banner
    trainer = make_trainer(args)
    try:
        if not args.get("train_agents"):
            mpi_util.is_root() and print("train_agents is false: nothing to train (use testrl.py to play a policy)")
            return 0
        with trainer.stop:
            trainer.train()
        return 2 if trainer.folder_lost else 130 if trainer.stopped else 0
    finally:
        if trainer.lock is not None:  # the output folder is free for the next run
            trainer.lock.release()


def cli():
    return mpi_util.run_cli_all_ranks(main)


if __name__ == "__main__":
    sys.exit(cli())
