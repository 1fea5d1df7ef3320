# SPDX-License-Identifier: LGPL-2.1-or-later
"""The examples do what their docs say: the Python one prints the events
the CLI finds, the C one passes only the moving frames to its stage."""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cliutil import STILLFRAME, Clips, CliTestCase, load_json, run  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
PRINT_EVENTS = os.path.join(ROOT, "examples", "python", "print_events.py")
SKIP_STATIC = os.environ.get("SKIP_STATIC", "build/examples/skip_static")
# PyGObject is Debian's, for Debian's python3.
SYSTEM_PYTHON = "/usr/bin/python3"
FPS = 25


def clip():
    return Clips.get("events.mp4", "--width", "320", "--height", "240",
                     "--fps", str(FPS), "--duration", "14", "--noise", "2",
                     "--motion", "3-4,9-10.5")


class ExamplesTest(CliTestCase):

    def report(self):
        path = self.out("r.json")
        r = run(STILLFRAME, "scan", clip(), "-q", "--report", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        return load_json(path)

    def test_python_prints_the_events_the_cli_finds(self):
        if not os.path.exists(SYSTEM_PYTHON):
            self.skipTest("no /usr/bin/python3 with PyGObject")
        r = run(SYSTEM_PYTHON, PRINT_EVENTS, clip())
        self.assertEqual(r.returncode, 0, r.stderr)
        events = [(float(a), float(b)) for a, b in re.findall(
            r"^event \d+: ([\d.]+) s to ([\d.]+) s$", r.stdout, re.M)]
        rep = self.report()
        self.assertEqual(len(events), len(rep["events"]))
        for (start, end), e in zip(events, rep["events"]):
            self.assertAlmostEqual(start, e["start"], delta=0.5 / FPS)
            self.assertAlmostEqual(end, e["end"], delta=0.5 / FPS)
        m = re.search(r"^(\d+) frames analysed, (\d+) with motion$",
                      r.stdout, re.M)
        self.assertEqual(int(m.group(1)), rep["frames_in"])
        self.assertEqual(int(m.group(2)), round(sum(
            e["end"] - e["start"] for e in rep["events"]) * FPS))
        self.assertRegex(r.stdout, r"biggest box: \d+x\d+ at \d+,\d+")
        self.assertRegex(r.stdout, r"cut: \d+ of 350 frames kept")

    def test_c_passes_only_moving_frames_to_its_stage(self):
        r = run(SKIP_STATIC, clip())
        self.assertEqual(r.returncode, 0, r.stderr)
        m = re.match(r"(\d+) frames decoded, (\d+) reached the stage, (\d+) "
                     r"skipped \(([\d.]+)%\)", r.stdout)
        self.assertIsNotNone(m, r.stdout)
        frames_in, staged, skipped = (int(m.group(i)) for i in (1, 2, 3))
        rep = self.report()
        moving = round(sum(e["end"] - e["start"]
                           for e in rep["events"]) * FPS)
        self.assertEqual(frames_in, rep["frames_in"])
        self.assertEqual(staged, moving)
        self.assertEqual(skipped, frames_in - moving)
        r = run(SKIP_STATIC, self.out("missing.mp4"))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("error:", r.stderr)


if __name__ == "__main__":
    try:
        unittest.main()
    finally:
        Clips.remove()
