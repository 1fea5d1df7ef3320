#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Accuracy benchmark: stillframe at default settings on a generated
scenario suite and on the labelled real clips in ../shared/data/real (when
present). Prints, per clip, the share of motion frames kept and of static
frames more than 2 s from any motion dropped, and the analysis speed, side
by side with the peers from Debian (ffmpeg freezedetect and mpdecimate,
auto-editor) at their defaults.

Run from the repository root after building: tests/bench/run_accuracy.py
(--quick for a smaller suite, --only NAME to run matching clips)."""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.join(ROOT, "build")
sys.path.insert(0, HERE)
import accuracy  # noqa: E402
import peers  # noqa: E402

# name: clipgen arguments. Spans are seconds with a moving box.
SCENARIOS = {
    "720p-clean": "--width 1280 --height 720 --noise 1 --duration 40 "
                  "--motion 5-5.3,15-16,28-31",
    "720p-noisy": "--width 1280 --height 720 --noise 6 --duration 40 "
                  "--motion 6-7,20-20.5,30-33",
    "720p-night": "--width 1280 --height 720 --noise 12 --duration 40 "
                  "--motion 8-10,25-26",
    "720p-drift": "--width 1280 --height 720 --noise 4 --drift 30 "
                  "--drift-period 40 --duration 60 --motion 10-11,35-37",
    "720p-lowbitrate": "--width 1280 --height 720 --noise 5 --bitrate 600 "
                       "--duration 40 --motion 10-12,30-31",
    "720p-small-faint": "--width 1280 --height 720 --noise 4 --duration 40 "
                        "--motion 10-14,28-32 --box-size 0.04 "
                        "--box-contrast 20 --box-speed 0.08",
    "720p-slow": "--width 1280 --height 720 --noise 4 --duration 50 "
                 "--motion 10-30 --box-speed 0.01 --box-contrast 30",
    "1080p-noisy": "--width 1920 --height 1080 --noise 6 --drift 12 "
                   "--drift-period 50 --duration 40 --motion 8-9,22-24",
    "1080p-short-events": "--width 1920 --height 1080 --noise 3 --duration 40 "
                          "--motion 5-5.2,12-12.3,20-20.5,33-34",
}
# The hard scenes (issue #9): each class, and IP-camera encodings of some
# (CBR at 1.5 Mb/s, GOP 50 without B-frames; H.265).
CAMERA = "--cbr --bitrate 1500 --gop 50"
HARD_SCENARIOS = {
    "720p-snow": "--width 1280 --height 720 --noise 3 --precipitation 400 "
                 "--duration 40 --motion 10-13,25-28",
    "720p-rain-h265": "--width 1280 --height 720 --noise 3 --precipitation "
                      "800 --precipitation-length 14 --precipitation-speed "
                      "24 --precipitation-contrast 40 --duration 40 "
                      "--motion 10-13,25-28 --h265 " + CAMERA,
    "720p-shake": "--width 1280 --height 720 --noise 3 --shake 2 "
                  "--duration 40 --motion 10-14,25-29 --box-contrast 15 "
                  + CAMERA,
    # A walker in plain clothes (luma 139) ending its crossings over the
    # block at the frame's right edge (luma about 149), in a shake of
    # +-3 px.
    "720p-shake-walker": "--width 1280 --height 720 --noise 3 --shake 3 "
                         "--duration 40 --motion 10-19.4,25-34.4 --box-speed "
                         "0.1 --box-size 0.12 --box-aspect 0.5 --box-y 0.58 "
                         "--box-luma 139 " + CAMERA,
    "720p-flicker-shadow": "--width 1280 --height 720 --noise 3 --flicker "
                           "0.03 --shadow 5-40 --duration 45 --motion 20-22",
    "720p-flicker-deep-shadow": "--width 1280 --height 720 --noise 3 "
                                "--flicker 0.03 --shadow 5-40 --shadow-depth "
                                "0.45 --shadow-size 0.8 --duration 45 "
                                "--motion 20-22",
    "720p-timelapse-2fps": "--width 1280 --height 720 --noise 3 --fps 2 "
                           "--duration 240 --relocate 60,150 --travel 1.5",
    "720p-creep": "--width 1280 --height 720 --noise 3 --duration 30 "
                  "--motion 5-25 --box-speed 0.0059 --box-size 0.18 "
                  "--box-contrast 30 " + CAMERA,
    # 80x130 px, 0.25 px a frame: it crosses a sample point of the
    # analysed image about once a second.
    "720p-creep-narrow": "--width 1280 --height 720 --noise 3 --duration 30 "
                         "--motion 5-25 --box-speed 0.00586 --box-size 0.18 "
                         "--box-aspect 0.615 --box-contrast 20 " + CAMERA,
    "720p-creep-h265": "--width 1280 --height 720 --noise 4 --duration 30 "
                       "--motion 5-25 --box-speed 0.00586 --box-size 0.18 "
                       "--box-aspect 0.615 --box-contrast 30 --h265 "
                       + CAMERA,
}
SCENARIOS.update(HARD_SCENARIOS)
QUICK = ["720p-noisy", "720p-drift", "1080p-noisy"]

REAL = os.path.join(ROOT, "..", "shared", "data", "real")
REAL_CLIPS = {
    "intel-car-detection": "intel-car-detection/car-detection.mp4",
    "intel-one-by-one-person":
        "intel-one-by-one-person/one-by-one-person-detection.mp4",
    "intel-bottle-detection": "intel-bottle-detection/bottle-detection.mp4",
}


# DVR-Scan's regression video, its README's region, and the starts (frames,
# 25 fps) of its golden events at default settings.
DVRSCAN_CLIP = os.path.join(REAL, "dvrscan", "traffic_camera.mp4")
DVRSCAN_REGION = "631,532,210,127"
DVRSCAN_STARTS = [9, 358, 542]


def dvrscan_comparison(env):
    """Our event starts on DVR-Scan's golden video against its own."""
    if not os.path.exists(DVRSCAN_CLIP):
        print(f"(skipping the DVR-Scan comparison: {DVRSCAN_CLIP} is not here)")
        return
    report = os.path.join(BUILD, "bench-clips", "dvrscan-report.json")
    run([os.path.join(BUILD, "tools", "stillframe"), "scan", DVRSCAN_CLIP,
         "--regions", DVRSCAN_REGION, "-q", "-y", "--report", report], env)
    with open(report) as f:
        starts = [round(e["start"] * 25) for e in json.load(f)["events"]]
    print("\nDVR-Scan traffic_camera.mp4, region " + DVRSCAN_REGION)
    print("| DVR-Scan golden start (frame) | stillframe start (frame) | "
          "difference |\n|---|---|---|")
    for i in range(max(len(starts), len(DVRSCAN_STARTS))):
        golden = DVRSCAN_STARTS[i] if i < len(DVRSCAN_STARTS) else None
        ours = starts[i] if i < len(starts) else None
        diff = ours - golden if golden is not None and ours is not None \
            else "missing"
        print(f"| {golden} | {ours} | {diff} |")

    # DVR-Scan's issue #53: an exposure change that DVR-Scan reports as one
    # event (a false positive upstream). Nothing moves.
    exposure = os.path.join(REAL, "dvrscan", "issue53_brightness_change.avi")
    if os.path.exists(exposure):
        report = os.path.join(BUILD, "bench-clips", "issue53-report.json")
        run([os.path.join(BUILD, "tools", "stillframe"), "scan", exposure,
             "-q", "-y", "--report", report], env)
        with open(report) as f:
            events = len(json.load(f)["events"])
        print(f"\nDVR-Scan issue53_brightness_change.avi (exposure change, "
              f"DVR-Scan: 1 event): stillframe {events} events")


def run(cmd, env=None):
    return subprocess.run(cmd, check=True, capture_output=True, text=True,
                          env=env)


def framelog(path, log, env):
    """Runs stillframe-framelog on path into log; returns the seconds."""
    start = time.monotonic()
    out = run([os.path.join(BUILD, "tests", "stillframe-framelog"), path],
              env).stdout
    elapsed = time.monotonic() - start
    with open(log, "w") as f:
        f.write(out)
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only")
    parser.add_argument("--no-peers", action="store_true",
                        help="run stillframe only")
    args = parser.parse_args()

    def add_rows(name, clip, frames, truth, times, elapsed):
        rows.append((name, "stillframe", accuracy.score(frames, truth, times,
                                                        2.0),
                     len(frames) / elapsed))
        if args.no_peers:
            return
        interval = (times[-1] - times[0]) / max(1, len(times) - 1)
        for tool, run_tool in peers.TOOLS.items():
            result = run_tool(clip)
            if result is None:
                continue
            spans, seconds = result
            kept = peers.kept_frames(spans, times, interval)
            as_frames = [(t, 0.0, k, k) for t, k in zip(times, kept)]
            rows.append((name, tool, accuracy.score(as_frames, truth, times,
                                                    2.0),
                         len(frames) / seconds))

    env = dict(os.environ)
    env["GST_PLUGIN_PATH_1_0"] = os.path.join(BUILD, "gst", "stillframe")
    clips_dir = os.path.join(BUILD, "bench-clips")
    os.makedirs(clips_dir, exist_ok=True)

    rows = []
    names = QUICK if args.quick else list(SCENARIOS)
    for name in names:
        if args.only and args.only not in name:
            continue
        clip = os.path.join(clips_dir, name + ".mp4")
        labels = os.path.join(clips_dir, name + ".csv")
        if not os.path.exists(clip):
            run([os.path.join(BUILD, "tests", "stillframe-clipgen"),
                 *SCENARIOS[name].split(), "--labels", labels, clip])
        log = os.path.join(clips_dir, name + ".framelog.csv")
        elapsed = framelog(clip, log, env)
        frames = accuracy.read_framelog(log)
        truth = accuracy.truth_from_frames(labels, len(frames))
        fps = (len(frames) - 1) / ((frames[-1][0] - frames[0][0]) or 1)
        times = [i / fps for i in range(len(frames))]
        add_rows(name, clip, frames, truth, times, elapsed)

    for name, path in REAL_CLIPS.items():
        if args.only and args.only not in name:
            continue
        clip = os.path.join(REAL, path)
        annotations = os.path.join(os.path.dirname(clip), "annotations.csv")
        if not os.path.exists(clip):
            print(f"(skipping {name}: {clip} is not here)")
            continue
        log = os.path.join(clips_dir, name + ".framelog.csv")
        elapsed = framelog(clip, log, env)
        frames = accuracy.read_framelog(log)
        first = frames[0][0]
        times = [f[0] - first for f in frames]
        spans = accuracy.spans_from_annotations(annotations)
        truth = [any(s <= t < e for s, e in spans) for t in times]
        add_rows(name, clip, frames, truth, times, elapsed)

    print("| clip | tool | motion kept | far-static dropped | frames | "
          "fps (decode+analysis) |")
    print("|---|---|---|---|---|---|")
    for name, tool, r, fps in rows:
        print(f"| {name} | {tool} | {r['motion_kept']:.3f} "
              f"({r['motion_frames']}) | {r['far_static_dropped']:.3f} "
              f"({r['far_static_frames']}) | {r['frames']} | {fps:.0f} |")
    if not args.only:
        dvrscan_comparison(env)


if __name__ == "__main__":
    main()
