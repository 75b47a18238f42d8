"""Play a motion clip kinematically (no policy, no physics) to check an edited or imported clip
before spending hours training on it:

    python -m deepmimic.view_motion --motion_file data/motions/humanoid3d_walk.txt
    python -m deepmimic.view_motion --arg_file args/run_humanoid3d_backflip_args.txt --record output/clip.gif

With a display: the PyBullet GUI, the clip looping; space pauses, n / b step one frame forward /
back while paused (scrub). Headless, or with --record / --record_png: records --cycles cycles at 30 Hz
(or --max_steps frames). Prints the clip's length and how far and how high its root moves, where its root
turns fastest across a frame (a jump there starts episodes spinning) and how deep its pose sinks into the ground.
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


#: A root turn rate across one frame this many times the low-passed one (DeepMimic's reference velocity) is
#: flagged: run's and walk's clips join their mirrored halves with a jump there (5.7 and 3.8 rad/s, 2.2x and 2.4x),
#: and a start inside that frame begins with the spin (run's one fall); every other shipped clip is within 1.8x
#: (crawl's; kick 1.4x, the rest 1.25x).
SPIN_SPIKE_RATIO = 2.0


def root_spin_check(motion, char):
    """(frame, held rad/s, low-passed rad/s, median held) where the root turns fastest across one frame: the
    held frame-pair difference (the port's reference velocity) against DeepMimic's low-passed one there."""
    from deepmimic.env.motion_data import MotionData
    other = MotionData(motion.path, char, smooth_vel=not motion.smooth_vel)  # the clip as loaded is one of the two
    held, smooth = (np.linalg.norm(m.root_ang_vel[:-1], axis=1)
                    for m in ((other, motion) if motion.smooth_vel else (motion, other)))
    i = int(held.argmax())
    return i, float(held[i]), float(smooth[i:i + 2].max()), float(np.median(held))


def ground_penetration(env, clip=0):
    """(depth in m, phase, body name): the deepest the pose of the env's clip ``clip`` (an index of its motion
    set), at each of its frames, sinks into the ground; starts there begin with the solver pushing the body out."""
    env.reset(start_time=0.0, clip=clip)
    motion, worst = env.motion, (0.0, 0.0, "")
    for t in motion.frame_times[:-1]:  # each frame's start but the last's
        env.show_pose(float(t))
        for c in env.pb.getClosestPoints(env.body, env.plane, 0.0):
            if -c[8] > worst[0]:
                worst = (-c[8], motion.phase(t), env.char.names[c[3]] if c[3] >= 0 else "root")
    return worst


def clip_checks(env, clip=0):
    """One line of what in clip ``clip`` of the env's motion set can spoil training: a spike in the root's turn
    rate, a pose in the ground."""
    frame, held, smooth, median = root_spin_check(env.motions.clips[clip], env.char)
    depth, phase, name = ground_penetration(env, clip)
    spike = " (a jump in the clip?)" if held > SPIN_SPIKE_RATIO * smooth else ""
    sinks = (f"up to {depth * 1000:.0f} mm into the ground ({name}, phase {phase:.2f})" if depth > 0
             else "never into the ground")
    return (f"  root turns fastest across frames {frame}-{frame + 1}: {held:.2f} rad/s, low-passed {smooth:.2f}, "
            f"clip median {median:.2f}{spike}; its pose sinks {sinks}")


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
    for i, motion in enumerate(env.motions.clips):
        print(clip_summary(motion))
        print(clip_checks(env, i))
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
