#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Reads what stillframedetect and stillframecut say about a video, from an
application: the per-frame meta and the ROI meta in a pad probe, and the
element messages on the bus. Prints one line per event and a summary.

    python3 examples/python/print_events.py VIDEO

Needs PyGObject (python3-gi) and the stillframe plugin where GStreamer finds
it (meson install, or GST_PLUGIN_PATH_1_0=build/gst/stillframe)."""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstVideo", "1.0")
from gi.repository import GLib, Gst, GstVideo  # noqa: E402


def seconds(ns):
    return ns / Gst.SECOND


class Watcher:
    """What the probe and the bus learn (the probe runs on the streaming
    thread, the bus handler on the main loop: each has its own fields)."""

    def __init__(self):
        self.frames = 0         # probe's
        self.motion_frames = 0  # probe's
        self.biggest_box = None  # probe's: (area, x, y, w, h, seconds)
        self.events = []        # bus's: [start, end]
        self.summary = None     # bus's

    def on_frame(self, pad, info):
        buffer = info.get_buffer()
        meta = buffer.get_custom_meta("StillframeMotionMeta")
        if meta is None:
            return Gst.PadProbeReturn.OK
        fields = meta.get_structure()
        self.frames += 1
        if not fields.get_value("motion"):
            return Gst.PadProbeReturn.OK
        self.motion_frames += 1
        # The same box as a GstVideo ROI meta (type "motion", id 0), which
        # other elements (overlays, encoders) understand.
        roi = GstVideo.buffer_get_video_region_of_interest_meta_id(buffer, 0)
        if roi is not None:
            area = roi.w * roi.h
            if self.biggest_box is None or area > self.biggest_box[0]:
                self.biggest_box = (area, roi.x, roi.y, roi.w, roi.h,
                                    seconds(buffer.pts))
        return Gst.PadProbeReturn.OK

    def on_message(self, bus, message, loop):
        if message.type == Gst.MessageType.ELEMENT:
            s = message.get_structure()
            if s.get_name() == "stillframe-motion":
                # Motion starts or stops, at this stream timestamp.
                if s.get_value("motion"):
                    self.events.append([seconds(s.get_value("timestamp")),
                                        None])
                elif self.events:
                    self.events[-1][1] = seconds(s.get_value("timestamp"))
            elif s.get_name() == "stillframe-cut-summary":
                self.summary = {k: s.get_value(k) for k in
                                ("frames-in", "frames-out", "spans-dropped")}
        elif message.type == Gst.MessageType.ERROR:
            error, _ = message.parse_error()
            print(f"error: {error.message}", file=sys.stderr)
            loop.quit()
        elif message.type == Gst.MessageType.EOS:
            loop.quit()
        return True


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 1
    Gst.init(None)
    if Gst.ElementFactory.find("stillframedetect") is None:
        print("the stillframe plugin is not installed (set "
              "GST_PLUGIN_PATH_1_0)", file=sys.stderr)
        return 1
    pipeline = Gst.parse_launch(
        "uridecodebin name=decode ! videoconvert ! stillframedetect name=detect"
        " ! stillframecut ! fakesink")
    pipeline.get_by_name("decode").set_property(
        "uri", Gst.filename_to_uri(sys.argv[1]))
    watcher = Watcher()
    pipeline.get_by_name("detect").get_static_pad("src").add_probe(
        Gst.PadProbeType.BUFFER, watcher.on_frame)
    loop = GLib.MainLoop()
    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", watcher.on_message, loop)
    pipeline.set_state(Gst.State.PLAYING)
    loop.run()
    pipeline.set_state(Gst.State.NULL)
    for i, (start, end) in enumerate(watcher.events, 1):
        end_text = f"{end:.3f}" if end is not None else "the end"
        print(f"event {i}: {start:.3f} s to {end_text} s")
    print(f"{watcher.frames} frames analysed, {watcher.motion_frames} "
          "with motion")
    if watcher.biggest_box:
        _, x, y, w, h, at = watcher.biggest_box
        print(f"biggest box: {w}x{h} at {x},{y} ({at:.3f} s)")
    if watcher.summary:
        print("cut: {frames-out} of {frames-in} frames kept, {spans-dropped} "
              "static spans dropped".format(**watcher.summary))
    return 0 if watcher.summary else 2


if __name__ == "__main__":
    sys.exit(main())
