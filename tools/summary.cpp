/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "summary.h"

#include "textformat.h"

#include <algorithm>
#include <ctime>
#include <map>
#include <sstream>

namespace stillframe::cli {

namespace {

bool
digits (const std::string &text, std::size_t at, std::size_t count)
{
  if (at + count > text.size ())
    return false;
  for (std::size_t i = at; i < at + count; i++)
    if (text[i] < '0' || text[i] > '9')
      return false;
  return true;
}

int
number (const std::string &text, std::size_t at, std::size_t count)
{
  return std::stoi (text.substr (at, count));
}

/* A date written at `at`: YYYY-MM-DD, YYYY_MM_DD, YYYY/MM/DD or YYYYMMDD,
 * not inside a longer number; "" otherwise. */
std::string
date_at (const std::string &text, std::size_t at)
{
  if (!digits (text, at, 4) || (at > 0 && digits (text, at - 1, 1)))
    return "";
  const int year = number (text, at, 4);
  std::size_t month_at = at + 4;
  const char separator = month_at < text.size () ? text[month_at] : '\0';
  const bool separated = separator == '-' || separator == '_'
      || separator == '/';
  if (separated)
    month_at++;
  const std::size_t day_at = month_at + 2 + (separated ? 1 : 0);
  if (!digits (text, month_at, 2) || !digits (text, day_at, 2)
      || (separated && text[month_at + 2] != separator)
      || digits (text, day_at + 2, 1))
    return "";
  const int month = number (text, month_at, 2), day = number (text, day_at,
      2);
  if (year < 1970 || year > 2199 || month < 1 || month > 12 || day < 1
      || day > 31)
    return "";
  char date[16];
  std::snprintf (date, sizeof date, "%04d-%02d-%02d", year, month, day);
  return date;
}

/* A folder name that is a date or a part of one: 2026-11-03, 20261103,
 * 2026, 11, 03. */
bool
names_a_date (const std::string &folder)
{
  if (!date_at (folder, 0).empty () && (folder.size () == 8
          || folder.size () == 10))
    return true;
  return (folder.size () == 4 || folder.size () == 2)
      && digits (folder, 0, folder.size ());
}

void
add (Tally &tally, const ReportData &r, bool done)
{
  tally.inputs++;
  if (!done)
    tally.failed++;
  if (r.damaged_input)
    tally.damaged++;
  tally.events += r.events.size ();
  tally.seconds_in += r.duration_in;
  tally.seconds_kept += r.duration_out;
}

std::string
tally_json (const Tally &t)
{
  std::ostringstream j;
  j << "\"inputs\": " << t.inputs << ", \"failed\": " << t.failed <<
      ", \"damaged\": " << t.damaged << ", \"events\": " << t.events <<
      ", \"hours_in\": " << fixed_seconds (t.seconds_in / 3600) <<
      ", \"hours_kept\": " << fixed_seconds (t.seconds_kept / 3600);
  return j.str ();
}

/* An input's reports, by path, and the one that counts: the first that
 * says it was done, else the first. */
struct InputReports {
  const ReadReport *chosen = nullptr;
  std::vector<const ReadReport *> all;
};

/* By input name. */
std::map<std::string, InputReports>
one_per_input (const std::vector<ReadReport> &reports)
{
  std::map<std::string, InputReports> inputs;
  for (const ReadReport &r : reports)
    inputs[r.report.input].all.push_back (&r);
  for (auto &[input, found] : inputs) {
    std::sort (found.all.begin (), found.all.end (), [] (const ReadReport *a,
            const ReadReport *b) { return a->path < b->path; });
    found.chosen = found.all.front ();
    for (const ReadReport *r : found.all)
      if (input_done (r->report) && !input_done (found.chosen->report)) {
        found.chosen = r;
        break;
      }
  }
  return inputs;
}

}  // namespace

std::string
camera_of (const std::string &input)
{
  std::vector<std::string> folders;
  for (std::size_t at = 0;;) {
    const std::size_t slash = input.find ('/', at);
    if (slash == std::string::npos)
      break;
    if (slash > at)
      folders.push_back (input.substr (at, slash - at));
    at = slash + 1;
  }
  while (!folders.empty () && names_a_date (folders.back ()))
    folders.pop_back ();
  std::string camera = input.size () && input[0] == '/' ? "/" : "";
  for (std::size_t i = 0; i < folders.size (); i++)
    camera += (i ? "/" : "") + folders[i];
  return camera.empty () ? "." : camera;
}

std::string
date_in_path (const std::string &input)
{
  for (std::size_t at = 0; at < input.size (); at++) {
    const std::string date = date_at (input, at);
    if (!date.empty ())
      return date;
  }
  return "";
}

std::string
local_date (std::int64_t unix_seconds)
{
  const std::time_t t = (std::time_t) unix_seconds;
  std::tm local {};
  if (!localtime_r (&t, &local))
    return "unknown";
  char date[16];
  std::strftime (date, sizeof date, "%Y-%m-%d", &local);
  return date;
}

Summary
summarize (const std::vector<ReadReport> &reports,
    const std::vector<std::string> &expected)
{
  Summary s;
  s.reports = reports.size ();
  const std::map<std::string, InputReports> inputs = one_per_input (reports);
  std::map<std::pair<std::string, std::string>, Tally> days;
  for (const auto &[input, found] : inputs) {
    const ReadReport *chosen = found.chosen;
    if (found.all.size () > 1) {
      std::vector<std::string> paths;
      for (const ReadReport *r : found.all)
        paths.push_back (r->path);
      s.duplicates.emplace_back (input, paths);
    }
    const ReportData &r = chosen->report;
    const bool done = input_done (r);
    std::string day = date_in_path (input);
    if (day.empty ())
      day = r.produced_by.command.empty () ? "unknown" : local_date
          (r.produced_by.input_mtime_ns / 1000000000 - (std::int64_t)
              r.duration_in);
    add (days[{camera_of (input), day}], r, done);
    add (s.total, r, done);
    if (!done)
      s.failures.push_back ({input, chosen->path, r.interrupted ?
            "interrupted: the run was stopped before the input's end" :
            r.error.empty () ? "failed (exit status " + std::to_string
            (r.exit_status) + ")" : r.error});
  }
  for (const auto &[key, tally] : days)
    s.days.push_back ({key.first, key.second, tally});
  for (const std::string &input : expected)
    if (!inputs.count (input))
      s.missing.push_back (input);
  std::sort (s.missing.begin (), s.missing.end ());
  s.missing.erase (std::unique (s.missing.begin (), s.missing.end ()),
      s.missing.end ());
  return s;
}

std::string
summary_json (const Summary &s)
{
  std::ostringstream j;
  j << "{\n  \"version\": 1,\n  \"reports\": " << s.reports << ",\n  " <<
      tally_json (s.total) << ",\n  \"missing\": " << s.missing.size () <<
      ",\n  \"complete\": " << (s.complete () ? "true" : "false") <<
      ",\n  \"days\": [";
  for (std::size_t i = 0; i < s.days.size (); i++)
    j << (i ? "," : "") << "\n    {\"camera\": " << json_string
        (s.days[i].camera) << ", \"day\": " << json_string (s.days[i].day) <<
        ", " << tally_json (s.days[i].tally) << "}";
  j << (s.days.empty () ? "" : "\n  ") << "],\n  \"failures\": [";
  for (std::size_t i = 0; i < s.failures.size (); i++)
    j << (i ? "," : "") << "\n    {\"input\": " << json_string
        (s.failures[i].input) << ", \"report\": " << json_string
        (s.failures[i].report) << ", \"error\": " << json_string
        (s.failures[i].error) << "}";
  j << (s.failures.empty () ? "" : "\n  ") << "],\n  \"missing_inputs\": [";
  for (std::size_t i = 0; i < s.missing.size (); i++)
    j << (i ? "," : "") << "\n    " << json_string (s.missing[i]);
  j << (s.missing.empty () ? "" : "\n  ") << "],\n  \"duplicates\": [";
  for (std::size_t i = 0; i < s.duplicates.size (); i++) {
    j << (i ? "," : "") << "\n    {\"input\": " << json_string
        (s.duplicates[i].first) << ", \"reports\": [";
    for (std::size_t k = 0; k < s.duplicates[i].second.size (); k++)
      j << (k ? ", " : "") << json_string (s.duplicates[i].second[k]);
    j << "]}";
  }
  j << (s.duplicates.empty () ? "" : "\n  ") << "]\n}\n";
  return j.str ();
}

std::string
summary_csv (const Summary &s)
{
  std::string csv = "camera,day,inputs,failed,damaged,events,hours_in,"
      "hours_kept\n";
  for (const CameraDay &d : s.days)
    csv += csv_field (d.camera) + "," + d.day + "," + std::to_string
        (d.tally.inputs) + "," + std::to_string (d.tally.failed) + "," +
        std::to_string (d.tally.damaged) + "," + std::to_string
        (d.tally.events) + "," + fixed_seconds (d.tally.seconds_in / 3600) +
        "," + fixed_seconds (d.tally.seconds_kept / 3600) + "\n";
  return csv;
}

std::string
summary_events_csv (const std::vector<ReadReport> &reports)
{
  std::string csv = kCsvHeader;
  for (const auto &[input, found] : one_per_input (reports))
    csv += csv_rows (input, found.chosen->report.events);
  return csv;
}

}  // namespace stillframe::cli
