/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pipeline a job runs: decode, stillframedetect, stillframecut (video
 * and audio at the same running times), encode, mux; or, with --copy, the
 * input's own packets through copymode.h; or, scanning, nothing after the
 * cut. What is learned on the way goes to the Job (job.h). Also linked by
 * the fuzzer (tests/fuzz), so that it plays what the CLI plays. */
#pragma once

#include "job.h"

#include <gst/gst.h>

#include <string>

namespace stillframe::cli {

/* Builds the job's pipeline (not started); throws std::runtime_error. */
void build_pipeline (Job *job);

/* --start/--end, on JobMessage::RangeReady (main thread): seeks the input
 * to the range; returns an error message, or "". */
std::string seek_to_range (Job *job);

/* Whether `element` reads or converts the input, before the cut (marked as
 * such when it was built): its errors mean damaged input (odd-sized PCM,
 * say), not a failure to write. */
bool reads_input (GstObject *element);

}  // namespace stillframe::cli
