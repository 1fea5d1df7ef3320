#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs what is missing, builds, makes a one-minute 720p sample with two
# short events in sensor noise and lighting drift, trims it with the README
# pipeline and says what was kept.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh

out=build/demo
mkdir -p "$out"
sample="$out/sample.mp4"
trimmed="$out/sample-trimmed.mp4"
export GST_PLUGIN_PATH_1_0="$PWD/build/gst/stillframe${GST_PLUGIN_PATH_1_0:+:$GST_PLUGIN_PATH_1_0}"

echo "Making $sample: 60 s of 1280x720, noise, lighting drift, motion at 12-15 s and 40-42 s"
build/tests/stillframe-clipgen --width 1280 --height 720 --duration 60 \
  --noise 4 --drift 12 --drift-period 45 --motion 12-15,40-42 "$sample"

echo "Trimming:"
echo "  gst-launch-1.0 filesrc location=$sample ! decodebin ! videoconvert ! stillframedetect ! stillframecut \\"
echo "      ! x264enc ! mp4mux ! filesink location=$trimmed"
log="$out/demo.log"
gst-launch-1.0 -m filesrc location="$sample" ! decodebin ! videoconvert ! \
  stillframedetect ! stillframecut ! x264enc ! mp4mux ! \
  filesink location="$trimmed" > "$log" 2>&1 || { cat "$log"; exit 1; }

python3 - "$log" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ns(field, line):
    return int(re.search(field + r"=\(guint64\)(\d+)", line).group(1)) / 1e9
cuts = [l for l in text.splitlines() if "stillframe-cut," in l]
summary = [l for l in text.splitlines() if "stillframe-cut-summary" in l][0]
spans, t = [], 0.0
for l in cuts:
    start, stop = ns("start", l), ns("stop", l)
    if start > t:
        spans.append((t, start))
    t = stop
end = ns("duration-in", summary)
if t < end:
    spans.append((t, end))
print("Kept from the source:")
for a, b in spans:
    print("  %7.2f s - %7.2f s  (%.2f s)" % (a, b, b - a))
print("Kept %.2f s of %.2f s (%d of %d frames), %d static spans cut." % (
    ns("duration-out", summary), end,
    int(re.search(r"frames-out=\(guint64\)(\d+)", summary).group(1)),
    int(re.search(r"frames-in=\(guint64\)(\d+)", summary).group(1)),
    len(cuts)))
PY
echo "Output: $trimmed"
