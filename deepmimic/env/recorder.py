"""Headless recording of playback: GIF (Pillow) and/or numbered PNG frames."""
import os

import numpy as np
from PIL import Image

from deepmimic.util.errors import DeepMimicError
from deepmimic.util.file_io import atomic_write, check_new_dir, check_new_file, free_name


def recording_outputs(args, inputs=()):
    """(gif, png folder) of ``--record`` / ``--record_png``, checked before anything is simulated: a GIF
    name ending in .gif, never an input file or an existing file (unless --overwrite true), PNG frames only
    into a new or empty folder."""
    gif, png_dir = args.get("record"), args.get("record_png")
    overwrite = args.get("overwrite")
    if gif:
        if os.path.splitext(gif)[1].lower() != ".gif":
            raise DeepMimicError("--record writes an animated GIF: give the file a .gif name", gif)
        check_new_file(gif, "record", overwrite, inputs)
    if png_dir:
        check_new_dir(png_dir, "record_png", overwrite)
    return gif, png_dir


def default_recording(path):
    """Where a headless run records when no --record is given: ``path`` or a free name beside it (a
    default never replaces a file), checked writable."""
    gif = free_name(path)
    check_new_file(gif, "record")
    return gif


class FrameRecorder:
    def __init__(self, gif_path=None, png_dir=None, fps=30):
        self.gif_path, self.png_dir, self.fps = gif_path, png_dir, fps
        self.frames = []
        self.count = 0
        if png_dir:
            os.makedirs(png_dir, exist_ok=True)

    def add(self, rgb):
        img = Image.fromarray(np.asarray(rgb, dtype=np.uint8))
        if self.png_dir:
            img.save(os.path.join(self.png_dir, f"frame_{self.count:05d}.png"))
        if self.gif_path:
            self.frames.append(img)
        self.count += 1

    def close(self):
        if self.gif_path and self.frames:
            first, rest = self.frames[0], self.frames[1:]
            atomic_write(self.gif_path, lambda f: first.save(f, format="GIF", save_all=True, append_images=rest,
                                                             duration=int(1000 / self.fps), loop=0))
        return self.count
