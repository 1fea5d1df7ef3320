/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Writes a video track's rotation into an MP4/MOV file that is complete:
 * GStreamer 1.22's mp4mux and qtmux drop the image-orientation tag, so
 * `trim --copy` puts the input's rotation back into the track header
 * (tkhd) matrix, as cameras and phones write it and players read it.
 * No GLib types, unit-tested in tests/unit/test_mp4orientation.cpp. */
#pragma once

#include <string>

namespace stillframe::cli {

/* The clockwise rotation a GStreamer image-orientation tag asks for (0, 90,
 * 180, 270), or -1 for one a track matrix is not written for here (the
 * flips). */
int rotation_of_orientation_tag (const std::string &tag);

/* Sets the matrix of the first video track's tkhd in `path` to a rotation
 * of `degrees` clockwise (90, 180 or 270; 0 restores the identity).
 * Returns an error message naming what is wrong, or "". */
std::string set_video_rotation (const std::string &path, int degrees);

}  // namespace stillframe::cli
