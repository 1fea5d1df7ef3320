#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks that two builds write byte-identical files: for refactorings
that must not change behaviour.

  tests/bench/same_outputs.py OLD_BUILD NEW_BUILD [--no-real] [--keep DIR]

Each BUILD is a folder holding `stillframe` (the CLI) and
`libgststillframe.so`, or a meson build folder (tools/stillframe,
gst/stillframe/). Both are run, each with its own private registry, on
generated clips (with and without audio, drifting light, many spans, a
Matroska copy) and on the clips in ../shared/data/real when present, as
`trim`, `trim --copy`, `trim --split` and `scan`, each with --report and
--csv; every file written must be the same, byte for byte (but for the
wall-clock times an MP4 muxer writes into its headers), as must standard
output and the exit code. Prints one line per case and a closing
`N same, N different`."""
import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
REAL = os.path.join(os.path.dirname(ROOT), "shared", "data", "real")
CLIPGEN = os.path.join(ROOT, "build", "tests", "stillframe-clipgen")

CLIPS = {
    "spans.mp4": ["--duration", "12", "--motion", "2-3.5,8-9"],
    "audio.mp4": ["--duration", "12", "--motion", "3-4,9-10",
                  "--sync-marks"],
    "drift.mp4": ["--duration", "10", "--motion", "5-6", "--drift", "20",
                  "--drift-period", "8", "--noise", "5"],
    "many.mp4": ["--duration", "20", "--width", "160", "--height", "120",
                 "--motion-every", "4,0.5"],
    "still.mp4": ["--duration", "5"],
}

MODES = {
    "trim": lambda i, o: ["trim", i, "-o", o + ".mp4"],
    "copy": lambda i, o: ["trim", "--copy", i, "-o", o + ".mp4"],
    "split": lambda i, o: ["trim", "--split", i, "-o", o + ".mp4"],
    "scan": lambda i, o: ["scan", i],
}


def locate(build):
    """(cli, plugin folder) of a build."""
    for cli, plugin in (("stillframe", "."),
                        ("tools/stillframe", "gst/stillframe")):
        if os.path.exists(os.path.join(build, cli)):
            return os.path.join(build, cli), os.path.join(build, plugin)
    sys.exit(f"{build}: no stillframe CLI in it")


def run(build, registry, args, cwd):
    cli, plugin = locate(build)
    system = subprocess.run(["pkg-config", "--variable=pluginsdir",
                             "gstreamer-1.0"], capture_output=True,
                            text=True).stdout.strip()
    env = dict(os.environ, GST_PLUGIN_SYSTEM_PATH_1_0="",
               GST_PLUGIN_PATH_1_0=os.path.abspath(plugin) + ":" + system,
               GST_REGISTRY_1_0=registry)
    out = subprocess.run([os.path.abspath(cli), args[0], "-q", *args[1:]],
                         cwd=cwd,
                         env=env, capture_output=True, timeout=600)
    return out.returncode, out.stdout


def without_mp4_clock(data):
    """An MP4's bytes with the wall-clock times its muxer writes (creation
    and modification in mvhd, tkhd and mdhd) zeroed: the only bytes that
    differ between two runs of one build."""
    data = bytearray(data)

    def walk(start, end):
        while start + 8 <= end:
            size = int.from_bytes(data[start:start + 4], "big")
            kind = bytes(data[start + 4:start + 8])
            header = 8
            if size == 1:
                size = int.from_bytes(data[start + 8:start + 16], "big")
                header = 16
            elif size == 0:
                size = end - start
            if size < header or start + size > end:
                return
            body = start + header
            if kind in (b"moov", b"trak", b"mdia"):
                walk(body, start + size)
            elif kind in (b"mvhd", b"tkhd", b"mdhd"):
                width = 8 if data[body] == 1 else 4
                data[body + 4:body + 4 + 2 * width] = bytes(2 * width)
            start += size

    walk(0, len(data))
    return bytes(data)


def same_file(a, b):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        da, db = fa.read(), fb.read()
    if a.endswith((".mp4", ".mov")):
        da, db = without_mp4_clock(da), without_mp4_clock(db)
    return da == db


def same_tree(a, b):
    """Names of the files that differ or exist on one side only."""
    cmp = filecmp.dircmp(a, b)
    differ = cmp.left_only + cmp.right_only
    differ += [f for f in cmp.common_files
               if not same_file(os.path.join(a, f), os.path.join(b, f))]
    return differ


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--no-real", action="store_true")
    parser.add_argument("--keep", help="leave the outputs here")
    args = parser.parse_args()

    work = args.keep or tempfile.mkdtemp(prefix="same-outputs-")
    os.makedirs(work, exist_ok=True)
    clips = os.path.join(work, "clips")
    os.makedirs(clips, exist_ok=True)
    inputs = []
    for name, options in CLIPS.items():
        path = os.path.join(clips, name)
        if not os.path.exists(path):
            subprocess.run([CLIPGEN, *options, path], check=True,
                           capture_output=True)
        inputs.append(path)
    # A Matroska input, remuxed from an MP4 (with audio).
    mkv = os.path.join(clips, "audio.mkv")
    if not os.path.exists(mkv):
        subprocess.run(["gst-launch-1.0", "-q", "filesrc", "location=" +
                        os.path.join(clips, "audio.mp4"), "!", "qtdemux",
                        "name=d", "matroskamux", "name=m", "!", "filesink",
                        "location=" + mkv, "d.video_0", "!", "queue", "!",
                        "h264parse", "!", "m.", "d.audio_0", "!", "queue",
                        "!", "aacparse", "!", "m."], check=True)
    inputs.append(mkv)
    if not args.no_real and os.path.isdir(REAL):
        for folder in sorted(os.listdir(REAL)):
            for f in sorted(os.listdir(os.path.join(REAL, folder))):
                if f.endswith((".mp4", ".avi")):
                    inputs.append(os.path.join(REAL, folder, f))

    same = different = 0
    for index, path in enumerate(inputs):
        for mode, command in MODES.items():
            if mode == "copy" and path.endswith(".avi"):
                continue
            results = []
            for side, build in (("old", args.old), ("new", args.new)):
                cwd = os.path.join(work, side, f"{index}-{mode}")
                shutil.rmtree(cwd, ignore_errors=True)
                os.makedirs(cwd)
                registry = os.path.join(work, side + ".registry")
                status, stdout = run(build, registry,
                                     [*command(path, "out"), "--report",
                                      "out.json", "--csv", "out.csv"], cwd)
                results.append((status, stdout, cwd))
            (s1, o1, d1), (s2, o2, d2) = results
            if s1 == 1:
                sys.exit(f"{mode} {path}: the old build refused the command")
            differ = same_tree(d1, d2)
            if s1 != s2:
                differ.append(f"exit {s1} / {s2}")
            if o1 != o2:
                differ.append("stdout")
            label = f"{mode:5} {os.path.basename(path)}"
            if differ:
                different += 1
                print(f"DIFFERENT {label}: {', '.join(differ)}", flush=True)
            else:
                same += 1
                files = len(os.listdir(d1))
                print(f"same      {label} (exit {s1}, {files} files)",
                      flush=True)
    print(f"{same} same, {different} different")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
