# SPDX-License-Identifier: LGPL-2.1-or-later
"""--fast: decoding only the GOPs that may hold motion must find the events
a full decode finds, frame for frame, and say what it decoded."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cliutil import (AVPROBE, Clips, CliTestCase, load_json, probe,  # noqa: E402
                     run)

FPS = 25
SMALL = ("--width", "320", "--height", "240", "--fps", str(FPS),
         "--duration", "60")

# Each scene of the accuracy suite that a gate could get wrong, small, and
# whether some of it goes undecoded (a light that drifts all along changes
# at every keyframe).
SCENES = {
    "quiet.mp4": (True, "--noise", "2", "--motion", "8-10,20-21"),
    "creep.mp4": (True, "--noise", "2", "--motion", "6-26", "--box-speed",
                  "0.005"),
    "night.mp4": (True, "--noise", "8", "--motion", "10-13", "--box-size",
                  "0.08", "--box-contrast", "30"),
    "lighting.mp4": (False, "--noise", "2", "--drift", "30",
                     "--drift-period", "12", "--shadow", "4-24", "--motion",
                     "15-17"),
    "h265.mp4": (True, "--noise", "2", "--motion", "8-10,20-21", "--h265"),
    "cbr.mp4": (True, "--noise", "2", "--motion", "8-10,20-21", "--cbr",
                "--bitrate", "300"),
    # Crosses between two keyframes (10 s and 12 s), which look alike: only
    # its packets give it away (a low-noise camera's).
    "between-keyframes.mp4": (True, "--noise", "0", "--motion", "10.3-11.5",
                              "--box-speed", "1.0"),
}


def scene(name):
    return Clips.get(name, *SMALL, *SCENES[name][1:])


def slices(path):
    out = run(AVPROBE, "--slices", path)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


class FastTest(CliTestCase):

    def scan(self, clip, *options):
        report = self.out(os.path.basename(clip) + ".json")
        self.check(["scan", clip, "-q", "-y", "--report", report, *options],
                   0, "", lines=0)
        return load_json(report)

    def assert_same_events(self, full, fast):
        self.assertEqual(len(full["events"]), len(fast["events"]),
                         (full["events"], fast["events"]))
        for a, b in zip(full["events"], fast["events"]):
            self.assertAlmostEqual(a["start"], b["start"], delta=1.0 / FPS)
            self.assertAlmostEqual(a["end"], b["end"], delta=1.0 / FPS)
        self.assertEqual(full["kept"], fast["kept"])
        self.assertEqual(full["frames_in"], fast["frames_in"])

    def test_same_events_as_a_full_decode(self):
        for name in SCENES:
            with self.subTest(name):
                clip = scene(name)
                full, fast = self.scan(clip), self.scan(clip, "--fast")
                self.assert_same_events(full, fast)
                self.assertNotIn("decoded", full)
                decoded = fast["decoded"]
                self.assertIsNone(decoded["fallback"])
                self.assertEqual(decoded["frames"], fast["frames_in"])
                skips = SCENES[name][0]
                self.assertEqual(decoded["frames_decoded"] < decoded["frames"],
                                 skips, decoded)

    def test_quiet_gops_are_not_decoded(self):
        clip = Clips.get("long-quiet.mp4", "--width", "320", "--height",
                         "240", "--fps", str(FPS), "--duration", "90",
                         "--noise", "2", "--motion", "44-46")
        full, fast = self.scan(clip), self.scan(clip, "--fast")
        self.assert_same_events(full, fast)
        decoded = fast["decoded"]
        # The first and last two GOPs, and those around the event.
        self.assertGreaterEqual(decoded["gops"], 45)
        self.assertLessEqual(decoded["gops_decoded"], 12, decoded)
        self.assertLess(decoded["share"], 0.3, decoded)
        # The look-ahead held every verdict a fate waited for.
        self.assertEqual(decoded["forced_gops"], 0, decoded)
        # What it could have missed: a crossing within one GOP (50 frames).
        self.assertAlmostEqual(decoded["longest_skipped_gop"], 50 / FPS,
                               delta=0.5 / FPS)
        self.assertIn("--fast skipped GOPs of up to 2.00 s", fast["notes"][-1])
        # --scores marks the frames it did not decode; --html's picture of
        # the event comes from a decoded one.
        scores, page = self.out("s.csv"), self.out("p.html")
        self.scan(clip, "--fast", "--scores", scores, "--html", page)
        with open(scores) as f:
            rows = f.read().splitlines()[1:]
        self.assertEqual(len(rows), decoded["frames"])
        self.assertEqual(sum(r.endswith(",1") for r in rows),
                         decoded["frames_decoded"])
        with open(page) as f:
            self.assertEqual(f.read().count('<image class="thumbnail"'), 1)

    def test_intra_refresh_falls_back_to_a_full_decode(self):
        clip = Clips.get("intra-refresh.mp4", *SMALL, "--noise", "2",
                         "--motion", "12-14", "--intra-refresh")
        full, fast = self.scan(clip), self.scan(clip, "--fast")
        self.assert_same_events(full, fast)
        self.assertIn("intra refresh", fast["decoded"]["fallback"])
        self.assertEqual(fast["decoded"]["share"], 1.0)
        self.assertEqual(fast["decoded"]["longest_skipped_gop"], 0)
        self.assertTrue(any("--fast decoded every GOP" in n
                            for n in fast["notes"]), fast["notes"])

    def test_a_gop_longer_than_the_look_ahead_does_not_stall_the_scan(self):
        # Keyframes every 2 s, then one GOP of 30 s: the fate of the GOP
        # before it waits for the keyframe after it, which the demuxer
        # cannot reach before the decode queue (20 s) is full. That GOP is
        # decoded instead of waiting.
        clip = Clips.made_by(
            "long-gop.mp4", "ffmpeg", "-v", "error", "-y", "-f", "lavfi",
            "-i", "color=c=gray:s=320x240:r=25:d=60,noise=alls=8:allf=t",
            "-c:v", "libx264", "-preset", "veryfast", "-bf", "0",
            "-x264-params", "keyint=2000:scenecut=0", "-force_key_frames",
            "0,2,4,6,8,10,12,14,16,18,20,50", "-pix_fmt", "yuv420p",
            "{out}")
        full, fast = self.scan(clip), self.scan(clip, "--fast")
        self.assert_same_events(full, fast)
        decoded = fast["decoded"]
        self.assertEqual(decoded["long_gops"], 1, decoded)
        self.assertGreaterEqual(decoded["forced_gops"], 1, decoded)
        self.assertLess(decoded["share"], 1.0, decoded)

    def test_copy_fast_writes_what_copy_writes(self):
        self.check_copy_fast(scene("quiet.mp4"))

    def test_copy_fast_over_a_quiet_span_longer_than_its_queues(self):
        # 80 s without motion: more than the copy branch holds (60 s) while
        # it waits for the cut's decisions on those frames.
        self.check_copy_fast(Clips.get(
            "long-quiet-span.mp4", "--width", "320", "--height", "240",
            "--fps", str(FPS), "--duration", "100", "--noise", "2",
            "--motion", "5-8,90-93"))

    def check_copy_fast(self, clip):
        kept = {}
        for options in ((), ("--fast",)):
            out = self.out("out%d.mp4" % len(options))
            report = out + ".json"
            self.check(["trim", clip, "--copy", *options, "-o", out,
                        "--report", report, "-q"], 0, "", lines=0)
            kept[options] = load_json(report)["kept"]
        self.assertEqual(kept[()], kept[("--fast",)])
        # The same packets (the files differ in their creation time).
        self.assertEqual(slices(self.out("out0.mp4")),
                         slices(self.out("out1.mp4")))
        self.assertEqual(probe(self.out("out1.mp4"))["frames"],
                         probe(self.out("out0.mp4"))["frames"])

    def test_open_gops_fall_back_to_a_full_decode(self):
        # x265's defaults: B-frames shown before the keyframe they follow.
        clip = Clips.made_by(
            "open-gop.mp4", "gst-launch-1.0", "-q", "videotestsrc",
            "num-buffers=300", "pattern=ball", "!",
            "video/x-raw,width=320,height=240,framerate=25/1", "!",
            "x265enc", "speed-preset=veryfast", "key-int-max=50", "!",
            "h265parse", "!", "mp4mux", "!", "filesink", "location={out}")
        full, fast = self.scan(clip), self.scan(clip, "--fast")
        self.assert_same_events(full, fast)
        self.assertIn("open GOPs", fast["decoded"]["fallback"])
        self.assertEqual(fast["decoded"]["share"], 1.0)

    def test_fast_needs_copy_to_trim(self):
        self.check(["trim", scene("quiet.mp4"), "--fast", "-o",
                    self.out("x.mp4")], 1, "--fast needs --copy")
        self.assertFalse(os.path.exists(self.out("x.mp4")))

    def test_other_codecs_are_decoded_in_full(self):
        clip = Clips.made_by(
            "mpeg4.mkv", "gst-launch-1.0", "-q", "videotestsrc",
            "num-buffers=100", "!", "video/x-raw,width=160,height=120", "!",
            "avenc_mpeg4", "!", "matroskamux", "!", "filesink",
            "location={out}")
        full, fast = self.scan(clip), self.scan(clip, "--fast")
        self.assert_same_events(full, fast)
        self.assertIn("only H.264 and H.265", fast["decoded"]["fallback"])


if __name__ == "__main__":
    try:
        unittest.main(verbosity=2)
    finally:
        Clips.remove()
