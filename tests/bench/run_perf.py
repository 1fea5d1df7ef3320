#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Speed and memory benchmarks, one summary table at the end.

  tests/bench/run_perf.py [--runs N] [--quick] [--parts core,overhead,...]

1. Per-frame cost of the analysis core (Google Benchmark, one core), by
   input resolution and pixel layout, and by analysis width.
2. Pipeline overhead: `decode ! fakesink` against `decode ! videoconvert !
   stillframedetect ! stillframecut ! fakesink` (at the defaults, and
   holding nothing) on the same 1080p and 4K H.264 files, short and long,
   runs alternating, median ratio of wall and of CPU time.
3. End to end on the 1080p file: `stillframe scan`, `trim` and `trim --copy`
   against ffmpeg freezedetect and mpdecimate + re-encode, as ratios to
   freezedetect.
4. Peak memory of trim and scan: 1 minute against 1 hour of video, 10
   against 10,000 cut spans (160x120 clips, cheap to make), and of detect +
   cut on static 1080p video in each pixel format family.

Clips are generated once into build/bench-clips. Run from the repository
root after building."""
import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.join(ROOT, "build")
CLIPS = os.path.join(BUILD, "bench-clips")
ENV = dict(os.environ, GST_PLUGIN_PATH_1_0=os.path.join(BUILD, "gst",
                                                        "stillframe"))


def timed(cmd):
    """Runs cmd; returns (wall s, CPU s, peak RSS MB) of the child."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    out = subprocess.run(cmd, env=ENV, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode not in (0, 3):
        raise RuntimeError(f"{' '.join(cmd)} failed: {out.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def peak_rss_mb(cmd):
    out = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], env=ENV,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True)
    if out.returncode not in (0, 3):
        raise RuntimeError(f"{' '.join(cmd)} failed: {out.stderr[-2000:]}")
    return int(out.stderr.strip().splitlines()[-1]) / 1024


def clip(name, *args):
    path = os.path.join(CLIPS, name)
    if not os.path.exists(path):
        os.makedirs(CLIPS, exist_ok=True)
        print(f"making {name} ...", flush=True)
        subprocess.run([os.path.join(BUILD, "tests", "stillframe-clipgen"),
                        *map(str, args), path + ".tmp.mp4"], check=True,
                       env=ENV, stdout=subprocess.DEVNULL)
        os.rename(path + ".tmp.mp4", path)
    return path


def repeated(name, source, times):
    """`source` played `times` times in a row, as one file (stream copy):
    a long clip without encoding one."""
    path = os.path.join(CLIPS, name)
    if not os.path.exists(path):
        listing = path + ".txt"
        with open(listing, "w") as f:
            f.write(f"file '{os.path.abspath(source)}'\n" * times)
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "concat",
                        "-safe", "0", "-i", listing, "-c", "copy",
                        path + ".tmp.mp4"], check=True)
        os.remove(listing)
        os.rename(path + ".tmp.mp4", path)
    return path


def alternate(commands, runs):
    """Runs each command `runs` times, alternating; medians per command."""
    results = {name: [] for name in commands}
    for _ in range(runs):
        for name, cmd in commands.items():
            results[name].append(timed(cmd))
    return {name: (statistics.median(w for w, _ in r),
                   statistics.median(c for _, c in r))
            for name, r in results.items()}


def core_costs(rows):
    bench = os.path.join(BUILD, "tests", "stillframe-analysis-bench")
    if not os.path.exists(bench):
        rows.append(("core", "Google Benchmark not built", "", ""))
        return
    out = subprocess.run([bench, "--benchmark_format=json",
                          "--benchmark_min_time=0.5"], capture_output=True,
                         text=True, check=True)
    for b in json.loads(out.stdout)["benchmarks"]:
        args = dict(part.split(":") for part in b["name"].split("/")[1:])
        width = args["analysis_width"]
        rows.append(("core, per frame",
                     f"{args['width']}x{args['height']} {b['label']}, "
                     f"analysis width {width if width != '0' else 'default'}",
                     f"{b['cpu_time']:.0f} µs", ""))


def decode_cmd(path, tail):
    return ["gst-launch-1.0", "-q", "filesrc", f"location={path}", "!",
            "qtdemux", "!", "h264parse", "!", "avdec_h264", "!", *tail]


def pipeline_overhead(rows, clips, runs):
    """Decode alone against decode + detect + cut at the defaults, and
    against detect + cut holding nothing (no hysteresis, no padding), which
    separates the analysis from the frames the cut holds; each also after a
    queue, which gives the analysis a thread of its own (as the CLI does)."""
    elements = ["videoconvert", "!", "stillframedetect", "!", "stillframecut"]
    no_hold = ["min-static-duration=0", "pre-roll=0", "post-roll=0"]
    for label, path in clips:
        commands = {"decode": decode_cmd(path, ["fakesink", "sync=false"])}
        for queue in ([], ["queue", "!"]):
            for case, props in (("defaults", []), ("no hold", no_hold)):
                name = case + (", after a queue" if queue else "")
                commands[name] = decode_cmd(path, [*queue, *elements, *props,
                                                   "!", "fakesink",
                                                   "sync=false"])
        result = alternate(commands, runs)
        dw, dc = result.pop("decode")
        for case, (sw, sc) in result.items():
            rows.append(("pipeline overhead", f"{label}, {case}",
                         f"wall {sw / dw:.3f}x ({dw:.2f} -> {sw:.2f} s)",
                         f"CPU {sc / dc:.3f}x ({dc:.2f} -> {sc:.2f} s)"))


def end_to_end(rows, path, runs):
    tmp = os.path.join(CLIPS, "e2e-out")
    os.makedirs(tmp, exist_ok=True)
    stillframe = os.path.join(BUILD, "tools", "stillframe")
    result = alternate({
        "ffmpeg freezedetect": ["ffmpeg", "-v", "error", "-i", path, "-map",
                                "0:v", "-vf", "freezedetect", "-f", "null",
                                "-"],
        "stillframe scan": [stillframe, "scan", path, "-q"],
        "ffmpeg mpdecimate + x264": ["ffmpeg", "-v", "error", "-y", "-i",
                                     path, "-map", "0:v", "-vf",
                                     "mpdecimate,setpts=N/FRAME_RATE/TB",
                                     "-c:v", "libx264", "-preset",
                                     "veryfast", os.path.join(tmp, "f.mp4")],
        "stillframe trim": [stillframe, "trim", path, "-o",
                            os.path.join(tmp, "t.mp4"), "-y", "-q"],
        "stillframe trim --copy": [stillframe, "trim", path, "--copy", "-o",
                                   os.path.join(tmp, "c.mp4"), "-y", "-q"],
    }, runs)
    base_wall, base_cpu = result["ffmpeg freezedetect"]
    scan_wall = result["stillframe scan"][0]
    for name, (wall, cpu) in result.items():
        note = f"{wall / base_wall:.2f}x freezedetect"
        if name == "stillframe trim --copy":
            note += f", {wall / scan_wall:.2f}x scan"
        rows.append(("end to end, 1080p", name, f"{wall:.2f} s wall, "
                     f"{cpu:.2f} s CPU", note))


def memory(rows):
    stillframe = os.path.join(BUILD, "tools", "stillframe")
    out = os.path.join(CLIPS, "mem-out.mp4")

    def spans(seconds, count):
        period = seconds / count
        return ",".join(f"{i * period + period / 2:.2f}-"
                        f"{i * period + period / 2 + min(1, period / 4):.2f}"
                        for i in range(count))

    few = ["--width", 160, "--height", 120, "--fps", 10, "--noise", 2]
    cases = {
        "1 min, 10 spans": clip("mem-1min-10.mp4", *few, "--duration", 60,
                                "--motion", spans(60, 10)),
        "1 h, 10 spans": clip("mem-1h-10.mp4", *few, "--duration", 3600,
                              "--motion", spans(3600, 10)),
        "1 h, 10,000 spans": clip("mem-1h-10000.mp4", "--width", 160,
                                  "--height", 120, "--fps", 20, "--noise", 2,
                                  "--box-speed", 1.0, "--duration", 3600,
                                  "--motion-every", "0.36,0.09"),
    }
    for name, path in cases.items():
        # Short static spans must be cut for 10,000 of them in an hour.
        many = ["--min-static", "0.15", "--pre-roll", "0", "--post-roll",
                "0"] if "10,000" in name else []
        trim = peak_rss_mb([stillframe, "trim", path, "-o", out, "-y", "-q",
                            *many])
        scan = peak_rss_mb([stillframe, "scan", path, "-q", *many])
        rows.append(("peak memory", name, f"trim {trim:.1f} MB",
                     f"scan {scan:.1f} MB"))
    for fmt in ("I420", "NV12", "YUY2", "BGRx", "RGB", "GRAY8"):
        mb = peak_rss_mb(["gst-launch-1.0", "-q", "videotestsrc",
                          "num-buffers=300", "pattern=solid-color", "!",
                          f"video/x-raw,format={fmt},width=1920,height=1080,"
                          "framerate=30/1", "!", "stillframedetect", "!",
                          "stillframecut", "!", "fakesink"])
        rows.append(("peak memory", f"detect + cut, static 1080p {fmt}",
                     f"{mb:.1f} MB", "holds at most 3 s of frames"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true",
                        help="1080p only, 3 runs, no memory cases")
    parser.add_argument("--parts", default="core,overhead,e2e,memory",
                        help="comma-separated subset of the default")
    parser.add_argument("--sources", default="",
                        help="overhead only on the files whose label holds "
                        "one of these comma-separated words (\"2 min,4K\")")
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs

    hd = clip("perf-1080p.mp4", "--width", 1920, "--height", 1080,
              "--duration", 40, "--noise", 3, "--motion", "5-8,20-22,33-34")
    sources = [("1080p H.264, 40 s", hd)]
    if not args.quick:
        # Long files too: the cut's hold grows the decoder's buffer pool once
        # per run, which weighs on a short file far more than on a recording.
        sources.append(("1080p H.264, 2 min", clip(
            "perf-1080p-2min.mp4", "--width", 1920, "--height", 1080,
            "--duration", 120, "--noise", 3, "--motion",
            "5-8,20-22,33-34,60-63,95-96")))
        sources.append(("4K H.264, 12 s", clip(
            "perf-2160p.mp4", "--width", 3840, "--height", 2160,
            "--duration", 12, "--noise", 3, "--motion", "3-5,9-10")))
        minute = clip("perf-2160p-1min.mp4", "--width", 3840, "--height",
                      2160, "--duration", 60, "--noise", 3, "--motion",
                      "3-5,9-10,20-22,35-36,50-52")
        sources.append(("4K H.264, 1 min", minute))
        sources.append(("4K H.264, 4 min", repeated("perf-2160p-4min.mp4",
                                                     minute, 4)))

    rows = []
    print("| what | case | result | |\n|---|---|---|---|", flush=True)

    class Printing(list):
        def append(self, row):
            print("| " + " | ".join(row) + " |", flush=True)
            super().append(row)
    rows = Printing()
    parts = args.parts.split(",")
    if "core" in parts:
        core_costs(rows)
    if args.sources:
        words = args.sources.split(",")
        sources = [s for s in sources if any(w in s[0] for w in words)]
    if "overhead" in parts:
        pipeline_overhead(rows, sources, runs)
    if "e2e" in parts:
        end_to_end(rows, hd, runs)
    if "memory" in parts and not args.quick:
        memory(rows)

    cpu = next((line.split(":", 1)[1].strip()
                for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    print(f"\nMachine: {cpu}, {os.cpu_count()} cores, "
          f"{platform.platform()}; {runs} runs each, medians.")


if __name__ == "__main__":
    sys.exit(main())
