"""Play a trained policy:

    python deepmimic/testrl.py --arg_file args/run_humanoid3d_backflip_args.txt

With a display: the PyBullet GUI, the reference character beside the simulated one; space pauses,
'n' steps one control step while paused. Each episode's return and length are printed.
Headless (or with --record): records instead, e.g. ``--record output/backflip.gif`` and/or
``--record_png output/frames``. ``--num_episodes N`` evaluates N episodes without drawing and prints
the mean and spread of the return. A policy trained by this package carries its env settings:
``python deepmimic/testrl.py --model_files output/humanoid3d_run/agent0_model_anet.pth`` plays it with no
arg file. Other keys: --model_files PATH, --rand_seed N,
--max_steps N (per episode), --max_episodes N (GUI: quit after N), --width/--height (recording size).
"""
import os
import sys
import time

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from deepmimic.util.arg_keys import format_help  # noqa: E402
from deepmimic.util.arg_parser import ArgParser  # noqa: E402
from deepmimic.util.errors import DeepMimicError, run_cli  # noqa: E402
from deepmimic.util.stop_signal import StopRequest  # noqa: E402


def has_display():
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or sys.platform in ("darwin", "win32")


def print_episodes(results):
    for i, r in enumerate(results):
        print(f"episode {i}: return {r.ret:.3f}  length {r.length}  {'fell' if r.fell else 'no fall'}  "
              f"tracking error {r.body_err_mm:.0f} mm ({r.body_err_rel_mm:.0f} mm root-relative)")


def report(results):
    """The summary line of ``--num_episodes``: the return's spread, falls and the tracking error (mm, over
    every control step: all bodies' mean distance to the reference pose, and with both roots subtracted)."""
    from deepmimic.learning.rollout import summarize
    rets = np.array([r.ret for r in results])
    lens = np.array([r.length for r in results])
    point = summarize(results)
    print(f"episodes: {len(results)}  mean return: {rets.mean():.3f}  std: {rets.std():.3f}  "
          f"min: {rets.min():.3f}  max: {rets.max():.3f}  mean length: {lens.mean():.1f}  falls: {point['falls']}  "
          f"tracking error: {point['body_err_mm']:.1f} mm  root-relative: {point['body_err_rel_mm']:.1f} mm")
    return rets


def main(argv=None):
    from deepmimic.env.recorder import FrameRecorder, check_recording_space, default_recording
    from deepmimic.settings import Settings, model_file, policy_settings, recording_outputs

    args = ArgParser.from_argv(sys.argv[1:] if argv is None else argv)
    if args.has_key("help"):
        print(format_help(__doc__, ["general", "env", "training", "playback"]))
        return 0
    if not model_file(args):
        raise DeepMimicError("no --model_files given: name the agent0_model_anet.pth to play", args.get("arg_file") or None)
    saved_agent = policy_settings(args)  # the policy's own env settings fill what the arg file leaves out
    settings = Settings.from_args(args, saved_agent)
    max_steps = settings.play.max_steps or None
    num_episodes = settings.play.num_episodes
    gif, png_dir = recording_outputs(args, inputs=args.get("model_files"))
    headless = bool(gif or png_dir or num_episodes) or not has_display()
    from deepmimic.factory import build_agent, build_envs, make_seed  # after the checks: PyBullet prints a banner
    from deepmimic.learning.rollout import run_episodes
    seed = make_seed(args)
    if not headless:
        return play_gui(settings, seed, max_steps)

    if num_episodes and not (gif or png_dir):
        envs = build_envs(settings.env, max(1, min(settings.num_envs, num_episodes)), seed)
        agent = build_agent(settings, envs[0], seed)
        print(f"playing {num_episodes} episodes (Ctrl-C stops and reports the finished ones)", flush=True)
        with StopRequest() as stop:
            results = run_episodes(agent, envs, num_episodes, max_steps, stop=lambda: stop.requested)
        print_episodes(results)
        if results:
            report(results)
        return stopped(stop, f"{len(results)} of {num_episodes} episodes finished") if stop.requested else 0

    if not (gif or png_dir):
        gif = default_recording(os.path.join("output", "playback.gif"))
        print(f"no display: recording to {gif} instead of opening the GUI")
    envs = build_envs(settings.env, 1, seed, show_reference=True)
    agent = build_agent(settings, envs[0], seed)
    width, height = settings.play.width, settings.play.height
    episodes, steps = max(num_episodes, 1), max_steps or 300
    check_recording_space(gif, png_dir, episodes * steps, width, height, "--num_episodes x --max_steps")
    print(f"recording to {gif or png_dir} (Ctrl-C stops and keeps the frames so far)", flush=True)
    # a stop still writes a whole recording of the frames so far
    with StopRequest() as stop, FrameRecorder(gif_path=gif or None, png_dir=png_dir or None, total=episodes * steps) as rec:
        results = run_episodes(agent, envs, episodes, steps, stop=lambda: stop.requested,
                               on_step=lambda i, env: rec.add(env.render_rgb(width, height)))
        frames = rec.close()
    print_episodes(results)
    print(f"recorded {frames} frames to {gif or png_dir}")
    return stopped(stop, f"{frames} frames recorded") if stop.requested else 0


def stopped(stop, what):
    """The line a stopped playback ends with, and its exit code (130, as a stopped training)."""
    print(f"stopped by signal {stop.signum}: {what}", flush=True)
    return 130


def play_gui(settings, seed, max_steps):
    from deepmimic.env.imitation_env import Mode, Terminate
    from deepmimic.factory import build_agent, build_envs
    from deepmimic.learning.rollout import step_envs
    env = build_envs(settings.env, 1, seed, enable_draw=True)[0]
    agent = build_agent(settings, env, seed)
    env.set_mode(Mode.TEST)
    pb = env.pb
    max_episodes = settings.play.max_episodes
    state, ret, length, paused, step_once, episodes = env.reset(), 0.0, 0, False, False, 0
    print("space: pause/resume   n: step once while paused   close the window to quit", flush=True)
    while pb.isConnected():
        keys = pb.getKeyboardEvents()
        if keys.get(ord(" "), 0) & pb.KEY_WAS_TRIGGERED:
            paused = not paused
        if keys.get(ord("n"), 0) & pb.KEY_WAS_TRIGGERED:
            step_once = True
        if paused and not step_once:
            time.sleep(0.02)
            continue
        step_once = False
        t0 = time.time()
        step = step_envs(lambda x: agent.act(x, explore=False), [env], state[None])[0]
        state, r, done, term = step.next_state, step.reward, step.done, step.term
        ret, length = ret + r, length + 1
        root, _ = pb.getBasePositionAndOrientation(env.body)
        pb.resetDebugVisualizerCamera(3.0, 0, -15, [root[0], 0.9, root[2] + 0.5])
        if done or (max_steps and length >= max_steps):
            print(f"episode return {ret:.3f}  length {length}  {'fell' if term == Terminate.FAIL else 'no fall'}",
                  flush=True)
            episodes += 1
            if max_episodes and episodes >= max_episodes:
                break
            state, ret, length = env.reset(), 0.0, 0
        time.sleep(max(0.0, 1.0 / 30 - (time.time() - t0)))
    return 0


def cli():
    return run_cli(main)


if __name__ == "__main__":
    sys.exit(cli())
