/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stillframecut's audio request pads: each raw audio stream is cut at the
 * running times the video dropped, sample-accurately, and shifted onto the
 * output timeline the same way (cuttimeline.h), pushing each part as soon
 * as the video has decided it. Locking: gststillframecutprivate.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gststillframecutprivate.h"

#include <algorithm>
#include <cstdio>
#include <string>

GST_DEBUG_CATEGORY_EXTERN (gst_stillframe_cut_debug);
#define GST_CAT_DEFAULT gst_stillframe_cut_debug

#define AUDIO_CAPS "audio/x-raw, layout = (string) interleaved"

GstStaticPadTemplate gst_stillframe_cut_audio_sink_template =
GST_STATIC_PAD_TEMPLATE ("audio_sink_%u", GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS (AUDIO_CAPS));

GstStaticPadTemplate gst_stillframe_cut_audio_src_template =
GST_STATIC_PAD_TEMPLATE ("audio_src_%u", GST_PAD_SRC, GST_PAD_SOMETIMES,
    GST_STATIC_CAPS (AUDIO_CAPS));

AudioStream *
gst_stillframe_cut_audio_stream_of (GstPad * pad)
{
  return (AudioStream *) gst_pad_get_element_private (pad);
}

static GstFlowReturn
push_audio_segment_if_needed (AudioStream * stream, const Settings & settings)
{
  return gst_stillframe_cut_push_segment_once (stream->srcpad,
      &stream->need_output_segment, settings);
}

/* Audio without a timestamp continues where the previous buffer ended;
 * samples that overlap what was already consumed are dropped. Returns NULL
 * when nothing of the buffer is left. */
static GstBuffer *
place_audio_on_timeline (GstStillframeCut * self, AudioStream * stream,
    GstBuffer * buffer, GstClockTime * start)
{
  const gint rate = GST_AUDIO_INFO_RATE (&stream->info);
  const gint bpf = GST_AUDIO_INFO_BPF (&stream->info);
  g_mutex_lock (&self->timeline_lock);
  const GstClockTime consumed = stream->position;
  g_mutex_unlock (&self->timeline_lock);

  *start = gst_segment_to_running_time (&stream->segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buffer));
  if (!GST_CLOCK_TIME_IS_VALID (*start)) {
    const GstClockTime pts = gst_segment_position_from_running_time
        (&stream->segment, GST_FORMAT_TIME, consumed);
    GST_WARNING_OBJECT (self, "audio without a timestamp: placed at %"
        GST_TIME_FORMAT, GST_TIME_ARGS (pts));
    if (!GST_CLOCK_TIME_IS_VALID (pts)) {
      gst_buffer_unref (buffer);
      return NULL;
    }
    buffer = gst_buffer_make_writable (buffer);
    GST_BUFFER_PTS (buffer) = pts;
    *start = consumed;
    return buffer;
  }
  if (*start >= consumed)
    return buffer;
  const guint64 samples = gst_buffer_get_size (buffer) / bpf;
  const guint64 overlap = gst_util_uint64_scale_int_round (consumed - *start,
      rate, GST_SECOND);
  if (overlap == 0)
    return buffer;
  GST_WARNING_OBJECT (self, "audio at %" GST_TIME_FORMAT " goes back %"
      G_GUINT64_FORMAT " samples: dropped those", GST_TIME_ARGS (*start),
      overlap);
  if (overlap >= samples) {
    gst_buffer_unref (buffer);
    return NULL;
  }
  const GstClockTime skipped = gst_util_uint64_scale_int (overlap,
      GST_SECOND, rate);
  buffer = gst_audio_buffer_truncate (buffer, bpf, overlap, -1);
  buffer = gst_buffer_make_writable (buffer);
  GST_BUFFER_PTS (buffer) += skipped;
  *start += skipped;
  return buffer;
}

/* Pushes samples [first, last) of `buffer`, which starts at running time
 * `start`, less the parts that fall in the video's dropped ranges, shifted
 * as the timeline says. */
static GstFlowReturn
push_audio_samples (AudioStream * stream, const Settings & settings,
    GstBuffer * buffer, GstClockTime start, guint64 first, guint64 last,
    const stillframe::CutTimeline & cut)
{
  const gboolean retime = settings.retime ();
  const gint rate = GST_AUDIO_INFO_RATE (&stream->info);
  const gint bpf = GST_AUDIO_INFO_BPF (&stream->info);
  auto time_of =[&](guint64 sample) {
    return start + gst_util_uint64_scale_int (sample, GST_SECOND, rate);
  };
  auto sample_at =[&](GstClockTime time, guint64 low) {
    const guint64 sample = time <= start ? 0 :
        gst_util_uint64_scale_int_round (time - start, rate, GST_SECOND);
    return CLAMP (sample, low, last);
  };

  GstFlowReturn ret = GST_FLOW_OK;
  auto emit =[&](guint64 from, guint64 to, bool kept) {
    if (to <= from || ret != GST_FLOW_OK)
      return;
    const GstClockTime offset_pts = GST_BUFFER_PTS (buffer) +
        gst_util_uint64_scale_int (from, GST_SECOND, rate);
    const GstClockTime duration = gst_util_uint64_scale_int (to - from,
        GST_SECOND, rate);
    stream->output_started = TRUE;
    if (!kept) {
      if (!retime)
        gst_pad_push_event (stream->srcpad, gst_event_new_gap (offset_pts,
                duration));
      return;
    }
    GstBuffer *piece = gst_audio_buffer_truncate (gst_buffer_ref (buffer),
        bpf, from, to - from);
    piece = gst_buffer_make_writable (piece);
    const GstClockTime piece_start = time_of (from);
    GST_BUFFER_PTS (piece) = retime ?
        cut.to_output (piece_start) : offset_pts;
    GST_BUFFER_DURATION (piece) = duration;
    GST_BUFFER_OFFSET (piece) = GST_BUFFER_OFFSET_NONE;
    GST_BUFFER_OFFSET_END (piece) = GST_BUFFER_OFFSET_NONE;
    GST_LOG_OBJECT (stream->srcpad, "audio piece %" GST_PTR_FORMAT, piece);
    ret = gst_pad_push (stream->srcpad, piece);
  };

  guint64 cursor = first;
  const GstClockTime span_end = time_of (last);
  for (const stillframe::DroppedRange & range:cut.ranges ()) {
    if (range.start >= span_end || cursor >= last)
      break;
    const GstClockTime range_end = GST_CLOCK_TIME_IS_VALID (range.end) ?
        range.end : span_end;
    if (range_end <= time_of (cursor))
      continue;
    const guint64 drop_from = sample_at (range.start, cursor);
    const guint64 drop_to = range_end >= span_end ? last :
        sample_at (range_end, drop_from);
    emit (cursor, drop_from, true);
    emit (drop_from, drop_to, false);
    cursor = drop_to;
  }
  emit (cursor, last, true);
  return ret;
}

/* Audio that resumes at `start` after a hole (a camera's dropout, a damaged
 * timestamp) waits for the video to be decided that far; meanwhile a muxer
 * waits for audio before it takes more video, which the video's thread
 * may be blocked pushing. A GAP for the hole, as far as the video is
 * decided, lets the muxer go on. Returns it, or NULL; called with
 * timeline_lock held, it marks the hole consumed. */
static GstEvent *
audio_hole_gap_locked (GstStillframeCut * self, AudioStream * stream,
    const Settings & settings, GstClockTime start)
{
  const GstClockTime kHoleMin = 100 * GST_MSECOND;
  const Timeline & timeline = self->timeline;
  const GstClockTime from = stream->position;
  const GstClockTime until = MIN (timeline.decided_until, start);
  if (!GST_CLOCK_TIME_IS_VALID (until) || until < from + kHoleMin)
    return NULL;
  stream->position = until;
  GstClockTime gap_start, gap_end;
  if (settings.retime ()) {
    gap_start = timeline.cut.output_at (from);
    gap_end = timeline.cut.output_at (until);
  } else {
    gap_start = gst_segment_position_from_running_time (&stream->segment,
        GST_FORMAT_TIME, from);
    gap_end = gst_segment_position_from_running_time (&stream->segment,
        GST_FORMAT_TIME, until);
  }
  if (!GST_CLOCK_TIME_IS_VALID (gap_start) ||
      !GST_CLOCK_TIME_IS_VALID (gap_end) || gap_end <= gap_start)
    return NULL;
  GST_DEBUG_OBJECT (stream->srcpad, "no audio from %" GST_TIME_FORMAT
      " to %" GST_TIME_FORMAT ": gap", GST_TIME_ARGS (from),
      GST_TIME_ARGS (until));
  return gst_event_new_gap (gap_start, gap_end - gap_start);
}

/* Cuts an audio buffer at the video's dropped ranges, sample-accurately,
 * pushing each part as soon as the video has decided it: a buffer longer
 * than what the video can decide before its own push blocks (a muxer or a
 * prerolling sink waiting for this audio) would otherwise never go. */
static GstFlowReturn
gst_stillframe_cut_audio_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buffer)
{
  GstStillframeCut *self = GST_STILLFRAME_CUT (parent);
  AudioStream *stream = gst_stillframe_cut_audio_stream_of (pad);
  const Settings settings = gst_stillframe_cut_get_settings (self);
  const gint rate = GST_AUDIO_INFO_RATE (&stream->info);
  const gint bpf = GST_AUDIO_INFO_BPF (&stream->info);

  if (rate <= 0 || bpf <= 0) {
    gst_buffer_unref (buffer);
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("audio buffer before caps on %s:%s", GST_DEBUG_PAD_NAME (pad)));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  GstFlowReturn ret = push_audio_segment_if_needed (stream, settings);
  if (ret != GST_FLOW_OK) {
    gst_buffer_unref (buffer);
    return ret;
  }
  GstClockTime start;
  buffer = place_audio_on_timeline (self, stream, buffer, &start);
  if (!buffer)
    return GST_FLOW_OK;
  const guint64 samples = gst_buffer_get_size (buffer) / bpf;
  const GstClockTime end = start + gst_util_uint64_scale_int (samples,
      GST_SECOND, rate);

  Timeline & timeline = self->timeline;
  guint64 done = 0;
  while (done < samples && ret == GST_FLOW_OK) {
    /* Wait until the video has decided more of [start, end). */
    guint64 decided = 0;
    g_mutex_lock (&self->timeline_lock);
    while (!stream->flushing) {
      if (timeline.video_ended || timeline.decided_until >= end) {
        decided = samples;
        break;
      }
      decided = timeline.decided_until > start ?
          gst_util_uint64_scale_int (timeline.decided_until - start, rate,
          GST_SECOND) : 0;
      if (decided > done)
        break;
      if (!stream->output_started) {
        g_mutex_unlock (&self->timeline_lock);
        gst_stillframe_cut_push_preroll_gap (stream->srcpad,
            &stream->output_started, settings.retime () ? 0 :
            GST_BUFFER_PTS (buffer));
        g_mutex_lock (&self->timeline_lock);
        continue;
      }
      GstEvent *gap = done == 0 ? audio_hole_gap_locked (self, stream,
          settings, start) : NULL;
      if (gap) {
        g_mutex_unlock (&self->timeline_lock);
        gst_pad_push_event (stream->srcpad, gap);
        g_mutex_lock (&self->timeline_lock);
        continue;
      }
      g_cond_wait (&self->timeline_changed, &self->timeline_lock);
    }
    if (stream->flushing) {
      g_mutex_unlock (&self->timeline_lock);
      gst_buffer_unref (buffer);
      return GST_FLOW_FLUSHING;
    }
    const GstClockTime from = start + gst_util_uint64_scale_int (done,
        GST_SECOND, rate);
    const stillframe::CutTimeline cut = timeline.cut.since (from);
    stream->position = decided == samples ? end :
        start + gst_util_uint64_scale_int (decided, GST_SECOND, rate);
    gst_stillframe_cut_prune_locked (self);
    g_mutex_unlock (&self->timeline_lock);

    ret = push_audio_samples (stream, settings, buffer, start, done, decided,
        cut);
    done = decided;
  }
  gst_buffer_unref (buffer);
  return ret;
}

static void
set_audio_flushing (GstStillframeCut * self, AudioStream * stream,
    gboolean flushing)
{
  g_mutex_lock (&self->timeline_lock);
  stream->flushing = flushing;
  if (!flushing)
    stream->position = 0;
  g_cond_broadcast (&self->timeline_changed);
  g_mutex_unlock (&self->timeline_lock);
}

static gboolean
gst_stillframe_cut_audio_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstStillframeCut *self = GST_STILLFRAME_CUT (parent);
  AudioStream *stream = gst_stillframe_cut_audio_stream_of (pad);
  const Settings settings = gst_stillframe_cut_get_settings (self);
  const gboolean retime = settings.retime ();

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_START:
      set_audio_flushing (self, stream, TRUE);
      break;
    case GST_EVENT_FLUSH_STOP:
      set_audio_flushing (self, stream, FALSE);
      gst_segment_init (&stream->segment, GST_FORMAT_TIME);
      stream->need_output_segment = TRUE;
      stream->output_started = FALSE;
      break;
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      gst_event_parse_caps (event, &caps);
      if (!gst_audio_info_from_caps (&stream->info, caps)) {
        gst_event_unref (event);
        return FALSE;
      }
      break;
    }
    case GST_EVENT_SEGMENT:{
      if (!gst_stillframe_cut_take_segment (self, pad, event,
              &stream->segment))
        return FALSE;
      if (retime) {
        gst_event_unref (event);
        return push_audio_segment_if_needed (stream, settings) == GST_FLOW_OK;
      }
      break;
    }
    case GST_EVENT_GAP:
      /* Audio gaps are not mapped onto the cut timeline. */
      if (retime) {
        gst_event_unref (event);
        return TRUE;
      }
      break;
    default:
      break;
  }
  return gst_pad_push_event (stream->srcpad, event);
}

static gboolean
gst_stillframe_cut_audio_src_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstStillframeCut *self = GST_STILLFRAME_CUT (parent);
  AudioStream *stream = gst_stillframe_cut_audio_stream_of (pad);
  if (GST_EVENT_TYPE (event) == GST_EVENT_SEEK
      && gst_stillframe_cut_get_settings (self).retime ()) {
    gst_event_unref (event);
    return FALSE;
  }
  return gst_pad_push_event (stream->sinkpad, event);
}

static gboolean
gst_stillframe_cut_audio_src_query (GstPad * pad, GstObject * parent,
    GstQuery * query)
{
  GstStillframeCut *self = GST_STILLFRAME_CUT (parent);
  AudioStream *stream = gst_stillframe_cut_audio_stream_of (pad);
  if (GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    if (!gst_pad_peer_query (stream->sinkpad, query))
      return FALSE;
    gboolean live;
    GstClockTime min, max;
    gst_query_parse_latency (query, &live, &min, &max);
    const GstClockTime hold =
        gst_stillframe_cut_get_settings (self).cut.hold_time ();
    gst_query_set_latency (query, live, min + hold,
        GST_CLOCK_TIME_IS_VALID (max) ? max + hold : max);
    return TRUE;
  }
  return gst_pad_query_default (pad, parent, query);
}

GstPad *
gst_stillframe_cut_request_audio_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name)
{
  GstStillframeCut *self = GST_STILLFRAME_CUT (element);
  guint index;

  g_mutex_lock (&self->timeline_lock);
  Timeline & timeline = self->timeline;
  if (name == NULL || sscanf (name, "audio_sink_%u", &index) != 1)
    index = timeline.next_audio_index;
  for (AudioStream * stream:timeline.audio) {
    if (g_str_has_suffix (GST_PAD_NAME (stream->sinkpad),
            ("_" + std::to_string (index)).c_str ())) {
      g_mutex_unlock (&self->timeline_lock);
      GST_WARNING_OBJECT (self, "pad audio_sink_%u already exists", index);
      return NULL;
    }
  }
  timeline.next_audio_index = std::max (timeline.next_audio_index, index + 1);

  AudioStream *stream = g_new0 (AudioStream, 1);
  gst_segment_init (&stream->segment, GST_FORMAT_TIME);
  gst_audio_info_init (&stream->info);
  stream->need_output_segment = TRUE;

  gchar *sink_name = g_strdup_printf ("audio_sink_%u", index);
  gchar *src_name = g_strdup_printf ("audio_src_%u", index);
  stream->sinkpad = gst_pad_new_from_template (templ, sink_name);
  stream->srcpad = gst_pad_new_from_static_template (&gst_stillframe_cut_audio_src_template,
      src_name);
  g_free (sink_name);
  g_free (src_name);
  for (GstPad * pad: {stream->sinkpad, stream->srcpad}) {
    gst_pad_set_element_private (pad, stream);
    gst_pad_set_iterate_internal_links_function (pad,
        GST_DEBUG_FUNCPTR (gst_stillframe_cut_iterate_internal_links));
    GST_PAD_SET_PROXY_CAPS (pad);
    GST_PAD_SET_PROXY_ALLOCATION (pad);
  }
  gst_pad_set_chain_function (stream->sinkpad,
      GST_DEBUG_FUNCPTR (gst_stillframe_cut_audio_chain));
  gst_pad_set_event_function (stream->sinkpad,
      GST_DEBUG_FUNCPTR (gst_stillframe_cut_audio_sink_event));
  gst_pad_set_event_function (stream->srcpad,
      GST_DEBUG_FUNCPTR (gst_stillframe_cut_audio_src_event));
  gst_pad_set_query_function (stream->srcpad,
      GST_DEBUG_FUNCPTR (gst_stillframe_cut_audio_src_query));
  timeline.audio.push_back (stream);
  g_mutex_unlock (&self->timeline_lock);

  if (GST_STATE (element) > GST_STATE_READY) {
    gst_pad_set_active (stream->srcpad, TRUE);
    gst_pad_set_active (stream->sinkpad, TRUE);
  }
  gst_element_add_pad (element, stream->srcpad);
  gst_element_add_pad (element, stream->sinkpad);
  return stream->sinkpad;
}

void
gst_stillframe_cut_release_audio_pad (GstElement * element, GstPad * pad)
{
  GstStillframeCut *self = GST_STILLFRAME_CUT (element);
  AudioStream *stream = gst_stillframe_cut_audio_stream_of (pad);
  if (stream == NULL)
    return;
  g_mutex_lock (&self->timeline_lock);
  Timeline & timeline = self->timeline;
  timeline.audio.erase (std::remove (timeline.audio.begin (),
          timeline.audio.end (), stream), timeline.audio.end ());
  stream->flushing = TRUE;
  g_cond_broadcast (&self->timeline_changed);
  g_mutex_unlock (&self->timeline_lock);

  gst_pad_set_active (stream->sinkpad, FALSE);
  gst_pad_set_active (stream->srcpad, FALSE);
  gst_element_remove_pad (element, stream->srcpad);
  gst_element_remove_pad (element, stream->sinkpad);
  g_free (stream);
}

void
gst_stillframe_cut_reset_audio (GstStillframeCut * self, gboolean flushing)
{
  g_mutex_lock (&self->timeline_lock);
  for (AudioStream * stream:self->timeline.audio) {
    stream->flushing = flushing;
    stream->position = 0;
    stream->need_output_segment = TRUE;
    stream->output_started = FALSE;
  }
  g_cond_broadcast (&self->timeline_changed);
  g_mutex_unlock (&self->timeline_lock);
}
