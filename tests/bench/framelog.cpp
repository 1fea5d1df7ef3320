/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stillframe-framelog: decodes a file through stillframedetect and
 * stillframecut (timestamps=original) and prints one CSV line per frame:
 * pts_s,score,motion,kept. Extra element properties can be given as
 * "element.property=value" arguments. Used by the accuracy benchmark. */
#include <gst/gst.h>

#include "stillframemeta.h"

#include <cstdio>
#include <map>
#include <string>
#include <vector>

struct FrameRecord {
  double score = 0;
  bool motion = false;
  bool kept = false;
};

static std::map<GstClockTime, FrameRecord> frames;

static GstPadProbeReturn
on_detected (GstPad *, GstPadProbeInfo * info, gpointer)
{
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  stillframe::MotionMetaFields meta;
  if (meta.read (buffer)) {
    FrameRecord &record = frames[GST_BUFFER_PTS (buffer)];
    record.score = meta.score;
    record.motion = meta.motion;
  }
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
on_kept (GstPad *, GstPadProbeInfo * info, gpointer)
{
  frames[GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info))].kept = true;
  return GST_PAD_PROBE_OK;
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  if (argc < 2) {
    g_printerr ("usage: stillframe-framelog FILE [detect.prop=value | "
        "cut.prop=value ...]\n");
    return 1;
  }
  gchar *uri = gst_filename_to_uri (argv[1], NULL);
  std::string detect_props, cut_props;
  for (int i = 2; i < argc; i++) {
    std::string arg = argv[i];
    if (arg.rfind ("detect.", 0) == 0)
      detect_props += " " + arg.substr (7);
    else if (arg.rfind ("cut.", 0) == 0)
      cut_props += " " + arg.substr (4);
  }
  gchar *description = g_strdup_printf ("uridecodebin uri=\"%s\" "
      "expose-all-streams=false caps=\"video/x-raw(ANY)\" ! videoconvert ! "
      "stillframedetect name=detect post-messages=false%s ! "
      "stillframecut name=cut timestamps=original%s ! "
      "fakesink name=sink sync=false", uri, detect_props.c_str (),
      cut_props.c_str ());
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (description, &error);
  g_free (description);
  g_free (uri);
  /* gst_parse_launch may return a pipeline and an error both. */
  if (!pipeline || error) {
    g_printerr ("%s\n", error ? error->message : "cannot make the pipeline");
    return 1;
  }
  GstElement *detect = gst_bin_get_by_name (GST_BIN (pipeline), "detect");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstPad *pad = gst_element_get_static_pad (detect, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_detected, NULL, NULL);
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_kept, NULL, NULL);
  gst_object_unref (pad);
  gst_object_unref (detect);
  gst_object_unref (sink);

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
      (GstMessageType) (GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  int status = 0;
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gst_message_parse_error (msg, &error, NULL);
    g_printerr ("%s\n", error->message);
    g_error_free (error);
    status = 2;
  }
  gst_message_unref (msg);
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);

  std::printf ("pts_s,score,motion,kept\n");
  for (const auto &[pts, record] : frames)
    std::printf ("%.6f,%.6f,%d,%d\n", (double) pts / GST_SECOND, record.score,
        record.motion, record.kept);
  return status;
}
