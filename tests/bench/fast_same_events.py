#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""--fast finds what a full decode finds: `scan` and `scan --fast` on every
clip of the accuracy suite (made by run_accuracy.py into build/bench-clips)
and on ../shared/data/real (when present); per clip, the events (count;
starts and ends within one frame), the kept spans, and the share --fast
decoded, with its fallback.

Run from the repository root after building (and after run_accuracy.py has
made its clips)."""
import glob
import os
import sys
import tempfile

from benchenv import BUILD, REAL, same_events, scan


def main():
    clips = sorted(glob.glob(os.path.join(BUILD, "bench-clips", "*.mp4")))
    clips += sorted(p for p in glob.glob(os.path.join(REAL, "*", "*"))
                    if p.endswith((".mp4", ".avi", ".mkv")))
    if not clips:
        print("no clips: run tests/bench/run_accuracy.py first")
        return 1
    print("| clip | events | same with --fast | kept spans equal | frames "
          "decoded | fallback |\n|---|---|---|---|---|---|")
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for clip in clips:
            full = scan(clip, os.path.join(tmp, "full.json"))
            fast = scan(clip, os.path.join(tmp, "fast.json"), "--fast")
            ok = same_events(full, fast)
            failed += not ok
            decoded = fast["decoded"]
            print(f"| {os.path.basename(clip)} | {len(full['events'])} | "
                  f"{'yes' if ok else 'NO'} | "
                  f"{'yes' if full['kept'] == fast['kept'] else 'no'} | "
                  f"{decoded['share']:.1%} | {decoded['fallback'] or ''} |",
                  flush=True)
    print(f"\n{len(clips) - failed} of {len(clips)} clips: the same events")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
