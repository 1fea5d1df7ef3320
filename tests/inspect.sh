#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# gst-inspect-1.0 loads the plugin file and both elements cleanly, and every
# property has a description.
set -euo pipefail
plugin="$1"
out=$(gst-inspect-1.0 "$plugin" 2>&1)
echo "$out" | grep -q "stillframedetect" || { echo "$out"; exit 1; }
echo "$out" | grep -q "stillframecut" || { echo "$out"; exit 1; }
for element in stillframedetect stillframecut; do
  if ! out=$(gst-inspect-1.0 "$element" 2>&1); then
    echo "$out"; exit 1
  fi
  if echo "$out" | grep -qiE "critical|warning|\(null\)"; then
    echo "$out"; exit 1
  fi
  echo "$element: OK"
done
