/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --fast: the GStreamer side of gopgate.h. The input's parsed video goes
 * to a tee with two branches:
 *
 *   keyframes: only keyframes, decoded without frame threads (a stream
 *     with B-frames still has its keyframes come out one or two late) and
 *     judged by a stillframedetect of their own, with the user's settings;
 *   decode: a queue whose output waits for each GOP's fate, then decodes
 *     it in full or drops its packets.
 *
 * Before the first GOP it drops, the decoder is drained (an EOS that goes
 * no further, then the stream's start again), so that every frame before
 * it has reached the analysis. The dropped GOPs' frames follow as an event
 * through the analysis's queue, in their place, and come out of detect's
 * source pad as static frames without a picture: the cut and the report
 * count them as the full decode would, as they come.
 *
 * Threads: the demuxer's (the tee's input: packets and caps), the keyframe
 * branch's (verdicts) and the decode queue's (fates) meet under `lock`,
 * waiting on `changed`; the analysis's reads only the events it is sent.
 * `lock` is the innermost: under it, only the gate is called and the
 * keyframe queue's level read; pads are pushed and events sent without it. */
#pragma once

#include "gopgate.h"
#include "report.h"

#include <gst/gst.h>

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
  DecodeShare share;
  /* The decode queue is full, and the demuxer waits for room. */
  bool demuxer_blocked = false;

  /* The demuxer's thread only (the tee's sink pad). */
  VideoCodec codec = VideoCodec::Other;
  int nal_length_size = 0;
  /* The keyframe branch's thread only: its detector learns afresh. */
  bool relearning = false;
  /* The decode queue's thread only (it also runs the decoder). */
  std::size_t gop = SIZE_MAX;           /* of the packet going out */
  bool decoding = true;
  GstClockTime gop_start = GST_CLOCK_TIME_NONE;  /* its keyframe's PTS */
  GstClockTime last_end = GST_CLOCK_TIME_NONE;   /* of the latest packet */
  bool draining = false;
  bool started = false;                 /* the decoder's stream began */
  /* The frames dropped since the last went to the analysis. */
  std::vector<std::pair<GstClockTime, GstClockTime>> dropped;
  /* Set while building, read-only after. */
  double threshold = 0;
  GstElement *keyframe_queue = nullptr;
  GstElement *decoder = nullptr;        /* the decode branch's */
  GstPad *analysis = nullptr;           /* the analysis queue's sink pad */

  FastDecode ();
  ~FastDecode ();
  /* Wakes and ends every waiting thread (teardown). */
  void stop ();
  DecodeShare share_now ();
};

/* For video of `caps` from `tee`: adds the keyframe branch (the tee's first
 * source pad) and the gate on `decode_queue`, the decode branch's queue
 * after it, whose output `analysis` (a sink pad) analyses. `detect_props`:
 * the detector's settings, as the command line gave them. Returns the
 * decoder to put after `decode_queue` (added to `bin`), or nullptr: every
 * GOP is decoded (not H.264 or H.265, or no decoder for it: the report
 * says why), by whatever decodebin finds. */
GstElement *add_fast_decode (FastDecode *fast, GstBin *bin, GstElement *tee,
    GstElement *decode_queue, GstPad *analysis, GstCaps *caps,
    const std::vector<std::pair<std::string, std::string>> &detect_props);

/* On the analysis's output (detect's source pad): the dropped GOPs' frames,
 * as static ones, in their place. */
void restore_dropped_frames (GstPad *analysed);

}  // namespace stillframe::cli
