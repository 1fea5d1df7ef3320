/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Synthetic static-camera clips with known motion, for tests, the demo and
 * benchmarks: a textured scene, per-frame sensor noise, slow lighting drift,
 * and boxes that move during given spans.
 */
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace clipgen {

struct MovingBox {
  double start = 0, end = 0;  /* seconds; the box moves in [start, end) */
  double size = 0.1;          /* height, as a fraction of the frame height */
  double aspect = 1;          /* width / height */
  double speed = 0.25;        /* frame widths per second */
  double y = 0.5;             /* centre, as a fraction of the frame height */
  int contrast = 60;          /* luma difference from the scene */
  /* When >= 0: the box is this luma all over (a walker in plain clothes,
   * which may match a part of the scene) instead of the scene brightened
   * by `contrast`. */
  int luma = -1;
  /* When >= 0: seconds after `start` at which the box stops travelling and
   * stands nearly still, swaying `sway` pixels like a person waiting. */
  double stand_after = -1;
  double sway = 3;
  /* Whether standing counts as motion in the labels (a person waiting
   * does; an object put in a new place does not). */
  bool standing_is_motion = true;
};

/* What makes a scene hard without anything moving in it. */
struct HardScene {
  /* Falling snow or rain: streaks alive at once per megapixel, each
   * `precipitation_length` px long, falling `precipitation_speed` px a
   * frame for a few frames. */
  double precipitation = 0;
  int precipitation_length = 6;
  int precipitation_speed = 9;
  int precipitation_contrast = 70;
  /* Camera shake: the picture moves by up to this many pixels, each frame
   * anew. */
  int shake = 0;
  /* Flicker: brightness scaled by 1 +- this each frame (fluorescent tubes
   * beating with the frame rate). */
  double flicker = 0;
  /* A soft cloud shadow crossing the frame from left to right during
   * [shadow_start, shadow_end), coming in and going out gradually: a disc
   * `shadow_size` frame heights across with a Gaussian edge, darkening by
   * up to `shadow_depth` (fraction). */
  double shadow_start = 0, shadow_end = 0;
  double shadow_size = 1.2;
  double shadow_depth = 0.25;
};

struct ClipSpec {
  int width = 640, height = 360;
  int fps = 30;
  double duration = 10.0;
  double noise_sigma = 3.0;       /* 8-bit luma levels */
  double drift_amplitude = 0.0;   /* levels, sinusoidal */
  double drift_period = 60.0;     /* seconds */
  std::vector<MovingBox> boxes;
  HardScene hard;
  unsigned seed = 1;
  /* Sync marks: a 1 kHz tone and a white corner square, both starting with
   * each box and lasting kMarkDuration; written as an audio track. */
  bool sync_marks = false;
  static constexpr double kMarkDuration = 0.2;
  static constexpr int kAudioRate = 48000;

  int frame_count () const;
  /* True when any box moves during frame `index`. */
  bool frame_has_motion (int index) const;
  /* Parses "start-end[,start-end...]" into boxes with default looks. */
  void add_spans (const std::string &spans);
  /* Objects moved to a new place at each of these times: a box that comes
   * in, travels for `travel` seconds and stays there, still, to the end;
   * only the travel is motion. */
  void add_relocations (const std::string &times, double travel);
};

/* Renders samples [first, first + count) of the mono S16 audio track. */
void render_audio (const ClipSpec &spec, std::uint64_t first, int count,
    std::int16_t *out);

/* Renders frame `index` as I420 into `planes` (Y, U, V, tightly packed). */
class Renderer {
public:
  explicit Renderer (const ClipSpec &spec);
  void render (int index, std::uint8_t *y, std::uint8_t *u, std::uint8_t *v);

private:
  struct Streak {
    int x, y, life;
  };
  /* The scene's hard parts (HardScene), drawn into the frame's luma. */
  void shade_and_shake (double t, std::uint8_t *y, int dx, int dy,
      int drift, std::size_t offset);
  void precipitate (std::uint8_t *y);

  ClipSpec spec_;
  std::vector<std::uint8_t> scene_;
  std::vector<std::int8_t> noise_;
  std::uint64_t rng_;
  /* Apart from rng_, so that clips without hard parts stay as they were. */
  std::uint64_t hard_rng_;
  std::vector<Streak> streaks_;
};

/* Encodes the clip as H.264 in MP4 or MKV (by extension), with the sync
 * marks' audio as AAC (MP4, advanced by the encoder's priming so that it
 * plays in sync) or PCM (MKV). Returns an empty string on success, else the
 * error. */
struct Encoding {
  int bitrate_kbps = 0;         /* 0: from the size */
  bool cbr = false;             /* constant bitrate, as IP cameras send */
  bool h265 = false;
  int gop = 0;                  /* frames; 0: two seconds */
  /* x264's intra refresh: no keyframe after the first, a column of intra
   * blocks sweeping each GOP instead (its recovery points are flagged as
   * keyframes, yet decode to a fraction of a picture alone). */
  bool intra_refresh = false;
};
std::string write_clip (const ClipSpec &spec, const std::string &path,
    const Encoding &encoding = Encoding ());

}  // namespace clipgen
