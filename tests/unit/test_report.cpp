/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a job reports, on plain data: events grouped as the cut groups
 * motion, kept ranges, and the report, CSV and table written from them. */
#include "jsonvalue.h"
#include "report.h"

#include <algorithm>

#include <gtest/gtest.h>

using namespace stillframe::cli;

namespace {

constexpr std::uint64_t kS = 1000000000;
constexpr std::uint64_t kFrame = kS / 10;

/* Feeds frames at 10 fps from `origin`, 'M' motion, '.' static; the box
 * moves right by 10 px each frame. */
EventGrouper
grouped (const std::string &pattern, std::uint64_t min_static,
    std::uint64_t origin = 0, std::uint64_t min_motion = 0)
{
  EventGrouper grouper (min_static, min_motion);
  for (std::size_t i = 0; i < pattern.size (); i++) {
    const std::uint64_t start = origin + i * kFrame;
    grouper.add_frame (start, start + kFrame, origin, pattern[i] == 'M',
        0.01 * (double) i, 10 * (int) i, 5, 20, 30);
  }
  return grouper;
}

}  // namespace

TEST (EventGrouper, MotionCloserThanMinStaticIsOneEvent)
{
  /* A 1 s pause at min-static 2 s: one event; a 3 s one: two. */
  EXPECT_EQ (grouped ("MM" + std::string (10, '.') + "MM", 2 * kS)
      .events ().size (), 1u);
  const std::vector<Event> two = grouped ("MM" + std::string (30, '.') +
      "MM", 2 * kS).events ();
  ASSERT_EQ (two.size (), 2u);
  EXPECT_DOUBLE_EQ (two[0].start, 0.0);
  EXPECT_DOUBLE_EQ (two[0].end, 0.2);
  EXPECT_DOUBLE_EQ (two[1].start, 3.2);
  EXPECT_DOUBLE_EQ (two[1].end, 3.4);
}

TEST (EventGrouper, PeakAndBoxCoverTheEvent)
{
  const std::vector<Event> events = grouped ("..MMM..", kS).events ();
  ASSERT_EQ (events.size (), 1u);
  EXPECT_DOUBLE_EQ (events[0].peak, 0.04);
  EXPECT_EQ (events[0].x0, 20);
  EXPECT_EQ (events[0].x1, 40 + 20);
  EXPECT_EQ (events[0].y0, 5);
  EXPECT_EQ (events[0].y1, 35);
}

TEST (EventGrouper, TimesCountFromTheFirstFrame)
{
  const std::vector<Event> events = grouped ("..M", kS, 3600 * kS)
      .events ();
  ASSERT_EQ (events.size (), 1u);
  EXPECT_DOUBLE_EQ (events[0].start, 0.2);
  EXPECT_DOUBLE_EQ (events[0].end, 0.3);
}

TEST (EventGrouper, EmptyBoxesDoNotWidenTheEvent)
{
  EventGrouper grouper (kS);
  grouper.add_frame (0, kFrame, 0, true, 0.5, 10, 10, 5, 5);
  grouper.add_frame (kFrame, 2 * kFrame, 0, true, 0.5, 0, 0, 0, 0);
  ASSERT_EQ (grouper.events ().size (), 1u);
  EXPECT_EQ (grouper.events ()[0].x0, 10);
  EXPECT_EQ (grouper.events ()[0].x1, 15);
}

TEST (EventGrouper, MotionShorterThanMinMotionIsNoEvent)
{
  /* 10 fps, min-motion 0.5 s: 3 frames of motion are none, 6 are one event
   * from their first frame, with the peak and box of all six. */
  const std::vector<Event> events = grouped (".....MMM....." "MMMMMM....",
      kS / 2, 0, kS / 2).events ();
  ASSERT_EQ (events.size (), 1u);
  EXPECT_DOUBLE_EQ (events[0].start, 1.3);
  EXPECT_DOUBLE_EQ (events[0].end, 1.9);
  EXPECT_DOUBLE_EQ (events[0].peak, 0.01 * 18);
  EXPECT_EQ (events[0].x0, 130);
  EXPECT_EQ (events[0].x1, 180 + 20);
  /* Short motion does not join two events either. */
  EXPECT_EQ (grouped ("MMMMMM....M....MMMMMM", 6 * kS / 10, 0,
          kS / 2).events ().size (), 2u);
  EXPECT_EQ (grouped ("MMMMMM....M....MMMMMM", 6 * kS / 10).events ().size (),
      1u);
}

TEST (EventGrouper, AFirstFrameWithoutBoxLeavesNoCorner)
{
  EventGrouper grouper (kS);
  grouper.add_frame (0, kFrame, 0, true, 0.1, 0, 0, 0, 0);
  grouper.add_frame (kFrame, 2 * kFrame, 0, true, 0.1, 50, 60, 10, 10);
  ASSERT_EQ (grouper.events ().size (), 1u);
  const Event &e = grouper.events ()[0];
  EXPECT_EQ (e.x0, 50);
  EXPECT_EQ (e.y0, 60);
  EXPECT_EQ (e.x1, 60);
  EXPECT_EQ (e.y1, 70);
}

TEST (KeptRanges, TidiedClippedAndMerged)
{
  EXPECT_TRUE (tidy_ranges ({}, 10).empty ());
  const std::vector<Range> tidy = tidy_ranges ({{-1, 2}, {2, 3}, {5, 5},
          {8, 12}}, 10);
  ASSERT_EQ (tidy.size (), 2u);
  EXPECT_DOUBLE_EQ (tidy[0].start, 0);
  EXPECT_DOUBLE_EQ (tidy[0].end, 3);
  EXPECT_DOUBLE_EQ (tidy[1].start, 8);
  EXPECT_DOUBLE_EQ (tidy[1].end, 10);
}

TEST (KeptRanges, BetweenDroppedSpans)
{
  /* The input starts at stream time 100 s and lasts 20 s. */
  const std::vector<Range> kept = kept_between ({{100, 103}, {110, 115}},
      100, 20);
  ASSERT_EQ (kept.size (), 2u);
  EXPECT_DOUBLE_EQ (kept[0].start, 3);
  EXPECT_DOUBLE_EQ (kept[0].end, 10);
  EXPECT_DOUBLE_EQ (kept[1].start, 15);
  EXPECT_DOUBLE_EQ (kept[1].end, 20);
  /* Nothing dropped: all of it. */
  EXPECT_EQ (kept_between ({}, 100, 20).size (), 1u);
  /* Read from 5 s (--start): nothing before is kept. */
  const std::vector<Range> from = kept_between ({{106, 108}}, 100, 12, 5);
  ASSERT_EQ (from.size (), 2u);
  EXPECT_DOUBLE_EQ (from[0].start, 5);
  EXPECT_DOUBLE_EQ (from[0].end, 6);
  EXPECT_DOUBLE_EQ (from[1].start, 8);
  EXPECT_DOUBLE_EQ (from[1].end, 12);
}

TEST (KeptRanges, CopiedGops)
{
  const std::vector<Range> kept = kept_gops ({{12, 14}, {14, 16}, {20, 30}},
      10, 15);
  ASSERT_EQ (kept.size (), 2u);
  EXPECT_DOUBLE_EQ (kept[0].start, 2);
  EXPECT_DOUBLE_EQ (kept[0].end, 6);
  EXPECT_DOUBLE_EQ (kept[1].end, 15);
}

TEST (Report, JsonForAScan)
{
  ReportData r;
  r.input = "cam \"1\".mp4";
  r.duration_in = 10;
  r.duration_out = 4.5;
  r.frames_in = 300;
  r.frames_out = 135;
  r.kept = {{1, 5.5}};
  Event e;
  e.start = 2, e.end = 4.5, e.peak = 0.25, e.x0 = 1, e.y0 = 2, e.x1 = 11,
      e.y1 = 22;
  r.events = {e};
  r.settings = {{"threshold", "0.1"}, {"min-static-duration", "5000000000"}};
  r.notes = {"a\nnote"};
  EXPECT_EQ (report_json (r),
      "{\n  \"version\": 1,\n  \"input\": \"cam \\\"1\\\".mp4\",\n"
      "  \"output_video_path\": null,\n  \"duration_in\": 10.000000,\n"
      "  \"duration_out\": 4.500000,\n  \"frames_in\": 300,\n"
      "  \"frames_out\": 135,\n  \"kept\": [[1.000000, 5.500000]],\n"
      "  \"events\": [\n    {\"start\": 2.000000, \"end\": 4.500000, "
      "\"peak_score\": 0.250000, \"box\": {\"x\": 1, \"y\": 2, \"width\": 10, "
      "\"height\": 20}}\n  ],\n  \"settings\": {\"threshold\": \"0.1\", "
      "\"min-static-duration\": \"5000000000\"},\n  \"interrupted\": false,\n"
      "  \"damaged_input\": false,\n  \"nothing_kept\": false,\n"
      "  \"notes\": [\"a\\nnote\"],\n  \"exit_status\": 0,\n"
      "  \"error\": null\n}\n");
}

TEST (Report, JsonForASplitTrim)
{
  ReportData r;
  r.input = "in.mp4";
  r.trim = r.split = true;
  r.output = "out.mp4";
  r.files = {"out-0001.mp4", "out-0002.mp4"};
  r.error = "boom";
  const std::string json = report_json (r);
  EXPECT_NE (json.find ("\"output_video_path\": \"out.mp4\""),
      std::string::npos);
  EXPECT_NE (json.find ("\"output_files\": [\"out-0001.mp4\", "
          "\"out-0002.mp4\"]"), std::string::npos);
  EXPECT_NE (json.find ("\"events\": [],"), std::string::npos);
  EXPECT_NE (json.find ("\"error\": \"boom\""), std::string::npos);
  /* A trim that wrote nothing names no output. */
  r.files.clear ();
  EXPECT_NE (report_json (r).find ("\"output_video_path\": null"),
      std::string::npos);
}

TEST (Report, OneLineForJsonLines)
{
  ReportData r;
  r.input = "two\nlines.mp4";
  r.notes = {"x", "y"};
  const std::string line = one_line (report_json (r));
  EXPECT_EQ (line.find ('\n'), line.size () - 1);
  EXPECT_NE (line.find ("\"two\\nlines.mp4\""), std::string::npos);
  EXPECT_NE (line.find ("{\"version\": 1, \"input\""), std::string::npos);
}

TEST (Report, CsvRowsAndTable)
{
  Event e;
  e.start = 1.5, e.end = 2.25, e.peak = 0.125, e.x1 = 4, e.y1 = 3;
  EXPECT_EQ (csv_rows ("a,b.mp4", {e, e}),
      "\"a,b.mp4\",1,1.500000,2.250000,0.750000,0.125000,0,0,4,3\n"
      "\"a,b.mp4\",2,1.500000,2.250000,0.750000,0.125000,0,0,4,3\n");
  EXPECT_EQ (std::string (kCsvHeader),
      "input,event,start_s,end_s,duration_s,peak_score,x,y,width,height\n");
  EXPECT_EQ (event_table ("a.mp4", {e}),
      "a.mp4\n| event | start | end | duration | peak score |\n"
      "|---|---|---|---|---|\n"
      "| 1 | 0:00:01.500 | 0:00:02.250 | 0.75 s | 0.1250 |\n");
}

TEST (Report, ScoreRowsFollowTheHeader)
{
  FrameScore f;
  f.time = 1.04;
  f.score = 0.0125;
  f.motion = true;
  f.noise_level = 2.5;
  f.light_change = -0.75;
  f.x = 4;
  f.y = 8;
  f.width = 30;
  f.height = 40;
  EXPECT_EQ (score_row (f), "1.040000,0.012500,1,2.500000,-0.750000,4,8,30,"
      "40,1\n");
  f.decoded = false;
  f.motion = false;
  EXPECT_EQ (score_row (f).substr (18, 2), "0,");
  EXPECT_EQ (score_row (f).back (), '\n');
  EXPECT_EQ (std::string (kScoresHeader).substr (0, 21),
      "time_s,score,motion,n");
  /* As many fields as the header names. */
  const std::string header = kScoresHeader, row = score_row (f);
  EXPECT_EQ (std::count (header.begin (), header.end (), ','),
      std::count (row.begin (), row.end (), ','));
}

/* What report_json writes, read_report reads back: the summary and a
 * restarted run see what the run saw. */
TEST (Report, ReadsBackWhatItWrites)
{
  ReportData r;
  r.input = "cam \"1\"/a.mp4";
  r.trim = r.split = true;
  r.output = "out/a.mp4";
  r.files = {"out/a-0001.mp4", "out/a-0002.mp4"};
  r.duration_in = 3600;
  r.duration_out = 12.5;
  r.frames_in = 90000;
  r.frames_out = 312;
  r.kept = {{1, 5.5}, {100, 108}};
  Event e;
  e.start = 2, e.end = 4.5, e.peak = 0.25, e.x0 = 1, e.y0 = 2, e.x1 = 11,
      e.y1 = 22;
  r.events = {e};
  r.range_start = 60;
  r.range_end = -1;
  r.settings = {{"threshold", "0.1"}};
  r.damaged_input = true;
  r.notes = {"a\nnote"};
  r.exit_status = 3;
  r.produced_by.command = "trim";
  r.produced_by.version = "0.1.0";
  r.produced_by.input_bytes = 123456789012;
  r.produced_by.input_mtime_ns = 1796174492528877718;
  r.produced_by.options = {{"output", "out/a.mp4"}, {"split", "true"}};
  r.written = {{"out/a-0001.mp4", 1000}, {"out/a-0002.mp4", 2000}};
  r.fast = true;
  r.decoded.gops = 40;
  r.decoded.gops_decoded = 9;
  r.decoded.frames = 2000;
  r.decoded.frames_decoded = 450;
  r.decoded.long_gops = 1;
  r.decoded.forced_gops = 2;
  r.decoded.longest_skip = 1.96;
  r.error = "";
  const ReportData back = read_report (JsonValue::parse (report_json (r)));
  EXPECT_EQ (back.input, r.input);
  EXPECT_TRUE (back.trim && back.split);
  EXPECT_EQ (back.output, r.output);
  EXPECT_EQ (back.files, r.files);
  EXPECT_EQ (back.duration_in, 3600);
  EXPECT_EQ (back.frames_out, 312u);
  ASSERT_EQ (back.kept.size (), 2u);
  EXPECT_EQ (back.kept[1].end, 108);
  ASSERT_EQ (back.events.size (), 1u);
  EXPECT_EQ (back.events[0].peak, 0.25);
  EXPECT_EQ (back.events[0].x1, 11);
  EXPECT_EQ (back.events[0].y1, 22);
  EXPECT_EQ (back.range_start, 60);
  EXPECT_EQ (back.range_end, -1);
  EXPECT_EQ (back.settings, r.settings);
  EXPECT_TRUE (back.damaged_input);
  EXPECT_EQ (back.notes, r.notes);
  EXPECT_EQ (back.exit_status, 3);
  EXPECT_TRUE (back.produced_by.same_job (r.produced_by));
  EXPECT_EQ (back.produced_by.version, "0.1.0");
  EXPECT_EQ (back.written, r.written);
  EXPECT_TRUE (back.fast);
  EXPECT_EQ (back.decoded.gops, 40u);
  EXPECT_EQ (back.decoded.gops_decoded, 9u);
  EXPECT_EQ (back.decoded.frames, 2000u);
  EXPECT_EQ (back.decoded.frames_decoded, 450u);
  EXPECT_EQ (back.decoded.long_gops, 1u);
  EXPECT_EQ (back.decoded.forced_gops, 2u);
  EXPECT_DOUBLE_EQ (back.decoded.longest_skip, 1.96);
  EXPECT_TRUE (back.decoded.fallback.empty ());
  EXPECT_TRUE (back.error.empty ());
  EXPECT_TRUE (input_done (back));

  /* What is not a report is said so. */
  EXPECT_THROW (read_report (JsonValue::parse ("{\"version\": 2}")),
      std::invalid_argument);
  EXPECT_THROW (read_report (JsonValue::parse ("[1]")),
      std::invalid_argument);
  EXPECT_THROW (read_report (JsonValue::parse ("{\"version\": 1, "
              "\"input\": \"a\"}")), std::invalid_argument);
}

TEST (Report, DoneMeansFinishedAndNotInterrupted)
{
  ReportData r;
  for (int status : {0, 3, 4})
    EXPECT_TRUE ((r.exit_status = status, input_done (r))) << status;
  for (int status : {1, 2, 130})
    EXPECT_FALSE ((r.exit_status = status, input_done (r))) << status;
  r.exit_status = 0;
  r.interrupted = true;
  EXPECT_FALSE (input_done (r));
}
