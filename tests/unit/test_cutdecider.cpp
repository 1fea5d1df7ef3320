/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cut's hysteresis on plain sequences of (time, motion): which frames
 * are kept, frame-exact, and when each is decided. */
#include "cutdecider.h"

#include <gtest/gtest.h>

#include <string>

using namespace stillframe;

namespace {

constexpr Time kMs = 1000000;
constexpr int kFps = 30;

Time
start_of (int index)
{
  return (Time) index * kSecond / kFps;
}

Time
duration_of (int index)
{
  return start_of (index + 1) - start_of (index);
}

/* Feeds one frame per character ('M' motion, '.' static), then drains;
 * returns one character per frame, 'k' kept or '-' dropped, checking that
 * the decisions come oldest first and each frame exactly once. */
std::string
fates (CutDecider &decider, const std::string &pattern, bool drain = true)
{
  std::string result;
  std::size_t waiting = 0;
  auto apply = [&] (const CutRelease &release) {
    EXPECT_LE (release.decided (), waiting);
    result.append (release.dropped, '-');
    result.append (release.kept, 'k');
    waiting -= release.decided ();
    EXPECT_EQ (waiting, decider.undecided ());
  };
  for (std::size_t i = 0; i < pattern.size (); i++) {
    waiting++;
    apply (decider.add_frame (start_of ((int) i), duration_of ((int) i),
            pattern[i] == 'M'));
  }
  if (drain)
    apply (decider.drain ());
  return result;
}

CutDecider
decider_with (Time min_static, Time pre_roll, Time post_roll)
{
  CutDecider decider;
  decider.set_settings ({min_static, pre_roll, post_roll});
  return decider;
}

/* 10 frames at 30 fps: 333.3 ms. */
const Time k10Frames = 10 * kSecond / kFps;

}  // namespace

TEST (CutDecider, RollsAreFrameExact)
{
  /* 30 static, 5 motion, 60 static, 5 motion, 30 static; min-static 1 s,
   * rolls of 10 frames each. */
  CutDecider decider = decider_with (kSecond, k10Frames, k10Frames);
  const std::string pattern = std::string (30, '.') + "MMMMM" +
      std::string (60, '.') + "MMMMM" + std::string (30, '.');
  const std::string expected = std::string (20, '-') + std::string (25, 'k')
      + std::string (40, '-') + std::string (25, 'k') + std::string (20, '-');
  EXPECT_EQ (fates (decider, pattern), expected);
}

TEST (CutDecider, ShortStaticSpanIsKeptWhole)
{
  /* 20 static frames between motion, min-static 1 s (30 frames): kept. */
  CutDecider decider = decider_with (kSecond, 0, 0);
  const std::string pattern = "MMM" + std::string (20, '.') + "MMM";
  EXPECT_EQ (fates (decider, pattern), std::string (26, 'k'));
  /* 30 static frames reach it: cut, with no rolls. */
  decider.reset ();
  EXPECT_EQ (fates (decider, "MMM" + std::string (30, '.') + "MMM"),
      "kkk" + std::string (30, '-') + "kkk");
}

TEST (CutDecider, LeadingStaticNeedsNoBridging)
{
  /* Before the first motion a static span is cut however short, but for
   * the pre-roll. */
  CutDecider decider = decider_with (3 * kSecond, k10Frames, 0);
  EXPECT_EQ (fates (decider, std::string (15, '.') + "M"),
      std::string (5, '-') + std::string (11, 'k'));
}

TEST (CutDecider, FramesWaitNoLongerThanTheHoldTime)
{
  CutDecider decider = decider_with (kSecond, 2 * kSecond, 0);
  EXPECT_EQ (decider.settings ().hold_time (), 2 * kSecond);
  std::size_t most = 0;
  for (int i = 0; i < 300; i++) {
    decider.add_frame (start_of (i), duration_of (i), false);
    most = std::max (most, decider.undecided ());
  }
  /* Pre-roll worth of frames, the newest included. */
  EXPECT_EQ (most, 2u * kFps);
  EXPECT_EQ (decider.decided_until (), start_of (300 - (int) most));
}

TEST (CutDecider, PostRollFramesGoAtOnce)
{
  CutDecider decider = decider_with (3 * kSecond, kSecond, k10Frames);
  EXPECT_EQ (decider.add_frame (0, duration_of (0), true).kept, 1u);
  /* Frames 1-10 are the post-roll: each is kept as it comes. */
  for (int i = 1; i <= 11; i++) {
    const CutRelease release = decider.add_frame (start_of (i),
        duration_of (i), false);
    EXPECT_EQ (release.kept, i <= 10 ? 1u : 0u) << "frame " << i;
  }
  EXPECT_EQ (decider.undecided (), 1u);
}

TEST (CutDecider, HalfFrameTolerance)
{
  /* The motion ends at 33.3 ms and the 10-frame post-roll at 366.7 ms.
   * Millisecond-rounded timestamps (Matroska) put frame 11 at 366 ms, a
   * hair before that: judged to half a frame, frames 1-10 are the
   * post-roll's, as with exact timestamps, not 1-11. */
  CutDecider decider = decider_with (kSecond, 0, k10Frames);
  std::string result;
  for (int i = 0; i < 40; i++) {
    const Time start = i == 0 ? 0 : start_of (i) / kMs * kMs;
    const CutRelease r = decider.add_frame (start, i == 0 ? duration_of (0)
        : 33 * kMs, i == 0);
    result.append (r.dropped, '-');
    result.append (r.kept, 'k');
  }
  const CutRelease r = decider.drain ();
  result.append (r.dropped, '-');
  EXPECT_EQ (result, std::string (11, 'k') + std::string (29, '-'));
}

TEST (CutDecider, DrainDropsWhatWaitsAndStartsAfresh)
{
  CutDecider decider = decider_with (kSecond, kSecond, 0);
  EXPECT_EQ (fates (decider, "M" + std::string (20, '.')),
      "k" + std::string (20, '-'));
  /* After the drain the next static frames are leading ones: cut at once
   * but for the pre-roll, with no motion to bridge to. */
  EXPECT_EQ (decider.undecided (), 0u);
  EXPECT_EQ (decider.add_frame (start_of (21), duration_of (21), false)
      .decided (), 0u);
  EXPECT_EQ (decider.last_end (), start_of (22));
  EXPECT_EQ (decider.first_start (), 0u);
}

TEST (CutDecider, ResetForgetsEverythingButTheSettings)
{
  CutDecider decider = decider_with (kSecond, kSecond, kSecond);
  fates (decider, "M....", false);
  decider.reset ();
  EXPECT_EQ (decider.undecided (), 0u);
  EXPECT_EQ (decider.last_end (), kNoTime);
  EXPECT_EQ (decider.first_start (), kNoTime);
  EXPECT_EQ (decider.settings ().post_roll, kSecond);
}

TEST (CutDecider, UntimedFramesAreKeptAsMotion)
{
  CutDecider decider = decider_with (kSecond, 0, 0);
  fates (decider, std::string (5, '.'), false);
  const std::size_t waiting = decider.undecided ();
  const CutRelease release = decider.add_frame (kNoTime, kNoTime, false);
  EXPECT_EQ (release.kept, waiting + 1);
  EXPECT_EQ (release.dropped, 0u);
  EXPECT_EQ (decider.last_end (), start_of (5));
}

TEST (CutDecider, BackwardsAndHoles)
{
  CutDecider decider = decider_with (3 * kSecond, 0, 0);
  EXPECT_FALSE (decider.goes_back (0, duration_of (0)));
  EXPECT_FALSE (decider.leaves_hole (100 * kSecond, duration_of (0)));
  decider.add_frame (start_of (0), duration_of (0), true);
  decider.add_frame (start_of (1), duration_of (1), true);
  /* Within half a frame of the last end is not back; further is. */
  EXPECT_FALSE (decider.goes_back (start_of (2) - 10 * kMs, duration_of (2)));
  EXPECT_TRUE (decider.goes_back (start_of (1), duration_of (1)));
  /* A hole is min-static long at least. */
  EXPECT_FALSE (decider.leaves_hole (start_of (2) + 3 * kSecond - 1,
          duration_of (2)));
  EXPECT_TRUE (decider.leaves_hole (start_of (2) + 3 * kSecond,
          duration_of (2)));
  /* With no min-static, a hole still needs more than half a frame. */
  decider.set_settings ({0, 0, 0});
  EXPECT_FALSE (decider.leaves_hole (start_of (2) + duration_of (2) / 2,
          duration_of (2)));
  EXPECT_TRUE (decider.leaves_hole (start_of (2) + duration_of (2) / 2 + 1,
          duration_of (2)));
}

namespace {

CutDecider
decider_with_min_motion (Time min_static, Time pre_roll, Time post_roll,
    Time min_motion)
{
  CutDecider decider;
  CutSettings settings {min_static, pre_roll, post_roll};
  settings.min_motion = min_motion;
  decider.set_settings (settings);
  return decider;
}

}  // namespace

TEST (CutDecider, MotionShorterThanMinMotionIsStatic)
{
  /* min-motion 10 frames, no rolls: a 5-frame flutter is cut like the
   * still frames around it, a 12-frame walk is kept whole. */
  CutDecider decider = decider_with_min_motion (kSecond, 0, 0, k10Frames);
  const std::string pattern = std::string (40, '.') + "MMMMM" +
      std::string (40, '.') + std::string (12, 'M') + std::string (40, '.');
  EXPECT_EQ (fates (decider, pattern), std::string (85, '-') +
      std::string (12, 'k') + std::string (40, '-'));
}

TEST (CutDecider, CountingMotionKeepsItsFirstFramesAndPreRoll)
{
  /* Pre-roll 10 frames: the frames before the walk and its first ones,
   * which waited for it to count, are kept. */
  CutDecider decider = decider_with_min_motion (kSecond, k10Frames, 0,
      k10Frames);
  const std::string pattern = std::string (40, '.') + std::string (12, 'M') +
      std::string (40, '.');
  EXPECT_EQ (fates (decider, pattern), std::string (30, '-') +
      std::string (22, 'k') + std::string (40, '-'));
  EXPECT_EQ (decider.settings ().hold_time (), kSecond + k10Frames);
}

TEST (CutDecider, ShortMotionDoesNotBridgeStillSpans)
{
  /* Two walks 60 frames apart with a flutter between: with min-static 1 s
   * (30 frames) the still span is long, flutter or not, so it is cut. */
  CutDecider decider = decider_with_min_motion (kSecond, 0, 0, k10Frames);
  const std::string pattern = std::string (12, 'M') + std::string (28, '.') +
      "MMM" + std::string (29, '.') + std::string (12, 'M');
  EXPECT_EQ (fates (decider, pattern), std::string (12, 'k') +
      std::string (60, '-') + std::string (12, 'k'));
  /* Without min-motion the flutter is motion, and both still spans are
   * shorter than min-static: everything is kept. */
  CutDecider plain = decider_with (kSecond, 0, 0);
  EXPECT_EQ (fates (plain, pattern), std::string (84, 'k'));
}

TEST (CutDecider, FramesWaitNoLongerThanTheHoldTimeWithMinMotion)
{
  CutDecider decider = decider_with_min_motion (kSecond, k10Frames, 0,
      kSecond);
  const Time hold = decider.settings ().hold_time ();
  EXPECT_EQ (hold, 2 * kSecond);
  /* Still spans shorter than min-static, each followed by motion that
   * takes min-motion to count: the frames before it wait for both. */
  std::size_t most = 0;
  for (int i = 0; i < 600; i++) {
    decider.add_frame (start_of (i), duration_of (i), i % 60 >= 20);
    most = std::max (most, decider.undecided ());
  }
  EXPECT_LE ((Time) most * kSecond / kFps, hold + kSecond / kFps);
}

TEST (MotionRun, CountsOnceLongEnough)
{
  MotionRun run;
  run.set_min_motion (3 * kSecond / kFps);
  using V = MotionRun::Verdict;
  EXPECT_EQ (run.add (start_of (0), start_of (1), true), V::Pending);
  EXPECT_EQ (run.run_start (), start_of (0));
  EXPECT_EQ (run.add (start_of (1), start_of (2), true), V::Pending);
  EXPECT_EQ (run.add (start_of (2), start_of (3), true), V::Motion);
  EXPECT_EQ (run.add (start_of (3), start_of (4), true), V::Motion);
  EXPECT_EQ (run.add (start_of (4), start_of (5), false), V::Static);
  EXPECT_EQ (run.run_start (), kNoTime);
  /* Untimed frames count at once, as the cut keeps them. */
  EXPECT_EQ (run.add (kNoTime, kNoTime, true), V::Motion);
  MotionRun plain;
  EXPECT_EQ (plain.add (0, 1, true), V::Motion);
}

TEST (StaticSkim, KeepsOneFrameInSpeedByTime)
{
  StaticSkim skim;
  EXPECT_FALSE (skim.keep (0, duration_of (0)));        /* not active */
  skim.set_speed (2.5);
  std::string kept;
  for (int i = 0; i < 20; i++)
    kept += skim.keep (start_of (i), duration_of (i)) ? 'k' : '-';
  /* 20 frames at 2.5x: 8 kept, evenly. */
  EXPECT_EQ (kept, "k-k--k-k--k-k--k-k--");
  /* A frame kept for motion starts the count afresh. */
  skim.restart ();
  EXPECT_TRUE (skim.keep (start_of (21), duration_of (21)));
  skim.set_speed (1);
  for (int i = 22; i < 30; i++)
    EXPECT_TRUE (skim.keep (start_of (i), duration_of (i)));
  EXPECT_FALSE (skim.keep (kNoTime, kNoTime));
}
