#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What --fast's size guard catches: a box that crosses between two
keyframes (2 s apart) and is gone at both, by how long it stays, the
stream's noise and its rate control (720p25, 30 s). For each, whether a
full scan and --fast find it, and the share --fast decoded.

Run from the repository root after building."""
import os
import subprocess
import sys
import tempfile

from benchenv import CLIPGEN, ENV, scan


def main():
    print("| noise (levels) | rate | crossing (s) | full scan | --fast | "
          "decoded |\n|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for noise in ("0", "0.5", "2"):
            for rate in ("VBR", "CBR 1.5 Mb/s"):
                for stay in (0.3, 0.6, 1.2):
                    clip = os.path.join(tmp, "clip.mp4")
                    subprocess.run(
                        [CLIPGEN,
                         "--width", "1280", "--height", "720", "--fps", "25",
                         "--duration", "30", "--noise", noise, "--motion",
                         f"10.3-{10.3 + stay:.1f}", "--box-speed",
                         f"{1.0 / stay:.2f}",
                         *(["--cbr", "--bitrate", "1500"]
                           if rate.startswith("CBR") else []), clip],
                        env=ENV, check=True, stdout=subprocess.DEVNULL)
                    full = scan(clip, os.path.join(tmp, "full.json"))
                    fast = scan(clip, os.path.join(tmp, "fast.json"),
                                "--fast")
                    print(f"| {noise} | {rate} | {stay} | "
                          f"{'found' if full['events'] else 'missed'} | "
                          f"{'found' if fast['events'] else 'MISSED'} | "
                          f"{fast['decoded']['share']:.0%} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
