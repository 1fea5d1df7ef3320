/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cutdecider.h"

namespace stillframe {

bool
CutDecider::goes_back (Time start, Time duration) const
{
  return is_time (start) && is_time (last_end_)
      && start + half_frame (duration) < last_end_;
}

bool
CutDecider::leaves_hole (Time start, Time duration) const
{
  return is_time (start) && is_time (last_end_)
      && start >= last_end_ + std::max (settings_.min_static,
          half_frame (duration) + 1);
}

CutRelease
CutDecider::add_frame (Time start, Time duration, bool motion)
{
  if (!is_time (first_start_))
    first_start_ = start;
  if (!is_time (start))
    motion = true;
  const Time end = is_time (start) ? start + (is_time (duration) ? duration
      : 0) : kNoTime;
  if (is_time (end))
    last_end_ = end;

  /* Pending motion waits as static frames do, so that it is static if it
   * stops too soon; its frames and their pre-roll stay until it counts. */
  motion = run_.add (start, end, motion) == MotionRun::Verdict::Motion;
  const Time pending_from = run_.run_start ();
  CutRelease release;
  if (motion) {
    release.kept = waiting_.size () + 1;
    waiting_.clear ();
    if (is_time (end))
      last_motion_end_ = end;
    static_start_ = kNoTime;
    span_will_be_cut_ = false;
    return release;
  }

  if (!is_time (static_start_))
    static_start_ = start;
  const bool in_post_roll = is_time (last_motion_end_)
      && start + half_frame (duration) < last_motion_end_ +
      settings_.post_roll;
  if (in_post_roll && waiting_.empty ()) {
    /* Kept whether the span turns out short or long. */
    release.kept = 1;
  } else {
    waiting_.push_back ({start, duration});
  }

  /* The still span ends where pending motion started. */
  const Time still_until = is_time (pending_from) ? pending_from : end;
  if (still_until - static_start_ >= settings_.min_static)
    span_will_be_cut_ = true;
  if (span_will_be_cut_) {
    /* Motion can start at `still_until` at the earliest: frames before its
     * pre-roll window can no longer be kept. */
    const Time keep_from = still_until > settings_.pre_roll ?
        still_until - settings_.pre_roll : 0;
    while (!waiting_.empty () && waiting_.front ().start +
        half_frame (waiting_.front ().duration) < keep_from) {
      waiting_.pop_front ();
      release.dropped++;
    }
  }
  return release;
}

CutRelease
CutDecider::drain ()
{
  CutRelease release;
  release.dropped = waiting_.size ();
  waiting_.clear ();
  run_.reset ();
  last_motion_end_ = kNoTime;
  static_start_ = kNoTime;
  span_will_be_cut_ = true;
  return release;
}

}  // namespace stillframe
