/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cuttimeline.h"

#include <algorithm>

namespace stillframe {

void
CutTimeline::open_drop (Time start)
{
  if (!dropping ())
    ranges_.push_back ({start, kNoTime, cut_total_});
}

bool
CutTimeline::close_drop (Time at)
{
  if (!dropping ())
    return false;
  DroppedRange &range = ranges_.back ();
  range.end = std::max (at, range.start);
  cut_total_ += range.end - range.start;
  return true;
}

Time
CutTimeline::cut_before (Time time) const
{
  for (const DroppedRange &range : ranges_)
    if (range.start >= time)
      return range.cut_before;
  if (ranges_.empty ())
    return cut_total_;
  const DroppedRange &last = ranges_.back ();
  return last.open () ? cut_total_ : last.cut_before + (last.end -
      last.start);
}

bool
CutTimeline::is_dropped (Time time) const
{
  for (const DroppedRange &range : ranges_)
    if (range.start <= time && (range.open () || time < range.end))
      return true;
  return false;
}

Time
CutTimeline::output_at (Time time) const
{
  for (const DroppedRange &range : ranges_)
    if (range.start <= time && (range.open () || time < range.end))
      return range.start - range.cut_before;
  return to_output (time);
}

void
CutTimeline::forget_until (Time needed)
{
  while (!ranges_.empty () && !ranges_.front ().open ()
      && ranges_.front ().end <= needed)
    ranges_.pop_front ();
}

CutTimeline
CutTimeline::since (Time from) const
{
  CutTimeline copy;
  copy.cut_total_ = cut_total_;
  copy.splice_pending_ = splice_pending_;
  for (const DroppedRange &range : ranges_)
    if (range.open () || range.end > from)
      copy.ranges_.push_back (range);
  return copy;
}

}  // namespace stillframe
