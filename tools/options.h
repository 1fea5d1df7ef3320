/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The command line of `stillframe`: parsed and checked before anything is
 * read or written. Element settings are checked against the elements'
 * own properties (ranges, enums) and, for the detector's regions and mask,
 * by the element itself, so that every message comes from one owner. */
#pragma once

#include <gst/gst.h>

#include <cstdio>

#include <functional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace stillframe::cli {

/* The detector's and the cut's settings, which every command takes. */
struct ElementOptions {
  /* Element properties, only those given are set, as strings
   * gst_value_deserialize reads. */
  std::vector<std::pair<std::string, std::string>> detect_props, cut_props;
};

struct Options : ElementOptions {
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

/* A usage error; its text is printed after "stillframe: ". */
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/* For each command's parser: takes option `name` if it is the detector's
 * or the cut's, reading its value with `value` and refusing it when
 * `given` has it already. */
bool take_element_option (const std::string &name,
    const std::function<std::string ()> &value, std::set<std::string> &given,
    ElementOptions &o);
/* Checks the values against the elements' own ranges and refusals and
 * puts them as the elements read them; throws UsageError. */
void check_element_options (ElementOptions &o);
/* The help lines of those options. */
void print_element_options (FILE *to);

/* Parses argv; prints the problem (or the help, or the version) itself.
 * Returns EXIT_DONE to go on, -1 when help or the version was asked for,
 * or the exit code. Needs gst_init (). */
int parse_options (int argc, char **argv, Options &options);

}  // namespace stillframe::cli
