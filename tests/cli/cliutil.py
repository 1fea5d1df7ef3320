# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the CLI tests share: running the built tools, clips made once per
test module, and checks every test makes (no crash, no partial file).

Run by meson with STILLFRAME, CLIPGEN and AVPROBE naming the built tools and
the test registry environment."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

STILLFRAME = os.environ.get("STILLFRAME", "build/tools/stillframe")
CLIPGEN = os.environ.get("CLIPGEN", "build/tests/stillframe-clipgen")
AVPROBE = os.environ.get("AVPROBE", "build/tests/stillframe-avprobe")
CRASH_SIGNS = ("CRITICAL", "Segmentation", "Traceback", "Aborted",
               "AddressSanitizer", "runtime error")


def run(*args, **kwargs):
    return subprocess.run([str(a) for a in args], capture_output=True,
                          text=True, timeout=kwargs.pop("timeout", 300),
                          **kwargs)


def load_json(path):
    with open(path) as f:
        return json.load(f)


def probe(path):
    out = run(AVPROBE, path)
    if out.returncode != 0:
        raise AssertionError(f"{path} does not decode: {out.stderr}")
    return json.loads(out.stdout)


class Clips:
    """Clips made once for all tests of a module."""
    dir = None

    @classmethod
    def folder(cls):
        if cls.dir is None:
            cls.dir = tempfile.mkdtemp(prefix="stillframe-clips-")
        return cls.dir

    @classmethod
    def get(cls, name, *args):
        """A stillframe-clipgen clip made with these options."""
        path = os.path.join(cls.folder(), name)
        if not os.path.exists(path):
            out = run(CLIPGEN, *args, path)
            assert out.returncode == 0, out.stderr
        return path

    @classmethod
    def made_by(cls, name, *command):
        """A clip made by `command`, in which {out} is its path."""
        path = os.path.join(cls.folder(), name)
        if not os.path.exists(path):
            out = run(*[str(c).replace("{out}", path) for c in command])
            assert out.returncode == 0, f"cannot make {name}: {out.stderr}"
        return path

    @classmethod
    def remove(cls):
        if cls.dir:
            shutil.rmtree(cls.dir, ignore_errors=True)
        cls.dir = None


def partial_files(folder):
    """What a run is writing in `folder`: hidden, renamed when complete."""
    return [n for n in os.listdir(folder) if ".stillframe-" in n]


def short_clip():
    return Clips.get("short.mp4", "--width", "320", "--height", "240",
                     "--duration", "12", "--noise", "2", "--sync-marks",
                     "--motion", "3-4,8-9")


def archive(folder, layout):
    """A camera archive in `folder`: for each relative path of `layout`,
    a short clip with one event, of a length (and so a size) set by its
    place in the list. Returns the paths, in layout order."""
    paths = []
    for i, name in enumerate(layout):
        seconds = 2 + i % 5
        clip = Clips.get(f"archive-{seconds}.mp4", "--width", "320",
                         "--height", "240", "--duration", str(seconds),
                         "--noise", "2", "--motion", "1-1.6")
        path = os.path.join(folder, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        shutil.copy2(clip, path)
        paths.append(path)
    return paths


def tree(folder):
    """Every file under `folder` and its bytes, by relative path."""
    files = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                files[os.path.relpath(path, folder)] = f.read()
    return files


class CliTestCase(unittest.TestCase):
    """A temporary folder per test, and the checks most tests make."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="stillframe-test-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def out(self, name):
        return os.path.join(self.tmp, name)

    def check(self, args, code, message, env=None, lines=1, wrapper=(),
              **kwargs):
        """Runs the CLI; checks its exit code, that stderr says `message`
        (in `lines` lines, unless 0), and that nothing crashed or was left
        half-written."""
        r = run(*wrapper, STILLFRAME, *args, env=env, **kwargs)
        self.assertEqual(r.returncode, code, r.stderr)
        self.assertIn(message, r.stderr)
        if lines:
            self.assertEqual(len(r.stderr.strip().splitlines()), lines,
                             r.stderr)
        for crash in CRASH_SIGNS:
            self.assertNotIn(crash, r.stderr)
        self.assertEqual(partial_files(self.tmp), [])
        return r

    def in_small_filesystem(self, size, read_only=False):
        """A command prefix running the CLI with a tmpfs of `size` mounted on
        a folder (private mount namespace, no root needed); skips where the
        system allows no user namespaces."""
        mount = os.path.join(self.tmp, "mnt")
        os.makedirs(mount, exist_ok=True)
        options = f"size={size}" + (",ro" if read_only else "")
        script = (f"mount -t tmpfs -o {options} tmpfs {mount} && "
                  f"exec \"$@\"")
        prefix = ("unshare", "--user", "--map-root-user", "--mount", "sh",
                  "-c", script, "sh")
        probe_run = run(*prefix, "true")
        if probe_run.returncode != 0:
            self.skipTest("cannot mount a private tmpfs: "
                          + probe_run.stderr.strip())
        return prefix, mount
