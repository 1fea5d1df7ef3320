/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --fast: which GOPs of a video are decoded in full. No GLib types, so that
 * it is tested on plain sequences (tests/unit/test_gopgate.cpp).
 *
 * Every keyframe is decoded alone and judged by a detector of its own
 * against the keyframes before it (fastdecode.h). A GOP may hold motion
 * when either of its keyframes changed; when its packets carry more bytes
 * a second than the GOPs before (something crossed between two keyframes
 * that look alike: sizes may only ever add decoding, never save it); when
 * it is longer than a few seconds; or when the stream's keyframes cannot
 * be trusted to decode alone. Such a GOP is decoded with one GOP after it
 * and, before it, at least one GOP and as many as start within the
 * lead-in: the detector meets the motion having followed the scene's
 * noise and light for seconds, as in a full decode, so that every event's
 * edges are frame-exact. The others are skipped, their frames static. A fate waits for the verdicts it depends on; nothing is
 * skipped on a guess. */
#pragma once

#include "cuttime.h"

#include <cstddef>
#include <deque>
#include <initializer_list>
#include <string>
#include <vector>

namespace stillframe::cli {

struct GopGateSettings {
  /* Longer GOPs are decoded: between keyframes this far apart, too much
   * can come and go unseen. */
  Time longest_gop = 5 * kSecond;
  /* A GOP whose packets carry more than this many times the median bytes a
   * second of the GOPs before it is decoded. */
  double size_guard = 1.5;
  std::size_t size_history = 8;
  /* Decoded video before a GOP that may hold motion: the detector's noise
   * and background estimates follow the scene over seconds (with one GOP
   * of 2 s before it, a small faint walker was found 0.47 s late). */
  Time lead_in = 4 * kSecond;
  /* A keyframe changed when the detector calls it motion, when its score
   * reaches this share of the threshold (a change too small for one frame
   * may be the edge of one that grows between keyframes), or when the
   * light changed by this many levels (the full decode follows a change of
   * light frame by frame, and may see more in it). */
  double score_share = 0.25;
  double light_levels = 6.0;
};

/* What the keyframe's own detector said of it. */
struct KeyframeReading {
  bool relearned = false;       /* learned afresh (new caps), not judged */
  bool motion = false;
  double score = 0, threshold = 0, light_change = 0;
};

enum class GopFate { Undecided, Decode, Skip };

class GopGate {
public:
  explicit GopGate (const GopGateSettings &settings = {});

  /* Whether a keyframe, so read, may hold motion. */
  bool changed (const KeyframeReading &reading) const;

  /* The video's packets, in decoding order, before either branch sees
   * them; `decodes_alone` matters for keyframes only. */
  void add_packet (Time pts, std::size_t bytes, bool keyframe,
      bool decodes_alone);
  void end_of_packets ();
  /* The keyframe branch's verdicts, by the keyframe's timestamp. A keyframe
   * left unjudged (it did not decode) counts as changed once a later one is
   * judged, or at the end. */
  void judge_keyframe (Time pts, bool changed);
  void end_of_keyframes ();
  /* GOP `gop` cannot wait for its verdicts (the look-ahead is full). */
  void force_decode (std::size_t gop);
  /* Every GOP from now on is decoded, for this reason. */
  void fall_back (const std::string &why);

  /* GOP index n is the n-th keyframe's (0: the first). */
  GopFate fate (std::size_t gop) const;
  /* GOPs before `gop` will not be asked about again. */
  void forget_before (std::size_t gop);

  std::size_t gops () const { return base_ + gops_.size (); }
  /* Why every GOP from some point on is decoded; empty when none is. */
  const std::string &fallback () const { return fallback_; }
  /* GOPs decoded for being too long, so far. */
  std::size_t long_gops () const { return long_gops_; }

private:
  enum class Tri { No, Yes, Unknown };
  struct Gop {
    Time start = kNoTime, end = kNoTime;        /* end: the next keyframe's */
    std::size_t bytes = 0;
    Tri keyframe = Tri::Unknown;
    /* Set once closed: longer than longest_gop, or past the size guard. */
    Tri too_long = Tri::Unknown, oversized = Tri::Unknown;
    bool forced = false;
  };

  /* Tri-state "or": yes if any is, unknown if any is not known yet. */
  static Tri any_of (std::initializer_list<Tri> terms);
  const Gop *at (std::size_t gop) const;
  Tri may_hold_motion (std::size_t gop) const;
  void close_open_gop (Time end);

  GopGateSettings settings_;
  std::deque<Gop> gops_;
  std::size_t base_ = 0;                /* the index of gops_.front () */
  bool packets_ended_ = false;
  std::string fallback_;
  std::size_t long_gops_ = 0;
  /* Bytes a second of the last size_history GOPs closed, newest last. */
  std::deque<double> rates_;
};

/* Whether a keyframe's access unit decodes without the frames before it:
 * an IDR or intra-only slices (H.264), an IRAP picture (H.265). Encoders
 * with intra refresh flag P-frames as keyframes. `nal_length_size` 0: the
 * access unit is in byte-stream form (start codes). */
enum class VideoCodec { H264, H265, Other };
bool decodes_alone (VideoCodec codec, const unsigned char *data,
    std::size_t size, int nal_length_size);

}  // namespace stillframe::cli
