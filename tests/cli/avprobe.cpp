/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stillframe-avprobe --packets FILE.mp4: prints the MD5 of each H.264/H.265
 * packet as stored (demuxed, not re-parsed), in decoding order, one per
 * line. --slices: of its coded slices only, so that parameter sets a
 * stream carries in band (RTSP cameras repeat them at each keyframe) do
 * not count.
 *
 * stillframe-avprobe FILE: decodes a file as a player would (decodebin) and
 * prints, as JSON, when the sync marks of stillframe-clipgen start: the
 * white top-left square in the picture and the tone in the audio, in
 * running time (what a player synchronises on: edit lists and segments
 * applied), plus frame count and durations. */
#include <gst/app/gstappsink.h>
#include <gst/gst.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

/* The running time of a sample's buffer, in seconds. */
static double
running_seconds (GstSample *sample)
{
  GstBuffer *buffer = gst_sample_get_buffer (sample);
  const GstClockTime rt = gst_segment_to_running_time (gst_sample_get_segment
      (sample), GST_FORMAT_TIME, GST_BUFFER_PTS (buffer));
  return GST_CLOCK_TIME_IS_VALID (rt) ? (double) rt / GST_SECOND : -1.0;
}

struct Probe {
  std::vector<double> video_marks, audio_marks;
  bool video_on = false;
  int audio_quiet = 1 << 30;     /* samples since the last loud one */
  guint64 frames = 0;
  double video_end = 0, audio_end = 0;
};

static void
on_video (GstAppSink *sink, Probe *p)
{
  GstSample *sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buffer = gst_sample_get_buffer (sample);
  GstStructure *s = gst_caps_get_structure (gst_sample_get_caps (sample), 0);
  int width = 0, height = 0;
  gst_structure_get_int (s, "width", &width);
  gst_structure_get_int (s, "height", &height);
  const int stride = (width + 3) & ~3;
  GstMapInfo map;
  gst_buffer_map (buffer, &map, GST_MAP_READ);
  const int side = height / 8;
  double sum = 0;
  for (int y = side / 4; y < side * 3 / 4; y++)
    for (int x = side / 4; x < side * 3 / 4; x++)
      sum += map.data[y * stride + x];
  gst_buffer_unmap (buffer, &map);
  const bool on = sum / ((side / 2) * (side / 2)) > 200;
  const double t = running_seconds (sample);
  if (on && !p->video_on)
    p->video_marks.push_back (t);
  p->video_on = on;
  p->frames++;
  p->video_end = std::max (p->video_end, t + (double) GST_BUFFER_DURATION
      (buffer) / GST_SECOND);
  gst_sample_unref (sample);
}

static void
on_audio (GstAppSink *sink, Probe *p)
{
  GstSample *sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buffer = gst_sample_get_buffer (sample);
  GstMapInfo map;
  gst_buffer_map (buffer, &map, GST_MAP_READ);
  const gint16 *data = (const gint16 *) map.data;
  const int n = map.size / 2;
  const double t0 = running_seconds (sample);
  for (int i = 0; i < n; i++) {
    if (std::abs (data[i]) > 3000) {
      /* A tone after 50 ms of quiet is a new mark. */
      if (p->audio_quiet > 2400)
        p->audio_marks.push_back (t0 + (double) i / 48000);
      p->audio_quiet = 0;
    } else {
      p->audio_quiet++;
    }
  }
  p->audio_end = std::max (p->audio_end, t0 + (double) n / 48000);
  gst_buffer_unmap (buffer, &map);
  gst_sample_unref (sample);
}

static void
on_pad (GstElement *, GstPad *pad, GstElement *pipeline)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);
  const bool video = g_str_has_prefix (gst_structure_get_name
      (gst_caps_get_structure (caps, 0)), "video/");
  gst_caps_unref (caps);
  GstElement *bin = gst_parse_bin_from_description (video ?
      "videoconvert ! video/x-raw,format=GRAY8 ! appsink name=vsink sync=false"
      : "audioconvert ! audioresample ! audio/x-raw,format=S16LE,channels=1,"
      "rate=48000 ! appsink name=asink sync=false", TRUE, NULL);
  gst_bin_add (GST_BIN (pipeline), bin);
  gst_element_sync_state_with_parent (bin);
  GstPad *sink = gst_element_get_static_pad (bin, "sink");
  gst_pad_link (pad, sink);
  gst_object_unref (sink);
  GstElement *app = gst_bin_get_by_name (GST_BIN (bin), video ? "vsink" :
      "asink");
  Probe *p = (Probe *) g_object_get_data (G_OBJECT (pipeline), "probe");
  g_object_set (app, "emit-signals", TRUE, NULL);
  g_signal_connect (app, "new-sample", video ? G_CALLBACK (+[] (GstAppSink *s,
              gpointer d) { on_video (s, (Probe *) d); return GST_FLOW_OK; })
      : G_CALLBACK (+[] (GstAppSink *s, gpointer d) {
        on_audio (s, (Probe *) d); return GST_FLOW_OK; }), p);
  gst_object_unref (app);
}

/* The coded slice NAL units of a length-prefixed (avc, hvc1) access
 * unit, one after the other. */
static std::string
slices_of (const guint8 *data, gsize size, bool h265)
{
  std::string slices;
  for (gsize at = 0; at + 4 < size;) {
    const gsize length = ((gsize) data[at] << 24) | (data[at + 1] << 16) |
        (data[at + 2] << 8) | data[at + 3];
    at += 4;
    if (length == 0 || at + length > size)
      break;
    const int type = h265 ? (data[at] >> 1) & 0x3f : data[at] & 0x1f;
    if (h265 ? type < 32 : type >= 1 && type <= 5)
      slices.append ((const char *) data + at, length);
    at += length;
  }
  return slices;
}

static int
print_packets (const char *path, bool slices_only)
{
  gchar *description = g_strdup_printf ("filesrc location=\"%s\" ! qtdemux "
      "! video/x-h264;video/x-h265 ! appsink name=sink sync=false", path);
  GstElement *pipeline = gst_parse_launch (description, NULL);
  g_free (description);
  if (!pipeline)
    return 2;
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  while (GstSample *sample = gst_app_sink_pull_sample (GST_APP_SINK (sink))) {
    GstMapInfo map;
    GstBuffer *buffer = gst_sample_get_buffer (sample);
    gst_buffer_map (buffer, &map, GST_MAP_READ);
    const bool h265 = gst_structure_has_name (gst_caps_get_structure
        (gst_sample_get_caps (sample), 0), "video/x-h265");
    const std::string slices = slices_only ? slices_of (map.data, map.size,
        h265) : std::string ((const char *) map.data, map.size);
    gchar *md5 = g_compute_checksum_for_data (G_CHECKSUM_MD5,
        (const guchar *) slices.data (), slices.size ());
    std::printf ("%s\n", md5);
    g_free (md5);
    gst_buffer_unmap (buffer, &map);
    gst_sample_unref (sample);
  }
  gst_object_unref (sink);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  return 0;
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  if (argc == 3 && (g_str_equal (argv[1], "--packets") ||
          g_str_equal (argv[1], "--slices")))
    return print_packets (argv[2], g_str_equal (argv[1], "--slices"));
  if (argc != 2) {
    std::fprintf (stderr, "usage: stillframe-avprobe FILE\n");
    return 1;
  }
  Probe probe;
  GstElement *pipeline = gst_pipeline_new (NULL);
  g_object_set_data (G_OBJECT (pipeline), "probe", &probe);
  GstElement *decode = gst_element_factory_make ("uridecodebin", NULL);
  gchar *uri = gst_filename_to_uri (argv[1], NULL);
  g_object_set (decode, "uri", uri, NULL);
  g_free (uri);
  gst_bin_add (GST_BIN (pipeline), decode);
  g_signal_connect (decode, "pad-added", G_CALLBACK (on_pad), pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, 300 * GST_SECOND,
      (GstMessageType) (GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  int status = 0;
  if (!msg || GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    std::fprintf (stderr, "stillframe-avprobe: cannot decode %s\n", argv[1]);
    status = 2;
  }
  if (msg)
    gst_message_unref (msg);
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);

  auto list = [] (const std::vector<double> &v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size (); i++) {
      char buf[32];
      std::snprintf (buf, sizeof buf, "%s%.6f", i ? ", " : "", v[i]);
      s += buf;
    }
    return s + "]";
  };
  std::printf ("{\"frames\": %llu, \"video_end\": %.6f, \"audio_end\": %.6f, "
      "\"video_marks\": %s, \"audio_marks\": %s}\n",
      (unsigned long long) probe.frames, probe.video_end, probe.audio_end,
      list (probe.video_marks).c_str (), list (probe.audio_marks).c_str ());
  return status;
}
