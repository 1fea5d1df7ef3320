#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A loopback RTSP camera for the record tests: plays CLIP (H.264, with
its AAC audio when it has some) in real time at rtsp://127.0.0.1:PORT/cam,
to every client from one shared media. Prints "ready" once listening;
runs until killed or until --seconds have passed."""
import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("clip")
    parser.add_argument("port", type=int)
    parser.add_argument("--audio", action="store_true")
    parser.add_argument("--seconds", type=float, default=300)
    args = parser.parse_args()
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    launch = (f"( filesrc location={args.clip} ! qtdemux name=d "
              "d.video_0 ! queue ! h264parse ! "
              "rtph264pay name=pay0 pt=96 config-interval=-1")
    if args.audio:
        launch += " d.audio_0 ! queue ! aacparse ! rtpmp4gpay name=pay1 pt=97"
    factory.set_launch(launch + " )")
    factory.set_shared(True)
    server.get_mount_points().add_factory("/cam", factory)
    if server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{args.port}", file=sys.stderr)
        return 1
    loop = GLib.MainLoop()
    GLib.timeout_add(int(args.seconds * 1000), loop.quit)
    print("ready", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
