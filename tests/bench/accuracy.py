#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Scores a stillframe-framelog CSV against ground truth.

Truth is either per-frame (--frames: CSV with frame,motion, frame = index in
presentation order) or time spans (--annotations: CSV with start_s and
end_s_exclusive, seconds from the first frame; rows whose label starts with
"nuisance" are not motion). Prints motion frames kept and far-static frames
(more than --far seconds from any motion) dropped.
"""
import argparse
import csv
import json
import sys


def read_framelog(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return [(float(r["pts_s"]), float(r["score"]), r["motion"] == "1",
             r["kept"] == "1") for r in rows]


def truth_from_frames(path, count):
    with open(path, newline="") as f:
        labels = {int(r["frame"]): r["motion"] == "1" for r in csv.DictReader(f)}
    return [labels.get(i, False) for i in range(count)]


def spans_from_annotations(path):
    with open(path, newline="") as f:
        return [(float(r["start_s"]), float(r["end_s_exclusive"]))
                for r in csv.DictReader(f)
                if not r.get("label", "").startswith("nuisance")]


def score(frames, truth, times, far):
    motion_times = [t for t, m in zip(times, truth) if m]
    motion_kept = sum(1 for f, m in zip(frames, truth) if m and f[3])
    motion_detected = sum(1 for f, m in zip(frames, truth) if m and f[2])
    motion_total = sum(truth)
    far_static = [f for f, t, m in zip(frames, times, truth)
                  if not m and all(abs(t - mt) > far for mt in motion_times)]
    far_dropped = sum(1 for f in far_static if not f[3])
    return {
        "frames": len(frames),
        "motion_frames": motion_total,
        "motion_kept": motion_kept / motion_total if motion_total else 1.0,
        "motion_detected": motion_detected / motion_total if motion_total else 1.0,
        "far_static_frames": len(far_static),
        "far_static_dropped": far_dropped / len(far_static) if far_static else 1.0,
        "kept_share": sum(1 for f in frames if f[3]) / max(1, len(frames)),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("framelog")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--frames")
    group.add_argument("--annotations")
    parser.add_argument("--far", type=float, default=2.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    frames = read_framelog(args.framelog)
    if not frames:
        sys.exit("empty framelog")
    first = frames[0][0]
    times = [f[0] - first for f in frames]
    if args.frames:
        truth = truth_from_frames(args.frames, len(frames))
        fps = (len(frames) - 1) / (times[-1] or 1)
        times = [i / fps for i in range(len(frames))]
    else:
        spans = spans_from_annotations(args.annotations)
        truth = [any(s <= t < e for s, e in spans) for t in times]
    result = score(frames, truth, times, args.far)
    if args.json:
        print(json.dumps(result))
    else:
        print("motion kept %.3f (detected %.3f) of %d; far-static dropped %.3f "
              "of %d; kept %.3f of all" % (
                  result["motion_kept"], result["motion_detected"],
                  result["motion_frames"], result["far_static_dropped"],
                  result["far_static_frames"], result["kept_share"]))


if __name__ == "__main__":
    main()
