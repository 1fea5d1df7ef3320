/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stillframe summary's merge: cameras and days from the inputs' paths,
 * one count per input whatever shard reported it, the failures with their
 * reasons, and the inputs that were never reported. */
#include "jsonvalue.h"
#include "summary.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

using namespace stillframe::cli;

namespace {

ReadReport
report (const std::string &path, const std::string &input, double in,
    double out, std::size_t events)
{
  ReadReport r;
  r.path = path;
  r.report.input = input;
  r.report.duration_in = in;
  r.report.duration_out = out;
  for (std::size_t i = 0; i < events; i++) {
    Event e;
    e.start = (double) i;
    e.end = i + 0.5;
    r.report.events.push_back (e);
  }
  return r;
}

}  // namespace

TEST (Summary, CamerasAreFoldersLessTheirDates)
{
  EXPECT_EQ (camera_of ("archive/cam07/2026-11-03/14.mp4"), "archive/cam07");
  EXPECT_EQ (camera_of ("archive/cam07/2026/11/03/14.mp4"), "archive/cam07");
  EXPECT_EQ (camera_of ("/srv/cam07/20261103/14.mp4"), "/srv/cam07");
  EXPECT_EQ (camera_of ("cam07_20261103_14.mp4"), ".");
  EXPECT_EQ (camera_of ("lobby/a.mp4"), "lobby");
  /* A folder that only looks like a number is no date. */
  EXPECT_EQ (camera_of ("cams/123/a.mp4"), "cams/123");
}

TEST (Summary, DaysComeFromThePathOrTheRecording)
{
  EXPECT_EQ (date_in_path ("cam07/2026-11-03/14.mp4"), "2026-11-03");
  EXPECT_EQ (date_in_path ("cam07/2026/11/03/14.mp4"), "2026-11-03");
  EXPECT_EQ (date_in_path ("cam07_20261103_140000.mp4"), "2026-11-03");
  EXPECT_EQ (date_in_path ("cam07/2026_11_03.mp4"), "2026-11-03");
  /* Not a date: month 13, a longer number, mixed separators. */
  EXPECT_EQ (date_in_path ("cam/20261303.mp4"), "");
  EXPECT_EQ (date_in_path ("cam/1202611030.mp4"), "");
  EXPECT_EQ (date_in_path ("cam/2026-11_03.mp4"), "");
  EXPECT_EQ (date_in_path ("cam/a.mp4"), "");
  setenv ("TZ", "UTC", 1);
  tzset ();
  EXPECT_EQ (local_date (1796174492), "2026-12-02");
}

TEST (Summary, CountsEachInputOnceWithItsFailures)
{
  setenv ("TZ", "UTC", 1);
  tzset ();
  std::vector<ReadReport> reports = {
    report ("r/a.json", "cam1/2026-11-03/a.mp4", 3600, 60, 2),
    report ("r/b.json", "cam1/2026-11-03/b.mp4", 3600, 30, 1),
    report ("r/c.json", "cam1/2026-11-04/c.mp4", 3600, 0, 0),
    report ("r/d.json", "cam2/d.mp4", 1800, 0, 0),
  };
  /* d's day is when its recording started: 30 minutes before its file was
   * last written, at 00:10 on the 2nd. */
  reports[3].report.produced_by.command = "scan";
  reports[3].report.produced_by.input_mtime_ns = 1796170200ll * 1000000000;
  reports[3].report.exit_status = 2;
  reports[3].report.error = "not a video that can be read";
  /* b was reported twice: by a worker that was stopped, then by its
   * restart. */
  ReadReport stopped = reports[1];
  stopped.path = "q/b.json";
  stopped.report.interrupted = true;
  reports.push_back (stopped);
  /* c was damaged, which is done. */
  reports[2].report.exit_status = 3;
  reports[2].report.damaged_input = true;

  const Summary s = summarize (reports, {"cam1/2026-11-03/a.mp4",
        "cam3/e.mp4"});
  EXPECT_EQ (s.reports, 5u);
  EXPECT_EQ (s.total.inputs, 4u);
  EXPECT_EQ (s.total.failed, 1u);
  EXPECT_EQ (s.total.damaged, 1u);
  EXPECT_EQ (s.total.events, 3u);
  EXPECT_DOUBLE_EQ (s.total.seconds_kept, 90);
  ASSERT_EQ (s.days.size (), 3u);
  EXPECT_EQ (s.days[0].camera, "cam1");
  EXPECT_EQ (s.days[0].day, "2026-11-03");
  EXPECT_EQ (s.days[0].tally.inputs, 2u);
  EXPECT_EQ (s.days[0].tally.events, 3u);
  EXPECT_EQ (s.days[1].day, "2026-11-04");
  EXPECT_EQ (s.days[2].camera, "cam2");
  EXPECT_EQ (s.days[2].day, "2026-12-01");
  ASSERT_EQ (s.failures.size (), 1u);
  EXPECT_EQ (s.failures[0].input, "cam2/d.mp4");
  EXPECT_EQ (s.failures[0].error, "not a video that can be read");
  EXPECT_EQ (s.missing, (std::vector<std::string> {"cam3/e.mp4"}));
  ASSERT_EQ (s.duplicates.size (), 1u);
  EXPECT_EQ (s.duplicates[0].second, (std::vector<std::string> {"q/b.json",
          "r/b.json"}));
  EXPECT_FALSE (s.complete ());

  /* The JSON is valid and says the same. */
  const JsonValue json = JsonValue::parse (summary_json (s));
  EXPECT_EQ (json.number_at ("inputs"), 4);
  EXPECT_EQ (json.number_at ("failed"), 1);
  EXPECT_EQ (json.number_at ("missing"), 1);
  EXPECT_EQ (json.bool_at ("complete", true), false);
  EXPECT_EQ (json.get ("days")->items ().size (), 3u);
  EXPECT_DOUBLE_EQ (json.get ("days")->items ()[0].number_at ("hours_kept"),
      0.025);
  EXPECT_EQ (summary_csv (s),
      "camera,day,inputs,failed,damaged,events,hours_in,hours_kept\n"
      "cam1,2026-11-03,2,0,0,3,2.000000,0.025000\n"
      "cam1,2026-11-04,1,0,1,0,1.000000,0.000000\n"
      "cam2,2026-12-01,1,1,0,0,0.500000,0.000000\n");
  /* The restart's events, once. */
  EXPECT_EQ (summary_events_csv (reports),
      "input,event,start_s,end_s,duration_s,peak_score,x,y,width,height\n"
      "cam1/2026-11-03/a.mp4,1,0.000000,0.500000,0.500000,0.000000,0,0,0,0\n"
      "cam1/2026-11-03/a.mp4,2,1.000000,1.500000,0.500000,0.000000,0,0,0,0\n"
      "cam1/2026-11-03/b.mp4,1,0.000000,0.500000,0.500000,0.000000,0,0,0,0\n");
}

TEST (Summary, ARunWithoutFailuresIsComplete)
{
  const Summary s = summarize ({report ("a.json", "a.mp4", 10, 5, 1)},
      {"a.mp4"});
  EXPECT_TRUE (s.complete ());
  EXPECT_TRUE (s.missing.empty ());
}
