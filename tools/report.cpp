/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "report.h"

#include "textformat.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace stillframe::cli {

namespace {

/* The union of two boxes (x0, y0, x1, y1); an empty one (x1 <= x0 or
 * y1 <= y0) adds nothing. */
void
add_box (int *box, int x0, int y0, int x1, int y1)
{
  if (x1 <= x0 || y1 <= y0)
    return;
  if (box[2] <= box[0] || box[3] <= box[1]) {
    box[0] = x0, box[1] = y0, box[2] = x1, box[3] = y1;
    return;
  }
  box[0] = std::min (box[0], x0), box[1] = std::min (box[1], y0);
  box[2] = std::max (box[2], x1), box[3] = std::max (box[3], y1);
}

}  // namespace

void
EventGrouper::add_motion (std::uint64_t start, std::uint64_t end,
    double score, int x0, int y0, int x1, int y1)
{
  if (events_.empty () || (!in_motion_
          && start - last_motion_end_ >= min_static_)) {
    Event e;
    e.start = to_seconds (start);
    events_.push_back (e);
  }
  Event &e = events_.back ();
  e.end = to_seconds (end);
  e.peak = std::max (e.peak, score);
  int box[4] = {e.x0, e.y0, e.x1, e.y1};
  add_box (box, x0, y0, x1, y1);
  e.x0 = box[0], e.y0 = box[1], e.x1 = box[2], e.y1 = box[3];
  last_motion_end_ = end;
  in_motion_ = true;
}

void
EventGrouper::add_frame (std::uint64_t start, std::uint64_t end,
    std::uint64_t origin, bool motion, double score, int x, int y, int w,
    int h)
{
  start -= std::min (start, origin);
  end -= std::min (end, origin);
  using Verdict = stillframe::MotionRun::Verdict;
  switch (run_.add (start, end, motion)) {
    case Verdict::Static:
      pending_ = false;
      in_motion_ = false;
      return;
    case Verdict::Pending:
      if (!pending_) {
        pending_ = true;
        pending_start_ = start;
        pending_peak_ = 0;
        std::fill (pending_box_, pending_box_ + 4, 0);
      }
      pending_end_ = end;
      pending_peak_ = std::max (pending_peak_, score);
      add_box (pending_box_, x, y, x + w, y + h);
      return;
    case Verdict::Motion:
      if (pending_) {
        /* It counts now, from its first frame. */
        pending_ = false;
        add_motion (pending_start_, pending_end_, pending_peak_,
            pending_box_[0], pending_box_[1], pending_box_[2],
            pending_box_[3]);
      }
      add_motion (start, end, score, x, y, x + w, y + h);
      return;
  }
}

std::vector<Range>
tidy_ranges (std::vector<Range> ranges, double limit)
{
  constexpr double kTouching = 1e-6;
  std::vector<Range> tidy;
  for (Range r : ranges) {
    r.start = std::clamp (r.start, 0.0, limit);
    r.end = std::clamp (r.end, 0.0, limit);
    if (r.end - r.start < kTouching)
      continue;
    if (!tidy.empty () && r.start <= tidy.back ().end + kTouching)
      tidy.back ().end = std::max (tidy.back ().end, r.end);
    else
      tidy.push_back (r);
  }
  return tidy;
}

std::vector<Range>
kept_between (const std::vector<Range> &dropped, double origin, double limit,
    double from)
{
  std::vector<Range> kept;
  double cursor = from;
  for (const Range &d : dropped) {
    if (d.start - origin > cursor)
      kept.push_back ({cursor, d.start - origin});
    cursor = std::max (cursor, d.end - origin);
  }
  kept.push_back ({cursor, limit});
  return tidy_ranges (kept, limit);
}

std::vector<Range>
kept_gops (const std::vector<Range> &gops, double origin, double limit)
{
  std::vector<Range> kept;
  for (const Range &r : gops)
    kept.push_back ({r.start - origin, r.end - origin});
  return tidy_ranges (kept, limit);
}

/* JSON without line breaks, for reports on standard output (JSON Lines):
 * none of ours is inside a string, where they are escaped. */
std::string
one_line (const std::string &json)
{
  std::string out;
  for (std::size_t i = 0; i < json.size (); i++) {
    if (json[i] != '\n') {
      out += json[i];
      continue;
    }
    while (i + 1 < json.size () && json[i + 1] == ' ')
      i++;
    if (!out.empty () && out.back () == ',')
      out += ' ';
  }
  return out + "\n";
}

std::string
report_json (const ReportData &r)
{
  std::ostringstream j;
  j << "{\n  \"version\": 1,\n";
  j << "  \"input\": " << json_string (r.input) << ",\n";
  const bool written = r.trim && !r.files.empty ();
  j << "  \"output_video_path\": " << (written ? json_string (r.output) :
      "null") << ",\n";
  if (r.split) {
    j << "  \"output_files\": [";
    for (std::size_t i = 0; i < r.files.size (); i++)
      j << (i ? ", " : "") << json_string (r.files[i]);
    j << "],\n";
  }
  j << "  \"duration_in\": " << fixed_seconds (r.duration_in) << ",\n";
  j << "  \"duration_out\": " << fixed_seconds (r.duration_out) << ",\n";
  if (r.range_start >= 0)
    j << "  \"range\": {\"start\": " << fixed_seconds (r.range_start) <<
        ", \"end\": " << (r.range_end >= 0 ? fixed_seconds (r.range_end) :
            "null") << "},\n";
  j << "  \"frames_in\": " << r.frames_in << ",\n";
  j << "  \"frames_out\": " << r.frames_out << ",\n";
  j << "  \"kept\": [";
  for (std::size_t i = 0; i < r.kept.size (); i++)
    j << (i ? ", " : "") << "[" << fixed_seconds (r.kept[i].start) << ", " <<
        fixed_seconds (r.kept[i].end) << "]";
  j << "],\n";
  if (r.speed_static > 0) {
    j << "  \"speed_static\": " << fixed_seconds (r.speed_static) <<
        ",\n  \"sped\": [";
    for (std::size_t i = 0; i < r.sped.size (); i++)
      j << (i ? ", " : "") << "[" << fixed_seconds (r.sped[i].start) << ", "
          << fixed_seconds (r.sped[i].end) << "]";
    j << "],\n";
  }
  j << "  \"events\": [";
  for (std::size_t i = 0; i < r.events.size (); i++) {
    const Event &e = r.events[i];
    j << (i ? "," : "") << "\n    {\"start\": " << fixed_seconds (e.start) <<
        ", \"end\": " << fixed_seconds (e.end) << ", \"peak_score\": " <<
        fixed_seconds (e.peak) << ", \"box\": {\"x\": " << e.x0 << ", \"y\": "
        << e.y0 << ", \"width\": " << e.x1 - e.x0 << ", \"height\": " <<
        e.y1 - e.y0 << "}}";
  }
  j << (r.events.empty () ? "" : "\n  ") << "],\n  \"settings\": {";
  for (std::size_t i = 0; i < r.settings.size (); i++)
    j << (i ? ", " : "") << json_string (r.settings[i].first) << ": " <<
        json_string (r.settings[i].second);
  j << "},\n  \"interrupted\": " << (r.interrupted ? "true" : "false") <<
      ",\n  \"damaged_input\": " << (r.damaged_input ? "true" : "false") <<
      ",\n  \"nothing_kept\": " << (r.nothing_kept ? "true" : "false") <<
      ",\n  \"notes\": [";
  for (std::size_t i = 0; i < r.notes.size (); i++)
    j << (i ? ", " : "") << json_string (r.notes[i]);
  j << "],\n";
  if (r.fast) {
    const DecodeShare &d = r.decoded;
    j << "  \"decoded\": {\"gops\": " << d.gops << ", \"gops_decoded\": " <<
        d.gops_decoded << ", \"frames\": " << d.frames <<
        ", \"frames_decoded\": " << d.frames_decoded <<
        ", \"share\": " << fixed_seconds (d.frames ? (double)
            d.frames_decoded / d.frames : 1.0) << ", \"long_gops\": " <<
        d.long_gops << ", \"forced_gops\": " << d.forced_gops <<
        ", \"fallback\": " << (d.fallback.empty () ?
            std::string ("null") : json_string (d.fallback)) << "},\n";
  }
  j << "  \"error\": " << (r.error.empty () ? std::string ("null") :
      json_string (r.error)) << "\n}\n";
  return j.str ();
}

const char *const kCsvHeader =
    "input,event,start_s,end_s,duration_s,peak_score,x,y,width,height\n";

const char *const kScoresHeader =
    "time_s,score,motion,noise_level,light_change,x,y,width,height,decoded\n";

std::string
score_row (const FrameScore &f)
{
  return fixed_seconds (f.time) + "," + fixed_seconds (f.score) + "," +
      (f.motion ? "1," : "0,") + fixed_seconds (f.noise_level) + "," +
      fixed_seconds (f.light_change) + "," + std::to_string (f.x) + "," +
      std::to_string (f.y) + "," + std::to_string (f.width) + "," +
      std::to_string (f.height) + (f.decoded ? ",1\n" : ",0\n");
}

std::string
csv_rows (const std::string &input, const std::vector<Event> &events)
{
  std::string rows;
  for (std::size_t i = 0; i < events.size (); i++) {
    const Event &e = events[i];
    rows += csv_field (input) + "," + std::to_string (i + 1) + "," +
        fixed_seconds (e.start) + "," + fixed_seconds (e.end) + "," +
        fixed_seconds (e.end - e.start) + "," + fixed_seconds (e.peak) + "," +
        std::to_string (e.x0) + "," + std::to_string (e.y0) + "," +
        std::to_string (e.x1 - e.x0) + "," + std::to_string (e.y1 - e.y0) +
        "\n";
  }
  return rows;
}

std::string
event_table (const std::string &input, const std::vector<Event> &events)
{
  std::string table = input + "\n| event | start | end | duration "
      "| peak score |\n|---|---|---|---|---|\n";
  for (std::size_t i = 0; i < events.size (); i++) {
    const Event &e = events[i];
    char line[160];
    /* LC_NUMERIC is "C" (main): a '.' whatever the user's locale. */
    std::snprintf (line, sizeof line, "| %zu | %s | %s | %.2f s | %.4f |\n",
        i + 1, clock_string (e.start).c_str (), clock_string (e.end).c_str (),
        e.end - e.start, e.peak);
    table += line;
  }
  return table;
}

}  // namespace stillframe::cli
