/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a job reports, as pure functions of plain data: motion runs grouped
 * into events, the kept ranges, and the JSON report, CSV rows and event
 * table written from them. No GLib types, unit-tested in
 * tests/unit/test_report.cpp; the format is documented in
 * docs/stillframe.md. */
#pragma once

#include "cutdecider.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace stillframe::cli {

/* Nanoseconds (GstClockTime) in seconds; an unknown time is 0. */
inline double
to_seconds (std::uint64_t ns)
{
  return ns == UINT64_MAX ? 0.0 : (double) ns / 1e9;
}

/* Times in seconds from the input's first frame. */
struct Event {
  double start = 0, end = 0, peak = 0;
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;   /* the union of the motion boxes */
};

struct Range {
  double start, end;
};

/* Groups analysed frames into events: motion runs closer than min_static
 * are one event, as the cut keeps them together. Times in nanoseconds of
 * stream time; `origin` is the first frame's. */
class EventGrouper {
public:
  /* Motion shorter than min_motion is no event (MotionRun, the cut's
   * rule). */
  explicit EventGrouper (std::uint64_t min_static,
      std::uint64_t min_motion = 0) : min_static_ (min_static)
  {
    run_.set_min_motion (min_motion);
  }

  void add_frame (std::uint64_t start, std::uint64_t end,
      std::uint64_t origin, bool motion, double score, int x, int y,
      int width, int height);
  const std::vector<Event> &events () const { return events_; }

private:
  void add_motion (std::uint64_t start, std::uint64_t end, double score,
      int x0, int y0, int x1, int y1);

  std::uint64_t min_static_;
  stillframe::MotionRun run_;
  /* The motion that does not count yet, as one frame: its span, peak and
   * box. */
  bool pending_ = false;
  std::uint64_t pending_start_ = 0, pending_end_ = 0;
  double pending_peak_ = 0;
  int pending_box_[4] = {0, 0, 0, 0};   /* x0, y0, x1, y1; empty: x1 <= x0 */
  std::vector<Event> events_;
  bool in_motion_ = false;
  std::uint64_t last_motion_end_ = 0;
};

/* Ranges clipped to [0, limit], without empty ones, touching ones merged. */
std::vector<Range> tidy_ranges (std::vector<Range> ranges, double limit);

/* What was kept, from the dropped spans (stream seconds) of an input that
 * starts at `origin`, read from `from` to `limit` seconds after it. */
std::vector<Range> kept_between (const std::vector<Range> &dropped,
    double origin, double limit, double from = 0);
/* What was kept, from --copy's kept GOPs (running seconds). */
std::vector<Range> kept_gops (const std::vector<Range> &gops, double origin,
    double limit);

/* How much of the video --fast decoded. */
struct DecodeShare {
  std::uint64_t gops = 0, gops_decoded = 0, frames = 0, frames_decoded = 0;
  std::string fallback;         /* why every GOP was decoded, or "" */
  std::size_t long_gops = 0;    /* decoded for being too long */
  /* Decoded because the look-ahead ran out before their verdicts came. */
  std::uint64_t forced_gops = 0;
  /* The longest GOP skipped, in seconds: what comes and goes within one,
   * between two keyframes that look alike, is not seen. */
  double longest_skip = 0;
};

/* What made a report, so that a later run can tell the job is done
 * (resume.h): the command and every option that shapes what it writes, and
 * the input as it was read. */
struct Provenance {
  std::string command;                  /* "trim" or "scan"; "" unknown */
  std::string version;                  /* stillframe's */
  std::uint64_t input_bytes = 0;
  std::int64_t input_mtime_ns = 0;
  std::vector<std::pair<std::string, std::string>> options;

  /* Equal as far as resuming goes: all but the version. */
  bool same_job (const Provenance &other) const
  {
    return command == other.command && input_bytes == other.input_bytes
        && input_mtime_ns == other.input_mtime_ns && options == other.options;
  }
};

/* A file the job wrote, and its size once complete. */
struct WrittenFile {
  std::string path;
  std::uint64_t bytes = 0;

  bool operator== (const WrittenFile &other) const
  {
    return path == other.path && bytes == other.bytes;
  }
};

/* Everything a report says about one input. */
struct ReportData {
  std::string input;
  bool trim = false, split = false;
  std::string output;                   /* trim's -o for this input */
  std::vector<std::string> files;       /* written, in order */
  double duration_in = 0, duration_out = 0;
  std::uint64_t frames_in = 0, frames_out = 0;
  std::vector<Range> kept;
  std::vector<Event> events;
  /* --speed-static: the speed, and the static spans kept at it. */
  double speed_static = 0;
  std::vector<Range> sped;
  /* --start/--end, seconds; a negative start: no range given, a negative
   * end: to the end. */
  double range_start = -1, range_end = -1;
  /* Element properties given on the command line, in order. */
  std::vector<std::pair<std::string, std::string>> settings;
  bool interrupted = false, damaged_input = false, nothing_kept = false;
  std::vector<std::string> notes;
  std::string error;
  bool fast = false;
  DecodeShare decoded;
  int exit_status = 0;                  /* the input's, as the run's codes */
  Provenance produced_by;
  /* Every file written for the input but the report, with its size. */
  std::vector<WrittenFile> written;
};

/* Whether the report says its input was done, so that doing it again
 * would give the same: it ended done, with damaged input (what could be
 * read was written) or with nothing moving, and was not interrupted. */
bool input_done (const ReportData &report);

/* A report is small: a larger file is no report (read back with this
 * limit). */
constexpr std::uint64_t kMaxReportBytes = 64 << 20;

/* The JSON report (version 1), pretty-printed. */
std::string report_json (const ReportData &report);
class JsonValue;
/* A report read back (stillframe summary, resuming a run): what
 * report_json writes. Throws std::invalid_argument when `json` is no
 * stillframe report. */
ReportData read_report (const JsonValue &json);
/* JSON without line breaks, for reports on standard output (JSON Lines). */
std::string one_line (const std::string &json);

extern const char *const kCsvHeader;
/* One CSV row per event. */
std::string csv_rows (const std::string &input,
    const std::vector<Event> &events);
/* One analysed frame, as --scores writes it: seconds from the first frame,
 * the detector's meta (docs/stillframedetect.md), and whether the frame was
 * decoded at all (--fast skips some, which count as static). */
struct FrameScore {
  double time = 0, score = 0, noise_level = 0, light_change = 0;
  bool motion = false, decoded = true;
  int x = 0, y = 0, width = 0, height = 0;
};

extern const char *const kScoresHeader;
std::string score_row (const FrameScore &frame);

/* scan's table on standard output. */
std::string event_table (const std::string &input,
    const std::vector<Event> &events);

}  // namespace stillframe::cli
