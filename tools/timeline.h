/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kept spans as an editor's timeline: each kept span of each input is
 * one clip of the original media, placed one after another, with a marker
 * per event. Times become whole frames at the source's rate, so that cuts
 * land on the frames the cut kept. OpenTimelineIO, CMX 3600 EDL and Final
 * Cut Pro XML are written here as text; GES's .xges is written through GES
 * itself (gestimeline.h) from the same clips.
 * No GLib types, unit-tested in tests/unit/test_timeline.cpp; the formats
 * are documented in docs/stillframe.md. */
#pragma once

#include "report.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace stillframe::cli {

enum class TimelineFormat { Otio, Edl, Fcpxml, Xges };

/* The format a timeline file's extension names, if any. */
std::optional<TimelineFormat> timeline_format (const std::string &path);

/* One input, as the run found it. */
struct TimelineSource {
  std::string uri;              /* file:// URI of the original media */
  std::string name;             /* its file name, for clip names */
  int rate_num = 25, rate_den = 1;      /* frames per second */
  int width = 0, height = 0;
  bool has_audio = false;
  double duration = 0;          /* seconds */
  std::vector<Range> kept;      /* seconds from its first frame */
  std::vector<Event> events;
};

/* A kept span in whole frames of its source: [first, first + frames). */
struct TimelineClip {
  std::size_t source = 0;       /* index in the sources */
  std::int64_t first = 0, frames = 0;
  std::int64_t at_ns = 0;       /* where it starts on the timeline */
  std::vector<std::size_t> events;      /* the source's events it shows */
};

/* The clips of the sources' kept spans, in order; spans shorter than a
 * frame after rounding are left out. An event is marked on the clip that
 * holds its start. */
std::vector<TimelineClip> timeline_clips (
    const std::vector<TimelineSource> &sources);

/* An event marker's words, the same in every format: "event 2, peak score
 * 0.012500". `index` counts from 0. */
std::string timeline_marker_name (std::size_t index, const Event &event);

/* Nanoseconds of `frames` frames at a source's rate. */
std::int64_t frames_to_ns (std::int64_t frames, const TimelineSource &source);

/* The timeline as text; throws std::runtime_error for what the format
 * cannot hold (an EDL of more than 999 edits). `title` names it. */
std::string otio_text (const std::string &title,
    const std::vector<TimelineSource> &sources);
std::string edl_text (const std::string &title,
    const std::vector<TimelineSource> &sources);
std::string fcpxml_text (const std::string &title,
    const std::vector<TimelineSource> &sources);

}  // namespace stillframe::cli
