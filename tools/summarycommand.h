/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `stillframe summary REPORTS...`: merges the per-input reports that the
 * shards of a run wrote (folders are searched, hidden files left out) into
 * one summary (summary.h): JSON on standard output or -o, a CSV a camera
 * and day (--csv), every event (--events). Exits 2 when an input failed or
 * an expected one (--expect LIST) has no report. */
#pragma once

namespace stillframe::cli {

/* argv as main has it. Returns the exit code. */
int run_summary (int argc, char **argv);

}  // namespace stillframe::cli
