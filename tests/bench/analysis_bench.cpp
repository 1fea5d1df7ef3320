/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-frame cost of the analysis core, single-threaded, by resolution and
 * pixel layout family (planar luma, packed YUV, packed RGB). */
#include "motiondetector.h"

#include <benchmark/benchmark.h>
#include <opencv2/core.hpp>

#include <cstdint>
#include <random>
#include <vector>

namespace {

enum Layout { kPlanar, kPackedYuv, kPackedRgb };

void
BM_Analyse (benchmark::State &state)
{
  const int width = (int) state.range (0), height = (int) state.range (1);
  const Layout layout = (Layout) state.range (2);
  stillframe::DetectorSettings settings;
  if (state.range (3) > 0)
    settings.analysis_width = (int) state.range (3);
  const int pixel_stride = layout == kPlanar ? 1 : layout == kPackedYuv ? 2 : 4;
  const int row_stride = width * pixel_stride;
  /* A few noisy frames with a moving square, cycled. */
  std::mt19937 rng (1);
  std::vector<std::vector<std::uint8_t>> frames (4,
      std::vector<std::uint8_t> ((size_t) row_stride * height));
  for (size_t f = 0; f < frames.size (); f++) {
    for (auto &v : frames[f])
      v = (std::uint8_t) (100 + rng () % 8);
    for (int y = height / 3; y < height / 2; y++)
      for (int x = (int) f * width / 10; x < (int) f * width / 10 + width / 8;
          x++)
        frames[f][(size_t) y * row_stride + x * pixel_stride] = 220;
  }
  cv::setNumThreads (1);
  stillframe::MotionDetector detector (settings);
  stillframe::FrameView view;
  view.kind = layout == kPackedRgb ? stillframe::FrameView::Kind::Rgb :
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
  state.SetLabel (layout == kPlanar ? "planar luma (I420, NV12, GRAY8...)" :
      layout == kPackedYuv ? "packed YUV (YUY2, UYVY...)" :
      "packed RGB (BGRx, RGBA...)");
}

}  // namespace

BENCHMARK (BM_Analyse)
    ->ArgNames ({"width", "height", "layout", "analysis_width"})
    /* The default analysis width, by resolution and layout. */
    ->Args ({1280, 720, kPlanar, 0})
    ->Args ({1920, 1080, kPlanar, 0})
    ->Args ({3840, 2160, kPlanar, 0})
    ->Args ({1280, 720, kPackedYuv, 0})
    ->Args ({1920, 1080, kPackedYuv, 0})
    ->Args ({3840, 2160, kPackedYuv, 0})
    ->Args ({1280, 720, kPackedRgb, 0})
    ->Args ({1920, 1080, kPackedRgb, 0})
    ->Args ({3840, 2160, kPackedRgb, 0})
    /* Cost follows the analysis width. */
    ->Args ({1920, 1080, kPlanar, 128})
    ->Args ({1920, 1080, kPlanar, 256})
    ->Args ({1920, 1080, kPlanar, 320})
    ->Args ({1920, 1080, kPlanar, 640})
    ->Unit (benchmark::kMicrosecond);

BENCHMARK_MAIN ();
