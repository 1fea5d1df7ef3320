/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Running the planned jobs on the main loop: starting them a few at a time,
 * reading their buses (what each error means), the stall watchdog,
 * progress lines, interruption, and what each finished job leaves (its
 * files named, its report written, its rows printed in input order). */
#pragma once

#include "job.h"
#include "options.h"

#include <memory>
#include <string>
#include <vector>

namespace stillframe::cli {

/* Runs `jobs` (plan_jobs), options.jobs at a time, to the end or an
 * interruption; `status` is planning's. Returns the run's exit code. */
int run_jobs (const Options &options, std::vector<std::unique_ptr<Job>> jobs,
    int status);

/* Worst first: runtime failure, bad input, damaged input, nothing kept. */
int worse_status (int a, int b);

/* What is known of an error a job's pipeline posted. */
struct ErrorFacts {
  std::string message;          /* its own */
  bool settings = false;        /* our element's settings do not fit */
  bool writing = false;         /* writing the output failed */
  bool missing_plugin = false;
  bool from_input = false;      /* from an element that reads the input */
  bool copy = false;            /* --copy: the input is not decoded whole */
  bool nothing_read = false;    /* before any frame was analysed */
  bool has_video = false;
  bool first = false;           /* the job has no error yet */
  std::string output;
};

/* What the error means for the job. */
struct ErrorVerdict {
  /* The input broke off after some frames: what was read is finished as
   * at the end of the input, and the job says so. */
  bool damaged_input = false;
  std::string error;            /* otherwise the job's error ... */
  int status = EXIT_RUNTIME;    /* ... and exit code */
};
ErrorVerdict classify_error (const ErrorFacts &facts);

}  // namespace stillframe::cli
