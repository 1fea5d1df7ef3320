#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by tools/demo.sh and tools/test.sh: installs the Debian 12 packages
# stillframe needs (only those missing) and configures + builds into build/.
set -euo pipefail

PACKAGES=(
  meson ninja-build pkg-config g++ python3
  libglib2.0-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
  libopencv-dev libgtest-dev valgrind util-linux ffmpeg
  gir1.2-gst-rtsp-server-1.0 python3-gi libges-1.0-dev ges1.0-tools chromium
  slurm-wlm munge strace
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
  meson setup build >/dev/null
fi
ninja -C build >/dev/null
