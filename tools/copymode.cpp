/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "copymode.h"

#include "elements.h"
#include "mp4headers.h"
#include "plan.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>

#include <algorithm>
#include <stdexcept>

namespace stillframe::cli {

CopyGate::CopyGate ()
{
  g_mutex_init (&lock);
  g_cond_init (&changed);
}

CopyGate::~CopyGate ()
{
  for (GstBuffer *b : gop)
    gst_buffer_unref (b);
  g_mutex_clear (&lock);
  g_cond_clear (&changed);
}

void
CopyGate::stop ()
{
  g_mutex_lock (&lock);
  stopping = true;
  g_cond_broadcast (&changed);
  g_mutex_unlock (&lock);
}

namespace {

/* Copied packets are written with this much added to their running time,
 * in a segment that starts there: decoding order may begin before 0
 * (B-frames), and timestamps cannot be negative. */
constexpr GstClockTime kCopyOffset = 10 * GST_SECOND;

/* The running time of `time` on a pad, from its sticky segment. */
GstClockTime
pad_running_time (GstPad *pad, GstClockTime time)
{
  GstEvent *event = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  if (!event)
    return time;
  const GstSegment *segment;
  gst_event_parse_segment (event, &segment);
  const GstClockTime rt = gst_segment_to_running_time (segment,
      GST_FORMAT_TIME, time);
  gst_event_unref (event);
  return rt;
}

/* Buffer timestamps to running time, so that the copy branch, the decode
 * branch and the audio (whose segments may differ: edit lists) agree. */
GstBuffer *
to_running_time (GstSample *sample)
{
  GstBuffer *buffer = gst_buffer_copy (gst_sample_get_buffer (sample));
  const GstSegment *segment = gst_sample_get_segment (sample);
  if (!segment || segment->format != GST_FORMAT_TIME)
    return buffer;
  if (GST_BUFFER_PTS_IS_VALID (buffer))
    GST_BUFFER_PTS (buffer) = gst_segment_to_running_time (segment,
        GST_FORMAT_TIME, GST_BUFFER_PTS (buffer));
  if (GST_BUFFER_DTS_IS_VALID (buffer)) {
    guint64 dts = 0;
    /* Decoding may start before 0 (B-frames): see kCopyOffset. */
    const int sign = gst_segment_to_running_time_full (segment,
        GST_FORMAT_TIME, GST_BUFFER_DTS (buffer), &dts);
    GST_BUFFER_DTS (buffer) = sign > 0 ? kCopyOffset + dts : sign < 0 &&
        dts < kCopyOffset ? kCopyOffset - dts : GST_CLOCK_TIME_NONE;
  }
  if (GST_BUFFER_PTS_IS_VALID (buffer))
    GST_BUFFER_PTS (buffer) += kCopyOffset;
  return buffer;
}

GstPadProbeReturn
on_decided (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  CopyGate *gate = (CopyGate *) data;
  GstClockTime pts = GST_CLOCK_TIME_NONE, duration = 0;
  bool kept = true;
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
    pts = GST_BUFFER_PTS (buffer);
    duration = GST_BUFFER_DURATION_IS_VALID (buffer) ?
        GST_BUFFER_DURATION (buffer) : 0;
  } else {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
    if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
      g_mutex_lock (&gate->lock);
      gate->decode_done = true;
      g_cond_broadcast (&gate->changed);
      g_mutex_unlock (&gate->lock);
      return GST_PAD_PROBE_OK;
    }
    if (GST_EVENT_TYPE (event) != GST_EVENT_GAP)
      return GST_PAD_PROBE_OK;
    gst_event_parse_gap (event, &pts, &duration);
    /* The cut's preroll gap decides nothing. */
    if (duration == 0)
      return GST_PAD_PROBE_OK;
    kept = false;
  }
  pts = pad_running_time (pad, pts);
  if (!GST_CLOCK_TIME_IS_VALID (pts))
    return GST_PAD_PROBE_OK;
  g_mutex_lock (&gate->lock);
  gate->frames[pts] = kept;
  gate->decided_until = std::max (gate->decided_until, pts + duration);
  g_cond_broadcast (&gate->changed);
  g_mutex_unlock (&gate->lock);
  return GST_PAD_PROBE_OK;
}

/* Pushes a copied packet in the segment that starts at kCopyOffset. */
void
push_copied (GstElement *appsrc, GstBuffer *buffer)
{
  GstSegment segment;
  gst_segment_init (&segment, GST_FORMAT_TIME);
  segment.start = kCopyOffset;
  GstCaps *caps = gst_app_src_get_caps (GST_APP_SRC (appsrc));
  GstSample *sample = gst_sample_new (buffer, caps, &segment, NULL);
  gst_app_src_push_sample (GST_APP_SRC (appsrc), sample);
  gst_sample_unref (sample);
  gst_buffer_unref (buffer);
  if (caps)
    gst_caps_unref (caps);
}

GstClockTime
packet_end (GstBuffer *b)
{
  return GST_BUFFER_PTS (b) + (GST_BUFFER_DURATION_IS_VALID (b) ?
      GST_BUFFER_DURATION (b) : 0);
}

/* Decides the GOP held so far, once the decode branch has decided all its
 * frames; `next_start` is the PTS of the next GOP's keyframe (or the GOP's
 * end at EOS). */
void
release_gop (CopyGate *gate, GstClockTime next_start)
{
  if (gate->gop.empty ())
    return;
  GstClockTime start = GST_BUFFER_PTS (gate->gop.front ()), end = 0;
  for (GstBuffer *b : gate->gop)
    if (GST_BUFFER_PTS_IS_VALID (b)) {
      start = std::min (start, GST_BUFFER_PTS (b));
      end = std::max (end, packet_end (b));
    }
  if (!GST_CLOCK_TIME_IS_VALID (next_start) || next_start < end)
    next_start = end;

  g_mutex_lock (&gate->lock);
  while (!gate->stopping && !gate->decode_done
      && gate->decided_until + kCopyOffset < end)
    g_cond_wait (&gate->changed, &gate->lock);
  /* Kept if any of its frames was kept; a frame the decoder never showed
   * counts as kept, so nothing is lost on doubt. */
  bool keep = false;
  for (GstBuffer *b : gate->gop) {
    /* The same frame's two running times may differ by rounding. */
    const GstClockTime pts = GST_BUFFER_PTS (b) - kCopyOffset;
    auto it = gate->frames.lower_bound (pts - std::min (pts,
            (GstClockTime) GST_MSECOND));
    const bool seen = it != gate->frames.end ()
        && it->first <= pts + GST_MSECOND;
    keep |= !seen || it->second;
  }
  gate->frames.erase (gate->frames.begin (), gate->frames.lower_bound
      (next_start - kCopyOffset));
  /* A kept GOP goes out earlier by what was dropped before it, the first
   * after a drop marked as a splice. */
  const GstClockTime shift = gate->timeline.cut_total ();
  bool splice = false;
  if (keep) {
    gate->kept.push_back ({to_seconds (start - kCopyOffset),
          to_seconds (next_start - kCopyOffset)});
    gate->frames_out += gate->gop.size ();
    splice = gate->timeline.take_splice ();
  } else {
    gate->timeline.drop (start, next_start);
    gate->timeline.mark_splice ();
  }
  gate->video_until = next_start;
  g_cond_broadcast (&gate->changed);
  g_mutex_unlock (&gate->lock);

  for (GstBuffer *b : gate->gop) {
    if (!keep) {
      gst_buffer_unref (b);
      continue;
    }
    b = gst_buffer_make_writable (b);
    if (GST_BUFFER_PTS_IS_VALID (b))
      GST_BUFFER_PTS (b) -= shift;
    if (GST_BUFFER_DTS_IS_VALID (b))
      GST_BUFFER_DTS (b) -= std::min (shift, GST_BUFFER_DTS (b));
    if (splice)
      GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_DISCONT);
    splice = false;
    push_copied (gate->video_out, b);
  }
  gate->gop.clear ();
}

/* The next packet of a copied stream, in running time; its appsrc takes
 * the stream's caps. NULL at the end. */
GstBuffer *
pull_packet (GstAppSink *sink, GstElement *appsrc)
{
  GstSample *sample = gst_app_sink_pull_sample (sink);
  if (!sample)
    return nullptr;
  GstBuffer *buffer = to_running_time (sample);
  GstCaps *caps = gst_app_src_get_caps (GST_APP_SRC (appsrc));
  if (caps)
    gst_caps_unref (caps);
  else
    gst_app_src_set_caps (GST_APP_SRC (appsrc), gst_sample_get_caps (sample));
  gst_sample_unref (sample);
  return buffer;
}

GstFlowReturn
on_video_packet (GstAppSink *sink, gpointer data)
{
  CopyGate *gate = (CopyGate *) data;
  GstBuffer *buffer = pull_packet (sink, gate->video_out);
  if (!buffer)
    return GST_FLOW_EOS;
  if (!GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT))
    release_gop (gate, GST_BUFFER_PTS (buffer));
  gate->gop.push_back (buffer);
  g_mutex_lock (&gate->lock);
  const bool stopping = gate->stopping;
  g_mutex_unlock (&gate->lock);
  return stopping ? GST_FLOW_FLUSHING : GST_FLOW_OK;
}

void
on_video_packets_end (GstAppSink *, gpointer data)
{
  CopyGate *gate = (CopyGate *) data;
  release_gop (gate, GST_CLOCK_TIME_NONE);
  g_mutex_lock (&gate->lock);
  gate->video_done = true;
  g_cond_broadcast (&gate->changed);
  g_mutex_unlock (&gate->lock);
  gst_app_src_end_of_stream (GST_APP_SRC (gate->video_out));
}

GstFlowReturn
on_audio_packet (GstAppSink *sink, gpointer data)
{
  CopyGate *gate = (CopyGate *) data;
  GstBuffer *buffer = pull_packet (sink, gate->audio_out);
  if (!buffer)
    return GST_FLOW_EOS;
  if (!GST_BUFFER_PTS_IS_VALID (buffer)) {
    gst_buffer_unref (buffer);
    return GST_FLOW_OK;
  }
  const GstClockTime middle = (GST_BUFFER_PTS (buffer) + packet_end (buffer))
      / 2;
  g_mutex_lock (&gate->lock);
  while (!gate->stopping && !gate->video_done
      && gate->video_until < packet_end (buffer))
    g_cond_wait (&gate->changed, &gate->lock);
  /* In a dropped GOP: dropped; else shifted by what was dropped before.
   * Audio comes in order: what ended before it is not asked about again. */
  gate->timeline.forget_until (middle);
  const bool drop = gate->timeline.is_dropped (middle);
  const GstClockTime shift = gate->timeline.cut_before (middle);
  const bool stopping = gate->stopping;
  g_mutex_unlock (&gate->lock);
  if (drop || stopping) {
    gst_buffer_unref (buffer);
    return stopping ? GST_FLOW_FLUSHING : GST_FLOW_OK;
  }
  buffer = gst_buffer_make_writable (buffer);
  GST_BUFFER_PTS (buffer) -= std::min (shift, GST_BUFFER_PTS (buffer));
  GST_BUFFER_DTS (buffer) = GST_BUFFER_PTS (buffer);
  push_copied (gate->audio_out, buffer);
  return GST_FLOW_OK;
}

/* --copy keeps the input's rotation: the MP4/MOV muxers drop the tag, so
 * finish_job writes it into the file; Matroska has no place for it. */
GstPadProbeReturn
on_copied_video_tags (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  Job *job = (Job *) data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) != GST_EVENT_TAG)
    return GST_PAD_PROBE_OK;
  GstTagList *tags;
  gst_event_parse_tag (event, &tags);
  gchar *orientation = NULL;
  if (!gst_tag_list_get_string (tags, GST_TAG_IMAGE_ORIENTATION,
          &orientation))
    return GST_PAD_PROBE_OK;
  const int rotation = rotation_of_orientation_tag (orientation);
  const bool matroska = g_str_equal (muxer_for (job->output), "matroskamux");
  if (rotation != 0 && (rotation < 0 || matroska))
    fail_from_streaming (job, std::string ("the input is tagged ") +
        orientation + ", which --copy cannot keep in " + (matroska ?
            "Matroska: write .mp4 or .mov" : "any container: drop --copy, "
            "so that the picture is turned") + " (it would play wrong)");
  JobMessage::post (job->pipeline, JobMessage::Kind::Rotation, "",
      std::max (rotation, 0));
  g_free (orientation);
  return GST_PAD_PROBE_OK;
}

}  // namespace

GstElement *
add_copy_branch (Job *job, GstPad *pad, bool video)
{
  GstBin *bin = GST_BIN (job->pipeline);
  GstElement *queue = make ("queue");
  /* Room for the decode branch to decide a GOP plus the hold time, while
   * keeping memory bounded. */
  g_object_set (queue, "max-size-time", (guint64) 60 * GST_SECOND,
      "max-size-bytes", 0u, "max-size-buffers", 0u, NULL);
  GstElement *sink = make ("appsink");
  g_object_set (sink, "sync", FALSE, "emit-signals", FALSE, NULL);
  /* Matroska and others give H.264/H.265 without decoding timestamps. */
  GstElement *timestamper = nullptr;
  const std::string codec = video ? media_type (pad) : "";
  if (codec == "video/x-h264")
    timestamper = make ("h264timestamper");
  else if (codec == "video/x-h265")
    timestamper = make ("h265timestamper");
  GstAppSinkCallbacks callbacks = { };
  if (video) {
    callbacks.eos = on_video_packets_end;
    callbacks.new_sample = on_video_packet;
    GstPad *sink_pad = gst_element_get_static_pad (sink, "sink");
    gst_pad_add_probe (sink_pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
        on_copied_video_tags, job, NULL);
    gst_object_unref (sink_pad);
  } else {
    callbacks.eos = [] (GstAppSink *, gpointer data) {
      gst_app_src_end_of_stream (GST_APP_SRC (((CopyGate *) data)->audio_out));
    };
    callbacks.new_sample = on_audio_packet;
  }
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks,
      job->gate.get (), NULL);
  if (timestamper) {
    add_chain (bin, {queue, timestamper, sink});
    gst_element_sync_state_with_parent (timestamper);
  } else {
    add_chain (bin, {queue, sink});
  }

  GstElement *src = make ("appsrc");
  g_object_set (src, "format", GST_FORMAT_TIME, "block", TRUE, "max-bytes",
      (guint64) 16 << 20, "handle-segment-change", TRUE, NULL);
  GstElement *parse = video ? nullptr : make ("aacparse");
  gst_bin_add (bin, src);
  (video ? job->gate->video_out : job->gate->audio_out) = src;
  GstElement *last = src;
  if (parse) {
    gst_bin_add (bin, parse);
    link_or_throw (src, parse);
    last = parse;
  }
  if (!gst_element_link_pads (last, "src", job->mux, video ? "video_%u" :
          "audio_%u"))
    throw std::runtime_error (std::string ("the output container cannot "
            "hold this ") + (video ? "video" : "audio") + " without "
        "re-encoding");
  for (GstElement *e : {queue, sink, src})
    gst_element_sync_state_with_parent (e);
  if (parse)
    gst_element_sync_state_with_parent (parse);
  return queue;
}

void
watch_decisions (GstElement *cut, CopyGate *gate)
{
  GstPad *cut_src = gst_element_get_static_pad (cut, "src");
  gst_pad_add_probe (cut_src, (GstPadProbeType) (GST_PAD_PROBE_TYPE_BUFFER
          | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM), on_decided, gate, NULL);
  gst_object_unref (cut_src);
}

}  // namespace stillframe::cli
