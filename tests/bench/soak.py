#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Soak benchmark: an hour of generated video (320x240, 10 fps, noise, a
1 s event every 30 s with its audio) through `stillframe trim`, i.e.
decode ! stillframedetect ! stillframecut ! encode ! mux, with the process's
resident memory sampled twice a second. Prints memory over the run and the
growth from the first to the last tenth; exits 1 if it grows by more than
5 %.

Run from the repository root after building:
  tests/bench/soak.py [--minutes 60]"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.join(ROOT, "build")


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60)
    args = parser.parse_args()
    seconds = int(args.minutes * 60)

    env = dict(os.environ, GST_PLUGIN_PATH_1_0=os.path.join(
        BUILD, "gst", "stillframe"))
    work = tempfile.mkdtemp(prefix="stillframe-soak-")
    clip = os.path.join(work, "soak.mkv")
    spans = ",".join(f"{t}-{t + 1}" for t in range(15, seconds - 5, 30))
    t0 = time.monotonic()
    subprocess.run([os.path.join(BUILD, "tests", "stillframe-clipgen"),
                    "--width", "320", "--height", "240", "--fps", "10",
                    "--duration", str(seconds), "--noise", "3",
                    "--sync-marks", "--motion", spans, clip],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    print(f"generated {seconds} s ({seconds * 10} frames, "
          f"{spans.count(',') + 1} events) in {time.monotonic() - t0:.0f} s")

    out = os.path.join(work, "out.mp4")
    t0 = time.monotonic()
    proc = subprocess.Popen([os.path.join(BUILD, "tools", "stillframe"),
                             "trim", clip, "-o", out, "-q", "-y"], env=env)
    samples = []
    while proc.poll() is None:
        try:
            samples.append((time.monotonic() - t0, rss_kb(proc.pid)))
        except (FileNotFoundError, ProcessLookupError):
            break
        time.sleep(0.5)
    elapsed = time.monotonic() - t0
    if proc.returncode != 0:
        print(f"stillframe trim failed with {proc.returncode}")
        return 1
    samples = [s for s in samples if s[1] > 0]
    if len(samples) < 20:
        print("too few samples")
        return 1

    print(f"trim took {elapsed:.0f} s ({seconds / elapsed:.0f}x real time)")
    print("| share of the run | RSS (MB) |\n|---|---|")
    for tenth in range(1, 11):
        t, kb = samples[min(len(samples) - 1, tenth * len(samples) // 10)]
        print(f"| {tenth * 10} % ({t:.0f} s) | {kb / 1024:.1f} |")
    n = max(1, len(samples) // 10)
    # The first tenth includes start-up; compare the second with the last.
    early = sorted(kb for _, kb in samples[n:2 * n])[n // 2]
    late = sorted(kb for _, kb in samples[-n:])[n // 2]
    peak = max(kb for _, kb in samples)
    growth = (late - early) / early
    print(f"median RSS second tenth {early / 1024:.1f} MB, last tenth "
          f"{late / 1024:.1f} MB: growth {growth * 100:+.1f} %; peak "
          f"{peak / 1024:.1f} MB")
    for path in (clip, out):
        os.remove(path)
    os.rmdir(work)
    return 0 if growth <= 0.05 else 1


if __name__ == "__main__":
    sys.exit(main())
