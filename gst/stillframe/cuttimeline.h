/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cut's timeline: the input running time whose video was dropped, and
 * how a kept time maps onto the output. The one account of it, used by
 * stillframecut's video pad (which writes it), its audio pads (which cut
 * and shift their samples by it), and the CLI's --copy mode (the same
 * timeline over whole GOPs of encoded packets). No GLib or GStreamer
 * types (tests/unit/test_cuttimeline.cpp); not thread-safe: its owner
 * locks it. */
#pragma once

#include "cuttime.h"

#include <deque>

namespace stillframe {

/* Running time [start, end) whose video was dropped; `end` is kNoTime
 * while the range is open. `cut_before` is the time dropped before it. */
struct DroppedRange {
  Time start, end, cut_before;

  bool open () const { return !is_time (end); }
};

class CutTimeline {
public:
  /* Starts dropping at `start`, unless a range is open already. */
  void open_drop (Time start);
  /* Ends the open range at `at` (not before its start). Returns whether
   * one was open. */
  bool close_drop (Time at);
  /* A closed range at once (--copy's dropped GOPs). */
  void drop (Time start, Time end)
  {
    open_drop (start);
    close_drop (end);
  }
  bool dropping () const { return !ranges_.empty () && ranges_.back ().open (); }
  const DroppedRange &open_range () const { return ranges_.back (); }

  /* Time dropped in closed ranges: a kept time after all of them goes out
   * this much earlier. */
  Time cut_total () const { return cut_total_; }
  /* Time dropped before `time`, which lies in a kept part. */
  Time cut_before (Time time) const;
  /* Whether `time` lies in a dropped range (an open one included). */
  bool is_dropped (Time time) const;
  /* The output time of a kept input time. */
  Time to_output (Time time) const { return time - cut_before (time); }
  /* The output time reached at any input time: a kept time's own, a
   * dropped one's where its range was cut out. */
  Time output_at (Time time) const;

  /* The next kept data is a splice (after a drop): it is marked so once. */
  void mark_splice () { splice_pending_ = true; }
  bool take_splice ()
  {
    const bool splice = splice_pending_;
    splice_pending_ = false;
    return splice;
  }

  /* Forgets closed ranges that end by `needed`, the earliest time anyone
   * can still ask about: memory stays flat however many spans are cut. */
  void forget_until (Time needed);
  /* A copy with the ranges that end after `from` only: what a reader
   * working from there needs, taken under its owner's lock. */
  CutTimeline since (Time from) const;
  const std::deque<DroppedRange> &ranges () const { return ranges_; }

private:
  std::deque<DroppedRange> ranges_;
  Time cut_total_ = 0;
  bool splice_pending_ = false;
};

}  // namespace stillframe
