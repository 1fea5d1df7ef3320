/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:element-stillframecut
 * @title: stillframecut
 *
 * Drops the static spans of a video, reading the motion decision that
 * stillframedetect attached to each buffer. A static span shorter than
 * #GstStillframeCut:min-static-duration is kept whole; of a longer one,
 * #GstStillframeCut:post-roll after the motion before it and
 * #GstStillframeCut:pre-roll before the motion after it are kept and the
 * rest is dropped. Static video before the first motion and after the last
 * is dropped but for the pre- and post-roll. A buffer without the motion
 * meta is kept, as if it moved.
 *
 * With timestamps=retime (the default) the kept frames are re-timestamped
 * into one continuous segment, so an encoder and muxer downstream write a
 * file as long as what was kept. With timestamps=original they keep their
 * source timestamps and each dropped frame becomes a GAP event, for
 * analytics chains and live sources.
 *
 * Raw audio streams linked through request pads `audio_sink_%u` (each with
 * its `audio_src_%u`) are cut at exactly the same running times as the
 * video, sample-accurately, and re-timestamped the same way, so they stay in
 * sync however many spans are cut. Audio goes out as far as the video has
 * decided, a long buffer in parts.
 *
 * Before the first buffer it holds or drops, each source pad sends a GAP
 * event of no duration, so that a sink behind it can preroll (a branch of a
 * tee, for instance).
 *
 * An element message `stillframe-cut` is posted for every dropped span and a
 * `stillframe-cut-summary` at end of stream.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=in.mp4 ! decodebin ! videoconvert ! \
 *     stillframedetect ! stillframecut ! x264enc ! mp4mux ! filesink location=out.mp4
 * ]|
 *
 * ## Example with audio
 * |[
 * gst-launch-1.0 filesrc location=in.mp4 ! decodebin name=d \
 *     d. ! videoconvert ! stillframedetect ! cut.sink \
 *     d. ! audioconvert ! cut.audio_sink_0 \
 *     stillframecut name=cut ! x264enc ! mp4mux name=m ! filesink location=out.mp4 \
 *     cut.audio_src_0 ! audioconvert ! avenc_aac ! m.
 * ]|
 *
 * ## Locking
 * Settings live under the object lock. The held frames and the video's cut
 * state are touched only with the video sink pad's stream lock held (chain,
 * serialized events, FLUSH_STOP). What other threads read (the dropped
 * ranges, how far the video has decided, the audio streams and their
 * positions) is under timeline_lock, with timeline_changed signalled when it
 * changes. The object lock and timeline_lock are never held together, and
 * neither is held while pushing.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gststillframecut.h"
#include "gststillframeelements.h"
#include "stillframemeta.h"

#include <gst/audio/audio.h>
#include <gst/video/video.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY_STATIC (gst_stillframe_cut_debug);
#define GST_CAT_DEFAULT gst_stillframe_cut_debug

#define DEFAULT_MIN_STATIC_DURATION (3 * GST_SECOND)
#define DEFAULT_PRE_ROLL (1 * GST_SECOND)
#define DEFAULT_POST_ROLL (1 * GST_SECOND)
#define DEFAULT_TIMESTAMPS GST_STILLFRAME_CUT_TIMESTAMPS_RETIME
#define MAX_HOLD_TIME (3600 * GST_SECOND)

enum
{
  PROP_0,
  PROP_MIN_STATIC_DURATION,
  PROP_PRE_ROLL,
  PROP_POST_ROLL,
  PROP_TIMESTAMPS,
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw(ANY)"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw(ANY)"));

#define AUDIO_CAPS "audio/x-raw, layout = (string) interleaved"

static GstStaticPadTemplate audio_sink_template =
GST_STATIC_PAD_TEMPLATE ("audio_sink_%u", GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS (AUDIO_CAPS));

static GstStaticPadTemplate audio_src_template =
GST_STATIC_PAD_TEMPLATE ("audio_src_%u", GST_PAD_SRC, GST_PAD_SOMETIMES,
    GST_STATIC_CAPS (AUDIO_CAPS));

GType
gst_stillframe_cut_timestamps_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {GST_STILLFRAME_CUT_TIMESTAMPS_RETIME,
        "Rewrite timestamps into one continuous timeline", "retime"},
    {GST_STILLFRAME_CUT_TIMESTAMPS_ORIGINAL,
        "Keep source timestamps, send GAP events over dropped frames",
        "original"},
    {0, NULL, NULL},
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstStillframeCutTimestamps", values);
    g_once_init_leave (&type, t);
  }
  return (GType) type;
}

struct Settings
{
  GstClockTime min_static_duration = DEFAULT_MIN_STATIC_DURATION;
  GstClockTime pre_roll = DEFAULT_PRE_ROLL;
  GstClockTime post_roll = DEFAULT_POST_ROLL;
  GstStillframeCutTimestamps timestamps = DEFAULT_TIMESTAMPS;

  /* The longest a frame can wait for its fate: a leading static span is
   * judged only once it reaches min-static-duration, and a dropped span's
   * last pre-roll worth of frames waits for motion. */
  GstClockTime hold_time () const
  {
    return std::max (min_static_duration, pre_roll);
  }
};

/* A frame whose fate is not decided yet, or a serialized event queued
 * behind such frames to keep its order. */
struct HeldItem
{
  GstBuffer *buffer;
  GstEvent *event;
  GstClockTime running_time;
  GstClockTime duration;
};

struct StreamState
{
  std::deque<HeldItem> held;
  GstSegment segment;
  gboolean need_output_segment = TRUE;
  gboolean output_started = FALSE;      /* a buffer or gap went out */
  gboolean segment_changed = FALSE;     /* judged at the next frame */
  GstClockTime frame_duration = GST_CLOCK_TIME_NONE;    /* from the caps */

  /* Hysteresis over running time. */
  GstClockTime last_motion_end = GST_CLOCK_TIME_NONE;
  GstClockTime static_start = GST_CLOCK_TIME_NONE;
  /* The static span being received will be cut (less its pre- and
   * post-roll): it reached min-static-duration, or no motion came before it
   * (the start of the stream needs no bridging). */
  gboolean span_will_be_cut = TRUE;

  GstClockTime last_end = GST_CLOCK_TIME_NONE;  /* of the last frame */

  /* The dropped span being built, for its message. */
  gboolean dropping = FALSE;
  GstClockTime drop_start = 0, drop_stop = 0;   /* stream time */
  guint64 drop_frames = 0;
  gboolean splice_pending = FALSE;

  /* Buffers from a pool with a maximum size are copied before being held,
   * so the upstream decoder never runs out of buffers. */
  GstBufferPool *checked_pool = NULL;
  gboolean checked_pool_bounded = FALSE;

  guint64 frames_in = 0, frames_out = 0, spans_dropped = 0;
  /* Running time of the first frame: the input spans from here to last_end
   * (timestamps, not frame counts, so variable frame rates add up). */
  GstClockTime first_start = GST_CLOCK_TIME_NONE;
};

/* Input running time whose video was dropped; `end` is NONE while the
 * range is open. `cut_before` is the running time dropped before `start`. */
struct DroppedRange
{
  GstClockTime start, end, cut_before;
};

/* A secondary (audio) stream; its pads' element_private. */
struct AudioStream
{
  GstPad *sinkpad, *srcpad;
  /* Its streaming thread only. */
  GstSegment segment;
  GstAudioInfo info;
  gboolean need_output_segment;
  gboolean output_started;      /* a buffer or gap went out */
  /* timeline_lock. */
  gboolean flushing;
  GstClockTime position;        /* input running time consumed */
};

struct Timeline
{
  GstClockTime cut_total = 0;   /* running time dropped in closed ranges */
  GstClockTime position = 0;    /* output running time reached (retime) */
  GstClockTime decided_until = 0;       /* the video decided all before */
  gboolean video_ended = FALSE; /* ... and all after */
  std::deque<DroppedRange> dropped;     /* as far back as audio needs */
  std::vector<AudioStream *> audio;
  guint next_audio_index = 0;
};

struct _GstStillframeCut
{
  GstElement parent;
  GstPad *sinkpad;
  GstPad *srcpad;

  Settings settings;            /* object lock */
  StreamState state;            /* sink pad stream lock */

  GMutex timeline_lock;
  GCond timeline_changed;
  Timeline timeline;
};

G_DEFINE_TYPE_WITH_CODE (GstStillframeCut, gst_stillframe_cut,
    GST_TYPE_ELEMENT,
    GST_DEBUG_CATEGORY_INIT (gst_stillframe_cut_debug, "stillframecut", 0,
        "stillframe static span cutter"));

GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (stillframecut, "stillframecut",
    GST_RANK_NONE, GST_TYPE_STILLFRAME_CUT, stillframe_element_init (plugin));

static Settings
get_settings (GstStillframeCut * self)
{
  GST_OBJECT_LOCK (self);
  Settings settings = self->settings;
  GST_OBJECT_UNLOCK (self);
  return settings;
}

static GstClockTime
get_cut_total (GstStillframeCut * self)
{
  g_mutex_lock (&self->timeline_lock);
  GstClockTime cut = self->timeline.cut_total;
  g_mutex_unlock (&self->timeline_lock);
  return cut;
}

static GstClockTime
get_output_position (GstStillframeCut * self)
{
  g_mutex_lock (&self->timeline_lock);
  GstClockTime position = self->timeline.position;
  g_mutex_unlock (&self->timeline_lock);
  return position;
}

/* Forgets dropped ranges that no audio stream can still ask about; without
 * audio only the open one is kept, so memory stays flat however many spans
 * are cut. */
static void
prune_dropped_locked (GstStillframeCut * self)
{
  Timeline & timeline = self->timeline;
  GstClockTime needed = GST_CLOCK_TIME_NONE;
  for (AudioStream * stream:timeline.audio)
    needed = std::min (needed, stream->position);
  while (!timeline.dropped.empty ()
      && GST_CLOCK_TIME_IS_VALID (timeline.dropped.front ().end)
      && timeline.dropped.front ().end <= needed)
    timeline.dropped.pop_front ();
}

static void
release_checked_pool (StreamState & state)
{
  gst_clear_object (&state.checked_pool);
}

static void
clear_held (StreamState & state)
{
  for (HeldItem & item : state.held) {
    gst_clear_buffer (&item.buffer);
    gst_clear_event (&item.event);
  }
  state.held.clear ();
}

/* Forgets the hysteresis, e.g. after a drain; the output timeline stays. */
static void
reset_hysteresis (StreamState & state)
{
  state.last_motion_end = GST_CLOCK_TIME_NONE;
  state.static_start = GST_CLOCK_TIME_NONE;
  state.span_will_be_cut = TRUE;
}

static void
reset_stream (GstStillframeCut * self)
{
  StreamState & state = self->state;
  clear_held (state);
  release_checked_pool (state);
  state = StreamState ();
  gst_segment_init (&state.segment, GST_FORMAT_TIME);
  g_mutex_lock (&self->timeline_lock);
  Timeline & timeline = self->timeline;
  timeline.cut_total = 0;
  timeline.position = 0;
  timeline.decided_until = 0;
  timeline.video_ended = FALSE;
  timeline.dropped.clear ();
  g_cond_broadcast (&self->timeline_changed);
  g_mutex_unlock (&self->timeline_lock);
}

/* Before a decided frame is pushed: audio up to its end may go. Without
 * this, a push that blocks (a muxer waiting for that very audio) would
 * deadlock. */
static void
publish_decided_until (GstStillframeCut * self, GstClockTime end)
{
  if (!GST_CLOCK_TIME_IS_VALID (end))
    return;
  g_mutex_lock (&self->timeline_lock);
  if (end > self->timeline.decided_until) {
    self->timeline.decided_until = end;
    g_cond_broadcast (&self->timeline_changed);
  }
  g_mutex_unlock (&self->timeline_lock);
}

/* Tells waiting audio streams how far the video has decided: up to its
 * first held frame, or all it received. */
static void
publish_decisions (GstStillframeCut * self, gboolean ended)
{
  StreamState & state = self->state;
  GstClockTime decided = state.last_end;
  for (const HeldItem & item:state.held) {
    if (item.buffer) {
      decided = item.running_time;
      break;
    }
  }
  g_mutex_lock (&self->timeline_lock);
  if (GST_CLOCK_TIME_IS_VALID (decided))
    self->timeline.decided_until = decided;
  self->timeline.video_ended |= ended;
  prune_dropped_locked (self);
  g_cond_broadcast (&self->timeline_changed);
  g_mutex_unlock (&self->timeline_lock);
}

static GstClockTime
stream_time_of (StreamState & state, GstClockTime pts)
{
  return gst_segment_to_stream_time (&state.segment, GST_FORMAT_TIME, pts);
}

static void
close_dropped_span (GstStillframeCut * self)
{
  StreamState & state = self->state;
  if (!state.dropping)
    return;
  state.dropping = FALSE;
  state.spans_dropped++;
  GST_DEBUG_OBJECT (self, "dropped %" G_GUINT64_FORMAT " frames from %"
      GST_TIME_FORMAT " to %" GST_TIME_FORMAT, state.drop_frames,
      GST_TIME_ARGS (state.drop_start), GST_TIME_ARGS (state.drop_stop));
  GstStructure *s = gst_structure_new ("stillframe-cut",
      "start", G_TYPE_UINT64, (guint64) state.drop_start,
      "stop", G_TYPE_UINT64, (guint64) state.drop_stop,
      "duration", G_TYPE_UINT64, (guint64) (state.drop_stop - state.drop_start),
      "frames", G_TYPE_UINT64, state.drop_frames, NULL);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

/* In retime mode each source pad sends one segment from 0, so that output
 * PTS are output running times. */
static GstFlowReturn
push_output_segment_once (GstPad * srcpad, gboolean * needed,
    const Settings & settings)
{
  if (settings.timestamps != GST_STILLFRAME_CUT_TIMESTAMPS_RETIME || !*needed)
    return GST_FLOW_OK;
  *needed = FALSE;
  GstSegment segment;
  gst_segment_init (&segment, GST_FORMAT_TIME);
  if (!gst_pad_push_event (srcpad, gst_event_new_segment (&segment)))
    return GST_PAD_IS_FLUSHING (srcpad) ? GST_FLOW_FLUSHING : GST_FLOW_ERROR;
  return GST_FLOW_OK;
}

static GstFlowReturn
push_output_segment_if_needed (GstStillframeCut * self,
    const Settings & settings)
{
  return push_output_segment_once (self->srcpad,
      &self->state.need_output_segment, settings);
}

/* Lets the sink behind a source pad preroll before anything is decided:
 * while the cut holds or drops everything, a sink that waits for data would
 * keep the whole pipeline from prerolling (the other branches of a tee, the
 * audio waiting for the video). */
static void
push_preroll_gap (GstPad * srcpad, gboolean * output_started,
    GstClockTime timestamp)
{
  if (*output_started)
    return;
  *output_started = TRUE;
  gst_pad_push_event (srcpad, gst_event_new_gap (timestamp, 0));
}

static GstFlowReturn
push_kept (GstStillframeCut * self, const Settings & settings,
    GstBuffer * buffer, GstClockTime running_time, GstClockTime duration)
{
  StreamState & state = self->state;
  const gboolean retime =
      settings.timestamps == GST_STILLFRAME_CUT_TIMESTAMPS_RETIME;

  if (state.dropping) {
    close_dropped_span (self);
    state.splice_pending = TRUE;
  }
  if (GST_CLOCK_TIME_IS_VALID (running_time)) {
    /* This frame ends the open dropped range, if any (it may have been left
     * open by a drain, so that a new segment continues the timeline). */
    g_mutex_lock (&self->timeline_lock);
    Timeline & timeline = self->timeline;
    if (!timeline.dropped.empty ()
        && !GST_CLOCK_TIME_IS_VALID (timeline.dropped.back ().end)) {
      DroppedRange & range = timeline.dropped.back ();
      range.end = std::max (running_time, range.start);
      timeline.cut_total += range.end - range.start;
      prune_dropped_locked (self);
    }
    g_mutex_unlock (&self->timeline_lock);
  }

  GstFlowReturn ret = push_output_segment_if_needed (self, settings);
  if (ret != GST_FLOW_OK) {
    gst_buffer_unref (buffer);
    return ret;
  }

  GstClockTime out_time = running_time;
  buffer = gst_buffer_make_writable (buffer);
  if (retime && GST_CLOCK_TIME_IS_VALID (running_time)) {
    out_time = running_time - get_cut_total (self);
    GST_BUFFER_PTS (buffer) = out_time;
    GST_BUFFER_DTS (buffer) = GST_CLOCK_TIME_NONE;
  }
  if (state.splice_pending) {
    state.splice_pending = FALSE;
    GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_DISCONT);
    /* Each kept span then starts on a keyframe once encoded: cuttable and
     * seekable later without re-encoding. The request is for "the next
     * frame" rather than for a running time: GstVideoEncoder 1.22 compares
     * request times with its own offset ones (x264enc's 1000 h minimum PTS)
     * and would ignore every request after the first. */
    if (retime)
      gst_pad_push_event (self->srcpad,
          gst_video_event_new_downstream_force_key_unit (GST_CLOCK_TIME_NONE,
              GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE, TRUE, 0));
  }

  state.frames_out++;
  state.output_started = TRUE;
  if (GST_CLOCK_TIME_IS_VALID (out_time)) {
    g_mutex_lock (&self->timeline_lock);
    self->timeline.position = out_time +
        (GST_CLOCK_TIME_IS_VALID (duration) ? duration : 0);
    g_mutex_unlock (&self->timeline_lock);
  }
  GST_LOG_OBJECT (self, "pushing %" GST_PTR_FORMAT, buffer);
  if (GST_CLOCK_TIME_IS_VALID (running_time))
    publish_decided_until (self, running_time +
        (GST_CLOCK_TIME_IS_VALID (duration) ? duration : 0));
  return gst_pad_push (self->srcpad, buffer);
}

static GstFlowReturn
drop_frame (GstStillframeCut * self, const Settings & settings,
    GstBuffer * buffer, GstClockTime running_time, GstClockTime duration)
{
  StreamState & state = self->state;
  const GstClockTime pts = GST_BUFFER_PTS (buffer);
  const GstClockTime end = GST_CLOCK_TIME_IS_VALID (duration) ?
      pts + duration : pts;

  if (!state.dropping) {
    state.dropping = TRUE;
    state.drop_start = stream_time_of (state, pts);
    state.drop_frames = 0;
  }
  g_mutex_lock (&self->timeline_lock);
  Timeline & timeline = self->timeline;
  if (timeline.dropped.empty ()
      || GST_CLOCK_TIME_IS_VALID (timeline.dropped.back ().end))
    timeline.dropped.push_back (DroppedRange {
        running_time, GST_CLOCK_TIME_NONE, timeline.cut_total});
  g_mutex_unlock (&self->timeline_lock);
  state.drop_stop = stream_time_of (state, end);
  state.drop_frames++;
  gst_buffer_unref (buffer);

  if (settings.timestamps == GST_STILLFRAME_CUT_TIMESTAMPS_ORIGINAL) {
    publish_decided_until (self, running_time +
        (GST_CLOCK_TIME_IS_VALID (duration) ? duration : 0));
    state.output_started = TRUE;
    if (!gst_pad_push_event (self->srcpad, gst_event_new_gap (pts,
                duration)))
      return GST_PAD_IS_FLUSHING (self->srcpad) ? GST_FLOW_FLUSHING :
          GST_FLOW_OK;
  }
  return GST_FLOW_OK;
}

static GstFlowReturn
push_event_in_order (GstStillframeCut * self, const Settings & settings,
    GstEvent * event)
{
  StreamState & state = self->state;
  if (GST_EVENT_TYPE (event) == GST_EVENT_GAP
      && settings.timestamps == GST_STILLFRAME_CUT_TIMESTAMPS_RETIME) {
    GstClockTime timestamp, duration;
    gst_event_parse_gap (event, &timestamp, &duration);
    const GstClockTime running_time = gst_segment_to_running_time
        (&state.segment, GST_FORMAT_TIME, timestamp);
    gst_event_unref (event);
    /* A gap inside a dropped span is dropped with it. */
    if (state.dropping || !GST_CLOCK_TIME_IS_VALID (running_time))
      return GST_FLOW_OK;
    GstFlowReturn ret = push_output_segment_if_needed (self, settings);
    if (ret != GST_FLOW_OK)
      return ret;
    event = gst_event_new_gap (running_time - get_cut_total (self), duration);
  }
  gst_pad_push_event (self->srcpad, event);
  return GST_FLOW_OK;
}

/* Millisecond-rounded timestamps (Matroska) must not make a frame miss a
 * window by a hair: windows are judged to half a frame. */
static GstClockTime
half_frame (GstClockTime duration)
{
  return GST_CLOCK_TIME_IS_VALID (duration) ? duration / 2 : 0;
}

/* Decides held frames from the front: frames starting before `keep_from`
 * are dropped, the first later one stops the walk. With keep_from NONE,
 * everything held is kept. Events are pushed in their place. */
static GstFlowReturn
release_held (GstStillframeCut * self, const Settings & settings,
    gboolean drop_all, GstClockTime keep_from)
{
  StreamState & state = self->state;
  GstFlowReturn ret = GST_FLOW_OK;
  while (!state.held.empty ()) {
    HeldItem item = state.held.front ();
    GstFlowReturn item_ret;
    if (item.event) {
      state.held.pop_front ();
      item_ret = push_event_in_order (self, settings, item.event);
    } else if (drop_all || (GST_CLOCK_TIME_IS_VALID (keep_from)
            && item.running_time + half_frame (item.duration) < keep_from)) {
      state.held.pop_front ();
      item_ret = drop_frame (self, settings, item.buffer, item.running_time,
          item.duration);
    } else if (!GST_CLOCK_TIME_IS_VALID (keep_from)) {
      state.held.pop_front ();
      item_ret = push_kept (self, settings, item.buffer, item.running_time,
          item.duration);
    } else {
      break;
    }
    if (ret == GST_FLOW_OK)
      ret = item_ret;
  }
  return ret;
}

/* End of the stream or of a segment: no motion follows, so nothing held
 * (all past the post-roll) is kept. */
static GstFlowReturn
drain (GstStillframeCut * self, const Settings & settings)
{
  StreamState & state = self->state;
  GstFlowReturn ret = release_held (self, settings, TRUE, GST_CLOCK_TIME_NONE);
  close_dropped_span (self);
  reset_hysteresis (state);
  publish_decisions (self, FALSE);
  return ret;
}

static GstBuffer *
detach_from_bounded_pool (GstStillframeCut * self, GstBuffer * buffer)
{
  StreamState & state = self->state;
  /* A buffer that holds a pooled one (stillframedetect's, when the decoder
   * still had its frame) counts as from that pool. */
  GstParentBufferMeta *parent = gst_buffer_get_parent_buffer_meta (buffer);
  GstBufferPool *pool = buffer->pool ? buffer->pool :
      parent ? parent->buffer->pool : NULL;
  if (pool == NULL)
    return buffer;
  if (pool != state.checked_pool) {
    gst_object_replace ((GstObject **) & state.checked_pool,
        GST_OBJECT (pool));
    GstStructure *config = gst_buffer_pool_get_config (pool);
    guint max_buffers = 0;
    gst_buffer_pool_config_get_params (config, NULL, NULL, NULL, &max_buffers);
    gst_structure_free (config);
    state.checked_pool_bounded = max_buffers != 0;
    GST_DEBUG_OBJECT (self, "upstream pool %" GST_PTR_FORMAT " %s", pool,
        state.checked_pool_bounded ? "is bounded: copying held frames" :
        "is unbounded");
  }
  if (!state.checked_pool_bounded)
    return buffer;
  /* The deep copy holds neither the pooled buffer nor its memory (in 1.22
   * deep copies leave GstParentBufferMeta behind). */
  GstBuffer *copy = gst_buffer_copy_deep (buffer);
  gst_buffer_unref (buffer);
  return copy;
}

/* A hole in the stream at least min-static-duration long (a camera that
 * stopped sending, a recording that resumed) is cut like a static span:
 * what came before ends as a stream would, the hole is dropped time, and
 * it opens a dropped span (with its message) up to the frame at `pts`. */
static void
cut_hole (GstStillframeCut * self, const Settings & settings, GstClockTime pts)
{
  StreamState & state = self->state;
  GST_DEBUG_OBJECT (self, "cutting the hole after %" GST_TIME_FORMAT,
      GST_TIME_ARGS (state.last_end));
  drain (self, settings);
  state.dropping = TRUE;
  state.drop_start = stream_time_of (state,
      gst_segment_position_from_running_time (&state.segment,
          GST_FORMAT_TIME, state.last_end));
  state.drop_stop = stream_time_of (state, pts);
  state.drop_frames = 0;
  g_mutex_lock (&self->timeline_lock);
  Timeline & timeline = self->timeline;
  if (timeline.dropped.empty ()
      || GST_CLOCK_TIME_IS_VALID (timeline.dropped.back ().end))
    timeline.dropped.push_back (DroppedRange {
        state.last_end, GST_CLOCK_TIME_NONE, timeline.cut_total});
  g_mutex_unlock (&self->timeline_lock);
  state.splice_pending = TRUE;
}

/* A frame without a timestamp, or one that starts before the previous
 * frame ended (a corrupt file, a confused decoder), is moved to the end of
 * the previous frame: muxers reject both, and the cut needs a timeline that
 * only goes forward. */
static GstBuffer *
place_on_timeline (GstStillframeCut * self, GstBuffer * buffer,
    GstClockTime duration, GstClockTime * running_time)
{
  StreamState & state = self->state;
  GstClockTime time = gst_segment_to_running_time (&state.segment,
      GST_FORMAT_TIME, GST_BUFFER_PTS (buffer));
  const gboolean backwards = GST_CLOCK_TIME_IS_VALID (time)
      && GST_CLOCK_TIME_IS_VALID (state.last_end)
      && time + half_frame (duration) < state.last_end;
  if (GST_CLOCK_TIME_IS_VALID (time) && !backwards) {
    *running_time = time;
    return buffer;
  }
  time = GST_CLOCK_TIME_IS_VALID (state.last_end) ? state.last_end :
      gst_segment_to_running_time (&state.segment, GST_FORMAT_TIME,
      state.segment.start);
  const GstClockTime pts = gst_segment_position_from_running_time
      (&state.segment, GST_FORMAT_TIME, time);
  GST_WARNING_OBJECT (self, "frame %" GST_TIME_FORMAT " %s: placed at %"
      GST_TIME_FORMAT, GST_TIME_ARGS (GST_BUFFER_PTS (buffer)),
      backwards ? "goes backwards" : "has no timestamp", GST_TIME_ARGS (pts));
  buffer = gst_buffer_make_writable (buffer);
  GST_BUFFER_PTS (buffer) = pts;
  GST_BUFFER_DTS (buffer) = GST_CLOCK_TIME_NONE;
  *running_time = GST_CLOCK_TIME_IS_VALID (pts) ? time : GST_CLOCK_TIME_NONE;
  return buffer;
}

static GstFlowReturn decide_frame (GstStillframeCut * self,
    const Settings & settings, GstBuffer * buffer, GstClockTime running_time,
    GstClockTime duration, GstClockTime end, gboolean motion);

static GstFlowReturn
gst_stillframe_cut_chain (GstPad * /*pad */ , GstObject * parent,
    GstBuffer * buffer)
{
  GstStillframeCut *self = GST_STILLFRAME_CUT (parent);
  StreamState & state = self->state;
  const Settings settings = get_settings (self);

  GstClockTime duration = GST_BUFFER_DURATION (buffer);
  if (!GST_CLOCK_TIME_IS_VALID (duration))
    duration = state.frame_duration;
  if (state.segment_changed) {
    /* A segment that takes the timeline back (a restart, a non-flushing
     * seek) ends what came before as the end of a stream would; one that
     * goes on where the last frame ended (demuxers update theirs) changes
     * nothing, so no frame is lost to it. */
    state.segment_changed = FALSE;
    const GstClockTime time = gst_segment_to_running_time (&state.segment,
        GST_FORMAT_TIME, GST_BUFFER_PTS (buffer));
    if (GST_CLOCK_TIME_IS_VALID (time) && GST_CLOCK_TIME_IS_VALID
        (state.last_end) && time + half_frame (duration) < state.last_end)
      drain (self, settings);
  }
  GstClockTime running_time;
  buffer = place_on_timeline (self, buffer, duration, &running_time);
  if (settings.timestamps == GST_STILLFRAME_CUT_TIMESTAMPS_RETIME
      && GST_CLOCK_TIME_IS_VALID (running_time)
      && GST_CLOCK_TIME_IS_VALID (state.last_end)
      && running_time >= state.last_end + MAX (settings.min_static_duration,
          half_frame (duration) + 1))
    cut_hole (self, settings, GST_BUFFER_PTS (buffer));

  state.frames_in++;
  if (!GST_CLOCK_TIME_IS_VALID (state.first_start))
    state.first_start = running_time;

  gboolean motion = TRUE;
  if (!stillframe_motion_meta_get_motion (buffer, &motion))
    GST_LOG_OBJECT (self, "no motion meta on %" GST_PTR_FORMAT ": kept",
        buffer);
  /* Without a running time nothing can be timed: keep it, as motion. */
  if (!GST_CLOCK_TIME_IS_VALID (running_time))
    motion = TRUE;

  const GstClockTime end = GST_CLOCK_TIME_IS_VALID (running_time) ?
      running_time + (GST_CLOCK_TIME_IS_VALID (duration) ? duration : 0) :
      GST_CLOCK_TIME_NONE;
  if (GST_CLOCK_TIME_IS_VALID (end))
    state.last_end = end;

  const GstClockTime pts = GST_BUFFER_PTS (buffer);
  GstFlowReturn ret = decide_frame (self, settings, buffer, running_time,
      duration, end, motion);
  if (!state.output_started)
    push_preroll_gap (self->srcpad, &state.output_started,
        settings.timestamps == GST_STILLFRAME_CUT_TIMESTAMPS_RETIME ?
        get_output_position (self) : pts);
  publish_decisions (self, FALSE);
  return ret;
}

static GstFlowReturn
decide_frame (GstStillframeCut * self, const Settings & settings,
    GstBuffer * buffer, GstClockTime running_time, GstClockTime duration,
    GstClockTime end, gboolean motion)
{
  StreamState & state = self->state;
  if (motion) {
    GstFlowReturn ret = release_held (self, settings, FALSE,
        GST_CLOCK_TIME_NONE);
    GstFlowReturn kept = push_kept (self, settings, buffer, running_time,
        duration);
    if (GST_CLOCK_TIME_IS_VALID (end))
      state.last_motion_end = end;
    state.static_start = GST_CLOCK_TIME_NONE;
    state.span_will_be_cut = FALSE;
    return ret != GST_FLOW_OK ? ret : kept;
  }

  if (!GST_CLOCK_TIME_IS_VALID (state.static_start))
    state.static_start = running_time;

  GstFlowReturn ret = GST_FLOW_OK;
  const gboolean in_post_roll =
      GST_CLOCK_TIME_IS_VALID (state.last_motion_end)
      && running_time + half_frame (duration) < state.last_motion_end +
      settings.post_roll;
  if (in_post_roll && state.held.empty ()) {
    /* Kept whether the span turns out short or long. */
    ret = push_kept (self, settings, buffer, running_time, duration);
  } else {
    state.held.push_back (HeldItem {
        detach_from_bounded_pool (self, buffer), NULL, running_time,
        duration});
  }

  if (end - state.static_start >= settings.min_static_duration)
    state.span_will_be_cut = TRUE;
  if (state.span_will_be_cut) {
    /* Motion can start at `end` at the earliest: frames before its
     * pre-roll window can no longer be kept. */
    const GstClockTime keep_from = end > settings.pre_roll ?
        end - settings.pre_roll : 0;
    GstFlowReturn released = release_held (self, settings, FALSE, keep_from);
    if (ret == GST_FLOW_OK)
      ret = released;
  }
  return ret;
}

static void
post_summary (GstStillframeCut * self)
{
  StreamState & state = self->state;
  GstClockTime duration_in = 0, dropped = 0;
  if (GST_CLOCK_TIME_IS_VALID (state.first_start)
      && GST_CLOCK_TIME_IS_VALID (state.last_end)
      && state.last_end > state.first_start)
    duration_in = state.last_end - state.first_start;
  g_mutex_lock (&self->timeline_lock);
  dropped = self->timeline.cut_total;
  if (!self->timeline.dropped.empty ()) {
    const DroppedRange & open = self->timeline.dropped.back ();
    if (!GST_CLOCK_TIME_IS_VALID (open.end) && state.last_end > open.start)
      dropped += state.last_end - open.start;
  }
  g_mutex_unlock (&self->timeline_lock);
  const GstClockTime duration_out = duration_in > dropped ?
      duration_in - dropped : 0;
  GstStructure *s = gst_structure_new ("stillframe-cut-summary",
      "frames-in", G_TYPE_UINT64, state.frames_in,
      "frames-out", G_TYPE_UINT64, state.frames_out,
      "spans-dropped", G_TYPE_UINT64, state.spans_dropped,
      "duration-in", G_TYPE_UINT64, (guint64) duration_in,
      "duration-out", G_TYPE_UINT64, (guint64) duration_out, NULL);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

static gboolean
gst_stillframe_cut_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstStillframeCut *self = GST_STILLFRAME_CUT (parent);
  StreamState & state = self->state;
  const Settings settings = get_settings (self);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_STOP:
      reset_stream (self);
      return gst_pad_event_default (pad, parent, event);
    case GST_EVENT_SEGMENT:{
      const GstSegment *segment;
      gst_event_parse_segment (event, &segment);
      if (segment->format != GST_FORMAT_TIME || segment->rate <= 0) {
        GST_ELEMENT_ERROR (self, STREAM, FORMAT,
            ("stillframecut needs a forward segment in time format"),
            ("got %" GST_SEGMENT_FORMAT, segment));
        gst_event_unref (event);
        return FALSE;
      }
      gst_segment_copy_into (segment, &state.segment);
      state.segment_changed = TRUE;
      if (settings.timestamps == GST_STILLFRAME_CUT_TIMESTAMPS_RETIME) {
        /* Running time carries across segments; ours is sent once. */
        gst_event_unref (event);
        return push_output_segment_if_needed (self, settings) == GST_FLOW_OK;
      }
      return gst_pad_push_event (self->srcpad, event);
    }
    case GST_EVENT_EOS:
      drain (self, settings);
      publish_decisions (self, TRUE);
      post_summary (self);
      return gst_pad_push_event (self->srcpad, event);
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      GstVideoInfo info;
      gst_event_parse_caps (event, &caps);
      state.frame_duration = GST_CLOCK_TIME_NONE;
      if (gst_video_info_from_caps (&info, caps) && info.fps_n > 0)
        state.frame_duration = gst_util_uint64_scale_int (GST_SECOND,
            info.fps_d, info.fps_n);
      break;
    }
    default:
      break;
  }

  if (GST_EVENT_IS_SERIALIZED (event) && !state.held.empty ()) {
    state.held.push_back (HeldItem {
        NULL, event, GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE});
    return TRUE;
  }
  if (GST_EVENT_IS_SERIALIZED (event))
    return push_event_in_order (self, settings, event) == GST_FLOW_OK;
  return gst_pad_event_default (pad, parent, event);
}

static gboolean
gst_stillframe_cut_src_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstStillframeCut *self = GST_STILLFRAME_CUT (parent);
  const Settings settings = get_settings (self);
  if (settings.timestamps != GST_STILLFRAME_CUT_TIMESTAMPS_RETIME)
    return gst_pad_event_default (pad, parent, event);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_SEEK:
      /* Output positions do not map back to input positions. */
      GST_DEBUG_OBJECT (self, "refusing seek: timestamps=retime");
      gst_event_unref (event);
      return FALSE;
    case GST_EVENT_QOS:{
      GstQOSType type;
      gdouble proportion;
      GstClockTimeDiff diff;
      GstClockTime timestamp;
      gst_event_parse_qos (event, &type, &proportion, &diff, &timestamp);
      gst_event_unref (event);
      if (GST_CLOCK_TIME_IS_VALID (timestamp))
        timestamp += get_cut_total (self);
      event = gst_event_new_qos (type, proportion, diff, timestamp);
      return gst_pad_push_event (self->sinkpad, event);
    }
    default:
      return gst_pad_event_default (pad, parent, event);
  }
}

static gboolean
gst_stillframe_cut_src_query (GstPad * pad, GstObject * parent,
    GstQuery * query)
{
  GstStillframeCut *self = GST_STILLFRAME_CUT (parent);
  const Settings settings = get_settings (self);
  const gboolean retime =
      settings.timestamps == GST_STILLFRAME_CUT_TIMESTAMPS_RETIME;

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_LATENCY:{
      if (!gst_pad_peer_query (self->sinkpad, query))
        return FALSE;
      gboolean live;
      GstClockTime min, max;
      gst_query_parse_latency (query, &live, &min, &max);
      const GstClockTime hold = settings.hold_time ();
      min += hold;
      if (GST_CLOCK_TIME_IS_VALID (max))
        max += hold;
      GST_DEBUG_OBJECT (self, "adding %" GST_TIME_FORMAT " of latency",
          GST_TIME_ARGS (hold));
      gst_query_set_latency (query, live, min, max);
      return TRUE;
    }
    case GST_QUERY_POSITION:{
      GstFormat format;
      gst_query_parse_position (query, &format, NULL);
      if (!retime)
        break;
      if (format != GST_FORMAT_TIME)
        return FALSE;
      g_mutex_lock (&self->timeline_lock);
      gst_query_set_position (query, format,
          (gint64) self->timeline.position);
      g_mutex_unlock (&self->timeline_lock);
      return TRUE;
    }
    case GST_QUERY_DURATION:
      /* Known only once the whole input has been cut. */
      if (retime)
        return FALSE;
      break;
    case GST_QUERY_SEEKING:
      if (retime) {
        GstFormat format;
        gst_query_parse_seeking (query, &format, NULL, NULL, NULL);
        gst_query_set_seeking (query, format, FALSE, 0, -1);
        return TRUE;
      }
      break;
    default:
      break;
  }
  return gst_pad_query_default (pad, parent, query);
}


/* ---- Audio streams ---- */

static AudioStream *
audio_stream_of (GstPad * pad)
{
  return (AudioStream *) gst_pad_get_element_private (pad);
}

/* Running time dropped before `time`, which lies in a kept part, given the
 * ranges that end after the buffer's start and the cut total. */
static GstClockTime
cut_before (const std::vector<DroppedRange> & ranges, GstClockTime cut_total,
    GstClockTime time)
{
  for (const DroppedRange & range:ranges)
    if (range.start >= time)
      return range.cut_before;
  if (ranges.empty ())
    return cut_total;
  const DroppedRange & last = ranges.back ();
  return last.cut_before + (last.end - last.start);
}

static GstFlowReturn
push_audio_segment_if_needed (AudioStream * stream, const Settings & settings)
{
  return push_output_segment_once (stream->srcpad,
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
 * `start`, less the parts that fall in the video's dropped `ranges`. */
static GstFlowReturn
push_audio_samples (AudioStream * stream, const Settings & settings,
    GstBuffer * buffer, GstClockTime start, guint64 first, guint64 last,
    const std::vector<DroppedRange> & ranges, GstClockTime cut_total)
{
  const gboolean retime =
      settings.timestamps == GST_STILLFRAME_CUT_TIMESTAMPS_RETIME;
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
        piece_start - cut_before (ranges, cut_total, piece_start) : offset_pts;
    GST_BUFFER_DURATION (piece) = duration;
    GST_BUFFER_OFFSET (piece) = GST_BUFFER_OFFSET_NONE;
    GST_BUFFER_OFFSET_END (piece) = GST_BUFFER_OFFSET_NONE;
    GST_LOG_OBJECT (stream->srcpad, "audio piece %" GST_PTR_FORMAT, piece);
    ret = gst_pad_push (stream->srcpad, piece);
  };

  guint64 cursor = first;
  const GstClockTime span_end = time_of (last);
  for (const DroppedRange & range:ranges) {
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

/* Cuts an audio buffer at the video's dropped ranges, sample-accurately,
 * pushing each part as soon as the video has decided it: a buffer longer
 * than what the video can decide before its own push blocks (a muxer or a
 * prerolling sink waiting for this audio) would otherwise never go. */
static GstFlowReturn
gst_stillframe_cut_audio_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buffer)
{
  GstStillframeCut *self = GST_STILLFRAME_CUT (parent);
  AudioStream *stream = audio_stream_of (pad);
  const Settings settings = get_settings (self);
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
        push_preroll_gap (stream->srcpad, &stream->output_started,
            settings.timestamps == GST_STILLFRAME_CUT_TIMESTAMPS_RETIME ?
            0 : GST_BUFFER_PTS (buffer));
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
    std::vector<DroppedRange> ranges;
    for (const DroppedRange & range:timeline.dropped)
      if (!GST_CLOCK_TIME_IS_VALID (range.end) || range.end > from)
        ranges.push_back (range);
    const GstClockTime cut_total = timeline.cut_total;
    stream->position = decided == samples ? end :
        start + gst_util_uint64_scale_int (decided, GST_SECOND, rate);
    prune_dropped_locked (self);
    g_mutex_unlock (&self->timeline_lock);

    ret = push_audio_samples (stream, settings, buffer, start, done, decided,
        ranges, cut_total);
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
  AudioStream *stream = audio_stream_of (pad);
  const Settings settings = get_settings (self);
  const gboolean retime =
      settings.timestamps == GST_STILLFRAME_CUT_TIMESTAMPS_RETIME;

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
      const GstSegment *segment;
      gst_event_parse_segment (event, &segment);
      if (segment->format != GST_FORMAT_TIME || segment->rate <= 0) {
        GST_ELEMENT_ERROR (self, STREAM, FORMAT,
            ("stillframecut needs a forward segment in time format"),
            ("got %" GST_SEGMENT_FORMAT " on %s:%s", segment,
                GST_DEBUG_PAD_NAME (pad)));
        gst_event_unref (event);
        return FALSE;
      }
      gst_segment_copy_into (segment, &stream->segment);
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
  AudioStream *stream = audio_stream_of (pad);
  if (GST_EVENT_TYPE (event) == GST_EVENT_SEEK
      && get_settings (self).timestamps ==
      GST_STILLFRAME_CUT_TIMESTAMPS_RETIME) {
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
  AudioStream *stream = audio_stream_of (pad);
  if (GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    if (!gst_pad_peer_query (stream->sinkpad, query))
      return FALSE;
    gboolean live;
    GstClockTime min, max;
    gst_query_parse_latency (query, &live, &min, &max);
    const GstClockTime hold = get_settings (self).hold_time ();
    gst_query_set_latency (query, live, min + hold,
        GST_CLOCK_TIME_IS_VALID (max) ? max + hold : max);
    return TRUE;
  }
  return gst_pad_query_default (pad, parent, query);
}

/* Each sink pad is linked to its own source pad only. */
static GstIterator *
gst_stillframe_cut_iterate_internal_links (GstPad * pad, GstObject * parent)
{
  GstStillframeCut *self = GST_STILLFRAME_CUT (parent);
  GstPad *other = NULL;
  if (pad == self->sinkpad)
    other = self->srcpad;
  else if (pad == self->srcpad)
    other = self->sinkpad;
  else if (AudioStream * stream = audio_stream_of (pad))
    other = pad == stream->sinkpad ? stream->srcpad : stream->sinkpad;
  if (other == NULL)
    return NULL;
  GValue value = G_VALUE_INIT;
  g_value_init (&value, GST_TYPE_PAD);
  g_value_set_object (&value, other);
  GstIterator *it = gst_iterator_new_single (GST_TYPE_PAD, &value);
  g_value_unset (&value);
  return it;
}

static GstPad *
gst_stillframe_cut_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name, const GstCaps * /*caps */ )
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
  stream->srcpad = gst_pad_new_from_static_template (&audio_src_template,
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

static void
gst_stillframe_cut_release_pad (GstElement * element, GstPad * pad)
{
  GstStillframeCut *self = GST_STILLFRAME_CUT (element);
  AudioStream *stream = audio_stream_of (pad);
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

static GstStateChangeReturn
gst_stillframe_cut_change_state (GstElement * element,
    GstStateChange transition)
{
  GstStillframeCut *self = GST_STILLFRAME_CUT (element);

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    reset_stream (self);
  /* Wake audio streams waiting for the video, so that their pads can be
   * deactivated. */
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED
      || transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    g_mutex_lock (&self->timeline_lock);
    for (AudioStream * stream:self->timeline.audio) {
      stream->flushing = transition == GST_STATE_CHANGE_PAUSED_TO_READY;
      stream->position = 0;
      stream->need_output_segment = TRUE;
      stream->output_started = FALSE;
    }
    g_cond_broadcast (&self->timeline_changed);
    g_mutex_unlock (&self->timeline_lock);
  }

  GstStateChangeReturn ret =
      GST_ELEMENT_CLASS (gst_stillframe_cut_parent_class)->change_state
      (element, transition);

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    reset_stream (self);
  return ret;
}

static void
gst_stillframe_cut_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstStillframeCut *self = GST_STILLFRAME_CUT (object);

  GST_OBJECT_LOCK (self);
  const GstClockTime old_hold = self->settings.hold_time ();
  switch (prop_id) {
    case PROP_MIN_STATIC_DURATION:
      self->settings.min_static_duration = g_value_get_uint64 (value);
      break;
    case PROP_PRE_ROLL:
      self->settings.pre_roll = g_value_get_uint64 (value);
      break;
    case PROP_POST_ROLL:
      self->settings.post_roll = g_value_get_uint64 (value);
      break;
    case PROP_TIMESTAMPS:
      self->settings.timestamps =
          (GstStillframeCutTimestamps) g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  const gboolean latency_changed = old_hold != self->settings.hold_time ();
  GST_OBJECT_UNLOCK (self);

  if (latency_changed)
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_latency (GST_OBJECT (self)));
}

static void
gst_stillframe_cut_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstStillframeCut *self = GST_STILLFRAME_CUT (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MIN_STATIC_DURATION:
      g_value_set_uint64 (value, self->settings.min_static_duration);
      break;
    case PROP_PRE_ROLL:
      g_value_set_uint64 (value, self->settings.pre_roll);
      break;
    case PROP_POST_ROLL:
      g_value_set_uint64 (value, self->settings.post_roll);
      break;
    case PROP_TIMESTAMPS:
      g_value_set_enum (value, self->settings.timestamps);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_stillframe_cut_finalize (GObject * object)
{
  GstStillframeCut *self = GST_STILLFRAME_CUT (object);

  clear_held (self->state);
  release_checked_pool (self->state);
  self->state.~StreamState ();
  self->timeline.~Timeline ();
  g_mutex_clear (&self->timeline_lock);
  g_cond_clear (&self->timeline_changed);
  G_OBJECT_CLASS (gst_stillframe_cut_parent_class)->finalize (object);
}

static void
gst_stillframe_cut_class_init (GstStillframeCutClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  const GParamFlags flags = (GParamFlags) (G_PARAM_READWRITE |
      G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

  gobject_class->set_property = gst_stillframe_cut_set_property;
  gobject_class->get_property = gst_stillframe_cut_get_property;
  gobject_class->finalize = gst_stillframe_cut_finalize;

  g_object_class_install_property (gobject_class, PROP_MIN_STATIC_DURATION,
      g_param_spec_uint64 ("min-static-duration", "Minimum static duration",
          "A static span shorter than this (ns) is kept whole. Frames are "
          "held up to max(min-static-duration, pre-roll), which is added to "
          "the latency", 0, MAX_HOLD_TIME, DEFAULT_MIN_STATIC_DURATION,
          flags));
  g_object_class_install_property (gobject_class, PROP_PRE_ROLL,
      g_param_spec_uint64 ("pre-roll", "Pre-roll",
          "Static video kept before motion starts (ns)", 0, MAX_HOLD_TIME,
          DEFAULT_PRE_ROLL, flags));
  g_object_class_install_property (gobject_class, PROP_POST_ROLL,
      g_param_spec_uint64 ("post-roll", "Post-roll",
          "Static video kept after motion stops (ns)", 0, MAX_HOLD_TIME,
          DEFAULT_POST_ROLL, flags));
  g_object_class_install_property (gobject_class, PROP_TIMESTAMPS,
      g_param_spec_enum ("timestamps", "Timestamps",
          "retime: one continuous output timeline, as long as what was kept; "
          "original: source timestamps, GAP events over dropped frames",
          GST_TYPE_STILLFRAME_CUT_TIMESTAMPS, DEFAULT_TIMESTAMPS,
          (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_READY)));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_add_static_pad_template (element_class,
      &audio_sink_template);
  gst_element_class_add_static_pad_template (element_class,
      &audio_src_template);
  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_stillframe_cut_request_new_pad);
  element_class->release_pad =
      GST_DEBUG_FUNCPTR (gst_stillframe_cut_release_pad);
  gst_element_class_set_static_metadata (element_class,
      "Still frame cutter", "Filter/Editor/Video",
      "Drops static spans marked by stillframedetect and re-timestamps the "
      "rest", "stillframe developers");
  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_stillframe_cut_change_state);

  gst_type_mark_as_plugin_api (GST_TYPE_STILLFRAME_CUT_TIMESTAMPS,
      (GstPluginAPIFlags) 0);
}

static void
gst_stillframe_cut_init (GstStillframeCut * self)
{
  new (&self->settings) Settings ();
  new (&self->state) StreamState ();
  new (&self->timeline) Timeline ();
  gst_segment_init (&self->state.segment, GST_FORMAT_TIME);
  g_mutex_init (&self->timeline_lock);
  g_cond_init (&self->timeline_changed);

  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_stillframe_cut_chain));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_stillframe_cut_sink_event));
  gst_pad_set_iterate_internal_links_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_stillframe_cut_iterate_internal_links));
  GST_PAD_SET_PROXY_CAPS (self->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_event_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_stillframe_cut_src_event));
  gst_pad_set_query_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_stillframe_cut_src_query));
  gst_pad_set_iterate_internal_links_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_stillframe_cut_iterate_internal_links));
  GST_PAD_SET_PROXY_CAPS (self->srcpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);
}
