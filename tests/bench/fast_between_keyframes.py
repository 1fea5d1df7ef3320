#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What --fast's size guard catches: a box that crosses between two
keyframes (2 s apart) and is gone at both, by how long it stays, the
stream's noise and its rate control (720p25, 30 s). For each, whether a
full scan and --fast find it, and the share --fast decoded.

Run from the repository root after building."""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.join(ROOT, "build")
STILLFRAME = os.path.join(BUILD, "tools", "stillframe")
ENV = dict(os.environ, GST_PLUGIN_PATH_1_0=os.path.join(BUILD, "gst",
                                                        "stillframe"))


def events(clip, report, *options):
    subprocess.run([STILLFRAME, "scan", clip, "-q", "-y", "--report", report,
                    *options], env=ENV, check=True)
    with open(report) as f:
        r = json.load(f)
    return len(r["events"]), r.get("decoded")


def main():
    print("| noise (levels) | rate | crossing (s) | full scan | --fast | "
          "decoded |\n|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for noise in ("0", "0.5", "2"):
            for rate in ("VBR", "CBR 1.5 Mb/s"):
                for stay in (0.3, 0.6, 1.2):
                    clip = os.path.join(tmp, "clip.mp4")
                    subprocess.run(
                        [os.path.join(BUILD, "tests", "stillframe-clipgen"),
                         "--width", "1280", "--height", "720", "--fps", "25",
                         "--duration", "30", "--noise", noise, "--motion",
                         f"10.3-{10.3 + stay:.1f}", "--box-speed",
                         f"{1.0 / stay:.2f}",
                         *(["--cbr", "--bitrate", "1500"]
                           if rate.startswith("CBR") else []), clip],
                        env=ENV, check=True, stdout=subprocess.DEVNULL)
                    full, _ = events(clip, os.path.join(tmp, "full.json"))
                    fast, decoded = events(clip, os.path.join(tmp, "f.json"),
                                           "--fast")
                    print(f"| {noise} | {rate} | {stay} | "
                          f"{'found' if full else 'missed'} | "
                          f"{'found' if fast else 'MISSED'} | "
                          f"{decoded['share']:.0%} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
