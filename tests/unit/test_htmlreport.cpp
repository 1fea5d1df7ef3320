/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The visual report on plain data: a bounded score series, base64, and
 * pages that hold what the report says, escaped. */
#include "htmlreport.h"

#include "textcount.h"

#include <gtest/gtest.h>

using namespace stillframe::cli;

TEST (HtmlReport, ScoreSeriesStaysBoundedAndKeepsPeaks)
{
  ScoreSeries series (64);
  /* An hour at 25 fps, one frame of high score at 1800 s. */
  for (int i = 0; i < 90000; i++) {
    const double t = i / 25.0;
    series.add (t, t + 0.04, i == 45000 ? 0.5 : 0.001, i == 45000);
  }
  const std::vector<ScorePoint> &points = series.points ();
  EXPECT_LE (points.size (), 64u);
  EXPECT_GE (points.size (), 32u);
  EXPECT_DOUBLE_EQ (points.front ().start, 0);
  EXPECT_NEAR (points.back ().end, 3600, 1e-6);
  int peaks = 0;
  for (std::size_t i = 0; i < points.size (); i++) {
    if (i > 0) {
      EXPECT_NEAR (points[i].start, points[i - 1].end, 0.05);
    }
    if (points[i].motion) {
      peaks++;
      EXPECT_DOUBLE_EQ (points[i].score, 0.5);
      EXPECT_LE (points[i].start, 1800);
      EXPECT_GE (points[i].end, 1800.04 - 1e-9);
    }
  }
  EXPECT_EQ (peaks, 1);
}

TEST (HtmlReport, Base64)
{
  EXPECT_EQ (base64 (""), "");
  EXPECT_EQ (base64 ("f"), "Zg==");
  EXPECT_EQ (base64 ("fo"), "Zm8=");
  EXPECT_EQ (base64 ("foo"), "Zm9v");
  EXPECT_EQ (base64 (std::string ("\xff\x00\x10", 3)), "/wAQ");
}

TEST (HtmlReport, PageHasThePlotAPicturePerEventAndTheTable)
{
  HtmlPage page;
  page.report.input = "cam <1> & \"2\".mp4";
  page.report.duration_in = 60;
  page.report.duration_out = 10;
  page.report.kept = {{4, 9}, {30, 35}};
  Event a, b;
  a.start = 5;
  a.end = 8;
  a.peak = 0.02;
  a.x0 = 10;
  a.y0 = 20;
  a.x1 = 110;
  a.y1 = 220;
  b.start = 31;
  b.end = 34;
  b.peak = 0.01;
  page.report.events = {a, b};
  page.report.notes = {"a <note>"};
  page.threshold = 0.0005;
  page.scores = {{0, 5, 0.0001, false}, {5, 8, 0.02, true}, {8, 60, 0, false}};
  page.thumbnails = {{"JPEGDATA", 1920, 1080, 10, 20, 100, 200}, {}};
  const std::string html = html_page (page);
  EXPECT_EQ (html.rfind ("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE (html.find ("<h1>cam &lt;1&gt; &amp; &quot;2&quot;.mp4</h1>"),
      std::string::npos);
  EXPECT_NE (html.find ("a &lt;note&gt;"), std::string::npos);
  EXPECT_EQ (occurrences (html, "class=\"kept\""), 2u);
  EXPECT_EQ (occurrences (html, "class=\"sped\""), 0u);
  EXPECT_EQ (html.find ("kept faster"), std::string::npos);
  HtmlPage sped = page;
  sped.report.sped = {{0, 4}, {9, 30}};
  const std::string fast = html_page (sped);
  EXPECT_EQ (occurrences (fast, "class=\"sped\""), 2u);
  EXPECT_NE (fast.find ("light blue: kept faster"), std::string::npos);
  EXPECT_EQ (html.find ("Interrupted"), std::string::npos);
  HtmlPage stopped = page;
  stopped.report.interrupted = true;
  EXPECT_NE (html_page (stopped).find ("Interrupted: this is what was read"),
      std::string::npos);
  EXPECT_EQ (occurrences (html, "class=\"event\""), 2u);
  EXPECT_EQ (occurrences (html, "class=\"score\""), 1u);
  EXPECT_EQ (occurrences (html, "class=\"threshold\""), 1u);
  /* One picture (the second event had none), its box over it. */
  EXPECT_EQ (occurrences (html, "<image class=\"thumbnail\""), 1u);
  EXPECT_NE (html.find ("href=\"data:image/jpeg;base64," + base64 ("JPEGDATA")
          + "\""), std::string::npos);
  EXPECT_NE (html.find ("viewBox=\"0 0 1920 1080\""), std::string::npos);
  EXPECT_NE (html.find ("<rect class=\"box\" x=\"10\" y=\"20\" width=\"100\" "
          "height=\"200\""), std::string::npos);
  EXPECT_EQ (occurrences (html, "<figure id=\"event-"), 2u);
  EXPECT_EQ (occurrences (html, "<tr><td><a href=\"#event-"), 2u);
  EXPECT_NE (html.find ("Would keep 0:00:10.000 of 0:01:00.000 in 2 spans; 2 "
          "events."), std::string::npos);
}

TEST (HtmlReport, IndexLinksEachPage)
{
  std::vector<HtmlIndexEntry> entries (2);
  entries[0].input = "a b.mp4";
  entries[0].page = "a b.html";
  entries[0].events = 3;
  entries[1].input = "broken.mp4";
  entries[1].error = "not a video";
  const std::string html = html_index (entries);
  EXPECT_NE (html.find ("<a href=\"a%20b.html\">a b.mp4</a>"),
      std::string::npos);
  EXPECT_NE (html.find ("<td>3</td>"), std::string::npos);
  EXPECT_NE (html.find ("broken.mp4</td><td colspan=\"3\" class=\"note\">not "
          "a video"), std::string::npos);
}
