/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Planning a run: the names each input writes and every way they could
 * harm a file the user owns, found before anything is written. */
#include "plan.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

using namespace stillframe::cli;

namespace {

class Planning : public ::testing::Test {
protected:
  void SetUp () override
  {
    std::string pattern = ::testing::TempDir () + "plan-XXXXXX";
    ASSERT_NE (mkdtemp (pattern.data ()), nullptr);
    dir = pattern;
  }
  void TearDown () override
  {
    ASSERT_EQ (std::system (("rm -rf '" + dir + "'").c_str ()), 0);
  }
  std::string at (const std::string &name) const { return dir + "/" + name; }
  std::string touch (const std::string &name) const
  {
    std::ofstream (at (name)) << "x";
    return at (name);
  }
  Input input (const std::string &name) const
  {
    return {at (name), Input::Kind::File, at (name)};
  }
  Options trim_to (const std::string &output,
      std::vector<std::string> inputs) const
  {
    Options o;
    o.trim = true;
    o.output = output;
    o.inputs = std::move (inputs);
    return o;
  }
  std::string dir;
};

}  // namespace

TEST (Naming, ExtensionsStemsAndMuxers)
{
  EXPECT_EQ (extension_of ("a/b.MP4"), ".mp4");
  EXPECT_EQ (extension_of ("a.d/b"), "");
  EXPECT_EQ (stem_of ("/x/cam.1.mkv"), "cam.1");
  EXPECT_EQ (stem_of ("/x/.hidden"), ".hidden");
  EXPECT_STREQ (muxer_for ("o.mov"), "qtmux");
  EXPECT_STREQ (muxer_for ("o.M4V"), "mp4mux");
  EXPECT_STREQ (muxer_for ("o.mkv"), "matroskamux");
  EXPECT_EQ (muxer_for ("o.avi"), nullptr);
  EXPECT_TRUE (is_video_file ("a.TS"));
  EXPECT_FALSE (is_video_file ("a.json"));
}

TEST_F (Planning, AnOutputThatIsAnInputByAnyName)
{
  touch ("a.mp4");
  ASSERT_EQ (link (at ("a.mp4").c_str (), at ("hard.mp4").c_str ()), 0);
  ASSERT_EQ (symlink (at ("a.mp4").c_str (), at ("soft.mp4").c_str ()), 0);
  mkdir (at ("d").c_str (), 0755);
  for (const std::string &name : {at ("a.mp4"), at ("d/../a.mp4"),
          at ("hard.mp4"), at ("soft.mp4")}) {
    const std::string conflict = find_conflict ({input ("a.mp4")},
        {{name, "-o"}});
    EXPECT_NE (conflict.find ("would overwrite the input"), std::string::npos)
        << name << ": " << conflict;
  }
  EXPECT_EQ (find_conflict ({input ("a.mp4")}, {{at ("b.mp4"), "-o"}}), "");
}

TEST_F (Planning, TwoOutputsInOneFile)
{
  touch ("a.mp4");
  const std::string conflict = find_conflict ({input ("a.mp4")},
      {{at ("r.json"), "--report"}, {at ("r.json"), "--csv"}});
  EXPECT_EQ (conflict, "--report and --csv would both be written to " +
      at ("r.json"));
}

TEST_F (Planning, SplitPartsCollide)
{
  touch ("in.mp4");
  /* An input named like a part of the output. */
  const std::string part = touch ("out-0001.mp4");
  EXPECT_NE (find_conflict ({input ("in.mp4"), input ("out-0001.mp4")},
          {{at ("out.mp4"), "-o", true}}).find ("a part of -o"),
      std::string::npos);
  /* A report named like one. */
  EXPECT_NE (find_conflict ({input ("in.mp4")}, {{at ("out.mp4"), "-o",
                  true}, {at ("out-0002.mp4"), "--report"}})
      .find ("would be replaced by a part of -o"), std::string::npos);
  /* Two outputs with one family of parts. */
  EXPECT_NE (find_conflict ({input ("in.mp4")}, {{at ("out.mp4"), "a", true},
              {at ("out.mp4"), "b", true}}).find ("would both be written"),
      std::string::npos);
}

TEST_F (Planning, WhatCannotBeWritten)
{
  touch ("taken.mp4");
  EXPECT_EQ (write_problem (at ("taken.mp4"), false, false), at
      ("taken.mp4") + " exists (use --force to overwrite)");
  EXPECT_EQ (write_problem (at ("taken.mp4"), true, false), "");
  ASSERT_EQ (symlink (at ("taken.mp4").c_str (), at ("link.mp4").c_str ()),
      0);
  EXPECT_NE (write_problem (at ("link.mp4"), true, false)
      .find ("is a symbolic link"), std::string::npos);
  mkdir (at ("folder.mp4").c_str (), 0755);
  EXPECT_NE (write_problem (at ("folder.mp4"), true, false)
      .find ("but a folder"), std::string::npos);
  EXPECT_EQ (write_problem (at ("none/x.mp4"), false, false), "folder " +
      at ("none") + " does not exist");
  EXPECT_EQ (write_problem (at ("none/x.mp4"), false, true), "");
}

TEST_F (Planning, FolderInputsNameTheirOutputs)
{
  mkdir (at ("in").c_str (), 0755);
  touch ("in/a.mp4");
  touch ("in/b.mkv");
  touch ("in/notes.txt");
  Options o = trim_to (at ("out"), {at ("in")});
  o.report = at ("reports");
  const Plan plan = plan_jobs (o);
  EXPECT_EQ (plan.status, EXIT_DONE);
  ASSERT_EQ (plan.jobs.size (), 2u);
  EXPECT_EQ (plan.jobs[0]->output, at ("out") + "/a.mp4");
  EXPECT_EQ (plan.jobs[1]->output, at ("out") + "/b.mkv");
  EXPECT_EQ (plan.jobs[1]->report_path, at ("reports") + "/b.json");
  EXPECT_EQ (plan.jobs[1]->index, 1u);
  /* Made once everything was checked. */
  struct stat st;
  EXPECT_EQ (stat (at ("out").c_str (), &st), 0);
}

TEST_F (Planning, AClashPlansNothing)
{
  mkdir (at ("d1").c_str (), 0755);
  touch ("d1/x.mp4");
  touch ("d1/x.mov");           /* both would be out/x.mp4 */
  const Plan plan = plan_jobs (trim_to (at ("out"), {at ("d1/x.mp4"),
              at ("d1/x.mov")}));
  EXPECT_EQ (plan.status, EXIT_BAD_INPUT);
  EXPECT_TRUE (plan.jobs.empty ());
  struct stat st;
  EXPECT_NE (stat (at ("out").c_str (), &st), 0);
}

TEST_F (Planning, InputsOfOneNameInTwoFoldersKeepTheirFolders)
{
  mkdir (at ("d1").c_str (), 0755);
  mkdir (at ("d2").c_str (), 0755);
  touch ("d1/x.mp4");
  touch ("d2/x.mp4");
  const Plan plan = plan_jobs (trim_to (at ("out"), {at ("d1/x.mp4"),
              at ("d2/x.mp4")}));
  EXPECT_EQ (plan.status, EXIT_DONE);
  ASSERT_EQ (plan.jobs.size (), 2u);
  EXPECT_EQ (plan.jobs[0]->output, at ("out/d1/x.mp4"));
  EXPECT_EQ (plan.jobs[1]->output, at ("out/d2/x.mp4"));
  /* Their folders are made once all is checked. */
  struct stat st;
  EXPECT_EQ (stat (at ("out/d2").c_str (), &st), 0);
}

TEST_F (Planning, AProblemSkipsItsInputOnly)
{
  touch ("a.mp4");
  touch ("b.mp4");
  mkdir (at ("out").c_str (), 0755);
  touch ("out/a.mp4");          /* exists, no --force */
  const Plan plan = plan_jobs (trim_to (at ("out"), {at ("a.mp4"),
              at ("b.mp4"), at ("missing.mp4")}));
  EXPECT_EQ (plan.status, EXIT_BAD_INPUT);
  ASSERT_EQ (plan.jobs.size (), 1u);
  EXPECT_EQ (plan.jobs[0]->input.name, at ("b.mp4"));
  EXPECT_EQ (plan.jobs[0]->index, 0u);
}

/* An archive's hourly files share their names across cameras and days:
 * in an output folder each keeps its path from the folder all share. */
TEST (Plan, OutputNamesKeepTheFoldersThatTellInputsApart)
{
  EXPECT_EQ (names_in_folder ({"/v/a.mp4"}), (std::vector<std::string>
          {"a"}));
  EXPECT_EQ (names_in_folder ({"/v/a.mp4", "/v/b.mkv"}),
      (std::vector<std::string> {"a", "b"}));
  EXPECT_EQ (names_in_folder ({"/v/cam1/2026-11-03/10.mp4",
              "/v/cam2/2026-11-03/10.mp4", "/v/cam2/2026-11-04/10.mp4"}),
      (std::vector<std::string> {"cam1/2026-11-03/10", "cam2/2026-11-03/10",
              "cam2/2026-11-04/10"}));
  EXPECT_EQ (names_in_folder ({"/v/x/a.mp4", "/v/a.b.mp4"}),
      (std::vector<std::string> {"x/a", "a.b"}));
  EXPECT_EQ (names_in_folder ({"/a.mp4", "/srv/b.mp4"}),
      (std::vector<std::string> {"a", "srv/b"}));
  EXPECT_TRUE (names_in_folder ({}).empty ());
}
