"""Headless recording of playback: an animated GIF and/or numbered PNG frames, streamed to disk.

Frames are written as they come (the GIF frame by frame, each as the rectangle that changed since the one
before, with Pillow's GIF encoder), so a recording of any length holds one frame in memory; the GIF is
written under a temp name and takes its place when closed, so a stopped recording is a whole, shorter GIF."""
import os
import shutil
import time

import numpy as np
from PIL import GifImagePlugin, Image

from deepmimic.util.errors import DeepMimicError
from deepmimic.util.file_io import AtomicFile, check_new_file, free_name

#: Bytes a frame of w x h pixels may take on disk, per pixel: what a recording is checked against before it
#: starts. A GIF frame is at most the pixels that changed, 8 bits each before LZW; a PNG frame is RGB.
GIF_BYTES_PER_PIXEL, PNG_BYTES_PER_PIXEL = 1.0, 3.0
PROGRESS_EVERY_S = 10.0  # a long recording says how far it is at most this often


def default_recording(path):
    """Where a headless run records when no --record is given: ``path`` or a free name beside it (a
    default never replaces a file), checked writable."""
    gif = free_name(path)
    check_new_file(gif, "record")
    return gif


def check_recording_space(gif, png_dir, frames, width, height, what):
    """Refuse, before anything is simulated, a recording of ``frames`` frames that could not fit on the disk
    it goes to (counted at ``GIF_BYTES_PER_PIXEL`` / ``PNG_BYTES_PER_PIXEL``); ``what`` names the setting
    that asked for that many frames."""
    outputs = ((gif and os.path.dirname(os.path.abspath(gif)), GIF_BYTES_PER_PIXEL, "--record"),
               (png_dir and os.path.abspath(png_dir), PNG_BYTES_PER_PIXEL, "--record_png"))
    for folder, per_pixel, key in outputs:
        if not folder:
            continue
        need = frames * width * height * per_pixel
        while not os.path.isdir(folder):  # the first folder that exists holds what will be made
            folder = os.path.dirname(folder)
        free = shutil.disk_usage(folder).free
        if need > free:
            raise DeepMimicError(f"{what}: {frames:,} frames of {width}x{height} may need {need / 1e9:.1f} GB "
                                 f"and {folder} has {free / 1e9:.1f} GB free; record fewer or smaller frames", key)


class GifStream:
    """An animated GIF (looping, ``fps`` frames per second on average) written one frame at a time into an
    ``AtomicFile``: each frame after the first is the rectangle that changed, on the frame before
    (disposal 1), with a palette of its own."""

    def __init__(self, path, fps):
        self.out = AtomicFile(path)
        self.fps = fps
        self.count = 0
        self.prev = None

    def _duration_ms(self):
        """The next frame's display time: GIF counts in 1/100 s, so durations alternate (60 and 70 ms at
        15 frames/s) to keep the clip's own speed."""
        cs = lambda k: int(round(100.0 * k / self.fps))  # noqa: E731  (centiseconds at frame k's start)
        return 10 * (cs(self.count + 1) - cs(self.count))

    def add(self, rgb):
        rgb = np.ascontiguousarray(rgb[..., :3], dtype=np.uint8)
        params = {"duration": self._duration_ms(), "disposal": 1}
        if self.prev is None:
            frame, offset = _palette_image(rgb), (0, 0)
            header, _ = GifImagePlugin.getheader(frame, info={"loop": 0, "duration": params["duration"]})
            self._write(header)
        else:
            if rgb.shape != self.prev.shape:
                raise ValueError(f"frame of {rgb.shape[1]}x{rgb.shape[0]} in a GIF of {self.prev.shape[1]}x{self.prev.shape[0]}")
            changed = np.any(rgb != self.prev, axis=2)
            rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
            y0, y1, x0, x1 = (rows[0], rows[-1] + 1, cols[0], cols[-1] + 1) if len(rows) else (0, 1, 0, 1)
            frame, offset = _palette_image(rgb[y0:y1, x0:x1]), (int(x0), int(y0))
            params["include_color_table"] = True
        self._write(GifImagePlugin.getdata(frame, offset, **params))
        self.prev = rgb
        self.count += 1

    def _write(self, chunks):
        for chunk in chunks:
            self.out.file.write(chunk)

    def close(self):
        """Write the trailer and put the GIF in its place (nothing at all if no frame came)."""
        if self.prev is None:
            self.out.discard()
            return
        self.out.file.write(b";")
        self.out.commit()

    def discard(self):
        self.out.discard()


def _unwritable(e, path):
    return DeepMimicError(f"cannot write the recording: {e.strerror or e}", path)


def _palette_image(rgb):
    """``rgb`` as a 256-colour palette image, as Pillow's GIF writer makes one."""
    return Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE)


class FrameRecorder:
    """Takes rendered frames (``add``) and streams them to a GIF and/or numbered PNGs; ``close`` finishes the
    GIF. A failed write (a full disk) ends with one line naming the file, the GIF's temp file removed.
    With ``total`` frames known, prints how far it is every ``PROGRESS_EVERY_S`` seconds."""

    def __init__(self, gif_path=None, png_dir=None, fps=30, total=None):
        self.gif_path, self.png_dir, self.total = gif_path, png_dir, total
        self.count = 0
        self.shown = time.monotonic()
        if png_dir:
            os.makedirs(png_dir, exist_ok=True)
        self.gif = GifStream(gif_path, fps) if gif_path else None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *_):
        if exc_type is not None:  # an error or a stop that was not handled: no half recording left behind
            self.discard()

    def add(self, rgb):
        rgb = np.asarray(rgb, dtype=np.uint8)
        try:
            if self.png_dir:
                path = os.path.join(self.png_dir, f"frame_{self.count:05d}.png")
                Image.fromarray(rgb).save(path)
            if self.gif:
                path = self.gif_path
                self.gif.add(rgb)
        except OSError as e:
            self.discard()
            raise _unwritable(e, path) from None
        self.count += 1
        if self.total and time.monotonic() - self.shown > PROGRESS_EVERY_S:
            self.shown = time.monotonic()
            print(f"recorded {self.count:,} of {self.total:,} frames", flush=True)

    def close(self):
        """Finish the recording; the number of frames written."""
        if self.gif:
            try:
                self.gif.close()
            except OSError as e:
                raise _unwritable(e, self.gif_path) from None
        return self.count

    def discard(self):
        """Abandon the GIF (its temp file removed; an existing file of that name stays as it was)."""
        if self.gif:
            self.gif.discard()
            self.gif = None
