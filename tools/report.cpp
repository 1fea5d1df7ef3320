/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "report.h"

#include "jsonvalue.h"
#include "textformat.h"

#include <algorithm>
#include <stdexcept>
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

bool
input_done (const ReportData &r)
{
  /* The exit codes of options.h: done, damaged input, nothing kept. */
  return (r.exit_status == 0 || r.exit_status == 3 || r.exit_status == 4)
      && !r.interrupted;
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
        ", \"longest_skipped_gop\": " << fixed_seconds (d.longest_skip) <<
        ", \"fallback\": " << (d.fallback.empty () ?
            std::string ("null") : json_string (d.fallback)) << "},\n";
  }
  j << "  \"exit_status\": " << r.exit_status << ",\n";
  const Provenance &p = r.produced_by;
  if (!p.command.empty ()) {
    j << "  \"produced_by\": {\"stillframe\": " << json_string (p.version) <<
        ", \"command\": " << json_string (p.command) << ", \"input_bytes\": "
        << p.input_bytes << ", \"input_mtime_ns\": " << p.input_mtime_ns <<
        ", \"options\": {";
    for (std::size_t i = 0; i < p.options.size (); i++)
      j << (i ? ", " : "") << json_string (p.options[i].first) << ": " <<
          json_string (p.options[i].second);
    j << "}},\n  \"written\": [";
    for (std::size_t i = 0; i < r.written.size (); i++)
      j << (i ? ", " : "") << "{\"path\": " << json_string (r.written[i].path)
          << ", \"bytes\": " << r.written[i].bytes << "}";
    j << "],\n";
  }
  j << "  \"error\": " << (r.error.empty () ? std::string ("null") :
      json_string (r.error)) << "\n}\n";
  return j.str ();
}

namespace {

[[noreturn]] void
not_a_report (const std::string &why)
{
  throw std::invalid_argument ("not a stillframe report: " + why);
}

const JsonValue &
member (const JsonValue &object, const char *key, JsonValue::Type type)
{
  const JsonValue *v = object.get (key);
  if (!v || !v->is (type))
    not_a_report (std::string ("no ") + key);
  return *v;
}

std::vector<Range>
ranges_of (const JsonValue &list)
{
  std::vector<Range> ranges;
  for (const JsonValue &pair : list.items ()) {
    if (pair.items ().size () != 2 || !pair.items ()[0].as_number ()
        || !pair.items ()[1].as_number ())
      not_a_report ("a range is not two numbers");
    ranges.push_back ({*pair.items ()[0].as_number (),
          *pair.items ()[1].as_number ()});
  }
  return ranges;
}

std::vector<std::pair<std::string, std::string>>
strings_of (const JsonValue &object)
{
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto &[key, value] : object.members ()) {
    if (!value.as_string ())
      not_a_report (key + " is not a string");
    pairs.emplace_back (key, *value.as_string ());
  }
  return pairs;
}

}  // namespace

ReportData
read_report (const JsonValue &json)
{
  using Type = JsonValue::Type;
  if (!json.is (Type::Object))
    not_a_report ("no object");
  const JsonValue *version = json.get ("version");
  if (!version || version->as_u64 () != std::uint64_t (1))
    not_a_report ("no version 1");
  ReportData r;
  r.input = *member (json, "input", Type::String).as_string ();
  if (const JsonValue *out = json.get ("output_video_path"); out
      && out->as_string ())
    r.output = *out->as_string ();
  if (const JsonValue *files = json.get ("output_files")) {
    r.split = true;
    for (const JsonValue &f : files->items ())
      if (f.as_string ())
        r.files.push_back (*f.as_string ());
  } else if (!r.output.empty ()) {
    r.files.push_back (r.output);
  }
  r.duration_in = json.number_at ("duration_in");
  r.duration_out = json.number_at ("duration_out");
  if (const JsonValue *range = json.get ("range"); range
      && range->is (Type::Object)) {
    r.range_start = range->number_at ("start");
    r.range_end = range->number_at ("end", -1);
  }
  r.frames_in = (std::uint64_t) json.number_at ("frames_in");
  r.frames_out = (std::uint64_t) json.number_at ("frames_out");
  r.kept = ranges_of (member (json, "kept", Type::Array));
  if (const JsonValue *sped = json.get ("sped")) {
    r.speed_static = json.number_at ("speed_static");
    r.sped = ranges_of (*sped);
  }
  for (const JsonValue &e : member (json, "events", Type::Array).items ()) {
    Event event;
    event.start = e.number_at ("start");
    event.end = e.number_at ("end");
    event.peak = e.number_at ("peak_score");
    if (const JsonValue *box = e.get ("box")) {
      event.x0 = (int) box->number_at ("x");
      event.y0 = (int) box->number_at ("y");
      event.x1 = event.x0 + (int) box->number_at ("width");
      event.y1 = event.y0 + (int) box->number_at ("height");
    }
    r.events.push_back (event);
  }
  if (const JsonValue *settings = json.get ("settings"))
    r.settings = strings_of (*settings);
  r.interrupted = json.bool_at ("interrupted");
  r.damaged_input = json.bool_at ("damaged_input");
  r.nothing_kept = json.bool_at ("nothing_kept");
  if (const JsonValue *notes = json.get ("notes"))
    for (const JsonValue &n : notes->items ())
      if (n.as_string ())
        r.notes.push_back (*n.as_string ());
  if (const JsonValue *d = json.get ("decoded"); d && d->is (Type::Object)) {
    r.fast = true;
    r.decoded.gops = (std::uint64_t) d->number_at ("gops");
    r.decoded.gops_decoded = (std::uint64_t) d->number_at ("gops_decoded");
    r.decoded.frames = (std::uint64_t) d->number_at ("frames");
    r.decoded.frames_decoded = (std::uint64_t) d->number_at
        ("frames_decoded");
    r.decoded.long_gops = (std::size_t) d->number_at ("long_gops");
    r.decoded.forced_gops = (std::uint64_t) d->number_at ("forced_gops");
    r.decoded.longest_skip = d->number_at ("longest_skipped_gop");
    r.decoded.fallback = d->string_at ("fallback");
  }
  r.exit_status = (int) json.number_at ("exit_status");
  if (const JsonValue *p = json.get ("produced_by"); p
      && p->is (Type::Object)) {
    Provenance &made = r.produced_by;
    made.command = p->string_at ("command");
    made.version = p->string_at ("stillframe");
    const JsonValue *bytes = p->get ("input_bytes");
    const JsonValue *mtime = p->get ("input_mtime_ns");
    if (!bytes || !bytes->as_u64 () || !mtime || !mtime->as_i64 ())
      not_a_report ("produced_by has no input size and time");
    made.input_bytes = *bytes->as_u64 ();
    made.input_mtime_ns = *mtime->as_i64 ();
    if (const JsonValue *options = p->get ("options"))
      made.options = strings_of (*options);
    r.trim = made.command == "trim";
    for (const JsonValue &w : member (json, "written", Type::Array).items ()) {
      const JsonValue *size = w.get ("bytes");
      if (!w.get ("path") || !size || !size->as_u64 ())
        not_a_report ("a written file without its path and size");
      r.written.push_back ({w.string_at ("path"), *size->as_u64 ()});
    }
  }
  if (const JsonValue *error = json.get ("error"); error
      && error->as_string ())
    r.error = *error->as_string ();
  return r;
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
