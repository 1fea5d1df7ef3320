/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `stillframe summary`'s merge: the per-input reports of every shard of a
 * run, read back (report.h), counted per camera and day, with the inputs
 * that failed and why, and the expected inputs that have no report.
 *
 * An input's camera is its folder, less the folders named by a date or a
 * part of one (cam07/2026-11-03/ and cam07/2026/11/03/ are both cam07);
 * its day is the first date in its path (2026-11-03, 2026_11_03,
 * 20261103, 2026/11/03), or else the local day its recording started:
 * the input's modification time less its duration.
 * No GLib types; unit-tested in tests/unit/test_summary.cpp. */
#pragma once

#include "report.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace stillframe::cli {

struct ReadReport {
  std::string path;             /* the report file */
  ReportData report;
};

/* Counts of one camera on one day, or of the whole run. */
struct Tally {
  std::size_t inputs = 0, failed = 0, damaged = 0, events = 0;
  double seconds_in = 0, seconds_kept = 0;
};

struct CameraDay {
  std::string camera, day;
  Tally tally;
};

struct Failure {
  std::string input, report, error;
};

struct Summary {
  std::size_t reports = 0;
  Tally total;
  std::vector<CameraDay> days;          /* by camera, then day */
  std::vector<Failure> failures;        /* by input */
  /* Expected inputs without a report; inputs with two or more reports
   * (each listed with all of its reports). */
  std::vector<std::string> missing;
  std::vector<std::pair<std::string, std::vector<std::string>>> duplicates;

  bool complete () const { return failures.empty () && missing.empty (); }
};

std::string camera_of (const std::string &input);
/* The first date (YYYY-MM-DD) in the path's folders or name, or "". */
std::string date_in_path (const std::string &input);
/* YYYY-MM-DD of a time in seconds from 1970, in local time. */
std::string local_date (std::int64_t unix_seconds);

/* Merges `reports` (in any order); `expected` names inputs as the reports
 * do (empty: none expected). */
Summary summarize (const std::vector<ReadReport> &reports,
    const std::vector<std::string> &expected);

std::string summary_json (const Summary &summary);
/* One row a camera and day. */
std::string summary_csv (const Summary &summary);
/* Every event of every input, as `--csv` writes them, in input order. */
std::string summary_events_csv (const std::vector<ReadReport> &reports);

}  // namespace stillframe::cli
