/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-frame cost of the analysis core, single-threaded, by resolution and
 * pixel layout family (planar luma, packed YUV, packed RGB of 4 and of 3
 * bytes per pixel). */
#include "motiondetector.h"

#include <benchmark/benchmark.h>
#include <opencv2/core.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace {

enum Layout { kPlanar, kPackedYuv, kPackedRgb, kPackedRgb24 };

int
bytes_per_pixel (Layout layout)
{
  switch (layout) {
    case kPlanar:
      return 1;
    case kPackedYuv:
      return 2;
    case kPackedRgb:
      return 4;
    case kPackedRgb24:
      return 3;
  }
  return 1;
}

const char *
label (Layout layout)
{
  switch (layout) {
    case kPlanar:
      return "planar luma (I420, NV12, GRAY8...)";
    case kPackedYuv:
      return "packed YUV (YUY2, UYVY...)";
    case kPackedRgb:
      return "packed RGB, 4 bytes (BGRx, RGBA...)";
    case kPackedRgb24:
      return "packed RGB, 3 bytes (RGB, BGR)";
  }
  return "";
}

void
BM_Analyse (benchmark::State &state)
{
  const int width = (int) state.range (0), height = (int) state.range (1);
  const Layout layout = (Layout) state.range (2);
  stillframe::DetectorSettings settings;
  if (state.range (3) > 0)
    settings.analysis_width = (int) state.range (3);
  const int pixel_stride = bytes_per_pixel (layout);
  const bool rgb = layout == kPackedRgb || layout == kPackedRgb24;
  const int row_stride = width * pixel_stride;
  /* A few noisy frames with a moving square, cycled; the same grey
   * picture in every layout (R = G = B = luma), so that layouts differ
   * only in how they are read. */
  std::mt19937 rng (1);
  std::vector<std::vector<std::uint8_t>> frames (4,
      std::vector<std::uint8_t> ((size_t) row_stride * height, 128));
  for (size_t f = 0; f < frames.size (); f++) {
    const int left = (int) f * width / 10, right = left + width / 8;
    for (int y = 0; y < height; y++)
      for (int x = 0; x < width; x++) {
        const bool square = y >= height / 3 && y < height / 2 && x >= left
            && x < right;
        const std::uint8_t luma = square ? 220 : 100 + rng () % 8;
        std::uint8_t *pixel = &frames[f][(size_t) y * row_stride
            + (size_t) x * pixel_stride];
        for (int c = 0; c < (rgb ? 3 : 1); c++)
          pixel[c] = luma;
      }
  }
  cv::setNumThreads (1);
  stillframe::MotionDetector detector (settings);
  const bool avx2 = detector.allow_avx2 (state.range (4) == 0);
  stillframe::FrameView view;
  view.kind = rgb ? stillframe::FrameView::Kind::Rgb :
      stillframe::FrameView::Kind::Luma;
  view.pixel_stride = pixel_stride;
  view.row_stride = row_stride;
  view.width = width;
  view.height = height;
  size_t i = 0;
  double t = 0;
  for (auto _ : state) {
    const std::uint8_t *data = frames[i++ % frames.size ()].data ();
    view.channel[0] = data;
    view.channel[1] = data + 1;
    view.channel[2] = data + 2;
    benchmark::DoNotOptimize (detector.analyse (view, t));
    t += 1.0 / 30;
  }
  state.SetLabel (std::string (label (layout)) + (avx2 ? ", AVX2" :
          ", baseline code"));
}

}  // namespace

BENCHMARK (BM_Analyse)
    ->ArgNames ({"width", "height", "layout", "analysis_width", "baseline"})
    /* The default analysis width, by resolution and layout. */
    ->Args ({1280, 720, kPlanar, 0, 0})
    ->Args ({1920, 1080, kPlanar, 0, 0})
    ->Args ({3840, 2160, kPlanar, 0, 0})
    ->Args ({1280, 720, kPackedYuv, 0, 0})
    ->Args ({1920, 1080, kPackedYuv, 0, 0})
    ->Args ({3840, 2160, kPackedYuv, 0, 0})
    ->Args ({1280, 720, kPackedRgb, 0, 0})
    ->Args ({1920, 1080, kPackedRgb, 0, 0})
    ->Args ({3840, 2160, kPackedRgb, 0, 0})
    ->Args ({1280, 720, kPackedRgb24, 0, 0})
    ->Args ({1920, 1080, kPackedRgb24, 0, 0})
    ->Args ({3840, 2160, kPackedRgb24, 0, 0})
    /* Cost follows the analysis width. */
    ->Args ({1920, 1080, kPlanar, 128, 0})
    ->Args ({1920, 1080, kPlanar, 256, 0})
    ->Args ({1920, 1080, kPlanar, 320, 0})
    ->Args ({1920, 1080, kPlanar, 640, 0})
    /* Without AVX2 (the code older processors run). */
    ->Args ({1920, 1080, kPlanar, 0, 1})
    ->Args ({1920, 1080, kPackedYuv, 0, 1})
    ->Args ({1920, 1080, kPackedRgb, 0, 1})
    ->Args ({1920, 1080, kPackedRgb24, 0, 1})
    ->Unit (benchmark::kMicrosecond);

BENCHMARK_MAIN ();
