"""Play a motion clip kinematically (no policy, no physics) to check an edited or imported clip
before spending hours training on it:

    python -m deepmimic.view_motion --motion_file data/motions/humanoid3d_walk.txt
    python -m deepmimic.view_motion --arg_file args/run_humanoid3d_backflip_args.txt --record output/clip.gif

With a display: the PyBullet GUI, the clip looping; space pauses, n / b step one frame forward /
back while paused (scrub). Headless, or with --record / --record_png: records --cycles cycles at 30 Hz
(or --max_steps frames). Prints the clip's length and how far and how high its root moves.
A folder or dataset --motion_file prints every clip's line and shows --clip (default: the first).
"""
import os
import sys
import time

import numpy as np

from deepmimic.util.arg_keys import format_help
from deepmimic.util.arg_parser import ArgParser
from deepmimic.util.errors import run_cli

FRAME_DT = 1.0 / 30


def clip_summary(motion):
    """One line: duration, frames, root travel per cycle and root height range."""
    travel = float(np.linalg.norm(motion.cycle_offset[[0, 2]]))
    lo, hi = motion.root_pos[:, 1].min(), motion.root_pos[:, 1].max()
    return (f"{os.path.basename(motion.path)}: {motion.num_frames} frames, cycle {motion.cycle_time:.3f} s, "
            f"root travels {travel:.2f} m per cycle, root height {lo:.2f} to {hi:.2f} m")


def record(env, args, gif, png_dir):
    """Record the clip headless; a Ctrl-C or SIGTERM ends it with a whole recording of the frames so far."""
    from deepmimic.env.recorder import FrameRecorder, check_recording_space
    from deepmimic.testrl import stopped
    from deepmimic.util.stop_signal import StopRequest
    width, height = args.get("width"), args.get("height")
    frames = args.get("max_steps") or int(round(args.get("cycles") * env.clip_duration() / FRAME_DT)) + 1
    check_recording_space(gif, png_dir, frames, width, height, "--max_steps" if args.get("max_steps") else "--cycles")
    with StopRequest() as stop, FrameRecorder(gif_path=gif or None, png_dir=png_dir or None, total=frames) as rec:
        for k in range(frames):
            if stop.requested:
                break
            env.show_pose(k * FRAME_DT)
            rec.add(env.render_rgb(width, height))
        count = rec.close()
    print(f"recorded {count} frames to {gif or png_dir}")
    return stopped(stop, f"{count} of {frames} frames recorded") if stop.requested else 0


def play_gui(env):
    pb, t, paused = env.pb, 0.0, False
    print("space: pause/resume   n / b: one frame forward / back while paused   close the window to quit", flush=True)
    while pb.isConnected():
        keys = pb.getKeyboardEvents()
        if keys.get(ord(" "), 0) & pb.KEY_WAS_TRIGGERED:
            paused = not paused
        step = 0 if paused else 1
        for key, d in ((ord("n"), 1), (ord("b"), -1)):
            if paused and keys.get(key, 0) & pb.KEY_WAS_TRIGGERED:
                step = d
        t = (t + step * FRAME_DT) % env.clip_duration() if env.motion.loop else min(max(t + step * FRAME_DT, 0.0), env.clip_duration())
        env.show_pose(t)
        root, _ = pb.getBasePositionAndOrientation(env.body)
        pb.resetDebugVisualizerCamera(3.0, 0, -15, [root[0], 0.9, root[2]])
        time.sleep(FRAME_DT)


def main(argv=None):
    from deepmimic.env.imitation_env import ImitationEnv
    from deepmimic.testrl import has_display
    args = ArgParser.from_argv(sys.argv[1:] if argv is None else argv)
    if args.has_key("help"):
        print(format_help(__doc__, ["general", "env", "playback"]))
        return 0
    from deepmimic.env.recorder import default_recording
    from deepmimic.settings import env_config, recording_outputs
    gif, png_dir = recording_outputs(args, inputs=[args.get("motion_file")])
    gui = not (gif or png_dir) and has_display()
    if not (gui or gif or png_dir):
        gif = default_recording(os.path.join("output", "motion.gif"))
        print(f"no display: recording to {gif} instead of opening the GUI")
    env = ImitationEnv(env_config(args), seed=0, enable_draw=gui, show_reference=False)
    for motion in env.motions.clips:
        print(clip_summary(motion))
    clip = args.get("clip")
    env.reset(start_time=0.0, clip=int(clip) if clip.isdigit() else clip)
    if len(env.motions) > 1:
        print(f"showing {env.motions.names[env.clip]}")
    if gui:
        play_gui(env)
        return 0
    return record(env, args, gif, png_dir)


def cli():
    return run_cli(main)


if __name__ == "__main__":
    sys.exit(cli())
