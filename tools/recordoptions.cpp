/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "recordoptions.h"

#include "plan.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace stillframe::cli {

namespace {

void
print_usage (FILE *to)
{
  std::fprintf (to,
      "Usage: stillframe record SOURCE -o FOLDER [options]\n"
      "       stillframe record --source-pipeline DESCRIPTION -o FOLDER "
      "[options]\n\n"
      "Records only the moments a live camera shows motion, one file per "
      "event,\nwith the camera's own packets (H.264 and H.265 are not "
      "re-encoded).\n\n"
      "SOURCE is an rtsp://, http(s):// or file:// URI, or a V4L2 device "
      "(/dev/video0).\nThe camera's user and password may come from "
      "STILLFRAME_CAMERA_USER and\nSTILLFRAME_CAMERA_PASSWORD; they are "
      "never printed.\n\nOptions:\n"
      "  -o, --output FOLDER      where the event files go\n"
      "  --source-pipeline DESC   a gst-launch-1.0 source description "
      "instead of SOURCE\n"
      "  --detect-source URI      analyse this stream (a sub-stream) "
      "instead\n"
      "  --name TEMPLATE          file names, strftime-style, %%f for "
      "milliseconds\n"
      "                           (%%Y-%%m-%%d/%%H-%%M-%%S.mp4; .mkv, .mov "
      "also)\n"
      "  --events FILE.jsonl      one JSON line per event (- for standard "
      "output)\n"
      "  --print-events           the same lines on standard output too\n"
      "  --pre-roll SECONDS       recorded before motion (3)\n"
      "  --post-roll SECONDS      recorded after motion (3)\n"
      "  --min-event SECONDS      shorter motion is no event (0)\n"
      "  --min-static SECONDS     shorter still spans do not end an event "
      "(3)\n"
      "  --segment-max SECONDS    a longer event goes on in a new file, at a "
      "keyframe\n"
      "  --keep-days N            delete recordings older than N days\n"
      "  --max-size SIZE          delete the oldest recordings past SIZE "
      "(500M, 20G)\n"
      "  --stall-timeout SECONDS  a camera that sends nothing this long is "
      "lost (5)\n"
      "  --ring-max SIZE          bound of the pre-roll ring (64M)\n");
  print_element_options (to);
  std::fprintf (to,
      "  -q, --quiet              no status lines (outages are still "
      "said)\n"
      "  -h, --help               this help\n"
      "\nIt runs until interrupted (SIGINT, SIGTERM: the open file is "
      "finished, exit 0)\nor, for a file, until its end. Exit codes: 0 done, "
      "1 bad usage, 2 runtime failure.\n");
}

}  // namespace

std::string
redact_uri (const std::string &uri)
{
  const std::size_t scheme = uri.find ("://");
  if (scheme == std::string::npos)
    return uri;
  const std::size_t host = scheme + 3;
  const std::size_t path = uri.find ('/', host);
  const std::size_t at = uri.rfind ('@', path == std::string::npos ?
      std::string::npos : path);
  if (at == std::string::npos || at < host)
    return uri;
  return uri.substr (0, host) + "***@" + uri.substr (at + 1);
}

int
parse_record_options (int argc, char **argv, RecordOptions &o)
{
  try {
    ArgumentReader args (argc, argv);
    while (args.next ()) {
      const std::string &a = args.arg ();
      auto need = [&] () { return args.value (); };
      auto once = [&] (const std::string &key) { args.once (key); };
      if (args.positional ()) {
        if (!o.source.empty ())
          throw UsageError ("one camera per recorder: '" + redact_uri (a) +
              "' is a second SOURCE");
        o.source = a;
      } else if (a == "-o" || a == "--output") {
        once ("-o");
        o.folder = need ();
      } else if (a == "--source-pipeline") {
        once (a);
        o.source_pipeline = need ();
      } else if (a == "--detect-source") {
        once (a);
        o.detect_source = need ();
      } else if (a == "--name") {
        once (a);
        o.name_template = need ();
      } else if (a == "--events") {
        once (a);
        o.events = need ();
        if (o.events.empty ())
          throw UsageError ("--events needs a file name (or - for standard "
              "output)");
      } else if (a == "--print-events") {
        o.print_events = true;
      } else if (a == "--segment-max") {
        once (a);
        o.segment_max = (Time) std::llround (time_option (a, need (), 1,
              86400 * 365) * kSecond);
      } else if (a == "--stall-timeout") {
        once (a);
        o.stall_timeout = (Time) std::llround (time_option (a, need (),
                0.1, 86400 * 365) * kSecond);
      } else if (a == "--keep-days") {
        once (a);
        const std::string text = need ();
        char *end = nullptr;
        const long days = std::strtol (text.c_str (), &end, 10);
        if (text.empty () || *end || days < 1 || days > 36500)
          throw UsageError ("--keep-days: '" + text + "' must be a whole "
              "number of days, 1 or more");
        o.retention.keep_days = (int) days;
      } else if (a == "--max-size" || a == "--ring-max") {
        once (a);
        std::string error;
        const std::uint64_t bytes = parse_size (need (), &error);
        if (!error.empty ())
          throw UsageError (a + ": " + error);
        if (a == "--max-size")
          o.retention.max_bytes = bytes;
        else
          o.ring_max_bytes = (std::size_t) bytes;
      } else if (a == "-q" || a == "--quiet") {
        o.quiet = true;
      } else if (a == "-h" || a == "--help") {
        print_usage (stdout);
        return -1;
      } else if (take_element_option (args, o)) {
      } else {
        throw UsageError ("unknown option " + a + " (see stillframe record "
            "--help)");
      }
    }
    if (o.source.empty () == o.source_pipeline.empty ())
      throw UsageError (o.source.empty () ? "record needs a SOURCE (or "
          "--source-pipeline)" : "give a SOURCE or --source-pipeline, not "
          "both");
    if (o.folder.empty ())
      throw UsageError ("record needs -o FOLDER");
    const std::string problem = name_template_problem (o.name_template);
    if (!problem.empty ())
      throw UsageError ("--name '" + o.name_template + "': " + problem);
    if (!muxer_for (o.name_template))
      throw UsageError ("--name '" + o.name_template + "': it must end with "
          ".mp4, .mkv or .mov");
    if (o.events == "-" && o.print_events)
      throw UsageError ("--events - and --print-events both mean standard "
          "output: give one");
    check_element_options (o);
  } catch (const UsageError &e) {
    std::fprintf (stderr, "stillframe: %s\n", e.what ());
    return EXIT_BAD_INPUT;
  }
  return EXIT_DONE;
}

}  // namespace stillframe::cli
