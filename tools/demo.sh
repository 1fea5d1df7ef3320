#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs what is missing, builds, makes a one-minute 720p sample with sound
# and two short events in sensor noise and lighting drift, trims it with
# `stillframe trim` and says what was kept.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh

out=build/demo
mkdir -p "$out"
sample="$out/sample.mkv"
trimmed="$out/sample-trimmed.mp4"
report="$out/sample-trimmed.json"
export GST_PLUGIN_PATH_1_0="$PWD/build/gst/stillframe${GST_PLUGIN_PATH_1_0:+:$GST_PLUGIN_PATH_1_0}"

echo "Making $sample: 60 s of 1280x720 with sound, noise, lighting drift,"
echo "and motion at 12-15 s and 40-42 s"
build/tests/stillframe-clipgen --width 1280 --height 720 --duration 60 \
  --noise 4 --drift 12 --drift-period 45 --motion 12-15,40-42 --sync-marks \
  "$sample"

echo
echo "stillframe trim $sample -o $trimmed --report $report"
build/tools/stillframe trim "$sample" -o "$trimmed" --report "$report" --force

python3 - "$report" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("\nKept from the source:")
for a, b in r["kept"]:
    print("  %7.2f s - %7.2f s  (%.2f s)" % (a, b, b - a))
print("Events:")
for e in r["events"]:
    box = e["box"]
    print("  %7.2f s - %7.2f s  peak score %.4f  box %dx%d at %d,%d" % (
        e["start"], e["end"], e["peak_score"], box["width"], box["height"],
        box["x"], box["y"]))
print("Kept %.2f s of %.2f s (%d of %d frames)." % (
    r["duration_out"], r["duration_in"], r["frames_out"], r["frames_in"]))
PY
echo "Output: $trimmed (report: $report)"
