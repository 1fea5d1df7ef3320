/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `stillframe record`'s decisions: which of a live camera's packets go into
 * which event file. No GLib or GStreamer types, so that it is tested on
 * plain sequences (tests/unit/test_recorder.cpp); record.cpp feeds it and
 * carries out what it says, under one lock.
 *
 * Two inputs meet here, both in running time: the camera's own packets
 * (video, and audio when there is some), kept in a ring, and the analysed
 * frames, which the cut's rules (cutdecider.h: min-static, pre- and
 * post-roll) decide. A file starts at the last keyframe at or before the
 * first kept frame, so its pre-roll comes from the ring, never from
 * re-encoding; it takes every packet up to the end of the last kept frame,
 * and an event longer than segment_max continues in a new file at a
 * keyframe. The ring holds what a future file may still need (back to the
 * keyframe before the first undecided frame) and is bounded by time and
 * bytes: past either bound its oldest GOP goes. */
#pragma once

#include "cutdecider.h"
#include "cuttime.h"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

namespace stillframe::cli {

/* One packet as it arrived; `payload` is the caller's (a GstBuffer), only
 * held here. Times are running time; pts may be kNoTime (then dts is
 * used). */
struct RingPacket {
  Time pts = kNoTime, dts = kNoTime, duration = kNoTime;
  bool video = true, keyframe = false;
  std::size_t bytes = 0;
  std::shared_ptr<void> payload;

  Time time () const { return is_time (pts) ? pts : dts; }
};

struct Box {
  int x = 0, y = 0, width = 0, height = 0;

  bool empty () const { return width <= 0 || height <= 0; }
  /* The smallest box holding both. */
  Box united (const Box &other) const;
};

/* A frame the detector analysed. */
struct AnalysedFrame {
  Time start = kNoTime, duration = kNoTime;
  bool motion = false;
  double score = 0;
  Box box;
};

/* Audio this far behind its video has stopped, or gone. The owner keeps
 * the audio's queue shorter, so that audio read from a file as fast as its
 * thread goes lags no more than that. */
constexpr Time kAudioLagMax = 2 * kSecond;

struct RecorderSettings {
  CutSettings cut;
  /* An event longer than this goes on in a new file (0: never). */
  Time segment_max = 0;
  /* The ring's bounds. */
  Time ring_max_time = 60 * kSecond;
  std::size_t ring_max_bytes = 64u << 20;
};

/* One event, when it has ended. */
struct EventSummary {
  /* The first moving frame's start and the last one's end. */
  Time start = kNoTime, end = kNoTime;
  /* What its files hold: from the first file's keyframe to the end of the
   * last kept frame. */
  Time recorded_start = kNoTime, recorded_end = kNoTime;
  double peak_score = 0;
  Box box;                      /* all that moved, united */
  unsigned files = 0;
  /* The camera went away or the run was stopped while it went on. */
  bool cut_short = false;
};

struct RingStats {
  std::size_t packets = 0, bytes = 0, peak_bytes = 0;
  Time span = 0, peak_span = 0;
  /* GOPs that went before they were decided (a bound was reached). */
  std::uint64_t gops_dropped_early = 0;
};

/* What the recorder asks of its owner, in this order for each file:
 * open_file, write..., close_file; event_ended after the event's last.
 * A file's first packet is its keyframe, whose times the file's start
 * from. */
class RecorderSink {
public:
  virtual ~RecorderSink () = default;
  /* A new file whose first packet (a keyframe) starts at `start`. */
  virtual void open_file (Time start) = 0;
  virtual void write (const RingPacket &packet) = 0;
  virtual void close_file () = 0;
  virtual void event_ended (const EventSummary &event) = 0;
};

class Recorder {
public:
  Recorder (const RecorderSettings &settings, RecorderSink &sink);

  /* A packet of the recorded streams, in decode order per stream. */
  void add_packet (RingPacket packet);
  /* An analysed frame, in order. */
  void add_frame (const AnalysedFrame &frame);
  /* The stream ended (or the camera went away): what waits is decided as
   * at the end of a stream and an open file is closed. */
  void finish (bool cut_short);
  /* The source has an audio stream. A file opens once that stream has
   * reached the file's start (its first packet tells the owner what the
   * file's audio track is), has ended, or lags kAudioLagMax behind. */
  void expect_audio () { audio_expected_ = true; }
  /* The audio stream ended: no file waits for it any more. */
  void end_audio () { audio_ended_ = true; }

  bool recording () const { return recording_; }
  RingStats ring_stats () const { return stats_; }

private:
  struct Slot {
    RingPacket packet;
    std::uint64_t seq;
  };

  void apply (const CutRelease &release);
  void keep (const AnalysedFrame &frame);
  void end_event ();
  bool has_every_packet () const;
  /* Whether the audio has come up to `t`, or is not to be waited for. */
  bool audio_reached (Time t) const;
  void finish_event ();
  void try_open ();
  /* Opens the event's file at the keyframe at or before `at`, or at the
   * first one after it when the ring holds none before. */
  void open_at_keyframe (Time at);
  void open_slot (const Slot &keyframe);
  void emit (const RingPacket &packet);
  void close_file ();
  void write_pending ();
  void trim ();
  void drop_oldest_gop ();
  Time span () const;
  void update_stats ();

  RecorderSettings settings_;
  RecorderSink &sink_;
  CutDecider decider_;
  std::deque<AnalysedFrame> undecided_;
  std::deque<Slot> ring_;
  std::uint64_t next_seq_ = 0;
  std::size_t ring_bytes_ = 0;
  /* The newest time seen, and each stream's newest decoding time. */
  Time newest_ = kNoTime, newest_video_ = kNoTime, newest_audio_ = kNoTime;
  bool audio_expected_ = false, audio_ended_ = false;
  RingStats stats_;

  /* The event being recorded. */
  bool recording_ = false, file_open_ = false, sink_open_ = false;
  /* The event has ended; its file waits for its last packets. */
  bool closing_ = false;
  EventSummary event_;
  /* The end of the last kept frame; the time its packet is written up
   * to. */
  Time kept_until_ = kNoTime, write_until_ = kNoTime, file_start_ = kNoTime;
  /* The first kept frame's start, where the file is to begin. */
  Time open_at_ = kNoTime;
  /* The next packet of each stream to consider for the open file. */
  std::uint64_t video_next_ = 0, audio_next_ = 0;
  bool file_has_video_ = false;
  std::vector<RingPacket> early_audio_;
};

}  // namespace stillframe::cli
