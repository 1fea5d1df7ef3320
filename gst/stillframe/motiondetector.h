/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * stillframe: motion analysis core.
 *
 * Plain C++17 + OpenCV, no GLib or GStreamer types, so it can be unit-tested
 * on synthetic images and reused outside GStreamer.
 */
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace stillframe {

/* A read-only, possibly strided, view of a frame's pixels.
 *
 * For luma/gray sources only channel[0] is used. For RGB sources channel[0..2]
 * point at the first R, G and B sample; luma is computed on the fly. Samples of
 * one pixel are pixel_stride bytes apart within a row, rows are row_stride
 * bytes apart. Nothing is ever written through this view. */
struct FrameView {
  enum class Kind { Luma, Rgb };
  Kind kind = Kind::Luma;
  const std::uint8_t *channel[3] = {nullptr, nullptr, nullptr};
  int pixel_stride = 1;
  int row_stride = 0;
  int width = 0;
  int height = 0;
};

/* An axis-aligned rectangle in frame pixels. */
struct PixelRect {
  int x = 0, y = 0, width = 0, height = 0;
  bool empty () const { return width <= 0 || height <= 0; }
};

/* A rectangle given by the user: each coordinate either in pixels or as a
 * fraction (0..1) of the frame's width/height. */
struct RegionSpec {
  double x = 0, y = 0, width = 0, height = 0;
  bool fractional = false;

  PixelRect resolve (int frame_width, int frame_height) const;
};

/* Parses "x,y,w,h;x,y,w,h;..." (whitespace allowed). A rectangle whose four
 * numbers all contain a decimal point (e.g. "0.5,0,0.5,1.0") is fractional;
 * one of plain integers is in pixels; mixing the two in one rectangle is an
 * error. Throws std::invalid_argument with a message naming the problem. */
std::vector<RegionSpec> parse_regions (const std::string &text);
std::string format_regions (const std::vector<RegionSpec> &regions);

/* A greyscale picture of the scene marking what is never analysed: its
 * black pixels (below 128). It is stretched over the frame, whatever its
 * size. */
struct MaskImage {
  int width = 0, height = 0;
  std::vector<std::uint8_t> pixels;     /* width * height, row after row */

  bool empty () const { return pixels.empty (); }
  bool operator== (const MaskImage &other) const
  {
    return width == other.width && height == other.height
        && pixels == other.pixels;
  }
};

/* Reads an 8-bit PGM file (binary "P5" or plain "P2"), the mask format of
 * Motion and of most image tools (`ffmpeg -i mask.png -pix_fmt gray
 * mask.pgm`). Throws std::invalid_argument with a message naming the
 * problem. */
MaskImage load_pgm_mask (const std::string &path);

struct DetectorSettings {
  /* Width of the subsampled luma image the analysis works on; the height
   * follows the frame's aspect ratio. Frames narrower than this are analysed
   * at their own width. */
  int analysis_width = 160;
  /* Fraction (0..1] of the analysed area that must change for a frame to be
   * called motion. */
  double threshold = 0.0005;
  /* 0..1: higher finds fainter changes. Maps to how many noise standard
   * deviations a pixel must differ from the background by (see
   * noise_multiplier()). */
  double sensitivity = 0.5;
  /* Only these rectangles are analysed (all of the frame when empty). */
  std::vector<RegionSpec> regions;
  /* These rectangles are never analysed, even inside `regions`. */
  std::vector<RegionSpec> ignore_regions;
  /* Nor are the black parts of this mask. */
  MaskImage ignore_mask;
  /* Falling snow or rain changes many small patches all over the frame, a
   * person one large one: when the changes fall into at least 4 separate
   * parts, those smaller than 4 times their median size (and than 0.15 %
   * of the analysed area) do not count, and those between the two count
   * only where one was in the frame before. Off for scenes of many small
   * movers of one size (a flock, a distant crowd), which it would take for
   * clutter. */
  bool ignore_clutter = true;

  double noise_multiplier () const { return 10.0 - 7.0 * sensitivity; }
};

struct FrameAnalysis {
  /* Fraction of the analysed area that changed, 0..1. Independent of the
   * frame's resolution. */
  double score = 0.0;
  bool motion = false;
  /* Bounding box of the changed area in frame pixels; empty when nothing
   * changed. */
  PixelRect box;
  /* Estimated temporal noise (standard deviation, 8-bit luma levels) the
   * decision adapted to. */
  double noise_level = 0.0;
  /* The largest change of light (8-bit levels, at any brightness) the
   * frame was corrected for, against the background. */
  double light_change = 0.0;
};

/* Background-model motion detector.
 *
 * Each frame is reduced to a small blurred luma image and compared with a
 * slowly updated background. Global and tonal illumination changes are
 * removed by a robust per-brightness offset, pixel thresholds follow the
 * noise measured in the frame itself, and isolated pixels are discarded.
 * See docs/stillframedetect.md for the full description. */
class MotionDetector {
public:
  explicit MotionDetector (const DetectorSettings &settings = {});
  ~MotionDetector ();
  MotionDetector (const MotionDetector &) = delete;
  MotionDetector &operator= (const MotionDetector &) = delete;

  /* New settings take effect on the next frame; geometry-related ones
   * (analysis width, regions) restart learning. */
  void set_settings (const DetectorSettings &settings);
  const DetectorSettings &settings () const;

  /* Forget the background: the next frame is learned, not judged. */
  void reset ();

  /* Analyse one frame. timestamp_s is the frame's presentation time in
   * seconds (any origin, non-decreasing); a negative value means unknown.
   * Throws std::invalid_argument for an unusable view, and for settings that
   * do not fit the frame: a region in pixels reaching past it, or regions
   * and mask that leave nothing of it to analyse. */
  FrameAnalysis analyse (const FrameView &frame, double timestamp_s);

  /* Whether analyse() may run its AVX2 variant, which it does by default
   * where the processor has AVX2. Both variants give the same results
   * (tests compare them). Returns whether the AVX2 variant is now used. */
  bool allow_avx2 (bool allowed);

private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace stillframe
