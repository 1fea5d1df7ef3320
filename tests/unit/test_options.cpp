/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The command line, parsed and checked against the elements' own
 * properties (the plugin comes from the build tree's private registry). */
#include "options.h"

#include <gst/gst.h>
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

using namespace stillframe::cli;

namespace {

int
parse (std::initializer_list<const char *> args, Options &o)
{
  gst_init (NULL, NULL);
  std::vector<char *> argv {(char *) "stillframe"};
  for (const char *a : args)
    argv.push_back ((char *) a);
  return parse_options ((int) argv.size (), argv.data (), o);
}

}  // namespace

TEST (Options, TrimWithEverySpelling)
{
  Options o;
  ASSERT_EQ (parse ({"trim", "a.mp4", "--output=b.mkv", "--min-static", "5",
              "--pre-roll=0.5", "-j", "2", "-y", "--threshold", "0.1", "--",
              "-odd.mp4"}, o), EXIT_DONE);
  EXPECT_TRUE (o.trim);
  EXPECT_EQ (o.inputs, (std::vector<std::string> {"a.mp4", "-odd.mp4"}));
  EXPECT_EQ (o.output, "b.mkv");
  EXPECT_EQ (o.jobs, 2);
  EXPECT_TRUE (o.force);
  /* Seconds become the elements' nanoseconds. */
  ASSERT_EQ (o.cut_props.size (), 2u);
  EXPECT_EQ (o.cut_props[0].first, "min-static-duration");
  EXPECT_EQ (o.cut_props[0].second, "5000000000");
  EXPECT_EQ (o.cut_props[1].second, "500000000");
  ASSERT_EQ (o.detect_props.size (), 1u);
  EXPECT_EQ (o.detect_props[0].first, "threshold");
}

TEST (Options, KeepClutterTurnsTheFilterOff)
{
  Options o;
  ASSERT_EQ (parse ({"scan", "a.mp4", "--keep-clutter"}, o), EXIT_DONE);
  ASSERT_EQ (o.detect_props.size (), 1u);
  EXPECT_EQ (o.detect_props[0].first, "ignore-clutter");
  EXPECT_EQ (o.detect_props[0].second, "false");
}

TEST (Options, HelpAndVersionStopTheRun)
{
  Options o;
  EXPECT_EQ (parse ({"--version"}, o), -1);
  EXPECT_EQ (parse ({"scan", "--help"}, o), -1);
}

TEST (Options, BadUsageIsRefused)
{
  for (auto args : std::vector<std::vector<const char *>> {
          {"trim", "a.mp4"},                            /* no -o */
          {"scan"},                                     /* no input */
          {"scan", "a.mp4", "--split"},                 /* scan writes none */
          {"trim", "a.mp4", "-o", "b.mp4", "--split", "--copy"},
          {"trim", "a.mp4", "-o", "b.mp4", "--copy", "--quality", "20"},
          {"scan", "a.mp4", "--report", "-", "--csv", "-"},
          {"trim", "a.mp4", "-o", "-"},
          {"scan", "a.mp4", "--min-static", "-1"},      /* out of range */
          {"scan", "a.mp4", "--threshold", "lots"},
          {"scan", "a.mp4", "--regions", "0:0:0:0"},    /* the detector's */
          {"scan", "a.mp4", "--quiet=yes"},             /* takes no value */
          {"scan", "a.mp4", "--keep-clutter=no"},
          {"scan", "a.mp4", "-j", "2", "-j", "3"},       /* twice */
          {"trim", "a.mp4", "-o", "b.mp4", "--preset", "warp"},
          {"frobnicate", "a.mp4"},
        }) {
    Options o;
    std::vector<char *> argv {(char *) "stillframe"};
    for (const char *a : args)
      argv.push_back ((char *) a);
    gst_init (NULL, NULL);
    EXPECT_EQ (parse_options ((int) argv.size (), argv.data (), o),
        EXIT_BAD_INPUT) << args[0] << " " << (args.size () > 2 ? args[2] :
        "");
  }
}
