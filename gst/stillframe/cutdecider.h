/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cut's decisions: which frames of a video are kept, given each one's
 * running time and whether it moved. No GLib or GStreamer types, so that
 * it is tested on plain sequences (tests/unit/test_cutdecider.cpp).
 *
 * A static span shorter than min_static is kept whole (the motion runs on
 * either side are one event); of a longer one, post_roll after the motion
 * before it and pre_roll before the motion after it are kept and the rest
 * is dropped. Motion shorter than min_motion is static (MotionRun). Static video before the first motion counts as a long span.
 * A frame's fate may wait for later frames, up to hold_time (); the frames
 * waiting are decided oldest first, so the caller keeps them in a queue
 * and applies each CutRelease to its front. Windows are judged to half a
 * frame, so that millisecond-rounded timestamps (Matroska) do not make a
 * frame miss one by a hair. */
#pragma once

#include "cuttime.h"

#include <algorithm>
#include <cstddef>
#include <deque>

namespace stillframe {

struct CutSettings {
  Time min_static = 3 * kSecond;
  Time pre_roll = 1 * kSecond;
  Time post_roll = 1 * kSecond;
  /* Motion that lasts less is taken for static (MotionRun). */
  Time min_motion = 0;
  /* What the frames it drops become: 0, dropped; X >= 1, one in X kept,
   * so that a static span goes by X times faster (StaticSkim). */
  double static_speed = 0;

  /* The longest a frame can wait for its fate: a leading static span is
   * judged only once it reaches min_static, and a dropped span's last
   * pre-roll worth of frames waits for motion; either may then wait for
   * motion that takes min_motion to count. */
  Time hold_time () const
  {
    return std::max (min_static, pre_roll) + min_motion;
  }
};

/* The rule for short motion, which the cut and the CLI's events share: a
 * run of motion frames counts only once it has lasted min_motion (a bird
 * flying through, a flash), and then from its first frame; a shorter run
 * is static. Each frame is judged as it comes. */
class MotionRun {
public:
  enum class Verdict {
    Static,     /* this frame, and the pending ones before it, are static */
    Pending,    /* motion that does not count yet */
    Motion,     /* motion that counts, and so do the pending frames */
  };

  void set_min_motion (Time min_motion) { min_motion_ = min_motion; }
  /* `end` may be kNoTime (a frame that cannot be timed counts at once). */
  Verdict add (Time start, Time end, bool motion)
  {
    if (!motion) {
      run_start_ = kNoTime;
      return Verdict::Static;
    }
    if (!is_time (run_start_))
      run_start_ = start;
    if (min_motion_ == 0 || !is_time (end) || !is_time (run_start_)
        || end - run_start_ >= min_motion_)
      return Verdict::Motion;
    return Verdict::Pending;
  }
  /* Where the run of motion being received started, or kNoTime. */
  Time run_start () const { return run_start_; }
  void reset () { run_start_ = kNoTime; }

private:
  Time min_motion_ = 0;
  Time run_start_ = kNoTime;
};

/* What one call decided, for the oldest undecided frames in order (the
 * frame just added is the newest): the first `dropped` are dropped, then
 * `kept` are kept. */
struct CutRelease {
  std::size_t dropped = 0, kept = 0;

  std::size_t decided () const { return dropped + kept; }
};

/* --speed-static: of the frames a static span drops, one in `speed` is
 * kept (by time, so a variable rate is sped up evenly): the span goes by
 * `speed` times faster instead of being cut. A frame is kept while what was
 * kept, sped up, has not caught up with what was read; the count starts
 * afresh after each frame kept for motion. */
class StaticSkim {
public:
  void set_speed (double speed) { speed_ = speed; }
  bool active () const { return speed_ >= 1; }
  /* Whether this frame, which the cut drops, is kept to skim the span. */
  bool keep (Time start, Time duration)
  {
    if (!active () || !is_time (start))
      return false;
    const double length = is_time (duration) && duration > 0 ?
        (double) duration : 1;
    /* Three quarters of a frame: ties (2.5x) fall the same way whatever
     * the nanoseconds' rounding. */
    const bool kept = (double) kept_ * speed_ < (double) read_ + 0.75 *
        length;
    read_ += (Time) length;
    if (kept)
      kept_ += (Time) length;
    return kept;
  }
  /* A frame kept for motion, or the end of a stretch. */
  void restart () { read_ = kept_ = 0; }

private:
  double speed_ = 0;
  Time read_ = 0, kept_ = 0;    /* of the span skimmed so far */
};

class CutDecider {
public:
  void set_settings (const CutSettings &settings)
  {
    settings_ = settings;
    run_.set_min_motion (settings.min_motion);
  }
  const CutSettings &settings () const { return settings_; }

  /* A frame starting at `start` starts before the last one ended: a
   * timeline that goes back (a restart, a corrupt file). */
  bool goes_back (Time start, Time duration) const;
  /* A frame starting at `start` leaves a hole of at least min_static after
   * the last one (a camera that stopped sending). */
  bool leaves_hole (Time start, Time duration) const;

  /* Decides what it can once a frame is added; `start` kNoTime (a frame
   * that cannot be timed) counts as motion, `duration` may be kNoTime. */
  CutRelease add_frame (Time start, Time duration, bool motion);
  /* The end of a stream or segment: no motion follows, so every frame
   * waiting (all past the post-roll) is dropped; the next frame starts a
   * new stretch, as at the start. */
  CutRelease drain ();
  /* Forgets everything (a flush). */
  void reset ()
  {
    const CutSettings settings = settings_;
    *this = CutDecider ();
    set_settings (settings);
  }

  std::size_t undecided () const { return waiting_.size (); }
  /* All running time before this is decided: the oldest waiting frame's
   * start, or the end of the last frame. */
  Time decided_until () const
  {
    return waiting_.empty () ? last_end_ : waiting_.front ().start;
  }
  /* The first frame's start and the last one's end (kNoTime before any). */
  Time first_start () const { return first_start_; }
  Time last_end () const { return last_end_; }

  static Time half_frame (Time duration)
  {
    return is_time (duration) ? duration / 2 : 0;
  }

private:
  struct Waiting {
    Time start, duration;
  };

  CutSettings settings_;
  MotionRun run_;
  std::deque<Waiting> waiting_;
  Time first_start_ = kNoTime, last_end_ = kNoTime;
  Time last_motion_end_ = kNoTime, static_start_ = kNoTime;
  /* The static span being received will be cut (less its rolls): it
   * reached min_static, or no motion came before it. */
  bool span_will_be_cut_ = true;
};

}  // namespace stillframe
