/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What an error on a job's bus means: damaged input (keep what was read),
 * bad input or usage, or a failure to run, and the message reported. */
#include "supervise.h"

#include <gtest/gtest.h>

using namespace stillframe::cli;

namespace {

ErrorFacts
facts (const std::string &message)
{
  ErrorFacts f;
  f.message = message;
  f.has_video = true;
  f.first = true;
  f.output = "out.mp4";
  return f;
}

}  // namespace

TEST (ErrorMeaning, InputBreakingOffAfterFramesIsDamage)
{
  ErrorFacts f = facts ("Internal data stream error.");
  f.from_input = true;
  EXPECT_TRUE (classify_error (f).damaged_input);
  /* Not before any frame, not from the writing side, not in --copy. */
  f.nothing_read = true;
  EXPECT_FALSE (classify_error (f).damaged_input);
  f.nothing_read = false;
  f.copy = true;
  EXPECT_FALSE (classify_error (f).damaged_input);
  f.copy = false;
  f.from_input = false;
  EXPECT_FALSE (classify_error (f).damaged_input);
}

TEST (ErrorMeaning, NothingReadIsBadInput)
{
  ErrorFacts f = facts ("Could not determine type of stream.");
  f.nothing_read = true;
  const ErrorVerdict v = classify_error (f);
  EXPECT_EQ (v.status, EXIT_BAD_INPUT);
  EXPECT_EQ (v.error, "not a video that can be read: Could not determine "
      "type of stream.");
  /* A more precise message said first stays as it is. */
  f.first = false;
  EXPECT_EQ (classify_error (f).error, "Could not determine type of "
      "stream.");
}

TEST (ErrorMeaning, NoVideo)
{
  ErrorFacts f = facts ("Your GStreamer installation is missing a plug-in.");
  f.missing_plugin = true;
  f.has_video = false;
  f.nothing_read = true;
  const ErrorVerdict v = classify_error (f);
  EXPECT_EQ (v.error, "no video stream");
  EXPECT_EQ (v.status, EXIT_BAD_INPUT);
}

TEST (ErrorMeaning, SettingsAreBadUsageAsTheyAre)
{
  ErrorFacts f = facts ("region 1 lies outside the 64x48 frame");
  f.settings = true;
  f.nothing_read = true;
  const ErrorVerdict v = classify_error (f);
  EXPECT_EQ (v.error, "region 1 lies outside the 64x48 frame");
  EXPECT_EQ (v.status, EXIT_BAD_INPUT);
}

TEST (ErrorMeaning, WritingFailsTheRun)
{
  ErrorFacts f = facts ("No space left on the resource.");
  f.writing = true;
  f.nothing_read = true;
  const ErrorVerdict v = classify_error (f);
  EXPECT_EQ (v.error, "cannot write out.mp4: No space left on the "
      "resource.");
  EXPECT_EQ (v.status, EXIT_RUNTIME);
}

TEST (ErrorMeaning, WorstStatusWins)
{
  EXPECT_EQ (worse_status (EXIT_DONE, EXIT_NOTHING_KEPT), EXIT_NOTHING_KEPT);
  EXPECT_EQ (worse_status (EXIT_DAMAGED_INPUT, EXIT_NOTHING_KEPT),
      EXIT_DAMAGED_INPUT);
  EXPECT_EQ (worse_status (EXIT_BAD_INPUT, EXIT_DAMAGED_INPUT),
      EXIT_BAD_INPUT);
  EXPECT_EQ (worse_status (EXIT_BAD_INPUT, EXIT_RUNTIME), EXIT_RUNTIME);
  EXPECT_EQ (worse_status (EXIT_DONE, EXIT_DONE), EXIT_DONE);
}
