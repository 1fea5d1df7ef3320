/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The command line of `stillframe`: parsed and checked before anything is
 * read or written. Element settings are checked against the elements'
 * own properties (ranges, enums) and, for the detector's regions and mask,
 * by the element itself, so that every message comes from one owner. */
#pragma once

#include <gst/gst.h>

#include <string>
#include <utility>
#include <vector>

namespace stillframe::cli {

struct Options {
  bool trim = false;
  std::vector<std::string> inputs;
  std::string output;
  std::string report, csv;      /* "-": standard output */
  bool force = false, quiet = false, split = false, copy = false;
  int jobs = 1;
  int quality = 23;
  /* An input that decodes no frame for this long is given up on. */
  GstClockTime stall_timeout = 30 * GST_SECOND;
  std::string preset = "veryfast";
  /* Element properties, only those given are set, as strings
   * gst_value_deserialize reads. */
  std::vector<std::pair<std::string, std::string>> detect_props, cut_props;
};

/* Exit codes, documented in docs/stillframe.md. */
enum ExitCode {
  EXIT_DONE = 0,
  EXIT_BAD_INPUT = 1,
  EXIT_RUNTIME = 2,
  /* An output was written but part of the input could not be read. */
  EXIT_DAMAGED_INPUT = 3,
  /* Nothing moved, so trim wrote no output. */
  EXIT_NOTHING_KEPT = 4,
  EXIT_INTERRUPTED = 130,
};

/* Parses argv; prints the problem (or the help, or the version) itself.
 * Returns EXIT_DONE to go on, -1 when help or the version was asked for,
 * or the exit code. Needs gst_init (). */
int parse_options (int argc, char **argv, Options &options);

}  // namespace stillframe::cli
