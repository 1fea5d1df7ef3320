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
  const int side = std::max (2, (int) std::lround (box.size * spec.height));
  const double range = std::max (1, spec.width - side);
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
  const int y0 = (int) std::lround (box.y * spec.height) - side / 2;
  return BoxPosition { x0, y0, x0 + side, y0 + side };
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
  for (const MovingBox &box : boxes)
    if (t >= box.start && t < box.end)
      return true;
  return false;
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
      noise_ (kNoiseTableSize), rng_ (spec.seed * 0x9E3779B97F4A7C15ULL + 1)
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
  for (std::size_t i = 0; i < pixels; i++) {
    const int value = scene_[i] + drift
        + noise_[(offset + i * 7) & (kNoiseTableSize - 1)];
    y[i] = (std::uint8_t) std::clamp (value, 0, 255);
  }
  for (const MovingBox &box : spec_.boxes) {
    if (t < box.start || t >= box.end)
      continue;
    const BoxPosition p = box_at (spec_, box, t);
    for (int yy = std::max (0, p.y0); yy < std::min (spec_.height, p.y1); yy++)
      for (int xx = std::max (0, p.x0); xx < std::min (spec_.width, p.x1);
          xx++) {
        std::uint8_t &pixel = y[(std::size_t) yy * spec_.width + xx];
        pixel = (std::uint8_t) std::clamp (pixel + box.contrast, 0, 255);
      }
  }
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

std::string
write_clip (const ClipSpec &spec, const std::string &path, int bitrate_kbps)
{
  if (spec.width % 2 || spec.height % 2)
    return "width and height must be even";
  if (bitrate_kbps <= 0)
    bitrate_kbps = std::max (500, spec.width * spec.height * spec.fps / 7000);
  const bool mkv = path.size () > 4 && path.substr (path.size () - 4) == ".mkv";
  gchar *description = g_strdup_printf ("appsrc name=src format=time ! "
      "x264enc speed-preset=veryfast bitrate=%d key-int-max=%d ! h264parse ! "
      "%s name=mux ! filesink name=sink %s", bitrate_kbps, spec.fps * 2,
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
