/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which file a path is, the names of --split's parts, and files that get
 * their name only when complete and never replace one by surprise. */
#include "filesafety.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace stillframe::cli;

namespace {

class FileSafety : public ::testing::Test {
protected:
  void SetUp () override
  {
    std::string pattern = ::testing::TempDir () + "filesafety-XXXXXX";
    ASSERT_NE (mkdtemp (pattern.data ()), nullptr);
    dir = pattern;
  }
  void TearDown () override
  {
    ASSERT_EQ (std::system (("rm -rf '" + dir + "'").c_str ()), 0);
  }
  std::string at (const std::string &name) const { return dir + "/" + name; }
  void write (const std::string &name, const std::string &text) const
  {
    std::ofstream (at (name)) << text;
  }
  std::string read (const std::string &name) const
  {
    std::ifstream in (at (name));
    std::stringstream text;
    text << in.rdbuf ();
    return text.str ();
  }
  /* The names in the folder, hidden ones included. */
  int entries () const
  {
    std::string out;
    FILE *ls = popen (("ls -A '" + dir + "' | wc -l").c_str (), "r");
    char line[32] = "";
    if (fgets (line, sizeof line, ls) == nullptr)
      line[0] = 0;
    pclose (ls);
    return std::atoi (line);
  }
  std::string dir;
};

}  // namespace

TEST_F (FileSafety, KeysSeeThroughSymlinksDotsAndHardLinks)
{
  write ("a.mp4", "video");
  ASSERT_EQ (mkdir (at ("sub").c_str (), 0755), 0);
  ASSERT_EQ (symlink (at ("a.mp4").c_str (), at ("link.mp4").c_str ()), 0);
  ASSERT_EQ (link (at ("a.mp4").c_str (), at ("hard.mp4").c_str ()), 0);
  const FileKey a = file_key (at ("a.mp4"));
  EXPECT_TRUE (a.exists);
  EXPECT_EQ (a, file_key (at ("sub/../a.mp4")));
  EXPECT_EQ (a, file_key (dir + "/./a.mp4"));
  EXPECT_EQ (a, file_key (at ("link.mp4")));
  EXPECT_EQ (a, file_key (at ("hard.mp4")));
  write ("b.mp4", "other");
  EXPECT_FALSE (a == file_key (at ("b.mp4")));
  /* Files yet to be written compare by where they will be. */
  EXPECT_EQ (file_key (at ("new.json")), file_key (at ("sub/../new.json")));
  EXPECT_EQ (file_key (at ("missing/x.json")),
      file_key (at ("missing/./y/../x.json")));
  EXPECT_FALSE (file_key (at ("new.json")) == file_key (at ("new2.json")));
  EXPECT_FALSE (file_key (at ("new.json")) == a);
  ASSERT_EQ (chdir (dir.c_str ()), 0);
  EXPECT_EQ (file_key ("a.mp4"), a);
  EXPECT_EQ (file_key ("./new.json"), file_key (at ("new.json")));
}

TEST_F (FileSafety, PartNamesAreLiteral)
{
  EXPECT_EQ (part_path (at ("ev.mp4"), 1), at ("ev-0001.mp4"));
  EXPECT_EQ (part_path ("ev.mp4", 12345), "ev-12345.mp4");
  EXPECT_EQ (part_path (at ("o%s%n.mp4"), 2), at ("o%s%n-0002.mp4"));
  EXPECT_EQ (part_path (at ("100%sure.mkv"), 3), at ("100%sure-0003.mkv"));
  EXPECT_EQ (part_path ("d.ir/noext", 1), "d.ir/noext-0001");
  EXPECT_EQ (part_index (at ("ev.mp4"), at ("ev-0002.mp4")), 2u);
  EXPECT_EQ (part_index (at ("ev.mp4"), at ("ev-12345.mp4")), 12345u);
  EXPECT_EQ (part_index (at ("ev.mp4"), at ("ev-002.mp4")), 0u);
  EXPECT_EQ (part_index (at ("ev.mp4"), at ("ev-0002.mkv")), 0u);
  EXPECT_EQ (part_index (at ("ev.mp4"), at ("ev-x002.mp4")), 0u);
  EXPECT_EQ (part_index (at ("ev.mp4"), "/elsewhere/ev-0002.mp4"), 0u);
  /* Families: a part's is its output's, wherever the path goes through. */
  ASSERT_EQ (mkdir (at ("sub").c_str (), 0755), 0);
  EXPECT_EQ (part_family (at ("sub/../ev-0007.mp4")),
      parts_family (at ("ev.mp4")));
  EXPECT_EQ (part_family (at ("a.b-0001.mp4")), parts_family (at ("a.b.mp4")));
  EXPECT_EQ (part_family (at ("noext-0001")), parts_family (at ("noext")));
  EXPECT_NE (part_family (at ("ev-0001.mkv")), parts_family (at ("ev.mp4")));
  for (const char *name : {"ev.mp4", "ev-01.mp4", "-0001.mp4", "ev-x001.mp4"})
    EXPECT_EQ (part_family (at (name)), "") << name;
}

TEST_F (FileSafety, ExistingPartsAreFoundInOrder)
{
  for (const char *name : {"ev-0002.mp4", "ev-0010.mp4", "ev-0001.mp4",
          "ev.mp4", "ev-1.mp4", "other-0001.mp4"})
    write (name, "x");
  const std::vector<std::string> parts = existing_parts (at ("ev.mp4"));
  ASSERT_EQ (parts.size (), 3u);
  EXPECT_EQ (parts[0], at ("ev-0001.mp4"));
  EXPECT_EQ (parts[2], at ("ev-0010.mp4"));
}

TEST_F (FileSafety, PendingFileGetsItsNameOnlyWhenCommitted)
{
  {
    PendingFile file (at ("out.json"));
    EXPECT_EQ (file.append ("{\"a\": "), "");
    EXPECT_EQ (file.append ("1}\n"), "");
    EXPECT_FALSE (name_taken (at ("out.json")));
    EXPECT_EQ (file.commit (false), "");
  }
  EXPECT_EQ (read ("out.json"), "{\"a\": 1}\n");
  EXPECT_EQ (entries (), 1);
  /* Abandoned: nothing left. */
  {
    PendingFile file (at ("gone.json"));
    file.append ("x");
  }
  EXPECT_EQ (entries (), 1);
}

TEST_F (FileSafety, CommitNeverReplacesUnlessAsked)
{
  write ("mine.mp4", "mine");
  PendingFile file (at ("mine.mp4"));
  file.append ("new");
  const std::string error = file.commit (false);
  EXPECT_NE (error.find ("mine.mp4"), std::string::npos) << error;
  EXPECT_NE (error.find ("--force"), std::string::npos) << error;
  EXPECT_EQ (read ("mine.mp4"), "mine");
  EXPECT_EQ (file.commit (true), "");
  EXPECT_EQ (read ("mine.mp4"), "new");
  EXPECT_EQ (entries (), 1);
  /* A dangling symlink is a name taken too; replacing it replaces the link,
   * never what it points to. */
  ASSERT_EQ (symlink (at ("nowhere").c_str (), at ("dangling").c_str ()), 0);
  EXPECT_TRUE (name_taken (at ("dangling")));
  EXPECT_NE (write_whole_file (at ("dangling"), "x", false), "");
  EXPECT_EQ (write_whole_file (at ("dangling"), "x", true), "");
  EXPECT_FALSE (name_taken (at ("nowhere")));
}

TEST_F (FileSafety, AFolderThatCannotBeWrittenIsNamed)
{
  try {
    PendingFile file (at ("missing/out.json"));
    FAIL () << "made a file in a missing folder";
  } catch (const std::runtime_error &e) {
    EXPECT_NE (std::string (e.what ()).find (at ("missing")),
        std::string::npos) << e.what ();
  }
  EXPECT_NE (write_whole_file (at ("missing/out.json"), "x", true), "");
}

/* A run killed before it finished leaves its hidden files; the next run
 * removes those, and never one that a live run is writing. */
TEST (PendingFile, WhatAStoppedRunLeftIsRemovedAndNothingLive)
{
  const std::string dir = ::testing::TempDir () + "orphans";
  mkdir (dir.c_str (), 0755);
  const std::string target = dir + "/out.mp4";
  PendingFile live (target);
  /* As a killed process leaves it: no one holds a lock on it. */
  const std::string stopped = dir + "/.out.mp4.stillframe-AbC123";
  close (open (stopped.c_str (), O_CREAT | O_WRONLY, 0644));
  const std::string other = dir + "/.other.mp4.stillframe-AbC123";
  close (open (other.c_str (), O_CREAT | O_WRONLY, 0644));
  const std::string part = dir + "/.out-0002.mp4.stillframe-XyZ789";
  close (open (part.c_str (), O_CREAT | O_WRONLY, 0644));

  EXPECT_EQ (remove_orphans (target), std::vector<std::string> {stopped});
  EXPECT_TRUE (name_taken (live.path ()));
  EXPECT_TRUE (name_taken (other));
  EXPECT_TRUE (name_taken (part));
  EXPECT_EQ (remove_orphans (target, true), std::vector<std::string> {part});
  /* A file whose writer let go of its lock counts as left. */
  live.unlock ();
  EXPECT_EQ (remove_orphans (target).size (), 1u);
  EXPECT_FALSE (name_taken (live.path ()));
  unlink (other.c_str ());
  rmdir (dir.c_str ());
}
