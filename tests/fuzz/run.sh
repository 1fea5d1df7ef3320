#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Fuzzes the pipelines the CLI builds (scan, trim, trim --copy, and scan
# and trim --copy with --fast) with libFuzzer for SECONDS (default 600),
# starting from small clips generated here.
#   tests/fuzz/run.sh [SECONDS]
# Builds build-fuzz with clang, AddressSanitizer and UndefinedBehaviorSanitizer;
# findings (crash-*, timeout-*) land in build-fuzz/findings/.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-600}
if [ ! -d build-fuzz ]; then
  CXX=clang++ meson setup build-fuzz -Dfuzzing=enabled \
    -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
ninja -C build-fuzz tests/fuzz_trim tests/stillframe-clipgen gst/stillframe/libgststillframe.so

export GST_PLUGIN_SYSTEM_PATH_1_0=
export GST_PLUGIN_PATH_1_0="$PWD/build-fuzz/gst/stillframe:$(pkg-config --variable=pluginsdir gstreamer-1.0)"
export GST_REGISTRY_1_0="$PWD/build-fuzz/fuzz.registry"
export GST_REGISTRY_FORK=no
# The sanitizer runtimes are in the fuzzer itself; leaks in GLib's one-time
# allocations are not findings.
export ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
corpus=build-fuzz/corpus
findings=build-fuzz/findings
mkdir -p "$corpus" "$findings"
# Seeds: 1.5 s of tiny video in each container the CLI is tested with, once
# per mode (an input's first byte picks it: 0 scan, 1 trim, 2 trim --copy,
# 3 scan --fast, 4 trim --copy --fast).
clipgen=build-fuzz/tests/stillframe-clipgen
for ext in mp4 mkv; do
  if [ ! -s "$corpus/seed-copy-fast.$ext" ]; then
    "$clipgen" --width 64 --height 48 --fps 10 --duration 1.5 --noise 2 \
      --sync-marks --motion 0.5-1 "$corpus/clip.$ext" >/dev/null
    { printf '\000'; cat "$corpus/clip.$ext"; } > "$corpus/seed-scan.$ext"
    { printf '\001'; cat "$corpus/clip.$ext"; } > "$corpus/seed-trim.$ext"
    { printf '\002'; cat "$corpus/clip.$ext"; } > "$corpus/seed-copy.$ext"
    { printf '\003'; cat "$corpus/clip.$ext"; } > "$corpus/seed-scan-fast.$ext"
    { printf '\004'; cat "$corpus/clip.$ext"; } > "$corpus/seed-copy-fast.$ext"
    rm "$corpus/clip.$ext"
  fi
done

build-fuzz/tests/fuzz_trim -max_total_time="$seconds" -timeout=30 \
  -rss_limit_mb=4096 -max_len=200000 -len_control=0 -print_final_stats=1 \
  -artifact_prefix="$findings/" "$corpus"
