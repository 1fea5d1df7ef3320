/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * stillframe: trims the static spans out of videos, or lists the events.
 *
 *   stillframe trim INPUT... -o OUTPUT [options]
 *   stillframe scan INPUT... [options]
 *   stillframe record SOURCE -o FOLDER [options]
 *   stillframe summary REPORTS... [options]
 *
 * It builds GStreamer pipelines around stillframedetect and stillframecut:
 * decode, detect, cut (video and audio at the same running times), encode,
 * mux, all streaming. See docs/stillframe.md.
 *
 * Nothing the user owns is touched: every path the run writes is checked
 * against every input and against each other before anything is written
 * (plan.h), and each file is written under a hidden name and renamed,
 * without replacing anything unless --force, only once complete
 * (filesafety.h).
 *
 * The parts: options.h (the command line), plan.h (inputs, outputs and
 * their conflicts), job.h (one input's job and who owns what of it),
 * pipeline.h and copymode.h (what a job runs, built of elements.h's
 * blocks), supervise.h (running the jobs), report.h (what they report).
 */
#include "options.h"
#include "plan.h"
#include "record.h"
#include "summarycommand.h"
#include "supervise.h"

#include <gst/gst.h>

#include <clocale>
#include <string>

using namespace stillframe::cli;

int
main (int argc, char **argv)
{
  /* Names print as the terminal's charset has them; numbers stay with a
   * '.' whatever the locale. */
  std::setlocale (LC_ALL, "");
  std::setlocale (LC_NUMERIC, "C");
  gst_init (NULL, NULL);
  if (argc > 1 && std::string (argv[1]) == "record")
    return run_record (argc, argv);
  if (argc > 1 && std::string (argv[1]) == "summary")
    return run_summary (argc, argv);
  Options options;
  const int parsed = parse_options (argc, argv, options);
  if (parsed < 0)
    return EXIT_DONE;
  if (parsed != EXIT_DONE)
    return parsed;
  Plan plan = plan_jobs (options);
  if (plan.jobs.empty ())
    return plan.status;
  return run_jobs (options, std::move (plan.jobs), plan.status);
}
