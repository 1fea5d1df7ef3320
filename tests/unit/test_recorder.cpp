/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The recorder's decisions on plain sequences: a camera's packets and the
 * analysed frames, as record.cpp feeds them. */
#include "recorder.h"

#include <gtest/gtest.h>

#include <functional>
#include <vector>

using namespace stillframe;
using namespace stillframe::cli;

namespace {

constexpr Time kMs = kSecond / 1000;

/* The packets of each file, by the number each was made with. */
struct FakeSink : RecorderSink {
  struct File {
    Time start;
    std::vector<int> video, audio;
    std::vector<Time> video_times, audio_times;
    bool closed = false;
  };
  std::vector<File> files;
  std::vector<EventSummary> events;
  bool open = false;
  /* Called as each file opens and closes. */
  std::function<void ()> on_open, on_close;

  void open_file (Time start) override
  {
    EXPECT_FALSE (open);
    files.push_back (File {start, {}, {}, {}, {}});
    open = true;
    if (on_open)
      on_open ();
  }
  void write (const RingPacket &packet) override
  {
    ASSERT_TRUE (open);
    File &f = files.back ();
    if (f.video.empty () && f.audio.empty ()) {
      EXPECT_TRUE (packet.video && packet.keyframe) << "a file starts with "
          "its keyframe";
    }
    const int id = *static_cast<int *> (packet.payload.get ());
    (packet.video ? f.video : f.audio).push_back (id);
    (packet.video ? f.video_times : f.audio_times).push_back (packet.pts);
  }
  void close_file () override
  {
    EXPECT_TRUE (open);
    files.back ().closed = true;
    open = false;
    if (on_close)
      on_close ();
  }
  void event_ended (const EventSummary &event) override
  {
    events.push_back (event);
  }
};

/* A camera at `fps` with a keyframe every `gop` frames; `moving` says which
 * frames move. Each frame's packet arrives `lag` frames before the frame is
 * analysed (the decoder's delay). */
struct Camera {
  int fps = 10, gop = 10, lag = 2;
  bool audio = false;
  std::function<bool (Time)> moving;
  /* Bytes of frame i's packet; keyframes 5000, others 500 unless set. */
  std::function<std::size_t (int)> size;
  RecorderSettings settings;

  Time frame_time (int i) const { return (Time) i * kSecond / fps; }

  void run (Recorder &recorder, int frames, bool finish = true) const
  {
    auto analyse = [&] (int i) {
      AnalysedFrame f;
      f.start = frame_time (i);
      f.duration = kSecond / fps;
      f.motion = moving (f.start);
      f.score = f.motion ? 0.01 * (i % 7 + 1) : 0;
      if (f.motion)
        f.box = Box {i, 10, 20, 30};
      recorder.add_frame (f);
    };
    for (int i = 0; i < frames; i++) {
      RingPacket p;
      p.pts = p.dts = frame_time (i);
      p.duration = kSecond / fps;
      p.keyframe = i % gop == 0;
      p.bytes = size ? size (i) : p.keyframe ? 5000 : 500;
      p.payload = std::make_shared<int> (i);
      recorder.add_packet (p);
      if (audio) {
        /* Audio arrives a little ahead of the video of its time. */
        RingPacket a;
        a.video = false;
        a.pts = a.dts = frame_time (i) + 30 * kMs;
        a.duration = kSecond / fps;
        a.bytes = 100;
        a.payload = std::make_shared<int> (i);
        recorder.add_packet (a);
      }
      if (i >= lag)
        analyse (i - lag);
    }
    for (int i = std::max (0, frames - lag); i < frames; i++)
      analyse (i);
    if (finish)
      recorder.finish (false);
  }
};

std::function<bool (Time)>
moving_during (std::vector<std::pair<double, double>> spans)
{
  return [spans] (Time t) {
    for (auto [from, to] : spans)
      if (t >= (Time) (from * kSecond) && t < (Time) (to * kSecond))
        return true;
    return false;
  };
}

std::vector<int>
range (int from, int to)
{
  std::vector<int> r;
  for (int i = from; i < to; i++)
    r.push_back (i);
  return r;
}

/* Frame i's video packet at `pts`, 100 bytes. */
RingPacket
video_packet (int i, Time pts, bool keyframe)
{
  RingPacket v;
  v.pts = pts;
  v.keyframe = keyframe;
  v.bytes = 100;
  v.payload = std::make_shared<int> (i);
  return v;
}

/* Audio packet i at `pts`, 100 bytes. */
RingPacket
audio_packet (int i, Time pts)
{
  RingPacket a = video_packet (i, pts, true);
  a.video = false;
  return a;
}

/* Frames 0 to `frames` in a B-frame stream's decoding order, I0 P3 B1 B2
 * P6 B4 B5 ..., a keyframe every 30. */
std::vector<int>
b_frame_order (int frames)
{
  std::vector<int> order;
  for (int p = 0; p < frames; p += 3) {
    order.push_back (p);
    if (p > 0) {
      order.push_back (p - 2);
      order.push_back (p - 1);
    }
  }
  return order;
}

/* The k-th packet of that order at 10 fps, decoded at k / 10 s. */
RingPacket
b_frame_packet (const std::vector<int> &order, std::size_t k)
{
  RingPacket v = video_packet (order[k], (Time) order[k] * kSecond / 10,
      order[k] % 30 == 0);
  v.dts = (Time) k * kSecond / 10;
  return v;
}

/* The settings of most tests: min-static 2 s, rolls of 1 s. */
RecorderSettings
short_rolls ()
{
  RecorderSettings settings;
  settings.cut = CutSettings {2 * kSecond, 1 * kSecond, 1 * kSecond};
  return settings;
}

}  // namespace

TEST (Recorder, FileHoldsTheEventAndItsRollsFromTheKeyframeBefore)
{
  Camera cam;
  cam.moving = moving_during ({{5.5, 6.5}});
  cam.settings.cut = CutSettings {2 * kSecond, 1 * kSecond, 1 * kSecond};
  FakeSink sink;
  Recorder recorder (cam.settings, sink);
  cam.run (recorder, 150);
  ASSERT_EQ (sink.files.size (), 1u);
  /* Pre-roll from 4.5 s reaches back to the keyframe at 4.0 s; the
   * post-roll ends at 7.5 s. */
  EXPECT_EQ (sink.files[0].start, 4 * kSecond);
  EXPECT_EQ (sink.files[0].video, range (40, 75));
  EXPECT_TRUE (sink.files[0].closed);
  ASSERT_EQ (sink.events.size (), 1u);
  const EventSummary &e = sink.events[0];
  EXPECT_EQ (e.start, 5500 * kMs);
  EXPECT_EQ (e.end, 6500 * kMs);
  EXPECT_EQ (e.recorded_start, 4 * kSecond);
  EXPECT_EQ (e.recorded_end, 7500 * kMs);
  EXPECT_EQ (e.files, 1u);
  EXPECT_FALSE (e.cut_short);
  EXPECT_DOUBLE_EQ (e.peak_score, 0.07);
  EXPECT_EQ (e.box.x, 55);
  EXPECT_EQ (e.box.width, 64 - 55 + 20);
}

TEST (Recorder, EventsCloserThanMinStaticShareAFile)
{
  Camera cam;
  cam.moving = moving_during ({{3, 4}, {5.5, 6}, {12, 13}});
  cam.settings.cut = CutSettings {3 * kSecond, 1 * kSecond, 1 * kSecond};
  FakeSink sink;
  Recorder recorder (cam.settings, sink);
  cam.run (recorder, 200);
  ASSERT_EQ (sink.files.size (), 2u);
  EXPECT_EQ (sink.files[0].video, range (20, 70));
  EXPECT_EQ (sink.files[1].video, range (110, 140));
  ASSERT_EQ (sink.events.size (), 2u);
  EXPECT_EQ (sink.events[0].start, 3 * kSecond);
  EXPECT_EQ (sink.events[0].end, 6 * kSecond);
}

TEST (Recorder, NextEventMayStartInsideTheLastOnesGop)
{
  /* GOP 4 s: the second event's pre-roll reaches back into packets the
   * first file already has, which the ring must still hold. */
  Camera cam;
  cam.gop = 40;
  cam.moving = moving_during ({{1, 2}, {9.5, 10}});
  cam.settings.cut = CutSettings {2 * kSecond, 1 * kSecond, 1 * kSecond};
  FakeSink sink;
  Recorder recorder (cam.settings, sink);
  cam.run (recorder, 150);
  ASSERT_EQ (sink.files.size (), 2u);
  EXPECT_EQ (sink.files[0].video, range (0, 30));
  EXPECT_EQ (sink.files[1].start, 8 * kSecond);
  EXPECT_EQ (sink.files[1].video, range (80, 110));
}

TEST (Recorder, LongEventGoesOnInNewFilesAtKeyframes)
{
  Camera cam;
  cam.moving = moving_during ({{2, 20}});
  cam.settings.cut = CutSettings {2 * kSecond, 1 * kSecond, 1 * kSecond};
  cam.settings.segment_max = 5 * kSecond;
  FakeSink sink;
  Recorder recorder (cam.settings, sink);
  cam.run (recorder, 300);
  /* 1 s to 21 s in files of 5 s, each from a keyframe. */
  ASSERT_EQ (sink.files.size (), 4u);
  std::vector<int> all;
  for (const auto &f : sink.files) {
    EXPECT_TRUE (f.closed);
    ASSERT_FALSE (f.video.empty ());
    EXPECT_EQ (f.video.front () % cam.gop, 0);
    EXPECT_EQ (f.start, cam.frame_time (f.video.front ()));
    EXPECT_LE (f.video.size (), 50u);
    all.insert (all.end (), f.video.begin (), f.video.end ());
  }
  EXPECT_EQ (all, range (10, 210));
  ASSERT_EQ (sink.events.size (), 1u);
  EXPECT_EQ (sink.events[0].files, 4u);
}

TEST (Recorder, AudioOfTheRecordedSpanGoesWithIt)
{
  Camera cam;
  cam.audio = true;
  cam.moving = moving_during ({{5, 6}});
  cam.settings.cut = CutSettings {2 * kSecond, 1 * kSecond, 1 * kSecond};
  FakeSink sink;
  Recorder recorder (cam.settings, sink);
  cam.run (recorder, 120);
  ASSERT_EQ (sink.files.size (), 1u);
  const auto &f = sink.files[0];
  EXPECT_EQ (f.video, range (40, 70));
  /* Audio from the file's start to the end of its last frame. */
  EXPECT_EQ (f.audio, range (40, 70));
  for (Time t : f.audio_times) {
    EXPECT_GE (t, f.start);
    EXPECT_LT (t, 7 * kSecond);
  }
}

TEST (Recorder, SplitFilesShareNoAudio)
{
  Camera cam;
  cam.audio = true;
  cam.moving = moving_during ({{2, 12}});
  cam.settings.cut = CutSettings {2 * kSecond, 1 * kSecond, 1 * kSecond};
  cam.settings.segment_max = 4 * kSecond;
  FakeSink sink;
  Recorder recorder (cam.settings, sink);
  cam.run (recorder, 200);
  ASSERT_GE (sink.files.size (), 3u);
  std::vector<int> audio;
  for (const auto &f : sink.files)
    audio.insert (audio.end (), f.audio.begin (), f.audio.end ());
  EXPECT_EQ (audio, range (10, 130));
}

TEST (Recorder, FirstKeyframeOpensAnEventThatStartedBeforeIt)
{
  /* Motion from the first frame, and no keyframe until 2 s (a camera
   * joined mid-GOP: the packets before cannot be decoded). */
  Camera cam;
  cam.moving = moving_during ({{0, 3}});
  cam.settings.cut = CutSettings {2 * kSecond, 1 * kSecond, 1 * kSecond};
  FakeSink sink;
  Recorder recorder (cam.settings, sink);
  int i = 0;
  Camera late = cam;
  late.gop = 1000;
  /* Packets without a keyframe for 2 s, then the regular stream. */
  for (; i < 20; i++) {
    RingPacket p;
    p.pts = cam.frame_time (i);
    p.bytes = 500;
    p.payload = std::make_shared<int> (i);
    recorder.add_packet (p);
    recorder.add_frame (AnalysedFrame {p.pts, kSecond / 10, true, 0.1, {}});
  }
  for (; i < 100; i++) {
    RingPacket p;
    p.pts = cam.frame_time (i);
    p.keyframe = i % 10 == 0;
    p.bytes = 500;
    p.payload = std::make_shared<int> (i);
    recorder.add_packet (p);
    recorder.add_frame (AnalysedFrame {p.pts, kSecond / 10,
            cam.moving (p.pts), 0.1, {}});
  }
  recorder.finish (false);
  ASSERT_EQ (sink.files.size (), 1u);
  EXPECT_EQ (sink.files[0].start, 2 * kSecond);
  EXPECT_EQ (sink.files[0].video, range (20, 40));
  ASSERT_EQ (sink.events.size (), 1u);
  EXPECT_EQ (sink.events[0].start, 0u);
}

TEST (Recorder, FinishClosesAnEventThatWasStillGoing)
{
  Camera cam;
  cam.moving = moving_during ({{5, 100}});
  cam.settings.cut = CutSettings {2 * kSecond, 1 * kSecond, 1 * kSecond};
  FakeSink sink;
  Recorder recorder (cam.settings, sink);
  cam.run (recorder, 80, false);
  EXPECT_TRUE (recorder.recording ());
  recorder.finish (true);
  ASSERT_EQ (sink.files.size (), 1u);
  EXPECT_TRUE (sink.files[0].closed);
  EXPECT_EQ (sink.files[0].video, range (40, 80));
  ASSERT_EQ (sink.events.size (), 1u);
  EXPECT_TRUE (sink.events[0].cut_short);
  EXPECT_FALSE (recorder.recording ());
}

TEST (Recorder, EventThatHadEndedIsNotCutShort)
{
  Camera cam;
  cam.moving = moving_during ({{5, 6}});
  cam.settings.cut = CutSettings {3 * kSecond, 1 * kSecond, 1 * kSecond};
  FakeSink sink;
  Recorder recorder (cam.settings, sink);
  /* Ends 2 s after the motion: the post-roll is done, min-static not. */
  cam.run (recorder, 80, false);
  recorder.finish (true);
  ASSERT_EQ (sink.events.size (), 1u);
  EXPECT_FALSE (sink.events[0].cut_short);
  EXPECT_EQ (sink.files[0].video, range (40, 70));
}

TEST (Recorder, RingStaysBoundedOverHoursOfStillness)
{
  Camera cam;
  cam.fps = 30;
  cam.gop = 60;
  cam.moving = moving_during ({{600, 601}});
  cam.settings.cut = CutSettings {3 * kSecond, 2 * kSecond, 1 * kSecond};
  FakeSink sink;
  Recorder recorder (cam.settings, sink);
  cam.run (recorder, 30 * 60 * 20);
  const RingStats s = recorder.ring_stats ();
  /* What the decider holds back (3 s) plus a GOP (2 s), and the lag. */
  EXPECT_LE (s.peak_span, 6 * kSecond);
  EXPECT_EQ (s.gops_dropped_early, 0u);
  EXPECT_EQ (sink.files.size (), 1u);
  EXPECT_EQ (sink.files[0].start, 598 * kSecond);
}

TEST (Recorder, RingBoundsDropTheOldestGop)
{
  Camera cam;
  cam.gop = 10;
  cam.moving = moving_during ({});
  cam.settings.cut = CutSettings {3 * kSecond, 1 * kSecond, 1 * kSecond};
  cam.settings.ring_max_bytes = 12000;    /* about two GOPs */
  FakeSink sink;
  Recorder recorder (cam.settings, sink);
  cam.run (recorder, 100);
  const RingStats s = recorder.ring_stats ();
  EXPECT_LE (s.peak_bytes, 12000u);
  EXPECT_GT (s.gops_dropped_early, 0u);
  EXPECT_TRUE (sink.files.empty ());
}

TEST (Recorder, BoundReachedWhileRecordingGoesOnInANewFile)
{
  Camera cam;
  cam.moving = moving_during ({{3, 30}});
  /* The detector 1.2 s behind, and one huge keyframe (a scene change at
   * a high bitrate) past the bound: the GOP before it goes before the file
   * has all of it. */
  cam.lag = 12;
  cam.size = [] (int i) -> std::size_t {
    return i == 100 ? 40000 : i % 10 == 0 ? 5000 : 500;
  };
  cam.settings.cut = CutSettings {2 * kSecond, 1 * kSecond, 1 * kSecond};
  cam.settings.ring_max_bytes = 45000;
  FakeSink sink;
  Recorder recorder (cam.settings, sink);
  cam.run (recorder, 400);
  ASSERT_EQ (sink.files.size (), 2u);
  for (const auto &f : sink.files) {
    EXPECT_TRUE (f.closed);
    ASSERT_FALSE (f.video.empty ());
    EXPECT_EQ (f.video.front () % cam.gop, 0);
    /* Each file is whole: no packet missing in it. */
    EXPECT_EQ (f.video, range (f.video.front (), f.video.back () + 1));
  }
  EXPECT_GT (recorder.ring_stats ().gops_dropped_early, 0u);
}

TEST (RecorderRing, AudioBehindTheOldestVideoIsNoHugeSpan)
{
  /* Audio a little older than the keyframe at the ring's front, arriving
   * after it: the span must not wrap around. */
  FakeSink sink;
  Recorder recorder (short_rolls (), sink);
  for (int i = 0; i < 100; i++) {
    const RingPacket v = video_packet (i, (Time) i * kSecond / 10,
        i % 10 == 0);
    recorder.add_packet (v);
    RingPacket a = v;
    a.video = false;
    a.pts = v.pts > 50 * kMs ? v.pts - 50 * kMs : 0;
    recorder.add_packet (a);
    recorder.add_frame (AnalysedFrame {v.pts, kSecond / 10, i >= 40 && i < 50,
            0.1, {}});
  }
  recorder.finish (false);
  EXPECT_EQ (recorder.ring_stats ().gops_dropped_early, 0u);
  ASSERT_EQ (sink.files.size (), 1u);
  EXPECT_EQ (sink.files[0].video, range (30, 60));
}

TEST (RecorderRing, JitteredTimesTakeNoFrameMore)
{
  /* A camera's clock: each frame 100 ms +- 2 ms, durations a flat 100 ms,
   * so a frame may start before the last one's end. */
  FakeSink sink;
  Recorder recorder (short_rolls (), sink);
  for (int i = 0; i < 100; i++) {
    const RingPacket v = video_packet (i, (Time) i * kSecond / 10 +
        (i % 2 ? 2 * kMs : 0), i % 10 == 0);
    recorder.add_packet (v);
    recorder.add_frame (AnalysedFrame {v.pts, kSecond / 10, i >= 40 && i < 50,
            0.1, {}});
  }
  recorder.finish (false);
  ASSERT_EQ (sink.files.size (), 1u);
  EXPECT_EQ (sink.files[0].video, range (30, 60));
}

TEST (RecorderRing, BFramesOfTheLastKeptFramesComeWithTheirReferences)
{
  /* Decoding order I0 P3 B1 B2 P6 B4 B5 ...: a file ending at frame 5
   * needs P6, decoded before B4 and B5. */
  FakeSink sink;
  Recorder recorder (short_rolls (), sink);
  const std::vector<int> order = b_frame_order (100);
  for (std::size_t k = 0; k < order.size (); k++) {
    recorder.add_packet (b_frame_packet (order, k));
    /* Frames come out of the decoder in presentation order, later. */
    if (k >= 4 && (k - 4) < order.size ()) {
      const int frame = (int) k - 4;
      recorder.add_frame (AnalysedFrame {(Time) frame * kSecond / 10,
              kSecond / 10, frame >= 40 && frame < 50, 0.1, {}});
    }
  }
  recorder.finish (false);
  ASSERT_EQ (sink.files.size (), 1u);
  std::vector<int> written = sink.files[0].video;
  std::sort (written.begin (), written.end ());
  /* Frames 30 to 59 and the reference frame after them. */
  EXPECT_EQ (written, range (30, 61));
}

TEST (RecorderRing, PacketsBehindTheirFramesStillReachTheFile)
{
  /* Raw video encoded for the files: each frame is analysed 2.5 s before
   * its packet leaves the encoder (a file played faster than real time,
   * the encoder's queue full), later than its event is decided. */
  FakeSink sink;
  Recorder recorder (short_rolls (), sink);
  auto packet = [&] (int i) {
    const RingPacket v = video_packet (i, (Time) i * kSecond / 10,
        i % 10 == 0);
    recorder.add_packet (v);
  };
  for (int i = 0; i < 120; i++) {
    recorder.add_frame (AnalysedFrame {(Time) i * kSecond / 10, kSecond / 10,
            (i >= 40 && i < 50) || (i >= 90 && i < 95), 0.1, {}});
    if (i >= 25)
      packet (i - 25);
  }
  for (int i = 95; i < 120; i++)
    packet (i);
  recorder.finish (false);
  ASSERT_EQ (sink.files.size (), 2u);
  EXPECT_EQ (sink.files[0].video, range (30, 60));
  EXPECT_EQ (sink.files[1].video, range (80, 105));
  EXPECT_EQ (sink.events.size (), 2u);
}

TEST (RecorderRing, BFramesThatComeAfterTheirFramesAreDecidedStillReachTheFile)
{
  /* As above, with the packets 3 s behind the analysis: when the event is
   * decided, a reference frame shown after its end may have come while
   * the B-frames before the end are still to come. */
  FakeSink sink;
  Recorder recorder (short_rolls (), sink);
  const std::vector<int> order = b_frame_order (130);
  auto packet = [&] (std::size_t k) {
    recorder.add_packet (b_frame_packet (order, k));
  };
  std::size_t sent = 0;
  for (int frame = 0; frame < 120; frame++) {
    recorder.add_frame (AnalysedFrame {(Time) frame * kSecond / 10,
            kSecond / 10, frame >= 40 && frame < 50, 0.1, {}});
    for (; sent < order.size () && (int) sent < frame - 30; sent++)
      packet (sent);
  }
  for (; sent < order.size (); sent++)
    packet (sent);
  recorder.finish (false);
  ASSERT_EQ (sink.files.size (), 1u);
  std::vector<int> written = sink.files[0].video;
  std::sort (written.begin (), written.end ());
  EXPECT_EQ (written, range (30, 61));
}

TEST (RecorderRing, AudioLaterThanTheVideoStillReachesTheFile)
{
  /* Audio arriving 1.5 s after the video of its time (its own thread, a
   * busy machine), later than the event's end is decided: the file waits
   * for the audio of its end. */
  FakeSink sink;
  Recorder recorder (short_rolls (), sink);
  for (int i = 0; i < 100; i++) {
    recorder.add_packet (video_packet (i, (Time) i * kSecond / 10,
            i % 10 == 0));
    if (i >= 15)
      recorder.add_packet (audio_packet (i - 15, (Time) (i - 15) * kSecond /
              10));
    recorder.add_frame (AnalysedFrame {(Time) i * kSecond / 10, kSecond / 10,
            i >= 40 && i < 50, 0.1, {}});
  }
  recorder.finish (false);
  ASSERT_EQ (sink.files.size (), 1u);
  EXPECT_EQ (sink.files[0].audio, range (30, 60));
}

TEST (RecorderRing, StoppedAudioDoesNotKeepTheFileOpen)
{
  FakeSink sink;
  Recorder recorder (short_rolls (), sink);
  for (int i = 0; i < 120; i++) {
    recorder.add_packet (video_packet (i, (Time) i * kSecond / 10,
            i % 10 == 0));
    if (i < 45)
      recorder.add_packet (audio_packet (i, (Time) i * kSecond / 10));
    recorder.add_frame (AnalysedFrame {(Time) i * kSecond / 10, kSecond / 10,
            i >= 40 && i < 50, 0.1, {}});
  }
  /* Closed while the stream goes on, not at its end. */
  ASSERT_EQ (sink.files.size (), 1u);
  EXPECT_TRUE (sink.files[0].closed);
  EXPECT_EQ (sink.files[0].video, range (30, 60));
  EXPECT_EQ (sink.files[0].audio, range (30, 45));
}

TEST (RecorderRing, AudioThatCameBeforeTheKeyframeIsWrittenAfterIt)
{
  /* Audio arriving before the video of its time: the file still starts
   * with its keyframe, whose times the file's start from. */
  FakeSink sink;
  Recorder recorder (short_rolls (), sink);
  for (int i = 0; i < 100; i++) {
    recorder.add_packet (audio_packet (i, (Time) i * kSecond / 10));
    recorder.add_packet (video_packet (i, (Time) i * kSecond / 10,
            i % 10 == 0));
    recorder.add_frame (AnalysedFrame {(Time) i * kSecond / 10, kSecond / 10,
            i >= 40 && i < 50, 0.1, {}});
  }
  recorder.finish (false);
  ASSERT_EQ (sink.files.size (), 1u);
  EXPECT_EQ (sink.files[0].video, range (30, 60));
  EXPECT_EQ (sink.files[0].audio, range (30, 60));
}

/* 10 fps video with a keyframe every second, the frames in the spans
 * [from, to) moving; `audio_from(i)`, when set, is the audio packet (its
 * number) that arrives with video frame i, or -1 for none;
 * `each_frame(i)` runs after frame i. Stops after `frames` frames, without
 * finishing. */
void
play (Recorder &recorder, int frames,
    const std::vector<std::pair<int, int>> &moving,
    const std::function<int (int)> &audio_from = nullptr,
    const std::function<void (int)> &each_frame = nullptr)
{
  for (int i = 0; i < frames; i++) {
    const Time t = (Time) i * kSecond / 10;
    recorder.add_packet (video_packet (i, t, i % 10 == 0));
    const int a = audio_from ? audio_from (i) : -1;
    if (a >= 0)
      recorder.add_packet (audio_packet (a, (Time) a * kSecond / 10));
    bool motion = false;
    for (auto [from, to] : moving)
      motion = motion || (i >= from && i < to);
    recorder.add_frame (AnalysedFrame {t, kSecond / 10, motion, 0.1, {}});
    if (each_frame)
      each_frame (i);
  }
}

TEST (RecorderAudio, FileWaitsForTheFirstPacketOfItsAudio)
{
  /* The file's audio track is made from the audio's first packet. Here
   * the audio comes 1.5 s behind the video (its own thread, a busy
   * machine), after the event at 0.5 s has opened its file. */
  FakeSink sink;
  int audio_came = 0, audio_came_at_open = -1;
  sink.on_open = [&] { audio_came_at_open = audio_came; };
  Recorder recorder (short_rolls (), sink);
  recorder.expect_audio ();
  play (recorder, 100, {{5, 10}}, [&] (int i) {
        if (i < 15)
          return -1;
        audio_came++;
        return i - 15;
      });
  recorder.finish (false);
  ASSERT_EQ (sink.files.size (), 1u);
  EXPECT_GT (audio_came_at_open, 0);
  EXPECT_EQ (sink.files[0].video, range (0, 20));
  EXPECT_EQ (sink.files[0].audio, range (0, 20));
}

TEST (RecorderAudio, AudioThatEndedHoldsNoFileBack)
{
  /* An audio stream that ended before any packet: its files open and
   * close when they would with no audio at all. */
  auto open_and_close = [] (bool audio_ended) {
    FakeSink sink;
    int frame = 0, opened = -1, closed = -1;
    sink.on_open = [&] { opened = frame; };
    sink.on_close = [&] { closed = frame; };
    Recorder recorder (short_rolls (), sink);
    if (audio_ended) {
      recorder.expect_audio ();
      recorder.end_audio ();
    }
    play (recorder, 120, {{40, 50}}, nullptr, [&] (int i) { frame = i + 1; });
    EXPECT_EQ (sink.files.size (), 1u);
    if (!sink.files.empty ()) {
      EXPECT_EQ (sink.files[0].video, range (30, 60));
    }
    return std::make_pair (opened, closed);
  };
  const auto without_audio = open_and_close (false);
  EXPECT_GE (without_audio.second, 0);
  EXPECT_EQ (open_and_close (true), without_audio);
}

TEST (RecorderAudio, AudioThatNeverComesIsWaitedForNoLongerThanItsLag)
{
  /* A camera that says it has audio and sends none: the video is recorded
   * all the same, the file opened kAudioLagMax late and closed while the
   * stream goes on. */
  FakeSink sink;
  Recorder recorder (short_rolls (), sink);
  recorder.expect_audio ();
  play (recorder, 120, {{40, 50}});
  ASSERT_EQ (sink.files.size (), 1u);
  EXPECT_TRUE (sink.files[0].closed);
  EXPECT_EQ (sink.files[0].video, range (30, 60));
  EXPECT_TRUE (sink.files[0].audio.empty ());
}

TEST (RecorderAudio, FinishWritesAFileThatWaitedForItsAudio)
{
  /* The stream ends while the event's file still waits for the audio's
   * first packet: nothing more comes, and the file is written. */
  FakeSink sink;
  Recorder recorder (short_rolls (), sink);
  recorder.expect_audio ();
  play (recorder, 46, {{40, 50}});
  EXPECT_TRUE (sink.files.empty ());
  recorder.finish (true);
  ASSERT_EQ (sink.files.size (), 1u);
  EXPECT_TRUE (sink.files[0].closed);
  EXPECT_EQ (sink.files[0].video, range (30, 46));
}

TEST (RecorderAudio, FileStillWaitingForItsAudioEndsAtItsOwnEnd)
{
  /* No rolls, min-static 0.5 s: the next event starts 0.6 s after the
   * first ended, while the first's file still waits for its audio (1.5 s
   * behind). The first file ends with its own last frame. */
  RecorderSettings settings;
  settings.cut = CutSettings {500 * kMs, 0, 0};
  FakeSink sink;
  Recorder recorder (settings, sink);
  recorder.expect_audio ();
  play (recorder, 100, {{40, 50}, {56, 65}}, [] (int i) { return i - 15; });
  recorder.finish (false);
  ASSERT_EQ (sink.files.size (), 2u);
  EXPECT_EQ (sink.files[0].video, range (40, 50));
  EXPECT_EQ (sink.files[1].video, range (50, 65));
}

TEST (Recorder, MotionShorterThanMinMotionMakesNoEvent)
{
  /* --min-event 0.5 s: the 0.2 s flutter is no event and opens no file;
   * the walk is recorded from its first frame, with its pre-roll. */
  Camera cam;
  cam.moving = moving_during ({{2, 2.2}, {8, 9}});
  cam.settings = short_rolls ();
  cam.settings.cut.min_motion = 500 * kMs;
  FakeSink sink;
  Recorder recorder (cam.settings, sink);
  cam.run (recorder, 150);
  ASSERT_EQ (sink.files.size (), 1u);
  EXPECT_EQ (sink.files[0].video, range (70, 100));
  ASSERT_EQ (sink.events.size (), 1u);
  EXPECT_EQ (sink.events[0].start, 8 * kSecond);
  EXPECT_EQ (sink.events[0].end, 9 * kSecond);
}
