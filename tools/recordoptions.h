/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The command line of `stillframe record`, parsed and checked before the
 * camera is opened (the detector's and the cut's options are options.h's).
 */
#pragma once

#include "options.h"
#include "recordfiles.h"
#include "cuttime.h"

#include <string>

namespace stillframe::cli {

struct RecordOptions : ElementOptions {
  /* One of: a URI or device, or a gst-launch-1.0 description. */
  std::string source, source_pipeline;
  std::string detect_source;    /* a URI analysed instead of the source */
  std::string folder;
  std::string events;           /* "-": standard output */
  bool print_events = false, quiet = false;
  std::string name_template = "%Y-%m-%d/%H-%M-%S.mp4";
  Time segment_max = 0;
  Time stall_timeout = 5 * kSecond;
  std::size_t ring_max_bytes = 64u << 20;
  Retention retention;
};

/* As parse_options (options.h): EXIT_DONE to go on, -1 after the help, or
 * the exit code. Needs gst_init (). */
int parse_record_options (int argc, char **argv, RecordOptions &options);

/* The camera's URI as it may be printed: no password, no user name. */
std::string redact_uri (const std::string &uri);

}  // namespace stillframe::cli
