/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stillframedetect + stillframecut in front of an expensive stage: only
 * frames that moved reach it. The cut keeps the source's timestamps
 * (timestamps=original) and no static frames around motion (zero rolls),
 * so the stage sees each moving frame at its own time, and GAP events in
 * between. Counts what reached the stage and what was skipped.
 *
 *   skip_static VIDEO [COST_MS]
 *
 * COST_MS pretends the stage spends that long on each frame (an inference
 * model), to show the time saved. The same pipeline from a shell:
 *
 *   gst-launch-1.0 uridecodebin uri=file:///path/in.mp4 ! videoconvert ! \
 *     stillframedetect ! stillframecut timestamps=original pre-roll=0 \
 *     post-roll=0 min-static-duration=0 ! fakesink
 */
#include <gst/gst.h>

#include <stdio.h>
#include <stdlib.h>

typedef struct {
  guint64 frames_in, frames_staged;
  gulong cost_us;
} Counts;

/* The stage's input: the frames that moved. */
static GstPadProbeReturn
on_staged (GstPad * pad G_GNUC_UNUSED, GstPadProbeInfo * info G_GNUC_UNUSED,
    gpointer data)
{
  Counts *counts = data;
  counts->frames_staged++;
  if (counts->cost_us)
    g_usleep (counts->cost_us);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
on_decoded (GstPad * pad G_GNUC_UNUSED, GstPadProbeInfo * info G_GNUC_UNUSED,
    gpointer data)
{
  ((Counts *) data)->frames_in++;
  return GST_PAD_PROBE_OK;
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  if (argc < 2 || argc > 3) {
    fprintf (stderr, "usage: %s VIDEO [COST_MS]\n", argv[0]);
    return 1;
  }
  Counts counts = { 0, 0, argc == 3 ? (gulong) (atof (argv[2]) * 1000) : 0 };
  gchar *uri = gst_filename_to_uri (argv[1], NULL);
  GError *error = NULL;
  gchar *description = g_strdup_printf ("uridecodebin uri=\"%s\" ! "
      "videoconvert ! stillframedetect name=detect ! stillframecut "
      "timestamps=original pre-roll=0 post-roll=0 min-static-duration=0 ! "
      "identity name=stage ! fakesink", uri ? uri : "");
  GstElement *pipeline = gst_parse_launch (description, &error);
  g_free (description);
  g_free (uri);
  if (!pipeline) {
    fprintf (stderr, "cannot build the pipeline: %s (is the stillframe "
        "plugin installed?)\n", error->message);
    g_clear_error (&error);
    return 1;
  }
  GstElement *detect = gst_bin_get_by_name (GST_BIN (pipeline), "detect");
  GstPad *pad = gst_element_get_static_pad (detect, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_decoded, &counts,
      NULL);
  gst_object_unref (pad);
  gst_object_unref (detect);
  GstElement *stage = gst_bin_get_by_name (GST_BIN (pipeline), "stage");
  pad = gst_element_get_static_pad (stage, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_staged, &counts,
      NULL);
  gst_object_unref (pad);
  gst_object_unref (stage);

  const gint64 started = g_get_monotonic_time ();
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *message = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  int status = 0;
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR) {
    gst_message_parse_error (message, &error, NULL);
    fprintf (stderr, "error: %s\n", error->message);
    g_clear_error (&error);
    status = 1;
  }
  gst_message_unref (message);
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  if (status == 0) {
    const guint64 skipped = counts.frames_in - counts.frames_staged;
    printf ("%" G_GUINT64_FORMAT " frames decoded, %" G_GUINT64_FORMAT
        " reached the stage, %" G_GUINT64_FORMAT " skipped (%.1f%%)\n",
        counts.frames_in, counts.frames_staged, skipped, counts.frames_in ?
        100.0 * skipped / counts.frames_in : 0.0);
    if (counts.cost_us)
      printf ("%.2f s in all; the stage alone would have taken %.2f s on "
          "every frame\n", (g_get_monotonic_time () - started) / 1e6,
          counts.frames_in * counts.cost_us / 1e6);
  }
  return status;
}
