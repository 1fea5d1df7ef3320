/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "motiondetector.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* The per-frame work is also compiled for AVX2 (twice the vector width;
 * about 15 % less time per frame) and chosen at run time. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define STILLFRAME_AVX2_VARIANT 1
#endif

namespace stillframe {

namespace {

/* BT.601 luma weights of R, G and B in 1/256ths; a 2x2 block's weighted
 * sum times kLumaBlockScale is its mean luma. */
constexpr std::int16_t kLumaWeights[3] = {77, 150, 29};
constexpr float kLumaBlockScale = 1.0f / 1024.0f;
/* Illumination and noise are estimated separately for pixels of different
 * background brightness: sensor noise grows with brightness and exposure or
 * gamma changes shift dark and bright pixels by different amounts. */
constexpr int kBrightnessBins = 8;
constexpr int kBinWidth = 256 / kBrightnessBins;
/* Signed differences are histogrammed in half levels over +-64 levels. */
constexpr int kOffsetHistSize = 256;
constexpr float kOffsetHistScale = 2.0f;
/* Absolute deviations in quarter levels up to 64 levels. */
constexpr int kDeviationHistSize = 256;
constexpr float kDeviationHistScale = 4.0f;
/* Illumination and noise statistics look at every kStatsStride-th pixel
 * of every kStatsStride-th row: plenty for medians, a quarter of the cost. */
constexpr int kStatsStride = 2;
/* A changed pixel must differ by at least this many levels, whatever the
 * measured noise: below it, codec rounding alone explains the change. */
constexpr float kMinPixelDifference = 2.0f;
constexpr float kMinNoiseSigma = 0.35f;
/* Background adaptation time constants (seconds): where nothing changed the
 * background follows the scene quickly (lighting drift); where something
 * changed it absorbs the change slowly, so an object that stops is still
 * reported for a long while but is eventually accepted as scenery. */
constexpr double kFollowTime = 2.0;
/* Where the local light changes (a shadow passing), faster: a background
 * that lags a deep, moving shadow by tens of levels leaves more than its
 * smooth share can explain where the lag changes sign. */
constexpr double kLightFollowTime = 1.0;
constexpr float kLightFollowShare = 0.05f;
constexpr double kVarianceTime = 5.0;
constexpr double kAbsorbTime = 60.0;
/* Foreground with no activity within kActivityRadius (analysis pixels)
 * for this long is scenery that changed (a parked car, a moved chair, a
 * moved camera) and is learned at once: an object put down stops being an
 * event soon after the hand has left. Activity is a change from the
 * previous frame or from the frame of up to kActivityBaseline before: a
 * person standing or sitting nearly still moves too slowly to show from
 * one frame to the next, but not over half a second, and stays an event.
 * The time is rounded to whole frames, at least one: at 2 fps a frame like
 * the one before is half a second of stillness already. */
constexpr double kSettleTime = 0.6;
constexpr double kActivityBaseline = 0.5;
constexpr int kActivityRadius = 6;
/* Something that creeps (a fraction of a pixel a frame) changes the
 * subsampled image only when an edge crosses a sample point, which may
 * take longer than kSettleTime: it settles between two crossings. What
 * settled is remembered for this long, and where it goes back to what it
 * showed before (its trailing edge moves on), the old background comes
 * back around it, so that a slow mover stays an event. */
constexpr double kSettleMemory = 3.0;
constexpr double kLoneFrameFactor = 4.0;
/* DetectorSettings::ignore_clutter's numbers. */
constexpr int kClutterBlobs = 4;
constexpr int kClutterFactor = 4;
/* Parts of at least this share of the analysed area always count: flakes
 * and drops are smaller, a person is not. */
constexpr double kClutterLargest = 0.0015;
/* How far (analysis pixels) a smaller part may have moved since the frame
 * before to count. */
constexpr int kClutterTravel = 2;
/* A frame with fewer parts is cluttered too while the scene's frames have
 * kClutterParts or more on average over kClutterMemory (seconds): rain
 * does not always make kClutterBlobs parts. */
constexpr double kClutterParts = 3.0;
constexpr double kClutterMemory = 1.0;
constexpr double kDefaultFrameInterval = 1.0 / 30.0;
/* How far (analysis pixels) the image may shift without counting as
 * motion, see pass 3. */
constexpr int kJitterRadius = 1;
/* ... narrowed to this share of the way from a pixel's background to its
 * neighbours': a shift of most of a pixel, not all of it, so that an
 * object that nearly matches the scenery beside a strong edge is not
 * taken for the edge. */
constexpr float kJitterShare = 0.75f;
/* An isolated changed pixel is noise: keep pixels with at least this many
 * changed pixels in their 3x3 neighbourhood (themselves included). */
constexpr int kMinNeighbourhoodCount = 3;
/* Light that changes over part of the scene (a shadow cast from outside
 * the picture, a lamp, a cloud's edge) is smooth and scales what it falls
 * on: what is left of the difference after the global offset, as a share
 * of the background, averaged over a window of 1/kLocalLightWindows of
 * the analysis width, is taken as a local change of light. A share, not
 * levels: a shadow darkens a white wall by more levels than the dark
 * asphalt beside it, by the same share. Objects have edges, which such
 * an average does not follow. Foreground is left out of the average, and
 * shares are clipped to kLocalLightClip first, so that an object barely
 * moves its surroundings' light. Backgrounds darker than kLightFloor
 * count as that bright, so that noise on black is no change of light.
 * The average is kept on a grid of every kLocalLightStride-th pixel and
 * row: it is smooth, and cheap there. */
constexpr int kLocalLightWindows = 10;
constexpr float kLocalLightClip = 0.25f;
constexpr float kLightFloor = 16.0f;
constexpr int kLocalLightStride = 4;
/* Surfaces answer a change of light by different amounts (a glossy
 * bottle, water, a specular highlight): a pixel's change is explained by
 * light up to this multiple of the local average. */
constexpr float kLocalLightReach = 2.0f;

/* By value, unlike std::min/std::max, which return references the
 * vectoriser cannot see through. */
inline float
min_of (float a, float b)
{
  return b < a ? b : a;
}

inline float
max_of (float a, float b)
{
  return a < b ? b : a;
}

/* The local change of light `share` (see kLocalLightWindows) in levels,
 * on a background of `level`. */
inline float
light_levels (float share, float level)
{
  return share * max_of (level, kLightFloor);
}

/* The part of a pixel's own difference `own` that the local change of
 * light `local` (levels) explains: up to kLocalLightReach times it, in its
 * direction, and never more than the difference itself (it may explain a
 * change, never add one). */
inline float
light_within (float local, float own)
{
  const float reach = kLocalLightReach * local;
  return min_of (max_of (reach, min_of (own, 0.0f)), max_of (own, 0.0f));
}

/* out = the mean of each pixel's (2r+1)^2 neighbourhood, clipped at the
 * borders (running sums: the cost does not depend on r). out may be in. */
void
box_mean (const cv::Mat &in, int r, cv::Mat &out, cv::Mat &columns,
    std::vector<float> &prefix)
{
  const int h = in.rows, w = in.cols;
  out.create (h, w, CV_32F);
  columns.create (h + 1, w, CV_32F);     /* row j: sum of rows < j */
  std::fill_n (columns.ptr<float> (0), w, 0.0f);
  for (int j = 0; j < h; j++) {
    const float *above = columns.ptr<float> (j), *row = in.ptr<float> (j);
    float *sum = columns.ptr<float> (j + 1);
    for (int i = 0; i < w; i++)
      sum[i] = above[i] + row[i];
  }
  prefix.resize (w + 1);
  for (int j = 0; j < h; j++) {
    const int top = std::max (j - r, 0), bottom = std::min (j + r + 1, h);
    const float *a = columns.ptr<float> (top), *b = columns.ptr<float> (bottom);
    float *o = out.ptr<float> (j);
    prefix[0] = 0;
    for (int i = 0; i < w; i++)
      prefix[i + 1] = prefix[i] + (b[i] - a[i]);
    for (int i = 0; i < w; i++) {
      const int left = std::max (i - r, 0), right = std::min (i + r + 1, w);
      o[i] = (prefix[right] - prefix[left])
          / (float) ((right - left) * (bottom - top));
    }
  }
}

/* Row-wise helpers of the 3x3 filters below; __restrict (only honoured on
 * parameters) lets them vectorise. Input rows may be the same row. */
void
blur_rows (int n, const float *__restrict up, const float *__restrict mid,
    const float *__restrict down, float *__restrict dst)
{
  for (int i = 0; i < n; i++)
    dst[i] = 0.25f * (up[i] + down[i]) + 0.5f * mid[i];
}

void
min_rows (int n, const float *__restrict a, const float *__restrict b,
    const float *__restrict c, float *__restrict dst)
{
  for (int i = 0; i < n; i++)
    dst[i] = min_of (min_of (a[i], b[i]), c[i]);
}

void
max_rows (int n, const float *__restrict a, const float *__restrict b,
    const float *__restrict c, float *__restrict dst)
{
  for (int i = 0; i < n; i++)
    dst[i] = max_of (max_of (a[i], b[i]), c[i]);
}

/* out = in blurred by the [1 2 1]/4 kernel in both directions, borders
 * replicated (what cv::GaussianBlur does for 3x3 and sigma 0, without its
 * per-call overhead, which dominates on images this small). */
void
blur3x3 (const cv::Mat &in, cv::Mat &out, cv::Mat &rows)
{
  const int h = in.rows, w = in.cols;
  rows.create (h, w, CV_32F);
  out.create (h, w, CV_32F);
  for (int j = 0; j < h; j++) {
    const float *src = in.ptr<float> (j);
    float *dst = rows.ptr<float> (j);
    dst[0] = 0.75f * src[0] + 0.25f * src[std::min (1, w - 1)];
    for (int i = 1; i < w - 1; i++)
      dst[i] = 0.25f * (src[i - 1] + src[i + 1]) + 0.5f * src[i];
    if (w > 1)
      dst[w - 1] = 0.75f * src[w - 1] + 0.25f * src[w - 2];
  }
  for (int j = 0; j < h; j++)
    blur_rows (w, rows.ptr<float> (std::max (j - 1, 0)), rows.ptr<float> (j),
        rows.ptr<float> (std::min (j + 1, h - 1)), out.ptr<float> (j));
}

/* low/high = the minimum/maximum of each pixel's 3x3 neighbourhood, borders
 * replicated (cv::erode/cv::dilate with a 3x3 rectangle, in one go). */
void
range3x3 (const cv::Mat &in, cv::Mat &low, cv::Mat &high, cv::Mat &row_low,
    cv::Mat &row_high)
{
  const int h = in.rows, w = in.cols;
  for (cv::Mat *m : {&low, &high, &row_low, &row_high})
    m->create (h, w, CV_32F);
  for (int j = 0; j < h; j++) {
    const float *src = in.ptr<float> (j);
    float *lo = row_low.ptr<float> (j), *hi = row_high.ptr<float> (j);
    lo[0] = std::min (src[0], src[std::min (1, w - 1)]);
    hi[0] = std::max (src[0], src[std::min (1, w - 1)]);
    for (int i = 1; i < w - 1; i++) {
      lo[i] = std::min (std::min (src[i - 1], src[i]), src[i + 1]);
      hi[i] = std::max (std::max (src[i - 1], src[i]), src[i + 1]);
    }
    if (w > 1) {
      lo[w - 1] = std::min (src[w - 2], src[w - 1]);
      hi[w - 1] = std::max (src[w - 2], src[w - 1]);
    }
  }
  for (int j = 0; j < h; j++) {
    const int up = std::max (j - 1, 0), down = std::min (j + 1, h - 1);
    min_rows (w, row_low.ptr<float> (up), row_low.ptr<float> (j),
        row_low.ptr<float> (down), low.ptr<float> (j));
    max_rows (w, row_high.ptr<float> (up), row_high.ptr<float> (j),
        row_high.ptr<float> (down), high.ptr<float> (j));
  }
}

/* Pass 4 for a row without changed pixels or a change of light, the
 * common case. */
void
follow_row (int n, const float *__restrict cur, float follow,
    float *__restrict background, float *__restrict settled)
{
  for (int i = 0; i < n; i++) {
    settled[i] = 0;
    background[i] += follow * (cur[i] - background[i]);
  }
}

/* Pass 3 for one row, see MotionDetector::analyse. On return offset[i] is
 * 1 where the pixel was active (it differs from prev or from earlier, see
 * kActivityBaseline) and band2[i] 1 where it changed (0 else).
 * In its own function so that __restrict tells the vectoriser the rows do
 * not overlap. */
template <bool kWithLight>
void
judge_row (int n, const float *__restrict cur, const float *__restrict prev,
    const float *__restrict earlier, const float *__restrict bg,
    const float *__restrict light,
    const float *__restrict low, const float *__restrict high,
    const float *__restrict analysed, float k2, float variance_rate,
    float *__restrict variance, float *__restrict offset,
    float *__restrict band2)
{
  for (int i = 0; i < n; i++) {
    const float threshold2 = max_of (band2[i], k2 * variance[i]);
    float value = cur[i] - offset[i];
    if constexpr (kWithLight)
      value -= light_within (light[i], value - bg[i]);
    const float lowest = bg[i] + kJitterShare * (low[i] - bg[i]);
    const float highest = bg[i] + kJitterShare * (high[i] - bg[i]);
    const float d = value - min_of (max_of (value, lowest), highest);
    const float d2 = d * d;
    /* 0 or 1, by multiplication: a branch would stop vectorisation. */
    const float is_changed = (float) (d2 > threshold2) * analysed[i];
    const float step = cur[i] - prev[i], drift = cur[i] - earlier[i];
    offset[i] = (float) (max_of (step * step, drift * drift) > threshold2)
        * analysed[i];
    band2[i] = is_changed;
    /* Changed pixels keep their variance. */
    variance[i] += variance_rate * (1.0f - is_changed) * (d2 - variance[i]);
  }
}

int
median_index (const int *hist, int size, int count)
{
  const int half = (count + 1) / 2;
  int cumulative = 0;
  for (int i = 0; i < size; i++) {
    cumulative += hist[i];
    if (cumulative >= half)
      return i;
  }
  return size - 1;
}

double
parse_number (const std::string &token, bool *has_point)
{
  std::size_t begin = token.find_first_not_of (" \t");
  std::size_t end = token.find_last_not_of (" \t");
  if (begin == std::string::npos)
    throw std::invalid_argument ("empty coordinate");
  std::string trimmed = token.substr (begin, end - begin + 1);
  char *stop = nullptr;
  double value = std::strtod (trimmed.c_str (), &stop);
  if (stop == trimmed.c_str () || *stop != '\0' || !std::isfinite (value))
    throw std::invalid_argument ("'" + trimmed + "' is not a number");
  if (value < 0)
    throw std::invalid_argument ("'" + trimmed + "' is negative");
  *has_point = trimmed.find ('.') != std::string::npos;
  return value;
}

}  // namespace

PixelRect
RegionSpec::resolve (int frame_width, int frame_height) const
{
  double sx = fractional ? frame_width : 1.0;
  double sy = fractional ? frame_height : 1.0;
  int x0 = std::clamp ((int) std::lround (x * sx), 0, frame_width);
  int y0 = std::clamp ((int) std::lround (y * sy), 0, frame_height);
  int x1 = std::clamp ((int) std::lround ((x + width) * sx), 0, frame_width);
  int y1 = std::clamp ((int) std::lround ((y + height) * sy), 0, frame_height);
  return PixelRect { x0, y0, x1 - x0, y1 - y0 };
}

MaskImage
load_pgm_mask (const std::string &path)
{
  std::ifstream in (path, std::ios::binary);
  if (!in)
    throw std::invalid_argument ("cannot read mask '" + path + "'");
  /* Header tokens, skipping whitespace and # comments. */
  auto token = [&] () {
    std::string t;
    int c;
    while ((c = in.get ()) != EOF) {
      if (c == '#') {
        while ((c = in.get ()) != EOF && c != '\n') {
        }
      } else if (std::isspace (c)) {
        if (!t.empty ())
          break;
      } else {
        t += (char) c;
      }
    }
    return t;
  };
  auto number = [&] (const char *what) {
    const std::string t = token ();
    char *end = nullptr;
    const long v = std::strtol (t.c_str (), &end, 10);
    if (t.empty () || *end || v <= 0 || v > 65535)
      throw std::invalid_argument ("mask '" + path + "': bad " + what);
    return (int) v;
  };
  const std::string magic = token ();
  if (magic != "P5" && magic != "P2")
    throw std::invalid_argument ("mask '" + path + "' is not a PGM image "
        "(convert it with: ffmpeg -i MASK -pix_fmt gray mask.pgm)");
  MaskImage mask;
  mask.width = number ("width");
  mask.height = number ("height");
  if (number ("maximum value") > 255)
    throw std::invalid_argument ("mask '" + path + "' is not 8-bit");
  mask.pixels.resize ((std::size_t) mask.width * mask.height);
  if (magic == "P5") {
    in.read ((char *) mask.pixels.data (), (std::streamsize) mask.pixels.size ());
    if ((std::size_t) in.gcount () != mask.pixels.size ())
      throw std::invalid_argument ("mask '" + path + "' is truncated");
  } else {
    for (std::uint8_t &v : mask.pixels) {
      const std::string t = token ();
      if (t.empty ())
        throw std::invalid_argument ("mask '" + path + "' is truncated");
      v = (std::uint8_t) std::clamp (std::atoi (t.c_str ()), 0, 255);
    }
  }
  return mask;
}

std::vector<RegionSpec>
parse_regions (const std::string &text)
{
  std::vector<RegionSpec> regions;
  std::stringstream rects (text);
  std::string rect;
  while (std::getline (rects, rect, ';')) {
    if (rect.find_first_not_of (" \t") == std::string::npos)
      continue;
    std::stringstream numbers (rect);
    std::string token;
    double values[4];
    int fractional_count = 0, count = 0;
    while (std::getline (numbers, token, ',')) {
      if (count == 4)
        throw std::invalid_argument ("region '" + rect +
            "' has more than 4 numbers (x,y,width,height)");
      bool has_point = false;
      try {
        values[count++] = parse_number (token, &has_point);
      } catch (const std::invalid_argument &e) {
        throw std::invalid_argument ("region '" + rect + "': " + e.what ());
      }
      fractional_count += has_point;
    }
    if (count != 4)
      throw std::invalid_argument ("region '" + rect +
          "' needs 4 numbers (x,y,width,height)");
    if (fractional_count != 0 && fractional_count != 4)
      throw std::invalid_argument ("region '" + rect +
          "' mixes pixels and fractions: write all four as fractions "
          "(with a decimal point) or all as whole pixels");
    RegionSpec spec { values[0], values[1], values[2], values[3],
      fractional_count == 4 };
    if (spec.width <= 0 || spec.height <= 0)
      throw std::invalid_argument ("region '" + rect + "' is empty");
    if (spec.fractional && (spec.x + spec.width > 1.0 + 1e-9
            || spec.y + spec.height > 1.0 + 1e-9))
      throw std::invalid_argument ("region '" + rect +
          "' reaches past the frame (fractions must stay within 0..1)");
    regions.push_back (spec);
  }
  return regions;
}

std::string
format_regions (const std::vector<RegionSpec> &regions)
{
  std::ostringstream out;
  for (std::size_t i = 0; i < regions.size (); i++) {
    const RegionSpec &r = regions[i];
    if (i)
      out << ';';
    if (r.fractional) {
      out.setf (std::ios::fixed);
      out.precision (4);
    } else {
      out.unsetf (std::ios::fixed);
      out.precision (10);
    }
    out << r.x << ',' << r.y << ',' << r.width << ',' << r.height;
  }
  return out.str ();
}

namespace {

bool
avx2_available ()
{
#if defined(STILLFRAME_AVX2_VARIANT)
  return __builtin_cpu_supports ("avx2");
#else
  return false;
#endif
}

}  // namespace

#if defined(__SSE2__)
namespace {

/* The luma-weighted sum over a 2x2 block of packed RGB. Twelve byte loads
 * per block made packed RGB cost twice what luma does; here each row's two
 * pixels are read as two 4-byte words, one from the left pixel's first
 * channel and one ending at the right pixel's last, so nothing outside the
 * two pixels is read, and weighted in SSE2 registers. weights holds, per
 * byte of the two words, the luma weight of the channel it is: 0 for alpha
 * and padding, and for the bytes of the pixel the other word counts. On
 * other processors the per-channel loop in sample() does the same sum. */
inline int
weighted_rgb_block (const std::uint8_t *first, std::ptrdiff_t below,
    int second_word, __m128i weights)
{
  const auto word = [] (const std::uint8_t *p) {
    std::int32_t value;
    std::memcpy (&value, p, sizeof value);
    return _mm_cvtsi32_si128 (value);
  };
  const __m128i zero = _mm_setzero_si128 ();
  const __m128i upper = _mm_unpacklo_epi32 (word (first),
      word (first + second_word));
  const __m128i lower = _mm_unpacklo_epi32 (word (first + below),
      word (first + below + second_word));
  const __m128i sums = _mm_add_epi16 (_mm_unpacklo_epi8 (upper, zero),
      _mm_unpacklo_epi8 (lower, zero));
  __m128i dot = _mm_madd_epi16 (sums, weights);
  dot = _mm_add_epi32 (dot, _mm_shuffle_epi32 (dot, _MM_SHUFFLE (1, 0, 3, 2)));
  dot = _mm_add_epi32 (dot, _mm_shuffle_epi32 (dot, _MM_SHUFFLE (2, 3, 0, 1)));
  return _mm_cvtsi128_si32 (dot);
}
}  // namespace
#endif

struct MotionDetector::State {
  DetectorSettings settings;

  /* Geometry the buffers below were made for. */
  int frame_width = 0, frame_height = 0;
  FrameView::Kind kind = FrameView::Kind::Luma;
  int pixel_stride = 0;
  std::vector<int> column_offsets;  /* byte offset of each sample column */
  int column_step = 0;              /* byte distance to its right neighbour */
  std::vector<int> sample_rows;
  cv::Mat analysed;                 /* CV_8U, 1 where pixels are analysed */
  cv::Mat analysed_f;               /* the same in CV_32F */
  int analysed_count = 0;

  cv::Mat sampled, current, previous, background;  /* CV_32F */
  cv::Mat earlier;              /* CV_32F, kActivityBaseline apart at most */
  double earlier_age = 0;                           /* seconds */
  cv::Mat background_low, background_high;          /* local min/max */
  cv::Mat scratch[2];                               /* CV_32F, per pass */
  cv::Mat changed, flicker, active;                 /* CV_8U */
  /* Changed pixels with changed neighbours, and their connected parts. */
  cv::Mat kept;                                     /* CV_8U */
  struct Part {
    int area, x0, y0, x1, y1;
  };
  std::vector<Part> blob_parts;
  std::vector<Part> previous_parts;   /* the frame before's, see drop_clutter */
  double clutter_parts = 0;     /* parts per frame, averaged */
  int clutter_least = 0;        /* the last median rule's least area */
  std::vector<int> blob_stack, blob_areas;
  cv::Mat settled_time;                             /* CV_32F, seconds */
  /* What settled pixels showed before (CV_32F), and how long ago they
   * settled (CV_32F, seconds; kSettleMemory or more: forgotten). */
  cv::Mat settled_background, settled_age;
  cv::Mat woken;                                    /* CV_8U */
  int settled_remembered = 0;
  cv::Mat light;          /* CV_32F, a share, per kLocalLightStride cell */
  std::vector<float> light_row;  /* one row of it at full resolution */
  cv::Mat box_columns;                              /* for box_mean() */
  std::vector<float> box_prefix;                    /* for box_mean() */
  std::vector<std::uint8_t> row_changed;            /* any changed pixel */
  cv::Mat variance;                                 /* CV_32F, levels^2 */
  bool learned = false;
  int frames_judged = 0;                            /* since learned */
  double last_timestamp = -1.0;
  bool previous_over_threshold = false;

  /* Whether analyse() runs the AVX2 variant of the per-frame work. */
  bool use_avx2 = avx2_available ();

  void configure (const FrameView &frame);
  void sample (const FrameView &frame);

  /* The passes of analyse (), in order. */
  void start_learning ();
  /* Pass 1: the illumination change, by background brightness. */
  struct LightChange {
    std::array<float, 256> offset_lut;        /* by background level */
    std::array<int, kBrightnessBins> bin_count;
    std::array<bool, kBrightnessBins> bin_valid;
  };
  LightChange measure_light_change () const;
  /* Pass 2: the noise, by background brightness. */
  struct Noise {
    float sigma;                                /* overall, levels */
    std::array<float, kBrightnessBins> bin_threshold;
  };
  Noise measure_noise (const LightChange &change) const;
  /* Pass 3: which pixels changed (and flicker); returns how many. */
  int judge_pixels (const LightChange &change, const Noise &noise,
      double interval);
  /* Pass 3b: changed pixels that settled are learned, not counted. */
  void settle (double interval, int raw_changed);
  void wake_settled (double interval, const cv::Mat &activity_kernel);
  /* The changed pixels with changed neighbours: score, decision, box. */
  FrameAnalysis find_motion (const FrameView &frame, int raw_changed,
      double noise_level, double interval);
  void drop_clutter (double rate, int *changed_count, int *min_x,
      int *min_y, int *max_x, int *max_y);
  /* Pass 4: the background follows the light; changed pixels are absorbed
   * slowly. */
  void update_background (const std::array<float, 256> &light_offset,
      double interval, float noise_sigma);
  static FrameAnalysis analyse (State &s, const FrameView &frame,
      double timestamp_s);
  static FrameAnalysis analyse_baseline (State &s, const FrameView &frame,
      double timestamp_s);
#if defined(STILLFRAME_AVX2_VARIANT)
  static FrameAnalysis analyse_with_avx2 (State &s, const FrameView &frame,
      double timestamp_s);
#endif
  void follow_local_light (const std::array<float, 256> &offset_lut);
  double frame_interval (double timestamp);
};

namespace {

/* Regions in pixels must lie within the frame: one reaching past it was
 * meant for another resolution, and clipping it would analyse (or ignore)
 * something else than the user chose. */
void
check_regions_fit (const std::vector<RegionSpec> &regions, const char *name,
    int frame_width, int frame_height)
{
  for (const RegionSpec &spec : regions) {
    if (spec.fractional || (spec.x + spec.width <= frame_width
            && spec.y + spec.height <= frame_height))
      continue;
    throw std::invalid_argument (std::string ("'") + name + "' region '" +
        format_regions ({spec}) + "' reaches past the " +
        std::to_string (frame_width) + "x" + std::to_string (frame_height) +
        " frame");
  }
}

}  // namespace

void
MotionDetector::State::configure (const FrameView &frame)
{
  /* Checked before anything changes, so that every later frame of this
   * geometry fails the same way. */
  check_regions_fit (settings.regions, "regions", frame.width, frame.height);
  check_regions_fit (settings.ignore_regions, "ignore-regions", frame.width,
      frame.height);
  frame_width = frame.width;
  frame_height = frame.height;
  kind = frame.kind;
  pixel_stride = frame.pixel_stride;

  const int width = std::max (1, std::min (settings.analysis_width, frame.width));
  const int height = std::max (1,
      (int) std::lround ((double) frame.height * width / frame.width));

  /* Each analysis pixel averages the 2x2 block at its sample point; the
   * block is moved inside the frame at the right and bottom edges (a
   * frame one pixel wide or high averages that pixel with itself). */
  column_offsets.resize (width);
  column_step = frame.width > 1 ? frame.pixel_stride : 0;
  for (int i = 0; i < width; i++) {
    const int x = (int) ((i + 0.5) * frame.width / width);
    column_offsets[i] = std::clamp (x, 0, std::max (frame.width - 2, 0))
        * frame.pixel_stride;
  }
  sample_rows.resize (height);
  for (int j = 0; j < height; j++)
    sample_rows[j] = std::clamp ((int) ((j + 0.5) * frame.height / height),
        0, std::max (frame.height - 2, 0));

  analysed = cv::Mat (height, width, CV_8U,
      cv::Scalar (settings.regions.empty () ? 1 : 0));
  const double sx = (double) width / frame.width;
  const double sy = (double) height / frame.height;
  auto to_analysis = [&] (const RegionSpec &spec) {
    PixelRect r = spec.resolve (frame.width, frame.height);
    int x0 = (int) std::floor (r.x * sx), y0 = (int) std::floor (r.y * sy);
    int x1 = (int) std::ceil ((r.x + r.width) * sx);
    int y1 = (int) std::ceil ((r.y + r.height) * sy);
    return cv::Rect (x0, y0, x1 - x0, y1 - y0) & cv::Rect (0, 0, width, height);
  };
  for (const RegionSpec &spec : settings.regions)
    analysed (to_analysis (spec)).setTo (1);
  for (const RegionSpec &spec : settings.ignore_regions)
    analysed (to_analysis (spec)).setTo (0);
  /* The mask at each analysis pixel's centre. */
  const MaskImage &mask = settings.ignore_mask;
  for (int j = 0; !mask.empty () && j < height; j++) {
    const int my = std::min ((int) ((j + 0.5) * mask.height / height),
        mask.height - 1);
    for (int i = 0; i < width; i++) {
      const int mx = std::min ((int) ((i + 0.5) * mask.width / width),
          mask.width - 1);
      if (mask.pixels[(std::size_t) my * mask.width + mx] < 128)
        analysed.at<std::uint8_t> (j, i) = 0;
    }
  }
  analysed_count = cv::countNonZero (analysed);
  if (analysed_count == 0) {
    frame_width = 0;
    throw std::invalid_argument ("nothing of the frame is left to analyse: "
        "'regions', 'ignore-regions' and 'ignore-mask' exclude all of it");
  }
  analysed.convertTo (analysed_f, CV_32F);

  sampled.create (height, width, CV_32F);
  light_row.resize (width);
  changed.create (height, width, CV_8U);
  kept.create (height, width, CV_8U);
  active.create (height, width, CV_8U);
  woken.create (height, width, CV_8U);
  flicker.create (height, width, CV_8U);
  learned = false;
}

void
MotionDetector::State::sample (const FrameView &frame)
{
  const int width = sampled.cols;
#if defined(__SSE2__)
  /* Packed RGB of 3 or 4 bytes with two pixels per block goes through
   * weighted_rgb_block; its weights are found for every frame, as the
   * channel order can change with the caps. */
  bool rgb_words = frame.kind == FrameView::Kind::Rgb && column_step > 0
      && (frame.pixel_stride == 3 || frame.pixel_stride == 4);
  const std::uint8_t *first_channel = rgb_words ? std::min ({frame.channel[0],
          frame.channel[1], frame.channel[2]}) : nullptr;
  const int second_word = frame.pixel_stride - 1;
  alignas (16) std::int16_t weights[8] = {};
  for (int c = 0; rgb_words && c < 3; c++) {
    const std::ptrdiff_t at = frame.channel[c] - first_channel;
    if (at > 2) {
      rgb_words = false;
      break;
    }
    weights[at] = kLumaWeights[c];
    weights[4 + at + frame.pixel_stride - second_word] = kLumaWeights[c];
  }
  const __m128i word_weights =
      _mm_load_si128 (reinterpret_cast<const __m128i *> (weights));
#endif
  for (int j = 0; j < sampled.rows; j++) {
    const int y = sample_rows[j];
    const std::ptrdiff_t below = y + 1 < frame.height ? frame.row_stride : 0;
    const std::ptrdiff_t row = (std::ptrdiff_t) y * frame.row_stride;
    const int right = column_step;
    const int *offsets = column_offsets.data ();
    float *out = sampled.ptr<float> (j);
    if (frame.kind == FrameView::Kind::Luma) {
      const std::uint8_t *luma = frame.channel[0] + row;
      for (int i = 0; i < width; i++) {
        const std::uint8_t *p = luma + offsets[i];
        out[i] = (p[0] + p[right] + p[below] + p[below + right]) * 0.25f;
      }
    } else {
#if defined(__SSE2__)
      if (rgb_words) {
        const std::uint8_t *first = first_channel + row;
        for (int i = 0; i < width; i++)
          out[i] = weighted_rgb_block (first + offsets[i], below, second_word,
              word_weights) * kLumaBlockScale;
        continue;
      }
#endif
      const std::uint8_t *r = frame.channel[0] + row;
      const std::uint8_t *g = frame.channel[1] + row;
      const std::uint8_t *b = frame.channel[2] + row;
      for (int i = 0; i < width; i++) {
        const int o = offsets[i], right = o + column_step;
        const int rs = r[o] + r[right] + r[o + below] + r[right + below];
        const int gs = g[o] + g[right] + g[o + below] + g[right + below];
        const int bs = b[o] + b[right] + b[o + below] + b[right + below];
        out[i] = (kLumaWeights[0] * rs + kLumaWeights[1] * gs
            + kLumaWeights[2] * bs) * kLumaBlockScale;
      }
    }
  }
  blur3x3 (sampled, current, scratch[0]);
}

/* light = the local change of light (see kLocalLightWindows), one value
 * per kLocalLightStride-square cell, sampled at its centre. Foreground and
 * pixels that are not analysed count as unchanged. */
void
MotionDetector::State::follow_local_light (const std::array<float, 256>
    &offset_lut)
{
  const int rows = current.rows, cols = current.cols;
  light.create ((rows + kLocalLightStride - 1) / kLocalLightStride,
      (cols + kLocalLightStride - 1) / kLocalLightStride, CV_32F);
  constexpr int kCentre = kLocalLightStride / 2;
  for (int j = 0; j < light.rows; j++) {
    const int y = std::min (j * kLocalLightStride + kCentre, rows - 1);
    const float *cur = current.ptr<float> (y);
    const float *bg = background.ptr<float> (y);
    const std::uint8_t *use = analysed.ptr<std::uint8_t> (y);
    const std::uint8_t *was_changed = changed.ptr<std::uint8_t> (y);
    float *out = light.ptr<float> (j);
    for (int i = 0; i < light.cols; i++) {
      const int x = std::min (i * kLocalLightStride + kCentre, cols - 1);
      const int level = std::clamp ((int) bg[x], 0, 255);
      out[i] = use[x] && !was_changed[x] ? std::clamp ((cur[x] - bg[x]
              - offset_lut[level]) / max_of (bg[x], kLightFloor),
          -kLocalLightClip, kLocalLightClip) : 0.0f;
    }
  }
  box_mean (light, std::max (1, cols / (2 * kLocalLightStride
              * kLocalLightWindows)), light, box_columns, box_prefix);
}

double
MotionDetector::State::frame_interval (double timestamp)
{
  double interval = kDefaultFrameInterval;
  if (timestamp >= 0 && last_timestamp >= 0 && timestamp > last_timestamp)
    interval = std::min (timestamp - last_timestamp, 1.0);
  if (timestamp >= 0)
    last_timestamp = timestamp;
  return interval;
}

MotionDetector::MotionDetector (const DetectorSettings &settings)
    : state_ (std::make_unique<State> ())
{
  set_settings (settings);
}

MotionDetector::~MotionDetector () = default;

bool
MotionDetector::allow_avx2 (bool allowed)
{
  state_->use_avx2 = allowed && avx2_available ();
  return state_->use_avx2;
}

void
MotionDetector::set_settings (const DetectorSettings &settings)
{
  if (settings.analysis_width < 16)
    throw std::invalid_argument ("analysis width must be at least 16");
  if (!(settings.threshold > 0.0 && settings.threshold <= 1.0))
    throw std::invalid_argument ("threshold must be within (0, 1]");
  if (!(settings.sensitivity >= 0.0 && settings.sensitivity <= 1.0))
    throw std::invalid_argument ("sensitivity must be within [0, 1]");
  const DetectorSettings &old = state_->settings;
  const bool geometry_changed = settings.analysis_width != old.analysis_width
      || format_regions (settings.regions) != format_regions (old.regions)
      || format_regions (settings.ignore_regions)
      != format_regions (old.ignore_regions)
      || !(settings.ignore_mask == old.ignore_mask);
  state_->settings = settings;
  if (geometry_changed)
    state_->frame_width = 0;    /* re-configure on the next frame */
}

const DetectorSettings &
MotionDetector::settings () const
{
  return state_->settings;
}

void
MotionDetector::reset ()
{
  state_->learned = false;
  state_->last_timestamp = -1.0;
}

FrameAnalysis
MotionDetector::analyse (const FrameView &frame, double timestamp_s)
{
  if (frame.width <= 0 || frame.height <= 0 || !frame.channel[0]
      || frame.pixel_stride <= 0
      || frame.row_stride < (frame.width - 1) * frame.pixel_stride + 1
      || (frame.kind == FrameView::Kind::Rgb
          && (!frame.channel[1] || !frame.channel[2])))
    throw std::invalid_argument ("invalid frame view");

  State &s = *state_;
  if (frame.width != s.frame_width || frame.height != s.frame_height
      || frame.kind != s.kind || frame.pixel_stride != s.pixel_stride)
    s.configure (frame);
#if defined(STILLFRAME_AVX2_VARIANT)
  if (s.use_avx2)
    return State::analyse_with_avx2 (s, frame, timestamp_s);
#endif
  return State::analyse_baseline (s, frame, timestamp_s);
}

/* The frame's first: it is the background, nothing moved. */
void
MotionDetector::State::start_learning ()
{
  current.copyTo (background);
  current.copyTo (previous);
  current.copyTo (earlier);
  earlier_age = 0;
  changed.setTo (0);
  settled_time = cv::Mat::zeros (current.size (), CV_32F);
  settled_background = cv::Mat::zeros (current.size (), CV_32F);
  settled_age = cv::Mat (current.size (), CV_32F,
      cv::Scalar (kSettleMemory));
  settled_remembered = 0;
  variance = cv::Mat::zeros (current.size (), CV_32F);
  previous_over_threshold = false;
  previous_parts.clear ();
  clutter_parts = 0;
  learned = true;
  frames_judged = 0;
}

MotionDetector::State::LightChange
MotionDetector::State::measure_light_change () const
{
  const int rows = current.rows, cols = current.cols;
  /* Pass 1: per brightness bin, the median difference to the background is
   * the illumination change (exposure, clouds, a light switched on). Pixels
   * that were foreground in the previous frame are left out: a moving
   * object must not pass for a change of light. */
  std::array<std::array<int, kOffsetHistSize>, kBrightnessBins> offset_hist {};
  std::array<int, kBrightnessBins> bin_count {};
  for (int j = 0; j < rows; j += kStatsStride) {
    const float *cur = current.ptr<float> (j);
    const float *bg = background.ptr<float> (j);
    const std::uint8_t *use = analysed.ptr<std::uint8_t> (j);
    const std::uint8_t *was_changed = changed.ptr<std::uint8_t> (j);
    for (int i = 0; i < cols; i += kStatsStride) {
      if (!use[i] || was_changed[i])
        continue;
      const int bin = std::clamp ((int) bg[i], 0, 255) / kBinWidth;
      const int q = std::clamp ((int) ((cur[i] - bg[i]) * kOffsetHistScale
              + (kOffsetHistSize / 2 + 0.5f)), 0, kOffsetHistSize - 1);
      offset_hist[bin][q]++;
      bin_count[bin]++;
    }
  }
  const int min_bin_count = std::max (10,
      analysed_count / (200 * kStatsStride * kStatsStride));
  std::array<float, kBrightnessBins> bin_offset {};
  std::array<bool, kBrightnessBins> bin_valid {};
  for (int b = 0; b < kBrightnessBins; b++) {
    bin_valid[b] = bin_count[b] >= min_bin_count;
    if (bin_valid[b])
      bin_offset[b] = (median_index (offset_hist[b].data (), kOffsetHistSize,
              bin_count[b]) - kOffsetHistSize / 2) / kOffsetHistScale;
  }
  /* Sparse bins (a few bright markings on dark asphalt) borrow from the
   * nearest populated one, scaled as an exposure change would scale them. */
  auto bin_centre = [] (int b) { return (b + 0.5f) * kBinWidth; };
  for (int b = 0; b < kBrightnessBins; b++) {
    if (bin_valid[b])
      continue;
    for (int d = 1; d < kBrightnessBins; d++) {
      const int near = b - d >= 0 && bin_valid[b - d] ? b - d :
          b + d < kBrightnessBins && bin_valid[b + d] ? b + d : -1;
      if (near >= 0) {
        bin_offset[b] = bin_offset[near] * bin_centre (b) / bin_centre (near);
        break;
      }
    }
  }
  /* Piecewise-linear offset by background brightness, through bin centres. */
  std::array<float, 256> offset_lut;
  for (int v = 0; v < 256; v++) {
    const float position = (v + 0.5f) / kBinWidth - 0.5f;
    const int lo = std::clamp ((int) std::floor (position), 0,
        kBrightnessBins - 1);
    const int hi = std::min (lo + 1, kBrightnessBins - 1);
    const float t = std::clamp (position - lo, 0.0f, 1.0f);
    offset_lut[v] = bin_offset[lo] * (1 - t) + bin_offset[hi] * t;
  }

  /* Computed in locals, which the compiler keeps apart from the frames'
   * memory (as the passes below do with their inputs). */
  return LightChange { offset_lut, bin_count, bin_valid };
}

MotionDetector::State::Noise
MotionDetector::State::measure_noise (const LightChange &change) const
{
  const int rows = current.rows, cols = current.cols;
  const std::array<float, 256> offset_lut = change.offset_lut;
  /* Pass 2: noise per brightness bin, as the median absolute deviation of the
   * illumination-corrected difference. */
  std::array<std::array<int, kDeviationHistSize>, kBrightnessBins> dev_hist {};
  std::array<int, kDeviationHistSize> all_dev_hist {};
  int all_dev_count = 0;
  for (int j = 0; j < rows; j += kStatsStride) {
    const float *cur = current.ptr<float> (j);
    const float *bg = background.ptr<float> (j);
    const std::uint8_t *use = analysed.ptr<std::uint8_t> (j);
    const std::uint8_t *was_changed = changed.ptr<std::uint8_t> (j);
    const float *local_light = light.ptr<float> (j / kLocalLightStride);
    for (int i = 0; i < cols; i += kStatsStride) {
      if (!use[i] || was_changed[i])
        continue;
      const int level = std::clamp ((int) bg[i], 0, 255);
      /* The local light whole, not light_within (): limited to each
       * pixel's difference, it would shrink the noise as well. */
      const float d = cur[i] - bg[i] - offset_lut[level]
          - light_levels (local_light[i / kLocalLightStride], bg[i]);
      const int q = std::min ((int) (std::fabs (d) * kDeviationHistScale),
          kDeviationHistSize - 1);
      dev_hist[level / kBinWidth][q]++;
      all_dev_hist[q]++;
      all_dev_count++;
    }
  }
  constexpr float kMadToSigma = 1.4826f;
  const float overall_sigma = std::max (kMinNoiseSigma, kMadToSigma
      * (median_index (all_dev_hist.data (), kDeviationHistSize,
              std::max (all_dev_count, 1)) + 0.5f) / kDeviationHistScale);
  const float k = (float) settings.noise_multiplier ();
  std::array<float, kBrightnessBins> bin_threshold;
  for (int b = 0; b < kBrightnessBins; b++) {
    float sigma = overall_sigma;
    if (change.bin_valid[b])
      sigma = std::max (kMinNoiseSigma, kMadToSigma
          * (median_index (dev_hist[b].data (), kDeviationHistSize,
                  change.bin_count[b]) + 0.5f) / kDeviationHistScale);
    bin_threshold[b] = std::max (k * sigma, kMinPixelDifference);
  }

  return Noise { overall_sigma, bin_threshold };
}

int
MotionDetector::State::judge_pixels (const LightChange &change,
    const Noise &noise, double interval)
{
  const int rows = current.rows, cols = current.cols;
  const std::array<float, 256> offset_lut = change.offset_lut;
  const std::array<float, kBrightnessBins> bin_threshold =
      noise.bin_threshold;
  const float overall_sigma = noise.sigma;
  /* Pass 3: changed pixels. A pixel changed only if it matches no
   * background pixel of its neighbourhood: a shaking camera or codec jitter
   * moves edges and specks by a pixel or two without anything having moved.
   * Changes from the previous frame or from the earlier one (flicker, see
   * kActivityBaseline) show where something is active. */
  static_assert (kJitterRadius == 1, "range3x3 looks one pixel around");
  range3x3 (background, background_low, background_high, scratch[0],
      scratch[1]);
  /* Codecs and sensors are noisier on texture, edges and specks than on
   * flat areas: each pixel also keeps its own noise variance, learned while
   * it is background: a plain mean over the first frames (from nothing, a
   * long-run average would take seconds to learn a noisy patch), then a
   * kVarianceTime average. */
  frames_judged = std::min (frames_judged + 1, 1 << 20);
  const float variance_rate = std::max (1.0f / frames_judged,
      (float) (1.0 - std::exp (-interval / kVarianceTime)));
  const float k = (float) settings.noise_multiplier ();
  const float k2 = k * k;
  std::array<float, 256> band2_lut;    /* squared band threshold by level */
  for (int v = 0; v < 256; v++)
    band2_lut[v] = bin_threshold[v / kBinWidth] * bin_threshold[v / kBinWidth];
  row_changed.assign (rows, 0);
  int raw_changed = 0;
  bool cells_have_light = false;
  for (int j = 0; j < rows; j++) {
    const float *cur = current.ptr<float> (j);
    const float *bg = background.ptr<float> (j);
    const float *low = background_low.ptr<float> (j);
    const float *high = background_high.ptr<float> (j);
    const float *prev = previous.ptr<float> (j);
    float *row_variance = variance.ptr<float> (j);
    std::uint8_t *out = changed.ptr<std::uint8_t> (j);
    std::uint8_t *flick = flicker.ptr<std::uint8_t> (j);
    /* Table lookups first, in a loop of their own, so that the main one
     * has none and vectorises. */
    float *offset = scratch[0].ptr<float> (j);
    float *band2 = scratch[1].ptr<float> (j);
    for (int i = 0; i < cols; i++) {
      const int level = std::clamp ((int) bg[i], 0, 255);
      offset[i] = offset_lut[level];
      band2[i] = band2_lut[level];
    }
    /* The local light at every pixel of the row, in levels. Mostly there
     * is none: a local average under the noise level would explain too
     * little to matter, and the row is judged without. */
    float *row_light = light_row.data ();
    const float *local_light = light.ptr<float> (j / kLocalLightStride);
    if (j % kLocalLightStride == 0) {
      /* Whether any cell of these rows could explain a noise level's
       * worth, on the brightest background. */
      cells_have_light = false;
      for (int c = 0; c < light.cols && !cells_have_light; c++)
        cells_have_light = std::fabs (light_levels (local_light[c], 255.0f))
            >= overall_sigma;
    }
    bool row_has_light = false;
    for (int i = 0; cells_have_light && i < cols; i++) {
      const float local = light_levels (local_light[i / kLocalLightStride],
          bg[i]);
      row_light[i] = std::fabs (local) < overall_sigma ? 0.0f : local;
      row_has_light |= row_light[i] != 0.0f;
    }
    /* All in floats (the analysed mask too), which vectorises; the
     * results overwrite the lookups: 1 for changed, 1 for flicker. */
    const float *row_earlier = earlier.ptr<float> (j);
    const float *row_analysed = analysed_f.ptr<float> (j);
    if (row_has_light)
      judge_row<true> (cols, cur, prev, row_earlier, bg, row_light, low,
          high, row_analysed, k2, variance_rate, row_variance, offset, band2);
    else
      judge_row<false> (cols, cur, prev, row_earlier, bg, row_light, low,
          high, row_analysed, k2, variance_rate, row_variance, offset, band2);
    int changed_in_row = 0;
    for (int i = 0; i < cols; i++) {
      out[i] = band2[i] > 0.0f;
      flick[i] = offset[i] > 0.0f;
      changed_in_row += out[i];
    }
    row_changed[j] = changed_in_row > 0;
    raw_changed += changed_in_row;
  }

  return raw_changed;
}

/* When the changed pixels are clutter and maybe an object (see
 * kClutterBlobs), counts the object's only. The parts are found by
 * filling from each kept pixel: they are few, so this costs next to
 * nothing beside a labelling of the whole image. */
void
MotionDetector::State::drop_clutter (double rate, int *changed_count,
    int *min_x, int *min_y, int *max_x, int *max_y)
{
  const int rows = kept.rows, cols = kept.cols;
  std::uint8_t *mask = kept.ptr<std::uint8_t> (0);      /* continuous */
  blob_parts.clear ();
  for (int j = 0; j < rows; j++) {
    if (!row_changed[j])
      continue;
    for (int i = 0; i < cols; i++) {
      if (mask[j * cols + i] != 1)
        continue;
      Part part { 0, i, j, i, j };
      mask[j * cols + i] = 2;
      blob_stack.assign (1, j * cols + i);
      while (!blob_stack.empty ()) {
        const int at = blob_stack.back ();
        blob_stack.pop_back ();
        const int x = at % cols, y = at / cols;
        part.area++;
        part.x0 = std::min (part.x0, x), part.x1 = std::max (part.x1, x);
        part.y0 = std::min (part.y0, y), part.y1 = std::max (part.y1, y);
        for (int ny = std::max (y - 1, 0); ny <= std::min (y + 1, rows - 1);
            ny++)
          for (int nx = std::max (x - 1, 0); nx <= std::min (x + 1,
                  cols - 1); nx++)
            if (mask[ny * cols + nx] == 1) {
              mask[ny * cols + nx] = 2;
              blob_stack.push_back (ny * cols + nx);
            }
      }
      blob_parts.push_back (part);
    }
  }
  const int parts = (int) blob_parts.size ();
  const int largest = std::max (1, (int) (kClutterLargest * analysed_count));
  clutter_parts += rate * (parts - clutter_parts);
  if (parts >= kClutterBlobs) {
    blob_areas.clear ();
    for (const Part &part : blob_parts)
      blob_areas.push_back (part.area);
    std::nth_element (blob_areas.begin (), blob_areas.begin () + parts / 2,
        blob_areas.end ());
    clutter_least = std::min (kClutterFactor * blob_areas[parts / 2],
        largest);
  }
  if (parts < kClutterBlobs && clutter_parts < kClutterParts) {
    previous_parts.swap (blob_parts);
    return;
  }
  /* A frame of a cluttered scene with fewer parts (fewer flakes, for a
   * moment) is judged as the last one with enough. */
  const int least = clutter_least;
  /* A part under `largest` also has to be where one was in the frame
   * before: a person is there again, a drop has fallen on. */
  const auto was_there = [this] (const Part &part) {
    for (const Part &before : previous_parts)
      if (before.x0 <= part.x1 + kClutterTravel
          && part.x0 <= before.x1 + kClutterTravel
          && before.y0 <= part.y1 + kClutterTravel
          && part.y0 <= before.y1 + kClutterTravel)
        return true;
    return false;
  };
  *changed_count = 0;
  *min_x = cols, *min_y = rows, *max_x = -1, *max_y = -1;
  int candidates = 0;
  for (const Part &part : blob_parts) {
    if (part.area < least)
      continue;
    blob_parts[candidates++] = part;
    if (part.area < largest && !was_there (part))
      continue;
    *changed_count += part.area;
    *min_x = std::min (*min_x, part.x0);
    *min_y = std::min (*min_y, part.y0);
    *max_x = std::max (*max_x, part.x1);
    *max_y = std::max (*max_y, part.y1);
  }
  blob_parts.resize (candidates);
  previous_parts.swap (blob_parts);
}

FrameAnalysis
MotionDetector::State::find_motion (const FrameView &frame, int raw_changed,
    double noise_level, double interval)
{
  /* The weight of this frame's parts in their average: a plain mean over
   * the first frames, as for the noise variance. */
  const double clutter_rate = std::max (1.0 / frames_judged,
      1.0 - std::exp (-interval / kClutterMemory));
  const int rows = current.rows, cols = current.cols;
  /* Changed pixels are usually few: their neighbourhoods are counted one
   * by one rather than filtering the whole image. */
  int changed_count = 0;
  int min_x = cols, min_y = rows, max_x = -1, max_y = -1;
  if (raw_changed > 0)
    kept.setTo (0);
  for (int j = 0; raw_changed > 0 && j < rows; j++) {
    if (!row_changed[j])
      continue;
    const std::uint8_t *above = changed.ptr<std::uint8_t> (std::max (j - 1,
            0));
    const std::uint8_t *chg = changed.ptr<std::uint8_t> (j);
    const std::uint8_t *below = changed.ptr<std::uint8_t> (std::min (j + 1,
            rows - 1));
    std::uint8_t *out = kept.ptr<std::uint8_t> (j);
    for (int i = 0; i < cols; i++) {
      if (!chg[i])
        continue;
      int neighbours = 0;
      for (int x = std::max (i - 1, 0); x <= std::min (i + 1, cols - 1); x++)
        neighbours += (j > 0 && above[x]) + chg[x]
            + (j + 1 < rows && below[x]);
      if (neighbours >= kMinNeighbourhoodCount) {
        out[i] = 1;
        changed_count++;
        min_x = std::min (min_x, i);
        max_x = std::max (max_x, i);
        min_y = std::min (min_y, j);
        max_y = std::max (max_y, j);
      }
    }
  }
  if (changed_count > 0 && settings.ignore_clutter) {
    drop_clutter (clutter_rate, &changed_count, &min_x, &min_y, &max_x,
        &max_y);
  } else {
    clutter_parts -= clutter_rate * clutter_parts;
    previous_parts.clear ();
  }
  FrameAnalysis result;
  result.noise_level = noise_level;
  result.score = (double) changed_count / analysed_count;
  /* A lone frame barely over the threshold is a codec pulse or a flash of
   * noise: it counts only when its predecessor was over too, or when it is
   * well over. */
  const bool over_threshold = result.score >= settings.threshold;
  result.motion = over_threshold && (previous_over_threshold
      || result.score >= kLoneFrameFactor * settings.threshold);
  previous_over_threshold = over_threshold;
  if (changed_count > 0) {
    const double sx = (double) frame.width / cols;
    const double sy = (double) frame.height / rows;
    const int x0 = (int) std::floor (min_x * sx);
    const int y0 = (int) std::floor (min_y * sy);
    const int x1 = std::min (frame.width, (int) std::ceil ((max_x + 1) * sx));
    const int y1 = std::min (frame.height, (int) std::ceil ((max_y + 1) * sy));
    result.box = PixelRect { x0, y0, x1 - x0, y1 - y0 };
  }

  return result;
}

void
MotionDetector::State::settle (double interval, int raw_changed)
{
  static const cv::Mat activity_kernel = cv::getStructuringElement
      (cv::MORPH_RECT,
      cv::Size (2 * kActivityRadius + 1, 2 * kActivityRadius + 1));
  const int rows = current.rows, cols = current.cols;
  if (settled_remembered > 0)
    wake_settled (interval, activity_kernel);
  if (raw_changed == 0)
    return;
  cv::dilate (flicker, active, activity_kernel);
  const double frames = std::max (1.0, std::round (kSettleTime / interval));
  const float settle_after = (float) ((frames - 0.5) * interval);
  for (int j = 0; j < rows; j++) {
    if (!row_changed[j])
      continue;
    const float *cur = current.ptr<float> (j);
    float *bg = background.ptr<float> (j);
    float *settled = settled_time.ptr<float> (j);
    float *before = settled_background.ptr<float> (j);
    float *age = settled_age.ptr<float> (j);
    std::uint8_t *chg = changed.ptr<std::uint8_t> (j);
    const std::uint8_t *row_active = active.ptr<std::uint8_t> (j);
    for (int i = 0; i < cols; i++) {
      if (!chg[i])
        continue;
      settled[i] = row_active[i] ? 0.0f : settled[i] + (float) interval;
      if (settled[i] >= settle_after) {
        settled[i] = 0;
        chg[i] = 0;
        settled_remembered += age[i] >= (float) kSettleMemory;
        before[i] = bg[i];
        age[i] = 0;
        bg[i] = cur[i];
      }
    }
  }
}

/* Settled pixels that go back to what they showed before wake what
 * settled around them: its old background comes back, so that what is
 * still there is foreground again and what left is not. The others age,
 * and are forgotten after kSettleMemory. */
void
MotionDetector::State::wake_settled (double interval,
    const cv::Mat &activity_kernel)
{
  const int rows = current.rows, cols = current.cols;
  bool any_woken = false;
  for (int j = 0; j < rows; j++) {
    const float *cur = current.ptr<float> (j);
    const float *bg = background.ptr<float> (j);
    const float *before = settled_background.ptr<float> (j);
    const float *age = settled_age.ptr<float> (j);
    const std::uint8_t *row_flicker = flicker.ptr<std::uint8_t> (j);
    std::uint8_t *out = woken.ptr<std::uint8_t> (j);
    for (int i = 0; i < cols; i++) {
      /* Active, and back to what it showed before it settled: what
       * settled there is leaving. */
      out[i] = age[i] < (float) kSettleMemory && row_flicker[i]
          && std::fabs (cur[i] - before[i]) < std::fabs (cur[i] - bg[i]);
      any_woken |= out[i] != 0;
    }
  }
  if (any_woken)
    cv::dilate (woken, woken, activity_kernel);
  for (int j = 0; j < rows; j++) {
    float *bg = background.ptr<float> (j);
    const float *before = settled_background.ptr<float> (j);
    float *age = settled_age.ptr<float> (j);
    const std::uint8_t *wake = woken.ptr<std::uint8_t> (j);
    for (int i = 0; i < cols; i++) {
      if (age[i] >= (float) kSettleMemory)
        continue;
      if (any_woken && wake[i]) {
        bg[i] = before[i];
        age[i] = (float) kSettleMemory;
      } else {
        age[i] += (float) interval;
      }
      settled_remembered -= age[i] >= (float) kSettleMemory;
    }
  }
}

void
MotionDetector::State::update_background (const std::array<float, 256>
    &light_offset, double interval, float noise_sigma)
{
  const int rows = current.rows, cols = current.cols;
  const std::array<float, 256> offset_lut = light_offset;

  /* Pass 4: background update. Changed pixels still follow the
   * illumination change as fast as the rest, so a light switched on while
   * someone stands still does not leave a stale background around them. */
  const float follow = (float) (1.0 - std::exp (-interval / kFollowTime));
  const float follow_light = (float) (1.0 - std::exp (-interval
          / kLightFollowTime));
  const float absorb = (float) (1.0 - std::exp (-interval / kAbsorbTime));
  for (int j = 0; j < rows; j++) {
    const float *cur = current.ptr<float> (j);
    float *bg = background.ptr<float> (j);
    float *settled = settled_time.ptr<float> (j);
    const std::uint8_t *chg = changed.ptr<std::uint8_t> (j);
    const float *local_light = light.ptr<float> (j / kLocalLightStride);
    /* Whether any cell of the row is lit enough to be followed faster. */
    bool row_lit = false;
    for (int c = 0; c < light.cols && !row_lit; c++)
      row_lit = std::fabs (local_light[c]) >= kLightFollowShare
          && std::fabs (light_levels (local_light[c], 255.0f)) >= noise_sigma;
    if (!row_changed[j] && !row_lit) {
      follow_row (cols, cur, follow, bg, settled);
      continue;
    }
    for (int i = 0; i < cols; i++) {
      const float local = light_levels (local_light[i / kLocalLightStride],
          bg[i]);
      const float rate = std::fabs (local) >= noise_sigma
          && std::fabs (local_light[i / kLocalLightStride]) >= kLightFollowShare
          ? follow_light : follow;
      if (!chg[i]) {
        settled[i] = 0;
        bg[i] += rate * (cur[i] - bg[i]);
        continue;
      }
      const float shifted = bg[i] + rate
          * (offset_lut[std::clamp ((int) bg[i], 0, 255)] + local);
      bg[i] = shifted + absorb * (cur[i] - shifted);
    }
  }
  earlier_age += interval;
  if (earlier_age >= kActivityBaseline) {
    current.copyTo (earlier);
    earlier_age = 0;
  }
  /* The next frame's blur overwrites `current`: swapping saves a copy. */
  cv::swap (current, previous);
}

/* The per-frame work, pass by pass, flattened into each variant below so
 * that the passes and the helpers they call are compiled for that variant
 * too. */
FrameAnalysis
MotionDetector::State::analyse (State &s, const FrameView &frame,
    double timestamp_s)
{
  s.sample (frame);
  const double interval = s.frame_interval (timestamp_s);
  if (!s.learned || s.analysed_count == 0) {
    s.start_learning ();
    return FrameAnalysis ();
  }
  const LightChange light = s.measure_light_change ();
  s.follow_local_light (light.offset_lut);
  const Noise noise = s.measure_noise (light);
  const int raw_changed = s.judge_pixels (light, noise, interval);
  s.settle (interval, raw_changed);
  FrameAnalysis result = s.find_motion (frame, raw_changed,
      noise.sigma, interval);
  for (float offset : light.offset_lut)
    result.light_change = std::max (result.light_change,
        (double) std::fabs (offset));
  s.update_background (light.offset_lut, interval, noise.sigma);
  return result;
}

__attribute__((flatten)) FrameAnalysis
MotionDetector::State::analyse_baseline (State &s, const FrameView &frame,
    double timestamp_s)
{
  return analyse (s, frame, timestamp_s);
}

#if defined(STILLFRAME_AVX2_VARIANT)
/* AVX2 without FMA: fused multiply-adds round differently, and both
 * variants must give the same results. */
__attribute__((flatten, target ("avx2"))) FrameAnalysis
MotionDetector::State::analyse_with_avx2 (State &s, const FrameView &frame,
    double timestamp_s)
{
  return analyse (s, frame, timestamp_s);
}
#endif

}  // namespace stillframe
