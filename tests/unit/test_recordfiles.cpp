/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Event file names, the index of recordings and retention, in a
 * temporary folder. */
#include "recordfiles.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>

using namespace stillframe::cli;

namespace {

class RecordFiles : public ::testing::Test {
protected:
  void SetUp () override
  {
    char tmpl[] = "/tmp/stillframe-recordfiles-XXXXXX";
    ASSERT_NE (mkdtemp (tmpl), nullptr);
    dir = tmpl;
    setenv ("TZ", "UTC", 1);
    tzset ();
  }
  void TearDown () override
  {
    std::string rm = "rm -rf '" + dir + "'";
    ASSERT_EQ (std::system (rm.c_str ()), 0);
  }
  void write (const std::string &name, std::size_t bytes)
  {
    const std::size_t slash = name.rfind ('/');
    if (slash != std::string::npos)
      mkdir ((dir + "/" + name.substr (0, slash)).c_str (), 0777);
    std::ofstream (dir + "/" + name) << std::string (bytes, 'x');
  }
  bool exists (const std::string &name)
  {
    return access ((dir + "/" + name).c_str (), F_OK) == 0;
  }
  std::string dir;
};

constexpr std::int64_t kDay = 86400;
/* 2026-12-01 17:10:03.250 UTC */
constexpr std::int64_t kWhen = 1796145003;

}  // namespace

TEST_F (RecordFiles, NamesComeFromTheWallClockStart)
{
  const std::int64_t ns = kWhen * 1000000000LL + 250000000LL;
  EXPECT_EQ (event_file_name ("%Y-%m-%d/%H-%M-%S.mp4", ns),
      "2026-12-01/17-10-03.mp4");
  EXPECT_EQ (event_file_name ("cam1-%H%M%S.%f.mkv", ns),
      "cam1-171003.250.mkv");
  EXPECT_EQ (event_file_name ("a%nb.mp4", ns), "a_b.mp4");
}

TEST_F (RecordFiles, TemplatesStayInsideTheFolder)
{
  EXPECT_EQ (name_template_problem ("%Y/%H.mp4"), "");
  EXPECT_EQ (name_template_problem ("x.MKV"), "");
  EXPECT_NE (name_template_problem ("/etc/%H.mp4"), "");
  EXPECT_NE (name_template_problem ("../%H.mp4"), "");
  EXPECT_NE (name_template_problem ("a//b.mp4"), "");
  EXPECT_NE (name_template_problem ("%H/"), "");
  EXPECT_NE (name_template_problem (""), "");
  EXPECT_NE (name_template_problem ("a\nb.mp4"), "");
}

TEST_F (RecordFiles, TakenOrReservedNamesGetANumber)
{
  write ("17-10-03.mp4", 1);
  std::set<std::string> reserved = {"17-10-03-2.mp4"};
  auto is_reserved = [&] (const std::string &n) { return reserved.count (n)
        > 0; };
  EXPECT_EQ (unused_name (dir, "17-10-03.mp4", is_reserved),
      "17-10-03-3.mp4");
  EXPECT_EQ (unused_name (dir, "other.mp4", is_reserved), "other.mp4");
}

TEST_F (RecordFiles, MaxSizeDeletesTheOldestOfOursOnly)
{
  RecordingIndex index (dir);
  write ("2026-11-30/a.mp4", 100);
  write ("2026-12-01/b.mp4", 100);
  write ("2026-12-01/c.mp4", 100);
  write ("2026-12-01/users-own.mp4", 1000);
  ASSERT_EQ (index.add ({"2026-11-30/a.mp4", 100, kWhen - 3}), "");
  ASSERT_EQ (index.add ({"2026-12-01/b.mp4", 100, kWhen - 2}), "");
  ASSERT_EQ (index.add ({"2026-12-01/c.mp4", 100, kWhen - 1}), "");
  std::string error;
  const auto deleted = index.apply ({0, 250}, kWhen, &error);
  EXPECT_EQ (error, "");
  EXPECT_EQ (deleted, std::vector<std::string> {"2026-11-30/a.mp4"});
  EXPECT_FALSE (exists ("2026-11-30"));   /* the emptied folder too */
  EXPECT_TRUE (exists ("2026-12-01/b.mp4"));
  EXPECT_TRUE (exists ("2026-12-01/users-own.mp4"));
  EXPECT_EQ (index.read ().size (), 2u);
}

TEST_F (RecordFiles, KeepDaysDeletesWhatIsOlder)
{
  RecordingIndex index (dir);
  write ("old.mp4", 10);
  write ("new.mp4", 10);
  index.add ({"old.mp4", 10, kWhen - 8 * kDay});
  index.add ({"new.mp4", 10, kWhen - 6 * kDay});
  std::string error;
  EXPECT_EQ (index.apply ({7, 0}, kWhen, &error),
      std::vector<std::string> {"old.mp4"});
  EXPECT_TRUE (exists ("new.mp4"));
}

TEST_F (RecordFiles, ChangedOrReplacedFilesAreNotDeleted)
{
  RecordingIndex index (dir);
  write ("a.mp4", 10);
  write ("b.mp4", 10);
  index.add ({"a.mp4", 10, kWhen - 9 * kDay});
  index.add ({"b.mp4", 10, kWhen - 9 * kDay});
  write ("a.mp4", 20);          /* the user edited it */
  unlink ((dir + "/b.mp4").c_str ());
  symlink ("/etc/hostname", (dir + "/b.mp4").c_str ());
  std::string error;
  EXPECT_TRUE (index.apply ({1, 0}, kWhen, &error).empty ());
  EXPECT_TRUE (exists ("a.mp4"));
  EXPECT_TRUE (index.read ().empty ());
}

TEST_F (RecordFiles, NamesWithSpacesSurviveTheIndex)
{
  RecordingIndex index (dir);
  index.add ({"front door/17 10 03.mp4", 5, kWhen});
  const auto files = index.read ();
  ASSERT_EQ (files.size (), 1u);
  EXPECT_EQ (files[0].name, "front door/17 10 03.mp4");
  EXPECT_EQ (files[0].bytes, 5u);
  EXPECT_EQ (files[0].written, kWhen);
}

TEST (ParseSize, Units)
{
  std::string error;
  EXPECT_EQ (parse_size ("500M", &error), 500ull << 20);
  EXPECT_EQ (parse_size ("10G", &error), 10ull << 30);
  EXPECT_EQ (parse_size ("2.5GB", &error), (std::uint64_t) (2.5 * (1 << 30)));
  EXPECT_EQ (parse_size ("1GiB", &error), 1ull << 30);
  EXPECT_EQ (parse_size ("123456", &error), 123456u);
  EXPECT_EQ (error, "");
  EXPECT_EQ (parse_size ("lots", &error), 0u);
  EXPECT_NE (error, "");
  error.clear ();
  EXPECT_EQ (parse_size ("5X", &error), 0u);
  EXPECT_NE (error, "");
  error.clear ();
  EXPECT_EQ (parse_size ("-1G", &error), 0u);
  EXPECT_NE (error, "");
}

TEST_F (RecordFiles, EventLineHasWallClockAndStreamTimes)
{
  EventSummary e;
  e.start = 5500 * 1000000ull;
  e.end = 6500 * 1000000ull;
  e.recorded_start = 4 * stillframe::kSecond;
  e.recorded_end = 7500 * 1000000ull;
  e.peak_score = 0.07;
  e.box = Box {10, 20, 30, 40};
  e.files = 1;
  const std::int64_t zero = kWhen * 1000000000LL;
  const std::string line = event_json_line (e, [&] (stillframe::Time t) {
        return zero + (std::int64_t) t; }, {"2026-12-01/17-10-07.mp4"});
  EXPECT_EQ (line, "{\"start\":\"2026-12-01T17:10:08.500+00:00\","
      "\"end\":\"2026-12-01T17:10:09.500+00:00\",\"stream_start\":5.500000,"
      "\"stream_end\":6.500000,\"duration\":1.000000,\"peak_score\":0.070000,"
      "\"box\":{\"x\":10,\"y\":20,\"width\":30,\"height\":40},"
      "\"file\":\"2026-12-01/17-10-07.mp4\","
      "\"files\":[\"2026-12-01/17-10-07.mp4\"],"
      "\"recorded_start\":\"2026-12-01T17:10:07.000+00:00\","
      "\"recorded_end\":\"2026-12-01T17:10:10.500+00:00\","
      "\"cut_short\":false}\n");
}

TEST_F (RecordFiles, Iso8601HasTheLocalOffset)
{
  setenv ("TZ", "CET-1", 1);
  tzset ();
  EXPECT_EQ (iso8601 (kWhen * 1000000000LL + 5000000),
      "2026-12-01T18:10:03.005+01:00");
}

TEST (EventLines, GoOutInTheEventsOrder)
{
  /* The second event's file is written before the first's. */
  EventLines lines;
  const auto first = lines.begin (), second = lines.begin ();
  lines.ready (second, "second\n");
  EXPECT_TRUE (lines.take ().empty ());
  lines.ready (first, "first\n");
  EXPECT_EQ (lines.take (), (std::vector<std::string> {"first\n",
              "second\n"}));
  EXPECT_TRUE (lines.take ().empty ());
  const auto third = lines.begin ();
  lines.ready (third, "third\n");
  EXPECT_EQ (lines.take (), std::vector<std::string> {"third\n"});
}

TEST (EventLines, AtTheEndEveryReadyLineGoesOut)
{
  /* The first event's file never finished: the later ones still have
   * their lines when the run ends. */
  EventLines lines;
  lines.begin ();
  const auto second = lines.begin (), third = lines.begin ();
  lines.ready (third, "third\n");
  lines.ready (second, "second\n");
  EXPECT_TRUE (lines.take ().empty ());
  EXPECT_EQ (lines.take (true), (std::vector<std::string> {"second\n",
              "third\n"}));
  EXPECT_TRUE (lines.take (true).empty ());
}
