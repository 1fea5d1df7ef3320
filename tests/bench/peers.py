# SPDX-License-Identifier: LGPL-2.1-or-later
"""The peer tools from Debian, run at their defaults on a clip, each reduced
to the time spans it would keep (seconds from the first frame):

- ffmpeg freezedetect (n=-60dB, d=2): everything outside its freeze spans;
- ffmpeg mpdecimate (defaults): the frames it lets through;
- auto-editor --edit motion (Debian's version): its exported timeline.

Each function returns (kept, seconds) or None when the tool is missing."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time


def _timed(cmd):
    start = time.monotonic()
    out = subprocess.run(cmd, capture_output=True, text=True)
    return out, time.monotonic() - start


def _start_time(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0",
                          "-show_entries", "stream=start_time", "-of",
                          "csv=p=0", path], capture_output=True, text=True)
    try:
        return float(out.stdout.strip())
    except ValueError:
        return 0.0


def freezedetect(path):
    if not shutil.which("ffmpeg"):
        return None
    out, seconds = _timed(["ffmpeg", "-hide_banner", "-nostats", "-i", path,
                           "-map", "0:v:0", "-vf", "freezedetect", "-f",
                           "null", "-"])
    start = _start_time(path)
    starts = [float(v) for v in re.findall(r"freeze_start: ([\d.]+)",
                                           out.stderr)]
    ends = [float(v) for v in re.findall(r"freeze_end: ([\d.]+)", out.stderr)]
    frozen = [(s - start, (ends[i] if i < len(ends) else 1e12) - start)
              for i, s in enumerate(starts)]
    kept, cursor = [], 0.0
    for s, e in frozen:
        kept.append((cursor, s))
        cursor = e
    kept.append((cursor, 1e12))
    return kept, seconds


def mpdecimate(path):
    if not shutil.which("ffmpeg"):
        return None
    out, seconds = _timed(["ffmpeg", "-hide_banner", "-nostats", "-i", path,
                           "-map", "0:v:0", "-vf", "mpdecimate,showinfo",
                           "-f", "null", "-"])
    start = _start_time(path)
    times = [float(v) - start
             for v in re.findall(r"pts_time:([\d.]+)", out.stderr)]
    # A kept frame covers until the next input frame; half a frame is
    # enough to match it by time.
    return [(t - 0.001, t + 0.001) for t in times], seconds


def auto_editor(path):
    if not shutil.which("auto-editor"):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        timeline = os.path.join(tmp, "timeline.json")
        out, seconds = _timed(["auto-editor", path, "--edit", "motion",
                               "--export", "json", "-o", timeline,
                               "--no-open", "--progress", "none"])
        if not os.path.exists(timeline):
            return None
        with open(timeline) as f:
            data = json.load(f)["timeline"]
    num, den = (int(v) for v in data["timebase"].split("/"))
    rate = num / den
    kept = []
    # No video track at all when it cuts everything.
    for clip in (data["v"][0] if data["v"] else []):
        begin = clip["offset"] / rate
        kept.append((begin, begin + clip["dur"] * clip["speed"] / rate))
    return kept, seconds


TOOLS = {
    "mpdecimate": mpdecimate,
    "freezedetect": freezedetect,
    "auto-editor": auto_editor,
}


def kept_frames(spans, times, frame_interval):
    """Which frames (times from the first) fall in a kept span."""
    half = frame_interval / 2
    return [any(s - half <= t < e + half for s, e in spans) for t in times]
