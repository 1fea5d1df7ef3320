#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs what is missing, builds, runs every test, and ends with a
# "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh || { echo "0 passed, 1 failed"; exit 1; }

meson test -C build --print-errorlogs "$@"
status=$?
logs=(build/meson-logs/testlog.json)

# The full run (no arguments) repeats the suite under AddressSanitizer +
# UndefinedBehaviorSanitizer and the element tests under valgrind memcheck.
if [ $# -eq 0 ]; then
  if [ ! -f build-asan/build.ninja ]; then
    meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false \
      >/dev/null
  fi
  if ninja -C build-asan >/dev/null; then
    meson test -C build-asan --setup sanitizers --print-errorlogs || status=1
    logs+=(build-asan/meson-logs/testlog-sanitizers.json)
  else
    echo "the sanitizer build failed"; status=1
  fi
  meson test -C build --setup valgrind --print-errorlogs \
    stillframedetect stillframecut robustness || status=1
  logs+=(build/meson-logs/testlog-valgrind.json)
fi

python3 - "${logs[@]}" <<'PY'
# Counts test cases, not executables: GstCheck and GoogleTest report theirs.
import json, re, sys
passed = failed = skipped = 0
lines = [line for path in sys.argv[1:] for line in open(path)]
for line in lines:
    entry = json.loads(line)
    out = (entry.get("stdout") or "") + (entry.get("stderr") or "")
    result = entry["result"]
    check = re.search(r"Checks: (\d+), Failures: (\d+), Errors: (\d+)", out)
    unittest = re.search(r"^Ran (\d+) tests? in", out, re.M)
    gtest_ok = re.search(r"\[  PASSED  \] (\d+) test", out)
    gtest_bad = re.search(r"\[  FAILED  \] (\d+) test", out)
    if result == "SKIP":
        skipped += 1
    elif check:
        bad = int(check.group(2)) + int(check.group(3))
        passed += int(check.group(1)) - bad
        failed += bad or (result != "OK")
    elif unittest:
        total = int(unittest.group(1))
        counts = {k: int(v) for k, v in
                  re.findall(r"(failures|errors|skipped)=(\d+)", out)}
        bad = counts.get("failures", 0) + counts.get("errors", 0)
        skipped += counts.get("skipped", 0)
        passed += total - bad - counts.get("skipped", 0)
        failed += bad or (result != "OK")
    elif gtest_ok or gtest_bad:
        passed += int(gtest_ok.group(1)) if gtest_ok else 0
        failed += int(gtest_bad.group(1)) if gtest_bad else (result != "OK")
    elif result in ("OK", "EXPECTEDFAIL"):
        passed += 1
    else:
        failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
