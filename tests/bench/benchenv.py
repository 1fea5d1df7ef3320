# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the --fast benchmarks share: the built tools, and a scan that
returns its report."""
import json
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.join(ROOT, "build")
STILLFRAME = os.path.join(BUILD, "tools", "stillframe")
CLIPGEN = os.path.join(BUILD, "tests", "stillframe-clipgen")
REAL = os.path.join(ROOT, "..", "shared", "data", "real")
ENV = dict(os.environ, GST_PLUGIN_PATH_1_0=os.path.join(BUILD, "gst",
                                                        "stillframe"))


def scan(path, report, *options):
    """`stillframe scan` of `path` with `options`; its JSON report."""
    out = subprocess.run([STILLFRAME, "scan", path, "-q", "-y", "--report",
                          report, *options], env=ENV, capture_output=True,
                         text=True)
    if out.returncode not in (0, 3):
        raise RuntimeError(f"scan {path} failed: {out.stderr}")
    with open(report) as f:
        return json.load(f)


def same_events(full, fast):
    """Whether two reports of one input give the same events (count; starts
    and ends within one frame) from the same frames."""
    slack = full["duration_in"] / max(full["frames_in"], 1) + 1e-6
    return (len(full["events"]) == len(fast["events"])
            and all(abs(a["start"] - b["start"]) <= slack
                    and abs(a["end"] - b["end"]) <= slack
                    for a, b in zip(full["events"], fast["events"]))
            and full["frames_in"] == fast["frames_in"])
