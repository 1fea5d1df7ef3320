# SPDX-License-Identifier: LGPL-2.1-or-later
"""The archive job on a real scheduler: a single-node Slurm cluster (started
and stopped by the test, on 127.0.0.1) runs examples/slurm's array job over
a generated archive; its outputs, reports and merged summary equal one
machine's --jobs 2 run byte for byte, and so do those of an array whose task
was killed half-way and submitted again. The Kubernetes Indexed Job's
command (examples/kubernetes) is run index by index to the same result.
Skips, saying why, where the daemons cannot start."""
import os
import re
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cliutil import STILLFRAME, Clips, archive, run, tree  # noqa: E402
from slurmcluster import SlurmCluster  # noqa: E402

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                        "..", "examples")
BATCH = os.path.join(EXAMPLES, "slurm", "stillframe-archive.sbatch")
MANIFEST = os.path.join(EXAMPLES, "kubernetes", "stillframe-archive.yaml")
CAMERAS = [f"cam{c}/2026-11-0{d}/{h}.mp4" for c in (1, 2, 3) for d in (3, 4)
           for h in (10, 11)]
SHARDS = 3


def results(folder):
    """What a run leaves that must be the same everywhere."""
    return {k: v for k, v in tree(folder).items()
            if k.startswith(("out/", "reports/", "summary"))}


def summarize(folder):
    r = run(STILLFRAME, "summary", "reports", "-o", "summary.json",
            "--csv", "summary-days.csv", "--events", "summary-events.csv",
            "--expect", "archive.txt", cwd=folder)
    assert r.returncode == 0, r.stderr
    return r


class SlurmArchive(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = SlurmCluster()
        try:
            cls.cluster.__enter__()
        except SlurmCluster.Unavailable as e:
            raise unittest.SkipTest(f"no Slurm cluster: {e}")
        cls.tmp = cls.cluster.path("work")
        paths = archive(os.path.join(cls.tmp, "cams"), CAMERAS)
        cls.listing = "\n".join(paths) + "\n"
        cls.local = cls.run_folder("local")
        r = run(STILLFRAME, "trim", "--from-list", "archive.txt", "-o", "out",
                "--report", "reports", "-j", "2", "-q", cwd=cls.local)
        assert r.returncode == 0, r.stderr
        summarize(cls.local)
        cls.expected = results(cls.local)

    @classmethod
    def tearDownClass(cls):
        cls.cluster.__exit__(None, None, None)
        Clips.remove()

    @classmethod
    def run_folder(cls, name):
        folder = os.path.join(cls.tmp, name)
        os.makedirs(os.path.join(folder, "logs"))
        with open(os.path.join(folder, "archive.txt"), "w") as f:
            f.write(cls.listing)
        shutil.copy(BATCH, folder)
        return folder

    def submit(self, folder, *args):
        env = dict(self.cluster.env, STILLFRAME=os.path.abspath(STILLFRAME),
                   SHARDS=str(SHARDS))
        r = self.cluster.run("sbatch", "--parsable", *args,
                             "stillframe-archive.sbatch", cwd=folder,
                             env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.strip().split(";")[0]

    def wait(self, job, seconds=240):
        for _ in range(seconds * 5):
            r = self.cluster.run("squeue", "-h", "-j", job, "-o", "%i")
            if r.returncode == 0 and not r.stdout.strip():
                return
            time.sleep(0.2)
        self.fail(f"job {job} did not end in {seconds} s: "
                  + self.cluster.log())

    def logs(self, folder):
        text = ""
        for name in sorted(os.listdir(os.path.join(folder, "logs"))):
            with open(os.path.join(folder, "logs", name)) as f:
                text += f.read()
        return text

    def test_array_job_gives_the_local_run_byte_for_byte(self):
        folder = self.run_folder("array")
        job = self.submit(folder)
        self.wait(job)
        logs = self.logs(folder)
        for task in range(SHARDS):
            self.assertIn(f"shard {task + 1}/{SHARDS} (Slurm array task "
                          f"{task})", logs)
        self.assertNotIn("Traceback", logs)
        summarize(folder)
        got = results(folder)
        self.assertEqual(sorted(got), sorted(self.expected))
        for name in self.expected:
            self.assertEqual(got[name], self.expected[name], name)

    def test_killed_task_submitted_again_converges(self):
        folder = self.run_folder("killed")
        job = self.submit(folder)
        log = os.path.join(folder, "logs", f"{job}_1.log")
        # Killed (SIGKILL, as a node lost) once its first input is done.
        for _ in range(1500):
            if os.path.exists(log):
                with open(log) as f:
                    if "kept " in f.read():
                        break
            time.sleep(0.02)
        r = self.cluster.run("scancel", "--signal=KILL", "--full",
                             f"{job}_1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.wait(job)
        with open(log) as f:
            killed = f.read()
        total = int(re.search(r"shard 2/3 .*: (\d+) of", killed).group(1))
        self.assertLess(killed.count("kept "), total,
                        "the task ended before it was killed: " + killed)
        self.assertNotEqual(results(folder).keys(), self.expected.keys())

        again = self.submit(folder, "--array=1")
        self.wait(again)
        with open(os.path.join(folder, "logs", f"{again}_1.log")) as f:
            redone = f.read()
        self.assertIn("done already", redone)
        self.assertEqual(redone.count("done already") +
                         redone.count("kept "), total, redone)
        summarize(folder)
        got = results(folder)
        self.assertEqual(sorted(got), sorted(self.expected))
        for name in self.expected:
            self.assertEqual(got[name], self.expected[name], name)
        self.assertEqual([n for n in tree(folder) if ".stillframe-" in n],
                         [])

    def test_kubernetes_indexed_job_command(self):
        with open(MANIFEST) as f:
            text = f.read()
        folded = re.search(r"args:\n\s+- >-\n((?:\s{14}.*\n)+)", text)
        command = " ".join(line.strip() for line in
                           folded.group(1).splitlines())
        completions = int(re.search(r"completions: (\d+)", text).group(1))
        self.assertIn(f"--shard auto/{completions}", command)
        folder = self.run_folder("kubernetes")
        command = command.replace("/archive/archive.txt", "archive.txt") \
            .replace("exec stillframe", "exec " + os.path.abspath(STILLFRAME))
        pods = [subprocess.Popen(["/bin/sh", "-c", command], cwd=folder,
                                 env=dict(os.environ,
                                          JOB_COMPLETION_INDEX=str(i)),
                                 stderr=subprocess.PIPE, text=True)
                for i in range(completions)]
        for i, pod in enumerate(pods):
            _, err = pod.communicate(timeout=300)
            self.assertEqual(pod.returncode, 0, err)
            self.assertIn(f"(Kubernetes completion index {i})", err)
        summarize(folder)
        got = results(folder)
        self.assertEqual(sorted(got), sorted(self.expected))
        for name in self.expected:
            self.assertEqual(got[name], self.expected[name], name)


if __name__ == "__main__":
    unittest.main(verbosity=2)
