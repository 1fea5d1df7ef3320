/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Timelines on plain data: kept spans become whole-frame clips of their
 * source, events become markers on the clip that holds them, and each
 * format says so in its own terms. */
#include "timeline.h"

#include "textcount.h"

#include <gtest/gtest.h>

using namespace stillframe::cli;

namespace {

TimelineSource
source (const std::string &name, int rate_num, int rate_den,
    std::vector<Range> kept, std::vector<Event> events = {},
    bool audio = true)
{
  TimelineSource s;
  s.uri = "file:///videos/" + name;
  s.name = name;
  s.rate_num = rate_num;
  s.rate_den = rate_den;
  s.width = 1920;
  s.height = 1080;
  s.has_audio = audio;
  s.duration = 60;
  s.kept = std::move (kept);
  s.events = std::move (events);
  return s;
}

Event
event (double start, double end, double peak)
{
  Event e;
  e.start = start;
  e.end = end;
  e.peak = peak;
  e.x0 = 10;
  e.y0 = 20;
  e.x1 = 110;
  e.y1 = 220;
  return e;
}


}  // namespace

TEST (Timeline, FormatsByExtension)
{
  EXPECT_EQ (timeline_format ("a/cut.otio"), TimelineFormat::Otio);
  EXPECT_EQ (timeline_format ("CUT.EDL"), TimelineFormat::Edl);
  EXPECT_EQ (timeline_format ("x.fcpxml"), TimelineFormat::Fcpxml);
  EXPECT_EQ (timeline_format ("x.xges"), TimelineFormat::Xges);
  EXPECT_FALSE (timeline_format ("x.xml"));
  EXPECT_FALSE (timeline_format ("otio"));
}

TEST (Timeline, KeptSpansAreWholeFramesPlacedEndToEnd)
{
  /* 29.97 fps: 2.002 s is frame 60 exactly, 5.005 s frame 150. */
  const std::vector<TimelineSource> sources = {
    source ("a.mp4", 30000, 1001, {{2.002, 5.005}, {10.01, 10.0101}},
        {event (3.0, 4.0, 0.02)}),
    source ("b.mp4", 25, 1, {{0, 1.2}, {4, 6}},
        {event (0.5, 0.9, 0.01), event (4.4, 5, 0.03)}),
  };
  const std::vector<TimelineClip> clips = timeline_clips (sources);
  ASSERT_EQ (clips.size (), 3u);        /* a's second span is no frame */
  EXPECT_EQ (clips[0].first, 60);
  EXPECT_EQ (clips[0].frames, 90);
  EXPECT_EQ (clips[0].at_ns, 0);
  EXPECT_EQ (clips[0].events, std::vector<std::size_t> {0});
  EXPECT_EQ (clips[1].source, 1u);
  EXPECT_EQ (clips[1].first, 0);
  EXPECT_EQ (clips[1].frames, 30);
  EXPECT_EQ (clips[1].at_ns, 3003000000);       /* 90 frames of 29.97 */
  EXPECT_EQ (clips[2].first, 100);
  EXPECT_EQ (clips[2].frames, 50);
  EXPECT_EQ (clips[2].at_ns, 3003000000 + 1200000000);
  EXPECT_EQ (clips[2].events, std::vector<std::size_t> {1});
  EXPECT_EQ (frames_to_ns (3, sources[0]), 100100000);
}

TEST (Timeline, OtioHasAClipPerSpanOnBothTracksAndMarkers)
{
  const std::vector<TimelineSource> sources = {
    source ("a \"quoted\".mp4", 25, 1, {{1, 3}, {7, 9}},
        {event (1.5, 2, 0.0125)}),
    source ("silent.mp4", 25, 1, {{0, 2}}, {}, false),
  };
  const std::string otio = otio_text ("cut", sources);
  EXPECT_EQ (occurrences (otio, "\"Track.1\""), 2u);
  EXPECT_EQ (occurrences (otio, "\"kind\": \"Video\""), 1u);
  EXPECT_EQ (occurrences (otio, "\"kind\": \"Audio\""), 1u);
  /* Three video clips, two audio ones (silent.mp4 has none). */
  EXPECT_EQ (occurrences (otio, "\"Clip.1\""), 5u);
  EXPECT_EQ (occurrences (otio, "\"Marker.1\""), 1u);
  EXPECT_NE (otio.find ("\"name\": \"a \\\"quoted\\\".mp4\""),
      std::string::npos);
  EXPECT_NE (otio.find ("\"start_time\": {\"OTIO_SCHEMA\": \"RationalTime.1\","
          " \"rate\": 25.0, \"value\": 175.0}"), std::string::npos);
  EXPECT_NE (otio.find ("event 1, peak score 0.012500"), std::string::npos);
  EXPECT_NE (otio.find ("\"target_url\": \"file:///videos/silent.mp4\""),
      std::string::npos);
}

TEST (Timeline, EdlEventsHaveSourceAndRecordTimecodes)
{
  const std::vector<TimelineSource> sources = {
    source ("a.mp4", 25, 1, {{1, 3}, {3661, 3662.52}}, {event (1.5, 2,
                0.02)}),
    source ("b.mp4", 25, 1, {{0, 2}}, {}, false),
  };
  const std::string edl = edl_text ("cut", sources);
  EXPECT_EQ (edl.rfind ("TITLE: cut\nFCM: NON-DROP FRAME\n\n001  ", 0), 0u)
      << edl;
  EXPECT_NE (edl.find ("001  AX       AA/V  C        00:00:01:00 00:00:03:00 "
          "00:00:00:00 00:00:02:00\n* FROM CLIP NAME: a.mp4\n"),
      std::string::npos) << edl;
  EXPECT_NE (edl.find ("002  AX       AA/V  C        01:01:01:00 01:01:02:13 "
          "00:00:02:00 00:00:03:13\n"), std::string::npos) << edl;
  EXPECT_NE (edl.find ("003  AX       V     C        00:00:00:00 00:00:02:00 "
          "00:00:03:13 00:00:05:13\n* FROM CLIP NAME: b.mp4\n"),
      std::string::npos) << edl;
  EXPECT_NE (edl.find ("* event 1, peak score 0.020000 at 00:00:01:13"),
      std::string::npos);
}

TEST (Timeline, EdlRefusesWhatCmx3600CannotHold)
{
  std::vector<Range> kept;
  for (int i = 0; i < 1000; i++)
    kept.push_back ({i * 2.0, i * 2.0 + 1});
  EXPECT_THROW (edl_text ("cut", {source ("a.mp4", 25, 1, kept)}),
      std::runtime_error);
  kept.pop_back ();
  EXPECT_NO_THROW (edl_text ("cut", {source ("a.mp4", 25, 1, kept)}));
}

TEST (Timeline, FcpxmlUsesRationalFrameTimes)
{
  const std::vector<TimelineSource> sources = {
    source ("a&b.mp4", 30000, 1001, {{2.002, 5.005}}, {event (3.003, 4,
                0.02)}),
    source ("c.mp4", 30000, 1001, {{0, 1.001}}, {}, false),
  };
  const std::string xml = fcpxml_text ("cut <1>", sources);
  EXPECT_EQ (occurrences (xml, "<format "), 1u);      /* one size, one rate */
  EXPECT_EQ (occurrences (xml, "<asset "), 2u);
  EXPECT_NE (xml.find ("frameDuration=\"1001/30000s\""), std::string::npos);
  EXPECT_NE (xml.find ("name=\"a&amp;b.mp4\" offset=\"0s\" "
          "start=\"60060/30000s\" duration=\"90090/30000s\""),
      std::string::npos) << xml;
  EXPECT_NE (xml.find ("name=\"c.mp4\" offset=\"90090/30000s\" start=\"0s\" "
          "duration=\"30030/30000s\""), std::string::npos) << xml;
  EXPECT_NE (xml.find ("<marker start=\"90090/30000s\""), std::string::npos);
  EXPECT_NE (xml.find ("<project name=\"cut &lt;1&gt;\">"), std::string::npos);
  EXPECT_NE (xml.find ("duration=\"120120/30000s\" tcStart"),
      std::string::npos);
  EXPECT_EQ (occurrences (xml, "hasAudio=\"1\""), 1u);
}
