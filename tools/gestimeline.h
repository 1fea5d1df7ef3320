/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The timeline as GStreamer Editing Services' .xges project (Pitivi opens
 * it, ges-launch-1.0 --load renders it), made through GES's own API from
 * the clips timeline.h computes: one layer of URI clips, audio and video
 * linked as GES links them, a marker per event. */
#pragma once

#include "timeline.h"

#include <string>
#include <vector>

namespace stillframe::cli {

/* Writes the project to `path` (a new file: the caller's hidden one).
 * Returns an error message, or "". Needs gst_init (). */
std::string write_xges (const std::string &path,
    const std::vector<TimelineSource> &sources);

}  // namespace stillframe::cli
