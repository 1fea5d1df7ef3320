/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stillframedetect ! stillframecut under what real streams do: caps and
 * frame-rate changes, variable frame rate, interlacing, missing, backward
 * and jumping timestamps, live sources, property changes from another
 * thread, flushing seeks, and many pipelines at once. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/base/gstbasetransform.h>
#include <gst/video/video.h>

#include <cstring>
#include <string>
#include <vector>

#define MS (GST_MSECOND)

/* detect ! cut in a harness; the cut keeps 0.5 s around motion and cuts
 * static spans from 1 s. */
static GstHarness *
setup_chain (const gchar * timestamps)
{
  gchar *launch = g_strdup_printf ("stillframedetect ! stillframecut "
      "timestamps=%s min-static-duration=1000000000 pre-roll=500000000 "
      "post-roll=500000000", timestamps);
  GstHarness *h = gst_harness_new_parse (launch);
  g_free (launch);
  gst_harness_set_live (h, FALSE);
  return h;
}

static void
set_caps (GstHarness * h, int width, int height, const gchar * extra)
{
  gchar *caps = g_strdup_printf ("video/x-raw,format=I420,width=%d,"
      "height=%d%s", width, height, extra);
  gst_harness_set_src_caps_str (h, caps);
  g_free (caps);
}

/* A grey I420 frame, with a bright square at x (none when x < 0). */
static GstBuffer *
make_frame (int width, int height, int x, GstClockTime pts,
    GstClockTime duration)
{
  GstVideoInfo info;
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, width, height);
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, info.size, NULL);
  GstMapInfo map;
  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  memset (map.data, 90, map.size);
  const int side = height / 4;
  for (int y = height / 3; x >= 0 && y < height / 3 + side; y++)
    memset (map.data + info.offset[0] + y * info.stride[0] + x, 230,
        std::min (side, width - x));
  gst_buffer_unmap (buffer, &map);
  GST_BUFFER_PTS (buffer) = pts;
  GST_BUFFER_DURATION (buffer) = duration;
  return buffer;
}

/* Pulls everything the cut let out; checks that the output timeline is
 * valid: every PTS set and strictly increasing. */
static std::vector<GstClockTime>
pull_and_check_timeline (GstHarness * h)
{
  std::vector<GstClockTime> pts;
  GstBuffer *out;
  while ((out = gst_harness_try_pull (h))) {
    fail_unless (GST_BUFFER_PTS_IS_VALID (out), "output without PTS");
    if (!pts.empty ())
      fail_unless (GST_BUFFER_PTS (out) > pts.back (),
          "output PTS %" GST_TIME_FORMAT " after %" GST_TIME_FORMAT,
          GST_TIME_ARGS (GST_BUFFER_PTS (out)), GST_TIME_ARGS (pts.back ()));
    pts.push_back (GST_BUFFER_PTS (out));
    gst_buffer_unref (out);
  }
  return pts;
}

/* Static, moving, static: the static tail is longer than min-static. */
static void
push_scene (GstHarness * h, int width, int height, GstClockTime * pts,
    GstClockTime step, int frames)
{
  for (int i = 0; i < frames; i++) {
    const bool moving = i >= frames / 3 && i < frames / 2;
    const int x = moving ? (i * 7) % (width / 2) : 10;
    fail_unless_equals_int (gst_harness_push (h, make_frame (width, height,
                x, *pts, step)), GST_FLOW_OK);
    *pts += step;
  }
}

GST_START_TEST (test_resolution_and_rate_change)
{
  GstHarness *h = setup_chain ("retime");
  GstClockTime pts = 0;
  set_caps (h, 320, 240, ",framerate=30/1");
  push_scene (h, 320, 240, &pts, GST_SECOND / 30, 150);
  set_caps (h, 640, 360, ",framerate=30/1");
  push_scene (h, 640, 360, &pts, GST_SECOND / 30, 150);
  set_caps (h, 640, 360, ",framerate=10/1");
  push_scene (h, 640, 360, &pts, GST_SECOND / 10, 60);
  gst_harness_push_event (h, gst_event_new_eos ());
  std::vector<GstClockTime> out = pull_and_check_timeline (h);
  /* Each scene's motion is kept, each long static tail mostly cut. */
  fail_unless (out.size () > 60 && out.size () < 300, "kept %zu of 360",
      out.size ());
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_variable_frame_rate)
{
  GstHarness *h = setup_chain ("retime");
  set_caps (h, 320, 240, ",framerate=0/1");
  GstClockTime pts = 0;
  for (int i = 0; i < 300; i++) {
    /* 15 to 60 fps, no durations. */
    const GstClockTime step = (16 + (i * 37) % 50) * MS;
    const bool moving = i >= 100 && i < 140;
    fail_unless_equals_int (gst_harness_push (h, make_frame (320, 240,
                moving ? i * 2 % 200 : 10, pts, GST_CLOCK_TIME_NONE)),
        GST_FLOW_OK);
    pts += step;
  }
  gst_harness_push_event (h, gst_event_new_eos ());
  std::vector<GstClockTime> out = pull_and_check_timeline (h);
  fail_unless (out.size () >= 40 && out.size () < 200, "kept %zu",
      out.size ());
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_interlaced_input)
{
  GstHarness *h = setup_chain ("original");
  set_caps (h, 320, 240, ",framerate=30/1,interlace-mode=interleaved");
  GstClockTime pts = 0;
  push_scene (h, 320, 240, &pts, GST_SECOND / 30, 120);
  gst_harness_push_event (h, gst_event_new_eos ());
  std::vector<GstClockTime> out = pull_and_check_timeline (h);
  fail_unless (out.size () > 20 && out.size () < 120, "kept %zu",
      out.size ());
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Frames without PTS and frames going back in time are placed after their
 * predecessor; both timestamp modes give a valid timeline. */
static void
check_broken_timestamps (const gchar * mode)
{
  GstHarness *h = setup_chain (mode);
  set_caps (h, 320, 240, ",framerate=30/1");
  const GstClockTime step = GST_SECOND / 30;
  for (int i = 0; i < 200; i++) {
    GstClockTime pts = i * step;
    if (i % 17 == 5)
      pts = GST_CLOCK_TIME_NONE;
    else if (i % 23 == 7)
      pts = i * step / 2;       /* backwards */
    fail_unless_equals_int (gst_harness_push (h, make_frame (320, 240,
                (i * 5) % 200, pts, step)), GST_FLOW_OK);
  }
  gst_harness_push_event (h, gst_event_new_eos ());
  std::vector<GstClockTime> out = pull_and_check_timeline (h);
  fail_unless_equals_int ((int) out.size (), 200);
  gst_harness_teardown (h);
}

GST_START_TEST (test_missing_and_backward_timestamps)
{
  check_broken_timestamps ("retime");
  check_broken_timestamps ("original");
}

GST_END_TEST;

GST_START_TEST (test_discontinuity)
{
  GstHarness *h = setup_chain ("retime");
  set_caps (h, 320, 240, ",framerate=30/1");
  GstClockTime pts = 0;
  push_scene (h, 320, 240, &pts, GST_SECOND / 30, 90);
  /* The stream jumps 10 minutes ahead: only the motion around it stays. */
  pts += 600 * GST_SECOND;
  GstBuffer *jump = make_frame (320, 240, 60, pts, GST_SECOND / 30);
  GST_BUFFER_FLAG_SET (jump, GST_BUFFER_FLAG_DISCONT);
  fail_unless_equals_int (gst_harness_push (h, jump), GST_FLOW_OK);
  pts += GST_SECOND / 30;
  push_scene (h, 320, 240, &pts, GST_SECOND / 30, 90);
  gst_harness_push_event (h, gst_event_new_eos ());
  std::vector<GstClockTime> out = pull_and_check_timeline (h);
  fail_unless (!out.empty ());
  /* Retimed: no 10 minute hole in the output. */
  fail_unless (out.back () < 10 * GST_SECOND, "output reaches %"
      GST_TIME_FORMAT, GST_TIME_ARGS (out.back ()));
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---- Whole pipelines ---- */

static GstMessage *
run_to_end (GstElement * pipeline, GstClockTime timeout)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, timeout,
      (GstMessageType) (GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  gst_object_unref (bus);
  return msg;
}

static void
expect_eos (GstMessage * msg)
{
  fail_unless (msg != NULL, "timed out");
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *error = NULL;
    gst_message_parse_error (msg, &error, NULL);
    fail ("error: %s", error->message);
  }
  gst_message_unref (msg);
}

GST_START_TEST (test_live_source_with_sync)
{
  GstElement *pipeline = gst_parse_launch ("videotestsrc is-live=true "
      "num-buffers=45 pattern=ball ! video/x-raw,width=320,height=240,"
      "framerate=30/1 ! stillframedetect ! stillframecut name=cut "
      "timestamps=original min-static-duration=1000000000 "
      "pre-roll=500000000 ! fakesink name=sink sync=true", NULL);
  fail_unless (pipeline != NULL);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_object_set (sink, "qos", TRUE, NULL);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  fail_unless (gst_element_get_state (pipeline, NULL, NULL, 10 * GST_SECOND)
      == GST_STATE_CHANGE_SUCCESS);

  /* Latency is reported, live, and bounded by the cut's hold time. */
  GstQuery *query = gst_query_new_latency ();
  fail_unless (gst_element_query (pipeline, query));
  gboolean live;
  GstClockTime min, max;
  gst_query_parse_latency (query, &live, &min, &max);
  gst_query_unref (query);
  fail_unless (live);
  fail_unless (min >= GST_SECOND && min < 2 * GST_SECOND,
      "latency %" GST_TIME_FORMAT, GST_TIME_ARGS (min));
  fail_unless (!GST_CLOCK_TIME_IS_VALID (max) || max >= min);

  expect_eos (run_to_end (pipeline, 30 * GST_SECOND));
  /* The ball moves all the time: everything reached the sink in time. */
  guint64 rendered = 0, dropped = 0;
  GstStructure *stats;
  g_object_get (sink, "stats", &stats, NULL);
  gst_structure_get_uint64 (stats, "rendered", &rendered);
  gst_structure_get_uint64 (stats, "dropped", &dropped);
  gst_structure_free (stats);
  fail_unless_equals_uint64 (dropped, 0);
  fail_unless (rendered >= 40, "rendered %" G_GUINT64_FORMAT, rendered);
  gst_object_unref (sink);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

GST_END_TEST;

static void
expect_launch_line_ends (const gchar * launch)
{
  GstElement *pipeline = gst_parse_launch (launch, NULL);
  fail_unless (pipeline != NULL, "%s", launch);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  GstMessage *msg = run_to_end (pipeline, 30 * GST_SECOND);
  fail_unless (msg != NULL, "hangs: %s", launch);
  expect_eos (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

/* Audio buffers of any length: 128 ms, 0.5 s and 2 s ones, each longer
 * than what the video can decide before its sink blocks in preroll. */
GST_START_TEST (test_long_audio_buffers)
{
  for (int samples : {1024, 4000, 16000}) {
    gchar *launch = g_strdup_printf ("videotestsrc num-buffers=25 "
        "pattern=ball ! stillframedetect ! stillframecut name=cut ! fakesink "
        "audiotestsrc num-buffers=3 samplesperbuffer=%d ! "
        "audio/x-raw,rate=8000 ! cut.audio_sink_0 cut.audio_src_0 ! "
        "fakesink", samples);
    expect_launch_line_ends (launch);
    g_free (launch);
  }
}

GST_END_TEST;

/* A branch of a tee behind a cut that has dropped (or held) everything so
 * far prerolls, so the other branch is not stuck either. Behind an encoder,
 * which keeps the cut's gap with its frames, the sink needs async=false
 * (docs/stillframecut.md). */
GST_START_TEST (test_tee_branch_behind_a_cut_prerolls)
{
  for (const gchar *mode : {"retime", "original"}) {
    for (const gchar *tail : {"fakesink",
            "x264enc tune=zerolatency ! fakesink async=false"}) {
      gchar *launch = g_strdup_printf ("videotestsrc num-buffers=150 "
          "pattern=solid-color ! video/x-raw,width=160,height=120,"
          "framerate=30/1 ! stillframedetect ! tee name=t "
          "t. ! queue ! fakesink "
          "t. ! queue ! stillframecut timestamps=%s ! %s", mode, tail);
      expect_launch_line_ends (launch);
      g_free (launch);
    }
  }
}

GST_END_TEST;

struct Fiddler
{
  GstElement *detect, *cut;
  volatile gint stop;
};

static gpointer
fiddle_with_properties (gpointer data)
{
  Fiddler *f = (Fiddler *) data;
  for (guint i = 0; !g_atomic_int_get (&f->stop); i++) {
    g_object_set (f->detect, "sensitivity", (i % 10) / 10.0,
        "threshold", 0.0005 * (1 + i % 4), "analysis-width", 64 + 32 * (i % 8),
        "regions", i % 3 ? "" : "0.0,0.0,0.5,1.0",
        "ignore-regions", i % 5 ? "" : "10,10,40,40", NULL);
    g_object_set (f->cut, "min-static-duration", (guint64) (i % 5) *
        200 * MS, "pre-roll", (guint64) (i % 3) * 100 * MS,
        "post-roll", (guint64) (i % 4) * 100 * MS, NULL);
    g_usleep (500);
  }
  return NULL;
}

GST_START_TEST (test_property_changes_while_playing)
{
  GstElement *pipeline = gst_parse_launch ("videotestsrc num-buffers=600 "
      "pattern=ball ! video/x-raw,width=320,height=240 ! stillframedetect "
      "name=detect ! stillframecut name=cut ! fakesink sync=false", NULL);
  Fiddler f;
  f.detect = gst_bin_get_by_name (GST_BIN (pipeline), "detect");
  f.cut = gst_bin_get_by_name (GST_BIN (pipeline), "cut");
  f.stop = 0;
  GThread *thread = g_thread_new ("fiddler", fiddle_with_properties, &f);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  expect_eos (run_to_end (pipeline, 60 * GST_SECOND));
  g_atomic_int_set (&f.stop, 1);
  g_thread_join (thread);
  gst_object_unref (f.detect);
  gst_object_unref (f.cut);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

GST_END_TEST;

GST_START_TEST (test_flushing_seeks_during_playback)
{
  GstElement *pipeline = gst_parse_launch ("videotestsrc pattern=ball "
      "num-buffers=150 ! video/x-raw,width=320,height=240,framerate=30/1 ! "
      "stillframedetect ! stillframecut timestamps=original "
      "min-static-duration=500000000 ! fakesink sync=true", NULL);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  fail_unless (gst_element_get_state (pipeline, NULL, NULL, 10 * GST_SECOND)
      == GST_STATE_CHANGE_SUCCESS);
  const gint64 targets[] = { 3, 1, 4, 0, 2 };
  for (gint64 seconds : targets) {
    g_usleep (150 * 1000);
    fail_unless (gst_element_seek_simple (pipeline, GST_FORMAT_TIME,
            (GstSeekFlags) (GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE),
            seconds * GST_SECOND));
  }
  expect_eos (run_to_end (pipeline, 30 * GST_SECOND));
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

GST_END_TEST;

GST_START_TEST (test_many_pipelines_at_once)
{
  std::vector<GstElement *> pipelines;
  for (int i = 0; i < 12; i++) {
    gchar *launch = g_strdup_printf ("videotestsrc num-buffers=120 "
        "pattern=%s ! video/x-raw,width=%d,height=%d ! stillframedetect ! "
        "stillframecut min-static-duration=%d ! fakesink sync=false",
        i % 2 ? "ball" : "solid-color", 160 + 16 * i, 120 + 8 * i,
        i * 100000000);
    pipelines.push_back (gst_parse_launch (launch, NULL));
    g_free (launch);
  }
  for (GstElement *p : pipelines)
    gst_element_set_state (p, GST_STATE_PLAYING);
  for (GstElement *p : pipelines) {
    expect_eos (run_to_end (p, 60 * GST_SECOND));
    gst_element_set_state (p, GST_STATE_NULL);
    gst_object_unref (p);
  }
}

GST_END_TEST;

/* The README's videoconvert costs nothing on what decoders output: the
 * detector takes those formats as they are. */
GST_START_TEST (test_readme_videoconvert_is_passthrough)
{
  for (const gchar *format : {"I420", "NV12", "YUY2", "BGRx"}) {
    gchar *launch = g_strdup_printf ("videotestsrc num-buffers=3 ! "
        "video/x-raw,format=%s,width=320,height=240 ! videoconvert name=c ! "
        "stillframedetect ! stillframecut ! fakesink", format);
    GstElement *pipeline = gst_parse_launch (launch, NULL);
    g_free (launch);
    gst_element_set_state (pipeline, GST_STATE_PAUSED);
    fail_unless (gst_element_get_state (pipeline, NULL, NULL, 10 * GST_SECOND)
        == GST_STATE_CHANGE_SUCCESS);
    GstElement *convert = gst_bin_get_by_name (GST_BIN (pipeline), "c");
    fail_unless (gst_base_transform_is_passthrough (GST_BASE_TRANSFORM
            (convert)), "videoconvert converts %s", format);
    gst_object_unref (convert);
    gst_element_set_state (pipeline, GST_STATE_NULL);
    gst_object_unref (pipeline);
  }
}

GST_END_TEST;

static Suite *
robustness_suite (void)
{
  Suite *s = suite_create ("robustness");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_resolution_and_rate_change);
  tcase_add_test (tc, test_variable_frame_rate);
  tcase_add_test (tc, test_interlaced_input);
  tcase_add_test (tc, test_missing_and_backward_timestamps);
  tcase_add_test (tc, test_discontinuity);
  tcase_add_test (tc, test_live_source_with_sync);
  tcase_add_test (tc, test_long_audio_buffers);
  tcase_add_test (tc, test_tee_branch_behind_a_cut_prerolls);
  tcase_add_test (tc, test_property_changes_while_playing);
  tcase_add_test (tc, test_flushing_seeks_during_playback);
  tcase_add_test (tc, test_many_pipelines_at_once);
  tcase_add_test (tc, test_readme_videoconvert_is_passthrough);
  return s;
}

GST_CHECK_MAIN (robustness);
