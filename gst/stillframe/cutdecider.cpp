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

  if (end - static_start_ >= settings_.min_static)
    span_will_be_cut_ = true;
  if (span_will_be_cut_) {
    /* Motion can start at `end` at the earliest: frames before its
     * pre-roll window can no longer be kept. */
    const Time keep_from = end > settings_.pre_roll ?
        end - settings_.pre_roll : 0;
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
  last_motion_end_ = kNoTime;
  static_start_ = kNoTime;
  span_will_be_cut_ = true;
  return release;
}

}  // namespace stillframe
