/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pipeline.h"

#include "autoplug.h"
#include "copymode.h"
#include "elements.h"
#include "fastdecode.h"
#include "plan.h"
#include "stillframemeta.h"
#include "textformat.h"

#include <gst/app/gstappsrc.h>
#include <gst/audio/audio.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace stillframe::cli {

namespace {

/* AAC encoders start with 1024 samples of priming that GStreamer 1.22's
 * muxers do not signal: players would sound that late. */
constexpr guint kAacPriming = 1024;

GQuark
reads_input_quark ()
{
  static const GQuark quark = g_quark_from_static_string
      ("stillframe-reads-input");
  return quark;
}

void
mark_reads_input (GstElement *element)
{
  g_object_set_qdata (G_OBJECT (element), reads_input_quark (),
      GINT_TO_POINTER (1));
}


/* With --split, each kept span (it starts with a DISCONT frame, which the
 * encoder makes a keyframe) goes to a new file. */
GstPadProbeReturn
on_kept_for_split (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  Job *job = (Job *) data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  if (GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DISCONT)
      && GST_BUFFER_PTS (buffer) > 0)
    g_signal_emit_by_name (job->mux, "split-at-running-time",
        GST_BUFFER_PTS (buffer));
  return GST_PAD_PROBE_OK;
}

/* Each --split part is written under a hidden name beside its own, and
 * named only when the run succeeds (finish_job). */
gchar *
on_split_part_location (GstElement *, guint fragment, gpointer data)
{
  Job *job = (Job *) data;
  try {
    PendingFile part (part_path (job->output, fragment + 1));
    gchar *location = g_strdup (part.path ().c_str ());
    g_mutex_lock (&job->lock);
    /* A new part: the one before is written. */
    if (!job->parts.empty ())
      job->parts.back ().unlock ();
    job->parts.push_back (std::move (part));
    g_mutex_unlock (&job->lock);
    return location;
  } catch (const std::runtime_error &e) {
    fail_from_streaming (job, e.what ());
    return NULL;
  }
}

/* The first decoded caps' size and frame rate, for timelines. */
void
note_video_format (Job *job, GstEvent *caps_event)
{
  GstCaps *caps;
  gst_event_parse_caps (caps_event, &caps);
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  int width = 0, height = 0, rate_num = 0, rate_den = 1;
  gst_structure_get_int (s, "width", &width);
  gst_structure_get_int (s, "height", &height);
  gst_structure_get_fraction (s, "framerate", &rate_num, &rate_den);
  g_mutex_lock (&job->lock);
  Analysis &a = job->analysis;
  if (a.width == 0) {
    a.width = width;
    a.height = height;
    a.rate_num = rate_num;
    a.rate_den = rate_den > 0 ? rate_den : 1;
  }
  g_mutex_unlock (&job->lock);
}

/* One --scores row, written in blocks; a failure to write fails the job. */
void
add_score (Job *job, GstBuffer *frame, const stillframe::MotionMetaFields &meta,
    double time)
{
  if (!job->scores_error.empty ())
    return;
  FrameScore f;
  f.time = time;
  f.score = meta.score;
  f.motion = meta.motion;
  f.noise_level = meta.noise_level;
  f.light_change = meta.light_change;
  f.x = meta.x;
  f.y = meta.y;
  f.width = meta.width;
  f.height = meta.height;
  f.decoded = gst_buffer_get_size (frame) > 0;   /* --fast's are empty */
  job->scores_rows += score_row (f);
  if (job->scores_rows.size () < (64u << 10))
    return;
  job->scores_error = job->scores->append (job->scores_rows);
  job->scores_rows.clear ();
  if (!job->scores_error.empty ())
    fail_from_streaming (job, job->scores_error);
}

/* Reads each analysed frame's meta: progress, the report's time 0, events
 * with their peak score and box, all in the input's stream time. */
GstPadProbeReturn
on_analysed (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  Job *job = (Job *) data;
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
    if (GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT)
      gst_event_copy_segment (event, &job->segment);
    if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
      note_video_format (job, event);
      if (job->thumbnails) {
        GstCaps *caps;
        gst_event_parse_caps (event, &caps);
        job->thumbnails->set_format (caps);
      }
    }
    return GST_PAD_PROBE_OK;
  }
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  stillframe::MotionMetaFields meta;
  const bool analysed = meta.read (buffer);
  const GstClockTime pts = GST_BUFFER_PTS (buffer);
  const GstClockTime stream = gst_segment_to_stream_time (&job->segment,
      GST_FORMAT_TIME, pts);
  const GstClockTime running = gst_segment_to_running_time (&job->segment,
      GST_FORMAT_TIME, pts);
  const GstClockTime end = stream + (GST_BUFFER_DURATION_IS_VALID (buffer) ?
      GST_BUFFER_DURATION (buffer) : 0);
  g_mutex_lock (&job->lock);
  Progress &a = job->analysis.progress;
  a.frames_seen++;
  if (GST_CLOCK_TIME_IS_VALID (stream)) {
    if (!GST_CLOCK_TIME_IS_VALID (a.origin_stream))
      a.origin_stream = stream;         /* (--start sets it before) */
    if (!GST_CLOCK_TIME_IS_VALID (a.first_stream)) {
      a.first_stream = stream;
      a.origin_running = running;
    }
    a.last_position = stream;
    a.last_end = std::max (a.last_end, end);
    if (analysed)
      job->analysis.events.add_frame (stream, end, a.origin_stream,
          meta.motion, meta.score, meta.x, meta.y, meta.width, meta.height);
  }
  const std::size_t events = job->analysis.events.events ().size ();
  g_mutex_unlock (&job->lock);
  if (!analysed || !GST_CLOCK_TIME_IS_VALID (stream))
    return GST_PAD_PROBE_OK;
  const double since_origin = to_seconds (stream - std::min (stream,
          a.origin_stream));
  if (job->scores)
    add_score (job, buffer, meta, since_origin);
  if (job->thumbnails) {
    job->plotted_scores.add (since_origin, since_origin + to_seconds (end -
            stream), meta.score, meta.motion);
    const int box[4] = {meta.x, meta.y, meta.width, meta.height};
    if (meta.motion && events > 0)
      job->thumbnails->offer (buffer, events - 1, meta.score, box);
  }
  return GST_PAD_PROBE_OK;
}

/* When no decoded picture is written (scan, --copy), the cut only decides:
 * it gets an empty buffer with the frame's timestamps, flags and motion
 * meta, and the picture goes back to the decoder at once instead of being
 * held for up to the hold time (1 GB of 4K frames at the defaults). Only
 * the motion meta: copying every meta kept the pictures' memory alive all
 * the same (288 MB at 1080p instead of 118). */
GstPadProbeReturn
replace_with_stub (GstPad *, GstPadProbeInfo *info, gpointer)
{
  GstBuffer *frame = GST_PAD_PROBE_INFO_BUFFER (info);
  if (gst_buffer_get_size (frame) == 0)
    return GST_PAD_PROBE_OK;    /* one already (--fast's dropped frames) */
  GstBuffer *stub = gst_buffer_new ();
  gst_buffer_copy_into (stub, frame, (GstBufferCopyFlags)
      (GST_BUFFER_COPY_FLAGS | GST_BUFFER_COPY_TIMESTAMPS), 0, -1);
  GstCustomMeta *motion = gst_buffer_get_custom_meta (frame,
      STILLFRAME_MOTION_META_NAME);
  if (motion) {
    GstCustomMeta *copy = gst_buffer_add_custom_meta (stub,
        STILLFRAME_MOTION_META_NAME);
    gst_structure_foreach (gst_custom_meta_get_structure (motion),
        [] (GQuark field, const GValue *value, gpointer to) -> gboolean {
          gst_structure_id_set_value ((GstStructure *) to, field, value);
          return TRUE;
        }, gst_custom_meta_get_structure (copy));
  }
  gst_buffer_unref (frame);
  GST_PAD_PROBE_INFO_DATA (info) = stub;
  return GST_PAD_PROBE_OK;
}

/* Advances raw audio by the encoder's priming (dropping as much at the
 * start) so that decoded audio lines up with the picture. */
struct PrimingCompensation {
  guint64 to_drop;
  GstClockTime shift;
};

GstPadProbeReturn
on_audio_for_encoder (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  PrimingCompensation *p = (PrimingCompensation *) data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  GstCaps *caps = gst_pad_get_current_caps (pad);
  GstAudioInfo ainfo;
  const bool ok = caps && gst_audio_info_from_caps (&ainfo, caps);
  if (caps)
    gst_caps_unref (caps);
  if (!ok)
    return GST_PAD_PROBE_OK;
  if (p->shift == GST_CLOCK_TIME_NONE)
    p->shift = gst_util_uint64_scale_int (p->to_drop, GST_SECOND, ainfo.rate);
  const guint64 samples = gst_buffer_get_size (buffer) / ainfo.bpf;
  if (p->to_drop >= samples) {
    p->to_drop -= samples;
    return GST_PAD_PROBE_DROP;
  }
  GstClockTime pts = GST_BUFFER_PTS (buffer);
  if (p->to_drop > 0) {
    /* Truncating from the front leaves no timestamp: it is set below. */
    if (GST_CLOCK_TIME_IS_VALID (pts))
      pts += gst_util_uint64_scale_int (p->to_drop, GST_SECOND, ainfo.rate);
    buffer = gst_audio_buffer_truncate (buffer, ainfo.bpf, p->to_drop,
        samples - p->to_drop);
    p->to_drop = 0;
  }
  buffer = gst_buffer_make_writable (buffer);
  if (GST_CLOCK_TIME_IS_VALID (pts))
    GST_BUFFER_PTS (buffer) = pts > p->shift ? pts - p->shift : 0;
  GST_PAD_PROBE_INFO_DATA (info) = buffer;
  return GST_PAD_PROBE_OK;
}

/* The cut's gap that lets a sink preroll before any decision: the encoder
 * would keep it until its next frame, and hand it to a muxer that may have
 * no frame at all (splitmuxsink then waits forever). This pipeline's sink
 * prerolls on the muxer's own output. */
GstPadProbeReturn
drop_preroll_gap (GstPad *, GstPadProbeInfo *info, gpointer)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstClockTime timestamp, duration = GST_CLOCK_TIME_NONE;
  if (GST_EVENT_TYPE (event) == GST_EVENT_GAP)
    gst_event_parse_gap (event, &timestamp, &duration);
  return duration == 0 ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
}

/* The caps of H.264 a muxer's video pads take. */
GstCaps *
muxer_video_caps (const char *muxer)
{
  GstElementFactory *factory = gst_element_factory_find (muxer);
  GstCaps *caps = NULL;
  for (const GList *l = factory ?
      gst_element_factory_get_static_pad_templates (factory) : NULL; l;
      l = l->next) {
    GstStaticPadTemplate *templ = (GstStaticPadTemplate *) l->data;
    if (templ->direction == GST_PAD_SINK
        && g_str_has_prefix (templ->name_template, "video")) {
      caps = gst_static_caps_get (&templ->static_caps);
      break;
    }
  }
  if (factory)
    gst_object_unref (factory);
  return caps;
}

/* The output's muxer. Matroska's creation time is set here; MP4's and
 * MOV's are stamped once written (Job::seal_output). */
GstElement *
make_muxer (Job *job)
{
  GstElement *mux = make (muxer_for (job->output));
  if (job->creation_time >= 0 && g_object_class_find_property
      (G_OBJECT_GET_CLASS (mux), "creation-time")) {
    GDateTime *created = g_date_time_new_from_unix_utc (job->creation_time);
    if (created) {
      g_object_set (mux, "creation-time", created, NULL);
      g_date_time_unref (created);
    }
  }
  return mux;
}

/* Frames the container cannot hold (MP4 and MOV need 16x16 at least) are
 * named as soon as they are decoded, instead of ending in "not negotiated".
 * The limits are the same for both sides, so turning does not change it. */
GstPadProbeReturn
check_size_for_container (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  Job *job = (Job *) data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  GstCaps *caps;
  gst_event_parse_caps (event, &caps);
  int width = 0, height = 0;
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  if (!gst_structure_get_int (s, "width", &width)
      || !gst_structure_get_int (s, "height", &height))
    return GST_PAD_PROBE_OK;
  const char *muxer = muxer_for (job->output);
  GstCaps *taken = muxer_video_caps (muxer);
  GstCaps *h264 = gst_caps_new_simple ("video/x-h264", "stream-format",
      G_TYPE_STRING, "avc", "alignment", G_TYPE_STRING, "au", "width",
      G_TYPE_INT, width, "height", G_TYPE_INT, height, NULL);
  const bool fits = !taken || gst_caps_can_intersect (taken, h264);
  int min_width = 1, min_height = 1;
  for (guint i = 0; taken && i < gst_caps_get_size (taken); i++) {
    const GstStructure *t = gst_caps_get_structure (taken, i);
    if (!gst_structure_has_name (t, "video/x-h264"))
      continue;
    const GValue *w = gst_structure_get_value (t, "width");
    const GValue *h = gst_structure_get_value (t, "height");
    if (w && GST_VALUE_HOLDS_INT_RANGE (w))
      min_width = gst_value_get_int_range_min (w);
    if (h && GST_VALUE_HOLDS_INT_RANGE (h))
      min_height = gst_value_get_int_range_min (h);
  }
  gst_caps_unref (h264);
  if (taken)
    gst_caps_unref (taken);
  if (fits)
    return GST_PAD_PROBE_OK;
  gchar *container = g_ascii_strup (extension_of (job->output).c_str () + 1,
      -1);
  const std::string container_name = container;
  g_free (container);
  fail_from_streaming (job, "the " + container_name + " container (" +
      muxer + ") cannot hold " + std::to_string (width) +
      "x" + std::to_string (height) + " video: it needs at least " +
      std::to_string (min_width) + "x" + std::to_string (min_height) +
      " (write .mkv instead, or use scan)");
  return GST_PAD_PROBE_DROP;
}

/* The first caps' size (and pixel aspect) become `data`'s, a capsfilter's,
 * caps; later ones leave them as they are. */
GstPadProbeReturn
keep_first_size (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  GstCaps *caps;
  gst_event_parse_caps (event, &caps);
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  gint width = 0, height = 0, par_n = 1, par_d = 1;
  if (!gst_structure_get_int (s, "width", &width) ||
      !gst_structure_get_int (s, "height", &height))
    return GST_PAD_PROBE_OK;
  gst_structure_get_fraction (s, "pixel-aspect-ratio", &par_n, &par_d);
  GstCaps *size = gst_caps_new_simple ("video/x-raw", "width", G_TYPE_INT,
      width, "height", G_TYPE_INT, height, "pixel-aspect-ratio",
      GST_TYPE_FRACTION, par_n, par_d, NULL);
  g_object_set (G_OBJECT (data), "caps", size, NULL);
  gst_caps_unref (size);
  return GST_PAD_PROBE_REMOVE;
}

/* An allocation query is answered here, with no pool: encoded data needs
 * none, and the query would otherwise wait until the muxer has taken all
 * that is queued before it, which it may only do once the other stream
 * has come, which the cut holds until this stream's thread moves on. */
GstPadProbeReturn
answer_allocation_query (GstPad *, GstPadProbeInfo *info, gpointer)
{
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);
  return GST_QUERY_TYPE (query) == GST_QUERY_ALLOCATION ?
      GST_PAD_PROBE_HANDLED : GST_PAD_PROBE_OK;
}

/* Encoded data waiting for the muxer. The muxer wants audio and video side
 * by side, and the cut only lets audio through as far as the video has been
 * decided: room for seconds of encoded data here keeps a muxer waiting for
 * one stream from blocking the cut's video thread, hence the audio, hence
 * the muxer (compressed, so this costs little memory). Bounded by bytes,
 * not time: a damaged timestamp far ahead would fill a time bound at once.
 * A caps change (damaged input) brings an allocation query, which must not
 * pass. */
GstElement *
make_mux_queue ()
{
  GstElement *queue = make ("queue");
  g_object_set (queue, "max-size-time", (guint64) 0,
      "max-size-bytes", 64u << 20, "max-size-buffers", 0u, NULL);
  GstPad *sink = gst_element_get_static_pad (queue, "sink");
  gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM,
      answer_allocation_query, NULL, NULL);
  gst_object_unref (sink);
  return queue;
}


/* --start/--end: one decoded stream's probe, on its streaming thread. It
 * drops everything until the seek to the range has flushed the stream: the
 * video's first frame gives the input's own start (the report's time 0),
 * and the main thread seeks from there (on RangeReady). */
struct RangeProbe {
  Job *job;
  bool video;
  bool flushed = false;
  GstSegment segment;
};

GstPadProbeReturn
drop_until_in_range (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  RangeProbe *p = (RangeProbe *) data;
  Job *job = p->job;
  if (GST_PAD_PROBE_INFO_TYPE (info) & (GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM
          | GST_PAD_PROBE_TYPE_EVENT_FLUSH)) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
    if (GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT)
      gst_event_copy_segment (event, &p->segment);
    else if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP
        && job->range_requested)
      p->flushed = true;
    return GST_PAD_PROBE_OK;
  }
  if (p->flushed)
    return GST_PAD_PROBE_REMOVE;        /* in the range: the probe goes */
  if (p->video && GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER
      && !job->range_requested) {
    const GstClockTime pts = GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info));
    const GstClockTime first = gst_segment_to_stream_time (&p->segment,
        GST_FORMAT_TIME, pts);
    if (GST_CLOCK_TIME_IS_VALID (first)) {
      g_mutex_lock (&job->lock);
      job->analysis.progress.origin_stream = first;
      g_mutex_unlock (&job->lock);
      job->range_requested = true;
      JobMessage::post (job->pipeline, JobMessage::Kind::RangeReady);
    }
  }
  return GST_PAD_PROBE_DROP;
}

void
drop_until_in_range (Job *job, GstPad *pad, bool video)
{
  RangeProbe *probe = new RangeProbe {job, video, false, {}};
  gst_segment_init (&probe->segment, GST_FORMAT_TIME);
  gst_pad_add_probe (pad, (GstPadProbeType) (GST_PAD_PROBE_TYPE_DATA_DOWNSTREAM
          | GST_PAD_PROBE_TYPE_EVENT_FLUSH), drop_until_in_range, probe,
      [] (gpointer p) { delete (RangeProbe *) p; });
}

void
link_audio (Job *job, GstPad *pad)
{
  GstBin *bin = GST_BIN (job->pipeline);
  GstElement *queue = make ("queue", "input-audio-queue");
  mark_reads_input (queue);
  g_object_set (queue, "max-size-time", (guint64) 5 * GST_SECOND,
      "max-size-bytes", 0u, "max-size-buffers", 0u, NULL);
  GstElement *convert = make ("audioconvert", "input-audio-convert");
  GstElement *resample = make ("audioresample", "input-audio-resample");
  mark_reads_input (convert);
  mark_reads_input (resample);
  add_chain (bin, {queue, convert, resample});
  GstPad *cut_sink = gst_element_request_pad_simple (job->cut,
      "audio_sink_%u");
  GstPad *resample_src = gst_element_get_static_pad (resample, "src");
  gst_pad_link (resample_src, cut_sink);
  gst_object_unref (resample_src);

  guint index = 0;
  std::sscanf (GST_PAD_NAME (cut_sink), "audio_sink_%u", &index);
  gchar *src_name = g_strdup_printf ("audio_src_%u", index);
  GstPad *cut_src = gst_element_get_static_pad (job->cut, src_name);
  g_free (src_name);
  gst_object_unref (cut_sink);
  gst_pad_add_probe (cut_src, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      drop_preroll_gap, NULL, NULL);

  GstElement *out_convert = make ("audioconvert");
  GstElement *encoder = make ("avenc_aac");
  GstElement *parse = make ("aacparse");
  GstElement *out_queue = make_mux_queue ();
  add_chain (bin, {out_convert, encoder, parse, out_queue});
  GstPad *convert_sink = gst_element_get_static_pad (out_convert, "sink");
  gst_pad_link (cut_src, convert_sink);
  gst_object_unref (convert_sink);
  gst_object_unref (cut_src);
  GstPad *encoder_sink = gst_element_get_static_pad (encoder, "sink");
  gst_pad_add_probe (encoder_sink, GST_PAD_PROBE_TYPE_BUFFER,
      on_audio_for_encoder, new PrimingCompensation { kAacPriming,
        GST_CLOCK_TIME_NONE }, [] (gpointer p) {
        delete (PrimingCompensation *) p;
      });
  gst_object_unref (encoder_sink);
  if (!gst_element_link_pads (out_queue, "src", job->mux, "audio_%u"))
    throw std::runtime_error ("the muxer takes no AAC audio");
  if (job->options->split)
    gst_element_sync_state_with_parent (job->mux);

  for (GstElement *e : {queue, convert, resample, out_convert, encoder, parse,
          out_queue})
    gst_element_sync_state_with_parent (e);
  GstPad *queue_sink = gst_element_get_static_pad (queue, "sink");
  if (job->options->has_range () && !job->options->fast)
    drop_until_in_range (job, queue_sink, false);
  gst_pad_link (pad, queue_sink);
  gst_object_unref (queue_sink);
}

/* Links decoded video into the analysis, the first stream only. */
void
link_decoded_video (Job *job, GstPad *pad)
{
  GstElement *head = gst_bin_get_by_name (GST_BIN (job->pipeline),
      "input-video-queue");
  GstPad *sink = gst_element_get_static_pad (head, "sink");
  if (!gst_pad_is_linked (sink))
    gst_pad_link (pad, sink);
  gst_object_unref (sink);
  gst_object_unref (head);
  JobMessage::post (job->pipeline, JobMessage::Kind::VideoLinked);
}

void
on_pad_added (GstElement *, GstPad *pad, gpointer data)
{
  Job *job = (Job *) data;
  const std::string media = media_type (pad);
  if (media.compare (0, 6, "audio/") == 0)
    job->has_audio_stream = true;
  try {
    /* Undecoded video (no decoder; decodebin says which is missing) and
     * other streams (a second audio track, subtitles) are not kept. */
    if (media == "video/x-raw" && !job->video_claimed.exchange (true))
      link_decoded_video (job, pad);
    else if (media == "audio/x-raw" && job->options->trim
        && !job->audio_claimed.exchange (true))
      link_audio (job, pad);
    else
      link_to_discard (GST_BIN (job->pipeline), pad);
  } catch (const std::exception &e) {
    fail_from_streaming (job, e.what ());
  }
}

/* Decoding stops where nothing of a stream is used: audio when scanning,
 * subtitles and data always. Containers (video/quicktime, ...) go on. */
gboolean
on_autoplug_continue (GstElement *, GstPad *, GstCaps *caps, gpointer data)
{
  Job *job = (Job *) data;
  if (gst_caps_is_empty (caps) || gst_caps_is_any (caps))
    return TRUE;
  const gchar *name = gst_structure_get_name (gst_caps_get_structure (caps,
          0));
  if (g_str_has_prefix (name, "audio/"))
    return job->options->trim;
  return !g_str_has_prefix (name, "text/")
      && !g_str_has_prefix (name, "subpicture/")
      && !g_str_has_prefix (name, "subtitle/")
      && !g_str_has_prefix (name, "closedcaption/")
      && !g_str_equal (name, "application/x-subtitle");
}


/* The input's own packets (--copy, --fast): video to the decisions (and,
 * with --copy, to the copy branch), from one tee. */
void
on_parsed_pad_added (GstElement *, GstPad *pad, gpointer data)
{
  Job *job = (Job *) data;
  const Options &o = *job->options;
  const std::string media = media_type (pad);
  const gchar *name = media.c_str ();
  GstBin *bin = GST_BIN (job->pipeline);
  if (g_str_has_prefix (name, "audio/"))
    job->has_audio_stream = true;
  /* --start/--end with --fast: the packets, before either branch has
   * any. */
  if (o.has_range () && (g_str_has_prefix (name, "video/")
          || g_str_has_prefix (name, "audio/")))
    drop_until_in_range (job, pad, g_str_has_prefix (name, "video/")
        && !job->video_claimed);
  try {
    GstElement *head = nullptr;
    if (g_str_has_prefix (name, "video/")
        && !job->video_claimed.exchange (true)) {
      GstElement *tee = make ("tee", "input-video-tee");
      gst_bin_add (bin, tee);
      /* Room for --copy's decisions to come (the copy branch waits for
       * them); scanning with --fast, for the GOPs whose fates wait for
       * verdicts up to the lead-in and two GOPs ahead, which the keyframe
       * decoder gives one or two keyframes late: 30 s holds that for GOPs
       * of up to 5 s. */
      GstElement *queue = make ("queue");
      g_object_set (queue, "max-size-time", (guint64) (o.copy ? 60 : 30) *
          GST_SECOND, "max-size-bytes", 0u, "max-size-buffers", 0u, NULL);
      GstElement *decode = nullptr;
      if (job->fast) {
        GstCaps *caps = gst_pad_get_current_caps (pad);
        if (!caps)
          caps = gst_pad_query_caps (pad, NULL);
        GstElement *analysis = gst_bin_get_by_name (bin, "input-video-queue");
        GstPad *analysis_sink = gst_element_get_static_pad (analysis, "sink");
        decode = add_fast_decode (job->fast.get (), bin, tee, queue,
            analysis_sink, caps, o.detect_props);
        gst_object_unref (analysis_sink);
        gst_object_unref (analysis);
        gst_caps_unref (caps);
      }
      if (decode) {
        gst_bin_add (bin, queue);
        link_or_throw (queue, decode);
        GstPad *decoded = gst_element_get_static_pad (decode, "src");
        link_decoded_video (job, decoded);
        gst_object_unref (decoded);
      } else {
        decode = make ("decodebin");
        stillframe::connect_decoder_filter (decode);
        add_chain (bin, {queue, decode});
        g_signal_connect (decode, "pad-added", G_CALLBACK (+[] (GstElement *,
                    GstPad *decoded, gpointer d) {
                  if (media_type (decoded) == "video/x-raw")
                    link_decoded_video ((Job *) d, decoded);
                }), job);
      }
      link_or_throw (tee, queue);
      if (o.copy) {
        GstElement *copy = add_copy_branch (job, pad, true);
        GstPad *tee_src = gst_element_request_pad_simple (tee, "src_%u");
        GstPad *copy_sink = gst_element_get_static_pad (copy, "sink");
        gst_pad_link (tee_src, copy_sink);
        gst_object_unref (copy_sink);
        gst_object_unref (tee_src);
      }
      for (GstElement *e : {tee, queue, decode})
        gst_element_sync_state_with_parent (e);
      head = tee;
    } else if (o.copy && g_str_has_prefix (name, "audio/mpeg")
        && !job->audio_claimed.exchange (true)) {
      head = add_copy_branch (job, pad, false);
    } else {
      if (o.copy && g_str_has_prefix (name, "audio/"))
        JobMessage::post (job->pipeline, JobMessage::Kind::Note,
            std::string ("--copy keeps AAC and MP3 audio only: a ") + name +
            " stream was left out");
      link_to_discard (bin, pad);
    }
    if (head) {
      GstPad *sink = gst_element_get_static_pad (head, "sink");
      gst_pad_link (pad, sink);
      gst_object_unref (sink);
    }
  } catch (const std::exception &e) {
    fail_from_streaming (job, e.what ());
  }
}

void
on_no_more_pads (GstElement *, gpointer data)
{
  Job *job = (Job *) data;
  if (!job->video_claimed)
    GST_ELEMENT_ERROR (job->pipeline, STREAM, WRONG_TYPE,
        ("no video stream"), (NULL));
}

/* The URI the job reads: its file, its FIFO (opened here without waiting
 * for a writer, so that nothing blocks the main loop), or standard input. */
std::string
open_input (Job *job)
{
  if (job->input.kind == Input::Kind::Stdin)
    return "fd://0";
  if (job->input.kind == Input::Kind::Pipe) {
    job->input_fd = open (job->input.path.c_str (), O_RDONLY | O_NONBLOCK |
        O_CLOEXEC);
    if (job->input_fd < 0)
      throw std::runtime_error (std::string ("cannot open: ") +
          g_strerror (errno));
    /* Reads then wait for data, in fdsrc's interruptible poll. */
    fcntl (job->input_fd, F_SETFL, fcntl (job->input_fd, F_GETFL) &
        ~O_NONBLOCK);
    return "fd://" + std::to_string (job->input_fd);
  }
  const std::string ext = extension_of (job->input.path);
  double gap = 0;
  std::vector<BytePatch> patches = ext == ".mp4" || ext == ".m4v"
      || ext == ".mov" || ext == ".3gp" ?
      leading_gap_patches (job->input.path, &gap) : std::vector<BytePatch> ();
  if (!patches.empty ()) {
    job->reader = std::make_unique<PatchedFile> (job->input.path,
        std::move (patches));
    job->note ("every track starts " + clock_string (gap) + " into the "
        "movie (an edit list, as a remux with the source's timestamps "
        "writes): read from the first frame");
    return "appsrc://";
  }
  gchar *uri = gst_filename_to_uri (job->input.path.c_str (), NULL);
  std::string result = uri ? uri : "";
  g_free (uri);
  return result;
}

void
on_patched_need_data (GstAppSrc *src, guint length, gpointer data)
{
  PatchedFile *file = (PatchedFile *) data;
  if (file->position () >= file->size ()) {
    gst_app_src_end_of_stream (src);
    return;
  }
  const guint64 n = std::min<guint64> (length ? length : 65536,
      file->size () - file->position ());
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, n, NULL);
  GST_BUFFER_OFFSET (buffer) = file->position ();
  GstMapInfo map;
  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  const bool read = file->read (map.data, n);
  gst_buffer_unmap (buffer, &map);
  if (!read) {
    gst_buffer_unref (buffer);
    GST_ELEMENT_ERROR (src, RESOURCE, READ, (NULL), ("%s", errno ?
            g_strerror (errno) : "the file ended before its size"));
    return;
  }
  gst_app_src_push_buffer (src, buffer);
}

void
setup_patched_source (Job *job, GstElement *source)
{
  if (!job->reader || !GST_IS_APP_SRC (source))
    return;
  g_object_set (source, "stream-type", GST_APP_STREAM_TYPE_RANDOM_ACCESS,
      "size", (gint64) job->reader->size (), "format", GST_FORMAT_BYTES,
      NULL);
  GstAppSrcCallbacks callbacks = { };
  callbacks.need_data = on_patched_need_data;
  callbacks.seek_data = [] (GstAppSrc *, guint64 offset, gpointer data) ->
      gboolean {
    ((PatchedFile *) data)->seek (offset);
    return TRUE;
  };
  gst_app_src_set_callbacks (GST_APP_SRC (source), &callbacks,
      job->reader.get (), NULL);
}

}  // namespace

void
build_pipeline (Job *job)
{
  const Options &o = *job->options;
  if (o.trim && !o.split)
    job->partial = std::make_unique<PendingFile> (job->output);
  if (!job->html_path.empty ())
    job->thumbnails = std::make_unique<ThumbnailTaker> ();
  if (!job->scores_path.empty ()) {
    job->scores = std::make_unique<PendingFile> (job->scores_path);
    job->scores_rows = kScoresHeader;
  }
  job->pipeline = gst_pipeline_new ("stillframe");
  GstBin *bin = GST_BIN (job->pipeline);
  const std::string uri = open_input (job);

  if (o.copy || o.fast) {
    /* Compressed streams: the video is decoded for the decisions only. */
    if (o.copy)
      job->gate = std::make_unique<CopyGate> ();
    if (o.fast)
      job->fast = std::make_unique<FastDecode> ();
    GError *error = NULL;
    GstElement *src = gst_element_make_from_uri (GST_URI_SRC, uri.c_str (),
        NULL, &error);
    if (!src) {
      std::string message = error ? error->message : "cannot read " + uri;
      g_clear_error (&error);
      throw std::runtime_error (message);
    }
    setup_patched_source (job, src);
    GstElement *parse = make ("parsebin");
    add_chain (bin, {src, parse});
    g_signal_connect (parse, "pad-added", G_CALLBACK (on_parsed_pad_added),
        job);
    g_signal_connect (parse, "no-more-pads", G_CALLBACK (on_no_more_pads),
        job);
  } else {
    GstElement *decode = make ("uridecodebin", "decode");
    mark_reads_input (decode);
    stillframe::connect_decoder_filter (decode);
    GstCaps *raw = gst_caps_from_string (o.trim ?
        "video/x-raw(ANY);audio/x-raw(ANY)" : "video/x-raw(ANY)");
    /* All streams are exposed, and those not used discarded: with
     * expose-all-streams off, decodebin refuses decoders whose source caps
     * are ANY (VP8/VP9 with alpha). */
    g_object_set (decode, "uri", uri.c_str (), "caps", raw, NULL);
    gst_caps_unref (raw);
    gst_bin_add (bin, decode);
    g_signal_connect (decode, "source-setup", G_CALLBACK (+[] (GstElement *,
                GstElement *source, gpointer data) {
              setup_patched_source ((Job *) data, source);
            }), job);
    g_signal_connect (decode, "autoplug-continue",
        G_CALLBACK (on_autoplug_continue), job);
    g_signal_connect (decode, "pad-added", G_CALLBACK (on_pad_added), job);
    g_signal_connect (decode, "no-more-pads", G_CALLBACK (on_no_more_pads),
        job);
  }

  GstElement *queue = make ("queue", "input-video-queue");
  g_object_set (queue, "max-size-time", (guint64) 2 * GST_SECOND,
      "max-size-bytes", 0u, "max-size-buffers", 0u, NULL);
  if (o.has_range () && !o.fast) {
    GstPad *decoded = gst_element_get_static_pad (queue, "sink");
    drop_until_in_range (job, decoded, true);
    gst_object_unref (decoded);
  }
  GstElement *convert = make ("videoconvert", "input-video-convert");
  mark_reads_input (queue);
  mark_reads_input (convert);
  GstElement *detect = make ("stillframedetect", "detect");
  g_object_set (detect, "post-messages", FALSE, NULL);
  for (const auto &[k, v] : o.detect_props)
    set_from_string (detect, k, v);
  g_object_get (detect, "threshold", &job->threshold, NULL);
  job->cut = make ("stillframecut", "cut");
  for (const auto &[k, v] : o.cut_props)
    set_from_string (job->cut, k, v);
  /* Events group motion as the cut does: its setting, or its default. */
  GstClockTime min_static = 0, min_motion = 0;
  g_object_get (job->cut, "min-static-duration", &min_static,
      "min-motion-duration", &min_motion, NULL);
  job->analysis.events = EventGrouper (min_static, min_motion);
  if (!o.trim || o.copy)
    gst_util_set_object_arg (G_OBJECT (job->cut), "timestamps", "original");
  add_chain (bin, {queue, convert, detect, job->cut});

  GstPad *detect_src = gst_element_get_static_pad (detect, "src");
  /* First: the frames it puts back pass the probes below as if analysed. */
  if (job->fast)
    restore_dropped_frames (detect_src);
  gst_pad_add_probe (detect_src, (GstPadProbeType) (GST_PAD_PROBE_TYPE_BUFFER
          | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM), on_analysed, job, NULL);
  if (!o.trim || o.copy)
    gst_pad_add_probe (detect_src, GST_PAD_PROBE_TYPE_BUFFER,
        replace_with_stub, NULL, NULL);
  gst_object_unref (detect_src);

  if (!o.trim || o.copy) {
    GstElement *sink = make ("fakesink");
    g_object_set (sink, "sync", FALSE, NULL);
    add_chain (bin, {sink});
    link_or_throw (job->cut, sink);
    if (o.copy) {
      watch_decisions (job->cut, job->gate.get ());
      job->mux = make_muxer (job);
      GstElement *file = make ("filesink");
      /* Its data only flows once the appsinks run, in PLAYING: it must not
       * hold the pipeline in preroll. */
      g_object_set (file, "location", job->partial->path ().c_str (),
          "async", FALSE, NULL);
      add_chain (bin, {job->mux, file});
    }
    return;
  }
  /* The picture is turned as the input's orientation tag says, so that
   * the output plays upright in any container. */
  GstElement *flip = make ("videoflip");
  gst_util_set_object_arg (G_OBJECT (flip), "video-direction", "auto");
  GstElement *out_convert = make ("videoconvert");
  GstElement *encoder = make ("x264enc");
  gst_util_set_object_arg (G_OBJECT (encoder), "speed-preset",
      o.preset.c_str ());
  gst_util_set_object_arg (G_OBJECT (encoder), "pass", "quant");
  /* No lookahead: a kept span's last frames must reach the muxer when the
   * span ends, not when the next one starts (maybe an hour later), or the
   * muxer stalls the audio and with it the demuxer. */
  gst_util_set_object_arg (G_OBJECT (encoder), "tune", "zerolatency");
  g_object_set (encoder, "quantizer", (guint) o.quality, NULL);
  /* On the decoded caps: once they reach the converters, the muxer's limits
   * fail the negotiation with no word of why. */
  GstPad *decoded = gst_element_get_static_pad (queue, "sink");
  gst_pad_add_probe (decoded, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      check_size_for_container, job, NULL);
  gst_object_unref (decoded);
  GstElement *parse = make ("h264parse");
  GstElement *out_queue = make_mux_queue ();
  /* The output keeps the first frame's size: a stream whose size changes
   * (a damaged header, a camera switching) is scaled to it, where a
   * muxer would refuse the change. Passthrough otherwise; before the turn,
   * whose tag may come after the first frame. */
  GstElement *scale = make ("videoscale");
  GstElement *size = make ("capsfilter");
  GstPad *scale_sink = gst_element_get_static_pad (scale, "sink");
  gst_pad_add_probe (scale_sink, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      keep_first_size, size, NULL);
  gst_object_unref (scale_sink);
  add_chain (bin, {scale, size, flip, out_convert, encoder, parse,
          out_queue});
  link_or_throw (job->cut, scale);
  GstPad *cut_src = gst_element_get_static_pad (job->cut, "src");
  gst_pad_add_probe (cut_src, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      drop_preroll_gap, NULL, NULL);
  if (o.split) {
    job->mux = make ("splitmuxsink");
    g_object_set (job->mux, "muxer", make_muxer (job), NULL);
    g_signal_connect (job->mux, "format-location",
        G_CALLBACK (on_split_part_location), job);
    gst_bin_add (bin, job->mux);
    if (!gst_element_link_pads (out_queue, "src", job->mux, "video")) {
      gst_object_unref (cut_src);
      throw std::runtime_error ("cannot split H.264 video");
    }
    gst_pad_add_probe (cut_src, GST_PAD_PROBE_TYPE_BUFFER, on_kept_for_split,
        job, NULL);
    gst_object_unref (cut_src);
    return;
  }
  gst_object_unref (cut_src);
  job->mux = make_muxer (job);
  GstElement *sink = make ("filesink");
  g_object_set (sink, "location", job->partial->path ().c_str (), NULL);
  gst_bin_add_many (bin, job->mux, sink, NULL);
  if (!gst_element_link_pads (out_queue, "src", job->mux, "video_%u"))
    throw std::runtime_error ("the muxer takes no H.264 video");
  link_or_throw (job->mux, sink);
}

std::string
seek_to_range (Job *job)
{
  const Options &o = *job->options;
  const GstClockTime origin = job->progress_now ().origin_stream;
  const GstClockTime start = origin + (GstClockTime) std::llround
      (o.range_start * GST_SECOND);
  gint64 duration = -1;
  if (gst_element_query_duration (job->pipeline, GST_FORMAT_TIME, &duration)
      && duration > 0 && start >= origin + (GstClockTime) duration)
    return "--start " + clock_string (o.range_start) + " is past the "
        "input's end (" + clock_string (to_seconds ((GstClockTime) duration))
        + ")";
  const bool bounded = o.range_end >= 0;
  GstEvent *seek = gst_event_new_seek (1.0, GST_FORMAT_TIME, (GstSeekFlags)
      (GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE), GST_SEEK_TYPE_SET, start,
      bounded ? GST_SEEK_TYPE_SET : GST_SEEK_TYPE_NONE, bounded ? origin +
      (GstClockTime) std::llround (o.range_end * GST_SECOND) :
      GST_CLOCK_TIME_NONE);
  /* Upstream to the demuxer, from where the video enters the analysis (or,
   * with --fast, both of its branches): the sinks after the cut would not
   * pass it on. */
  GstElement *entry = gst_bin_get_by_name (GST_BIN (job->pipeline),
      o.fast ? "input-video-tee" : "input-video-queue");
  GstPad *sink = gst_element_get_static_pad (entry, "sink");
  const gboolean done = gst_pad_push_event (sink, seek);
  gst_object_unref (sink);
  gst_object_unref (entry);
  return done ? "" : "cannot seek in this input, which --start and --end "
      "need";
}

bool
reads_input (GstObject *element)
{
  for (GstObject *o = element ? (GstObject *) gst_object_ref (element) :
      nullptr; o;) {
    if (g_object_get_qdata (G_OBJECT (o), reads_input_quark ())) {
      gst_object_unref (o);
      return true;
    }
    GstObject *parent = gst_object_get_parent (o);
    gst_object_unref (o);
    o = parent;
  }
  return false;
}

}  // namespace stillframe::cli
