/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "clipgen.h"

#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace clipgen {

namespace {

std::uint64_t
next_random (std::uint64_t &state)
{
  /* xorshift64*: fast and good enough for noise. */
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return state * 0x2545F4914F6CDD1DULL;
}

constexpr std::size_t kNoiseTableSize = 1 << 22;

struct BoxPosition {
  int x0, y0, x1, y1;
};

BoxPosition
box_at (const ClipSpec &spec, const MovingBox &box, double t)
{
  /* The box travels back and forth between the frame's edges, so it stays
   * in view however long its span. */
  const int height = std::max (2, (int) std::lround (box.size * spec.height));
  const int width = std::max (2, (int) std::lround (box.aspect * height));
  const double range = std::max (1, spec.width - width);
  const double end = box.stand_after >= 0 ?
      std::min (box.end, box.start + box.stand_after) : box.end;
  double travelled = std::fmod ((std::clamp (t, box.start, end)
          - box.start) * box.speed * spec.width + 0.05 * spec.width,
      2 * range);
  if (travelled > range)
    travelled = 2 * range - travelled;
  if (t > end)
    travelled += box.sway * std::sin (2 * M_PI * 0.5 * (t - end));
  const int x0 = (int) std::lround (travelled);
  const int y0 = (int) std::lround (box.y * spec.height) - height / 2;
  return BoxPosition { x0, y0, x0 + width, y0 + height };
}

}  // namespace

int
ClipSpec::frame_count () const
{
  return (int) std::lround (duration * fps);
}

bool
ClipSpec::frame_has_motion (int index) const
{
  /* The box appears at `start`, moves, and vanishes at `end`: motion is
   * when it is in view. */
  const double t = (double) index / fps;
  for (const MovingBox &box : boxes) {
    const double end = box.standing_is_motion || box.stand_after < 0 ?
        box.end : std::min (box.end, box.start + box.stand_after);
    if (t >= box.start && t < end)
      return true;
  }
  return false;
}

void
ClipSpec::add_relocations (const std::string &times, double travel)
{
  std::stringstream in (times);
  std::string item;
  while (std::getline (in, item, ',')) {
    MovingBox box;
    if (std::sscanf (item.c_str (), "%lf", &box.start) != 1
        || box.start >= duration)
      throw std::invalid_argument ("bad relocation time '" + item + "'");
    box.end = duration;
    box.stand_after = travel;
    box.sway = 0;
    box.standing_is_motion = false;
    box.y = 0.3 + 0.4 * (boxes.size () % 3) / 2.0;
    boxes.push_back (box);
  }
}

void
ClipSpec::add_spans (const std::string &spans)
{
  std::stringstream in (spans);
  std::string item;
  while (std::getline (in, item, ',')) {
    MovingBox box;
    if (std::sscanf (item.c_str (), "%lf-%lf", &box.start, &box.end) != 2
        || box.end <= box.start)
      throw std::invalid_argument ("bad span '" + item + "'");
    box.y = 0.3 + 0.4 * (boxes.size () % 3) / 2.0;
    boxes.push_back (box);
  }
}

Renderer::Renderer (const ClipSpec &spec)
    : spec_ (spec), scene_ ((std::size_t) spec.width * spec.height),
      noise_ (kNoiseTableSize), rng_ (spec.seed * 0x9E3779B97F4A7C15ULL + 1),
      hard_rng_ (spec.seed * 0xD1B54A32D192ED03ULL + 7)
{
  /* A scene with gradients and flat blocks of varied brightness, so that
   * illumination and noise differ across the frame like a real one. */
  for (int y = 0; y < spec.height; y++)
    for (int x = 0; x < spec.width; x++) {
      const int bx = x * 8 / spec.width, by = y * 6 / spec.height;
      const int block = (bx * 37 + by * 91) % 150;
      const int gradient = 40 * x / spec.width + 30 * y / spec.height;
      scene_[(std::size_t) y * spec.width + x] =
          (std::uint8_t) std::clamp (40 + block + gradient / 2, 0, 255);
    }
  /* Approximately Gaussian noise: the sum of four uniforms. */
  for (std::int8_t &n : noise_) {
    double sum = 0;
    for (int k = 0; k < 4; k++)
      sum += (double) (next_random (rng_) >> 11) / (double) (1ULL << 53) - 0.5;
    n = (std::int8_t) std::clamp (std::lround (sum * std::sqrt (3.0)
            * spec.noise_sigma), -127L, 127L);
  }
}

void
render_audio (const ClipSpec &spec, std::uint64_t first, int count,
    std::int16_t *out)
{
  for (int i = 0; i < count; i++) {
    const double t = (double) (first + i) / ClipSpec::kAudioRate;
    bool tone = false;
    for (const MovingBox &box : spec.boxes)
      tone |= t >= box.start && t < box.start + ClipSpec::kMarkDuration;
    out[i] = tone ? (std::int16_t) std::lround (12000 * std::sin (2 * M_PI
            * 1000 * t)) : 0;
  }
}

void
Renderer::render (int index, std::uint8_t *y, std::uint8_t *u,
    std::uint8_t *v)
{
  const double t = (double) index / spec_.fps;
  const int drift = (int) std::lround (spec_.drift_amplitude
      * std::sin (2 * M_PI * t / spec_.drift_period));
  const std::size_t offset = next_random (rng_) % kNoiseTableSize;
  const std::size_t pixels = (std::size_t) spec_.width * spec_.height;
  const HardScene &hard = spec_.hard;
  /* The camera moves: the whole picture, boxes too, by (-dx, -dy). */
  int dx = 0, dy = 0;
  if (hard.shake > 0) {
    dx = (int) (next_random (hard_rng_) % (2 * hard.shake + 1)) - hard.shake;
    dy = (int) (next_random (hard_rng_) % (2 * hard.shake + 1)) - hard.shake;
  }
  if (hard.shake > 0 || hard.flicker > 0 || hard.shadow_end > hard.shadow_start)
    shade_and_shake (t, y, dx, dy, drift, offset);
  else
    for (std::size_t i = 0; i < pixels; i++) {
      const int value = scene_[i] + drift
          + noise_[(offset + i * 7) & (kNoiseTableSize - 1)];
      y[i] = (std::uint8_t) std::clamp (value, 0, 255);
    }
  for (const MovingBox &box : spec_.boxes) {
    if (t < box.start || t >= box.end)
      continue;
    BoxPosition p = box_at (spec_, box, t);
    p.x0 -= dx, p.x1 -= dx, p.y0 -= dy, p.y1 -= dy;
    for (int yy = std::max (0, p.y0); yy < std::min (spec_.height, p.y1); yy++)
      for (int xx = std::max (0, p.x0); xx < std::min (spec_.width, p.x1);
          xx++) {
        std::uint8_t &pixel = y[(std::size_t) yy * spec_.width + xx];
        pixel = (std::uint8_t) std::clamp (box.luma >= 0 ? box.luma
            + noise_[(offset + ((std::size_t) yy * spec_.width + xx) * 7)
            & (kNoiseTableSize - 1)] : pixel + box.contrast, 0, 255);
      }
  }
  if (hard.precipitation > 0)
    precipitate (y);
  if (spec_.sync_marks) {
    bool mark = false;
    for (const MovingBox &box : spec_.boxes)
      mark |= t >= box.start && t < box.start + ClipSpec::kMarkDuration;
    const int side = spec_.height / 8;
    for (int yy = 0; yy < side && mark; yy++)
      std::memset (y + (std::size_t) yy * spec_.width, 250, side);
  }
  const std::size_t chroma = pixels / 4;
  std::memset (u, 128, chroma);
  std::memset (v, 128, chroma);
}

void
Renderer::shade_and_shake (double t, std::uint8_t *y, int dx, int dy,
    int drift, std::size_t offset)
{
  const HardScene &hard = spec_.hard;
  const int w = spec_.width, h = spec_.height;
  const double gain = 1 + (hard.flicker > 0 ? (next_random (hard_rng_) & 1 ?
          hard.flicker : -hard.flicker) : 0);
  /* The shadow: a disc with a Gaussian edge, its centre crossing from
   * two radii left of the frame to two right of it, where its edge has
   * faded out: it comes and goes gradually. */
  const bool shadow = t >= hard.shadow_start && t < hard.shadow_end;
  const double radius = hard.shadow_size * h / 2;
  const double progress = shadow ? (t - hard.shadow_start)
      / (hard.shadow_end - hard.shadow_start) : 0;
  const double cx = -2 * radius + progress * (w + 4 * radius), cy = h / 2.0;
  std::vector<float> row_shade (w, 1.0f);
  for (int j = 0; j < h; j++) {
    if (shadow)
      for (int i = 0; i < w; i++) {
        const double r = std::hypot (i - cx, j - cy) / radius;
        /* Full depth inside half the radius, fading out to twice it. */
        const double edge = std::max (0.0, r - 0.5);
        row_shade[i] = (float) (1 - hard.shadow_depth * std::exp (-edge
                * edge / 0.18));
      }
    const int sy = std::clamp (j + dy, 0, h - 1);
    const std::uint8_t *scene = &scene_[(std::size_t) sy * w];
    std::uint8_t *out = y + (std::size_t) j * w;
    for (int i = 0; i < w; i++) {
      const int sx = std::clamp (i + dx, 0, w - 1);
      const std::size_t n = (std::size_t) j * w + i;
      const double lit = (scene[sx] + drift) * gain * row_shade[i];
      const int value = (int) std::lround (lit)
          + noise_[(offset + n * 7) & (kNoiseTableSize - 1)];
      out[i] = (std::uint8_t) std::clamp (value, 0, 255);
    }
  }
}

void
Renderer::precipitate (std::uint8_t *y)
{
  const HardScene &hard = spec_.hard;
  const int w = spec_.width, h = spec_.height;
  const std::size_t alive = (std::size_t) std::lround (hard.precipitation
      * w * h / 1e6);
  /* Each streak falls for 2 to 5 frames from where it appears. */
  while (streaks_.size () < alive)
    streaks_.push_back ({(int) (next_random (hard_rng_) % w),
          (int) (next_random (hard_rng_) % h),
          2 + (int) (next_random (hard_rng_) % 4)});
  for (Streak &s : streaks_) {
    for (int k = 0; k < hard.precipitation_length; k++) {
      const int yy = s.y - k;
      if (yy < 0 || yy >= h)
        continue;
      std::uint8_t &pixel = y[(std::size_t) yy * w + s.x];
      pixel = (std::uint8_t) std::clamp (pixel + hard.precipitation_contrast,
          0, 255);
    }
    s.y += hard.precipitation_speed;
    s.life--;
  }
  streaks_.erase (std::remove_if (streaks_.begin (), streaks_.end (),
          [h] (const Streak &s) {
            return s.life <= 0 || s.y - 10 >= h;
          }), streaks_.end ());
}

std::string
write_clip (const ClipSpec &spec, const std::string &path,
    const Encoding &encoding)
{
  int bitrate_kbps = encoding.bitrate_kbps;
  if (spec.width % 2 || spec.height % 2)
    return "width and height must be even";
  if (bitrate_kbps <= 0)
    bitrate_kbps = std::max (500, spec.width * spec.height * spec.fps / 7000);
  const bool mkv = path.size () > 4 && path.substr (path.size () - 4) == ".mkv";
  const int gop = encoding.gop > 0 ? encoding.gop : spec.fps * 2;
  /* CBR as cameras send it: a VBV buffer of one second; no B-frames
   * (x264enc's default). */
  const std::string rate = std::to_string (bitrate_kbps);
  const std::string encoder = encoding.h265 ? "x265enc speed-preset=veryfast "
      "bitrate=" + rate + " key-int-max=" + std::to_string (gop) +
      " option-string=\"bframes=0" + (encoding.cbr ? ":vbv-maxrate=" + rate +
          ":vbv-bufsize=" + rate : std::string ()) + "\" ! h265parse" :
      "x264enc speed-preset=veryfast bitrate=" + rate + " key-int-max=" +
      std::to_string (gop) + (encoding.cbr ? " pass=cbr vbv-buf-capacity=1000"
      : "") + (encoding.intra_refresh ? " intra-refresh=true" : "") +
      " ! h264parse";
  gchar *description = g_strdup_printf ("appsrc name=src format=time ! "
      "%s ! %s name=mux ! filesink name=sink %s", encoder.c_str (),
      mkv ? "matroskamux" : "mp4mux", !spec.sync_marks ? "" : mkv ?
      "appsrc name=audio format=time ! audioconvert ! mux." :
      "appsrc name=audio format=time ! audioconvert ! avenc_aac ! aacparse ! "
      "mux.");
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (description, &error);
  g_free (description);
  if (!pipeline) {
    std::string message = error->message;
    g_error_free (error);
    return message;
  }
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_object_set (sink, "location", path.c_str (), NULL);
  gst_object_unref (sink);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  GstCaps *caps = gst_caps_new_simple ("video/x-raw",
      "format", G_TYPE_STRING, "I420",
      "width", G_TYPE_INT, spec.width, "height", G_TYPE_INT, spec.height,
      "framerate", GST_TYPE_FRACTION, spec.fps, 1, NULL);
  g_object_set (src, "caps", caps, "block", TRUE, "max-bytes",
      (guint64) spec.width * spec.height * 6, NULL);
  gst_caps_unref (caps);

  GstElement *audio = gst_bin_get_by_name (GST_BIN (pipeline), "audio");
  if (audio) {
    caps = gst_caps_new_simple ("audio/x-raw", "format", G_TYPE_STRING,
        "S16LE", "layout", G_TYPE_STRING, "interleaved", "channels",
        G_TYPE_INT, 1, "rate", G_TYPE_INT, ClipSpec::kAudioRate, NULL);
    g_object_set (audio, "caps", caps, NULL);
    gst_caps_unref (caps);
  }

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  if (audio) {
    /* AAC decoders start with the encoder's 1024 priming samples: start the
     * track that much later so that it plays in sync. */
    const std::uint64_t advance = mkv ? 0 : 1024;
    const std::uint64_t total = (std::uint64_t) (spec.duration
        * ClipSpec::kAudioRate);
    const int chunk = 1024;
    for (std::uint64_t first = 0; first < total; first += chunk) {
      GstBuffer *buffer = gst_buffer_new_allocate (NULL, chunk * 2, NULL);
      GstMapInfo map;
      gst_buffer_map (buffer, &map, GST_MAP_WRITE);
      render_audio (spec, first + advance, chunk, (std::int16_t *) map.data);
      gst_buffer_unmap (buffer, &map);
      GST_BUFFER_PTS (buffer) = gst_util_uint64_scale_int (first, GST_SECOND,
          ClipSpec::kAudioRate);
      GST_BUFFER_DURATION (buffer) = gst_util_uint64_scale_int (chunk,
          GST_SECOND, ClipSpec::kAudioRate);
      /* appsrc's queue is unbounded here: audio is small. */
      gst_app_src_push_buffer (GST_APP_SRC (audio), buffer);
    }
    gst_app_src_end_of_stream (GST_APP_SRC (audio));
    gst_object_unref (audio);
  }
  Renderer renderer (spec);
  const std::size_t luma = (std::size_t) spec.width * spec.height;
  for (int i = 0; i < spec.frame_count (); i++) {
    GstBuffer *buffer = gst_buffer_new_allocate (NULL, luma * 3 / 2, NULL);
    GstMapInfo map;
    gst_buffer_map (buffer, &map, GST_MAP_WRITE);
    renderer.render (i, map.data, map.data + luma, map.data + luma * 5 / 4);
    gst_buffer_unmap (buffer, &map);
    GST_BUFFER_PTS (buffer) = gst_util_uint64_scale_int (i, GST_SECOND,
        spec.fps);
    GST_BUFFER_DURATION (buffer) = gst_util_uint64_scale_int (1, GST_SECOND,
        spec.fps);
    if (gst_app_src_push_buffer (GST_APP_SRC (src), buffer) != GST_FLOW_OK)
      break;
  }
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  gst_object_unref (src);

  std::string result;
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
      (GstMessageType) (GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gst_message_parse_error (msg, &error, NULL);
    result = error->message;
    g_error_free (error);
  }
  gst_message_unref (msg);
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  return result;
}

}  // namespace clipgen
