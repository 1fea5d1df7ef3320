#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Nothing the user owns is lost, every bad input or option gets a clear
refusal, and reports tell the truth: stillframe against the files, names,
options, inputs and interruptions that once harmed it (docs/reliability.md
lists each class). Short generated clips only."""
import csv
import hashlib
import io
import json
import os
import shutil
import signal
import stat
import subprocess
import threading
import time
import unittest

from cliutil import (AVPROBE, STILLFRAME, CliTestCase, Clips, load_json,
                     partial_files, probe, run)


def tearDownModule():
    Clips.remove()


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def small_clip():
    """6 s of 160x120 with sound, motion at 2-3 s."""
    return Clips.get("small.mp4", "--width", "160", "--height", "120",
                     "--duration", "6", "--noise", "2", "--sync-marks",
                     "--motion", "2-3")


def two_event_clip():
    return Clips.get("two.mp4", "--width", "160", "--height", "120",
                     "--duration", "12", "--noise", "2", "--sync-marks",
                     "--motion", "3-4,8-9")


def static_clip():
    return Clips.get("static.mp4", "--width", "160", "--height", "120",
                     "--duration", "4", "--noise", "2")


def ffmpeg_clip(name, *args):
    """A clip ffmpeg makes from its test source: `args` go before the
    output."""
    return Clips.made_by(name, "ffmpeg", "-v", "error", "-y", "-f", "lavfi",
                         "-i", "testsrc2=s=160x120:r=25", *args, "{out}")


def gst_clip(name, *pipeline):
    """A clip gst-launch-1.0 makes: `pipeline` ends with a muxer."""
    return Clips.made_by(name, "gst-launch-1.0", "-q", *pipeline, "!",
                         "filesink", "location={out}")


def copy_to(folder, clip, name):
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name)
    shutil.copy(clip, path)
    return path


class SameFileTest(CliTestCase):
    """An output (video, part, report, CSV) that is an input, whatever the
    path says, is refused before anything is written, with or without -y."""

    def assert_refused(self, args, message="would overwrite the input",
                       **kwargs):
        r = self.check(args, 1, message, **kwargs)
        self.assertIn("nothing was written", r.stderr)
        return r

    def test_input_as_output(self):
        clip = copy_to(self.tmp, small_clip(), "a.mp4")
        before = sha(clip)
        os.mkdir(self.out("dir"))
        os.symlink(clip, self.out("link.mp4"))
        os.link(clip, self.out("hard.mp4"))
        for output in (clip, "./a.mp4", os.path.join(self.tmp, "dir", "..",
                                                     "a.mp4"),
                       self.out("link.mp4"), self.out("hard.mp4")):
            for extra in ([], ["-y"], ["--copy", "-y"]):
                self.assert_refused(["trim", "a.mp4", "-o", output, *extra],
                                    cwd=self.tmp)
        self.assertEqual(sha(clip), before)

    def test_folder_onto_itself(self):
        folder = self.out("f")
        clip = copy_to(folder, small_clip(), "a.mp4")
        before = sha(clip)
        self.assert_refused(["trim", folder, "-o", folder, "-y"])
        self.assert_refused(["trim", folder, "-o", folder + "/", "-q"])
        self.assertEqual(sha(clip), before)
        self.assertEqual(os.listdir(folder), ["a.mp4"])

    def test_reports_and_csv_are_never_an_input_or_the_output(self):
        clip = copy_to(self.tmp, small_clip(), "a.mp4")
        before = sha(clip)
        out = self.out("out.mp4")
        self.assert_refused(["trim", clip, "-o", out, "--report", clip])
        self.assert_refused(["trim", clip, "-o", out, "--csv", clip, "-y"])
        self.assert_refused(["scan", clip, "--report", clip, "-y"])
        self.assert_refused(["trim", clip, "-o", out, "--report", out, "-y"],
                            "-o and --report would both be written to")
        self.assert_refused(["scan", clip, "--report", self.out("r"),
                             "--csv", self.out("r")],
                            "--report and --csv would both be written to")
        self.assertEqual(sha(clip), before)
        self.assertEqual(sorted(os.listdir(self.tmp)), ["a.mp4"])

    def test_standard_input_is_an_input_too(self):
        clip = copy_to(self.tmp, small_clip(), "a.mp4")
        before = sha(clip)
        with open(clip, "rb") as stdin:
            self.assert_refused(["trim", "-", "-o", clip, "-y"],
                                "would overwrite standard input",
                                stdin=stdin)
        self.assertEqual(sha(clip), before)

    def test_split_parts_are_never_an_input_or_another_output(self):
        clip = copy_to(self.tmp, small_clip(), "ev-0001.mp4")
        before = sha(clip)
        self.assert_refused(["trim", clip, "-o", self.out("ev.mp4"),
                             "--split", "-y"])
        self.assert_refused(["trim", clip, "-o", self.out("x.mp4"),
                             "--split", "--report", self.out("x-0002.mp4")],
                            "would be replaced by a part of -o")
        self.assertEqual(sha(clip), before)


    def test_nothing_is_written_through_links_or_devices(self):
        mine = self.out("mine.mp4")
        with open(mine, "w") as f:
            f.write("mine")
        os.symlink(mine, self.out("link.mp4"))
        self.check(["trim", small_clip(), "-o", self.out("link.mp4"), "-y"],
                   1, "is a symbolic link: name the file itself")
        with open(mine) as f:
            self.assertEqual(f.read(), "mine")
        self.assertTrue(os.path.islink(self.out("link.mp4")))
        self.check(["scan", small_clip(), "--report", "/dev/null", "-y"], 1,
                   "/dev/null is not a regular file")
        self.assertTrue(stat.S_ISCHR(os.stat("/dev/null").st_mode))


class CollisionTest(CliTestCase):
    """Two inputs whose outputs or reports would have one name: refused
    before anything runs, naming both."""

    def test_same_stem_in_one_folder(self):
        folder = self.out("in")
        copy_to(folder, small_clip(), "a.mp4")
        copy_to(folder, small_clip(), "a.mov")
        r = self.check(["trim", folder, "-o", self.out("out")], 1,
                       "would both be written to")
        self.assertIn("a.mov", r.stderr)
        self.assertIn("a.mp4", r.stderr)
        self.assertFalse(os.path.exists(self.out("out")))
        self.check(["scan", folder, "--report", self.out("reports")], 1,
                   "would both be written to " + self.out("reports/a.json"))
        self.assertFalse(os.path.exists(self.out("reports")))

    def test_same_name_in_two_folders(self):
        """Hourly files of two cameras share their names: each output keeps
        the folder that tells its input apart."""
        one = copy_to(self.out("d1"), small_clip(), "x.mp4")
        two = copy_to(self.out("d2"), small_clip(), "x.mp4")
        self.check(["trim", one, two, "-o", self.out("out"), "--report",
                    self.out("reports"), "-q"], 0, "", lines=0)
        for folder, ext in (("out", "mp4"), ("reports", "json")):
            for camera in ("d1", "d2"):
                self.assertTrue(os.path.isfile(
                    self.out(f"{folder}/{camera}/x.{ext}")))


class LiteralNameTest(CliTestCase):
    """A % in a name is a %, never a format."""

    def test_percent_in_the_output(self):
        for name in ("o%s%n.mp4", "o%d.mp4"):
            out = self.out(name)
            r = run(STILLFRAME, "trim", two_event_clip(), "-o", out,
                    "--split", "-q")
            self.assertEqual(r.returncode, 0, r.stderr)
            stem = name[:-4]
            self.assertTrue(os.path.exists(self.out(stem + "-0001.mp4")),
                            os.listdir(self.tmp))
            self.assertTrue(os.path.exists(self.out(stem + "-0002.mp4")))

    def test_percent_in_an_input_folder(self):
        folder = self.out("in")
        copy_to(folder, two_event_clip(), "100%sure.mp4")
        for extra in ([], ["--split"]):
            out = self.out("out" + "".join(extra))
            r = run(STILLFRAME, "trim", folder, "-o", out, "-q", *extra)
            self.assertEqual(r.returncode, 0, r.stderr)
            expected = (["100%sure-0001.mp4", "100%sure-0002.mp4"] if extra
                        else ["100%sure.mp4"])
            self.assertEqual(sorted(os.listdir(out)), expected)


class SplitTest(CliTestCase):
    """--split's parts: every one checked, all hidden until the run ends,
    an earlier run's leftovers replaced only with --force."""

    def test_any_existing_part_is_refused_by_name(self):
        mine = self.out("ev-0002.mp4")
        with open(mine, "w") as f:
            f.write("mine")
        self.check(["trim", two_event_clip(), "-o", self.out("ev.mp4"),
                    "--split"], 1, "output " + mine + " exists")
        with open(mine) as f:
            self.assertEqual(f.read(), "mine")
        self.assertEqual(os.listdir(self.tmp), ["ev-0002.mp4"])

    def test_force_leaves_no_stale_parts(self):
        for i in range(1, 6):
            with open(self.out(f"ev-000{i}.mp4"), "w") as f:
                f.write("earlier run")
        report = self.out("ev.json")
        r = run(STILLFRAME, "trim", two_event_clip(), "-o",
                self.out("ev.mp4"), "--split", "--force", "--report", report,
                "-q")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(os.listdir(self.tmp)),
                         ["ev-0001.mp4", "ev-0002.mp4", "ev.json"])
        self.assertEqual(len(load_json(report)["output_files"]), 2)
        for part in ("ev-0001.mp4", "ev-0002.mp4"):
            self.assertEqual(len(probe(self.out(part))["video_marks"]), 1)

    def test_no_part_has_its_name_before_the_end(self):
        """Two signals (abort) while parts are being written."""
        clip = Clips.get("many.mkv", "--width", "320", "--height", "240",
                         "--duration", "60", "--noise", "2", "--motion",
                         ",".join(f"{i}-{i + 1}" for i in range(2, 60, 4)))
        proc = subprocess.Popen([STILLFRAME, "trim", clip, "-o",
                                 self.out("ev.mp4"), "--split", "-q"],
                                stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if len(os.listdir(self.tmp)) >= 2:
                break
            time.sleep(0.02)
        self.assertIsNone(proc.poll(), "finished before it was interrupted")
        self.assertEqual([n for n in os.listdir(self.tmp)
                          if not n.startswith(".")], [],
                         "a part has its name while the run goes on")
        proc.send_signal(signal.SIGINT)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 130, err)
        self.assertEqual(os.listdir(self.tmp), [])

    def test_full_disk_leaves_no_part_and_no_broken_report(self):
        wrapper, mount = self.in_small_filesystem("24k")
        report = os.path.join(mount, "ev.json")
        # The tmpfs lives as long as the namespace: it is listed from inside.
        r = run(*wrapper, "sh", "-c", f"{STILLFRAME} trim "
                f"{two_event_clip()} -o {mount}/ev.mp4 --split --report "
                f"{report} -q; echo rc=$?; ls -A {mount}; cat {report} "
                "2>/dev/null")
        self.assertIn("rc=2", r.stdout, r.stderr)
        self.assertIn("cannot write", r.stderr)
        written = r.stdout.split("rc=2", 1)[1].split()
        self.assertTrue(all(n == "ev.json" for n in written[:1]), r.stdout)
        self.assertFalse(any(n.endswith(".mp4") or ".stillframe-" in n
                             for n in written), r.stdout)
        if written[:1] == ["ev.json"]:
            json.loads(r.stdout.split("ev.json", 1)[1])

    def test_a_muxer_error_leaves_no_part(self):
        tiny = ffmpeg_clip("tiny8.mkv", "-t", "2", "-s", "8x8", "-c:v",
                           "ffv1")
        self.check(["trim", tiny, "-o", self.out("ev.mp4"), "--split"], 1,
                   "cannot hold 8x8 video")
        self.assertEqual(os.listdir(self.tmp), [])


class RaceTest(CliTestCase):
    def test_two_runs_writing_one_new_output(self):
        """The second to finish does not replace the first's output."""
        clip = Clips.get("race.mp4", "--width", "320", "--height", "240",
                         "--duration", "30", "--noise", "2", "--motion",
                         "5-25")
        out = self.out("o.mp4")
        procs = [subprocess.Popen([STILLFRAME, "trim", clip, "-o", out, "-q"],
                                  stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
        codes = sorted(code for code, _ in results)
        self.assertEqual(codes, [0, 2], results)
        loser = [err for code, err in results if code == 2][0]
        self.assertIn("it exists now", loser)
        self.assertGreater(probe(out)["frames"], 0)
        self.assertEqual(partial_files(self.tmp), [])


    def test_the_loser_reports_no_output(self):
        """The report is written before the output is named; the run whose
        output then could not be named writes its report again, saying so
        and listing no file, and the winner's lists the output as it is."""
        clip = Clips.get("race.mp4", "--width", "320", "--height", "240",
                         "--duration", "30", "--noise", "2", "--motion",
                         "5-25")
        out = self.out("o.mp4")
        procs = [subprocess.Popen([STILLFRAME, "trim", clip, "-o", out, "-q",
                                   "--report", self.out(f"r{i}.json")],
                                  stderr=subprocess.PIPE, text=True)
                 for i in range(2)]
        codes = [p.wait(timeout=120) for p in procs]
        for p in procs:
            p.stderr.close()
        self.assertEqual(sorted(codes), [0, 2])
        winner = load_json(self.out(f"r{codes.index(0)}.json"))
        loser = load_json(self.out(f"r{codes.index(2)}.json"))
        self.assertEqual(winner["written"], [
            {"path": out, "bytes": os.path.getsize(out)}])
        self.assertEqual(winner["exit_status"], 0)
        self.assertEqual(loser["written"], [])
        self.assertIsNone(loser["output_video_path"])
        self.assertEqual(loser["exit_status"], 2)
        self.assertIn("it exists now", loser["error"])
        self.assertEqual(partial_files(self.tmp), [])


class HangTest(CliTestCase):
    """What once made the CLI wait forever ends, with a reason."""

    def without_our_plugin(self):
        env = dict(os.environ)
        env["GST_PLUGIN_PATH_1_0"] = ":".join(
            p for p in env.get("GST_PLUGIN_PATH_1_0", "").split(":")
            if "stillframe" not in p)
        env["GST_REGISTRY_1_0"] = self.out("other.registry")
        return env

    def test_missing_plugin_with_inputs_queued(self):
        folder = self.out("in")
        for name in ("a.mp4", "b.mp4", "c.mp4"):
            copy_to(folder, small_clip(), name)
        env = self.without_our_plugin()
        for args in (["scan", small_clip(), two_event_clip()],
                     ["scan", folder, "-j", "2"],
                     ["trim", folder, "-o", self.out("out")]):
            r = self.check(args, 2, "'stillframedetect' is missing: install "
                           "stillframe", env=env, timeout=30)
        self.assertFalse(os.path.exists(self.out("out")))

    def test_fifo_without_a_writer(self):
        fifo = self.out("cam.fifo")
        os.mkfifo(fifo)
        self.check(["scan", fifo, "--stall-timeout", "2"], 1,
                   "nothing was decoded in 2 s (is anything writing to it?)",
                   lines=0, timeout=30)
        for sig in (signal.SIGINT, signal.SIGTERM):
            proc = subprocess.Popen([STILLFRAME, "trim", fifo, "-o",
                                     self.out("o.mp4"), "-q"],
                                    stderr=subprocess.PIPE, text=True)
            time.sleep(1)
            proc.send_signal(sig)
            _, err = proc.communicate(timeout=10)
            self.assertEqual(proc.returncode, 130, err)
            self.assertEqual(sorted(os.listdir(self.tmp)), ["cam.fifo"])

    def test_fifo_with_a_writer(self):
        fifo = self.out("cam.fifo")
        os.mkfifo(fifo)
        clip = Clips.get("small.mkv", "--width", "160", "--height", "120",
                         "--duration", "6", "--noise", "2", "--motion", "2-3")

        def feed():
            with open(fifo, "wb") as out, open(clip, "rb") as data:
                time.sleep(0.5)
                shutil.copyfileobj(data, out)
        writer = threading.Thread(target=feed)
        writer.start()
        r = run(STILLFRAME, "scan", fifo, "--report", "-", "-q", timeout=60)
        writer.join()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(json.loads(r.stdout)["events"]), 1)


class NothingKeptTest(CliTestCase):
    """An input where nothing moves, of one frame, or 0.04 s: no output,
    exit 4, and the report says so."""

    def test_nothing_to_keep(self):
        one_frame = gst_clip("one.mp4", "videotestsrc", "num-buffers=1", "!",
                             "video/x-raw,width=160,height=120", "!",
                             "x264enc", "!", "mp4mux")
        short = gst_clip("short.mkv", "videotestsrc", "num-buffers=1",
                         "pattern=ball", "!", "video/x-raw,width=160,height="
                         "120,framerate=25/1", "!", "x264enc", "!",
                         "matroskamux")
        for clip in (static_clip(), one_frame, short):
            for out in ("o.mp4", "o.mkv"):
                report = self.out("r.json")
                self.check(["trim", clip, "-o", self.out(out), "--report",
                            report, "-y"], 4, "nothing moved: no output "
                           "written")
                rep = load_json(report)
                self.assertTrue(rep["nothing_kept"])
                self.assertIsNone(rep["output_video_path"])
                self.assertEqual(rep["kept"], [])
                self.assertEqual(sorted(os.listdir(self.tmp)), ["r.json"])
            self.check(["trim", clip, "-o", self.out("p.mp4"), "--split",
                        "-q"], 4, "nothing moved")
            self.assertEqual(sorted(os.listdir(self.tmp)), ["r.json"])
            r = run(STILLFRAME, "scan", clip, "-q")
            self.assertEqual(r.returncode, 0, r.stderr)


class ReportPathTest(CliTestCase):
    """A report or CSV that cannot be written fails the run, naming the
    path; - is standard output."""

    def test_unwritable_report_places(self):
        clip = small_clip()
        out = self.out("o.mp4")
        self.check(["trim", clip, "-o", out, "--report",
                    self.out("nowhere/r.json")], 1,
                   "report folder " + self.out("nowhere") + " does not exist")
        self.check(["scan", clip, "--csv", self.out("nowhere/e.csv")], 1,
                   "--csv folder " + self.out("nowhere") + " does not exist")
        self.check(["scan", clip, "--csv", self.tmp], 1,
                   "is not a regular file but a folder")
        self.assertFalse(os.path.exists(out))

    def test_read_only_report_folder(self):
        wrapper, mount = self.in_small_filesystem("1m", read_only=True)
        self.check(["scan", small_clip(), "--report",
                    os.path.join(mount, "r.json")], 1, "is not writable",
                   wrapper=wrapper)

    def test_report_that_fills_the_disk(self):
        wrapper, mount = self.in_small_filesystem("4k")
        filler = os.path.join(mount, "filler")
        report = os.path.join(mount, "r.json")
        r = run(*wrapper, "sh", "-c", f"head -c 4096 /dev/zero > {filler}; "
                f"{STILLFRAME} scan {small_clip()} --report {report} -q; "
                f"echo rc=$?; ls -A {mount}")
        self.assertIn("rc=2", r.stdout, r.stderr)
        self.assertIn("cannot write " + report, r.stderr)
        self.assertEqual(r.stdout.split()[1:], ["filler"])

    def test_report_folder_with_one_input(self):
        os.mkdir(self.out("reports"))
        r = run(STILLFRAME, "scan", small_clip(), "--report",
                self.out("reports"), "-q")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(os.listdir(self.out("reports")), ["small.json"])

    def test_standard_output(self):
        r = run(STILLFRAME, "scan", small_clip(), two_event_clip(),
                "--report", "-")
        self.assertEqual(r.returncode, 0, r.stderr)
        reports = [json.loads(line) for line in r.stdout.splitlines()]
        self.assertEqual([len(rep["events"]) for rep in reports], [1, 2])
        self.assertFalse(os.path.exists("-"))
        r = run(STILLFRAME, "scan", small_clip(), two_event_clip(), "--csv",
                "-", "-q")
        rows = list(csv.reader(io.StringIO(r.stdout)))
        self.assertEqual(rows[0][0], "input")
        self.assertEqual(len(rows), 4)
        self.check(["scan", small_clip(), "--report", "-", "--csv", "-"], 1,
                   "cannot both go to standard output")


class OptionTest(CliTestCase):
    """Every option value is checked: exit 1, the option and what it
    accepts named, nothing written."""

    def test_bad_values(self):
        clip = small_clip()
        out = self.out("o.mp4")
        for args, message in (
                (["--threshold", "-1"], "--threshold: -1 is out of range "
                 "(1e-06 to 1)"),
                (["--threshold", "nan"], "--threshold: 'nan' is not a number"),
                (["--threshold", "2"], "--threshold: 2 is out of range"),
                (["--threshold", "0"], "--threshold: 0 is out of range"),
                (["--sensitivity", "5"], "--sensitivity: 5 is out of range "
                 "(0 to 1)"),
                (["--analysis-width", "0"], "--analysis-width: 0 is out of "
                 "range (16 to 4096)"),
                (["--analysis-width", "8"], "--analysis-width: 8 is out of"),
                (["--analysis-width", "100.5"], "not a whole number"),
                (["--min-static", "nan"], "--min-static: 'nan' is not a "
                 "time (1.5, 1.5s, 500ms, 2min, 1h, 1:30 or 00:01:30.5)"),
                (["--pre-roll", "-1"], "--pre-roll: '-1': a time cannot be "
                 "negative"),
                (["--post-roll", "1:75"], "--post-roll: '1:75': minutes and "
                 "seconds must be below 60"),
                (["--post-roll", "1:00:01"], "--post-roll: 1:00:01 is out of "
                 "range (0 to 3600 s)"),
                (["--post-roll", "7200"], "--post-roll: 7200 is out of range"),
                (["--preset", "bogus"], "--preset: unknown preset 'bogus' "
                 "(None, ultrafast"),
                (["--quality", "abc"], "--quality: 'abc' must be a whole "
                 "number from 0 to 51"),
                (["--quality", "52"], "--quality: '52' must be"),
                (["-j", "99999999999"], "-j: '99999999999' must be a whole "
                 "number from 1 to 64"),
                (["-j", "0"], "-j: '0' must be"),
                (["--stall-timeout", "0"], "--stall-timeout: 0 must be more "
                 "than 0 and at most 24:00:00.000"),
                (["--threshold", "0.001", "--threshold", "0.002"],
                 "--threshold is given twice"),
                (["--split=yes"], "--split takes no value"),
                (["--copy", "--quality", "20"], "--copy does not re-encode"),
                (["--report"], "--report needs a value")):
            self.check(["trim", clip, "-o", out, *args], 1, message)
            self.assertFalse(os.path.exists(out))

    def test_commands_and_their_options(self):
        r = run(STILLFRAME, "--version")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^stillframe \d+\.\d+\.\d+ \(GStreamer ")
        trim, scan = (run(STILLFRAME, c, "--help").stdout
                      for c in ("trim", "scan"))
        self.assertIn("--split", trim)
        self.assertNotIn("--split", scan)
        self.assertNotIn("-o, --output", scan)
        self.assertIn("4 nothing moved", trim)
        self.check(["scan", small_clip(), "-o", self.out("o.mp4")], 1,
                   "-o is for trim: scan writes no video")
        self.check(["scan", small_clip(), "--split"], 1, "--split is for trim")
        self.check(["trim", small_clip(), "-o", "-"], 1,
                   "writing the video to standard output is not supported")
        self.assertFalse(os.path.exists(self.out("o.mp4")))

    def test_options_after_a_double_dash_are_inputs(self):
        clip = copy_to(self.tmp, small_clip(), "-x.mp4")
        r = run(STILLFRAME, "scan", "-q", "--", clip.replace(self.tmp + "/",
                                                             ""),
                cwd=self.tmp)
        self.assertEqual(r.returncode, 0, r.stderr)


class DetectorSettingsTest(CliTestCase):
    """The detector's own message, not "could not start"."""

    def test_settings_the_detector_refuses(self):
        clip = small_clip()
        out = self.out("o.mp4")
        truncated = self.out("cut.pgm")
        with open(truncated, "wb") as f:
            f.write(b"P5 16 9 255\n" + b"x" * 20)
        black = self.out("black.pgm")
        with open(black, "wb") as f:
            f.write(b"P5 16 9 255\n" + bytes(16 * 9))
        for args, code, message in (
                (["--ignore-mask", self.out("none.pgm")], 1,
                 "--ignore-mask: Invalid 'ignore-mask': cannot read mask"),
                (["--ignore-mask", truncated], 1, "is truncated"),
                (["--regions", "garbage"], 1, "--regions: Invalid 'regions' "
                 "value: region 'garbage'"),
                (["--regions", "100,0,100,50"], 1, "'regions' region "
                 "'100,0,100,50' reaches past the 160x120 frame"),
                (["--ignore-mask", black], 1, "nothing of the frame is left "
                 "to analyse")):
            r = self.check(["trim", clip, "-o", out, *args], code, message)
            self.assertNotIn("could not start", r.stderr)
            self.assertFalse(os.path.exists(out))


class InputTest(CliTestCase):
    """Inputs ffmpeg reads, which stillframe must read too."""

    def test_pcm_audio_in_long_packets(self):
        for samples in (4800, 48000):
            clip = Clips.made_by(
                f"pcm{samples}.mkv", "gst-launch-1.0", "-q", "videotestsrc",
                "num-buffers=150", "pattern=ball", "!",
                "video/x-raw,width=160,height=120", "!", "x264enc", "!",
                "matroskamux", "name=m", "!", "filesink", "location={out}",
                "audiotestsrc", f"num-buffers={5 * 48000 // samples}",
                f"samplesperbuffer={samples}", "!", "audio/x-raw,rate=48000",
                "!", "m.")
            out = self.out(f"p{samples}.mp4")
            r = run(STILLFRAME, "trim", clip, "-o", out, "-q", timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            p = probe(out)
            self.assertGreater(p["frames"], 100)
            self.assertGreater(p["audio_end"], 4.0, p)

    def first_frame(self, path, size="120x160"):
        """The first frame as a player shows it (ffmpeg turns pictures by
        their rotation tag), grey, as bytes."""
        r = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-frames:v",
                            "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"],
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    @staticmethod
    def difference(a, b):
        return sum(abs(x - y) for x, y in zip(a, b)) / max(1, len(a))

    def test_rotation_is_kept(self):
        # A phone's portrait video: landscape pictures and a rotation tag
        # (ffmpeg writes the tag when copying).
        upright = ffmpeg_clip("upright.mp4", "-t", "3", "-c:v", "libx264")
        clip = Clips.made_by("rot.mp4", "ffmpeg", "-v", "error", "-i",
                             upright, "-c", "copy", "-metadata:s:v:0",
                             "rotate=90", "{out}")
        shown = self.first_frame(clip)
        out = self.out("turned.mp4")
        r = run(STILLFRAME, "trim", clip, "-o", out, "-q")
        self.assertEqual(r.returncode, 0, r.stderr)
        ours = self.first_frame(out)
        self.assertEqual(len(ours), len(shown), "not turned")
        upside_down = bytes(reversed(shown))
        self.assertLess(self.difference(ours, shown),
                        self.difference(ours, upside_down) / 3)

        def rotation(path):
            streams = json.loads(run("ffprobe", "-v", "error",
                                     "-show_entries", "stream_side_data",
                                     "-of", "json", path).stdout)["streams"]
            return [d.get("rotation") for s in streams
                    for d in s.get("side_data_list", [])]
        copied = self.out("copied.mp4")
        r = run(STILLFRAME, "trim", clip, "-o", copied, "--copy", "-q")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(rotation(copied), rotation(clip))
        self.assertNotEqual(rotation(clip), [])
        self.assertEqual(len(self.first_frame(copied)), len(shown))
        self.check(["trim", clip, "-o", self.out("copied.mkv"), "--copy"], 1,
                   "cannot keep in Matroska: write .mp4 or .mov")
        self.assertFalse(os.path.exists(self.out("copied.mkv")))

    def test_vp8_with_alpha(self):
        clip = Clips.made_by("alpha.webm", "ffmpeg", "-v", "error", "-f",
                             "lavfi", "-i", "testsrc2=s=160x120:r=10,format="
                             "yuva420p", "-t", "3", "-c:v", "libvpx",
                             "-auto-alt-ref", "0", "{out}")
        r = run(STILLFRAME, "scan", clip, "-q", "--report", "-")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["frames_in"], 30)
        r = run(STILLFRAME, "trim", clip, "-o", self.out("a.mkv"), "-q")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertGreater(probe(self.out("a.mkv"))["frames"], 20)

    def test_frames_too_small_for_the_container(self):
        for size in ("8x8", "3x5"):
            clip = ffmpeg_clip(f"tiny{size}.mkv", "-t", "2", "-s", size,
                               "-pix_fmt", "yuv444p", "-c:v", "ffv1")
            w, h = size.split("x")
            self.check(["trim", clip, "-o", self.out("t.mp4")], 1,
                       f"the MP4 container (mp4mux) cannot hold {w}x{h} "
                       "video: it needs at least 16x16 (write .mkv instead")
            r = run(STILLFRAME, "trim", clip, "-o", self.out("t.mkv"), "-q")
            self.assertIn(r.returncode, (0, 4), r.stderr)
            self.assertNotIn("Internal data stream error", r.stderr)
            r = run(STILLFRAME, "scan", clip, "-q")
            self.assertEqual(r.returncode, 0, r.stderr)

    def test_standard_input_and_file_uris(self):
        clip = Clips.get("small.mkv", "--width", "160", "--height", "120",
                         "--duration", "6", "--noise", "2", "--motion", "2-3")
        with open(clip, "rb") as stdin:
            r = run(STILLFRAME, "scan", "-", "--report", "-", "-q",
                    stdin=stdin)
        self.assertEqual(r.returncode, 0, r.stderr)
        rep = json.loads(r.stdout)
        self.assertEqual(rep["input"], "-")
        self.assertEqual(len(rep["events"]), 1)
        with open(clip, "rb") as stdin:
            r = run(STILLFRAME, "trim", "-", "-o", self.out("o.mp4"), "-q",
                    stdin=stdin)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertGreater(probe(self.out("o.mp4"))["frames"], 30)
        uri = "file://" + small_clip()
        r = run(STILLFRAME, "trim", uri, "-o", self.out("u.mp4"), "--report",
                "-", "-q")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["input"], uri)
        self.check(["scan", "-"], 1, "standard input is a terminal",
                   stdin=self.tty_or_skip())
        self.check(["scan", "http://127.0.0.1:9/a.mp4"], 1,
                   "not an input stillframe reads")

    def tty_or_skip(self):
        try:
            import pty
            master, slave = pty.openpty()
        except OSError as e:
            self.skipTest(f"no terminal to test with: {e}")
        self.addCleanup(os.close, master)
        self.addCleanup(os.close, slave)
        return slave

    def test_mpeg_ts_that_starts_at_a_huge_timestamp(self):
        clip = Clips.made_by("huge.ts", "ffmpeg", "-v", "error", "-i",
                             small_clip(), "-c", "copy", "-output_ts_offset",
                             "90000", "-f", "mpegts", "{out}")
        r = run(STILLFRAME, "trim", clip, "-o", self.out("h.mp4"), "--report",
                "-", "-q")
        self.assertEqual(r.returncode, 0, r.stderr)
        rep = json.loads(r.stdout)
        self.assertAlmostEqual(rep["duration_in"], 6.0, delta=0.05)
        self.assertEqual(len(rep["events"]), 1)
        self.assertAlmostEqual(rep["events"][0]["start"], 2.0, delta=0.1)
        self.assertLessEqual(rep["kept"][-1][1], rep["duration_in"])
        self.assertAlmostEqual(probe(self.out("h.mp4"))["video_end"], 3.0,
                               delta=0.1)


    def test_mp4_whose_tracks_start_at_a_huge_time(self):
        # A remux keeping its source's timestamps: an edit list makes every
        # track start 25 hours into the movie. ffmpeg plays it; qtdemux
        # alone takes its tracks for previews.
        clip = Clips.made_by("huge.mp4", "ffmpeg", "-v", "error", "-i",
                             small_clip(), "-c", "copy", "-output_ts_offset",
                             "90000", "{out}")
        before = sha(clip)
        for extra in ([], ["--copy"]):
            out = self.out("h.mp4")
            r = run(STILLFRAME, "trim", clip, "-o", out, "--report", "-",
                    "-q", "-y", *extra)
            self.assertEqual(r.returncode, 0, r.stderr)
            rep = json.loads(r.stdout)
            self.assertAlmostEqual(rep["duration_in"], 6.0, delta=0.05)
            self.assertAlmostEqual(rep["events"][0]["start"], 2.0, delta=0.1)
            self.assertIn("25:00:00.000 into the movie", rep["notes"][0])
            p = probe(out)
            self.assertEqual(len(p["video_marks"]), 1, p)
            self.assertLess(p["video_end"], 6.0)
        self.assertEqual(sha(clip), before)


class HonestReportTest(CliTestCase):
    """Kept ranges lie within the input, touching ones merge, and they add
    up to the output; durations come from timestamps."""

    def check_kept(self, rep, output):
        kept = rep["kept"]
        for (a, b), (c, _) in zip(kept, kept[1:]):
            self.assertLess(b, c, f"touching ranges not merged: {kept}")
        for a, b in kept:
            self.assertGreaterEqual(a, 0)
            self.assertLessEqual(b, rep["duration_in"] + 1e-6, kept)
        self.assertAlmostEqual(sum(b - a for a, b in kept),
                               rep["duration_out"], delta=0.001)
        p = probe(output)
        self.assertAlmostEqual(sum(b - a for a, b in kept), p["video_end"],
                               delta=0.045 * len(kept))

    def test_kept_ranges_of_an_mp4_with_b_frames(self):
        # x264's defaults: B-frames, hence an edit list and PTS from 2
        # frames in; motion to the very end.
        clip = ffmpeg_clip("bframes.mp4", "-t", "10", "-c:v", "libx264")
        report = self.out("r.json")
        r = run(STILLFRAME, "trim", clip, "-o", self.out("o.mp4"),
                "--report", report, "-q")
        self.assertEqual(r.returncode, 0, r.stderr)
        rep = load_json(report)
        self.assertAlmostEqual(rep["duration_in"], 10.0, delta=0.001)
        self.assertEqual(rep["kept"], [[0.0, 10.0]])
        self.check_kept(rep, self.out("o.mp4"))

    def test_kept_ranges_of_an_mkv_with_audio(self):
        # ffmpeg's MKV: the video starts 21 ms after the audio.
        clip = Clips.made_by("av.mkv", "ffmpeg", "-v", "error", "-f",
                             "lavfi", "-i", "testsrc2=s=160x120:r=25", "-f",
                             "lavfi", "-i", "sine=f=440:r=48000", "-t", "4",
                             "-c:v", "libx264", "-c:a", "aac", "{out}")
        report = self.out("r.json")
        r = run(STILLFRAME, "trim", clip, "-o", self.out("o.mp4"),
                "--report", report, "-q")
        self.assertEqual(r.returncode, 0, r.stderr)
        rep = load_json(report)
        self.assertEqual(rep["kept"][0][0], 0.0, rep["kept"])
        self.assertEqual(rep["frames_out"], 100)
        self.check_kept(rep, self.out("o.mp4"))

    def test_copy_merges_touching_gops(self):
        clip = Clips.get("moving.mp4", "--width", "160", "--height", "120",
                         "--duration", "10", "--noise", "2", "--motion",
                         "1-9")
        report = self.out("r.json")
        r = run(STILLFRAME, "trim", clip, "-o", self.out("o.mp4"), "--copy",
                "--report", report, "-q")
        self.assertEqual(r.returncode, 0, r.stderr)
        rep = load_json(report)
        self.assertEqual(len(rep["kept"]), 1, rep["kept"])
        self.check_kept(rep, self.out("o.mp4"))

    def test_copy_keeps_the_first_of_two_video_tracks(self):
        first = Clips.get("track1.mp4", "--width", "160", "--height", "120",
                          "--duration", "8", "--motion", "2-3")
        second = Clips.get("track2.mp4", "--width", "160", "--height",
                           "120", "--duration", "8", "--motion", "5-6",
                           "--seed", "2")
        clip = gst_clip("two-tracks.mp4", "filesrc", f"location={first}",
                        "!", "qtdemux", "!", "h264parse", "!", "m.video_0",
                        "filesrc", f"location={second}", "!", "qtdemux",
                        "!", "h264parse", "!", "m.video_1", "mp4mux",
                        "name=m")
        both, alone = self.out("both.json"), self.out("alone.json")
        r = run(STILLFRAME, "trim", clip, "-o", self.out("o.mp4"), "--copy",
                "--report", both, "-q")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = run(STILLFRAME, "trim", first, "-o", self.out("a.mp4"),
                "--copy", "--report", alone, "-q")
        self.assertEqual(r.returncode, 0, r.stderr)
        # The first track decides and is copied, as if it were alone.
        self.assertEqual(load_json(both)["kept"], load_json(alone)["kept"])
        packets = run(AVPROBE, "--packets", self.out("o.mp4")).stdout.split()
        self.assertEqual(packets, run(AVPROBE, "--packets",
                                      self.out("a.mp4")).stdout.split())

    def test_variable_frame_rate(self):
        # 4 s at 25 fps, then a frame every 0.2 s to 10 s.
        clip = ffmpeg_clip("vfr.mkv", "-t", "10", "-vf",
                           "setpts='if(lt(N,100),N*0.04,4+(N-100)*0.2)/TB'",
                           "-fps_mode", "vfr", "-c:v", "libx264")
        r = run(STILLFRAME, "scan", clip, "--report", "-", "-q")
        self.assertEqual(r.returncode, 0, r.stderr)
        rep = json.loads(r.stdout)
        duration = float(run("ffprobe", "-v", "error", "-show_entries",
                             "format=duration", "-of", "csv=p=0",
                             clip).stdout)
        self.assertAlmostEqual(rep["duration_in"], duration, delta=0.25)
        self.assertGreater(rep["duration_in"], 9)

    def test_names_in_csv_json_and_messages(self):
        folder = self.out("in")
        odd = copy_to(folder, small_clip(), 'say "hi", ok.mp4')
        latin1 = os.path.join(folder.encode(), b"caf\xe9.mp4")
        shutil.copy(small_clip(), latin1)
        accented = copy_to(folder, small_clip(), "été.mp4")
        events = self.out("e.csv")
        r = run(STILLFRAME, "scan", folder, "--csv", events, "--report",
                self.out("reports"), "-q")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(events, newline="", encoding="utf-8") as f:
            names = [row[0] for row in csv.reader(f)][1:]
        self.assertIn(odd, names)
        for name in os.listdir(self.out("reports")):
            rep = load_json(os.path.join(self.out("reports"), name))
            self.assertIn(rep["input"], names)
        self.assertIn(folder + "/caf\ufffd.mp4", names)
        env = dict(os.environ, LC_ALL="C.UTF-8")
        r = run(STILLFRAME, "trim", accented, "-o", accented, env=env)
        self.assertIn("été.mp4", r.stderr)
        self.assertNotIn("?t?", r.stderr)


class BatchTest(CliTestCase):
    def peak_rss_kb(self, args):
        # Under AddressSanitizer freed memory waits in a quarantine first.
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + \
            ":quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
        proc = subprocess.Popen([STILLFRAME, *args], env=env,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        self.assertEqual(proc.returncode, 0)
        return usage.ru_maxrss

    def test_memory_does_not_grow_with_the_number_of_inputs(self):
        clip = Clips.get("blip.mp4", "--width", "160", "--height", "120",
                         "--duration", "1", "--noise", "2")
        folder = self.out("in")
        for i in range(60):
            copy_to(folder, clip, f"{i:03}.mp4")
        few = self.peak_rss_kb(["scan", *sorted(
            os.path.join(folder, n) for n in os.listdir(folder))[:10], "-q"])
        many = self.peak_rss_kb(["scan", folder, "-q"])
        print(f"peak RSS: 10 inputs {few} kB, 60 inputs {many} kB")
        # Keeping finished jobs cost about 1 MB each (60 MB here).
        self.assertLess(many - few, 15000)

    def test_parallel_results_follow_the_input_order(self):
        folder = self.out("in")
        copy_to(folder, Clips.get("longer.mp4", "--width", "160", "--height",
                                  "120", "--duration", "20", "--noise", "2",
                                  "--motion", "5-6"), "a.mp4")
        for name in ("b.mp4", "c.mp4", "d.mp4"):
            copy_to(folder, small_clip(), name)
        events = self.out("e.csv")
        r = run(STILLFRAME, "scan", folder, "-j", "2", "--csv", events)
        self.assertEqual(r.returncode, 0, r.stderr)
        tables = [line for line in r.stdout.splitlines()
                  if line.endswith(".mp4")]
        self.assertEqual([os.path.basename(t) for t in tables],
                         ["a.mp4", "b.mp4", "c.mp4", "d.mp4"])
        with open(events) as f:
            rows = [os.path.basename(row[0]) for row in csv.reader(f)][1:]
        self.assertEqual(rows, ["a.mp4", "b.mp4", "c.mp4", "d.mp4"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
