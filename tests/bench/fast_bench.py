#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""--fast against a full decode: CPU time, wall time and peak memory of
`stillframe scan --fast`, `scan`, `trim --copy --fast` and ffmpeg
freezedetect on the same files, runs alternating, medians; and whether
--fast found the same events (count; starts and ends within one frame).

  tests/bench/fast_bench.py [--runs N] CLIP... (or --make DIR: the clips
  of docs/performance.md, made once into DIR)

Run from the repository root after building."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from benchenv import CLIPGEN, ENV, STILLFRAME, same_events

# 1080p25, GOP 2 s, as IP cameras record; name: (clipgen options).
CLIPS = {
    "quiet10m.mp4": ("--duration", "600", "--motion-every", "100,1.5"),
    "h265.mp4": ("--duration", "120", "--motion-every", "40,1", "--h265"),
    "cbr.mp4": ("--duration", "120", "--motion-every", "40,1", "--cbr",
                "--bitrate", "4000"),
    "m05.mp4": ("--duration", "120", "--motion-every", "20,1"),
    "m20.mp4": ("--duration", "120", "--motion-every", "10,2"),
    "m50.mp4": ("--duration", "120", "--motion-every", "4,2"),
}


def make(folder):
    os.makedirs(folder, exist_ok=True)
    paths = []
    for name, options in CLIPS.items():
        path = os.path.join(folder, name)
        if not os.path.exists(path):
            subprocess.run([CLIPGEN, "--width", "1920", "--height", "1080",
                            "--fps", "25", "--noise", "1", *options, path],
                           check=True, env=ENV, stdout=subprocess.DEVNULL)
        paths.append(path)
    return paths


def measured(cmd):
    """Runs cmd; returns (CPU s, wall s, peak RSS MiB) of the child."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    stderr = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {stderr[-2000:]}")
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024


def bench(path, runs, tmp):
    full_report = os.path.join(tmp, "full.json")
    fast_report = os.path.join(tmp, "fast.json")
    commands = {
        "scan --fast": [STILLFRAME, "scan", path, "--fast", "-q", "-y",
                        "--report", fast_report],
        "scan": [STILLFRAME, "scan", path, "-q", "-y", "--report",
                 full_report],
        "trim --copy --fast": [STILLFRAME, "trim", path, "--copy", "--fast",
                               "-q", "-y", "-o", os.path.join(tmp, "o.mp4")],
        "ffmpeg freezedetect": ["ffmpeg", "-v", "error", "-i", path, "-map",
                                "0:v", "-vf", "freezedetect", "-f", "null",
                                "-"],
    }
    samples = {name: [] for name in commands}
    for _ in range(runs):
        for name, cmd in commands.items():
            samples[name].append(measured(cmd))
    median = {name: tuple(statistics.median(s[i] for s in runs_of)
                          for i in range(3))
              for name, runs_of in samples.items()}
    with open(full_report) as f:
        full = json.load(f)
    with open(fast_report) as f:
        fast = json.load(f)
    return median, same_events(full, fast), fast.get("decoded"), \
        len(full["events"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--make", metavar="DIR")
    parser.add_argument("clips", nargs="*")
    args = parser.parse_args()
    clips = args.clips + (make(args.make) if args.make else [])
    if not clips:
        parser.error("no clip given")
    print("| clip | events (same with --fast) | frames decoded | CPU s: scan "
          "--fast / scan / trim --copy --fast / freezedetect | --fast vs "
          "scan | vs freezedetect | trim --copy --fast vs scan --fast | "
          "wall s: scan --fast / scan | peak MiB: scan --fast / scan / "
          "freezedetect |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for path in clips:
            m, same, decoded, count = bench(path, args.runs, tmp)
            fast, full = m["scan --fast"], m["scan"]
            copy, ff = m["trim --copy --fast"], m["ffmpeg freezedetect"]
            share = decoded["share"] if decoded else 1.0
            print(f"| {os.path.basename(path)} | {count} "
                  f"({'yes' if same else 'NO'}) | {share:.1%} | "
                  f"{fast[0]:.2f} / {full[0]:.2f} / {copy[0]:.2f} / "
                  f"{ff[0]:.2f} | {fast[0] / full[0]:.2f}x | "
                  f"{fast[0] / ff[0]:.2f}x | {copy[0] / fast[0]:.2f}x | "
                  f"{fast[1]:.2f} / {full[1]:.2f} | {fast[2]:.0f} / "
                  f"{full[2]:.0f} / {ff[2]:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
