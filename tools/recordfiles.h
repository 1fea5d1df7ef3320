/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The files `stillframe record` keeps in its folder: their names (from the
 * event's wall-clock start), the index of those it wrote, and retention,
 * which deletes the oldest of them and nothing else: a file the index does
 * not list, or one changed since it was written, is never deleted.
 * No GLib types, unit-tested in tests/unit/test_recordfiles.cpp. */
#pragma once

#include "recorder.h"

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

namespace stillframe::cli {

/* Why a --name template cannot be used, or "": it must name a file inside
 * the folder (its extension, which picks the muxer, is plan.h's). */
std::string name_template_problem (const std::string &name_template);

/* The template with strftime's conversions at `wall_ns` (nanoseconds since
 * the epoch) in local time; %f gives the milliseconds. */
std::string event_file_name (const std::string &name_template,
    std::int64_t wall_ns);

/* `name` in `folder`, or NAME-2.EXT, NAME-3.EXT, ... when it is taken
 * there or `reserved` (by a file still being written) says so. */
std::string unused_name (const std::string &folder, const std::string &name,
    const std::function<bool (const std::string &)> &reserved);

/* One file the index lists: its name in the folder, size, and when it was
 * written (seconds since the epoch). */
struct IndexedFile {
  std::string name;
  std::uint64_t bytes = 0;
  std::int64_t written = 0;
};

struct Retention {
  int keep_days = 0;            /* 0: no limit */
  std::uint64_t max_bytes = 0;  /* 0: no limit */

  bool active () const { return keep_days > 0 || max_bytes > 0; }
};

class RecordingIndex {
public:
  explicit RecordingIndex (const std::string &folder);

  /* Adds a finished file; returns an error message, or "". */
  std::string add (const IndexedFile &file);
  std::vector<IndexedFile> read () const;
  /* Deletes, oldest first, the files past `rule` at `now` (seconds), and
   * folders that leaves empty; drops from the index files that are gone
   * or changed (those are the user's now). Returns the names deleted. */
  std::vector<std::string> apply (const Retention &rule, std::int64_t now,
      std::string *error);

  const std::string &path () const { return path_; }

private:
  std::string folder_, path_;
};

/* ISO 8601 in local time with its offset, to the millisecond:
 * "2026-12-01T18:10:03.250+01:00". */
std::string iso8601 (std::int64_t wall_ns);

/* One line of --events: the event at wall-clock `wall_ns (t)` for its
 * running time t, with the files that hold it. */
std::string event_json_line (const EventSummary &event,
    const std::function<std::int64_t (Time)> &wall_ns,
    const std::vector<std::string> &files);

/* The --events lines in the events' order. An event's line is ready once
 * all its files are written, and a later event's file may be written
 * first: its line waits for those of the events before it. */
class EventLines {
public:
  /* A new event, later than every one before; its number. */
  std::uint64_t begin ();
  /* Event `number`'s line is ready. */
  void ready (std::uint64_t number, std::string line);
  /* The lines that may go out now, in order: the ready ones before the
   * first event still waiting, or at the end of the run, every ready one
   * (an event whose file never finished has no line). */
  std::vector<std::string> take (bool at_end = false);

private:
  struct Waiting {
    std::uint64_t number;
    std::string line;
    bool ready;
  };
  std::deque<Waiting> waiting_;
  std::uint64_t next_ = 0;
};

/* "10G", "500M", "2.5GB", "1000000": bytes (powers of 1024), or 0 with
 * `error` set. */
std::uint64_t parse_size (const std::string &text, std::string *error);

}  // namespace stillframe::cli
