# SPDX-License-Identifier: LGPL-2.1-or-later
"""One run split among workers (--shard, --from-list), restarted after a
worker was killed, and merged (stillframe summary): each input done exactly
once, the same files byte for byte as one machine's run, and never a file
of the user's replaced."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cliutil import (STILLFRAME, CRASH_SIGNS, Clips, CliTestCase,  # noqa: E402
                     archive, load_json, partial_files, run, tree)

CAMERAS = [f"cam{c}/2026-11-0{d}/{h}.mp4" for c in (1, 2) for d in (3, 4)
           for h in (10, 11)]


def assert_same_report(test, report, reference):
    """The same report but for the output's folder, which differs."""
    output = report["output_video_path"]
    reference = json.loads(json.dumps(reference).replace(
        json.dumps(reference["output_video_path"])[1:-1],
        json.dumps(output)[1:-1]))
    test.assertEqual(report, reference)


class Sharding(CliTestCase):
    def setUp(self):
        super().setUp()
        self.flat = archive(self.out("flat"), [f"{i}.mp4" for i in range(5)])

    def in_tmp(self, *args, **kwargs):
        return run(STILLFRAME, *args, cwd=self.tmp, **kwargs)

    def test_shards_cover_each_input_once_as_one_run_does(self):
        whole = self.in_tmp("trim", "flat", "-o", "one/out", "--report",
                            "one/reports", "-j", "2", "-q")
        self.assertEqual(whole.returncode, 0, whole.stderr)
        counts = []
        for k in (1, 2, 3):
            r = self.in_tmp("trim", "flat", "-o", "out", "--report",
                            "reports", "--shard", f"{k}/3")
            self.assertEqual(r.returncode, 0, r.stderr)
            counts.append(int(re.search(r"(\d+) of 5 inputs",
                                        r.stderr).group(1)))
        self.assertEqual(sorted(counts), [1, 2, 2])
        # The same files, byte for byte: outputs, and reports that name
        # the same relative paths.
        one = tree(self.out("one"))
        self.assertEqual(len(one), 10)
        self.assertEqual(tree(self.out("out")),
                         {k[4:]: v for k, v in one.items()
                          if k.startswith("out/")})
        self.assertEqual(sorted(os.listdir(self.out("reports"))),
                         [f"{i}.json" for i in range(5)])
        for i in range(5):
            assert_same_report(self, load_json(self.out(f"reports/{i}.json")),
                               load_json(self.out(f"one/reports/{i}.json")))

    def test_balanced_by_size_not_count(self):
        # One input as large as the other four together goes alone.
        sizes = {i: os.path.getsize(p) for i, p in enumerate(self.flat)}
        big = self.out("flat/big.mp4")
        with open(big, "wb") as f, open(self.flat[4], "rb") as src:
            f.write(src.read())
            f.write(b"\0" * sum(sizes.values()))
        reports = []
        for k in (1, 2):
            r = self.in_tmp("scan", "flat", "--report", f"r{k}", "--shard",
                            f"{k}/2", "-q")
            reports.append(sorted(os.listdir(self.out(f"r{k}")))
                           if os.path.isdir(self.out(f"r{k}")) else [])
            self.assertIn(r.returncode, (0, 1), r.stderr)
        self.assertIn(["big.json"], reports)

    def test_from_list_and_the_problem_reported_by_its_shard_only(self):
        names = archive(self.out("cams"), CAMERAS)
        listing = self.out("list.txt")
        with open(listing, "w") as f:
            f.write("\n".join(os.path.relpath(n, self.tmp) for n in names))
            f.write("\ncams/cam9/gone.mp4\r\n\n")
        said = 0
        for k in (1, 2, 3):
            r = self.in_tmp("scan", "--from-list", "list.txt", "--report",
                            "reports", "--shard", f"{k}/3", "-q")
            self.assertNotIn("Traceback", r.stderr)
            if "gone.mp4: no such file" in r.stderr:
                said += 1
                self.assertEqual(r.returncode, 1)
            else:
                self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(said, 1)
        # Hourly files of one name keep their camera and day folders.
        found = sorted(os.path.relpath(os.path.join(root, n),
                                       self.out("reports"))
                       for root, _, files in os.walk(self.out("reports"))
                       for n in files)
        self.assertEqual(found, sorted(c[:-4] + ".json" for c in CAMERAS))

    def test_shard_from_slurm_or_kubernetes(self):
        env = dict(os.environ, SLURM_ARRAY_TASK_ID="7",
                   SLURM_ARRAY_TASK_MIN="6", SLURM_ARRAY_TASK_COUNT="3")
        r = self.in_tmp("scan", "flat", "--report", "r", "--shard", "auto",
                        env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("shard 2/3 (Slurm array task 7)", r.stderr)
        env = dict(os.environ, JOB_COMPLETION_INDEX="0")
        r = self.in_tmp("scan", "flat", "--report", "k", "--shard", "auto/5",
                        env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("shard 1/5 (Kubernetes completion index 0)", r.stderr)
        self.assertEqual(len(os.listdir(self.out("k"))), 1)

    def test_what_sharding_refuses(self):
        for args, message in [
                (["--shard", "auto"], "not a task of a Slurm array job"),
                (["--shard", "0/2", "--report", "r"], "from 1 to 2"),
                (["--shard", "1/2"], "--shard needs --report FOLDER"),
                (["--shard", "1/2", "--report", "r", "--csv", "e.csv"],
                 "stillframe summary"),
                (["--from-list", "nolist.txt"], "nolist.txt"),
        ]:
            env = {k: v for k, v in os.environ.items()
                   if not k.startswith("SLURM_")
                   and k != "JOB_COMPLETION_INDEX"}
            r = self.in_tmp("scan", "flat", *args, env=env)
            self.assertEqual(r.returncode, 1, (args, r.stderr))
            self.assertIn(message, r.stderr)
        self.assertFalse(os.path.exists(self.out("r")))


class Restart(CliTestCase):
    def setUp(self):
        super().setUp()
        archive(self.out("flat"), [f"{i}.mp4" for i in range(5)])
        self.args = ["trim", "flat", "-o", "out", "--report", "reports"]

    def trim(self, *extra, **kwargs):
        return run(STILLFRAME, *self.args, *extra, cwd=self.tmp, **kwargs)

    def killed_half_way(self, sig):
        """Starts the run and sends `sig` once the second report is in and
        the third input is being written."""
        p = subprocess.Popen([STILLFRAME, *self.args, "-q"], cwd=self.tmp,
                             stderr=subprocess.PIPE, text=True)
        second = self.out("reports/1.json")
        for _ in range(1000):
            if p.poll() is not None or (os.path.exists(second) and any(
                    n.startswith(".2.mp4.") for n in
                    partial_files(self.out("out")))):
                break
            time.sleep(0.01)
        p.send_signal(sig)
        p.communicate(timeout=60)
        done = len(os.listdir(self.out("reports")))
        self.assertLess(done, 5, "the run ended before it was stopped")

    def test_killed_worker_restarts_to_the_same_files(self):
        reference = run(STILLFRAME, *self.args[:2], "-o", "ref/out",
                        "--report", "ref/reports", "-q", cwd=self.tmp)
        self.assertEqual(reference.returncode, 0, reference.stderr)
        self.killed_half_way(signal.SIGKILL)
        r = self.trim()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("flat/0.mp4: done already (reports/0.json), skipped",
                      r.stderr)
        self.assertEqual(r.stderr.count("kept "), 5 - r.stderr.count(
            "done already"))
        for crash in CRASH_SIGNS:
            self.assertNotIn(crash, r.stderr)
        # What the killed run was writing is gone, and nothing else.
        self.assertIn("removed 1 partial file a stopped run left", r.stderr)
        self.assertEqual(partial_files(self.out("out")), [])
        final = {k: v for k, v in tree(self.tmp).items()
                 if k.startswith(("out/", "reports/"))}
        ref = tree(self.out("ref"))
        for name in ref:
            if name.startswith("reports/"):
                assert_same_report(self, json.loads(final[name]),
                                   json.loads(ref[name]))
            else:
                self.assertEqual(final[name], ref[name], name)
        self.assertEqual(len(final), len(ref))
        # A third run does nothing.
        r = self.trim()
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stderr.count("done already"), 5, r.stderr)

    def test_killed_between_its_files(self):
        """Killed at each rename (strace stops the run there): first the
        report's, then the output's. Either way the next run does the input
        again and writes what one run would have."""
        if not shutil.which("strace"):
            self.skipTest("strace is not installed")
        clip = self.out("flat/0.mp4")
        reference = run(STILLFRAME, "trim", clip, "-o", self.out("ref.mp4"),
                        "-q")
        self.assertEqual(reference.returncode, 0, reference.stderr)
        for rename in (1, 2):
            out, report = self.out(f"o{rename}.mp4"), self.out(f"r{rename}.json")
            killed = run("strace", "-f", "-o", os.devnull, "-e",
                         "trace=renameat2", "-e",
                         f"inject=renameat2:signal=KILL:when={rename}",
                         STILLFRAME, "trim", clip, "-o", out, "--report",
                         report, "-q")
            self.assertEqual(killed.returncode, -9, killed.stderr)
            self.assertFalse(os.path.exists(out))
            self.assertEqual(os.path.exists(report), rename == 2)
            r = run(STILLFRAME, "trim", clip, "-o", out, "--report", report)
            self.assertEqual(r.returncode, 0, r.stderr)
            # Before the report: its hidden file and the output's; after:
            # the output's.
            self.assertIn("removed 2 partial files" if rename == 1 else
                          "removed 1 partial file a stopped run left",
                          r.stderr)
            with open(out, "rb") as a, open(self.out("ref.mp4"), "rb") as b:
                self.assertEqual(a.read(), b.read())
            self.assertEqual(load_json(report)["written"][0]["bytes"],
                             os.path.getsize(out))
        self.assertEqual(partial_files(self.tmp), [])

    def test_interrupted_input_is_done_again(self):
        self.killed_half_way(signal.SIGINT)
        interrupted = [n for n in os.listdir(self.out("reports"))
                       if load_json(self.out("reports/" + n))["interrupted"]]
        self.assertEqual(len(interrupted), 1)
        r = self.trim()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("done again: the earlier run's report says it was "
                      "interrupted", r.stderr)
        for n in os.listdir(self.out("reports")):
            report = load_json(self.out("reports/" + n))
            self.assertFalse(report["interrupted"])
            self.assertEqual(os.path.getsize(report["written"][0]["path"]
                             if os.path.isabs(report["written"][0]["path"])
                             else self.out(report["written"][0]["path"])),
                             report["written"][0]["bytes"])

    def test_other_options_or_a_changed_input_need_force(self):
        self.assertEqual(self.trim("-q").returncode, 0)
        before = tree(self.out("out"))
        r = self.trim("--threshold", "0.01", "-q")
        self.assertEqual(r.returncode, 1)
        self.assertIn("was made with other options (threshold) (use --force",
                      r.stderr)
        os.utime(self.out("flat/3.mp4"))
        r = self.trim("-q")
        self.assertEqual(r.returncode, 1)
        self.assertIn("flat/3.mp4: report reports/3.json exists, but the "
                      "input has changed since", r.stderr)
        self.assertEqual(tree(self.out("out")), before)
        r = self.trim("-q", "--force")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_no_input_is_skipped_from_a_file_of_the_whole_run(self):
        """A skipped input would be missing from --csv: the usual rule."""
        self.assertEqual(self.trim("-q").returncode, 0)
        r = self.trim("-q", "--csv", "events.csv")
        self.assertEqual(r.returncode, 1)
        self.assertIn("out/0.mp4 exists (use --force", r.stderr)
        self.assertFalse(os.path.exists(self.out("events.csv")))

    def test_a_file_no_report_accounts_for_is_never_replaced(self):
        os.makedirs(self.out("out"))
        with open(self.out("out/2.mp4"), "w") as f:
            f.write("mine")
        r = self.trim("-q")
        self.assertEqual(r.returncode, 1)
        self.assertIn("out/2.mp4 exists (use --force", r.stderr)
        with open(self.out("out/2.mp4")) as f:
            self.assertEqual(f.read(), "mine")
        # Nor one changed since the report listed it.
        with open(self.out("out/3.mp4"), "ab") as f:
            f.write(b"edited")
        os.remove(self.out("out/2.mp4"))
        r = self.trim("-q")
        self.assertEqual(r.returncode, 1)
        self.assertIn("out/3.mp4 exists (use --force", r.stderr)
        with open(self.out("out/3.mp4"), "rb") as f:
            self.assertTrue(f.read().endswith(b"edited"))
        self.assertEqual(partial_files(self.out("out")), [])


class Reproducible(CliTestCase):
    def test_the_same_input_gives_the_same_file_with_its_own_time(self):
        clip = Clips.get("repro.mp4", "--width", "320", "--height", "240",
                         "--duration", "3", "--motion", "1-2")
        outputs = []
        for i, extra in enumerate([[], [], ["--copy"], ["--copy"]]):
            out = self.out(f"{i}.mp4")
            r = run(STILLFRAME, "trim", clip, "-o", out, "-q", *extra)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(out, "rb") as f:
                outputs.append(f.read())
            time.sleep(1.1)     # mp4mux's own stamp would change
        self.assertEqual(outputs[0], outputs[1])
        self.assertEqual(outputs[2], outputs[3])
        stamp = ["ffprobe", "-v", "error", "-show_entries",
                 "format_tags=creation_time", "-of", "csv=p=0"]
        self.assertEqual(run(*stamp, self.out("0.mp4")).stdout,
                         run(*stamp, clip).stdout)


class Summary(CliTestCase):
    def setUp(self):
        super().setUp()
        self.names = archive(self.out("cams"), CAMERAS)
        with open(self.out("cams/cam2/2026-11-04/12.mp4"), "w") as f:
            f.write("not a video")
        self.listing = self.out("list.txt")
        with open(self.listing, "w") as f:
            f.write("\n".join(os.path.relpath(n, self.tmp)
                              for n in self.names + [
                                  self.out("cams/cam2/2026-11-04/12.mp4")]))
        for k in (1, 2):
            run(STILLFRAME, "scan", "--from-list", "list.txt", "--report",
                "reports", "--shard", f"{k}/2", "-q", cwd=self.tmp)

    def summary(self, *args):
        return run(STILLFRAME, "summary", *args, cwd=self.tmp)

    def test_merges_per_camera_and_day_and_fails_on_a_failed_input(self):
        r = self.summary("reports", "--csv", "days.csv", "--events",
                         "events.csv", "-o", "summary.json")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("9 inputs from 9 reports, 1 failed", r.stderr)
        self.assertIn("cams/cam2/2026-11-04/12.mp4: not a video", r.stderr)
        s = load_json(self.out("summary.json"))
        self.assertEqual((s["inputs"], s["failed"], s["events"]), (9, 1, 8))
        self.assertFalse(s["complete"])
        self.assertEqual([(d["camera"], d["day"], d["inputs"], d["events"])
                          for d in s["days"]],
                         [("cams/cam1", "2026-11-03", 2, 2),
                          ("cams/cam1", "2026-11-04", 2, 2),
                          ("cams/cam2", "2026-11-03", 2, 2),
                          ("cams/cam2", "2026-11-04", 3, 2)])
        self.assertEqual(s["failures"][0]["input"],
                         "cams/cam2/2026-11-04/12.mp4")
        with open(self.out("days.csv")) as f:
            self.assertEqual(f.readline().strip(), "camera,day,inputs,failed,"
                             "damaged,events,hours_in,hours_kept")
            self.assertEqual(len(f.readlines()), 4)
        with open(self.out("events.csv")) as f:
            self.assertEqual(len(f.readlines()), 9)
        # Once the bad file is gone from the run, the summary is complete.
        os.remove(self.out("reports/cam2/2026-11-04/12.json"))
        r = self.summary("reports", "-q")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(json.loads(r.stdout)["complete"])
        # ... unless an input it expects has no report.
        r = self.summary("reports", "--expect", "list.txt", "-q")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(json.loads(r.stdout)["missing_inputs"],
                         ["cams/cam2/2026-11-04/12.mp4"])

    def test_never_writes_over_a_report_or_an_existing_file(self):
        r = self.summary("reports", "-o", "reports/cam1/2026-11-03/10.json",
                         "--force")
        self.assertIn("is one of the reports", r.stderr)
        # Nor through a link, into a FIFO, or twice into one file: checked
        # before anything is read or written.
        os.symlink(self.out("list.txt"), self.out("link.json"))
        os.mkfifo(self.out("fifo.json"))
        for args, message in [
                (["-o", "link.json", "--force"], "is a symbolic link"),
                (["-o", "fifo.json", "--force"], "is not a regular file"),
                (["--csv", "x.csv", "--events", "x.csv"],
                 "x.csv is also --csv"),
        ]:
            r = self.summary("reports", *args)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn(message, r.stderr)
        self.assertFalse(os.path.exists(self.out("x.csv")))
        self.assertTrue(os.path.islink(self.out("link.json")))
        self.assertEqual(load_json(self.out(
            "reports/cam1/2026-11-03/10.json"))["input"],
            "cams/cam1/2026-11-03/10.mp4")
        with open(self.out("mine.json"), "w") as f:
            f.write("{}")
        r = self.summary("reports", "-o", "mine.json")
        self.assertIn("exists", r.stderr)
        with open(self.out("mine.json")) as f:
            self.assertEqual(f.read(), "{}")

    def test_bad_usage(self):
        self.assertEqual(self.summary().returncode, 1)
        r = self.summary("nowhere")
        self.assertEqual(r.returncode, 1)
        self.assertIn("nowhere: no such file or folder", r.stderr)
        os.makedirs(self.out("empty"))
        with open(self.out("empty/x.json"), "w") as f:
            f.write("[1, 2")
        r = self.summary("empty")
        self.assertEqual(r.returncode, 1)
        self.assertIn("x.json: left out: not valid JSON", r.stderr)
        self.assertIn("no stillframe report found", r.stderr)
        r = self.summary("reports", "--csv", "-", "--events", "-")
        self.assertEqual(r.returncode, 1)
        self.assertIn("only one of", r.stderr)


if __name__ == "__main__":
    try:
        unittest.main(verbosity=2)
    finally:
        Clips.remove()
