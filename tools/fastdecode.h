/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --fast: the GStreamer side of gopgate.h. The input's parsed video goes
 * to a tee with two branches:
 *
 *   keyframes: only keyframes, decoded one by one (no frame threads, so
 *     that each is judged as soon as it comes) and judged by a
 *     stillframedetect of their own, with the user's settings;
 *   decode: a queue whose output waits for each GOP's fate, then decodes
 *     it in full or drops its packets.
 *
 * The frames of dropped GOPs come back as static frames without a
 * picture, in their place among the decoded ones, from the analysis
 * (detect's source pad), so that the cut and the report count them as
 * the full decode would.
 *
 * Threads: the demuxer's (the tee's input: packets and caps), the keyframe
 * branch's (verdicts), the decode queue's (fates) and the analysis's
 * (static frames) meet under `lock`, waiting on `changed`. */
#pragma once

#include "gopgate.h"
#include "report.h"

#include <gst/gst.h>

#include <deque>
#include <string>
#include <utility>
#include <vector>

namespace stillframe::cli {

struct FastDecode {
  GMutex lock;
  GCond changed;
  /* lock: */
  GopGate gate;
  bool stopping = false;
  /* The frames dropped with their GOP, by start: (start, duration). */
  std::deque<std::pair<GstClockTime, GstClockTime>> skipped;
  DecodeShare share;
  /* The decode queue is full, and the demuxer waits for room. */
  bool demuxer_blocked = false;

  /* The demuxer's thread only (the tee's sink pad). */
  VideoCodec codec = VideoCodec::Other;
  int nal_length_size = 0;
  /* The keyframe branch's thread only: its detector learns afresh. */
  bool relearning = false;
  /* The decode queue's thread only. */
  std::size_t gop = SIZE_MAX;           /* of the packet going out */
  bool decoding = true;
  /* Set while building, read-only after. */
  double threshold = 0;
  GstElement *keyframe_queue = nullptr;

  FastDecode ();
  ~FastDecode ();
  /* Wakes and ends every waiting thread (teardown). */
  void stop ();
  DecodeShare share_now ();
};

/* Adds the keyframe branch to `tee` (its first source pad) and the gate to
 * `decode_queue`, the decode branch's queue after it, for video of `caps`
 * (every GOP is decoded when they are not H.264 or H.265). `detect_props`:
 * the detector's settings, as the command line gave them. */
void add_fast_decode (FastDecode *fast, GstBin *bin, GstElement *tee,
    GstElement *decode_queue, GstCaps *caps,
    const std::vector<std::pair<std::string, std::string>> &detect_props);

/* On the analysis's output (detect's source pad): puts back the dropped
 * GOPs' frames as static ones, in their place. */
void restore_skipped_frames (FastDecode *fast, GstPad *analysed);

}  // namespace stillframe::cli
