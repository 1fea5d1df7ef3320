/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * stillframe: trims the static spans out of videos, or lists the events.
 *
 *   stillframe trim INPUT... -o OUTPUT [options]
 *   stillframe scan INPUT... [options]
 *
 * It builds GStreamer pipelines around stillframedetect and stillframecut:
 * decode, detect, cut (video and audio at the same running times), encode,
 * mux, all streaming. See docs/stillframe.md.
 *
 * Exit codes: 0 done, 1 bad usage or bad input, 2 runtime failure,
 * 130 interrupted.
 */
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/audio/audio.h>
#include <gst/gst.h>
#include <gst/pbutils/pbutils.h>

#include "autoplug.h"
#include <glib-unix.h>
#include <glib/gstdio.h>

#include <algorithm>
#include <cmath>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace {

enum ExitCode {
  EXIT_DONE = 0,
  EXIT_BAD_INPUT = 1,
  EXIT_RUNTIME = 2,
  /* An output was written but part of the input could not be read. */
  EXIT_DAMAGED_INPUT = 3,
  EXIT_INTERRUPTED = 130,
};

/* AAC encoders start with 1024 samples of priming that GStreamer 1.22's
 * muxers do not signal: players would sound that late. */
constexpr guint kAacPriming = 1024;
constexpr const char *kVideoExtensions[] = {
  ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".ts", ".mts", ".m2ts",
  ".mpg", ".mpeg", ".flv", ".3gp", ".wmv", ".ogv",
};

struct Options {
  bool trim = false;
  std::vector<std::string> inputs;
  std::string output;
  std::string report, csv;
  bool force = false, quiet = false, split = false, copy = false;
  int jobs = 1;
  int quality = 23;
  /* An input that decodes no frame for this long is given up on. */
  GstClockTime stall_timeout = 30 * GST_SECOND;
  std::string preset = "veryfast";
  /* Element properties, only those given are set. */
  std::vector<std::pair<std::string, std::string>> detect_props, cut_props;
};

struct Event {
  double start = 0, end = 0, peak = 0;
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};

std::string
json_escape (const std::string &s)
{
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if ((unsigned char) c < 0x20) {
          char buf[8];
          std::snprintf (buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string
seconds (double s)
{
  char buf[32];
  std::snprintf (buf, sizeof buf, "%.6f", s);
  return buf;
}

std::string
clock_string (double s)
{
  char buf[32];
  const long long ms = std::llround (s * 1000);
  std::snprintf (buf, sizeof buf, "%lld:%02lld:%02lld.%03lld", ms / 3600000,
      ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
  return buf;
}

double
to_seconds (GstClockTime t)
{
  return GST_CLOCK_TIME_IS_VALID (t) ? (double) t / GST_SECOND : 0.0;
}


/* Copied packets are written with this much added to their running time,
 * in a segment that starts there: decoding order may begin before 0
 * (B-frames), and timestamps cannot be negative. */
constexpr GstClockTime kCopyOffset = 10 * GST_SECOND;

/* --copy: the decode branch decides each frame; the copy branch keeps, byte
 * for byte, every GOP of the input's video packets that holds a kept frame
 * (so cuts snap outward to keyframes), and the audio packets that fall in
 * kept GOPs, re-timestamped over the dropped GOPs. */
struct CopyGate {
  GMutex lock;
  GCond changed;
  /* From the decode branch: source PTS -> kept. */
  std::map<GstClockTime, bool> frames;
  GstClockTime decided_until = 0;
  bool decode_done = false, stopping = false;
  /* Dropped GOPs, in source time, for the audio. */
  struct Dropped {
    GstClockTime start, end, cut_before;
  };
  std::deque<Dropped> dropped;
  GstClockTime video_until = 0;
  bool video_done = false;

  /* The video copy thread's own. */
  std::vector<GstBuffer *> gop;
  GstClockTime cut_total = 0;
  bool splice = false;
  GstElement *video_out = nullptr, *audio_out = nullptr;

  /* For the report (lock). */
  guint64 frames_out = 0;
  GstClockTime duration_out = 0;
  std::vector<std::pair<double, double>> kept;

  CopyGate () { g_mutex_init (&lock); g_cond_init (&changed); }
  ~CopyGate ()
  {
    for (GstBuffer *b : gop)
      gst_buffer_unref (b);
    g_mutex_clear (&lock);
    g_cond_clear (&changed);
  }
  void stop ()
  {
    g_mutex_lock (&lock);
    stopping = true;
    g_cond_broadcast (&changed);
    g_mutex_unlock (&lock);
  }
};

/* One input's pipeline and what is learned from it. */
struct Job {
  const Options *options = nullptr;
  std::string input, output;
  /* The file being written: a hidden name beside the output, renamed to it
   * once complete, so that no half-written file ever has the output's name
   * and an existing output survives a failed --force run. */
  std::string partial;
  GstElement *pipeline = nullptr;
  GstElement *cut = nullptr, *mux = nullptr;
  GstElement *decode = nullptr;         /* not in --copy mode */
  guint bus_watch = 0;
  bool has_video = false, has_audio = false, output_started = false;
  bool finished = false, interrupted = false;
  int status = EXIT_DONE;
  std::string error;
  std::vector<std::string> notes;
  std::vector<std::string> files;       /* written, for --split */
  /* Part of the input was missing or unreadable; what was read is kept. */
  bool damaged = false;
  GstClockTime declared_duration = GST_CLOCK_TIME_NONE;
  guint warnings = 0;
  guint finish_timer = 0;

  /* From the detect probe (streaming thread) and bus (main thread). */
  GMutex lock;
  guint64 frames_seen = 0;
  GstClockTime last_position = GST_CLOCK_TIME_NONE;
  GstClockTime first_pts = GST_CLOCK_TIME_NONE, last_end = 0;
  std::vector<Event> events;
  bool in_motion = false;
  GstClockTime last_motion_end = 0;

  std::vector<std::pair<double, double>> dropped;
  guint64 frames_in = 0, frames_out = 0;
  GstClockTime duration_in = 0, duration_out = 0;
  bool summary_seen = false;
  gint64 started_us = 0;
  gint64 last_progress_us = 0;
  /* The stall watchdog: frames_seen when it last changed, and when. */
  guint64 watched_frames = 0;
  gint64 watched_since_us = 0;
  GstClockTime min_static = 3 * GST_SECOND;
  std::unique_ptr<CopyGate> gate;

  Job () { g_mutex_init (&lock); }
  ~Job ()
  {
    g_mutex_clear (&lock);
    if (gate)
      gate->stop ();
    if (pipeline) {
      gst_element_set_state (pipeline, GST_STATE_NULL);
      gst_object_unref (pipeline);
    }
  }
};

/* ---- Pipeline construction ---- */

GstElement *
make (const char *factory, const char *name = nullptr)
{
  GstElement *e = gst_element_factory_make (factory, name);
  if (!e)
    throw std::runtime_error (std::string ("GStreamer element '") + factory +
        "' is missing: install " +
        (g_str_has_prefix (factory, "x264") ? "gstreamer1.0-plugins-ugly" :
            g_str_has_prefix (factory, "avenc") ? "gstreamer1.0-libav" :
            g_str_has_prefix (factory, "stillframe") ?
            "stillframe (meson install, or set GST_PLUGIN_PATH_1_0)" :
            "gstreamer1.0-plugins-good and -base"));
  return e;
}

void
set_from_string (GstElement *element, const std::string &name,
    const std::string &value)
{
  GParamSpec *spec = g_object_class_find_property (G_OBJECT_GET_CLASS
      (element), name.c_str ());
  if (!spec)
    throw std::invalid_argument ("unknown property " + name);
  GValue v = G_VALUE_INIT;
  g_value_init (&v, spec->value_type);
  if (!gst_value_deserialize (&v, value.c_str ())) {
    g_value_unset (&v);
    throw std::invalid_argument ("bad value '" + value + "' for " + name);
  }
  g_object_set_property (G_OBJECT (element), name.c_str (), &v);
  g_value_unset (&v);
}

std::string
extension_of (const std::string &path)
{
  const char *dot = strrchr (path.c_str (), '.');
  const char *slash = strrchr (path.c_str (), '/');
  if (!dot || (slash && dot < slash))
    return "";
  gchar *lower = g_ascii_strdown (dot, -1);
  std::string ext = lower;
  g_free (lower);
  return ext;
}

const char *
muxer_for (const std::string &path)
{
  const std::string ext = extension_of (path);
  if (ext == ".mp4" || ext == ".m4v")
    return "mp4mux";
  if (ext == ".mov")
    return "qtmux";
  if (ext == ".mkv")
    return "matroskamux";
  return nullptr;
}

/* out.mp4 -> out-%04d.mp4: one file per kept span. */
std::string
split_pattern (const std::string &output)
{
  const std::string ext = extension_of (output);
  return output.substr (0, output.size () - ext.size ()) + "-%04d" + ext;
}

std::string
split_file (const std::string &output, int index)
{
  gchar *name = g_strdup_printf (split_pattern (output).c_str (), index);
  std::string path = name;
  g_free (name);
  return path;
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

/* Reads each analysed frame's meta: progress, events with their peak score
 * and box. */
GstPadProbeReturn
on_analysed (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  Job *job = (Job *) data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  GstCustomMeta *meta = gst_buffer_get_custom_meta (buffer,
      "StillframeMotionMeta");
  const GstClockTime pts = GST_BUFFER_PTS (buffer);
  const GstClockTime end = pts + (GST_BUFFER_DURATION_IS_VALID (buffer) ?
      GST_BUFFER_DURATION (buffer) : 0);
  g_mutex_lock (&job->lock);
  job->frames_seen++;
  if (GST_CLOCK_TIME_IS_VALID (pts)) {
    if (!GST_CLOCK_TIME_IS_VALID (job->first_pts))
      job->first_pts = pts;
    job->last_position = pts;
    job->last_end = std::max (job->last_end, end);
  }
  if (meta && GST_CLOCK_TIME_IS_VALID (pts)) {
    const GstStructure *s = gst_custom_meta_get_structure (meta);
    gboolean motion = FALSE;
    double score = 0;
    int x = 0, y = 0, w = 0, h = 0;
    gst_structure_get_boolean (s, "motion", &motion);
    gst_structure_get_double (s, "score", &score);
    gst_structure_get (s, "x", G_TYPE_INT, &x, "y", G_TYPE_INT, &y,
        "width", G_TYPE_INT, &w, "height", G_TYPE_INT, &h, NULL);
    if (motion) {
      /* Motion runs closer than min-static-duration are one event, as the
       * cut keeps them together. */
      if (job->events.empty () || (!job->in_motion
              && pts - job->last_motion_end >= job->min_static)) {
        Event e;
        e.start = to_seconds (pts);
        e.x0 = x, e.y0 = y, e.x1 = x + w, e.y1 = y + h;
        job->events.push_back (e);
      }
      Event &e = job->events.back ();
      e.end = to_seconds (end);
      e.peak = std::max (e.peak, score);
      if (w > 0 && h > 0) {
        e.x0 = std::min (e.x0, x), e.y0 = std::min (e.y0, y);
        e.x1 = std::max (e.x1, x + w), e.y1 = std::max (e.y1, y + h);
      }
      job->last_motion_end = end;
    }
    job->in_motion = motion;
  }
  g_mutex_unlock (&job->lock);
  return GST_PAD_PROBE_OK;
}

/* When no decoded picture is written (scan, --copy), the cut only decides:
 * it gets an empty buffer with the frame's timestamps, flags and motion
 * meta, and the picture goes back to the decoder at once instead of being
 * held for up to the hold time (1 GB of 4K frames at the defaults). */
GstPadProbeReturn
replace_with_stub (GstPad *, GstPadProbeInfo *info, gpointer)
{
  GstBuffer *frame = GST_PAD_PROBE_INFO_BUFFER (info);
  GstBuffer *stub = gst_buffer_new ();
  gst_buffer_copy_into (stub, frame, GST_BUFFER_COPY_METADATA, 0, -1);
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
  if (p->to_drop > 0) {
    buffer = gst_audio_buffer_truncate (buffer, ainfo.bpf, p->to_drop,
        samples - p->to_drop);
    p->to_drop = 0;
  } else {
    buffer = gst_buffer_make_writable (buffer);
  }
  if (GST_BUFFER_PTS_IS_VALID (buffer))
    GST_BUFFER_PTS (buffer) = GST_BUFFER_PTS (buffer) > p->shift ?
        GST_BUFFER_PTS (buffer) - p->shift : 0;
  GST_PAD_PROBE_INFO_DATA (info) = buffer;
  return GST_PAD_PROBE_OK;
}

/* Encoded data waiting for the muxer. The muxer wants audio and video side
 * by side, and the cut only lets audio through as far as the video has been
 * decided: room for seconds of encoded data here keeps a muxer waiting for
 * one stream from blocking the cut's video thread, hence the audio, hence
 * the muxer (compressed, so this costs little memory). */
GstElement *
make_mux_queue ()
{
  GstElement *queue = make ("queue");
  g_object_set (queue, "max-size-time", (guint64) 10 * GST_SECOND,
      "max-size-bytes", 0u, "max-size-buffers", 0u, NULL);
  return queue;
}

bool
link_or_throw (GstElement *a, GstElement *b)
{
  if (!gst_element_link (a, b))
    throw std::runtime_error (std::string ("cannot link ") +
        GST_ELEMENT_NAME (a) + " to " + GST_ELEMENT_NAME (b));
  return true;
}

GstElement *
add_chain (GstBin *bin, std::initializer_list<GstElement *> elements)
{
  GstElement *previous = nullptr;
  for (GstElement *e : elements) {
    gst_bin_add (bin, e);
    if (previous)
      link_or_throw (previous, e);
    previous = e;
  }
  return *elements.begin ();
}

void
link_audio (Job *job, GstPad *pad)
{
  GstBin *bin = GST_BIN (job->pipeline);
  GstElement *queue = make ("queue", "input-audio-queue");
  g_object_set (queue, "max-size-time", (guint64) 5 * GST_SECOND,
      "max-size-bytes", 0u, "max-size-buffers", 0u, NULL);
  GstElement *convert = make ("audioconvert", "input-audio-convert");
  GstElement *resample = make ("audioresample", "input-audio-resample");
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
  gst_pad_link (pad, queue_sink);
  gst_object_unref (queue_sink);
  job->has_audio = true;
}

/* A new pad's media type ("video/x-h264", "audio/x-raw", ...). */
std::string
media_type (GstPad *pad)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);
  if (!caps)
    caps = gst_pad_query_caps (pad, NULL);
  std::string name = gst_caps_is_empty (caps) ? "" :
      gst_structure_get_name (gst_caps_get_structure (caps, 0));
  gst_caps_unref (caps);
  return name;
}

/* A stream that is not kept still needs a sink. */
void
link_to_discard (GstBin *bin, GstPad *pad)
{
  GstElement *sink = make ("fakesink");
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (bin, sink);
  gst_element_sync_state_with_parent (sink);
  GstPad *sinkpad = gst_element_get_static_pad (sink, "sink");
  gst_pad_link (pad, sinkpad);
  gst_object_unref (sinkpad);
}

/* A failure while building on a streaming thread becomes a bus error. */
void
fail_from_streaming (Job *job, const std::exception &e)
{
  g_mutex_lock (&job->lock);
  job->error = e.what ();
  g_mutex_unlock (&job->lock);
  GST_ELEMENT_ERROR (job->pipeline, CORE, PAD, ("%s", e.what ()), (NULL));
}

void
on_pad_added (GstElement *, GstPad *pad, gpointer data)
{
  Job *job = (Job *) data;
  const std::string media = media_type (pad);
  const gchar *name = media.c_str ();
  GstBin *bin = GST_BIN (job->pipeline);
  try {
    if (g_str_has_prefix (name, "video/") && !job->has_video) {
      GstElement *head = gst_bin_get_by_name (bin, "input-video-queue");
      GstPad *sink = gst_element_get_static_pad (head, "sink");
      gst_pad_link (pad, sink);
      gst_object_unref (sink);
      gst_object_unref (head);
      job->has_video = true;
    } else if (g_str_has_prefix (name, "audio/") && job->options->trim
        && !job->has_audio) {
      link_audio (job, pad);
    } else {
      /* Other streams (a second audio track, subtitles) are not kept. */
      link_to_discard (bin, pad);
    }
  } catch (const std::exception &e) {
    fail_from_streaming (job, e);
  }
}


/* ---- --copy ---- */

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
  if (keep) {
    gate->kept.push_back ({to_seconds (start - kCopyOffset),
          to_seconds (next_start - kCopyOffset)});
    gate->frames_out += gate->gop.size ();
    gate->duration_out += next_start - start;
  } else {
    gate->dropped.push_back ({start, next_start, gate->cut_total});
  }
  const GstClockTime shift = gate->cut_total;
  if (!keep)
    gate->cut_total += next_start - start;
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
    if (gate->splice)
      GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_DISCONT);
    gate->splice = false;
    push_copied (gate->video_out, b);
  }
  if (!keep)
    gate->splice = true;
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
  return gate->stopping ? GST_FLOW_FLUSHING : GST_FLOW_OK;
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
  /* In a dropped GOP: dropped; else shifted by what was dropped before. */
  bool drop = false;
  GstClockTime shift = gate->cut_total;
  while (!gate->dropped.empty () && gate->dropped.front ().end <= middle
      && gate->dropped.size () > 1)
    gate->dropped.pop_front ();
  for (const auto &range : gate->dropped) {
    if (middle < range.start) {
      shift = range.cut_before;
      break;
    }
    if (middle < range.end) {
      drop = true;
      break;
    }
    shift = range.cut_before + (range.end - range.start);
  }
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

/* appsink -> [gate] -> appsrc -> mux, for one compressed stream. */
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
on_copy_pad_added (GstElement *, GstPad *pad, gpointer data)
{
  Job *job = (Job *) data;
  const std::string media = media_type (pad);
  const gchar *name = media.c_str ();
  GstBin *bin = GST_BIN (job->pipeline);
  try {
    GstElement *head = nullptr;
    if (g_str_has_prefix (name, "video/") && !job->has_video) {
      /* Decode branch (decides) and copy branch, from one tee. */
      GstElement *tee = make ("tee");
      GstElement *queue = make ("queue");
      g_object_set (queue, "max-size-time", (guint64) 60 * GST_SECOND,
          "max-size-bytes", 0u, "max-size-buffers", 0u, NULL);
      GstElement *decode = make ("decodebin");
      stillframe::connect_decoder_filter (decode);
      add_chain (bin, {tee, queue, decode});
      g_signal_connect (decode, "pad-added", G_CALLBACK (+[] (GstElement *,
                  GstPad *decoded, gpointer d) {
                GstElement *video_head = gst_bin_get_by_name (GST_BIN
                    (((Job *) d)->pipeline), "input-video-queue");
                GstPad *sink = gst_element_get_static_pad (video_head, "sink");
                if (!gst_pad_is_linked (sink))
                  gst_pad_link (decoded, sink);
                gst_object_unref (sink);
                gst_object_unref (video_head);
              }), job);
      GstElement *copy = add_copy_branch (job, pad, true);
      GstPad *tee_src = gst_element_request_pad_simple (tee, "src_%u");
      GstPad *copy_sink = gst_element_get_static_pad (copy, "sink");
      gst_pad_link (tee_src, copy_sink);
      gst_object_unref (copy_sink);
      gst_object_unref (tee_src);
      for (GstElement *e : {tee, queue, decode})
        gst_element_sync_state_with_parent (e);
      head = tee;
      job->has_video = true;
    } else if (g_str_has_prefix (name, "audio/mpeg") && !job->has_audio) {
      head = add_copy_branch (job, pad, false);
      job->has_audio = true;
    } else {
      if (g_str_has_prefix (name, "audio/")) {
        g_mutex_lock (&job->lock);
        job->notes.push_back (std::string ("--copy keeps AAC and MP3 audio "
                "only: a ") + name + " stream was left out");
        g_mutex_unlock (&job->lock);
      }
      link_to_discard (bin, pad);
    }
    if (head) {
      GstPad *sink = gst_element_get_static_pad (head, "sink");
      gst_pad_link (pad, sink);
      gst_object_unref (sink);
    }
  } catch (const std::exception &e) {
    fail_from_streaming (job, e);
  }
}

void
on_no_more_pads (GstElement *, gpointer data)
{
  Job *job = (Job *) data;
  if (!job->has_video)
    GST_ELEMENT_ERROR (job->pipeline, STREAM, WRONG_TYPE,
        ("no video stream"), (NULL));
}

/* A new hidden file beside `output`: on the same filesystem, so that the
 * final rename is atomic. */
std::string
make_partial (const std::string &output)
{
  gchar *dir = g_path_get_dirname (output.c_str ());
  gchar *base = g_path_get_basename (output.c_str ());
  gchar *path = g_strdup_printf ("%s/.%s.stillframe-XXXXXX", dir, base);
  const int fd = g_mkstemp (path);
  const int error = errno;
  std::string result = path;
  g_free (path);
  g_free (base);
  if (fd < 0) {
    std::string message = std::string ("cannot write in ") + dir + ": " +
        g_strerror (error);
    g_free (dir);
    throw std::runtime_error (message);
  }
  g_free (dir);
  /* As any new file would be, not mkstemp's owner-only mode. */
  const mode_t mask = umask (0);
  umask (mask);
  fchmod (fd, 0666 & ~mask);
  close (fd);
  return result;
}

void
build_pipeline (Job *job)
{
  const Options &o = *job->options;
  if (o.trim && !o.split)
    job->partial = make_partial (job->output);
  job->pipeline = gst_pipeline_new ("stillframe");
  GstBin *bin = GST_BIN (job->pipeline);

  if (o.copy) {
    /* Compressed streams: the video is decoded for the decisions only. */
    job->gate = std::make_unique<CopyGate> ();
    GstElement *src = make ("filesrc"), *parse = make ("parsebin");
    g_object_set (src, "location", job->input.c_str (), NULL);
    add_chain (bin, {src, parse});
    g_signal_connect (parse, "pad-added", G_CALLBACK (on_copy_pad_added),
        job);
    g_signal_connect (parse, "no-more-pads", G_CALLBACK (on_no_more_pads),
        job);
  }
  GstElement *decode = o.copy ? nullptr : make ("uridecodebin", "decode");
  job->decode = decode;
  if (decode)
    stillframe::connect_decoder_filter (decode);
  gchar *uri = gst_filename_to_uri (job->input.c_str (), NULL);
  GstCaps *raw = gst_caps_from_string (o.trim ?
      "video/x-raw(ANY);audio/x-raw(ANY)" : "video/x-raw(ANY)");
  if (decode) {
    g_object_set (decode, "uri", uri, "caps", raw, "expose-all-streams",
        FALSE, NULL);
    gst_bin_add (bin, decode);
    g_signal_connect (decode, "pad-added", G_CALLBACK (on_pad_added), job);
    g_signal_connect (decode, "no-more-pads", G_CALLBACK (on_no_more_pads),
        job);
  }
  g_free (uri);
  gst_caps_unref (raw);

  GstElement *queue = make ("queue", "input-video-queue");
  g_object_set (queue, "max-size-time", (guint64) 2 * GST_SECOND,
      "max-size-bytes", 0u, "max-size-buffers", 0u, NULL);
  GstElement *convert = make ("videoconvert", "input-video-convert");
  GstElement *detect = make ("stillframedetect", "detect");
  g_object_set (detect, "post-messages", FALSE, NULL);
  for (const auto &[k, v] : o.detect_props)
    set_from_string (detect, k, v);
  job->cut = make ("stillframecut", "cut");
  for (const auto &[k, v] : o.cut_props)
    set_from_string (job->cut, k, v);
  g_object_get (job->cut, "min-static-duration", &job->min_static, NULL);
  if (!o.trim || o.copy)
    gst_util_set_object_arg (G_OBJECT (job->cut), "timestamps", "original");
  add_chain (bin, {queue, convert, detect, job->cut});

  GstPad *detect_src = gst_element_get_static_pad (detect, "src");
  gst_pad_add_probe (detect_src, GST_PAD_PROBE_TYPE_BUFFER, on_analysed, job,
      NULL);
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
      GstPad *cut_src = gst_element_get_static_pad (job->cut, "src");
      gst_pad_add_probe (cut_src, (GstPadProbeType)
          (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
          on_decided, job->gate.get (), NULL);
      gst_object_unref (cut_src);
      job->mux = make (muxer_for (job->output));
      GstElement *file = make ("filesink");
      /* Its data only flows once the appsinks run, in PLAYING: it must not
       * hold the pipeline in preroll. */
      g_object_set (file, "location", job->partial.c_str (), "async", FALSE,
          NULL);
      add_chain (bin, {job->mux, file});
    }
    return;
  }
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
  GstElement *parse = make ("h264parse");
  GstElement *out_queue = make_mux_queue ();
  add_chain (bin, {out_convert, encoder, parse, out_queue});
  link_or_throw (job->cut, out_convert);
  if (o.split) {
    job->mux = make ("splitmuxsink");
    g_object_set (job->mux, "location", split_pattern (job->output).c_str (),
        "start-index", 1, "muxer", make (muxer_for (job->output)), NULL);
    gst_bin_add (bin, job->mux);
    if (!gst_element_link_pads (out_queue, "src", job->mux, "video"))
      throw std::runtime_error ("cannot split H.264 video");
    GstPad *cut_src = gst_element_get_static_pad (job->cut, "src");
    gst_pad_add_probe (cut_src, GST_PAD_PROBE_TYPE_BUFFER, on_kept_for_split,
        job, NULL);
    gst_object_unref (cut_src);
    return;
  }
  job->mux = make (muxer_for (job->output));
  GstElement *sink = make ("filesink");
  g_object_set (sink, "location", job->partial.c_str (), NULL);
  gst_bin_add_many (bin, job->mux, sink, NULL);
  if (!gst_element_link_pads (out_queue, "src", job->mux, "video_%u"))
    throw std::runtime_error ("the muxer takes no H.264 video");
  link_or_throw (job->mux, sink);
}

/* ---- Reports ---- */

struct Range {
  double start, end;
};

std::vector<Range>
kept_ranges (Job *job)
{
  std::vector<Range> kept;
  if (job->gate) {
    /* --copy keeps whole GOPs. */
    for (const auto &[a, b] : job->gate->kept)
      kept.push_back ({a, b});
    return kept;
  }
  if (!GST_CLOCK_TIME_IS_VALID (job->first_pts))
    return kept;
  double cursor = to_seconds (job->first_pts);
  const double end = to_seconds (job->last_end);
  for (const auto &[a, b] : job->dropped) {
    if (a > cursor)
      kept.push_back ({cursor, std::min (a, end)});
    cursor = std::max (cursor, b);
  }
  if (cursor < end)
    kept.push_back ({cursor, end});
  return kept;
}

void
write_report (Job *job, const std::string &path)
{
  const Options &o = *job->options;
  std::ostringstream j;
  j << "{\n  \"version\": 1,\n";
  j << "  \"input\": \"" << json_escape (job->input) << "\",\n";
  const std::string written = o.split ? split_pattern (job->output) :
      job->output;
  j << "  \"output_video_path\": " << (o.trim && job->output_started ?
      "\"" + json_escape (written) + "\"" : std::string ("null")) << ",\n";
  if (o.split) {
    j << "  \"output_files\": [";
    for (size_t i = 0; i < job->files.size (); i++)
      j << (i ? ", " : "") << "\"" << json_escape (job->files[i]) << "\"";
    j << "],\n";
  }
  j << "  \"duration_in\": " << seconds (to_seconds (job->duration_in)) <<
      ",\n";
  j << "  \"duration_out\": " << seconds (to_seconds (job->duration_out)) <<
      ",\n";
  j << "  \"frames_in\": " << job->frames_in << ",\n";
  j << "  \"frames_out\": " << job->frames_out << ",\n";
  j << "  \"kept\": [";
  std::vector<Range> kept = kept_ranges (job);
  for (size_t i = 0; i < kept.size (); i++)
    j << (i ? ", " : "") << "[" << seconds (kept[i].start) << ", " <<
        seconds (kept[i].end) << "]";
  j << "],\n  \"events\": [";
  for (size_t i = 0; i < job->events.size (); i++) {
    const Event &e = job->events[i];
    j << (i ? "," : "") << "\n    {\"start\": " << seconds (e.start) <<
        ", \"end\": " << seconds (e.end) << ", \"peak_score\": " <<
        seconds (e.peak) << ", \"box\": {\"x\": " << e.x0 << ", \"y\": " <<
        e.y0 << ", \"width\": " << e.x1 - e.x0 << ", \"height\": " <<
        e.y1 - e.y0 << "}}";
  }
  j << (job->events.empty () ? "" : "\n  ") << "],\n  \"settings\": {";
  bool first = true;
  for (const auto *props : {&o.detect_props, &o.cut_props})
    for (const auto &[k, v] : *props) {
      j << (first ? "" : ", ") << "\"" << json_escape (k) << "\": \"" <<
          json_escape (v) << "\"";
      first = false;
    }
  j << "},\n  \"interrupted\": " << (job->interrupted ? "true" : "false") <<
      ",\n  \"damaged_input\": " << (job->damaged ? "true" : "false") <<
      ",\n  \"notes\": [";
  for (size_t i = 0; i < job->notes.size (); i++)
    j << (i ? ", " : "") << "\"" << json_escape (job->notes[i]) << "\"";
  j << "],\n  \"error\": " << (job->error.empty () ? std::string ("null") :
      "\"" + json_escape (job->error) + "\"") << "\n}\n";
  std::ofstream (path) << j.str ();
}

void
write_csv (Job *job, const std::string &path, bool append)
{
  std::ofstream out (path, append ? std::ios::app : std::ios::trunc);
  if (!append)
    out << "input,event,start_s,end_s,duration_s,peak_score,x,y,width,height\n";
  for (size_t i = 0; i < job->events.size (); i++) {
    const Event &e = job->events[i];
    out << '"' << job->input << "\"," << i + 1 << ',' << seconds (e.start) <<
        ',' << seconds (e.end) << ',' << seconds (e.end - e.start) << ',' <<
        seconds (e.peak) << ',' << e.x0 << ',' << e.y0 << ',' << e.x1 - e.x0
        << ',' << e.y1 - e.y0 << '\n';
  }
}

}  // namespace

/* ---- Running ---- */

struct App {
  Options options;
  std::deque<std::unique_ptr<Job>> pending;
  std::vector<std::unique_ptr<Job>> running, done;
  GMainLoop *loop = nullptr;
  int interrupts = 0;
  bool tty = false;
};

static App app;

static void start_next ();

static void
print_progress (Job *job, bool final_line)
{
  if (job->options->quiet)
    return;
  gint64 duration = -1;
  gst_element_query_duration (job->pipeline, GST_FORMAT_TIME, &duration);
  g_mutex_lock (&job->lock);
  const double position = to_seconds (job->last_position);
  const guint64 frames = job->frames_seen;
  g_mutex_unlock (&job->lock);
  const double elapsed = (g_get_monotonic_time () - job->started_us) / 1e6;
  const double fps = elapsed > 0 ? frames / elapsed : 0;
  const double speed = elapsed > 0 ? position / elapsed : 0;
  char line[256];
  gchar *name = g_path_get_basename (job->input.c_str ());
  if (duration > 0) {
    const double total = (double) duration / GST_SECOND;
    const double eta = speed > 0 ? (total - position) / speed : 0;
    std::snprintf (line, sizeof line, "%s: %5.1f%%  %6.0f fps  %5.1fx  ETA %s",
        name,
        std::min (100.0, 100.0 * position / total), fps, speed,
        clock_string (std::max (0.0, eta)).c_str ());
  } else {
    std::snprintf (line, sizeof line, "%s: %s  %6.0f fps  %5.1fx", name,
        clock_string (position).c_str (), fps, speed);
  }
  g_free (name);
  if (app.tty && !final_line)
    g_printerr ("\r%-78s", line);
  else
    g_printerr ("%s\n", line);
}

/* Removes whatever was written for this job. */
static void
discard_output (Job *job)
{
  if (!job->partial.empty ())
    g_unlink (job->partial.c_str ());
  for (const std::string &file : job->files)
    g_unlink (file.c_str ());
  job->files.clear ();
  job->output_started = false;
}

/* Gives the finished file the output's name (replacing an older one only
 * now, with --force). */
static void
commit_output (Job *job)
{
  if (job->partial.empty ())
    return;
  if (g_rename (job->partial.c_str (), job->output.c_str ()) != 0) {
    job->error = "cannot write " + job->output + ": " + g_strerror (errno);
    job->status = EXIT_RUNTIME;
    discard_output (job);
  }
}

/* Notes what was found wrong with the input at its end: a file that stops
 * well before the duration it declares was cut short. */
static void
check_input_complete (Job *job)
{
  g_mutex_lock (&job->lock);
  const GstClockTime read = GST_CLOCK_TIME_IS_VALID (job->first_pts) ?
      job->last_end - job->first_pts : 0;
  g_mutex_unlock (&job->lock);
  if (GST_CLOCK_TIME_IS_VALID (job->declared_duration)
      && read + GST_SECOND < job->declared_duration) {
    job->damaged = true;
    job->notes.push_back ("the input ends at " +
        clock_string (to_seconds (read)) + " of the " +
        clock_string (to_seconds (job->declared_duration)) +
        " it declares: the rest is missing or unreadable (a truncated "
        "file?)");
  }
}

static void
finish_job (Job *job)
{
  if (job->finished)
    return;
  job->finished = true;
  if (job->bus_watch)
    g_source_remove (job->bus_watch);
  job->bus_watch = 0;
  if (job->finish_timer)
    g_source_remove (job->finish_timer);
  job->finish_timer = 0;
  if (job->gate)
    job->gate->stop ();
  gst_element_set_state (job->pipeline, GST_STATE_NULL);
  if (job->gate) {
    job->frames_out = job->gate->frames_out;
    job->duration_out = job->gate->duration_out;
  }

  const Options &o = *job->options;
  if (job->status == EXIT_DONE && !job->interrupted)
    check_input_complete (job);
  if (job->status == EXIT_DONE && job->damaged)
    job->status = EXIT_DAMAGED_INPUT;
  if (job->status == EXIT_DONE || job->status == EXIT_DAMAGED_INPUT)
    commit_output (job);
  else
    discard_output (job);

  if (job->status == EXIT_DAMAGED_INPUT) {
    if (app.tty)
      g_printerr ("\r%-78s\r", "");
    g_printerr ("stillframe: %s: damaged input, kept what could be read: "
        "%s\n", job->input.c_str (), job->notes.empty () ? "" :
        job->notes.back ().c_str ());
  }
  if (job->status == EXIT_DONE || job->status == EXIT_DAMAGED_INPUT) {
    if (!o.quiet) {
      if (app.tty)
        g_printerr ("\r%-78s\r", "");
      g_printerr ("%s: kept %s of %s (%zu events)%s\n", job->input.c_str (),
          clock_string (to_seconds (job->duration_out)).c_str (),
          clock_string (to_seconds (job->duration_in)).c_str (),
          job->events.size (), job->interrupted ? ", interrupted" : "");
    }
  } else {
    if (app.tty)
      g_printerr ("\r%-78s\r", "");
    g_printerr ("stillframe: %s: %s\n", job->input.c_str (),
        job->error.c_str ());
  }
  if (!o.trim && !o.quiet && job->status == EXIT_DONE) {
    std::printf ("%s\n| event | start | end | duration | peak score |\n"
        "|---|---|---|---|---|\n", job->input.c_str ());
    for (size_t i = 0; i < job->events.size (); i++) {
      const Event &e = job->events[i];
      std::printf ("| %zu | %s | %s | %.2f s | %.4f |\n", i + 1,
          clock_string (e.start).c_str (), clock_string (e.end).c_str (),
          e.end - e.start, e.peak);
    }
  }
  if (!o.report.empty ()) {
    std::string path = o.report;
    if (o.inputs.size () > 1) {
      gchar *base = g_path_get_basename (job->input.c_str ());
      path = o.report + "/" + std::string (base) + ".json";
      g_free (base);
    }
    write_report (job, path);
  }
  if (!o.csv.empty ())
    write_csv (job, o.csv, !app.done.empty ());
}

static gboolean
on_end_timeout (gpointer data)
{
  Job *job = (Job *) data;
  job->finish_timer = 0;
  job->error += " (and what was read could not be finished in time)";
  job->status = EXIT_RUNTIME;
  finish_job (job);
  start_next ();
  return G_SOURCE_REMOVE;
}

/* Whether `element` reads or converts the input, before the cut: its
 * errors mean damaged input (odd-sized PCM, say), not a failure to write. */
static bool
reads_input (Job *job, GstObject *element)
{
  return gst_object_has_as_ancestor (element, GST_OBJECT (job->decode))
      || g_str_has_prefix (GST_OBJECT_NAME (element), "input-");
}

/* The input broke off after some frames: what was read goes to the output,
 * finished as at the end of the input. */
static void
end_input_early (Job *job)
{
  GstIterator *pads = gst_element_iterate_sink_pads (job->cut);
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next (pads, &item) == GST_ITERATOR_OK) {
    gst_pad_send_event (GST_PAD (g_value_get_object (&item)),
        gst_event_new_eos ());
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (pads);
  /* Streams that are discarded end too, or the pipeline never ends. */
  GstIterator *sinks = gst_bin_iterate_sinks (GST_BIN (job->pipeline));
  while (gst_iterator_next (sinks, &item) == GST_ITERATOR_OK) {
    GstElement *sink = GST_ELEMENT (g_value_get_object (&item));
    GstElementFactory *factory = gst_element_get_factory (sink);
    if (factory && g_str_equal (GST_OBJECT_NAME (factory), "fakesink"))
      gst_element_send_event (sink, gst_event_new_eos ());
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (sinks);
  job->finish_timer = g_timeout_add_seconds (30, on_end_timeout, job);
}

static gboolean
on_bus (GstBus *, GstMessage *msg, gpointer data)
{
  Job *job = (Job *) data;
  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_EOS:
      job->status = EXIT_DONE;
      break;
    case GST_MESSAGE_WARNING:{
      /* Decoders and demuxers warn about data they had to skip. */
      GError *error = NULL;
      gst_message_parse_warning (msg, &error, NULL);
      constexpr guint kMaxWarningNotes = 10;
      if (++job->warnings <= kMaxWarningNotes) {
        gchar *from = gst_object_get_name (GST_MESSAGE_SRC (msg));
        job->notes.push_back (std::string (from) + ": " + error->message);
        g_free (from);
      }
      g_error_free (error);
      return TRUE;
    }
    case GST_MESSAGE_ERROR:{
      GError *error = NULL;
      gchar *debug = NULL;
      gst_message_parse_error (msg, &error, &debug);
      g_mutex_lock (&job->lock);
      const bool nothing_read = job->frames_seen == 0;
      const GstClockTime read_until = job->last_end;
      g_mutex_unlock (&job->lock);
      if (!nothing_read && job->decode && reads_input (job,
              GST_MESSAGE_SRC (msg))) {
        if (!job->finish_timer) {
          job->damaged = true;
          job->notes.push_back ("reading stopped at " +
              clock_string (to_seconds (read_until)) + ": " + error->message);
          end_input_early (job);
        }
        g_error_free (error);
        g_free (debug);
        return TRUE;
      }
      const bool writing = error->domain == GST_RESOURCE_ERROR
          && (error->code == GST_RESOURCE_ERROR_NO_SPACE_LEFT
          || error->code == GST_RESOURCE_ERROR_WRITE
          || error->code == GST_RESOURCE_ERROR_OPEN_WRITE
          || error->code == GST_RESOURCE_ERROR_CLOSE);
      /* decodebin gives up on a stream it could not decode: when that was
       * the only one, and not video, the input has no video. */
      if (g_error_matches (error, GST_CORE_ERROR,
              GST_CORE_ERROR_MISSING_PLUGIN) && !job->has_video) {
        g_free (error->message);
        error->message = g_strdup ("no video stream");
      }
      g_mutex_lock (&job->lock);
      if (job->error.empty ())
        job->error = writing ? "cannot write " + job->output + ": " +
            error->message : nothing_read && !g_str_equal (error->message,
            "no video stream") ? std::string ("not a video that can be "
            "read: ") + error->message : std::string (error->message);
      g_mutex_unlock (&job->lock);
      job->status = nothing_read && !writing ? EXIT_BAD_INPUT : EXIT_RUNTIME;
      g_error_free (error);
      g_free (debug);
      break;
    }
    case GST_MESSAGE_ELEMENT:{
      const GstStructure *s = gst_message_get_structure (msg);
      if (gst_is_missing_plugin_message (msg)) {
        gchar *what = gst_missing_plugin_message_get_description (msg);
        const GstCaps *detail = NULL;
        const GValue *value = gst_structure_get_value (s, "detail");
        if (value && GST_VALUE_HOLDS_CAPS (value))
          detail = gst_value_get_caps (value);
        const bool audio = detail && !gst_caps_is_empty (detail)
            && g_str_has_prefix (gst_structure_get_name
            (gst_caps_get_structure (detail, 0)), "audio/");
        /* Audio that cannot be decoded is left out; video is the job. */
        if (audio) {
          job->notes.push_back (std::string ("left out: no GStreamer "
                  "plugin for ") + what);
          g_free (what);
          return TRUE;
        }
        job->error = std::string ("no GStreamer plugin for ") + what +
            ": install gstreamer1.0-libav (or -plugins-bad, -plugins-ugly)";
        job->status = EXIT_BAD_INPUT;
        g_free (what);
        break;
      }
      if (gst_structure_has_name (s, "splitmuxsink-fragment-closed")) {
        job->files.push_back (gst_structure_get_string (s, "location"));
        return TRUE;
      }
      if (gst_structure_has_name (s, "stillframe-cut")) {
        guint64 start, stop;
        gst_structure_get (s, "start", G_TYPE_UINT64, &start, "stop",
            G_TYPE_UINT64, &stop, NULL);
        job->dropped.push_back ({to_seconds (start), to_seconds (stop)});
      } else if (gst_structure_has_name (s, "stillframe-cut-summary")) {
        guint64 din, dout;
        gst_structure_get (s, "frames-in", G_TYPE_UINT64, &job->frames_in,
            "frames-out", G_TYPE_UINT64, &job->frames_out,
            "duration-in", G_TYPE_UINT64, &din, "duration-out",
            G_TYPE_UINT64, &dout, NULL);
        job->duration_in = din;
        job->duration_out = dout;
        job->summary_seen = true;
      }
      return TRUE;
    }
    case GST_MESSAGE_STATE_CHANGED:
      if (GST_MESSAGE_SRC (msg) == GST_OBJECT (job->pipeline)) {
        GstState state;
        gst_message_parse_state_changed (msg, NULL, &state, NULL);
        if (state == GST_STATE_PLAYING && !job->has_video) {
          job->error = "no video stream";
          job->status = EXIT_BAD_INPUT;
          break;
        }
        job->output_started |= state >= GST_STATE_PAUSED;
        gint64 duration;
        if (state == GST_STATE_PLAYING && job->decode
            && !GST_CLOCK_TIME_IS_VALID (job->declared_duration)
            && gst_element_query_duration (job->pipeline, GST_FORMAT_TIME,
                &duration) && duration > 0)
          job->declared_duration = duration;
      }
      return TRUE;
    default:
      return TRUE;
  }
  finish_job (job);
  start_next ();
  return TRUE;
}

static void
start_next ()
{
  /* Move finished jobs aside; start more while slots are free. */
  for (auto it = app.running.begin (); it != app.running.end ();) {
    if ((*it)->finished) {
      app.done.push_back (std::move (*it));
      it = app.running.erase (it);
    } else {
      ++it;
    }
  }
  while ((int) app.running.size () < app.options.jobs && !app.pending.empty ()
      && app.interrupts == 0) {
    std::unique_ptr<Job> job = std::move (app.pending.front ());
    app.pending.pop_front ();
    Job *j = job.get ();
    app.running.push_back (std::move (job));
    try {
      build_pipeline (j);
    } catch (const std::exception &e) {
      j->error = e.what ();
      j->status = EXIT_RUNTIME;
      j->pipeline = j->pipeline ? j->pipeline : gst_pipeline_new (NULL);
      finish_job (j);
      continue;
    }
    GstBus *bus = gst_element_get_bus (j->pipeline);
    j->bus_watch = gst_bus_add_watch (bus, on_bus, j);
    gst_object_unref (bus);
    j->started_us = g_get_monotonic_time ();
    if (gst_element_set_state (j->pipeline, GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE && j->error.empty ()) {
      j->error = "could not start";
      j->status = EXIT_RUNTIME;
    }
  }
  if (app.running.empty () || std::all_of (app.running.begin (),
          app.running.end (), [] (auto &j) { return j->finished; })) {
    for (auto &j : app.running)
      app.done.push_back (std::move (j));
    app.running.clear ();
    if (app.pending.empty () || app.interrupts > 0)
      g_main_loop_quit (app.loop);
  }
}

/* A demuxer or decoder stuck on a damaged file produces nothing and no
 * error: a job whose frame count stops moving is ended, keeping what was
 * read. */
static void
watch_for_stall (Job *job, gint64 now)
{
  g_mutex_lock (&job->lock);
  const guint64 frames = job->frames_seen;
  const GstClockTime read_until = job->last_end;
  g_mutex_unlock (&job->lock);
  if (job->watched_since_us == 0 || frames != job->watched_frames) {
    job->watched_frames = frames;
    job->watched_since_us = now;
    return;
  }
  const GstClockTime stalled = (now - job->watched_since_us) * GST_USECOND;
  /* Once interrupted or ending early, the input stops on purpose. */
  if (stalled < job->options->stall_timeout || job->finish_timer
      || job->interrupted)
    return;
  const std::string seconds = std::to_string ((int) to_seconds (stalled));
  if (frames > 0 && job->decode) {
    job->damaged = true;
    job->notes.push_back ("reading stalled at " +
        clock_string (to_seconds (read_until)) + " (nothing decoded for " +
        seconds + " s)");
    end_input_early (job);
    return;
  }
  job->error = frames == 0 ? "not a video that can be read: nothing was "
      "decoded in " + seconds + " s" : "stalled: nothing decoded for " +
      seconds + " s";
  job->status = frames == 0 ? EXIT_BAD_INPUT : EXIT_RUNTIME;
  finish_job (job);
}

static gboolean
on_tick (gpointer)
{
  const gint64 now = g_get_monotonic_time ();
  bool any_finished = false;
  for (auto &job : app.running) {
    if (!job->finished)
      watch_for_stall (job.get (), now);
    any_finished |= job->finished;
  }
  if (any_finished)
    start_next ();
  for (auto &job : app.running) {
    if (job->finished)
      continue;
    if (app.tty || now - job->last_progress_us >= 5 * G_USEC_PER_SEC) {
      print_progress (job.get (), false);
      job->last_progress_us = now;
    }
  }
  return G_SOURCE_CONTINUE;
}

/* Stops every running job at once; leaves no half-written file. */
static void
abort_all ()
{
  for (auto &job : app.running) {
    if (job->finished)
      continue;
    job->interrupted = true;
    job->error = "aborted";
    job->status = EXIT_INTERRUPTED;
    gst_element_set_state (job->pipeline, GST_STATE_NULL);
    discard_output (job.get ());
    job->finished = true;
  }
  g_main_loop_quit (app.loop);
}

static gboolean
on_finish_timeout (gpointer)
{
  g_printerr ("stillframe: the output did not finish in time, aborting\n");
  abort_all ();
  return G_SOURCE_REMOVE;
}

static gboolean
on_signal (gpointer)
{
  app.interrupts++;
  if (app.interrupts > 1) {
    abort_all ();
    return G_SOURCE_REMOVE;
  }
  g_printerr ("\nstillframe: finishing the output (interrupt again to "
      "abort)\n");
  for (auto &job : app.running) {
    if (job->finished)
      continue;
    job->interrupted = true;
    g_mutex_lock (&job->lock);
    const bool started = job->frames_seen > 0;
    g_mutex_unlock (&job->lock);
    if (!started) {
      /* Nothing to finish: stop it and remove its output. */
      job->status = EXIT_INTERRUPTED;
      job->error = "interrupted before any frame";
      gst_element_set_state (job->pipeline, GST_STATE_NULL);
      finish_job (job.get ());
      continue;
    }
    gst_element_send_event (job->pipeline, gst_event_new_eos ());
  }
  g_timeout_add_seconds (30, on_finish_timeout, NULL);
  start_next ();
  return G_SOURCE_CONTINUE;
}

/* ---- Command line ---- */

static void
usage (FILE *to)
{
  std::fprintf (to,
      "Usage:\n"
      "  stillframe trim INPUT... -o OUTPUT [options]   write the moving parts\n"
      "  stillframe scan INPUT... [options]             list the events\n"
      "\n"
      "INPUT is a video file or a folder (its videos are processed). With\n"
      "several inputs, OUTPUT is a folder.\n"
      "\n"
      "Options:\n"
      "  -o, --output PATH        output file (.mp4, .mkv, .mov) or folder\n"
      "  --split                  one file per kept span: OUT-0001.mp4, ...\n"
      "  --copy                   no re-encoding: whole GOPs of the input's packets\n"
      "  --report FILE.json       write a JSON report (a folder for several inputs)\n"
      "  --csv FILE               write the event list as CSV\n"
      "  --quality N              x264 quantizer, 0-51, lower is better (23)\n"
      "  --preset NAME            x264 speed preset (veryfast)\n"
      "  --threshold X            changed fraction of the frame for motion (0.0005)\n"
      "  --sensitivity X          0-1, higher finds fainter changes (0.5)\n"
      "  --analysis-width N       width of the analysed image (160)\n"
      "  --regions R              only analyse x,y,w,h[;...] (pixels or fractions)\n"
      "  --ignore-regions R       never analyse these rectangles\n"
      "  --ignore-mask FILE.pgm   never analyse the black parts of this picture\n"
      "  --min-static SECONDS     shorter static spans are kept (3)\n"
      "  --pre-roll SECONDS       kept before motion (1)\n"
      "  --post-roll SECONDS      kept after motion (1)\n"
      "  -j, --jobs N             inputs processed at once (1)\n"
      "  --stall-timeout SECONDS  give up on an input that decodes nothing\n"
      "                           for this long (30)\n"
      "  -y, --force              overwrite existing outputs\n"
      "  -q, --quiet              no progress or summaries\n"
      "  -h, --help               this help\n"
      "\n"
      "Exit codes: 0 done, 1 bad usage or bad input, 2 runtime failure,\n"
      "3 damaged input (what could be read was written), 130 interrupted.\n");
}

static bool
is_video_file (const std::string &path)
{
  const std::string ext = extension_of (path);
  for (const char *e : kVideoExtensions)
    if (ext == e)
      return true;
  return false;
}

static int
parse_args (int argc, char **argv, Options &o)
{
  if (argc < 2) {
    usage (stderr);
    return EXIT_BAD_INPUT;
  }
  const std::string command = argv[1];
  if (command == "-h" || command == "--help") {
    usage (stdout);
    return -1;
  }
  if (command != "trim" && command != "scan") {
    std::fprintf (stderr, "stillframe: unknown command '%s' (trim or scan)\n",
        command.c_str ());
    return EXIT_BAD_INPUT;
  }
  o.trim = command == "trim";
  auto need = [&] (int &i) -> std::string {
    if (i + 1 >= argc)
      throw std::invalid_argument (std::string (argv[i]) + " needs a value");
    return argv[++i];
  };
  auto nanoseconds = [] (const std::string &value) {
    char *end = nullptr;
    const double s = std::strtod (value.c_str (), &end);
    if (end == value.c_str () || *end || s < 0 || s > 3600)
      throw std::invalid_argument ("'" + value + "' is not a duration in "
          "seconds (0-3600)");
    return std::to_string ((guint64) std::llround (s * GST_SECOND));
  };
  try {
    for (int i = 2; i < argc; i++) {
      const std::string a = argv[i];
      if (a == "-o" || a == "--output")
        o.output = need (i);
      else if (a == "--report")
        o.report = need (i);
      else if (a == "--csv")
        o.csv = need (i);
      else if (a == "--quality")
        o.quality = std::stoi (need (i));
      else if (a == "--preset")
        o.preset = need (i);
      else if (a == "--threshold" || a == "--sensitivity"
          || a == "--analysis-width" || a == "--regions"
          || a == "--ignore-regions" || a == "--ignore-mask")
        o.detect_props.push_back ({a.substr (2), need (i)});
      else if (a == "--min-static")
        o.cut_props.push_back ({"min-static-duration", nanoseconds (need (i))});
      else if (a == "--pre-roll")
        o.cut_props.push_back ({"pre-roll", nanoseconds (need (i))});
      else if (a == "--post-roll")
        o.cut_props.push_back ({"post-roll", nanoseconds (need (i))});
      else if (a == "--stall-timeout")
        o.stall_timeout = std::stoull (nanoseconds (need (i)));
      else if (a == "-j" || a == "--jobs")
        o.jobs = std::stoi (need (i));
      else if (a == "-y" || a == "--force")
        o.force = true;
      else if (a == "--split")
        o.split = true;
      else if (a == "--copy")
        o.copy = true;
      else if (a == "-q" || a == "--quiet")
        o.quiet = true;
      else if (a == "-h" || a == "--help") {
        usage (stdout);
        return -1;
      } else if (a.size () > 1 && a[0] == '-')
        throw std::invalid_argument ("unknown option " + a);
      else
        o.inputs.push_back (a);
    }
  } catch (const std::exception &e) {
    std::fprintf (stderr, "stillframe: %s\n", e.what ());
    return EXIT_BAD_INPUT;
  }
  if (o.inputs.empty ()) {
    std::fprintf (stderr, "stillframe: no input given\n");
    return EXIT_BAD_INPUT;
  }
  if (o.jobs < 1 || o.quality < 0 || o.quality > 51) {
    std::fprintf (stderr, "stillframe: --jobs must be >= 1 and --quality "
        "0-51\n");
    return EXIT_BAD_INPUT;
  }
  if ((o.split || o.copy) && !o.trim) {
    std::fprintf (stderr, "stillframe: --split and --copy are for trim\n");
    return EXIT_BAD_INPUT;
  }
  if (o.split && o.copy) {
    std::fprintf (stderr, "stillframe: --split cannot be combined with "
        "--copy yet\n");
    return EXIT_BAD_INPUT;
  }
  if (o.trim && o.output.empty ()) {
    std::fprintf (stderr, "stillframe: trim needs -o OUTPUT\n");
    return EXIT_BAD_INPUT;
  }
  return EXIT_DONE;
}

/* Expands folders; checks every input and output before anything runs. */
static int
plan_jobs (Options &o)
{
  std::vector<std::string> files;
  for (const std::string &input : o.inputs) {
    if (g_file_test (input.c_str (), G_FILE_TEST_IS_DIR)) {
      GDir *dir = g_dir_open (input.c_str (), 0, NULL);
      std::vector<std::string> found;
      while (const gchar *name = dir ? g_dir_read_name (dir) : NULL) {
        std::string path = input + "/" + name;
        if (is_video_file (path) && g_file_test (path.c_str (),
                G_FILE_TEST_IS_REGULAR))
          found.push_back (path);
      }
      if (dir)
        g_dir_close (dir);
      std::sort (found.begin (), found.end ());
      if (found.empty ())
        std::fprintf (stderr, "stillframe: %s: no video files in this "
            "folder\n", input.c_str ());
      files.insert (files.end (), found.begin (), found.end ());
    } else {
      files.push_back (input);
    }
  }
  o.inputs = files;
  if (files.empty ())
    return EXIT_BAD_INPUT;
  const bool many = files.size () > 1;
  if (o.trim && many) {
    g_mkdir_with_parents (o.output.c_str (), 0755);
    if (!g_file_test (o.output.c_str (), G_FILE_TEST_IS_DIR)) {
      std::fprintf (stderr, "stillframe: with several inputs, -o must be a "
          "folder: %s\n", o.output.c_str ());
      return EXIT_BAD_INPUT;
    }
  }
  if (!o.report.empty () && many)
    g_mkdir_with_parents (o.report.c_str (), 0755);
  int status = EXIT_DONE;
  for (const std::string &input : files) {
    auto job = std::make_unique<Job> ();
    job->options = &o;
    job->input = input;
    if (o.trim) {
      if (many) {
        gchar *base = g_path_get_basename (input.c_str ());
        std::string stem = base;
        g_free (base);
        stem = stem.substr (0, stem.rfind ('.'));
        const std::string ext = extension_of (input) == ".mkv" ? ".mkv" :
            ".mp4";
        job->output = o.output + "/" + stem + ext;
      } else {
        job->output = o.output;
      }
    }
    std::string problem;
    if (!g_file_test (input.c_str (), G_FILE_TEST_EXISTS))
      problem = "no such file";
    else if (g_file_test (input.c_str (), G_FILE_TEST_IS_DIR))
      problem = "is a folder";
    else if (access (input.c_str (), R_OK) != 0)
      problem = "cannot be read (permission denied)";
    else if (o.trim && !muxer_for (job->output))
      problem = "output " + job->output + ": unknown container (use .mp4, "
          ".mkv or .mov)";
    else if (o.trim && !o.force && g_file_test ((o.split ?
                split_file (job->output, 1) : job->output).c_str (),
            G_FILE_TEST_EXISTS))
      problem = "output " + job->output + " exists (use --force to "
          "overwrite)";
    else if (o.trim) {
      gchar *dir = g_path_get_dirname (job->output.c_str ());
      if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
        problem = "output folder " + std::string (dir) + " does not exist";
      else if (access (dir, W_OK) != 0)
        problem = "output folder " + std::string (dir) + " is not writable";
      g_free (dir);
    }
    if (o.trim && !problem.empty () && g_file_test (input.c_str (),
            G_FILE_TEST_IS_REGULAR) && job->output == input)
      problem = "output would overwrite the input";
    if (!problem.empty ()) {
      std::fprintf (stderr, "stillframe: %s: %s\n", input.c_str (),
          problem.c_str ());
      status = EXIT_BAD_INPUT;
      continue;
    }
    app.pending.push_back (std::move (job));
  }
  return status;
}

int
main (int argc, char **argv)
{
  gst_init (NULL, NULL);
  int status = parse_args (argc, argv, app.options);
  if (status < 0)
    return EXIT_DONE;
  if (status != EXIT_DONE)
    return status;
  status = plan_jobs (app.options);
  if (app.pending.empty ())
    return status;

  app.tty = isatty (STDERR_FILENO);
  app.loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, on_signal, NULL);
  g_unix_signal_add (SIGTERM, on_signal, NULL);
  g_timeout_add (app.tty ? 500 : 1000, on_tick, NULL);
  /* Started from the loop, so that a job failing at once can quit it. */
  g_idle_add ([] (gpointer) -> gboolean {
        start_next ();
        return G_SOURCE_REMOVE;
      }, NULL);
  g_main_loop_run (app.loop);

  bool interrupted = app.interrupts > 0;
  for (auto &job : app.done) {
    if (job->status == EXIT_DAMAGED_INPUT && status == EXIT_DONE)
      status = EXIT_DAMAGED_INPUT;
    if (job->status == EXIT_BAD_INPUT && (status == EXIT_DONE
            || status == EXIT_DAMAGED_INPUT))
      status = EXIT_BAD_INPUT;
    if (job->status == EXIT_RUNTIME)
      status = EXIT_RUNTIME;
  }
  app.done.clear ();
  app.running.clear ();
  g_main_loop_unref (app.loop);
  return interrupted ? EXIT_INTERRUPTED : status;
}
