# SPDX-License-Identifier: LGPL-2.1-or-later
"""What stillframe hands to other programs: timelines an editor opens (each
read back, the .xges rendered by GES), per-frame scores and the visual
report."""
import csv
import json
import os
import re
import shutil
import sys
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cliutil import (STILLFRAME, Clips, CliTestCase, load_json, probe,  # noqa: E402
                     run)

FPS = 25


def talking_clip():
    """Audio, two events, 25 fps."""
    return Clips.get("talking.mp4", "--width", "320", "--height", "240",
                     "--fps", str(FPS), "--duration", "14", "--noise", "2",
                     "--sync-marks", "--motion", "3-4,9-10")


def silent_clip():
    """No audio, 30000/1001 fps, one event."""
    return Clips.made_by(
        "silent.mp4", "gst-launch-1.0", "-q", "videotestsrc",
        "pattern=solid-color", "num-buffers=300", "!",
        "video/x-raw,width=320,height=240,framerate=30000/1001", "!",
        "videoconvert", "!", "x264enc", "!", "mp4mux", "!",
        "filesink", "location={out}")


def moving_silent_clip():
    return Clips.get("moving-silent.mp4", "--width", "320", "--height", "240",
                     "--fps", "30", "--duration", "8", "--noise", "2",
                     "--motion", "4-5")


def frames(seconds, rate):
    return round(seconds * rate)


def report_spans(report, rate):
    """A report's kept spans in frames: (first, count)."""
    return [(frames(s, rate), frames(e, rate) - frames(s, rate))
            for s, e in report["kept"]]


def edl_edits(text):
    """(clip name, source in, source out) of each edit, in frames."""
    edits, rate = [], FPS
    for line in text.splitlines():
        m = re.match(r"^(\d{3})  AX\s+(\S+)\s+C\s+(\S+) (\S+) (\S+) (\S+)$",
                     line)
        if m:
            edits.append([None, m.group(2), *m.group(3, 4, 5, 6)])
        elif line.startswith("* FROM CLIP NAME: "):
            edits[-1][0] = line[len("* FROM CLIP NAME: "):]

    def tc(text):
        h, m, s, f = (int(x) for x in text.split(":"))
        return ((h * 60 + m) * 60 + s) * rate + f
    return [(e[0], e[1], tc(e[2]), tc(e[3]), tc(e[4]), tc(e[5]))
            for e in edits]


def fcp_frames(text, rate):
    """FCPXML's "N/Ds" (or "0s") in frames of `rate`."""
    m = re.fullmatch(r"(\d+)(?:/(\d+))?s", text)
    value = int(m.group(1)) / int(m.group(2) or 1)
    return round(value * rate)


class TimelineTest(CliTestCase):
    """--timeline: the kept spans as cuts of the original media."""

    def scan(self, timeline, *inputs, extra=()):
        reports = self.out("reports")
        r = run(STILLFRAME, "scan", *inputs, "-q", "--report", reports,
                "--timeline", timeline, *extra)
        self.assertEqual(r.returncode, 0, r.stderr)
        return {name: load_json(os.path.join(reports, name + ".json"))
                for name in ("talking", "moving-silent")}

    def test_otio_reads_back_as_the_reported_spans(self):
        timeline = self.out("cut.otio")
        reports = self.scan(timeline, talking_clip(), moving_silent_clip())
        doc = load_json(timeline)
        self.assertEqual(doc["OTIO_SCHEMA"], "Timeline.1")
        video, audio = doc["tracks"]["children"]
        self.assertEqual((video["kind"], audio["kind"]), ("Video", "Audio"))
        spans = [(c["name"], c["source_range"]["start_time"]["value"],
                  c["source_range"]["duration"]["value"],
                  c["source_range"]["start_time"]["rate"])
                 for c in video["children"]]
        expected = [("talking.mp4", f, n, FPS) for f, n in
                    report_spans(reports["talking"], FPS)] + \
            [("moving-silent.mp4", f, n, 30) for f, n in
             report_spans(reports["moving-silent"], 30)]
        self.assertEqual(spans, expected)
        self.assertEqual(len(spans), 3)
        # Audio only where the media has it, at the same ranges.
        self.assertEqual([(c["name"], c["source_range"]) for c in
                          audio["children"]],
                         [(c["name"], c["source_range"]) for c in
                          video["children"] if c["name"] == "talking.mp4"])
        markers = [m for c in video["children"] for m in c["markers"]]
        self.assertEqual(len(markers), 3)
        first = reports["talking"]["events"][0]
        self.assertEqual(markers[0]["marked_range"]["start_time"]["value"],
                         frames(first["start"], FPS))
        self.assertAlmostEqual(
            markers[0]["metadata"]["stillframe"]["peak_score"],
            first["peak_score"], places=6)
        url = video["children"][0]["media_reference"]["target_url"]
        self.assertEqual(url, "file://" + os.path.realpath(talking_clip()))

    def test_edl_reads_back_as_the_reported_spans(self):
        timeline = self.out("cut.edl")
        reports = self.scan(timeline, talking_clip(), moving_silent_clip())
        with open(timeline) as f:
            edits = edl_edits(f.read())
        spans = [(name, channels, sin, sout - sin)
                 for name, channels, sin, sout, _, _ in edits]
        expected = [("talking.mp4", "AA/V", f, n) for f, n in
                    report_spans(reports["talking"], FPS)] + \
            [("moving-silent.mp4", "V", f, n) for f, n in
             report_spans(reports["moving-silent"], 30)]
        # The 30 fps clip's timecodes count its own frames (30 a second).
        self.assertEqual(spans[:2], expected[:2])
        name, channels, sin, sout, _, _ = edits[2]
        tc_rate_in = (sin // FPS) * 30 + sin % FPS
        tc_rate_out = (sout // FPS) * 30 + sout % FPS
        self.assertEqual((name, channels, tc_rate_in,
                          tc_rate_out - tc_rate_in), expected[2])
        # Record times run on without a gap.
        for before, after in zip(edits, edits[1:]):
            self.assertEqual(before[5], after[4])

    def test_fcpxml_reads_back_as_the_reported_spans(self):
        timeline = self.out("cut.fcpxml")
        reports = self.scan(timeline, talking_clip(), moving_silent_clip())
        root = ET.parse(timeline).getroot()
        self.assertEqual(root.tag, "fcpxml")
        assets = {a.get("id"): a for a in root.iter("asset")}
        clips = list(root.iter("asset-clip"))
        rates = {"talking.mp4": FPS, "moving-silent.mp4": 30}
        spans = [(c.get("name"), fcp_frames(c.get("start"),
                                            rates[c.get("name")]),
                  fcp_frames(c.get("duration"), rates[c.get("name")]))
                 for c in clips]
        expected = [("talking.mp4", f, n) for f, n in
                    report_spans(reports["talking"], FPS)] + \
            [("moving-silent.mp4", f, n) for f, n in
             report_spans(reports["moving-silent"], 30)]
        self.assertEqual(spans, expected)
        self.assertEqual(assets[clips[0].get("ref")].get("hasAudio"), "1")
        self.assertIsNone(assets[clips[-1].get("ref")].get("hasAudio"))
        self.assertEqual(len(list(root.iter("marker"))), 3)
        src = assets[clips[0].get("ref")].find("media-rep").get("src")
        self.assertEqual(src, "file://" + os.path.realpath(talking_clip()))

    def test_xges_renders_the_frames_trim_keeps(self):
        if not shutil.which("ges-launch-1.0"):
            self.skipTest("ges-launch-1.0 is not installed (ges1.0-tools)")
        out, timeline = self.out("out.mp4"), self.out("cut.xges")
        r = run(STILLFRAME, "trim", talking_clip(), "-o", out, "-q",
                "--timeline", timeline)
        self.assertEqual(r.returncode, 0, r.stderr)
        trimmed = probe(out)
        rendered = self.out("rendered.mkv")
        r = run("ges-launch-1.0", "--load", timeline, "--outputuri",
                "file://" + rendered, "--format",
                "video/x-matroska:video/x-h264:audio/x-vorbis", timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        got = probe(rendered)
        self.assertEqual(got["frames"], trimmed["frames"])
        self.assertGreater(got["frames"], 0)
        self.assertAlmostEqual(got["audio_end"], trimmed["audio_end"],
                               delta=0.1)
        with open(timeline) as f:
            project = f.read()
        self.assertEqual(project.count("<clip "), 2)
        # The events as timeline markers, where Pitivi shows them.
        self.assertEqual(project.count("marker-times, position="), 2)
        self.assertIn("peak\\\\ score", project)

    def test_ges_is_not_linked_only_opened_for_a_project(self):
        # GES brings Python and ICU with it: opened for .xges only, it is
        # not linked (the timeline above shows it opens when asked).
        if not shutil.which("ldd"):
            self.skipTest("ldd is not installed")
        r = run("ldd", STILLFRAME)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("libgstreamer-1.0", r.stdout)
        self.assertNotIn("libges-1.0", r.stdout)
        self.assertNotIn("libpython", r.stdout)

    def test_refusals(self):
        clip = talking_clip()
        self.check(["scan", clip, "--timeline", self.out("cut.xml")], 1,
                   "--timeline " + self.out("cut.xml") + ": unknown format "
                   "(use .otio, .edl, .fcpxml or .xges)")
        with open(clip, "rb") as f:
            r = run(STILLFRAME, "scan", "-", "--timeline", self.out("c.otio"),
                    stdin=f)
        self.assertEqual(r.returncode, 1)
        self.assertIn("--timeline: - is not a file, so an editor cannot "
                      "open it", r.stderr)
        existing = self.out("mine.otio")
        with open(existing, "w") as f:
            f.write("my own")
        self.check(["scan", clip, "--timeline", existing], 1,
                   "exists (use --force to overwrite)")
        with open(existing) as f:
            self.assertEqual(f.read(), "my own")
        named_like_one = self.out("clip.otio")
        os.symlink(clip, named_like_one)
        self.check(["scan", named_like_one, "--timeline", named_like_one], 1,
                   "would overwrite the input")
        self.assertFalse(os.path.exists(self.out("cut.xml")))


def jpeg_size(data):
    """(width, height) from a JPEG's start-of-frame, or None."""
    if data[:2] != b"\xff\xd8":
        return None
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker, length = data[i + 1], int.from_bytes(data[i + 2:i + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            return (int.from_bytes(data[i + 7:i + 9], "big"),
                    int.from_bytes(data[i + 5:i + 7], "big"))
        i += 2 + length
    return None


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return (int.from_bytes(head[16:20], "big"),
            int.from_bytes(head[20:24], "big"))


class ScoresTest(CliTestCase):
    """--scores: one row per analysed frame, what the detector said."""

    def test_a_row_per_frame_agreeing_with_the_events(self):
        scores, report = self.out("s.csv"), self.out("r.json")
        r = run(STILLFRAME, "scan", talking_clip(), "-q", "--scores", scores,
                "--report", report)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(scores, newline="") as f:
            rows = list(csv.DictReader(f))
        rep = load_json(report)
        self.assertEqual(len(rows), rep["frames_in"])
        self.assertEqual(list(rows[0]), ["time_s", "score", "motion",
                                         "noise_level", "light_change", "x",
                                         "y", "width", "height", "decoded"])
        times = [float(row["time_s"]) for row in rows]
        self.assertEqual(times, sorted(times))
        self.assertAlmostEqual(times[1] - times[0], 1 / FPS, places=5)
        for e in rep["events"]:
            inside = [row for row in rows
                      if e["start"] <= float(row["time_s"]) < e["end"]]
            self.assertTrue(all(row["motion"] == "1" for row in inside))
            self.assertAlmostEqual(max(float(row["score"]) for row in inside),
                                   e["peak_score"], places=6)
        moving = sum(row["motion"] == "1" for row in rows)
        self.assertEqual(moving, round(sum(e["end"] - e["start"]
                                           for e in rep["events"]) * FPS))
        self.assertTrue(all(row["decoded"] == "1" for row in rows))
        self.assertGreater(float(rows[-1]["noise_level"]), 0)

    def test_several_inputs_write_a_folder_and_refusals(self):
        folder = self.out("scores")
        r = run(STILLFRAME, "scan", talking_clip(), moving_silent_clip(),
                "-q", "--scores", folder)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(os.listdir(folder)),
                         ["moving-silent.csv", "talking.csv"])
        existing = self.out("mine.csv")
        with open(existing, "w") as f:
            f.write("my own")
        self.check(["scan", talking_clip(), "--scores", existing], 1,
                   "exists (use --force to overwrite)")
        self.check(["scan", talking_clip(), "--scores", "-"], 1,
                   "--scores needs a file name")
        self.check(["scan", talking_clip(), "--scores", existing, "--csv",
                    existing], 1, "--scores and --csv would both be written to")


class HtmlTest(CliTestCase):
    """--html: a page per input with the plot, a picture per event and the
    table, looked at in headless Chromium."""

    def test_page_has_a_picture_per_event_and_chromium_shows_it(self):
        page, report = self.out("talking.html"), self.out("r.json")
        r = run(STILLFRAME, "trim", talking_clip(), "-o", self.out("o.mp4"),
                "-q", "--html", page, "--report", report)
        self.assertEqual(r.returncode, 0, r.stderr)
        rep = load_json(report)
        with open(page) as f:
            html = f.read()
        images = re.findall(r'<image class="thumbnail" width="(\d+)" '
                            r'height="(\d+)" href="data:image/jpeg;base64,'
                            r'([^"]+)"', html)
        self.assertEqual(len(images), len(rep["events"]))
        self.assertEqual(len(images), 2)
        import base64
        for width, height, data in images:
            self.assertEqual((width, height), ("320", "240"))
            self.assertEqual(jpeg_size(base64.b64decode(data)), (320, 240))
        self.assertEqual(html.count('class="kept"'), len(rep["kept"]))
        self.assertEqual(html.count('<rect class="box"'), 2)
        self.assertIn("Kept 0:00:", html)
        browser = shutil.which("chromium")
        if not browser:
            self.skipTest("chromium is not installed")
        flags = ("--headless", "--no-sandbox", "--disable-gpu",
                 "--user-data-dir=" + self.out("chromium"))
        # Not under the sanitizers the suite may preload for our own tools.
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
        shot = self.out("shot.png")
        r = run(browser, *flags, "--screenshot=" + shot,
                "--window-size=1200,900", "file://" + page, timeout=120,
                env=env)
        self.assertEqual(png_size(shot), (1200, 900), r.stderr)
        # What Chromium made of the page: the same pictures and rows.
        r = run(browser, *flags, "--dump-dom", "file://" + page, timeout=120,
                env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.count('<image class="thumbnail"'), 2)
        self.assertEqual(r.stdout.count('<tr><td><a href="#event-'), 2)

    def test_several_inputs_have_an_index(self):
        folder = self.out("pages")
        r = run(STILLFRAME, "scan", talking_clip(), moving_silent_clip(),
                "-q", "--html", folder)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(os.listdir(folder)),
                         ["index.html", "moving-silent.html", "talking.html"])
        with open(os.path.join(folder, "index.html")) as f:
            index = f.read()
        self.assertIn('<a href="talking.html">', index)
        self.assertIn('<a href="moving-silent.html">', index)
        r = run(STILLFRAME, "scan", talking_clip(), moving_silent_clip(),
                "-q", "--html", folder)
        self.assertEqual(r.returncode, 1)
        self.assertIn("exists (use --force to overwrite)", r.stderr)


if __name__ == "__main__":
    try:
        unittest.main()
    finally:
        Clips.remove()
