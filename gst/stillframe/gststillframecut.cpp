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
 * is dropped but for the pre- and post-roll. Motion that lasts less than
 * #GstStillframeCut:min-motion-duration (a bird, a flash) is taken for
 * static. With #GstStillframeCut:static-speed set, static spans are kept
 * that many times faster (one frame in X, and the audio with it) instead of
 * dropped. A buffer without the motion meta is kept, as if it moved.
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
 * ## Structure
 * Which frames are kept is decided by a plain C++ core, cutdecider.h, and
 * the dropped time is accounted for by another, cuttimeline.h; this file
 * holds the video pads, events, queries and state changes, and
 * gststillframecutaudio.cpp the audio request pads.
 *
 * ## Locking
 * Settings live under the object lock. The decider, the held frames and the
 * video's cut state are touched only with the video sink pad's stream lock
 * held (chain, serialized events, FLUSH_STOP). What other threads read (the
 * timeline, how far the video has decided, the audio streams and their
 * positions) is under timeline_lock, with timeline_changed signalled when it
 * changes. The object lock and timeline_lock are never held together, and
 * neither is held while pushing (gststillframecutprivate.h).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gststillframecutprivate.h"
#include "gststillframeelements.h"
#include "stillframemeta.h"

#include <gst/video/video.h>

#include <algorithm>

GST_DEBUG_CATEGORY (gst_stillframe_cut_debug);
#define GST_CAT_DEFAULT gst_stillframe_cut_debug

#define DEFAULT_TIMESTAMPS GST_STILLFRAME_CUT_TIMESTAMPS_RETIME
#define MAX_HOLD_TIME (3600 * GST_SECOND)

enum
{
  PROP_0,
  PROP_MIN_STATIC_DURATION,
  PROP_PRE_ROLL,
  PROP_POST_ROLL,
  PROP_MIN_MOTION_DURATION,
  PROP_STATIC_SPEED,
  PROP_TIMESTAMPS,
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw(ANY)"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw(ANY)"));

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

G_DEFINE_TYPE_WITH_CODE (GstStillframeCut, gst_stillframe_cut,
    GST_TYPE_ELEMENT,
    GST_DEBUG_CATEGORY_INIT (gst_stillframe_cut_debug, "stillframecut", 0,
        "stillframe static span cutter"));

GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (stillframecut, "stillframecut",
    GST_RANK_NONE, GST_TYPE_STILLFRAME_CUT, stillframe_element_init (plugin));

Settings
gst_stillframe_cut_get_settings (GstStillframeCut * self)
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
  GstClockTime cut = self->timeline.cut.cut_total ();
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

gboolean
gst_stillframe_cut_take_segment (GstStillframeCut * self, GstPad * pad,
    GstEvent * event, GstSegment * into)
{
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
  gst_segment_copy_into (segment, into);
  return TRUE;
}

/* Without audio only the open range is kept, so memory stays flat however
 * many spans are cut. */
void
gst_stillframe_cut_prune_locked (GstStillframeCut * self)
{
  GstClockTime needed = GST_CLOCK_TIME_NONE;
  for (AudioStream * stream:self->timeline.audio)
    needed = std::min (needed, stream->position);
  self->timeline.cut.forget_until (needed);
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
  timeline.cut = stillframe::CutTimeline ();
  timeline.position = 0;
  timeline.decided_until = 0;
  timeline.video_ended = FALSE;
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
  const GstClockTime decided = self->state.decider.decided_until ();
  g_mutex_lock (&self->timeline_lock);
  if (GST_CLOCK_TIME_IS_VALID (decided))
    self->timeline.decided_until = decided;
  self->timeline.video_ended |= ended;
  gst_stillframe_cut_prune_locked (self);
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
  stillframe::CutSpanMessage span;
  span.start = state.drop_start;
  span.stop = state.drop_stop;
  span.frames = state.drop_frames;
  span.skimmed = state.drop_skimmed;
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), span.build ()));
}

GstFlowReturn
gst_stillframe_cut_push_segment_once (GstPad * srcpad, gboolean * needed,
    const Settings & settings)
{
  if (!settings.retime () || !*needed)
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
  return gst_stillframe_cut_push_segment_once (self->srcpad,
      &self->state.need_output_segment, settings);
}

/* While the cut holds or drops everything, a sink that waits for data would
 * keep the whole pipeline from prerolling (the other branches of a tee, the
 * audio waiting for the video). */
void
gst_stillframe_cut_push_preroll_gap (GstPad * srcpad, gboolean * output_started,
    GstClockTime timestamp)
{
  if (*output_started)
    return;
  *output_started = TRUE;
  gst_pad_push_event (srcpad, gst_event_new_gap (timestamp, 0));
}

/* The dropped span (for its message) takes in this frame, dropped or
 * skimmed: it starts with the first. */
static void
extend_dropped_span (GstStillframeCut * self, GstBuffer * buffer,
    GstClockTime duration)
{
  StreamState & state = self->state;
  const GstClockTime pts = GST_BUFFER_PTS (buffer);
  if (!state.dropping) {
    state.dropping = TRUE;
    state.drop_start = stream_time_of (state, pts);
    state.drop_frames = 0;
    state.drop_skimmed = 0;
  }
  state.drop_stop = stream_time_of (state, GST_CLOCK_TIME_IS_VALID (duration)
      ? pts + duration : pts);
}

/* Puts a frame out: its time leaves the timeline's dropped range, and it
 * is re-timestamped over what was dropped before it (retime). */
static GstFlowReturn
push_out (GstStillframeCut * self, const Settings & settings,
    GstBuffer * buffer, GstClockTime running_time, GstClockTime duration)
{
  StreamState & state = self->state;
  const gboolean retime = settings.retime ();
  g_mutex_lock (&self->timeline_lock);
  stillframe::CutTimeline & cut = self->timeline.cut;
  if (GST_CLOCK_TIME_IS_VALID (running_time) && cut.close_drop (running_time))
    gst_stillframe_cut_prune_locked (self);
  g_mutex_unlock (&self->timeline_lock);

  GstFlowReturn ret = push_output_segment_if_needed (self, settings);
  if (ret != GST_FLOW_OK) {
    gst_buffer_unref (buffer);
    return ret;
  }

  g_mutex_lock (&self->timeline_lock);
  const GstClockTime cut_total = cut.cut_total ();
  const gboolean splice = cut.take_splice ();
  g_mutex_unlock (&self->timeline_lock);
  GstClockTime out_time = running_time;
  buffer = gst_buffer_make_writable (buffer);
  if (retime && GST_CLOCK_TIME_IS_VALID (running_time)) {
    out_time = running_time - cut_total;
    GST_BUFFER_PTS (buffer) = out_time;
    GST_BUFFER_DTS (buffer) = GST_CLOCK_TIME_NONE;
  }
  if (splice) {
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


/* A frame kept for motion (or its rolls): it ends the dropped span before
 * it, which makes it a splice. */
static GstFlowReturn
push_kept (GstStillframeCut * self, const Settings & settings,
    GstBuffer * buffer, GstClockTime running_time, GstClockTime duration)
{
  StreamState & state = self->state;
  state.skim.restart ();
  /* A span's message closes with it; the timeline's range stays open after
   * a drain, so that a new segment continues the timeline, until this
   * frame ends it. */
  if (state.dropping) {
    close_dropped_span (self);
    g_mutex_lock (&self->timeline_lock);
    self->timeline.cut.mark_splice ();
    g_mutex_unlock (&self->timeline_lock);
  }
  return push_out (self, settings, buffer, running_time, duration);
}

/* A frame of a static span kept to skim it (static-speed): the span and
 * its message go on around it. */
static GstFlowReturn
push_skimmed (GstStillframeCut * self, const Settings & settings,
    GstBuffer * buffer, GstClockTime running_time, GstClockTime duration)
{
  extend_dropped_span (self, buffer, duration);
  self->state.drop_skimmed++;
  return push_out (self, settings, buffer, running_time, duration);
}

static GstFlowReturn
drop_frame (GstStillframeCut * self, const Settings & settings,
    GstBuffer * buffer, GstClockTime running_time, GstClockTime duration)
{
  StreamState & state = self->state;
  const GstClockTime pts = GST_BUFFER_PTS (buffer);
  extend_dropped_span (self, buffer, duration);
  g_mutex_lock (&self->timeline_lock);
  self->timeline.cut.open_drop (running_time);
  g_mutex_unlock (&self->timeline_lock);
  state.drop_frames++;
  gst_buffer_unref (buffer);

  if (!settings.retime ()) {
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
      && settings.retime ()) {
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

/* Applies the decider's release to the held frames, from the front;
 * events are pushed in their place. */
static GstFlowReturn
release_held (GstStillframeCut * self, const Settings & settings,
    stillframe::CutRelease release)
{
  StreamState & state = self->state;
  GstFlowReturn ret = GST_FLOW_OK;
  while (!state.held.empty ()) {
    HeldItem item = state.held.front ();
    GstFlowReturn item_ret;
    if (item.event) {
      state.held.pop_front ();
      item_ret = push_event_in_order (self, settings, item.event);
    } else if (release.dropped > 0) {
      release.dropped--;
      state.held.pop_front ();
      item_ret = state.skim.keep (item.running_time, item.duration) ?
          push_skimmed (self, settings, item.buffer, item.running_time,
          item.duration) : drop_frame (self, settings, item.buffer,
          item.running_time, item.duration);
    } else if (release.kept > 0) {
      release.kept--;
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
  GstFlowReturn ret = release_held (self, settings,
      self->state.decider.drain ());
  self->state.skim.restart ();
  close_dropped_span (self);
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
      GST_TIME_ARGS (state.decider.last_end ()));
  drain (self, settings);
  const GstClockTime hole_start = state.decider.last_end ();
  state.dropping = TRUE;
  state.drop_start = stream_time_of (state,
      gst_segment_position_from_running_time (&state.segment,
          GST_FORMAT_TIME, hole_start));
  state.drop_stop = stream_time_of (state, pts);
  state.drop_frames = 0;
  state.drop_skimmed = 0;
  g_mutex_lock (&self->timeline_lock);
  self->timeline.cut.open_drop (hole_start);
  self->timeline.cut.mark_splice ();
  g_mutex_unlock (&self->timeline_lock);
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
  const gboolean backwards = state.decider.goes_back (time, duration);
  if (GST_CLOCK_TIME_IS_VALID (time) && !backwards) {
    *running_time = time;
    return buffer;
  }
  const GstClockTime last_end = state.decider.last_end ();
  time = GST_CLOCK_TIME_IS_VALID (last_end) ? last_end :
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

static GstFlowReturn
gst_stillframe_cut_chain (GstPad * /*pad */ , GstObject * parent,
    GstBuffer * buffer)
{
  GstStillframeCut *self = GST_STILLFRAME_CUT (parent);
  StreamState & state = self->state;
  const Settings settings = gst_stillframe_cut_get_settings (self);
  state.decider.set_settings (settings.cut);
  state.skim.set_speed (settings.cut.static_speed);

  GstClockTime duration = GST_BUFFER_DURATION (buffer);
  if (!GST_CLOCK_TIME_IS_VALID (duration))
    duration = state.frame_duration;
  if (state.segment_changed) {
    /* A segment that takes the timeline back (a restart, a non-flushing
     * seek) ends what came before as the end of a stream would; one that
     * goes on where the last frame ended (demuxers update theirs) changes
     * nothing, so no frame is lost to it. */
    state.segment_changed = FALSE;
    if (state.decider.goes_back (gst_segment_to_running_time (&state.segment,
                GST_FORMAT_TIME, GST_BUFFER_PTS (buffer)), duration))
      drain (self, settings);
  }
  GstClockTime running_time;
  buffer = place_on_timeline (self, buffer, duration, &running_time);
  if (settings.retime () && state.decider.leaves_hole (running_time, duration))
    cut_hole (self, settings, GST_BUFFER_PTS (buffer));

  state.frames_in++;
  stillframe::MotionMetaFields meta;
  meta.motion = true;
  if (!meta.read (buffer))
    GST_LOG_OBJECT (self, "no motion meta on %" GST_PTR_FORMAT ": kept",
        buffer);

  const GstClockTime pts = GST_BUFFER_PTS (buffer);
  const std::size_t waiting = state.decider.undecided ();
  const stillframe::CutRelease release =
      state.decider.add_frame (running_time, duration, meta.motion);
  /* Only a frame that waits is held, and copied if it must be. */
  if (release.decided () <= waiting)
    buffer = detach_from_bounded_pool (self, buffer);
  state.held.push_back (HeldItem {
      buffer, NULL, running_time, duration});
  GstFlowReturn ret = release_held (self, settings, release);
  if (!state.output_started)
    gst_stillframe_cut_push_preroll_gap (self->srcpad, &state.output_started,
        settings.retime () ? get_output_position (self) : pts);
  publish_decisions (self, FALSE);
  return ret;
}

static void
post_summary (GstStillframeCut * self)
{
  StreamState & state = self->state;
  GstClockTime duration_in = 0, dropped = 0;
  const GstClockTime first_start = state.decider.first_start ();
  const GstClockTime last_end = state.decider.last_end ();
  if (GST_CLOCK_TIME_IS_VALID (first_start)
      && GST_CLOCK_TIME_IS_VALID (last_end) && last_end > first_start)
    duration_in = last_end - first_start;
  g_mutex_lock (&self->timeline_lock);
  const stillframe::CutTimeline & cut = self->timeline.cut;
  dropped = cut.cut_total ();
  if (cut.dropping () && last_end > cut.open_range ().start)
    dropped += last_end - cut.open_range ().start;
  g_mutex_unlock (&self->timeline_lock);
  const GstClockTime duration_out = duration_in > dropped ?
      duration_in - dropped : 0;
  stillframe::CutSummaryMessage summary;
  summary.frames_in = state.frames_in;
  summary.frames_out = state.frames_out;
  summary.spans_dropped = state.spans_dropped;
  summary.duration_in = duration_in;
  summary.duration_out = duration_out;
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), summary.build ()));
}

static gboolean
gst_stillframe_cut_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstStillframeCut *self = GST_STILLFRAME_CUT (parent);
  StreamState & state = self->state;
  const Settings settings = gst_stillframe_cut_get_settings (self);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_STOP:
      reset_stream (self);
      return gst_pad_event_default (pad, parent, event);
    case GST_EVENT_SEGMENT:{
      if (!gst_stillframe_cut_take_segment (self, pad, event, &state.segment))
        return FALSE;
      state.segment_changed = TRUE;
      if (settings.retime ()) {
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
  const Settings settings = gst_stillframe_cut_get_settings (self);
  if (!settings.retime ())
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
  const Settings settings = gst_stillframe_cut_get_settings (self);
  const gboolean retime =
      settings.retime ();

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_LATENCY:{
      if (!gst_pad_peer_query (self->sinkpad, query))
        return FALSE;
      gboolean live;
      GstClockTime min, max;
      gst_query_parse_latency (query, &live, &min, &max);
      const GstClockTime hold = settings.cut.hold_time ();
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


/* Each sink pad is linked to its own source pad only. */
GstIterator *
gst_stillframe_cut_iterate_internal_links (GstPad * pad, GstObject * parent)
{
  GstStillframeCut *self = GST_STILLFRAME_CUT (parent);
  GstPad *other = NULL;
  if (pad == self->sinkpad)
    other = self->srcpad;
  else if (pad == self->srcpad)
    other = self->sinkpad;
  else if (AudioStream * stream = gst_stillframe_cut_audio_stream_of (pad))
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
  return gst_stillframe_cut_request_audio_pad (element, templ, name);
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
      || transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    gst_stillframe_cut_reset_audio (self,
        transition == GST_STATE_CHANGE_PAUSED_TO_READY);

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
  const GstClockTime old_hold = self->settings.cut.hold_time ();
  switch (prop_id) {
    case PROP_MIN_STATIC_DURATION:
      self->settings.cut.min_static = g_value_get_uint64 (value);
      break;
    case PROP_PRE_ROLL:
      self->settings.cut.pre_roll = g_value_get_uint64 (value);
      break;
    case PROP_POST_ROLL:
      self->settings.cut.post_roll = g_value_get_uint64 (value);
      break;
    case PROP_MIN_MOTION_DURATION:
      self->settings.cut.min_motion = g_value_get_uint64 (value);
      break;
    case PROP_STATIC_SPEED:{
      /* Between 0 and 1 would be slow motion, which needs frames made. */
      const gdouble speed = g_value_get_double (value);
      self->settings.cut.static_speed = speed > 0 && speed < 1 ? 1 : speed;
      break;
    }
    case PROP_TIMESTAMPS:
      self->settings.timestamps =
          (GstStillframeCutTimestamps) g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  const gboolean latency_changed = old_hold != self->settings.cut.hold_time ();
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
      g_value_set_uint64 (value, self->settings.cut.min_static);
      break;
    case PROP_PRE_ROLL:
      g_value_set_uint64 (value, self->settings.cut.pre_roll);
      break;
    case PROP_POST_ROLL:
      g_value_set_uint64 (value, self->settings.cut.post_roll);
      break;
    case PROP_MIN_MOTION_DURATION:
      g_value_set_uint64 (value, self->settings.cut.min_motion);
      break;
    case PROP_STATIC_SPEED:
      g_value_set_double (value, self->settings.cut.static_speed);
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
  const stillframe::CutSettings defaults;
  const GParamFlags flags = (GParamFlags) (G_PARAM_READWRITE |
      G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

  gobject_class->set_property = gst_stillframe_cut_set_property;
  gobject_class->get_property = gst_stillframe_cut_get_property;
  gobject_class->finalize = gst_stillframe_cut_finalize;

  g_object_class_install_property (gobject_class, PROP_MIN_STATIC_DURATION,
      g_param_spec_uint64 ("min-static-duration", "Minimum static duration",
          "A static span shorter than this (ns) is kept whole. Frames are "
          "held up to max(min-static-duration, pre-roll) + "
          "min-motion-duration, which is added to the latency", 0,
          MAX_HOLD_TIME, defaults.min_static, flags));
  g_object_class_install_property (gobject_class, PROP_PRE_ROLL,
      g_param_spec_uint64 ("pre-roll", "Pre-roll",
          "Static video kept before motion starts (ns)", 0, MAX_HOLD_TIME,
          defaults.pre_roll, flags));
  g_object_class_install_property (gobject_class, PROP_POST_ROLL,
      g_param_spec_uint64 ("post-roll", "Post-roll",
          "Static video kept after motion stops (ns)", 0, MAX_HOLD_TIME,
          defaults.post_roll, flags));
  g_object_class_install_property (gobject_class, PROP_MIN_MOTION_DURATION,
      g_param_spec_uint64 ("min-motion-duration", "Minimum motion duration",
          "Motion that lasts less than this (ns) is taken for static (a "
          "bird flying through, a flash); longer motion counts from its "
          "first frame. 0: every motion frame counts", 0, MAX_HOLD_TIME,
          defaults.min_motion, flags));
  g_object_class_install_property (gobject_class, PROP_STATIC_SPEED,
      g_param_spec_double ("static-speed", "Static speed",
          "What becomes of the static video the cut drops: 0, dropped; X, "
          "kept X times faster (one frame in X, the audio in the same "
          "slices), a fast-forward instead of a cut (1 keeps it all; "
          "values below 1 count as 1)", 0, 1000, defaults.static_speed,
          flags));
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
      &gst_stillframe_cut_audio_sink_template);
  gst_element_class_add_static_pad_template (element_class,
      &gst_stillframe_cut_audio_src_template);
  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_stillframe_cut_request_new_pad);
  element_class->release_pad =
      GST_DEBUG_FUNCPTR (gst_stillframe_cut_release_audio_pad);
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
