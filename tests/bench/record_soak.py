#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Soak benchmark of `stillframe record`: an hour of 1080p30 camera stream
(a generated part with an event every PERIOD seconds, played back to back
by splitmuxsrc as one stream with continuous times), recorded as fast as
it decodes. Samples the recorder's resident memory over the run, and
reports: events played / recorded / files, memory at each tenth of the run
and its growth (over all, and over the second half, which must stay within
2 %: each new file's threads warm an allocator arena up at first), CPU
seconds per stream second (the share of a core one 1080p30 camera takes),
and the same for decoding alone. Exits 1 if an event is missed or memory
grows in the second half.

Run from the repository root after building:
  tests/bench/record_soak.py [--minutes 60] [--part-minutes 5]
                             [--period 15] [--width 1920 --height 1080]"""
import argparse
import glob
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.join(ROOT, "build")
sys.path.insert(0, HERE)
from soak import rss_kb  # noqa: E402


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--part-minutes", type=float, default=5)
    # Events 2 s long; with record's rolls of 3 s, they are separate events
    # only when more than 6 s of stillness lies between them.
    parser.add_argument("--period", type=float, default=15)
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--work", help="folder for the clip (kept)")
    args = parser.parse_args()
    if args.period <= 8:
        parser.error("--period must be more than 8 s: 2 s of motion, then "
                     "more than the 3 s post-roll and 3 s pre-roll")
    env = dict(os.environ, GST_PLUGIN_PATH_1_0=os.path.join(
        BUILD, "gst", "stillframe"))
    work = args.work or tempfile.mkdtemp(prefix="stillframe-record-soak-")
    os.makedirs(work, exist_ok=True)
    part_seconds = int(args.part_minutes * 60)
    parts = max(1, round(args.minutes / args.part_minutes))
    part = os.path.join(work, f"part-{args.height}p-{part_seconds}s-"
                        f"every{args.period:g}s.mp4")
    if not os.path.exists(part):
        print(f"making {part} ...", flush=True)
        subprocess.run([os.path.join(BUILD, "tests", "stillframe-clipgen"),
                        "--width", str(args.width), "--height",
                        str(args.height), "--fps", "30", "--duration",
                        str(part_seconds), "--noise", "2", "--gop", "60",
                        "--motion-every", f"{args.period},2", part],
                       check=True, env=env)
    for old in glob.glob(os.path.join(work, "stream*.mp4")):
        os.remove(old)
    for i in range(parts):
        os.symlink(part, os.path.join(work, f"stream{i:03d}.mp4"))
    pattern = os.path.join(work, "stream*.mp4")
    source = f"splitmuxsrc location={pattern} ! queue"
    events_per_part = 0
    t = args.period / 2
    while t + 2 <= part_seconds:
        events_per_part += 1
        t += args.period
    played = events_per_part * parts
    stream_seconds = part_seconds * parts

    # Decoding alone, for scale.
    before = children_cpu()
    start = time.monotonic()
    subprocess.run(["gst-launch-1.0", "-q", "splitmuxsrc",
                    f"location={pattern}", "!", "queue", "!", "h264parse",
                    "!", "avdec_h264", "!", "fakesink"], check=True, env=env)
    decode_cpu = children_cpu() - before
    decode_wall = time.monotonic() - start

    out = os.path.join(work, "recordings")
    subprocess.run(["rm", "-rf", out])
    events = os.path.join(work, "events.jsonl")
    if os.path.exists(events):
        os.remove(events)
    before = children_cpu()
    start = time.monotonic()
    proc = subprocess.Popen([os.path.join(BUILD, "tools", "stillframe"),
                             "record", "--source-pipeline", source, "-o",
                             out, "--events", events], env=env,
                            stderr=subprocess.PIPE, text=True)
    samples = []
    while proc.poll() is None:
        samples.append((time.monotonic() - start, rss_kb(proc.pid)))
        time.sleep(0.5)
    err = proc.stderr.read()
    record_cpu = children_cpu() - before
    record_wall = time.monotonic() - start
    if proc.returncode != 0:
        print(err, file=sys.stderr)
        return 1
    with open(events) as f:
        lines = [json.loads(line) for line in f]
    files = glob.glob(os.path.join(out, "**", "*.mp4"), recursive=True)
    tenths = [samples[min(len(samples) - 1, len(samples) * k // 10)][1]
              for k in range(1, 11)]
    def median(part):
        values = sorted(s[1] for s in part)
        return values[len(values) // 2]
    tenth = max(1, len(samples) // 10)
    first, middle, last = (median(samples[:tenth]),
                           median(samples[len(samples) // 2:][:tenth]),
                           median(samples[-tenth:]))
    growth = (last - first) / first
    late_growth = (last - middle) / middle
    print(f"stream: {stream_seconds / 60:.0f} min of {args.width}x"
          f"{args.height} at 30 fps, GOP 2 s, an event every "
          f"{args.period:g} s")
    print(f"events played {played}, recorded {len(lines)}, files "
          f"{len(files)}; missed {played - len(lines)}")
    print("memory (MiB) at each tenth of the run: " +
          " ".join(f"{kb / 1024:.0f}" for kb in tenths))
    print(f"memory growth (medians of a tenth), first to last: "
          f"{growth * 100:+.1f} %, middle to last: {late_growth * 100:+.1f} "
          f"%; peak {max(s[1] for s in samples) / 1024:.0f} MiB")
    print(f"record: {record_cpu:.0f} CPU s in {record_wall:.0f} s: "
          f"{record_cpu / stream_seconds:.3f} CPU s per stream s "
          f"({record_cpu / stream_seconds * 100:.1f} % of a core per camera)")
    print(f"decode alone: {decode_cpu:.0f} CPU s in {decode_wall:.0f} s: "
          f"{decode_cpu / stream_seconds:.3f} CPU s per stream s; record / "
          f"decode = {record_cpu / decode_cpu:.2f}")
    print(err.strip().splitlines()[-1])
    return 0 if played == len(lines) and late_growth < 0.02 else 1


if __name__ == "__main__":
    sys.exit(main())
