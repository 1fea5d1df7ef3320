/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "recorder.h"

#include <algorithm>

namespace stillframe::cli {

Box
Box::united (const Box &other) const
{
  if (other.empty ())
    return *this;
  if (empty ())
    return other;
  const int left = std::min (x, other.x), top = std::min (y, other.y);
  const int right = std::max (x + width, other.x + other.width);
  const int bottom = std::max (y + height, other.y + other.height);
  return Box {left, top, right - left, bottom - top};
}

Recorder::Recorder (const RecorderSettings &settings, RecorderSink &sink)
    : settings_ (settings), sink_ (sink)
{
  decider_.set_settings (settings.cut);
}

void
Recorder::add_packet (RingPacket packet)
{
  if (!is_time (packet.time ()))      /* untimed: as the packet before it */
    packet.pts = ring_.empty () ? 0 : ring_.back ().packet.time ();
  ring_bytes_ += packet.bytes;
  newest_ = is_time (newest_) ? std::max (newest_, packet.time ()) :
      packet.time ();
  ring_.push_back (Slot {std::move (packet), next_seq_++});
  const Slot &slot = ring_.back ();
  /* In decoding order: once a packet decodes at or after the end, no later
   * one shows before it (B-frames show after they decode). */
  const Time decoded_at = is_time (slot.packet.dts) ? slot.packet.dts :
      slot.packet.time ();
  Time &newest = slot.packet.video ? newest_video_ : newest_audio_;
  newest = is_time (newest) ? std::max (newest, decoded_at) : decoded_at;
  if (recording_ && !file_open_)
    try_open ();
  if (file_open_)
    write_pending ();
  if (closing_ && has_every_packet ())
    finish_event ();
  trim ();
}

void
Recorder::add_frame (const AnalysedFrame &frame)
{
  undecided_.push_back (frame);
  apply (decider_.add_frame (frame.start, frame.duration, frame.motion));
  trim ();
}

void
Recorder::finish (bool cut_short)
{
  /* Nothing more comes. Frames the drain drops were past an event's
   * post-roll: that event had ended. One still being recorded after it
   * was cut short. */
  audio_ended_ = true;
  apply (decider_.drain ());
  if (recording_) {
    event_.cut_short = cut_short;
    end_event ();
  }
  if (closing_)
    finish_event ();
  undecided_.clear ();
  decider_.reset ();
}

void
Recorder::apply (const CutRelease &release)
{
  for (std::size_t i = 0; i < release.decided () && !undecided_.empty ();
      i++) {
    const AnalysedFrame frame = undecided_.front ();
    undecided_.pop_front ();
    if (i >= release.dropped)
      keep (frame);
    else if (recording_)
      end_event ();
  }
}

void
Recorder::keep (const AnalysedFrame &frame)
{
  const Time end = frame.start + (is_time (frame.duration) ?
      frame.duration : 0);
  /* The last event's file still waiting for its last packets ends with
   * what it has, up to its own end. */
  if (!recording_ && closing_)
    finish_event ();
  /* Packets up to this frame's: the next one's time may be a hair short of
   * this one's end (a camera's clock jitters), never half a frame. */
  write_until_ = frame.start + CutDecider::half_frame (frame.duration) + 1;
  if (!recording_) {
    recording_ = true;
    event_ = EventSummary ();
    open_at_ = frame.start;
    try_open ();
  }
  kept_until_ = end;
  if (frame.motion) {
    if (!is_time (event_.start))
      event_.start = frame.start;
    event_.end = end;
    event_.peak_score = std::max (event_.peak_score, frame.score);
    event_.box = event_.box.united (frame.box);
  }
  if (file_open_)
    write_pending ();
}

/* The event is decided; its file is closed once it has every packet up to
 * the end, which may still be coming (an encoder or a second stream behind
 * the detector). */
void
Recorder::end_event ()
{
  recording_ = false;
  event_.recorded_end = kept_until_;
  if (file_open_) {
    write_pending ();
    if (!has_every_packet ()) {
      closing_ = true;
      return;
    }
  }
  finish_event ();
}

/* Whether the open file's last packets have come: a video packet decodes
 * at or past the end (in decoding order, none after it shows before it),
 * and the audio has reached the end too. */
bool
Recorder::has_every_packet () const
{
  if (!is_time (newest_video_) || newest_video_ < write_until_)
    return false;
  return audio_reached (kept_until_);
}

bool
Recorder::audio_reached (Time t) const
{
  if (audio_ended_ || (!audio_expected_ && !is_time (newest_audio_)))
    return true;
  if (is_time (newest_audio_) && newest_audio_ >= t)
    return true;
  return is_time (newest_video_) && newest_video_ >= t + kAudioLagMax;
}

void
Recorder::finish_event ()
{
  if (file_open_) {
    write_pending ();
    close_file ();
  }
  closing_ = false;
  sink_.event_ended (event_);
}

/* Opens the event's file once the packets have reached its start (they
 * may come after its frames were analysed). */
void
Recorder::try_open ()
{
  if (is_time (newest_video_) && newest_video_ >= open_at_)
    open_at_keyframe (open_at_);
}

void
Recorder::open_at_keyframe (Time at)
{
  const Slot *chosen = nullptr;
  for (const Slot &slot : ring_) {
    if (!slot.packet.video || !slot.packet.keyframe)
      continue;
    if (slot.packet.time () > at && chosen)
      break;
    chosen = &slot;
    if (slot.packet.time () > at)
      break;
  }
  if (chosen)                   /* if not, the next keyframe opens it */
    open_slot (*chosen);
}

void
Recorder::open_slot (const Slot &keyframe)
{
  file_start_ = keyframe.packet.time ();
  if (!is_time (event_.recorded_start))
    event_.recorded_start = file_start_;
  video_next_ = keyframe.seq;
  audio_next_ = ring_.front ().seq;
  file_open_ = true;
  file_has_video_ = false;
}

/* The sink sees a file only once it has video for it; audio that comes
 * first (it often arrives ahead of the video of its time) waits. */
void
Recorder::emit (const RingPacket &packet)
{
  if (!sink_open_ && !packet.video) {
    early_audio_.push_back (packet);
    return;
  }
  if (!sink_open_) {
    sink_.open_file (file_start_);
    sink_open_ = true;
    event_.files++;
    sink_.write (packet);
    for (const RingPacket &audio : early_audio_)
      sink_.write (audio);
    early_audio_.clear ();
    return;
  }
  sink_.write (packet);
}

void
Recorder::close_file ()
{
  if (sink_open_)
    sink_.close_file ();
  sink_open_ = false;
  file_open_ = false;
  early_audio_.clear ();
}

/* Every packet not yet written that lies before the end of the last kept
 * frame, each stream in its order; a keyframe past segment_max into the
 * file starts the next one. Video goes up to the last packet, in decoding
 * order, of a frame before that end: with B-frames, the reference frames
 * decoded before it come too, though they show after it. A file's first
 * packet waits for its audio (expect_audio). */
void
Recorder::write_pending ()
{
  if (!sink_open_ && !audio_reached (file_start_))
    return;
  std::uint64_t video_last = 0;
  bool any_video = false;
  for (const Slot &slot : ring_)
    if (slot.packet.video && slot.seq >= video_next_ &&
        slot.packet.time () < write_until_) {
      video_last = slot.seq;
      any_video = true;
    }
  bool audio_blocked = false;
  for (const Slot &slot : ring_) {
    const RingPacket &p = slot.packet;
    if (p.video) {
      if (!any_video || slot.seq < video_next_ || slot.seq > video_last)
        continue;
      if (p.keyframe && file_has_video_ && settings_.segment_max > 0 &&
          p.time () >= file_start_ + settings_.segment_max) {
        /* Audio the old file has stays with it alone. */
        const std::uint64_t audio_next = audio_next_;
        close_file ();
        open_slot (slot);
        audio_next_ = audio_next;
      }
      /* Leading pictures of an open GOP: they refer to the GOP before,
       * which the file has not. */
      if (p.time () >= file_start_) {
        emit (p);
        file_has_video_ = true;
      }
      video_next_ = slot.seq + 1;
    } else {
      if (audio_blocked || slot.seq < audio_next_)
        continue;
      if (p.time () >= kept_until_) {
        audio_blocked = true;
        continue;
      }
      if (p.time () >= file_start_)
        emit (p);
      audio_next_ = slot.seq + 1;
    }
  }
}

/* Forgets what no file can need: packets before the keyframe that a file
 * for the first undecided frame would start at, once the open file has
 * them. Then keeps within the bounds. */
void
Recorder::trim ()
{
  /* Before any frame is analysed, the first may be kept. */
  const Time decided = decider_.decided_until ();
  const Slot *keep_from = nullptr;
  for (const Slot &slot : ring_) {
    if (!is_time (decided) || slot.packet.time () > decided)
      break;
    if (slot.packet.video && slot.packet.keyframe)
      keep_from = &slot;
  }
  if (keep_from) {
    const std::uint64_t keyframe_seq = keep_from->seq;
    const Time keyframe_time = keep_from->packet.time ();
    while (!ring_.empty ()) {
      const Slot &front = ring_.front ();
      const bool before = front.packet.video ? front.seq < keyframe_seq :
          front.packet.time () < keyframe_time;
      const bool written = !file_open_ || front.seq < (front.packet.video ?
          video_next_ : audio_next_);
      if (!before || !written)
        break;
      ring_bytes_ -= front.packet.bytes;
      ring_.pop_front ();
    }
  }
  while (ring_.size () > 1 && (ring_bytes_ > settings_.ring_max_bytes ||
          span () > settings_.ring_max_time))
    drop_oldest_gop ();
  update_stats ();
}

/* Past a bound: the oldest GOP goes, decided or not. An open file that
 * has not had it yet cannot go on without it: the event goes on in a new
 * file from the next keyframe. */
void
Recorder::drop_oldest_gop ()
{
  bool unwritten = false;
  do {
    const Slot &front = ring_.front ();
    if (file_open_ && front.packet.video && front.seq >= video_next_)
      unwritten = true;
    ring_bytes_ -= front.packet.bytes;
    ring_.pop_front ();
  } while (!ring_.empty () && !(ring_.front ().packet.video &&
          ring_.front ().packet.keyframe));
  stats_.gops_dropped_early++;
  if (unwritten) {
    close_file ();
    if (!ring_.empty ())
      open_slot (ring_.front ());
  }
}

/* From the oldest packet to the newest time seen: the streams' packets
 * interleave, and their times need not rise in the ring's order. */
Time
Recorder::span () const
{
  if (ring_.empty ())
    return 0;
  const Time oldest = ring_.front ().packet.time ();
  return newest_ > oldest ? newest_ - oldest : 0;
}

void
Recorder::update_stats ()
{
  stats_.packets = ring_.size ();
  stats_.bytes = ring_bytes_;
  stats_.span = span ();
  stats_.peak_bytes = std::max (stats_.peak_bytes, stats_.bytes);
  stats_.peak_span = std::max (stats_.peak_span, stats_.span);
}

}  // namespace stillframe::cli
