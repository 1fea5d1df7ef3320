#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Tests of the stillframe command line on clips generated here.

Run by meson with STILLFRAME, CLIPGEN and AVPROBE naming the built tools and
the test registry environment."""
import os
import random
import shutil
import signal
import subprocess
import time
import unittest

from cliutil import (AVPROBE, STILLFRAME, CliTestCase, Clips, load_json,
                     partial_files, probe, run, short_clip)


def tearDownModule():
    Clips.remove()


def long_clip():
    return Clips.get("long.mkv", "--width", "640", "--height", "360",
                     "--duration", "120", "--noise", "2", "--sync-marks",
                     "--motion", ",".join(f"{i}-{i + 1}"
                                          for i in range(2, 120, 4)))


def start_and_wait_for_output(args, folder):
    """Starts the CLI; returns once its output is being written."""
    proc = subprocess.Popen([STILLFRAME, *args], stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        written = [os.path.getsize(os.path.join(folder, n))
                   for n in partial_files(folder)]
        if written and written[0] > 50000:
            break
        time.sleep(0.05)
    return proc


def many_events_clip():
    # 22 events 0.6 s long, 5 s apart: every static gap is cut.
    spans = ",".join(f"{3 + 5 * i}-{3.6 + 5 * i}" for i in range(22))
    return Clips.get("events.mkv", "--width", "320", "--height", "240",
                     "--duration", "113", "--noise", "2", "--sync-marks",
                     "--motion", spans)


class TrimTest(CliTestCase):
    def test_sync_over_many_cuts(self):
        clip = many_events_clip()
        out, report = self.out("trimmed.mp4"), self.out("report.json")
        r = run(STILLFRAME, "trim", clip, "-o", out, "--report", report, "-q")
        self.assertEqual(r.returncode, 0, r.stderr)
        p = probe(out)
        self.assertEqual(len(p["video_marks"]), 22, p)
        self.assertEqual(len(p["audio_marks"]), 22, p)
        offsets = [a - v for a, v in zip(p["audio_marks"], p["video_marks"])]
        worst = max(abs(o) for o in offsets)
        print(f"A/V offset over 22 events: worst {worst * 1000:.2f} ms")
        self.assertLess(worst, 0.005, offsets)

        rep = load_json(report)
        kept = sum(b - a for a, b in rep["kept"])
        self.assertGreaterEqual(len(rep["kept"]), 22)
        self.assertAlmostEqual(kept, rep["duration_out"], delta=0.01 * 22)
        self.assertAlmostEqual(kept, p["video_end"], delta=1 / 30 * 22)
        self.assertEqual(rep["frames_out"], p["frames"])
        self.assertEqual(len(rep["events"]), 22)
        for key in ("input", "output_video_path", "duration_in", "frames_in",
                    "settings", "interrupted"):
            self.assertIn(key, rep)
        self.assertFalse(rep["interrupted"])
        # Each event keeps 1 s before, 0.6 s, 1 s after.
        self.assertAlmostEqual(rep["duration_out"], 22 * 2.6, delta=1.0)

    def test_long_static_gap_with_audio_does_not_stall(self):
        # A low frame rate and a long dropped span once made the muxer wait
        # for video held in the encoder while it blocked the audio.
        clip = Clips.get("gap.mkv", "--width", "320", "--height", "240",
                         "--fps", "10", "--duration", "150", "--noise", "2",
                         "--sync-marks", "--motion", "3-3.3,140-140.3")
        out = self.out("gap.mp4")
        r = run(STILLFRAME, "trim", clip, "-o", out, "-q", timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        p = probe(out)
        self.assertEqual(len(p["video_marks"]), 2, p)
        self.assertEqual(len(p["audio_marks"]), 2, p)

    def test_report_settings_and_csv(self):
        clip = short_clip()
        out, report, csv = (self.out("t.mkv"), self.out("r.json"),
                            self.out("e.csv"))
        r = run(STILLFRAME, "trim", clip, "-o", out, "--report", report,
                "--csv", csv, "--pre-roll", "0.5", "--threshold", "0.001", "-q")
        self.assertEqual(r.returncode, 0, r.stderr)
        rep = load_json(report)
        self.assertEqual(rep["settings"]["pre-roll"], "500000000")
        self.assertEqual(rep["settings"]["threshold"], "0.001")
        self.assertEqual(len(rep["events"]), 2)
        with open(csv) as f:
            lines = f.read().splitlines()
        self.assertEqual(len(lines), 3)
        self.assertTrue(lines[0].startswith("input,event,start_s"))
        self.assertGreater(probe(out)["frames"], 0)

    def test_split_writes_one_playable_file_per_span(self):
        clip = short_clip()
        out, report = self.out("ev.mp4"), self.out("r.json")
        r = run(STILLFRAME, "trim", clip, "-o", out, "--split", "--report",
                report, "-q")
        self.assertEqual(r.returncode, 0, r.stderr)
        files = sorted(f for f in os.listdir(self.tmp) if f.endswith(".mp4"))
        self.assertEqual(files, ["ev-0001.mp4", "ev-0002.mp4"])
        rep = load_json(report)
        self.assertEqual([os.path.basename(f) for f in rep["output_files"]],
                         files)
        total = 0
        for f, (a, b) in zip(files, rep["kept"]):
            p = probe(self.out(f))
            self.assertEqual(len(p["video_marks"]), 1, p)
            self.assertLess(abs(p["audio_marks"][0] - p["video_marks"][0]),
                            0.005)
            self.assertAlmostEqual(p["video_end"], b - a, delta=0.04)
            total += p["video_end"]
        self.assertAlmostEqual(total, rep["duration_out"], delta=0.08)

    def test_copy_keeps_the_input_packets(self):
        clip = Clips.get("gops.mp4", "--width", "320", "--height", "240",
                         "--duration", "30", "--noise", "2", "--sync-marks",
                         "--motion", "5-5.5,20-21")
        out, report = self.out("c.mp4"), self.out("c.json")
        r = run(STILLFRAME, "trim", clip, "-o", out, "--copy", "--report",
                report, "-q")
        self.assertEqual(r.returncode, 0, r.stderr)
        packets_in = run(AVPROBE, "--packets", clip).stdout.split()
        packets_out = run(AVPROBE, "--packets", out).stdout.split()
        rep = load_json(report)
        self.assertEqual(len(packets_out), rep["frames_out"])
        self.assertLess(len(packets_out), len(packets_in))
        # Byte for byte, in order: a subsequence of the input's packets.
        it = iter(packets_in)
        self.assertTrue(all(p in it for p in packets_out),
                        "output packets are not the input's")
        p = probe(out)
        self.assertEqual(len(p["video_marks"]), 2, p)
        offsets = [a - v for a, v in zip(p["audio_marks"], p["video_marks"])]
        self.assertLess(max(abs(o) for o in offsets), 0.005, offsets)
        kept = sum(b - a for a, b in rep["kept"])
        self.assertAlmostEqual(kept, p["video_end"], delta=0.05)
        # Whole GOPs (2 s here) around each event: every motion frame is in.
        for start, end in ((5, 5.5), (20, 21)):
            self.assertTrue(any(a <= start and end <= b
                                for a, b in rep["kept"]), rep["kept"])

    def test_other_containers_and_codecs(self):
        for name, encode in (
                ("vp8.webm", ["vp8enc", "deadline=1", "!", "webmmux"]),
                ("h264.ts", ["x264enc", "!", "h264parse", "!", "mpegtsmux"]),
                ("mpeg4.avi", ["avenc_mpeg4", "!", "avimux"]),
                ("h265.mkv", ["x265enc", "!", "h265parse", "!",
                              "matroskamux"])):
            path = self.out(name)
            r = run("gst-launch-1.0", "-q", "videotestsrc", "num-buffers=90",
                    "pattern=ball", "!", "video/x-raw,width=320,height=240",
                    "!", "videoconvert", "!", *encode, "!", "filesink",
                    f"location={path}")
            if r.returncode != 0:
                self.fail(f"cannot make {name}: {r.stderr}")
            out = self.out(name + ".mp4")
            r = run(STILLFRAME, "trim", path, "-o", out, "-q")
            self.assertEqual(r.returncode, 0, f"{name}: {r.stderr}")
            self.assertGreater(probe(out)["frames"], 80, name)

    def test_scan_writes_no_video(self):
        clip = short_clip()
        before = set(os.listdir(Clips.dir))
        r = run(STILLFRAME, "scan", clip, cwd=self.tmp)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(os.listdir(self.tmp), [])
        self.assertEqual(set(os.listdir(Clips.dir)), before)
        rows = [l for l in r.stdout.splitlines() if l.startswith("| 1 ")
                or l.startswith("| 2 ")]
        self.assertEqual(len(rows), 2, r.stdout)

    def test_folder_and_jobs(self):
        folder = self.out("in")
        os.mkdir(folder)
        for name in ("a.mp4", "b.mp4"):
            shutil.copy(short_clip(), os.path.join(folder, name))
        with open(os.path.join(folder, "notes.txt"), "w") as f:
            f.write("not a video")
        r = run(STILLFRAME, "trim", folder, "-o", self.out("out"), "-j", "2",
                "--report", self.out("reports"), "-q")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(os.listdir(self.out("out"))),
                         ["a.mp4", "b.mp4"])
        self.assertEqual(sorted(os.listdir(self.out("reports"))),
                         ["a.json", "b.json"])

    def test_progress_lines_when_not_a_terminal(self):
        r = run(STILLFRAME, "trim", many_events_clip(), "-o", self.out("p.mp4"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("fps", r.stderr)
        self.assertIn("kept", r.stderr)

    def test_sigint_finishes_a_playable_file(self):
        out, report = self.out("i.mp4"), self.out("i.json")
        proc = start_and_wait_for_output(
            ["trim", long_clip(), "-o", out, "--report", report], self.tmp)
        self.assertIsNone(proc.poll(), "finished before it was interrupted")
        self.assertFalse(os.path.exists(out), "unfinished output has its name")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        self.assertEqual(proc.returncode, 130, err)
        p = probe(out)
        self.assertGreater(p["frames"], 0)
        rep = load_json(report)
        self.assertTrue(rep["interrupted"])
        self.assertLess(rep["frames_in"], 120 * 30)
        self.assertEqual(partial_files(self.tmp), [])

    def test_second_sigint_aborts_and_leaves_nothing(self):
        out = self.out("a.mp4")
        with open(out, "w") as f:
            f.write("mine")
        proc = start_and_wait_for_output(
            ["trim", long_clip(), "-o", out, "--force"], self.tmp)
        self.assertIsNone(proc.poll(), "finished before it was interrupted")
        # Two different signals: two of one kind may arrive as one.
        proc.send_signal(signal.SIGINT)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 130, err)
        self.assertEqual(partial_files(self.tmp), [])
        with open(out) as f:
            self.assertEqual(f.read(), "mine", "--force lost the old output")


class ErrorTest(CliTestCase):
    def write_broken(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    @staticmethod
    def mkv_bytes():
        """A Matroska clip (it declares its duration in its header)."""
        clip = Clips.get("whole.mkv", "--width", "320", "--height", "240",
                         "--duration", "12", "--noise", "2", "--sync-marks",
                         "--motion", "2-3,8-9")
        with open(clip, "rb") as f:
            return f.read()

    def test_empty_file(self):
        empty = os.path.join(self.tmp, "empty.mp4")
        open(empty, "w").close()
        out = os.path.join(self.tmp, "o.mp4")
        self.check(["trim", empty, "-o", out], 1, "not a video")
        self.assertFalse(os.path.exists(out))

    def test_truncated_mp4_without_index(self):
        # MP4 as GStreamer and cameras write it: the index (moov) comes last,
        # so a file cut short cannot be read at all.
        # qtdemux says so at once, or (rarely, under load) says nothing and
        # decodes nothing, when the watchdog ends it the same way: -q keeps
        # the progress lines of that wait out of the one line checked.
        with open(short_clip(), "rb") as f:
            cut = self.write_broken("cut.mp4", f.read()[:100000])
        out = os.path.join(self.tmp, "o.mp4")
        self.check(["trim", cut, "-o", out, "-q", "--stall-timeout", "10"], 1,
                   "not a video")
        self.assertFalse(os.path.exists(out))

    def test_truncated_file_keeps_what_can_be_read(self):
        data = self.mkv_bytes()
        cut = self.write_broken("cut.mkv", data[:len(data) // 2])
        out, report = (os.path.join(self.tmp, "o.mp4"),
                       os.path.join(self.tmp, "r.json"))
        self.check(["trim", cut, "-o", out, "--report", report, "-q"], 3,
                   "damaged input")
        rep = load_json(report)
        self.assertTrue(rep["damaged_input"])
        self.assertIn("truncated", " ".join(rep["notes"]))
        p = probe(out)
        self.assertEqual(p["frames"], rep["frames_out"])
        self.assertGreater(p["frames"], 30)
        # The event at 2-3 s is in the readable half.
        self.assertEqual(len(p["video_marks"]), 1, p)

    def test_broken_off_before_anything_moved(self):
        # The first second of a clip whose motion starts at 2 s: nothing to
        # write, and the message says the input is damaged, not only that
        # nothing moved.
        data = self.mkv_bytes()
        cut = self.write_broken("early.mkv", data[:len(data) // 12])
        out = os.path.join(self.tmp, "o.mp4")
        self.check(["trim", cut, "-o", out], 4, "damaged input")
        self.assertFalse(os.path.exists(out))
        self.assertEqual(partial_files(self.tmp), [])

    def test_corrupted_bytes(self):
        # Random bytes over the frames (not the header): whatever decodes is
        # trimmed, the output plays, and nothing crashes.
        data = self.mkv_bytes()
        for seed in range(4):
            rng = random.Random(seed)
            broken = bytearray(data)
            for _ in range(500):
                broken[rng.randrange(4000, len(broken))] = rng.randrange(256)
            path = self.write_broken(f"corrupt{seed}.mkv", broken)
            out = os.path.join(self.tmp, f"o{seed}.mp4")
            r = run(STILLFRAME, "trim", path, "-o", out, "-q", timeout=120)
            self.assertIn(r.returncode, (0, 1, 3, 4), r.stderr)
            self.assertNotIn("CRITICAL", r.stderr)
            self.assertEqual(partial_files(self.tmp), [])
            if r.returncode == 1:
                self.assertIn("not a video", r.stderr)
                self.assertFalse(os.path.exists(out))
            elif r.returncode == 4:
                # Broken off before anything moved (the encoding differs
                # from run to run, so where the bytes land does too).
                self.assertIn("damaged input", r.stderr)
                self.assertFalse(os.path.exists(out))
            else:
                self.assertGreater(probe(out)["frames"], 0)

    def test_size_change_midstream_keeps_the_first_size(self):
        # Two MPEG-TS recordings of different sizes back to back: a muxer
        # would take the second SPS in the first one's track, which no
        # player decodes.
        parts = []
        for name, size, offset in (("a.ts", "320,240", 0),
                                   ("b.ts", "256,192", 3000000000)):
            width, height = size.split(",")
            parts.append(Clips.made_by(
                name, "gst-launch-1.0", "-q", "videotestsrc", "num-buffers=90",
                "pattern=ball", f"timestamp-offset={offset}", "!",
                f"video/x-raw,width={width},height={height},framerate=30/1",
                "!", "x264enc", "!", "h264parse", "!", "mpegtsmux", "!",
                "filesink", "location={out}"))
        data = b"".join(open(p, "rb").read() for p in parts)
        joined = self.write_broken("joined.ts", data)
        out = os.path.join(self.tmp, "o.mp4")
        r = run(STILLFRAME, "trim", joined, "-o", out, "-q")
        self.assertEqual(r.returncode, 0, r.stderr)
        p = probe(out)
        self.assertEqual(p["frames"], 180)
        streams = run("ffprobe", "-v", "error", "-show_entries",
                      "stream=width,height", "-of", "csv=p=0", out)
        self.assertEqual(streams.stdout.split(), ["320,240"])
        decoded = run("ffmpeg", "-v", "error", "-i", out, "-f", "null", "-")
        self.assertEqual(decoded.stderr, "")

    def test_game_music_is_not_a_video(self):
        # Found by tests/fuzz: a KSS chiptune header made decodebin plug
        # libgme, which crashes on such data.
        tune = self.write_broken("tune.mp4", bytes.fromhex(
            "4b5353580059010000 00a66a95858585858585858585852d8a4d4e470d0a0a1a"
            "858585858585000000001e0147594d5840ff14fff4153232".replace(" ",
                                                                   "")))
        out = os.path.join(self.tmp, "o.mp4")
        self.check(["trim", tune, "-o", out], 1, "no video stream")
        self.assertFalse(os.path.exists(out))

    def test_stalled_input_is_given_up(self):
        # Found by tests/fuzz: a Creative Voice header makes libsndfile's
        # decoder wait forever, without an error.
        voc = self.write_broken("voice.mp4", b"Creative-~\x00\xa6")
        out = os.path.join(self.tmp, "o.mp4")
        self.check(["trim", voc, "-o", out, "--stall-timeout", "2", "-q"], 1,
                   "nothing was decoded in 2 s")
        self.assertFalse(os.path.exists(out))

    def test_unsupported_codec(self):
        data = self.mkv_bytes()
        codec = b"V_MPEG4/ISO/AVC"
        self.assertIn(codec, data)
        path = self.write_broken("odd.mkv", data.replace(
            codec, b"V_MPEG4/ISO/XYZ"))
        out = os.path.join(self.tmp, "o.mp4")
        self.check(["trim", path, "-o", out], 1, "no GStreamer plugin for")
        self.assertFalse(os.path.exists(out))

    def test_batch_goes_on_after_a_bad_file(self):
        folder = os.path.join(self.tmp, "in")
        os.mkdir(folder)
        with open(os.path.join(folder, "a-broken.mp4"), "w") as f:
            f.write("not a video\n")
        shutil.copy(short_clip(), os.path.join(folder, "b-good.mp4"))
        outdir = os.path.join(self.tmp, "out")
        r = run(STILLFRAME, "trim", folder, "-o", outdir, "-q")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("a-broken.mp4: not a video", r.stderr)
        self.assertEqual(sorted(os.listdir(outdir)), ["b-good.mp4"])
        self.assertGreater(probe(os.path.join(outdir, "b-good.mp4"))["frames"],
                           0)

    def test_disk_full_leaves_nothing(self):
        wrapper, mount = self.in_small_filesystem("16k")
        out = os.path.join(mount, "o.mp4")
        self.check(["trim", short_clip(), "-o", out, "-q"], 2,
                   f"cannot write {out}", wrapper=wrapper)

    def test_read_only_output_folder(self):
        wrapper, mount = self.in_small_filesystem("1m", read_only=True)
        self.check(["trim", short_clip(), "-o", os.path.join(mount, "o.mp4")],
                   1, "is not writable", wrapper=wrapper)

    def test_usage(self):
        self.check([], 1, "Usage", lines=0)
        self.check(["cut", "x"], 1, "unknown command")
        self.check(["trim", short_clip()], 1, "needs -o")
        self.check(["scan", short_clip(), "--bogus"], 1, "unknown option")
        self.check(["scan", short_clip(), "--min-static", "soon"], 1,
                   "--min-static: 'soon' is not a time")

    def test_missing_and_unreadable_inputs(self):
        out = os.path.join(self.tmp, "o.mp4")
        self.check(["trim", "/nonexistent.mp4", "-o", out], 1, "no such file")
        empty = os.path.join(self.tmp, "empty")
        os.mkdir(empty)
        self.check(["trim", empty, "-o", out], 1, "no video files")
        self.assertFalse(os.path.exists(out))

    def test_not_a_video(self):
        bogus = os.path.join(self.tmp, "text.mp4")
        with open(bogus, "w") as f:
            f.write("hello, I am not a video\n" * 100)
        out = os.path.join(self.tmp, "o.mp4")
        r = self.check(["trim", bogus, "-o", out], 1, "not a video")
        self.assertFalse(os.path.exists(out), "a half-written output is left")

    def test_audio_only(self):
        audio = os.path.join(self.tmp, "tone.mka")
        r = run("gst-launch-1.0", "-q", "audiotestsrc", "num-buffers=50", "!",
                "audioconvert", "!", "matroskamux", "!", "filesink",
                f"location={audio}")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = os.path.join(self.tmp, "o.mp4")
        self.check(["trim", audio, "-o", out], 1, "no video stream")
        self.assertFalse(os.path.exists(out))

    def test_missing_decoder_names_the_package(self):
        env = dict(os.environ,
                   GST_PLUGIN_FEATURE_RANK="avdec_h264:NONE,openh264dec:NONE")
        out = os.path.join(self.tmp, "o.mp4")
        self.check(["trim", short_clip(), "-o", out], 1, "gstreamer1.0-libav",
                   env=env)
        self.assertFalse(os.path.exists(out))

    def test_outputs(self):
        out = os.path.join(self.tmp, "exists.mp4")
        with open(out, "w") as f:
            f.write("mine")
        self.check(["trim", short_clip(), "-o", out], 1, "--force")
        with open(out) as f:
            self.assertEqual(f.read(), "mine")
        self.check(["trim", short_clip(), "-o",
                    os.path.join(self.tmp, "x.avi")], 1, "unknown container")
        self.check(["trim", short_clip(), "-o",
                    os.path.join(self.tmp, "nowhere", "o.mp4")], 1,
                   "does not exist")
        # A failed run with --force leaves the old output as it was.
        bogus = os.path.join(self.tmp, "text.mp4")
        with open(bogus, "w") as f:
            f.write("hello\n" * 100)
        self.check(["trim", bogus, "-o", out, "--force"], 1, "not a video")
        with open(out) as f:
            self.assertEqual(f.read(), "mine")

    def test_output_folder_without_write_permission(self):
        locked = os.path.join(self.tmp, "ro")
        os.mkdir(locked)
        os.chmod(locked, 0o500)
        if os.access(locked, os.W_OK):
            self.skipTest("running as a user that can write anywhere")
        self.check(["trim", short_clip(), "-o",
                    os.path.join(locked, "o.mp4")], 1, "not writable")


if __name__ == "__main__":
    unittest.main(verbosity=2)
