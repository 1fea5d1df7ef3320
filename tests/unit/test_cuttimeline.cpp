/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cut's timeline: dropped ranges, the time cut before a point, splice
 * marks and forgetting. */
#include "cuttimeline.h"

#include <gtest/gtest.h>

using namespace stillframe;

namespace {

constexpr Time kS = kSecond;

/* Dropped: [2, 5) and [8, 9); [12, ...) open. */
CutTimeline
three_ranges ()
{
  CutTimeline timeline;
  timeline.open_drop (2 * kS);
  timeline.open_drop (3 * kS);          /* already open: no new range */
  EXPECT_TRUE (timeline.close_drop (5 * kS));
  EXPECT_FALSE (timeline.close_drop (6 * kS));
  timeline.drop (8 * kS, 9 * kS);
  timeline.open_drop (12 * kS);
  return timeline;
}

}  // namespace

TEST (CutTimeline, CutBeforeEachKeptPart)
{
  const CutTimeline timeline = three_ranges ();
  EXPECT_EQ (timeline.ranges ().size (), 3u);
  EXPECT_EQ (timeline.cut_total (), 4 * kS);
  EXPECT_EQ (timeline.cut_before (1 * kS), 0u);
  EXPECT_EQ (timeline.cut_before (2 * kS), 0u);
  EXPECT_EQ (timeline.cut_before (6 * kS), 3 * kS);
  EXPECT_EQ (timeline.cut_before (10 * kS), 4 * kS);
  EXPECT_EQ (timeline.to_output (10 * kS), 6 * kS);
  EXPECT_TRUE (timeline.dropping ());
  EXPECT_EQ (timeline.open_range ().cut_before, 4 * kS);
}

TEST (CutTimeline, OutputReachedAtAnyTime)
{
  const CutTimeline timeline = three_ranges ();
  EXPECT_EQ (timeline.output_at (1 * kS), 1 * kS);
  EXPECT_EQ (timeline.output_at (2 * kS), 2 * kS);      /* cut there */
  EXPECT_EQ (timeline.output_at (4 * kS), 2 * kS);
  EXPECT_EQ (timeline.output_at (5 * kS), 2 * kS);      /* kept again */
  EXPECT_EQ (timeline.output_at (6 * kS), 3 * kS);
  EXPECT_EQ (timeline.output_at (8500 * kS / 1000), 5 * kS);
  EXPECT_EQ (timeline.output_at (10 * kS), 6 * kS);
  EXPECT_EQ (timeline.output_at (20 * kS), 8 * kS);     /* the open range */
}

TEST (CutTimeline, WhatIsDropped)
{
  const CutTimeline timeline = three_ranges ();
  EXPECT_FALSE (timeline.is_dropped (1 * kS));
  EXPECT_TRUE (timeline.is_dropped (2 * kS));
  EXPECT_TRUE (timeline.is_dropped (5 * kS - 1));
  EXPECT_FALSE (timeline.is_dropped (5 * kS));
  EXPECT_TRUE (timeline.is_dropped (8 * kS + 1));
  EXPECT_FALSE (timeline.is_dropped (11 * kS));
  EXPECT_TRUE (timeline.is_dropped (1000 * kS));      /* the open one */
}

TEST (CutTimeline, ClosingBeforeTheStartIsEmpty)
{
  CutTimeline timeline;
  timeline.open_drop (5 * kS);
  timeline.close_drop (4 * kS);
  EXPECT_EQ (timeline.cut_total (), 0u);
  EXPECT_EQ (timeline.ranges ().front ().end, 5 * kS);
}

TEST (CutTimeline, SpliceIsTakenOnce)
{
  CutTimeline timeline;
  EXPECT_FALSE (timeline.take_splice ());
  timeline.mark_splice ();
  EXPECT_TRUE (timeline.take_splice ());
  EXPECT_FALSE (timeline.take_splice ());
}

TEST (CutTimelineMemory, ForgettingKeepsTheAnswers)
{
  CutTimeline timeline = three_ranges ();
  timeline.forget_until (8 * kS);
  ASSERT_EQ (timeline.ranges ().size (), 2u);
  EXPECT_EQ (timeline.cut_before (10 * kS), 4 * kS);
  EXPECT_EQ (timeline.cut_total (), 4 * kS);
  /* The open range is never forgotten. */
  timeline.forget_until (kNoTime);
  ASSERT_EQ (timeline.ranges ().size (), 1u);
  EXPECT_TRUE (timeline.dropping ());
  EXPECT_EQ (timeline.cut_before (10 * kS), 4 * kS);
}

TEST (CutTimelineMemory, FlatOverManySpans)
{
  CutTimeline timeline;
  for (Time t = 0; t < 100000; t++) {
    timeline.drop (t * 10 * kS, t * 10 * kS + kS);
    timeline.forget_until (t * 10 * kS + kS);
  }
  EXPECT_TRUE (timeline.ranges ().empty ());
  EXPECT_EQ (timeline.cut_total (), 100000 * kS);
  EXPECT_EQ (timeline.cut_before (1000000 * kS + 5), 100000 * kS);
}

TEST (CutTimelineMemory, SinceKeepsWhatEndsAfter)
{
  const CutTimeline timeline = three_ranges ();
  const CutTimeline later = timeline.since (6 * kS);
  EXPECT_EQ (later.ranges ().size (), 2u);
  EXPECT_EQ (later.cut_total (), timeline.cut_total ());
  for (Time t : {6 * kS, 7 * kS, 10 * kS, 11 * kS})
    EXPECT_EQ (later.cut_before (t), timeline.cut_before (t));
}
