"""Turn the clip read from Resolve into a render job and the hand-off for the VTinker window.

Example::

    job = build_job(info, engine="blend")
    job["timing"]     # {"mode": "fps", "source_fps": "25", "output_fps": "24", ...}
    job["output"]     # {"path": "/plates/vtinker/shot_vtinker_v001/shot_vtinker_v001.####.exr",
                      #  "bit_depth": "half", "compression": "zip", ..., "fps": "24"}
    handoff = build_handoff(job, info, "/tmp/vtinker-resolve-x/result.json")

The job is the engine's versioned job JSON (``vtinker_core/job.py``), written here with plain
dicts because this package imports nothing outside the standard library. Defaults:

* timing: a frame-rate conversion to the timeline rate when the clip's rate differs, else
  speed 100 % (the editor changes it in the window); a speed-changed item (200 %, 50 %,
  reversed) becomes a curve through its true source range, one output frame per timeline
  frame, so the result replaces Resolve's own retime frame for frame;
* output: half-float EXR with ZIP compression, so Resolve keeps values above 1.0, or DPX when
  the source is DPX (its bit depth kept); numbered like the source frames, tagged with the
  timeline rate, written to ``vtinker/<name>_vtinker_vNNN/`` beside the source (or under the
  chosen folder), a new version each run so an earlier result is never taken for this one.
"""

import os
import re
from fractions import Fraction

from .clip import rate_text
from .errors import NotFileBasedError

JOB_VERSION = 1
HANDOFF_VERSION = 1

#: What the engine reads (mirrors vtinker_core.io: image formats and video containers).
IMAGE_EXTENSIONS = frozenset({"exr", "dpx", "tif", "tiff", "png", "jpg", "jpeg"})
VIDEO_EXTENSIONS = frozenset(
    {"mp4", "mov", "mkv", "avi", "webm", "m4v", "mxf", "mpg", "mpeg", "ts", "m2ts"}
)
OUTPUT_FOLDER = "vtinker"
_VERSION_DIR = re.compile(r"_v(\d{3,})$")


def check_readable(info):
    """Raise NotFileBasedError when the engine cannot read the clip's format."""
    ext = info["extension"]
    readable = IMAGE_EXTENSIONS if info["is_sequence"] else VIDEO_EXTENSIONS
    if ext not in readable:
        kind = "image sequences" if info["is_sequence"] else "movies"
        raise NotFileBasedError(
            "VTinker cannot read '{}' ({} {}); it reads {} of {}. Render the clip to EXR first "
            "(Deliver page) and retime that.".format(
                info["name"],
                ext.upper() or "no extension",
                "sequence" if info["is_sequence"] else "file",
                kind,
                ", ".join(sorted(readable)),
            )
        )


def output_format(info):
    """``(extension, bit_depth, compression)`` of the output: EXR half ZIP, DPX for DPX."""
    if info["extension"] == "dpx":
        return "dpx", None, None  # None: the engine keeps the source's DPX bit depth
    return "exr", "half", "zip"


def base_name(info):
    """A short name for output files: ``shot.####.exr`` → ``shot``, ``A001.mov`` → ``A001``."""
    name = os.path.basename(info["pattern"].replace("\\", "/"))
    stem = name.split("#")[0] if "#" in name else os.path.splitext(name)[0]
    stem = stem.rstrip("._- ")
    return re.sub(r"[^A-Za-z0-9._-]+", "_", stem) or "clip"


def next_output_dir(parent, base):
    """``parent/<base>_vtinker_vNNN`` with NNN one past the highest version already there."""
    highest = 0
    prefix = base + "_vtinker"
    try:
        names = os.listdir(parent)
    except OSError:
        names = []
    for name in names:
        if not name.startswith(prefix):
            continue
        match = _VERSION_DIR.search(name)
        if match and name[: match.start()] == prefix:
            highest = max(highest, int(match.group(1)))
    return os.path.join(parent, f"{prefix}_v{highest + 1:03d}")


def default_output_parent(info):
    """``<source folder>/vtinker``."""
    source_dir = os.path.dirname(info["pattern"]) or os.curdir
    return os.path.join(source_dir, OUTPUT_FOLDER)


def build_timing(info):
    """The default timing (see the module docstring)."""
    if info.get("retimed"):
        first = int(info["source_in"])
        count = max(int(info["duration"]), 1)
        start = Fraction(info["source_position"])
        end = start + (count - 1) * Fraction(info["source_step"])
        keys = [{"frame": first, "source": float(start)}]
        if count > 1:
            keys.append({"frame": first + count - 1, "source": float(end)})
        return {"mode": "curve", "keys": keys, "curve_shape": "linear"}
    if info["clip_fps"] != info["timeline_fps"]:
        return {
            "mode": "fps",
            "source_fps": rate_text(info["clip_fps"]),
            "output_fps": rate_text(info["timeline_fps"]),
        }
    return {"mode": "speed", "speed": 1.0, "centre_samples": False}


def build_job(info, output_dir=None, engine=None):
    """The render job (a dict in the engine's job-file form) for a clip read by ``clip.py``.

    Args:
        info: the dict from :func:`clip.read_current_clip`.
        output_dir: the folder under which the versioned output folder is made; None:
            ``vtinker/`` beside the source.
        engine: the engine name (``auto``, ``vtinker``, ``classical``, ``blend``, ``nearest``);
            None: ``auto``.

    Returns:
        The job dict (``version``, ``input``, ``output``, ``timing``, ``cuts``, ``tiles``,
        ``engine``, ``ocio``, ``sanitize``).

    Raises:
        NotFileBasedError: the engine cannot read the clip's format.
    """
    check_readable(info)
    ext, bit_depth, compression = output_format(info)
    parent = output_dir or default_output_parent(info)
    folder = next_output_dir(parent, base_name(info))
    padding = max(4, _source_padding(info))
    out_name = "{}.{}.{}".format(os.path.basename(folder), "#" * padding, ext)
    return {
        "version": JOB_VERSION,
        "input": {
            "path": info["pattern"],
            "frames": "{}-{}".format(info["source_in"], info["source_out"]),
            "colorspace": None,
        },
        "output": {
            "path": os.path.join(folder, out_name),
            "bit_depth": bit_depth,
            "compression": compression,
            "colorspace": None,
            "start": None,
            "fps": rate_text(info["timeline_fps"]),
            "vectors": False,
        },
        "timing": build_timing(info),
        "cuts": {"detect": False, "threshold": None, "frames": []},
        "tiles": {"size": "auto", "overlap": 64},
        "engine": {
            "name": engine or "auto",
            "checkpoint": None,
            "device": "auto",
            "precision": "float32",
        },
        "ocio": None,
        "sanitize": False,
    }


def build_handoff(job, info, result_path):
    """The ``handoff.json`` document the VTinker window reads (``--resolve-job``).

    ``clip.track`` is the 1-based video track of the original (0 when the clip came from the
    media pool), ``clip.record_frame`` its first timeline frame.
    """
    return {
        "version": HANDOFF_VERSION,
        "job": job,
        "clip": {
            "name": info["name"],
            "timeline_fps": rate_text(info["timeline_fps"]),
            "record_frame": int(info["record_frame"]),
            "track": int(info["track"]),
        },
        "result_path": result_path,
    }


def _source_padding(info):
    name = os.path.basename(info["pattern"].replace("\\", "/"))
    runs = re.findall(r"#+", name)
    return len(runs[-1]) if runs and info["is_sequence"] else 0
