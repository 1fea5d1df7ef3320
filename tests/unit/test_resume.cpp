/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A restarted run: what an earlier report lets it skip, what it does
 * again and which files it may then replace, and what it leaves to
 * --force. */
#include "resume.h"

#include <gtest/gtest.h>

#include <map>

using namespace stillframe::cli;

namespace {

Provenance
made_by ()
{
  Provenance p;
  p.command = "trim";
  p.version = "0.1.0";
  p.input_bytes = 1000;
  p.input_mtime_ns = 1796174492528877718;
  p.options = {{"output", "out/a.mp4"}, {"quality", "23"}};
  return p;
}

ReportData
finished_report ()
{
  ReportData r;
  r.input = "cams/a.mp4";
  r.trim = true;
  r.output = "out/a.mp4";
  r.files = {"out/a.mp4"};
  r.produced_by = made_by ();
  r.written = {{"out/a.mp4", 5000}, {"scores/a.csv", 300}};
  return r;
}

SizeOf
sizes (std::map<std::string, std::uint64_t> files)
{
  return [files] (const std::string &path) -> std::optional<std::uint64_t> {
    const auto it = files.find (path);
    return it == files.end () ? std::nullopt : std::optional (it->second);
  };
}

const SizeOf kAsWritten = sizes ({{"out/a.mp4", 5000}, {"scores/a.csv",
          300}});

}  // namespace

TEST (Resume, ADoneInputIsSkipped)
{
  ReportData r = finished_report ();
  EXPECT_EQ (judge_resume (r, "cams/a.mp4", made_by (), kAsWritten).verdict,
      ResumeVerdict::Done);
  /* Damaged input and nothing kept are as done as it gets. */
  r.exit_status = 3;
  EXPECT_EQ (judge_resume (r, "cams/a.mp4", made_by (), kAsWritten).verdict,
      ResumeVerdict::Done);
  r.exit_status = 4;
  r.written.clear ();
  EXPECT_EQ (judge_resume (r, "cams/a.mp4", made_by (), sizes ({})).verdict,
      ResumeVerdict::Done);
  /* Another version of stillframe made it: still done. */
  Provenance newer = made_by ();
  newer.version = "0.2.0";
  EXPECT_EQ (judge_resume (finished_report (), "cams/a.mp4", newer,
          kAsWritten).verdict, ResumeVerdict::Done);
}

TEST (Resume, AnUnfinishedInputIsDoneAgainReplacingOnlyItsOwnFiles)
{
  ReportData r = finished_report ();
  r.interrupted = true;
  ResumeDecision d = judge_resume (r, "cams/a.mp4", made_by (), kAsWritten);
  EXPECT_EQ (d.verdict, ResumeVerdict::Redo);
  EXPECT_EQ (d.own_files, (std::vector<std::string> {"out/a.mp4",
          "scores/a.csv"}));
  EXPECT_NE (d.why.find ("interrupted"), std::string::npos);

  r = finished_report ();
  r.exit_status = 2;
  r.error = "cannot write out/a.mp4: No space left on device";
  d = judge_resume (r, "cams/a.mp4", made_by (), kAsWritten);
  EXPECT_EQ (d.verdict, ResumeVerdict::Redo);
  EXPECT_NE (d.why.find ("No space left"), std::string::npos);

  /* A file it wrote is gone, another was changed since: done again, and
   * the changed one is no longer its own to replace. */
  d = judge_resume (finished_report (), "cams/a.mp4", made_by (),
      sizes ({{"out/a.mp4", 4999}}));
  EXPECT_EQ (d.verdict, ResumeVerdict::Redo);
  EXPECT_TRUE (d.own_files.empty ());
  EXPECT_NE (d.why.find ("out/a.mp4 has changed"), std::string::npos);
}

TEST (Resume, AnotherStateOfTheInputOrOtherOptionsNeedForce)
{
  Provenance changed = made_by ();
  changed.input_mtime_ns += 1;
  ResumeDecision d = judge_resume (finished_report (), "cams/a.mp4", changed,
      kAsWritten);
  EXPECT_EQ (d.verdict, ResumeVerdict::Stale);
  EXPECT_NE (d.why.find ("input has changed"), std::string::npos);
  EXPECT_TRUE (d.own_files.empty ());

  Provenance other = made_by ();
  other.options.push_back ({"threshold", "0.001"});
  d = judge_resume (finished_report (), "cams/a.mp4", other, kAsWritten);
  EXPECT_EQ (d.verdict, ResumeVerdict::Stale);
  EXPECT_NE (d.why.find ("(threshold)"), std::string::npos);
  /* An option dropped since counts too. */
  Provenance fewer = made_by ();
  fewer.options.pop_back ();
  EXPECT_NE (judge_resume (finished_report (), "cams/a.mp4", fewer,
          kAsWritten).why.find ("(quality)"), std::string::npos);

  Provenance scan = made_by ();
  scan.command = "scan";
  EXPECT_EQ (judge_resume (finished_report (), "cams/a.mp4", scan,
          kAsWritten).verdict, ResumeVerdict::Stale);
}

TEST (Resume, AnotherInputsOrAnOldReportIsNotOurs)
{
  EXPECT_EQ (judge_resume (finished_report (), "cams/b.mp4", made_by (),
          kAsWritten).verdict, ResumeVerdict::Unrelated);
  ReportData old = finished_report ();
  old.produced_by = Provenance ();      /* from before reports said */
  EXPECT_EQ (judge_resume (old, "cams/a.mp4", made_by (), kAsWritten).verdict,
      ResumeVerdict::Unrelated);
}
