#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs what is missing, builds, runs every test, and ends with a
# "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh || { echo "0 passed, 1 failed"; exit 1; }

meson test -C build --print-errorlogs "$@"
status=$?

python3 - build/meson-logs/testlog.json <<'PY'
# Counts test cases, not executables: GstCheck and GoogleTest report theirs.
import json, re, sys
passed = failed = skipped = 0
for line in open(sys.argv[1]):
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
