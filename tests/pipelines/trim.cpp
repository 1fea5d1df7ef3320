/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* End-to-end tests: clips with known motion are generated, trimmed into an
 * MP4 by the README pipeline, and the result is decoded and measured. */
#include "clipgen.h"

#include <gst/check/gstcheck.h>

#include <glib/gstdio.h>

#include <algorithm>
#include <string>
#include <vector>

struct RunResult {
  std::string error;
  std::vector<GstClockTime> timestamps;     /* PTS of buffers at "probe" */
  std::vector<GstClockTime> durations;
};

static GstPadProbeReturn
record_buffer (GstPad *, GstPadProbeInfo * info, gpointer data)
{
  RunResult *result = (RunResult *) data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  result->timestamps.push_back (GST_BUFFER_PTS (buffer));
  result->durations.push_back (GST_BUFFER_DURATION (buffer));
  return GST_PAD_PROBE_OK;
}

/* Runs a launch line to EOS; records the buffers reaching the sink pad of
 * the element named "probe", if any. */
static RunResult
run (const std::string & description)
{
  RunResult result;
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (description.c_str (), &error);
  if (!pipeline) {
    result.error = error->message;
    g_error_free (error);
    return result;
  }
  GstElement *probe = gst_bin_get_by_name (GST_BIN (pipeline), "probe");
  if (probe) {
    GstPad *pad = gst_element_get_static_pad (probe, "sink");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, record_buffer, &result,
        NULL);
    gst_object_unref (pad);
    gst_object_unref (probe);
  }
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, 120 * GST_SECOND,
      (GstMessageType) (GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  if (msg == NULL) {
    result.error = "timed out";
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gst_message_parse_error (msg, &error, NULL);
    result.error = error->message;
    g_error_free (error);
  }
  if (msg)
    gst_message_unref (msg);
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  return result;
}

static std::string
temp_path (const gchar * name)
{
  gchar *dir = g_dir_make_tmp ("stillframe-XXXXXX", NULL);
  fail_unless (dir != NULL);
  std::string path = std::string (dir) + "/" + name;
  g_free (dir);
  return path;
}

static void
remove_temp (const std::string & path)
{
  g_unlink (path.c_str ());
  gchar *dir = g_path_get_dirname (path.c_str ());
  g_rmdir (dir);
  g_free (dir);
}

/* Trims `spec` (encoded at `bitrate_kbps`, 0 for clipgen's choice) through
 * the README pipeline (with `encoder`) and checks the output against the
 * same input cut with timestamps=original. */
static void
check_trim (const clipgen::ClipSpec & spec, const std::string & encoder,
    int expected_spans, int bitrate_kbps = 0)
{
  const std::string input = temp_path ("in.mp4");
  const std::string output = g_path_get_dirname (input.c_str ()) +
      std::string ("/out.mp4");
  clipgen::Encoding encoding;
  encoding.bitrate_kbps = bitrate_kbps;
  const std::string written = clipgen::write_clip (spec, input, encoding);
  fail_unless_equals_string (written.c_str (), "");

  const std::string decode = "filesrc location=\"" + input + "\" ! "
      "decodebin ! videoconvert ! stillframedetect ! ";
  RunResult original = run (decode + "stillframecut timestamps=original ! "
      "identity name=probe ! fakesink sync=false");
  fail_unless_equals_string (original.error.c_str (), "");
  RunResult everything = run ("filesrc location=\"" + input + "\" ! "
      "decodebin ! identity name=probe ! fakesink sync=false");
  fail_unless_equals_int ((int) everything.timestamps.size (),
      spec.frame_count ());

  /* Frame i of the input is the i-th in presentation order. */
  std::vector<GstClockTime> input_pts = everything.timestamps;
  std::sort (input_pts.begin (), input_pts.end ());
  std::vector<GstClockTime> kept = original.timestamps;
  int motion_frames = 0, motion_kept = 0, far_static = 0, far_dropped = 0;
  for (int i = 0; i < spec.frame_count (); i++) {
    const bool is_kept =
        std::binary_search (kept.begin (), kept.end (), input_pts[i]);
    if (spec.frame_has_motion (i)) {
      motion_frames++;
      motion_kept += is_kept;
      continue;
    }
    bool far = true;
    for (int j = std::max (0, i - 2 * spec.fps);
        j <= std::min (spec.frame_count () - 1, i + 2 * spec.fps); j++)
      far &= !spec.frame_has_motion (j);
    if (far) {
      far_static++;
      far_dropped += !is_kept;
    }
  }
  fail_unless_equals_int (motion_kept, motion_frames);
  fail_unless (far_static == 0 || far_dropped >= 0.9 * far_static,
      "dropped %d of %d far-static frames", far_dropped, far_static);

  /* The README pipeline. */
  RunResult trim = run (decode + "stillframecut ! " + encoder +
      " ! mp4mux ! filesink location=\"" + output + "\"");
  fail_unless_equals_string (trim.error.c_str (), "");

  /* It decodes fully, to exactly the frames original mode passed, on a
   * continuous timeline as long as what was kept. */
  RunResult decoded = run ("filesrc location=\"" + output + "\" ! decodebin "
      "! identity name=probe ! fakesink sync=false");
  fail_unless_equals_string (decoded.error.c_str (), "");
  fail_unless_equals_int (decoded.timestamps.size (), kept.size ());
  GstClockTime kept_duration = 0;
  for (GstClockTime d : original.durations)
    kept_duration += d;
  std::vector<GstClockTime> out_pts = decoded.timestamps;
  std::sort (out_pts.begin (), out_pts.end ());
  const GstClockTime frame = gst_util_uint64_scale (1, GST_SECOND, spec.fps);
  for (size_t i = 1; i < out_pts.size (); i++)
    fail_unless (out_pts[i] - out_pts[i - 1] <= frame + GST_MSECOND,
        "hole in the output timeline at %" GST_TIME_FORMAT,
        GST_TIME_ARGS (out_pts[i]));

  GstElement *pipeline = gst_parse_launch (("filesrc location=\"" + output +
          "\" ! qtdemux ! fakesink").c_str (), NULL);
  gst_element_set_state (pipeline, GST_STATE_PAUSED);
  gst_element_get_state (pipeline, NULL, NULL, 10 * GST_SECOND);
  gint64 file_duration = -1;
  fail_unless (gst_element_query_duration (pipeline, GST_FORMAT_TIME,
          &file_duration));
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  const GstClockTimeDiff difference = file_duration - (gint64) kept_duration;
  fail_unless (ABS (difference) <= (gint64) (frame * expected_spans),
      "file lasts %" GST_TIME_FORMAT ", kept %" GST_TIME_FORMAT,
      GST_TIME_ARGS (file_duration), GST_TIME_ARGS (kept_duration));
  fail_unless (kept_duration < (GstClockTime) (spec.duration * GST_SECOND)
      * 3 / 4, "nothing much was cut");

  g_unlink (output.c_str ());
  remove_temp (input);
}

GST_START_TEST (test_trim_noisy_clip_with_drift)
{
  clipgen::ClipSpec spec;
  spec.width = 640;
  spec.height = 360;
  spec.duration = 16;
  spec.noise_sigma = 4;
  spec.drift_amplitude = 12;
  spec.drift_period = 30;
  spec.add_spans ("3-4.5,9-9.4,13-14");
  check_trim (spec, "x264enc speed-preset=ultrafast", 3);
}

GST_END_TEST;

GST_START_TEST (test_trim_720p_with_bframes)
{
  /* Re-timestamped raw video must survive an encoder that reorders. */
  clipgen::ClipSpec spec;
  spec.width = 1280;
  spec.height = 720;
  spec.fps = 25;
  spec.duration = 9;
  spec.noise_sigma = 3;
  spec.add_spans ("4-5");
  check_trim (spec, "x264enc speed-preset=ultrafast bframes=2", 1);
}

GST_END_TEST;

GST_START_TEST (test_trim_starved_bitrate)
{
  /* Noise coded at a tenth of a usual bitrate: blocks that come and go,
   * and a keyframe every 2 s that redraws them all. None of it is motion. */
  clipgen::ClipSpec spec;
  spec.width = 640;
  spec.height = 360;
  spec.duration = 14;
  spec.noise_sigma = 5;
  spec.add_spans ("6-7");
  check_trim (spec, "x264enc speed-preset=ultrafast", 1, 150);
}

GST_END_TEST;

GST_START_TEST (test_state_cycles_and_reuse)
{
  GstElement *pipeline = gst_parse_launch ("videotestsrc num-buffers=60 "
      "pattern=ball ! stillframedetect ! stillframecut min-static-duration=0 "
      "! fakesink sync=false", NULL);
  fail_unless (pipeline != NULL);
  const GstState states[] = { GST_STATE_READY, GST_STATE_PAUSED,
    GST_STATE_PLAYING, GST_STATE_PAUSED, GST_STATE_READY, GST_STATE_NULL
  };
  for (int round = 0; round < 3; round++)
    for (GstState state : states) {
      fail_if (gst_element_set_state (pipeline, state) ==
          GST_STATE_CHANGE_FAILURE);
      fail_if (gst_element_get_state (pipeline, NULL, NULL, 5 * GST_SECOND)
          == GST_STATE_CHANGE_FAILURE);
    }
  /* Still runs to the end after all that. */
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      (GstMessageType) (GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

GST_END_TEST;

static Suite *
trim_suite (void)
{
  Suite *s = suite_create ("trim");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 300);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_trim_noisy_clip_with_drift);
  tcase_add_test (tc, test_trim_720p_with_bframes);
  tcase_add_test (tc, test_trim_starved_bitrate);
  tcase_add_test (tc, test_state_cycles_and_reuse);
  return s;
}

GST_CHECK_MAIN (trim);
