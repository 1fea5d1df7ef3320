#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What --fast's size guard catches: a box that crosses between two
keyframes (2 s apart) and is gone at both, by how long it stays, the
stream's noise and its rate control (720p25, 30 s). For each, whether a
full scan and --fast find it, the share --fast decoded, and what any guard
on packet sizes could see: over every window of 5 packets in decoding
order, the largest median size in a GOP against the median of the 8 GOPs
before, for the crossing's GOP and for the largest of the quiet ones. A
guard can only find the crossing where the first stands clear of the
second.

Run from the repository root after building."""
import os
import statistics
import subprocess
import sys
import tempfile

from benchenv import CLIPGEN, ENV, scan

WINDOW = 5


def gops(path):
    """(keyframe PTS, [sizes of the other packets]) per GOP, in order."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "packet=pts_time,size,flags", "-of", "csv=p=0", path],
        capture_output=True, text=True, check=True).stdout.split()
    result = []
    for line in out:
        pts, size, flags = line.split(",")[:3]
        if "K" in flags:
            result.append((float(pts), []))
        elif result:
            result[-1][1].append(int(size))
    return result


def window_ratios(path):
    """Per GOP after the first 8: its largest windowed median packet size
    over the median packet of the 8 GOPs before."""
    ratios, history = [], []
    for start, sizes in gops(path):
        if len(history) >= 8 * WINDOW:
            base = statistics.median(history)
            peak = max(statistics.median(sizes[i:i + WINDOW])
                       for i in range(max(1, len(sizes) - WINDOW + 1)))
            ratios.append((start, peak / max(base, 1)))
        history = (history + sizes)[-8 * 50:]
    return ratios


def main():
    print("| noise (levels) | rate | crossing (s) | full scan | --fast | "
          "decoded | packet windows: crossing / largest quiet |\n"
          "|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for noise in ("0", "0.25", "0.5", "2"):
            for rate in ("VBR", "CBR 1.5 Mb/s"):
                for stay in (0.3, 0.6, 1.2):
                    clip = os.path.join(tmp, "clip.mp4")
                    start = 10.3
                    subprocess.run(
                        [CLIPGEN,
                         "--width", "1280", "--height", "720", "--fps", "25",
                         "--duration", "30", "--noise", noise, "--motion",
                         f"{start}-{start + stay:.1f}", "--box-speed",
                         f"{1.0 / stay:.2f}",
                         *(["--cbr", "--bitrate", "1500"]
                           if rate.startswith("CBR") else []), clip],
                        env=ENV, check=True, stdout=subprocess.DEVNULL)
                    full = scan(clip, os.path.join(tmp, "full.json"))
                    fast = scan(clip, os.path.join(tmp, "fast.json"),
                                "--fast")
                    ratios = window_ratios(clip)
                    crossing = max(r for t, r in ratios
                                   if t <= start < t + 2.05)
                    quiet = max(r for t, r in ratios
                                if not t - 2.05 <= start < t + 4.05)
                    print(f"| {noise} | {rate} | {stay} | "
                          f"{'found' if full['events'] else 'missed'} | "
                          f"{'found' if fast['events'] else 'MISSED'} | "
                          f"{fast['decoded']['share']:.0%} | "
                          f"{crossing:.2f} / {quiet:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
