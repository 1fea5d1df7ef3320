/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --copy: the decode branch decides each frame (stillframecut with
 * timestamps=original); the copy branch keeps, byte for byte, every GOP of
 * the input's video packets that holds a kept frame (so cuts snap outward
 * to keyframes), and the audio packets that fall in kept GOPs. The dropped
 * GOPs make a CutTimeline (cuttimeline.h), the same account the cut keeps
 * of its own drops: it shifts the kept packets, marks the splices, and
 * tells the audio what to drop. */
#pragma once

#include "job.h"
#include "cuttimeline.h"

#include <gst/gst.h>

#include <map>
#include <vector>

namespace stillframe::cli {

/* Locking: `lock` guards the fields so marked; the decode branch's probe,
 * the video and the audio appsinks' streaming threads meet there, waiting
 * on `changed`. */
struct CopyGate {
  GMutex lock;
  GCond changed;
  /* lock: from the decode branch, source running time -> kept. */
  std::map<GstClockTime, bool> frames;
  GstClockTime decided_until = 0;
  bool decode_done = false, stopping = false;
  /* lock: the dropped GOPs (in the copied packets' time), for the audio. */
  stillframe::CutTimeline timeline;
  GstClockTime video_until = 0;
  bool video_done = false;
  /* lock: for the report, the kept GOPs in running seconds. */
  guint64 frames_out = 0;
  std::vector<Range> kept;

  /* The video appsink's streaming thread only. */
  std::vector<GstBuffer *> gop;
  /* Set while building, read-only after. */
  GstElement *video_out = nullptr, *audio_out = nullptr;

  CopyGate ();
  ~CopyGate ();
  /* Wakes and ends every waiting thread (teardown). */
  void stop ();
};

/* Reads the cut's decisions from its source pad. */
void watch_decisions (GstElement *cut, CopyGate *gate);

/* appsink -> [gate] -> appsrc -> muxer, for one compressed stream of the
 * input; returns the branch's first element, to link `pad` to. */
GstElement *add_copy_branch (Job *job, GstPad *pad, bool video);

}  // namespace stillframe::cli
