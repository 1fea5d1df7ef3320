/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The command line of `stillframe`: parsed and checked before anything is
 * read or written. Element settings are checked against the elements'
 * own properties (ranges, enums) and, for the detector's regions and mask,
 * by the element itself, so that every message comes from one owner. */
#pragma once

#include "shard.h"

#include <gst/gst.h>

#include <cstdio>

#include <optional>
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
  /* --from-list: a file naming more inputs, one a line ("-": standard
   * input). */
  std::string from_list;
  /* --shard: this worker's part of the inputs. */
  std::optional<Shard> shard;
  std::string output;
  std::string report, csv;      /* "-": standard output */
  /* Per input: per-frame scores (CSV), the visual report (HTML). */
  std::string scores, html;
  /* The run's kept spans for an editor, its format by extension. */
  std::string timeline;
  /* Only this part of each input, in seconds from its first frame; a
   * negative end: to its end. */
  double range_start = 0, range_end = -1;
  bool has_range () const { return range_start > 0 || range_end >= 0; }
  /* Static spans kept this many times faster instead of dropped; 0: cut. */
  double speed_static = 0;
  bool force = false, quiet = false, split = false, copy = false;
  /* Decode only the GOPs that may hold motion (scan, trim --copy). */
  bool fast = false;
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

/* A command's arguments, from argv[2] on: options as `--name value` or
 * `--name=value` (or `-x value`), anything else, and all after `--`,
 * positional. */
class ArgumentReader {
public:
  ArgumentReader (int argc, char **argv) : argc_ (argc), argv_ (argv) {}

  /* Moves to the next argument; false after the last. Throws UsageError
   * when the one before was given a value it does not take. */
  bool next ();
  /* The option's name (without its =value), or the positional argument. */
  const std::string &arg () const { return arg_; }
  bool positional () const { return positional_; }
  /* The option's value; throws UsageError when there is none. */
  std::string value ();
  /* Refuses an option (or a group of them, under one key) given twice. */
  void once (const std::string &key);
  bool given (const std::string &key) const { return given_.count (key) > 0; }

private:
  int argc_;
  char **argv_;
  int index_ = 1;
  std::string arg_, inline_value_;
  bool has_inline_value_ = false, value_used_ = true, positional_ = false,
      options_ended_ = false;
  std::set<std::string> given_;
};

/* A time option's value in seconds, in any form parse_time reads, within
 * [minimum, maximum]; throws UsageError. */
double time_option (const std::string &option, const std::string &text,
    double minimum, double maximum);

/* For each command's parser: takes the current option if it is the
 * detector's or the cut's. */
bool take_element_option (ArgumentReader &args, ElementOptions &o);
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
