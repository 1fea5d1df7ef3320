# SPDX-License-Identifier: LGPL-2.1-or-later
"""stillframe record: event files from a camera's own packets.

Files played as fast as they decode cover the recorder's decisions (rolls,
keyframes, segments, retention, encoding of raw sources); a loopback RTSP
camera (tests/cli/rtspcam.py, 127.0.0.1 only) played in real time covers a
live camera, its loss and return, and SIGINT. Clips are 10 fps with a
keyframe every second, so every expected frame count is exact."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cliutil import (AVPROBE, CRASH_SIGNS, STILLFRAME, Clips,  # noqa: E402
                     CliTestCase, partial_files, probe, run)

RTSPCAM = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       "rtspcam.py")
SYSTEMD = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "examples", "systemd")
ROLLS = ["--pre-roll", "1", "--post-roll", "1", "--min-static", "2"]


def camera_clip(name, motion, duration=20, gop=10):
    return Clips.get(name, "--width", "320", "--height", "240", "--fps",
                     "10", "--gop", str(gop), "--duration", str(duration),
                     "--noise", "2", "--sync-marks", "--motion", motion)


def recordings(folder):
    """The event files in `folder`, by name (the index and hidden files
    aside)."""
    found = []
    for root, _, names in os.walk(folder):
        for n in names:
            if not n.startswith("."):
                found.append(os.path.relpath(os.path.join(root, n), folder))
    return sorted(found)


def slices(path):
    out = run(AVPROBE, "--slices", path)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RecordTestCase(CliTestCase):
    def record(self, *args, code=0, timeout=120):
        r = run(STILLFRAME, "record", *args, timeout=timeout)
        self.assertEqual(r.returncode, code, r.stderr)
        for crash in CRASH_SIGNS:
            self.assertNotIn(crash, r.stderr)
        return r

    def events(self, path):
        with open(path) as f:
            return [json.loads(line) for line in f]

    def wait_for(self, predicate, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.1)
        return False

    def assert_no_partial(self, folder):
        for root, _, _ in os.walk(folder):
            self.assertEqual(partial_files(root), [], root)


class RecordFileTest(RecordTestCase):
    def test_each_event_is_a_file_of_its_packets_and_rolls(self):
        clip = camera_clip("two-events.mp4", "5-7,14-15")
        out, events = self.out("rec"), self.out("events.jsonl")
        r = self.record("file://" + clip, "-o", out, "--events", events,
                        *ROLLS)
        files = recordings(out)
        self.assertEqual(len(files), 2, r.stderr)
        # Pre-roll from 4 s (a keyframe) to the post-roll's end at 8 s;
        # then 13 s to 16 s.
        first, second = (os.path.join(out, f) for f in files)
        self.assertEqual(probe(first)["frames"], 40)
        self.assertEqual(probe(second)["frames"], 30)
        # The camera's packets, not re-encoded: the clip's 40th to 80th.
        source = slices(clip)
        self.assertEqual(slices(first), source[40:80])
        self.assertEqual(slices(second), source[130:160])
        # Audio kept in sync: the tone and the white square start together,
        # 1 s in (the pre-roll).
        p = probe(first)
        self.assertAlmostEqual(p["video_marks"][0], 1.0, delta=0.05)
        self.assertAlmostEqual(p["audio_marks"][0], 1.0, delta=0.05)
        lines = self.events(events)
        self.assertEqual([e["files"] for e in lines], [[f] for f in files])
        self.assertAlmostEqual(lines[0]["stream_start"], 5.0, delta=0.01)
        self.assertAlmostEqual(lines[0]["stream_end"], 7.0, delta=0.01)
        self.assertAlmostEqual(lines[1]["duration"], 1.0, delta=0.01)
        self.assertGreater(lines[0]["peak_score"], 0)
        self.assertGreater(lines[0]["box"]["width"], 0)
        self.assertFalse(lines[0]["cut_short"])
        self.assertRegex(lines[0]["start"],
                         r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$")
        self.assertIn("2 events in 2 files", r.stderr)
        self.assertIn("pre-roll ring held at most", r.stderr)
        self.assert_no_partial(out)

    def test_pre_roll_reaches_back_to_a_keyframe(self):
        # Keyframes every 2 s: the pre-roll from 5.5 s starts at 4 s.
        clip = camera_clip("gop2.mp4", "7-8", duration=14, gop=20)
        out, events = self.out("rec"), self.out("events.jsonl")
        self.record("file://" + clip, "-o", out, "--events", events,
                    "--pre-roll", "1.5", "--post-roll", "1", "--min-static",
                    "2")
        files = recordings(out)
        self.assertEqual(len(files), 1)
        (line,) = self.events(events)
        self.assertAlmostEqual(line["stream_start"], 7.0, delta=0.15)
        # From the keyframe to the post-roll's end, and with B-frames the
        # reference frames decoded before the last of them.
        frames = probe(os.path.join(out, files[0]))["frames"]
        expected = round((line["stream_end"] + 1 - 4.0) * 10)
        self.assertGreaterEqual(frames, expected)
        self.assertLessEqual(frames, expected + 2)
        # The clip's packets in decoding order from the keyframe's on; a
        # reference frame shown past the end may be left out by the
        # demuxer that reads them back (the file's edit list ends before
        # it).
        recorded = slices(os.path.join(out, files[0]))
        source = slices(clip)[40:40 + len(recorded) + 1]
        self.assertEqual(recorded[0], source[0])
        self.assertIn(recorded, [source[:len(recorded)]] + [
            source[:k] + source[k + 1:] for k in range(len(source))])

    def test_long_event_goes_on_in_files_at_keyframes(self):
        clip = camera_clip("long.mp4", "2-14", duration=18)
        out, events = self.out("rec"), self.out("events.jsonl")
        self.record("file://" + clip, "-o", out, "--events", events,
                    "--segment-max", "4", "--name", "cam-%H%M%S.%f.mkv",
                    *ROLLS)
        files = recordings(out)
        self.assertEqual(len(files), 4, files)
        self.assertTrue(all(f.endswith(".mkv") for f in files))
        frames = [probe(os.path.join(out, f))["frames"] for f in files]
        self.assertEqual(frames, [40, 40, 40, 20])
        (line,) = self.events(events)
        self.assertEqual(line["files"], files)
        self.assertEqual(line["file"], files[0])

    def test_raw_video_is_encoded(self):
        clip = camera_clip("two-events.mp4", "5-7,14-15")
        out = self.out("rec")
        self.record("--source-pipeline",
                    f"filesrc location={clip} ! qtdemux name=d d.video_0 ! "
                    "h264parse ! avdec_h264",
                    "-o", out, *ROLLS)
        files = recordings(out)
        self.assertEqual(len(files), 2)
        # The encoder puts keyframes a second apart at most (more at scene
        # cuts): each file starts at one at or before its pre-roll, and ends
        # with its post-roll.
        for name, motion, minimum in zip(files, (2.0, 1.0), (40, 30)):
            p = probe(os.path.join(out, name))
            self.assertGreaterEqual(p["frames"], minimum)
            self.assertLessEqual(p["frames"], minimum + 10)
            self.assertAlmostEqual(p["video_marks"][0],
                                   p["frames"] / 10 - motion - 1, delta=0.05)

    def test_retention_deletes_the_oldest_recordings_only(self):
        clip = camera_clip("four-events.mp4", "3-4,8-9,13-14,18-19",
                           duration=22)
        out = self.out("rec")
        os.makedirs(out)
        own = os.path.join(out, "holiday.mp4")
        with open(own, "wb") as f:
            f.write(b"x" * 1000000)
        first = self.record("file://" + clip, "-o", out, *ROLLS)
        made = recordings(out)
        self.assertEqual(len(made), 5, first.stderr)
        # Each run writes the same four files, oldest first.
        sizes = [os.path.getsize(os.path.join(out, f)) for f in made
                 if f != "holiday.mp4"]
        limit = 2 * max(sizes) + 1000
        kept = 0
        while kept < 4 and sum(sizes[3 - kept:]) <= limit:
            kept += 1
        r = self.record("file://" + clip, "-o", out, "--max-size",
                        str(limit), *ROLLS)
        left = recordings(out)
        self.assertIn("holiday.mp4", left)
        ours = [f for f in left if f != "holiday.mp4"]
        self.assertEqual(len(ours), kept, r.stderr)
        self.assertEqual(r.stderr.count("(retention)"), 8 - kept, r.stderr)
        self.assertEqual(sum(os.path.getsize(os.path.join(out, f))
                             for f in ours), sum(sizes[4 - kept:]))
        with open(os.path.join(out, ".stillframe.index")) as f:
            indexed = [line.split(" ", 2)[2].strip() for line in f]
        self.assertEqual(sorted(indexed), ours)

    def test_a_second_stream_can_be_the_one_analysed(self):
        # A camera's sub-stream: the same scene, smaller; the files hold
        # the main stream's packets.
        main = camera_clip("two-events.mp4", "5-7,14-15")
        sub = Clips.get("two-events-sub.mp4", "--width", "160", "--height",
                        "120", "--fps", "10", "--gop", "10", "--duration",
                        "20", "--noise", "2", "--motion", "5-7,14-15")
        out = self.out("rec")
        self.record("file://" + main, "--detect-source", "file://" + sub,
                    "-o", out, *ROLLS)
        files = recordings(out)
        self.assertEqual(len(files), 2)
        source = slices(main)
        self.assertEqual(slices(os.path.join(out, files[0])), source[40:80])
        self.assertEqual(slices(os.path.join(out, files[1])),
                         source[130:160])

    def test_bad_usage(self):
        out = self.out("rec")
        cases = [
            ([], "record needs a SOURCE"),
            (["rtsp://127.0.0.1:1/cam"], "record needs -o FOLDER"),
            (["rtsp://127.0.0.1:1/cam", "--source-pipeline", "videotestsrc",
              "-o", out], "not both"),
            (["rtsp://a:1/x", "rtsp://user:hunter2@b/y", "-o", out],
             "second SOURCE"),
            (["rtsp://127.0.0.1:1/cam", "-o", out, "--name", "../%H.mp4"],
             "inside the folder"),
            (["rtsp://127.0.0.1:1/cam", "-o", out, "--name", "%H.avi"],
             ".mp4, .mkv or .mov"),
            (["rtsp://127.0.0.1:1/cam", "-o", out, "--max-size", "lots"],
             "not a size"),
            (["rtsp://127.0.0.1:1/cam", "-o", out, "--keep-days", "0"],
             "--keep-days"),
            (["rtsp://127.0.0.1:1/cam", "-o", out, "--threshold", "2"],
             "out of range"),
            (["rtsp://127.0.0.1:1/cam", "-o", out, "--trim-this"],
             "unknown option"),
        ]
        for args, message in cases:
            r = self.record(*args, code=1)
            self.assertIn(message, r.stderr)
            self.assertNotIn("hunter2", r.stderr)
        self.assertFalse(os.path.exists(out))

    def test_missing_camera_is_retried_quietly_until_interrupted(self):
        out = self.out("rec")
        env = dict(os.environ, STILLFRAME_CAMERA_PASSWORD="s3cret")
        port = free_port()
        p = subprocess.Popen([STILLFRAME, "record",
                              f"rtsp://admin:hunter2@127.0.0.1:{port}/cam",
                              "-o", out, "--stall-timeout", "1"],
                             stderr=subprocess.PIPE, text=True, env=env)
        time.sleep(5)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 0, err)
        # Several tries, one word of it.
        self.assertEqual(err.count("camera lost"), 1, err)
        self.assertIn("rtsp://***@127.0.0.1", err)
        self.assertNotIn("hunter2", err)
        self.assertNotIn("admin", err)
        self.assertEqual(recordings(out), [])


class RecordHttpTest(RecordTestCase):
    def test_http_stream_is_recorded(self):
        clip = Clips.get("http.mkv", "--width", "320", "--height", "240",
                         "--fps", "10", "--gop", "10", "--duration", "20",
                         "--noise", "2", "--motion", "5-7,14-15")
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "http.server", "--bind", "127.0.0.1",
             str(port), "--directory", os.path.dirname(clip)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(lambda: (server.kill(), server.wait()))
        def listening():
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", port)) == 0
        if not self.wait_for(listening, 10):
            self.skipTest("the loopback HTTP server does not start")
        out = self.out("rec")
        recorder = subprocess.Popen(
            [STILLFRAME, "record",
             f"http://127.0.0.1:{port}/{os.path.basename(clip)}", "-o", out,
             *ROLLS], stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: recorder.poll() is None and recorder.kill())
        # A stream that ends is a camera gone: it is fetched again, so wait
        # for the first pass's two files only.
        self.wait_for(lambda: len(recordings(out)) >= 2, 30)
        recorder.send_signal(signal.SIGINT)
        _, err = recorder.communicate(timeout=30)
        self.assertEqual(recorder.returncode, 0, err)
        files = recordings(out)
        self.assertGreaterEqual(len(files), 2, err)
        self.assertEqual([probe(os.path.join(out, f))["frames"]
                          for f in files[:2]], [40, 30])
        self.assert_no_partial(out)


class SystemdRecipeTest(RecordTestCase):
    def test_the_units_command_records(self):
        """examples/systemd's ExecStart, expanded as systemd would, with the
        camera a file and the folder a temporary one."""
        unit_path = os.path.join(SYSTEMD, "stillframe-record@.service")
        with open(unit_path) as f:
            unit = f.read()
        with open(os.path.join(SYSTEMD, "front-door.env")) as f:
            env = dict(line.strip().split("=", 1) for line in f
                       if "=" in line and not line.startswith("#"))
        self.assertIn("STILLFRAME_CAMERA_PASSWORD", env)
        folder = self.out("srv")
        env["CAMERA_URI"] = "file://" + camera_clip("two-events.mp4",
                                                    "5-7,14-15")
        (exec_start,) = [line.split("=", 1)[1] for line in unit.splitlines()
                         if line.startswith("ExecStart=")]
        command = exec_start.replace("%i", "front-door").replace(
            "/srv/stillframe", folder)
        for name, value in env.items():
            command = command.replace("${" + name + "}", value)
        argv = command.split()
        self.assertEqual(argv[0], "/usr/local/bin/stillframe")
        r = self.record(*argv[2:])
        self.assertEqual(argv[1], "record")
        recorded = recordings(os.path.join(folder, "front-door"))
        self.assertIn("events.jsonl", recorded)
        self.assertEqual(len([f for f in recorded if f.endswith(".mp4")]), 2,
                         r.stderr)
        self.assertIn("KillSignal=SIGINT", unit)
        # systemd's own reading of the unit (offline), where it is here.
        if run("sh", "-c", "command -v systemd-analyze").returncode == 0:
            instance = self.out("stillframe-record@front-door.service")
            with open(instance, "w") as f:
                f.write(unit.replace("/usr/local/bin/stillframe",
                                     os.path.abspath(STILLFRAME)))
            checked = run("systemd-analyze", "verify", instance)
            self.assertEqual(checked.returncode, 0, checked.stderr)
            self.assertNotIn(instance, checked.stderr)


class RecordRtspTest(RecordTestCase):
    """A camera played in real time: tens of seconds in all."""

    def start_camera(self, clip, port):
        p = subprocess.Popen(["/usr/bin/python3", RTSPCAM, clip, str(port),
                              "--audio", "--seconds", "60"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        self.addCleanup(lambda: (p.kill(), p.communicate()))
        line = p.stdout.readline()
        if line.strip() != "ready":
            p.kill()
            self.skipTest("the loopback RTSP camera cannot start: "
                          + p.stderr.read().strip()[-300:])
        return p

    def test_camera_lost_and_back_is_recorded_byte_for_byte(self):
        clip = camera_clip("live.mp4", "3-4", duration=16)
        port = free_port()
        out, events = self.out("rec"), self.out("events.jsonl")
        camera = self.start_camera(clip, port)
        recorder = subprocess.Popen(
            [STILLFRAME, "record", f"rtsp://127.0.0.1:{port}/cam", "-o", out,
             "--events", events, "--stall-timeout", "2", *ROLLS],
            stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: recorder.poll() is None and recorder.kill())
        self.assertTrue(self.wait_for(lambda: len(recordings(out)) == 1, 15),
                        "no file for the first event")
        camera.kill()
        camera.communicate()
        time.sleep(3)
        self.start_camera(clip, port)
        self.assertTrue(self.wait_for(lambda: len(recordings(out)) == 2, 20),
                        "no file for the event after the camera came back")
        recorder.send_signal(signal.SIGINT)
        _, err = recorder.communicate(timeout=30)
        self.assertEqual(recorder.returncode, 0, err)
        self.assertEqual(err.count("camera lost"), 1, err)
        self.assertEqual(err.count("camera back"), 1, err)
        source = slices(clip)
        for name in recordings(out):
            path = os.path.join(out, name)
            # 2 s (a keyframe) to 5 s, the camera's own slices.
            self.assertEqual(probe(path)["frames"], 30, name)
            self.assertEqual(slices(path), source[20:50], name)
            p = probe(path)
            self.assertAlmostEqual(p["audio_end"], p["video_end"], delta=0.1)
        self.assertEqual(len(self.events(events)), 2)
        self.assert_no_partial(out)

    def test_interrupt_while_recording_leaves_a_complete_file(self):
        clip = camera_clip("long-live.mp4", "2-11", duration=12)
        port = free_port()
        out, events = self.out("rec"), self.out("events.jsonl")
        self.start_camera(clip, port)
        recorder = subprocess.Popen(
            [STILLFRAME, "record", f"rtsp://127.0.0.1:{port}/cam", "-o", out,
             "--events", events, *ROLLS],
            stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: recorder.poll() is None and recorder.kill())
        # Inside the motion, with the file open.
        self.assertTrue(self.wait_for(lambda: any(
            ".stillframe-" in n for _, _, names in os.walk(out)
            for n in names), 15), "no file was being written")
        time.sleep(1)
        recorder.send_signal(signal.SIGINT)
        _, err = recorder.communicate(timeout=30)
        self.assertEqual(recorder.returncode, 0, err)
        files = recordings(out)
        self.assertEqual(len(files), 1, err)
        self.assertGreater(probe(os.path.join(out, files[0]))["frames"], 10)
        self.assert_no_partial(out)
        (line,) = self.events(events)
        self.assertTrue(line["cut_short"])


if __name__ == "__main__":
    try:
        unittest.main(verbosity=2)
    finally:
        Clips.remove()
