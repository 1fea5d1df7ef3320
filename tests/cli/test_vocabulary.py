# SPDX-License-Identifier: LGPL-2.1-or-later
"""The options users bring from DVR-Scan and auto-editor: --min-event,
--start/--end, and times in every form, on generated clips."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cliutil import (STILLFRAME, Clips, CliTestCase, load_json, probe,  # noqa: E402
                     run)

FPS = 25


def flutter_clip():
    """A 0.24 s flutter at 3 s, a 2 s crossing at 8 s, a 1 s one at 15 s."""
    return Clips.get("flutter.mp4", "--width", "320", "--height", "240",
                     "--fps", str(FPS), "--duration", "20", "--noise", "2",
                     "--sync-marks", "--motion", "3-3.24,8-10,15-16")


class MinEventTest(CliTestCase):

    def scan(self, *options):
        report = self.out("r.json")
        r = run(STILLFRAME, "scan", flutter_clip(), "-q", "--report", report,
                "--force", *options)
        self.assertEqual(r.returncode, 0, r.stderr)
        return load_json(report)

    def spans(self, rep):
        return [(round(e["start"], 2), round(e["end"], 2))
                for e in rep["events"]]

    def test_shorter_motion_is_no_event_and_not_kept(self):
        plain = self.scan()
        self.assertEqual(self.spans(plain), [(3.0, 3.24), (8.0, 10.0),
                                             (15.0, 16.0)])
        rep = self.scan("--min-event", "500ms")
        self.assertEqual(self.spans(rep), [(8.0, 10.0), (15.0, 16.0)])
        self.assertEqual(rep["settings"], {"min-motion-duration": "500000000"})
        # The flutter's second goes; the others keep their rolls.
        self.assertEqual([[round(a, 2), round(b, 2)] for a, b in rep["kept"]],
                         [[7.0, 11.0], [14.0, 17.0]])
        self.assertEqual(self.spans(self.scan("--min-event", "1.5s")),
                         [(8.0, 10.0)])

    def test_trim_keeps_what_scan_reports(self):
        out, report = self.out("o.mp4"), self.out("t.json")
        r = run(STILLFRAME, "trim", flutter_clip(), "-o", out, "-q",
                "--report", report, "--min-event", "0:00.5")
        self.assertEqual(r.returncode, 0, r.stderr)
        rep = load_json(report)
        self.assertEqual(len(rep["events"]), 2)
        self.assertEqual(probe(out)["frames"], 7 * FPS)
        self.assertEqual(rep["frames_out"], 7 * FPS)

    def test_bad_values(self):
        self.check(["scan", flutter_clip(), "--min-event", "soon"], 1,
                   "--min-event: 'soon' is not a time")
        self.check(["scan", flutter_clip(), "--min-event", "2h"], 1,
                   "--min-event: 2h is out of range (0 to 3600 s)")


class RangeTest(CliTestCase):
    """--start and --end: only that part is read, in the input's own time."""

    def test_scan_and_trim_read_only_the_range(self):
        report = self.out("r.json")
        r = run(STILLFRAME, "scan", flutter_clip(), "-q", "--report", report,
                "--start", "6", "--end", "0:12.5")
        self.assertEqual(r.returncode, 0, r.stderr)
        rep = load_json(report)
        self.assertEqual(rep["range"], {"start": 6.0, "end": 12.5})
        # The frames that start in [6, 12.5): 150 to 312.
        self.assertEqual(rep["frames_in"], 163)
        self.assertEqual([(e["start"], e["end"]) for e in rep["events"]],
                         [(8.0, 10.0)])
        self.assertEqual(rep["kept"], [[7.0, 11.0]])
        self.assertFalse(rep["damaged_input"])

        out = self.out("o.mp4")
        r = run(STILLFRAME, "trim", flutter_clip(), "-o", out, "-q",
                "--start", "2500ms", "--end", "9s", "--report", report,
                "--force")
        self.assertEqual(r.returncode, 0, r.stderr)
        rep = load_json(report)
        # The flutter and the crossing's start: kept 2.5-4.24 and 7-9.
        self.assertEqual(rep["events"][0]["start"], 3.0)
        self.assertEqual([[round(a, 2), round(b, 2)] for a, b in rep["kept"]],
                         [[2.5, 4.24], [7.0, 9.0]])
        got = probe(out)
        self.assertEqual(got["frames"], rep["frames_out"])
        self.assertEqual(got["frames"], round(3.74 * FPS))
        self.assertAlmostEqual(got["audio_end"], got["video_end"], delta=0.05)

    def test_fast_reads_the_same_range(self):
        reports = []
        for extra in ((), ("--fast",)):
            r = run(STILLFRAME, "scan", flutter_clip(), "-q", "--report", "-",
                    "--start", "6", "--end", "12.5", *extra)
            self.assertEqual(r.returncode, 0, r.stderr)
            reports.append(json.loads(r.stdout))
        full, fast = reports
        for key in ("kept", "events", "frames_in", "range"):
            self.assertEqual(full[key], fast[key], key)

    def test_only_an_end(self):
        report = self.out("r.json")
        r = run(STILLFRAME, "scan", flutter_clip(), "-q", "--report", report,
                "--end", "9")
        self.assertEqual(r.returncode, 0, r.stderr)
        rep = load_json(report)
        self.assertEqual(rep["range"], {"start": 0.0, "end": 9.0})
        self.assertEqual(rep["frames_in"], 9 * FPS)
        self.assertEqual(rep["events"][-1]["end"], 9.0)

    def test_refusals(self):
        clip = flutter_clip()
        self.check(["scan", clip, "--start", "5", "--end", "4"], 1,
                   "--end must come after --start")
        self.check(["scan", clip, "--start", "25"], 1,
                   "--start 0:00:25.000 is past the input's end")
        self.check(["trim", clip, "-o", self.out("o.mp4"), "--copy",
                    "--start", "5"], 1,
                   "--start and --end cannot be combined with --copy yet")
        self.check(["scan", clip, "--start", "soon"], 1,
                   "--start: 'soon' is not a time")
        with open(clip, "rb") as f:
            r = run(STILLFRAME, "scan", "-", "--start", "5", stdin=f)
        self.assertEqual(r.returncode, 1)
        self.assertIn("- is not a file, so it cannot be sought in", r.stderr)


class SpeedStaticTest(CliTestCase):
    """--speed-static: still spans fast-forwarded instead of cut out."""

    def test_static_spans_go_by_faster_in_sync(self):
        out, report = self.out("o.mp4"), self.out("r.json")
        r = run(STILLFRAME, "trim", flutter_clip(), "-o", out, "-q",
                "--report", report, "--speed-static", "8")
        self.assertEqual(r.returncode, 0, r.stderr)
        rep = load_json(report)
        self.assertEqual(rep["speed_static"], 8.0)
        kept_frames = round(sum(b - a for a, b in rep["kept"]) * FPS)
        # Each still span keeps its first frame and one in 8 after it.
        sped_frames = sum(-(-round((b - a) * FPS) // 8)
                          for a, b in rep["sped"])
        self.assertEqual(round(sum(b - a for a, b in rep["kept"]) +
                               sum(b - a for a, b in rep["sped"]), 2), 20.0)
        got = probe(out)
        self.assertEqual(got["frames"], kept_frames + sped_frames)
        self.assertEqual(rep["frames_out"], got["frames"])
        self.assertLess(got["frames"], 20 * FPS * 0.7)
        # Sync marks still line up with their beeps.
        self.assertEqual(len(got["video_marks"]), len(got["audio_marks"]))
        for v, a in zip(got["video_marks"], got["audio_marks"]):
            self.assertAlmostEqual(v, a, delta=0.005)
        self.assertAlmostEqual(got["audio_end"], got["video_end"], delta=0.05)
        # scan says what trim would keep.
        r = run(STILLFRAME, "scan", flutter_clip(), "-q", "--report", "-",
                "--speed-static", "8")
        self.assertEqual(r.returncode, 0, r.stderr)
        scanned = json.loads(r.stdout)
        self.assertEqual(scanned["frames_out"], got["frames"])
        self.assertEqual(scanned["sped"], rep["sped"])

    def test_refusals(self):
        clip = flutter_clip()
        for value in ("0.5", "-1", "2000", "fast"):
            self.check(["scan", clip, "--speed-static", value], 1,
                       "--speed-static: '" + value + "' must be 0 (cut static"
                       " spans out) or a speed from 1 to 1000")
        self.check(["trim", clip, "-o", self.out("o.mp4"), "--copy",
                    "--speed-static", "4"], 1,
                   "--speed-static cannot be combined with --copy")
        self.check(["scan", clip, "--timeline", self.out("t.otio"),
                    "--speed-static", "4"], 1,
                   "--speed-static cannot be combined with --copy, --split "
                   "or --timeline yet")


if __name__ == "__main__":
    try:
        unittest.main()
    finally:
        Clips.remove()
