/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fastdecode.h"

#include "elements.h"
#include "stillframemeta.h"

#include <algorithm>

namespace stillframe::cli {

FastDecode::FastDecode ()
{
  g_mutex_init (&lock);
  g_cond_init (&changed);
}

FastDecode::~FastDecode ()
{
  g_cond_clear (&changed);
  g_mutex_clear (&lock);
}

void
FastDecode::stop ()
{
  g_mutex_lock (&lock);
  stopping = true;
  g_cond_broadcast (&changed);
  g_mutex_unlock (&lock);
}

DecodeShare
FastDecode::share_now ()
{
  g_mutex_lock (&lock);
  DecodeShare s = share;
  s.fallback = gate.fallback ();
  s.long_gops = gate.long_gops ();
  g_mutex_unlock (&lock);
  return s;
}

namespace {

/* Tells the gate something under the lock, and wakes whoever waits on it. */
template <typename F>
void
tell_gate (FastDecode *fast, F tell)
{
  g_mutex_lock (&fast->lock);
  tell (fast->gate);
  g_cond_broadcast (&fast->changed);
  g_mutex_unlock (&fast->lock);
}

/* The codec and NAL length size of the parsed video, from its caps. */
void
read_codec (FastDecode *fast, GstCaps *caps)
{
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  const bool h264 = gst_structure_has_name (s, "video/x-h264");
  const bool h265 = gst_structure_has_name (s, "video/x-h265");
  fast->codec = h264 ? VideoCodec::H264 : h265 ? VideoCodec::H265 :
      VideoCodec::Other;
  fast->nal_length_size = 0;

  const gchar *format = gst_structure_get_string (s, "stream-format");
  const GValue *data = gst_structure_get_value (s, "codec_data");
  if (!format || g_str_equal (format, "byte-stream") || !data
      || !GST_VALUE_HOLDS_BUFFER (data))
    return;
  /* avcC keeps the length size in byte 4, hvcC in byte 21. */
  GstMapInfo map;
  GstBuffer *config = gst_value_get_buffer (data);
  const gsize at = h264 ? 4 : 21;
  if (gst_buffer_map (config, &map, GST_MAP_READ)) {
    if (map.size > at)
      fast->nal_length_size = (map.data[at] & 3) + 1;
    gst_buffer_unmap (config, &map);
  }
}

/* The tee's input, before either branch: every packet, in decoding order. */
GstPadProbeReturn
on_packet (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  FastDecode *fast = (FastDecode *) data;
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
    if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
      GstCaps *caps;
      gst_event_parse_caps (event, &caps);
      read_codec (fast, caps);
    } else if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
      tell_gate (fast, [] (GopGate &gate) { gate.end_of_packets (); });
    }
    return GST_PAD_PROBE_OK;
  }
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  const bool keyframe = !GST_BUFFER_FLAG_IS_SET (buffer,
      GST_BUFFER_FLAG_DELTA_UNIT);
  bool alone = true;
  if (keyframe) {
    GstMapInfo map;
    if (gst_buffer_map (buffer, &map, GST_MAP_READ)) {
      alone = decodes_alone (fast->codec, map.data, map.size,
          fast->nal_length_size);
      gst_buffer_unmap (buffer, &map);
    }
  }
  tell_gate (fast, [&] (GopGate &gate) {
        gate.add_packet (GST_BUFFER_PTS (buffer),
            gst_buffer_get_size (buffer), keyframe, alone);
      });
  return GST_PAD_PROBE_OK;
}

/* Only keyframes reach the keyframe decoder; none once every GOP is
 * decoded anyway. */
GstPadProbeReturn
keep_keyframes (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  FastDecode *fast = (FastDecode *) data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  if (GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT))
    return GST_PAD_PROBE_DROP;
  g_mutex_lock (&fast->lock);
  const bool useless = !fast->gate.fallback ().empty ();
  g_mutex_unlock (&fast->lock);
  return useless ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
}

/* The keyframe detector's verdicts. */
GstPadProbeReturn
on_judged_keyframe (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  FastDecode *fast = (FastDecode *) data;
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
    if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
      tell_gate (fast, [] (GopGate &gate) { gate.end_of_keyframes (); });
    } else if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
      /* New caps restart the detector's learning: the next keyframe is
       * learned, not compared (the first one is the gate's own). */
      fast->relearning = true;
    }
    return GST_PAD_PROBE_OK;
  }
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  stillframe::MotionMetaFields meta;
  meta.read (buffer);
  KeyframeReading reading;
  reading.relearned = fast->relearning;
  fast->relearning = false;
  reading.motion = meta.motion;
  reading.score = meta.score;
  reading.light_change = meta.light_change;
  reading.threshold = fast->threshold;
  tell_gate (fast, [&] (GopGate &gate) {
        gate.judge_keyframe (GST_BUFFER_PTS (buffer), gate.changed (reading));
      });
  return GST_PAD_PROBE_OK;
}

/* The highest-ranked decoder for `caps`. A decoder, not decodebin: it
 * can be drained mid-stream, and a bin that never decodes a frame (intra
 * refresh "keyframes" decode to nothing alone) fails the pipeline. Its
 * keyframes `one_by_one` (no frame threads): each comes out after no more
 * keyframes than the stream reorders by, not after as many as there are
 * threads (the decode queue's look-ahead waits for these verdicts). */
GstElement *
decoder_for (GstCaps *caps, bool one_by_one)
{
  GList *all = gst_element_factory_list_get_elements
      (GST_ELEMENT_FACTORY_TYPE_DECODER | GST_ELEMENT_FACTORY_TYPE_MEDIA_VIDEO,
      GST_RANK_MARGINAL);
  GList *fit = g_list_sort (gst_element_factory_list_filter (all, caps,
          GST_PAD_SINK, FALSE), gst_plugin_feature_rank_compare_func);
  GstElement *decoder = fit ? gst_element_factory_create
      ((GstElementFactory *) fit->data, NULL) : nullptr;
  gst_plugin_feature_list_free (fit);
  gst_plugin_feature_list_free (all);
  if (one_by_one && decoder && g_object_class_find_property
      (G_OBJECT_GET_CLASS (decoder), "max-threads"))
    g_object_set (decoder, "max-threads", 1, NULL);
  return decoder;
}

/* The structure of the event that carries dropped frames to the analysis:
 * its one owner. "frames": a buffer of (start, duration) pairs, guint64. */
constexpr const char *kDroppedFrames = "stillframe-dropped-frames";

/* Hands the frames dropped so far to the analysis, after every frame
 * decoded before them. */
void
send_dropped (FastDecode *fast)
{
  if (fast->dropped.empty ())
    return;
  std::sort (fast->dropped.begin (), fast->dropped.end ());
  const gsize size = fast->dropped.size () * sizeof (fast->dropped[0]);
  GstBuffer *frames = gst_buffer_new_memdup (fast->dropped.data (), size);
  fast->dropped.clear ();
  GstStructure *s = gst_structure_new (kDroppedFrames, "frames",
      GST_TYPE_BUFFER, frames, NULL);
  gst_buffer_unref (frames);
  gst_pad_send_event (fast->analysis, gst_event_new_custom
      (GST_EVENT_CUSTOM_DOWNSTREAM, s));
}

/* Every frame the decoder holds goes out to the analysis, as at the end of
 * the stream; then the stream starts again (which clears the EOS). */
void
drain_decoder (FastDecode *fast)
{
  GstPad *sink = gst_element_get_static_pad (fast->decoder, "sink");
  GstEvent *start = gst_pad_get_sticky_event (sink, GST_EVENT_STREAM_START,
      0);
  fast->draining = true;
  gst_pad_send_event (sink, gst_event_new_eos ());
  if (start)
    gst_pad_send_event (sink, start);
  fast->draining = false;
  gst_object_unref (sink);
}

/* The decoder's output: the drain's EOS, and the stream's start again, go
 * no further. */
GstPadProbeReturn
hide_drain (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  FastDecode *fast = (FastDecode *) data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) == GST_EVENT_STREAM_START) {
    const bool again = fast->started;
    fast->started = true;
    return again ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
  }
  return GST_EVENT_TYPE (event) == GST_EVENT_EOS && fast->draining ?
      GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
}

/* How often a GOP waiting for its fate looks whether it can ever come, and
 * for how many looks in a row it must not before it is decoded anyway. */
constexpr gint64 kWaitTick = 100 * G_TIME_SPAN_MILLISECOND;
constexpr int kStuckTicks = 5;

/* The GOP going out ends at `end`: a skipped one may be the longest yet.
 * Under the lock, on the decode queue's thread. */
void
note_gop_end (FastDecode *fast, GstClockTime end)
{
  if (fast->gop == SIZE_MAX || fast->decoding
      || !GST_CLOCK_TIME_IS_VALID (fast->gop_start)
      || !GST_CLOCK_TIME_IS_VALID (end) || end <= fast->gop_start)
    return;
  fast->share.longest_skip = std::max (fast->share.longest_skip,
      (double) (end - fast->gop_start) / GST_SECOND);
}

/* The decode queue's output: each GOP waits for its fate. */
GstPadProbeReturn
on_decode_packet (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  FastDecode *fast = (FastDecode *) data;
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    const GstEventType type = GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info));
    if (type == GST_EVENT_EOS) {
      send_dropped (fast);
      g_mutex_lock (&fast->lock);
      note_gop_end (fast, fast->last_end);
      g_mutex_unlock (&fast->lock);
    } else if (type == GST_EVENT_FLUSH_STOP) {
      /* A seek: no GOP spans it. */
      fast->gop_start = fast->last_end = GST_CLOCK_TIME_NONE;
    }
    return GST_PAD_PROBE_OK;
  }
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  const bool keyframe = !GST_BUFFER_FLAG_IS_SET (buffer,
      GST_BUFFER_FLAG_DELTA_UNIT);
  const GstClockTime pts = GST_BUFFER_PTS (buffer);
  if (GST_CLOCK_TIME_IS_VALID (pts)) {
    const GstClockTime end = pts + (GST_BUFFER_DURATION_IS_VALID (buffer) ?
        GST_BUFFER_DURATION (buffer) : 0);
    if (!GST_CLOCK_TIME_IS_VALID (fast->last_end) || end > fast->last_end)
      fast->last_end = end;
  }
  if (keyframe) {
    send_dropped (fast);
    g_mutex_lock (&fast->lock);
    note_gop_end (fast, pts);
    fast->gop_start = pts;
    fast->gop = fast->gop == SIZE_MAX ? 0 : fast->gop + 1;
    GopFate fate;
    int stuck_ticks = 0;
    while ((fate = fast->gate.fate (fast->gop)) == GopFate::Undecided
        && !fast->stopping && !GST_PAD_IS_FLUSHING (pad)) {
      g_cond_wait_until (&fast->changed, &fast->lock,
          g_get_monotonic_time () + kWaitTick);
      /* The look-ahead is spent: the demuxer waits for room here, and the
       * keyframe branch has nothing left to judge (its decoder may hold a
       * keyframe until the next comes). Nothing moves until this GOP goes
       * out, so it is decoded. */
      guint queued = 0;
      if (fast->keyframe_queue)
        g_object_get (fast->keyframe_queue, "current-level-buffers", &queued,
            NULL);
      stuck_ticks = fast->demuxer_blocked && queued == 0 ? stuck_ticks + 1 :
          0;
      if (stuck_ticks >= kStuckTicks) {
        fast->gate.force_decode (fast->gop);
        fast->share.forced_gops++;
      }
    }
    const bool was_decoding = fast->decoding;
    fast->decoding = fate != GopFate::Skip;
    fast->gate.forget_before (fast->gop);
    fast->share.gops++;
    fast->share.gops_decoded += fast->decoding;
    g_mutex_unlock (&fast->lock);
    if (was_decoding && !fast->decoding)
      drain_decoder (fast);
  }
  /* Before the first keyframe nothing decodes, with or without --fast. */
  const bool decode = fast->decoding || fast->gop == SIZE_MAX;
  g_mutex_lock (&fast->lock);
  fast->demuxer_blocked = false;       /* there is room again */
  fast->share.frames++;
  fast->share.frames_decoded += decode;
  g_mutex_unlock (&fast->lock);
  if (decode)
    return GST_PAD_PROBE_OK;
  fast->dropped.push_back ({GST_BUFFER_PTS_IS_VALID (buffer) ?
        GST_BUFFER_PTS (buffer) : GST_BUFFER_DTS (buffer),
        GST_BUFFER_DURATION (buffer)});
  return GST_PAD_PROBE_DROP;
}

/* The decode queue is full: the demuxer waits until a packet leaves. */
void
on_decode_queue_full (GstElement *, gpointer data)
{
  FastDecode *fast = (FastDecode *) data;
  g_mutex_lock (&fast->lock);
  fast->demuxer_blocked = true;
  g_cond_broadcast (&fast->changed);
  g_mutex_unlock (&fast->lock);
}

GstBuffer *
static_stub (GstClockTime pts, GstClockTime duration)
{
  GstBuffer *stub = gst_buffer_new ();
  GST_BUFFER_PTS (stub) = pts;
  GST_BUFFER_DURATION (stub) = duration;
  /* Registered by the plugin, which is loaded by now. */
  GstCustomMeta *meta = gst_buffer_add_custom_meta (stub,
      STILLFRAME_MOTION_META_NAME);
  if (meta)
    stillframe::MotionMetaFields ().write (gst_custom_meta_get_structure
        (meta));
  return stub;
}

/* The dropped frames' event, as they were in the stream: static frames
 * without a picture, from the analysis's own thread, in their place. */
GstPadProbeReturn
put_back_dropped (GstPad *pad, GstPadProbeInfo *info, gpointer)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  const GstStructure *s = gst_event_get_structure (event);
  if (GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_DOWNSTREAM || !s
      || !gst_structure_has_name (s, kDroppedFrames))
    return GST_PAD_PROBE_OK;
  GstBuffer *frames = nullptr;
  gst_structure_get (s, "frames", GST_TYPE_BUFFER, &frames, NULL);
  GstMapInfo map;
  if (frames && gst_buffer_map (frames, &map, GST_MAP_READ)) {
    const auto *frame = (const std::pair<GstClockTime, GstClockTime> *)
        map.data;
    for (gsize i = 0; i < map.size / sizeof (*frame); i++)
      if (gst_pad_push (pad, static_stub (frame[i].first,
                  frame[i].second)) != GST_FLOW_OK)
        break;
    gst_buffer_unmap (frames, &map);
  }
  if (frames)
    gst_buffer_unref (frames);
  return GST_PAD_PROBE_DROP;
}

}  // namespace

GstElement *
add_fast_decode (FastDecode *fast, GstBin *bin, GstElement *tee,
    GstElement *decode_queue, GstPad *analysis, GstCaps *caps,
    const std::vector<std::pair<std::string, std::string>> &detect_props)
{
  fast->analysis = analysis;
  GstPad *tee_sink = gst_element_get_static_pad (tee, "sink");
  gst_pad_add_probe (tee_sink, (GstPadProbeType) (GST_PAD_PROBE_TYPE_BUFFER
          | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM), on_packet, fast, NULL);
  gst_object_unref (tee_sink);
  GstPad *out = gst_element_get_static_pad (decode_queue, "src");
  gst_pad_add_probe (out, (GstPadProbeType) (GST_PAD_PROBE_TYPE_BUFFER
          | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM), on_decode_packet, fast,
      NULL);
  gst_object_unref (out);
  g_signal_connect (decode_queue, "overrun",
      G_CALLBACK (on_decode_queue_full), fast);

  read_codec (fast, caps);
  GstElement *keyframe_decoder = nullptr;
  if (fast->codec != VideoCodec::Other) {
    keyframe_decoder = decoder_for (caps, true);
    fast->decoder = keyframe_decoder ? decoder_for (caps, false) : nullptr;
  }
  if (!fast->decoder) {
    if (keyframe_decoder)
      gst_object_unref (keyframe_decoder);
    /* Every GOP is decoded, and the report says why. */
    g_mutex_lock (&fast->lock);
    fast->gate.fall_back (fast->codec == VideoCodec::Other ?
        std::string ("only H.264 and H.265 are gated, not ") +
        gst_structure_get_name (gst_caps_get_structure (caps, 0)) :
        std::string ("no decoder for it"));
    g_mutex_unlock (&fast->lock);
    return nullptr;
  }
  /* Keyframes only: bounded by the decode queue, which holds the demuxer
   * back; the byte bound is a safety net. */
  GstElement *queue = make ("queue");
  g_object_set (queue, "max-size-time", (guint64) 0, "max-size-bytes",
      64u << 20, "max-size-buffers", 0u, NULL);
  fast->keyframe_queue = queue;
  GstElement *convert = make ("videoconvert");
  GstElement *detect = make ("stillframedetect");
  g_object_set (detect, "post-messages", FALSE, NULL);
  for (const auto &[k, v] : detect_props)
    set_from_string (detect, k, v);
  g_object_get (detect, "threshold", &fast->threshold, NULL);
  GstElement *sink = make ("fakesink");
  /* It may never see a frame (intra refresh): it must not hold the
   * pipeline in preroll. */
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  add_chain (bin, {queue, keyframe_decoder, convert, detect, sink});
  /* The tee's first pad: each packet reaches this branch before the
   * decode queue, which may be waiting for its verdict. */
  link_or_throw (tee, queue);
  GstPad *queue_sink = gst_element_get_static_pad (queue, "sink");
  gst_pad_add_probe (queue_sink, GST_PAD_PROBE_TYPE_BUFFER, keep_keyframes,
      fast, NULL);
  gst_object_unref (queue_sink);
  GstPad *judged = gst_element_get_static_pad (detect, "src");
  gst_pad_add_probe (judged, (GstPadProbeType) (GST_PAD_PROBE_TYPE_BUFFER
          | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM), on_judged_keyframe, fast,
      NULL);
  gst_object_unref (judged);
  for (GstElement *e : {queue, keyframe_decoder, convert, detect, sink})
    gst_element_sync_state_with_parent (e);

  gst_bin_add (bin, fast->decoder);
  GstPad *decoded = gst_element_get_static_pad (fast->decoder, "src");
  gst_pad_add_probe (decoded, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, hide_drain,
      fast, NULL);
  gst_object_unref (decoded);
  return fast->decoder;
}

void
restore_dropped_frames (GstPad *analysed)
{
  gst_pad_add_probe (analysed, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      put_back_dropped, NULL, NULL);
}

}  // namespace stillframe::cli
