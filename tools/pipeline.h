/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pipeline a job runs: decode, stillframedetect, stillframecut (video
 * and audio at the same running times), encode, mux; or, with --copy, the
 * input's own packets through copymode.h; or, scanning, nothing after the
 * cut. What is learned on the way goes to the Job (job.h). Also linked by
 * the fuzzer (tests/fuzz), so that it plays what the CLI plays. */
#pragma once

#include "job.h"
#include "mp4headers.h"

#include <gst/gst.h>

#include <unistd.h>

#include <initializer_list>
#include <string>
#include <vector>

namespace stillframe::cli {

/* An MP4 read with a few header bytes replaced (mp4headers.h), through an
 * appsrc that qtdemux reads like a file: the user's file is never
 * written. The appsrc's streaming thread only, after setup. */
struct PatchedReader {
  int fd = -1;
  guint64 size = 0, offset = 0;
  std::vector<BytePatch> patches;

  ~PatchedReader ()
  {
    if (fd >= 0)
      close (fd);
  }
};

/* Builds the job's pipeline (not started); throws std::runtime_error. */
void build_pipeline (Job *job);

/* Whether `element` reads or converts the input, before the cut (marked as
 * such when it was built): its errors mean damaged input (odd-sized PCM,
 * say), not a failure to write. */
bool reads_input (GstObject *element);

/* Building blocks, also for copymode.cpp. */
GstElement *make (const char *factory, const char *name = nullptr);
void link_or_throw (GstElement *a, GstElement *b);
/* Adds and links `elements` in order; returns the first. */
GstElement *add_chain (GstBin *bin, std::initializer_list<GstElement *>
    elements);
/* A new pad's media type ("video/x-h264", "audio/x-raw", ...). */
std::string media_type (GstPad *pad);
/* A stream that is not kept still needs a sink. */
void link_to_discard (GstBin *bin, GstPad *pad);
/* Links decoded video into the analysis, the first stream only. */
void link_decoded_video (Job *job, GstPad *pad);

}  // namespace stillframe::cli
