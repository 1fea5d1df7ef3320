/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: each input is a video file's bytes, played through what
 * `stillframe` runs on a file (decodebin, videoconvert, stillframedetect,
 * stillframecut with the first audio stream on its audio pads), in both
 * timestamp modes. Crashes, sanitizer reports and hangs in shutting down
 * are findings; errors on the bus are the expected outcome of most inputs.
 *
 * Built with -Dfuzzing=enabled by clang; run by tests/fuzz/run.sh. */
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

#include "autoplug.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

namespace {

struct Run {
  GstElement *pipeline;
  GstElement *cut;
  bool video_linked, audio_linked;
};

GstElement *
make (const char *factory)
{
  GstElement *element = gst_element_factory_make (factory, NULL);
  if (!element) {
    g_printerr ("fuzz_trim: element %s is missing\n", factory);
    std::abort ();
  }
  return element;
}

/* Adds `first ! ... ! last` to the pipeline, started with it. */
GstElement *
add_chain (Run *run, std::initializer_list<const char *> factories,
    GstElement **last)
{
  GstElement *first = NULL, *previous = NULL;
  for (const char *factory : factories) {
    GstElement *element = make (factory);
    gst_bin_add (GST_BIN (run->pipeline), element);
    if (previous)
      gst_element_link (previous, element);
    else
      first = element;
    previous = element;
  }
  *last = previous;
  return first;
}

void
sync_chain (GstElement *first)
{
  for (GstElement *e = first; e;) {
    gst_element_sync_state_with_parent (e);
    GstPad *src = gst_element_get_static_pad (e, "src");
    GstPad *peer = src ? gst_pad_get_peer (src) : NULL;
    e = peer ? GST_ELEMENT (gst_object_get_parent (GST_OBJECT (peer))) : NULL;
    if (e)
      gst_object_unref (e);    /* the bin keeps it */
    if (peer)
      gst_object_unref (peer);
    if (src)
      gst_object_unref (src);
  }
}

void
on_pad_added (GstElement *, GstPad *pad, gpointer data)
{
  Run *run = (Run *) data;
  GstCaps *caps = gst_pad_get_current_caps (pad);
  if (!caps)
    caps = gst_pad_query_caps (pad, NULL);
  const char *name = gst_caps_is_empty (caps) ? "" :
      gst_structure_get_name (gst_caps_get_structure (caps, 0));
  GstElement *last, *first;
  if (g_str_has_prefix (name, "video/x-raw")) {
    first = add_chain (run, {"queue", "videoconvert", "stillframedetect"},
        &last);
    gst_element_link (last, run->cut);
    run->video_linked = true;
  } else if (g_str_has_prefix (name, "audio/x-raw") && !run->audio_linked) {
    run->audio_linked = true;
    first = add_chain (run, {"queue", "audioconvert", "audioresample"},
        &last);
    GstElement *sink = make ("fakesink");
    gst_bin_add (GST_BIN (run->pipeline), sink);
    GstPad *cut_sink = gst_element_request_pad_simple (run->cut,
        "audio_sink_%u");
    GstPad *last_src = gst_element_get_static_pad (last, "src");
    gst_pad_link (last_src, cut_sink);
    gst_object_unref (last_src);
    gst_element_link (run->cut, sink);  /* links the audio source pad */
    gst_element_sync_state_with_parent (sink);
    gst_object_unref (cut_sink);
  } else {
    first = add_chain (run, {"fakesink"}, &last);
  }
  GstPad *sinkpad = gst_element_get_static_pad (first, "sink");
  gst_pad_link (pad, sinkpad);
  gst_object_unref (sinkpad);
  sync_chain (first);
  gst_caps_unref (caps);
}

/* As the CLI does: an input without video is an error, not a cut waiting
 * forever for video decisions. */
void
on_no_more_pads (GstElement *, gpointer data)
{
  Run *run = (Run *) data;
  if (!run->video_linked)
    GST_ELEMENT_ERROR (run->pipeline, STREAM, WRONG_TYPE,
        ("no video stream"), (NULL));
}

void
play (const std::uint8_t *data, size_t size, const char *timestamps)
{
  Run run {};
  run.pipeline = gst_pipeline_new (NULL);
  GstElement *src = make ("appsrc"), *decode = make ("decodebin");
  run.cut = make ("stillframecut");
  GstElement *sink = make ("fakesink");
  gst_util_set_object_arg (G_OBJECT (run.cut), "timestamps", timestamps);
  g_object_set (run.cut, "min-static-duration", (guint64) GST_SECOND / 2,
      NULL);
  g_object_set (src, "size", (gint64) size, NULL);
  gst_bin_add_many (GST_BIN (run.pipeline), src, decode, run.cut, sink, NULL);
  gst_element_link (src, decode);
  gst_element_link_pads (run.cut, "src", sink, "sink");
  stillframe::connect_decoder_filter (decode);
  g_signal_connect (decode, "pad-added", G_CALLBACK (on_pad_added), &run);
  g_signal_connect (decode, "no-more-pads", G_CALLBACK (on_no_more_pads),
      &run);

  GstBuffer *buffer = gst_buffer_new_memdup (data, size);
  gst_app_src_push_buffer (GST_APP_SRC (src), buffer);
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  gst_element_set_state (run.pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus (run.pipeline);
  /* An input that makes no progress is given up on, as the CLI's stall
   * watchdog does; shutting down must still work (a hang there is caught
   * by libFuzzer's -timeout). */
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, 5 * GST_SECOND,
      (GstMessageType) (GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  if (msg)
    gst_message_unref (msg);
  gst_object_unref (bus);
  gst_element_set_state (run.pipeline, GST_STATE_NULL);
  gst_object_unref (run.pipeline);
}

}  // namespace

extern "C" int
LLVMFuzzerInitialize (int *, char ***)
{
  gst_init (NULL, NULL);
  return 0;
}

extern "C" int
LLVMFuzzerTestOneInput (const std::uint8_t *data, size_t size)
{
  if (size < 2)
    return 0;
  /* The first byte picks the timestamp mode, so both get explored. */
  play (data + 1, size - 1, data[0] & 1 ? "original" : "retime");
  return 0;
}
