/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the analysis core on plain images. */
#include "clipgen.h"
#include "motiondetector.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

using stillframe::DetectorSettings;
using stillframe::FrameAnalysis;
using stillframe::FrameView;
using stillframe::MotionDetector;
using stillframe::RegionSpec;

namespace {

/* Renders a clipgen scenario frame by frame into a luma buffer. */
class Scenario {
public:
  explicit Scenario (const clipgen::ClipSpec &spec)
      : spec_ (spec), renderer_ (spec),
        y_ ((std::size_t) spec.width * spec.height),
        uv_ ((std::size_t) spec.width * spec.height / 2) {}

  FrameView frame (int index)
  {
    renderer_.render (index, y_.data (), uv_.data (),
        uv_.data () + uv_.size () / 2);
    FrameView view;
    view.channel[0] = y_.data ();
    view.row_stride = spec_.width;
    view.width = spec_.width;
    view.height = spec_.height;
    return view;
  }
  double time (int index) const { return (double) index / spec_.fps; }
  const clipgen::ClipSpec &spec () const { return spec_; }

private:
  clipgen::ClipSpec spec_;
  clipgen::Renderer renderer_;
  std::vector<std::uint8_t> y_, uv_;
};

struct Counts {
  int motion_frames = 0, motion_detected = 0;
  int static_frames = 0, static_detected = 0;
  /* The most motion frames missed in a row: the cut keeps a visit whole
   * while this stays under its post-roll or min-static-duration. */
  int longest_missed_run = 0;
};

Counts
run (const clipgen::ClipSpec &spec, MotionDetector &detector)
{
  Scenario scenario (spec);
  Counts counts;
  int missed_run = 0;
  for (int i = 0; i < spec.frame_count (); i++) {
    FrameAnalysis result = detector.analyse (scenario.frame (i),
        scenario.time (i));
    if (spec.frame_has_motion (i)) {
      counts.motion_frames++;
      counts.motion_detected += result.motion;
      missed_run = result.motion ? 0 : missed_run + 1;
      counts.longest_missed_run = std::max (counts.longest_missed_run,
          missed_run);
    } else if (i > 0) {
      counts.static_frames++;
      counts.static_detected += result.motion;
    }
  }
  return counts;
}

clipgen::ClipSpec
small_spec (double duration, double noise)
{
  clipgen::ClipSpec spec;
  spec.width = 320;
  spec.height = 180;
  spec.fps = 30;
  spec.duration = duration;
  spec.noise_sigma = noise;
  return spec;
}

}  // namespace

TEST (MotionDetector, StaticNoisySceneIsStill)
{
  for (double noise : {0.0, 2.0, 6.0, 12.0}) {
    MotionDetector detector;
    Counts counts = run (small_spec (4, noise), detector);
    EXPECT_EQ (counts.static_detected, 0) << "noise " << noise;
  }
}

TEST (MotionDetector, MovingBoxIsMotionAndStopsAfter)
{
  clipgen::ClipSpec spec = small_spec (6, 4);
  spec.add_spans ("2-3");
  MotionDetector detector;
  Counts counts = run (spec, detector);
  EXPECT_EQ (counts.motion_detected, counts.motion_frames);
  EXPECT_EQ (counts.static_detected, 0);
}

TEST (MotionDetector, ScoreGrowsWithChangedArea)
{
  std::vector<std::uint8_t> frame (64 * 64, 100);
  FrameView view;
  view.channel[0] = frame.data ();
  view.row_stride = 64;
  view.width = view.height = 64;
  DetectorSettings settings;
  settings.analysis_width = 64;
  double previous = 0;
  for (int side : {4, 8, 16}) {
    MotionDetector detector (settings);
    std::fill (frame.begin (), frame.end (), 100);
    detector.analyse (view, 0.0);
    for (int y = 10; y < 10 + side; y++)
      std::memset (&frame[y * 64 + 20], 200, side);
    FrameAnalysis result = detector.analyse (view, 0.04);
    EXPECT_GT (result.score, previous);
    EXPECT_TRUE (result.motion);
    /* The box encloses the change (blur may widen it by a pixel or two). */
    EXPECT_LE (result.box.x, 20);
    EXPECT_LE (result.box.y, 10);
    EXPECT_GE (result.box.x + result.box.width, 20 + side);
    EXPECT_GE (result.box.y + result.box.height, 10 + side);
    EXPECT_LE (result.box.width, side + 4);
    previous = result.score;
  }
}

TEST (MotionDetector, IgnoresGlobalBrightnessStep)
{
  clipgen::ClipSpec spec = small_spec (1, 3);
  Scenario scenario (spec);
  MotionDetector detector;
  std::vector<std::uint8_t> brighter (spec.width * spec.height);
  for (int i = 0; i < 10; i++)
    detector.analyse (scenario.frame (i), scenario.time (i));
  FrameView view = scenario.frame (10);
  for (std::size_t p = 0; p < brighter.size (); p++)
    brighter[p] = (std::uint8_t) std::min (255, view.channel[0][p] * 5 / 4);
  view.channel[0] = brighter.data ();
  const FrameAnalysis stepped = detector.analyse (view, scenario.time (10));
  EXPECT_FALSE (stepped.motion);
  /* It says how far it corrected: a quarter brighter is tens of levels at
   * the brightest, against a fraction of one between still frames. */
  EXPECT_GT (stepped.light_change, 15.0);
  EXPECT_LT (detector.analyse (scenario.frame (11),
          scenario.time (11)).light_change, stepped.light_change);
  MotionDetector still;
  for (int i = 0; i < 10; i++)
    still.analyse (scenario.frame (i), scenario.time (i));
  EXPECT_LT (still.analyse (scenario.frame (10),
          scenario.time (10)).light_change, 1.5);
}

TEST (MotionDetector, ResolutionIndependentScore)
{
  double scores[2];
  int k = 0;
  for (int scale : {1, 4}) {
    clipgen::ClipSpec spec = small_spec (2.5, 2);
    spec.width *= scale;
    spec.height *= scale;
    spec.add_spans ("1-2");
    Scenario scenario (spec);
    MotionDetector detector;
    for (int i = 0; i < 45; i++)
      scores[k] = detector.analyse (scenario.frame (i), scenario.time (i)).score;
    k++;
  }
  EXPECT_GT (scores[0], 0.0);
  EXPECT_NEAR (scores[1] / scores[0], 1.0, 0.2);
}

TEST (MotionDetector, HonoursStrideAndPixelStride)
{
  /* A packed 2-bytes-per-pixel image with padding at each row's end must
   * give the same result as the tightly packed luma. */
  const int w = 64, h = 48, stride = 2 * w + 16;
  std::vector<std::uint8_t> luma (w * h, 80), packed (stride * h, 0);
  DetectorSettings settings;
  settings.analysis_width = 32;
  MotionDetector plain (settings), strided (settings);
  for (int frame = 0; frame < 2; frame++) {
    if (frame == 1)
      for (int y = 8; y < 24; y++)
        std::memset (&luma[y * w + 8], 200, 16);
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        packed[y * stride + 2 * x] = luma[y * w + x];
        packed[y * stride + 2 * x + 1] = 17 * x;    /* chroma: ignored */
      }
    FrameView a, b;
    a.channel[0] = luma.data ();
    a.row_stride = w;
    a.width = b.width = w;
    a.height = b.height = h;
    b.channel[0] = packed.data ();
    b.pixel_stride = 2;
    b.row_stride = stride;
    FrameAnalysis ra = plain.analyse (a, frame), rb = strided.analyse (b, frame);
    EXPECT_DOUBLE_EQ (ra.score, rb.score);
  }
}

TEST (MotionDetector, RgbUsesLuma)
{
  const int w = 32, h = 32;
  std::vector<std::uint8_t> rgb (w * h * 3, 90);
  FrameView view;
  view.kind = FrameView::Kind::Rgb;
  view.channel[0] = rgb.data ();
  view.channel[1] = rgb.data () + 1;
  view.channel[2] = rgb.data () + 2;
  view.pixel_stride = 3;
  view.row_stride = w * 3;
  view.width = w;
  view.height = h;
  MotionDetector detector;
  detector.analyse (view, 0);
  for (int y = 4; y < 12; y++)
    for (int x = 4; x < 12; x++)
      rgb[(y * w + x) * 3 + 1] = 250;   /* green square */
  FrameAnalysis result = detector.analyse (view, 0.04);
  EXPECT_TRUE (result.motion);
  EXPECT_FALSE (result.box.empty ());
}

TEST (MotionDetector, EveryRgbLayoutReadsItsLuma)
{
  /* Colours whose BT.601 luma (77 R + 150 G + 29 B) / 256 is a whole level
   * Y, so that each packed RGB layout must give exactly what the luma plane
   * of Y gives. The channels differ, so reading one for another shows;
   * alpha, padding and the bytes past each row are noise, so reading them
   * shows too. Width 1 takes the per-channel path, the others the packed
   * one. */
  struct Layout {
    const char *name;
    int pixel_stride, r, g, b;
  };
  const Layout layouts[] = {{"RGB", 3, 0, 1, 2}, {"BGR", 3, 2, 1, 0},
    {"RGBx", 4, 0, 1, 2}, {"BGRx", 4, 2, 1, 0}, {"xRGB", 4, 1, 2, 3},
    {"xBGR", 4, 3, 2, 1}};
  for (const int w : {1, 2, 37}) {
    const int h = 24, frames = 5;
    std::mt19937 rng (w);
    std::vector<std::uint8_t> red (w * h), green (w * h), blue (w * h),
        luma (w * h);
    auto paint = [&] (int x, int y) {
      const int i = y * w + x;
      red[i] = rng () % 256;
      green[i] = rng () % 256;
      /* 53 is the inverse of 29 modulo 256. */
      blue[i] = (std::uint8_t) (-(77 * red[i] + 150 * green[i]) * 53);
      luma[i] = (77 * red[i] + 150 * green[i] + 29 * blue[i]) / 256;
    };
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        paint (x, y);
    std::vector<MotionDetector> detectors (1 + std::size (layouts));
    for (int frame = 0; frame < frames; frame++) {
      for (int y = 4 + 3 * frame; y < 10 + 3 * frame; y++)
        for (int x = 0; x < std::min (w, 6); x++)
          paint (x, y);
      FrameView plane;
      plane.channel[0] = luma.data ();
      plane.row_stride = w;
      plane.width = w;
      plane.height = h;
      const FrameAnalysis expected = detectors[0].analyse (plane, frame * 0.1);
      for (std::size_t l = 0; l < std::size (layouts); l++) {
        const Layout &layout = layouts[l];
        /* The last row ends with its last pixel: reading past it is an
         * error the sanitizer run reports. */
        const int stride = w * layout.pixel_stride + 5;
        std::vector<std::uint8_t> packed ((std::size_t) stride * (h - 1)
            + w * layout.pixel_stride);
        for (std::uint8_t &byte : packed)
          byte = rng () % 256;
        for (int y = 0; y < h; y++)
          for (int x = 0; x < w; x++) {
            std::uint8_t *pixel = &packed[y * stride + x * layout.pixel_stride];
            pixel[layout.r] = red[y * w + x];
            pixel[layout.g] = green[y * w + x];
            pixel[layout.b] = blue[y * w + x];
          }
        FrameView view;
        view.kind = FrameView::Kind::Rgb;
        view.channel[0] = &packed[layout.r];
        view.channel[1] = &packed[layout.g];
        view.channel[2] = &packed[layout.b];
        view.pixel_stride = layout.pixel_stride;
        view.row_stride = stride;
        view.width = w;
        view.height = h;
        const FrameAnalysis got = detectors[1 + l].analyse (view, frame * 0.1);
        EXPECT_DOUBLE_EQ (got.score, expected.score)
            << layout.name << ", width " << w << ", frame " << frame;
        EXPECT_EQ (got.motion, expected.motion) << layout.name;
      }
    }
  }
}

/* Issue 4's scenario types, one small generated clip each. */

TEST (Scenarios, SlowCreepIsMotion)
{
  /* 0.01 frame widths per second: 0.1 px per frame at 320 px wide. */
  clipgen::ClipSpec spec = small_spec (14, 3);
  spec.add_spans ("2-12");
  spec.boxes[0].speed = 0.01;
  spec.boxes[0].contrast = 30;
  MotionDetector detector;
  Counts counts = run (spec, detector);
  EXPECT_GE (counts.motion_detected, counts.motion_frames * 99 / 100);
}

TEST (Scenarios, CreepAcrossSamplePointsStaysAnEvent)
{
  /* 80x130 px at 720p creeping 0.25 px a frame: an edge crosses a sample
   * point of the analysed image (8 px apart) about once a second, and
   * looks still in between for longer than the settle time. */
  clipgen::ClipSpec spec = small_spec (12, 3);
  spec.width = 1280;
  spec.height = 720;
  spec.add_spans ("1-11");
  spec.boxes[0].size = 0.18;
  spec.boxes[0].aspect = 0.615;
  spec.boxes[0].speed = 0.25 * 30 / 1280;
  spec.boxes[0].contrast = 20;
  MotionDetector detector;
  const Counts counts = run (spec, detector);
  /* Gaps stay well under the cut's min-static-duration (3 s), so the
   * creep is kept whole. */
  EXPECT_LT (counts.longest_missed_run, 2 * 30);
  /* Only its vanishing at the end, a change, for less than the settle
   * time. */
  EXPECT_LT (counts.static_detected, 18);
}

TEST (Scenarios, RelocatedObjectIsSceneryAfterTheSettleTime)
{
  /* An object carried in for 1 s and put down is motion while carried and
   * scenery soon after; at 2 fps (a time-lapse) from the frame after the
   * one that shows it arrive: a frame like the one before is half a second
   * of stillness already. */
  for (int fps : {30, 2}) {
    clipgen::ClipSpec spec = small_spec (8, 3);
    spec.fps = fps;
    spec.add_relocations ("2", 1.0);
    MotionDetector detector;
    Scenario scenario (spec);
    int last_motion = -1;
    for (int i = 0; i < spec.frame_count (); i++)
      if (detector.analyse (scenario.frame (i), scenario.time (i)).motion)
        last_motion = i;
    ASSERT_GE (last_motion, 0) << fps << " fps: never motion";
    const double after_stop = scenario.time (last_motion) - 3.0;
    if (fps == 2)
      EXPECT_LT (after_stop, 0.5) << "motion until " << after_stop
          << " s after the object stopped";
    else
      EXPECT_LE (after_stop, 0.8) << "motion until " << after_stop
          << " s after the object stopped";
  }
}

TEST (Scenarios, SnowIsNotMotionButAWalkerInItIs)
{
  /* Streaks falling all over the frame the whole time; a box crosses from
   * 4 s to 6 s. */
  clipgen::ClipSpec spec = small_spec (9, 3);
  /* At 720p, as the accuracy benchmark's snow: flakes a pixel or two
   * across in the analysed image. */
  spec.width = 1280;
  spec.height = 720;
  spec.hard.precipitation = 400;
  spec.add_spans ("4-6");
  for (bool ignore : {true, false}) {
    DetectorSettings settings;
    settings.ignore_clutter = ignore;
    MotionDetector detector (settings);
    Counts counts = run (spec, detector);
    if (ignore) {
      EXPECT_EQ (counts.motion_detected, counts.motion_frames);
      EXPECT_LE (counts.static_detected, counts.static_frames / 20);
    } else {
      /* Counted, the snow is motion: the setting is what tells it apart. */
      EXPECT_GE (counts.static_detected, counts.static_frames / 2);
    }
  }
}

TEST (Scenarios, HeavyRainIsNotMotionButAWalkerInItIs)
{
  /* Long, fast drops, dense: now and then a few of them land together
   * as a part larger than the rest, or a frame has only a few parts. */
  clipgen::ClipSpec spec = small_spec (12, 3);
  spec.width = 1280;
  spec.height = 720;
  spec.hard.precipitation = 800;
  spec.hard.precipitation_length = 14;
  spec.hard.precipitation_speed = 24;
  spec.hard.precipitation_contrast = 40;
  spec.add_spans ("5-8");
  MotionDetector detector;
  Scenario scenario (spec);
  int motion_frames = 0, motion_detected = 0, static_detected = 0;
  for (int i = 0; i < spec.frame_count (); i++) {
    const bool motion = detector.analyse (scenario.frame (i),
        scenario.time (i)).motion;
    if (spec.frame_has_motion (i)) {
      motion_frames++;
      motion_detected += motion;
    } else if (scenario.time (i) >= 1.0) {
      /* After the first second, in which the scene is learned from
       * frames with drops in them and its clutter counted. */
      static_detected += motion;
    }
  }
  EXPECT_EQ (motion_detected, motion_frames);
  EXPECT_EQ (static_detected, 0);
}

TEST (Scenarios, SeveralWalkersAreNotClutter)
{
  /* Five people of one size at once: parts as many as snow's, but each
   * larger than a flake could be. */
  clipgen::ClipSpec spec = small_spec (8, 3);
  spec.add_spans ("2-6,2.3-6,2.6-6,2.9-6,3.2-6");
  for (clipgen::MovingBox &box : spec.boxes)
    box.size = 0.07;
  MotionDetector detector;
  Counts counts = run (spec, detector);
  EXPECT_EQ (counts.motion_detected, counts.motion_frames);
}

TEST (Scenarios, SmallFaintObjectAtNightIsMotion)
{
  /* A 9-pixel box, 30 levels over noise of sigma 10. */
  clipgen::ClipSpec spec = small_spec (6, 10);
  spec.add_spans ("2-4");
  spec.boxes[0].size = 0.05;
  spec.boxes[0].contrast = 30;
  MotionDetector detector;
  Counts counts = run (spec, detector);
  /* Found in most frames, and never lost for as long as the cut's default
   * post-roll (1 s), so the whole visit is kept; nothing in the noise. */
  EXPECT_GE (counts.motion_detected, 0.8 * counts.motion_frames);
  EXPECT_LT (counts.longest_missed_run, 30);
  EXPECT_EQ (counts.static_detected, 0);
}

TEST (Scenarios, StandingPersonStaysAnEvent)
{
  /* Walks in for 1 s, then stands nearly still for 10 s (swaying by one
   * pixel): the visit must not be cut in the middle. Something that does
   * not move at all is learned as scenery within about 1 s, by design. */
  clipgen::ClipSpec spec = small_spec (14, 3);
  spec.add_spans ("1-12");
  spec.boxes[0].stand_after = 1;
  spec.boxes[0].sway = 1;
  MotionDetector detector;
  /* Shorter than the cut's min-static-duration (3 s): the span stays. */
  EXPECT_LT (run (spec, detector).longest_missed_run, 3 * 30);
}

TEST (Scenarios, SlowLightingDriftIsStill)
{
  clipgen::ClipSpec spec = small_spec (20, 4);
  spec.drift_amplitude = 30;
  spec.drift_period = 20;
  MotionDetector detector;
  EXPECT_EQ (run (spec, detector).static_detected, 0);
}

TEST (Scenarios, MovedCameraIsRelearned)
{
  /* A scene cut (another scene, as after the camera was moved): motion at
   * the cut, then still again within seconds, and motion in the new scene
   * is still found. */
  clipgen::ClipSpec before = small_spec (4, 3), after = small_spec (12, 3);
  after.seed = 7;
  after.add_spans ("8-9");
  Scenario first (before);
  MotionDetector detector;
  for (int i = 0; i < before.frame_count (); i++)
    detector.analyse (first.frame (i), first.time (i));
  /* The new scene: brighter and shifted, so it really differs. */
  Scenario second (after);
  std::vector<std::uint8_t> shifted ((std::size_t) after.width * after.height);
  int still_after = -1, motion_later = 0;
  for (int i = 0; i < after.frame_count (); i++) {
    FrameView view = second.frame (i);
    for (int y = 0; y < after.height; y++)
      for (int x = 0; x < after.width; x++)
        shifted[(std::size_t) y * after.width + x] = (std::uint8_t) std::min (
            255, view.channel[0][(std::size_t) y * after.width
                + (x + 40) % after.width] + 25);
    view.channel[0] = shifted.data ();
    const double t = before.duration + second.time (i);
    const bool motion = detector.analyse (view, t).motion;
    if (!motion && still_after < 0 && !after.frame_has_motion (i))
      still_after = i;
    if (after.frame_has_motion (i))
      motion_later += motion;
  }
  ASSERT_GE (still_after, 0) << "never still again after the cut";
  EXPECT_LT (second.time (still_after), 4.0);
  /* Its first frame and a few where the brightened scene clips the box are
   * missed; the pre- and post-roll of the cut cover such gaps. */
  EXPECT_GE (motion_later, 0.8 * 30);
}

TEST (MotionDetector, IgnoreRegionHidesMotion)
{
  clipgen::ClipSpec spec = small_spec (3, 3);
  spec.add_spans ("1-2");
  DetectorSettings settings;
  /* The band the box crosses (30 % of the height, see the mask test). */
  settings.ignore_regions = stillframe::parse_regions ("0.0,0.1,1.0,0.6");
  MotionDetector ignoring (settings);
  Counts counts = run (spec, ignoring);
  EXPECT_EQ (counts.motion_detected, 0);

  settings.ignore_regions.clear ();
  settings.regions = stillframe::parse_regions ("0,0,10,10");  /* a corner */
  MotionDetector corner (settings);
  counts = run (spec, corner);
  EXPECT_EQ (counts.motion_detected, 0);
}

/* A 16x9 mask, black over rows [black_from, black_to) of 9, written as
 * binary or plain PGM. */
static std::string
write_mask (const std::string &name, int black_from, int black_to, bool plain)
{
  const std::string path = ::testing::TempDir () + name;
  std::ofstream out (path, std::ios::binary);
  out << (plain ? "P2" : "P5") << "\n# stillframe test mask\n16 9\n255\n";
  for (int y = 0; y < 9; y++)
    for (int x = 0; x < 16; x++) {
      const int v = y >= black_from && y < black_to ? 0 : 255;
      if (plain)
        out << v << (x == 15 ? "\n" : " ");
      else
        out.put ((char) v);
    }
  return path;
}

TEST (MotionDetector, IgnoreMaskHidesMotion)
{
  /* clipgen's first box crosses at 30 % of the height: rows 2-4 of 9. */
  clipgen::ClipSpec spec = small_spec (3, 3);
  spec.add_spans ("1-2");
  for (bool plain : {false, true}) {
    DetectorSettings settings;
    settings.ignore_mask = stillframe::load_pgm_mask (write_mask ("band.pgm",
            1, 6, plain));
    EXPECT_EQ (settings.ignore_mask.width, 16);
    MotionDetector masked (settings);
    EXPECT_EQ (run (spec, masked).motion_detected, 0) << "plain " << plain;

    settings.ignore_mask = stillframe::load_pgm_mask (write_mask ("top.pgm",
            0, 1, plain));
    MotionDetector top_masked (settings);
    Counts counts = run (spec, top_masked);
    EXPECT_EQ (counts.motion_detected, counts.motion_frames);
  }
}

TEST (MotionDetector, BadMaskFilesAreNamed)
{
  auto message = [] (const std::string &path) -> std::string {
    try {
      stillframe::load_pgm_mask (path);
    } catch (const std::invalid_argument &e) {
      return e.what ();
    }
    return "";
  };
  EXPECT_NE (message ("/nonexistent.pgm").find ("cannot read"),
      std::string::npos);
  const std::string png = ::testing::TempDir () + "mask.png";
  std::ofstream (png) << "\x89PNG....";
  EXPECT_NE (message (png).find ("not a PGM"), std::string::npos);
  const std::string cut = ::testing::TempDir () + "cut.pgm";
  std::ofstream (cut, std::ios::binary) << "P5 16 9 255\n" << std::string (20,
      'x');
  EXPECT_NE (message (cut).find ("truncated"), std::string::npos);
}

/* Settings that cannot apply to the frame are errors naming the problem,
 * on every frame, not a silently empty analysis. */
TEST (MotionDetector, SettingsThatDoNotFitTheFrameAreErrors)
{
  std::vector<std::uint8_t> pixels (64 * 48, 100);
  FrameView view;
  view.channel[0] = pixels.data ();
  view.width = 64;
  view.height = 48;
  view.row_stride = 64;
  auto message = [&] (const DetectorSettings &settings) -> std::string {
    MotionDetector detector (settings);
    std::string first;
    for (int i = 0; i < 2; i++) {
      try {
        detector.analyse (view, i / 30.0);
      } catch (const std::invalid_argument &e) {
        if (i == 0)
          first = e.what ();
        else
          EXPECT_EQ (first, e.what ());
        continue;
      }
      ADD_FAILURE () << "frame " << i << " was analysed";
    }
    return first;
  };
  DetectorSettings settings;
  settings.regions = stillframe::parse_regions ("40,0,30,10");
  EXPECT_NE (message (settings).find ("'regions' region '40,0,30,10' reaches "
          "past the 64x48 frame"), std::string::npos);
  settings.regions.clear ();
  settings.ignore_regions = stillframe::parse_regions ("0,40,10,10");
  EXPECT_NE (message (settings).find ("'ignore-regions'"), std::string::npos);
  settings.ignore_regions = stillframe::parse_regions ("0.0,0.0,1.0,1.0");
  EXPECT_NE (message (settings).find ("nothing of the frame is left"),
      std::string::npos);
  settings.ignore_regions.clear ();
  settings.ignore_mask = stillframe::load_pgm_mask (write_mask ("black.pgm",
          0, 9, false));
  EXPECT_NE (message (settings).find ("nothing of the frame is left"),
      std::string::npos);
  /* Fitting exactly is fine. */
  settings = DetectorSettings ();
  settings.regions = stillframe::parse_regions ("0,0,64,48");
  MotionDetector detector (settings);
  EXPECT_NO_THROW (detector.analyse (view, 0));
}

TEST (Regions, ParsesPixelsAndFractions)
{
  auto regions = stillframe::parse_regions (" 10,20,30,40 ; 0.5,0.0,0.5,1.0");
  ASSERT_EQ (regions.size (), 2u);
  EXPECT_FALSE (regions[0].fractional);
  EXPECT_TRUE (regions[1].fractional);
  stillframe::PixelRect r = regions[1].resolve (640, 360);
  EXPECT_EQ (r.x, 320);
  EXPECT_EQ (r.width, 320);
  EXPECT_EQ (r.height, 360);
  EXPECT_TRUE (stillframe::parse_regions ("").empty ());
}

TEST (Regions, RejectsBadInput)
{
  for (const char *bad : {"1,2,3", "1,2,3,4,5", "a,b,c,d", "0.5,0,0.5,1",
          "0.6,0.0,0.5,1.0", "1,1,0,5", "-1,0,4,4"})
    EXPECT_THROW (stillframe::parse_regions (bad), std::invalid_argument)
        << bad;
}

TEST (MotionDetector, RejectsBadSettingsAndViews)
{
  DetectorSettings settings;
  settings.threshold = 0;
  EXPECT_THROW (MotionDetector detector (settings), std::invalid_argument);
  MotionDetector detector;
  FrameView empty;
  EXPECT_THROW (detector.analyse (empty, 0), std::invalid_argument);
}

TEST (MotionDetector, LoneFaintFrameIsNotMotion)
{
  std::vector<std::uint8_t> flat (64 * 64, 100), patch = flat;
  for (int y = 30; y < 33; y++)
    std::memset (&patch[y * 64 + 30], 160, 3);
  FrameView view;
  view.row_stride = 64;
  view.width = view.height = 64;
  DetectorSettings settings;
  settings.analysis_width = 64;

  /* Measure the patch's score, then put the threshold at half of it. */
  MotionDetector probe (settings);
  view.channel[0] = flat.data ();
  probe.analyse (view, 0);
  view.channel[0] = patch.data ();
  const double score = probe.analyse (view, 0.04).score;
  ASSERT_GT (score, 0.0);
  settings.threshold = score / 2;

  MotionDetector detector (settings);
  const std::vector<std::uint8_t> *frames[] = { &flat, &patch, &flat, &patch,
    &patch };
  const bool expected[] = { false, false, false, false, true };
  for (int i = 0; i < 5; i++) {
    view.channel[0] = frames[i]->data ();
    FrameAnalysis result = detector.analyse (view, 0.04 * i);
    EXPECT_EQ (result.motion, expected[i]) << "frame " << i;
  }

  /* Well over the threshold, one frame is enough. */
  settings.threshold = score / 5;
  MotionDetector sure (settings);
  view.channel[0] = flat.data ();
  sure.analyse (view, 0);
  view.channel[0] = patch.data ();
  EXPECT_TRUE (sure.analyse (view, 0.04).motion);
}

TEST (MotionDetector, NoisyPatchIsLearnedFromTheStart)
{
  /* A flat scene with one patch far noisier than the rest (foliage, a
   * codec's worst macroblocks): the global noise level suits the flat
   * part, and the patch's own noise must be learned within a few frames
   * of the start, not over the seconds a long-run average takes. */
  const int w = 320, h = 180;
  std::vector<std::uint8_t> frame ((std::size_t) w * h);
  FrameView view;
  view.channel[0] = frame.data ();
  view.row_stride = w;
  view.width = w;
  view.height = h;
  std::mt19937 random (3);
  std::normal_distribution<double> quiet (0.0, 0.5), loud (0.0, 8.0);
  MotionDetector detector;
  int motion_after_warmup = 0;
  for (int i = 0; i < 90; i++) {
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        const bool in_patch = x >= 40 && x < 120 && y >= 40 && y < 120;
        const double v = 100 + (in_patch ? loud (random) : quiet (random));
        frame[(std::size_t) y * w + x] =
            (std::uint8_t) std::clamp ((int) std::lround (v), 0, 255);
      }
    const bool motion = detector.analyse (view, i / 30.0).motion;
    if (i >= 10)
      motion_after_warmup += motion;
  }
  EXPECT_EQ (motion_after_warmup, 0);
}

/* A plain wall over a brighter table, faintly textured, under a soft
 * shadow cast from outside the picture: it darkens by up to `shadow_depth`
 * levels around (80, 110), fading in from 1 s to 1.5 s, and a glossy spot
 * in it (a highlight on a bottle) loses twice as much. An optional dark
 * object crosses the shadowed area from 2 s to 3 s. */
class ShadowScene {
public:
  static constexpr int kWidth = 320, kHeight = 180;

  ShadowScene () : frame_ ((std::size_t) kWidth * kHeight), random_ (5)
  {
    view_.channel[0] = frame_.data ();
    view_.row_stride = kWidth;
    view_.width = kWidth;
    view_.height = kHeight;
  }

  const FrameView &frame (double t, double shadow_depth, bool object)
  {
    const double fade = std::clamp ((t - 1.0) / 0.5, 0.0, 1.0);
    const int object_x = (int) std::lround (40 + (t - 2.0) * 100);
    for (int y = 0; y < kHeight; y++)
      for (int x = 0; x < kWidth; x++) {
        const double scenery = (y < 120 ? 110 : 170)
            + 3 * std::sin (x * 0.21) * std::cos (y * 0.17);
        const double dx = (x - 80) / 60.0, dy = (y - 110) / 50.0;
        const bool glossy = std::abs (x - 84) < 5 && std::abs (y - 96) < 8;
        const double shadow = fade * shadow_depth * (glossy ? 2.0 : 1.0)
            * std::exp (-(dx * dx + dy * dy));
        double v = scenery - shadow + noise_ (random_);
        if (object && t >= 2.0 && t < 3.0 && std::abs (x - object_x) < 6
            && std::abs (y - 100) < 6)
          v -= 35;
        frame_[(std::size_t) y * kWidth + x] =
            (std::uint8_t) std::clamp ((int) std::lround (v), 0, 255);
      }
    return view_;
  }

private:
  std::vector<std::uint8_t> frame_;
  FrameView view_;
  std::mt19937 random_;
  std::normal_distribution<double> noise_ { 0.0, 1.5 };
};

TEST (Scenarios, SoftShadowFromOutsideIsStill)
{
  ShadowScene scene;
  MotionDetector detector;
  int motion = 0;
  for (int i = 0; i < 120; i++)
    motion += detector.analyse (scene.frame (i / 30.0, 12, false),
        i / 30.0).motion;
  EXPECT_EQ (motion, 0);
}

TEST (Scenarios, ObjectInsideSoftShadowIsMotion)
{
  ShadowScene scene;
  MotionDetector detector;
  int motion_before = 0, motion_during = 0;
  for (int i = 0; i < 90; i++) {
    const double t = i / 30.0;
    const bool motion = detector.analyse (scene.frame (t, 12, true),
        t).motion;
    (t < 2.0 ? motion_before : motion_during) += motion;
  }
  EXPECT_EQ (motion_before, 0);
  EXPECT_GE (motion_during, 27);        /* of 30 frames */
}

TEST (Scenarios, CloudShadowOverBrightAndDarkIsStill)
{
  /* A cloud shadow crosses the scene's bright and dark blocks in 35 s,
   * as in the accuracy benchmark, with fluorescent flicker: it darkens the
   * bright ones by many more levels, all by the same share. A box crosses
   * in it. The deep one's flank is steep: the background lags it by tens
   * of levels. */
  for (const auto &[depth, size] : {std::pair {0.25, 1.2},
           std::pair {0.45, 0.8}}) {
    clipgen::ClipSpec spec = small_spec (37, 3);
    spec.width = 640;
    spec.height = 360;
    spec.hard.flicker = 0.03;
    spec.hard.shadow_start = 1;
    spec.hard.shadow_end = 36;
    spec.hard.shadow_depth = depth;
    spec.hard.shadow_size = size;
    spec.add_spans ("16-18");
    MotionDetector detector;
    const Counts counts = run (spec, detector);
    EXPECT_EQ (counts.static_detected, 0) << "depth " << depth;
    EXPECT_EQ (counts.motion_detected, counts.motion_frames)
        << "depth " << depth;
  }
}

TEST (Scenarios, FlatCarOnAFlatRoadIsNotLight)
{
  /* A uniform car 12 % darker than a uniform road drives in from the
   * edge: over all of it the change is one smooth share, as a shadow's
   * would be. Its edges are sharp, and it was foreground from its first
   * frames, so it does not pass for light. */
  constexpr int kWidth = 640, kHeight = 360;
  std::vector<std::uint8_t> pixels ((std::size_t) kWidth * kHeight);
  std::mt19937 random (3);
  std::normal_distribution<double> noise (0.0, 2.0);
  MotionDetector detector;
  int visible = 0, detected = 0, false_alarms = 0;
  for (int i = 0; i < 150; i++) {
    const double t = i / 30.0;
    const int car_x = (int) std::lround (-160 + (t - 1.0) * 300);
    const bool in_view = t >= 1.0 && t < 4.0 && car_x + 160 > 0
        && car_x < kWidth;
    for (int y = 0; y < kHeight; y++)
      for (int x = 0; x < kWidth; x++) {
        const bool car = in_view && x >= car_x && x < car_x + 160
            && y >= 150 && y < 240;
        pixels[(std::size_t) y * kWidth + x] = (std::uint8_t) std::lround (
            std::clamp (120 + noise (random) - (car ? 15 : 0), 0.0, 255.0));
      }
    FrameView view;
    view.channel[0] = pixels.data ();
    view.row_stride = kWidth;
    view.width = kWidth;
    view.height = kHeight;
    const bool motion = detector.analyse (view, t).motion;
    if (in_view) {
      visible++;
      detected += motion;
    } else if (i > 0) {
      false_alarms += motion;
    }
  }
  EXPECT_EQ (detected, visible);
  EXPECT_EQ (false_alarms, 0);
}

TEST (MotionDetector, Avx2VariantGivesTheBaselineResults)
{
  MotionDetector avx2, baseline;
  if (!avx2.allow_avx2 (true))
    GTEST_SKIP () << "this processor has no AVX2";
  ASSERT_FALSE (baseline.allow_avx2 (false));
  auto expect_same = [] (const FrameAnalysis &a, const FrameAnalysis &b,
      const char *what, int frame) {
    EXPECT_EQ (a.score, b.score) << what << ", frame " << frame;
    EXPECT_EQ (a.motion, b.motion) << what << ", frame " << frame;
    EXPECT_EQ (a.noise_level, b.noise_level) << what << ", frame " << frame;
    EXPECT_EQ (a.box.x, b.box.x) << what << ", frame " << frame;
    EXPECT_EQ (a.box.y, b.box.y) << what << ", frame " << frame;
    EXPECT_EQ (a.box.width, b.box.width) << what << ", frame " << frame;
    EXPECT_EQ (a.box.height, b.box.height) << what << ", frame " << frame;
  };

  /* Local light, an object in it, and the same frames as packed BGRx, so
   * that every path of the analysis runs in both variants. */
  ShadowScene scene;
  MotionDetector avx2_rgb, baseline_rgb;
  baseline_rgb.allow_avx2 (false);
  std::vector<std::uint8_t> bgrx ((std::size_t) ShadowScene::kWidth
      * ShadowScene::kHeight * 4);
  int motion_frames = 0;
  for (int i = 0; i < 100; i++) {
    const double t = i / 30.0;
    const FrameView &luma = scene.frame (t, 12, true);
    for (std::size_t p = 0; p < bgrx.size () / 4; p++)
      std::fill_n (&bgrx[4 * p], 3, luma.channel[0][p]);
    FrameView rgb = luma;
    rgb.kind = FrameView::Kind::Rgb;
    rgb.channel[0] = &bgrx[2];
    rgb.channel[1] = &bgrx[1];
    rgb.channel[2] = &bgrx[0];
    rgb.pixel_stride = 4;
    rgb.row_stride = ShadowScene::kWidth * 4;
    const FrameAnalysis expected = baseline.analyse (luma, t);
    motion_frames += expected.motion;
    expect_same (avx2.analyse (luma, t), expected, "luma", i);
    expect_same (avx2_rgb.analyse (rgb, t), baseline_rgb.analyse (rgb, t),
        "BGRx", i);
  }
  EXPECT_GT (motion_frames, 0);

  /* Boxes coming and going, that stop and are learned, in a drifting
   * light, with noise. */
  clipgen::ClipSpec spec = small_spec (8.0, 4.0);
  spec.drift_amplitude = 10.0;
  spec.drift_period = 4.0;
  spec.add_spans ("1-2.5,4-4.5,6-7");
  Scenario frames (spec);
  avx2.reset ();
  baseline.reset ();
  for (int i = 0; i < spec.frame_count (); i++) {
    const FrameView view = frames.frame (i);
    expect_same (avx2.analyse (view, frames.time (i)),
        baseline.analyse (view, frames.time (i)), "clip", i);
  }
}
