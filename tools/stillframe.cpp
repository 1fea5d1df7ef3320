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
 * Nothing the user owns is touched: every path the run writes is checked
 * against every input and against each other before anything is written,
 * and each file is written under a hidden name and renamed, without
 * replacing anything unless --force, only once complete (filesafety.h).
 *
 * Threads: the main loop owns the jobs. What streaming threads learn (the
 * analysed frames, errors, notes, --split's parts) is under Job::lock;
 * has_video/has_audio are atomics set where the decoder exposes its pads.
 */
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/audio/audio.h>
#include <gst/gst.h>
#include <gst/pbutils/pbutils.h>

#include "autoplug.h"
#include "filesafety.h"
#include "mp4headers.h"
#include "options.h"
#include "textformat.h"

#include <glib-unix.h>
#include <glib/gstdio.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <clocale>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace stillframe::cli;

/* AAC encoders start with 1024 samples of priming that GStreamer 1.22's
 * muxers do not signal: players would sound that late. */
constexpr guint kAacPriming = 1024;
constexpr const char *kVideoExtensions[] = {
  ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".ts", ".mts", ".m2ts",
  ".mpg", ".mpeg", ".flv", ".3gp", ".wmv", ".ogv",
};
/* Results of finished jobs waiting for an earlier one, so that tables and
 * CSV rows follow the input order: at most this many per parallel job,
 * so a batch's memory does not grow with its length. */
constexpr std::size_t kResultsAheadPerJob = 4;

/* An input as the run reads it. */
struct Input {
  enum class Kind { File, Pipe, Stdin };
  std::string name;             /* as given or found: messages, reports */
  Kind kind = Kind::File;
  std::string path;             /* the file or FIFO; empty for stdin */
};

struct Event {
  double start = 0, end = 0, peak = 0;
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};

struct Range {
  double start, end;
};

double
to_seconds (GstClockTime t)
{
  return GST_CLOCK_TIME_IS_VALID (t) ? (double) t / GST_SECOND : 0.0;
}

/* Ranges clipped to [0, limit], without empty ones, touching ones merged:
 * what the report lists as kept. */
std::vector<Range>
tidy_ranges (std::vector<Range> ranges, double limit)
{
  constexpr double kTouching = 1e-6;
  std::vector<Range> tidy;
  for (Range r : ranges) {
    r.start = std::clamp (r.start, 0.0, limit);
    r.end = std::clamp (r.end, 0.0, limit);
    if (r.end - r.start < kTouching)
      continue;
    if (!tidy.empty () && r.start <= tidy.back ().end + kTouching)
      tidy.back ().end = std::max (tidy.back ().end, r.end);
    else
      tidy.push_back (r);
  }
  return tidy;
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

  /* For the report (lock): kept GOPs in running time. */
  guint64 frames_out = 0;
  std::vector<Range> kept;

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

/* An MP4 read with a few header bytes replaced (mp4headers.h), through an
 * appsrc that qtdemux reads like a file: the user's file is never
 * written. The appsrc's streaming thread only, after setup. */
struct PatchedReader {
  int fd = -1;
  guint64 size = 0, offset = 0;
  std::vector<BytePatch> patches;

  ~PatchedReader ()
  {
    if (fd >= 0)
      close (fd);
  }
};

/* One input's pipeline and what is learned from it. */
struct Job {
  /* Planned before it starts; read-only after. */
  const Options *options = nullptr;
  std::size_t index = 0;        /* in input order */
  Input input;
  std::string output;           /* trim's video (with --split: the base) */
  std::string report_path;      /* "" none, "-" standard output */

  /* The main thread's. */
  GstElement *pipeline = nullptr;
  GstElement *cut = nullptr, *mux = nullptr;
  GstElement *decode = nullptr;         /* not in --copy mode */
  guint bus_watch = 0, finish_timer = 0;
  int input_fd = -1;                    /* a FIFO we opened */
  std::unique_ptr<PatchedReader> reader;
  /* The output being written, hidden until complete (not with --split). */
  std::unique_ptr<PendingFile> partial;
  bool finished = false, interrupted = false;
  int status = EXIT_DONE;
  /* Part of the input was missing or unreadable; what was read is kept. */
  bool damaged = false;
  bool nothing_kept = false;
  GstClockTime declared_duration = GST_CLOCK_TIME_NONE;
  guint warnings = 0;
  /* Dropped spans from the cut's messages, in stream time. */
  std::vector<Range> dropped;
  guint64 frames_in = 0, frames_out = 0;
  GstClockTime duration_in = 0, duration_out = 0;
  bool summary_seen = false;
  std::vector<std::string> files;       /* written, in order */
  gint64 started_us = 0;
  gint64 last_progress_us = 0;
  /* The stall watchdog: frames_seen when it last changed, and when. */
  guint64 watched_frames = 0;
  gint64 watched_since_us = 0;
  GstClockTime min_static = 3 * GST_SECOND;
  std::unique_ptr<CopyGate> gate;

  /* Set where the decoder exposes pads, read by the main thread. */
  std::atomic<bool> has_video {false}, has_audio {false};

  /* Written by streaming threads, read by the main thread: lock. */
  GMutex lock;
  std::string error;
  std::vector<std::string> notes;
  std::vector<PendingFile> parts;       /* --split's, hidden until the end */
  int copied_rotation = 0;              /* --copy: the input's, clockwise */
  guint64 frames_seen = 0;
  /* The first frame's stream and running time: the report's time 0. */
  GstClockTime origin_stream = GST_CLOCK_TIME_NONE;
  GstClockTime origin_running = GST_CLOCK_TIME_NONE;
  GstClockTime last_position = GST_CLOCK_TIME_NONE;     /* stream time */
  GstClockTime last_end = 0;                            /* stream time */
  std::vector<Event> events;            /* seconds from time 0 */
  bool in_motion = false;
  GstClockTime last_motion_end = 0;

  /* The detect probe's streaming thread only. */
  GstSegment segment;

  Job () { g_mutex_init (&lock); gst_segment_init (&segment, GST_FORMAT_TIME); }
  ~Job ()
  {
    if (gate)
      gate->stop ();
    if (pipeline) {
      gst_element_set_state (pipeline, GST_STATE_NULL);
      gst_object_unref (pipeline);
    }
    if (input_fd >= 0)
      close (input_fd);
    g_mutex_clear (&lock);
  }

  /* The first error is the one reported. */
  void fail (const std::string &message)
  {
    g_mutex_lock (&lock);
    if (error.empty ())
      error = message;
    g_mutex_unlock (&lock);
  }
  std::string error_message ()
  {
    g_mutex_lock (&lock);
    std::string e = error;
    g_mutex_unlock (&lock);
    return e;
  }
  void note (const std::string &message)
  {
    g_mutex_lock (&lock);
    notes.push_back (message);
    g_mutex_unlock (&lock);
  }
};

/* ---- Pipeline construction ---- */

GstElement *
make (const char *factory, const char *name = nullptr)
{
  GstElement *e = gst_element_factory_make (factory, name);
  if (!e)
    throw std::runtime_error (std::string ("GStreamer element '") + factory +
        "' is missing");
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
  const std::size_t dot = path.rfind ('.'), slash = path.rfind ('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash))
    return "";
  gchar *lower = g_ascii_strdown (path.c_str () + dot, -1);
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

/* A failure on a streaming thread: its message, as a bus error. */
void
fail_from_streaming (Job *job, const std::string &message)
{
  job->fail (message);
  GST_ELEMENT_ERROR (job->pipeline, CORE, PAD, ("%s", message.c_str ()),
      (NULL));
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
    job->parts.push_back (std::move (part));
    g_mutex_unlock (&job->lock);
    return location;
  } catch (const std::runtime_error &e) {
    fail_from_streaming (job, e.what ());
    return NULL;
  }
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
    return GST_PAD_PROBE_OK;
  }
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  GstCustomMeta *meta = gst_buffer_get_custom_meta (buffer,
      "StillframeMotionMeta");
  const GstClockTime pts = GST_BUFFER_PTS (buffer);
  const GstClockTime stream = gst_segment_to_stream_time (&job->segment,
      GST_FORMAT_TIME, pts);
  const GstClockTime running = gst_segment_to_running_time (&job->segment,
      GST_FORMAT_TIME, pts);
  const GstClockTime end = stream + (GST_BUFFER_DURATION_IS_VALID (buffer) ?
      GST_BUFFER_DURATION (buffer) : 0);
  g_mutex_lock (&job->lock);
  job->frames_seen++;
  if (GST_CLOCK_TIME_IS_VALID (stream)) {
    if (!GST_CLOCK_TIME_IS_VALID (job->origin_stream)) {
      job->origin_stream = stream;
      job->origin_running = running;
    }
    job->last_position = stream;
    job->last_end = std::max (job->last_end, end);
  }
  if (meta && GST_CLOCK_TIME_IS_VALID (stream)) {
    const GstStructure *s = gst_custom_meta_get_structure (meta);
    gboolean motion = FALSE;
    double score = 0;
    int x = 0, y = 0, w = 0, h = 0;
    gst_structure_get_boolean (s, "motion", &motion);
    gst_structure_get_double (s, "score", &score);
    gst_structure_get (s, "x", G_TYPE_INT, &x, "y", G_TYPE_INT, &y,
        "width", G_TYPE_INT, &w, "height", G_TYPE_INT, &h, NULL);
    const GstClockTime origin = job->origin_stream;
    if (motion) {
      /* Motion runs closer than min-static-duration are one event, as the
       * cut keeps them together. */
      if (job->events.empty () || (!job->in_motion
              && stream - job->last_motion_end >= job->min_static)) {
        Event e;
        e.start = to_seconds (stream - std::min (stream, origin));
        e.x0 = x, e.y0 = y, e.x1 = x + w, e.y1 = y + h;
        job->events.push_back (e);
      }
      Event &e = job->events.back ();
      e.end = to_seconds (end - std::min (end, origin));
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
  job->has_video = true;
}

void
on_pad_added (GstElement *, GstPad *pad, gpointer data)
{
  Job *job = (Job *) data;
  const std::string media = media_type (pad);
  try {
    /* Undecoded video (no decoder; decodebin says which is missing) and
     * other streams (a second audio track, subtitles) are not kept. */
    if (media == "video/x-raw" && !job->has_video)
      link_decoded_video (job, pad);
    else if (media == "audio/x-raw" && job->options->trim
        && !job->has_audio)
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
  if (keep) {
    gate->kept.push_back ({to_seconds (start - kCopyOffset),
          to_seconds (next_start - kCopyOffset)});
    gate->frames_out += gate->gop.size ();
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
  g_mutex_lock (&job->lock);
  job->copied_rotation = std::max (rotation, 0);
  g_mutex_unlock (&job->lock);
  g_free (orientation);
  return GST_PAD_PROBE_OK;
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
                if (media_type (decoded) == "video/x-raw")
                  link_decoded_video ((Job *) d, decoded);
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
    } else if (g_str_has_prefix (name, "audio/mpeg") && !job->has_audio) {
      head = add_copy_branch (job, pad, false);
      job->has_audio = true;
    } else {
      if (g_str_has_prefix (name, "audio/"))
        job->note (std::string ("--copy keeps AAC and MP3 audio only: a ") +
            name + " stream was left out");
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
  if (!job->has_video)
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
    auto reader = std::make_unique<PatchedReader> ();
    reader->fd = open (job->input.path.c_str (), O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (reader->fd < 0 || fstat (reader->fd, &st) != 0)
      throw std::runtime_error (std::string ("cannot open: ") +
          g_strerror (errno));
    reader->size = (guint64) st.st_size;
    reader->patches = std::move (patches);
    job->reader = std::move (reader);
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
  PatchedReader *reader = (PatchedReader *) data;
  if (reader->offset >= reader->size) {
    gst_app_src_end_of_stream (src);
    return;
  }
  const guint64 n = std::min<guint64> (length ? length : 65536,
      reader->size - reader->offset);
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, n, NULL);
  GstMapInfo map;
  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  guint64 done = 0;
  while (done < n) {
    const ssize_t got = pread (reader->fd, map.data + done, n - done,
        (off_t) (reader->offset + done));
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      break;
    done += (guint64) got;
  }
  for (const BytePatch &patch : reader->patches)
    for (std::size_t i = 0; i < patch.bytes.size (); i++)
      if (patch.offset + i >= reader->offset && patch.offset + i <
          reader->offset + done)
        map.data[patch.offset + i - reader->offset] = patch.bytes[i];
  gst_buffer_unmap (buffer, &map);
  if (done < n) {
    gst_buffer_unref (buffer);
    GST_ELEMENT_ERROR (src, RESOURCE, READ, (NULL), ("%s",
            g_strerror (errno)));
    return;
  }
  GST_BUFFER_OFFSET (buffer) = reader->offset;
  reader->offset += n;
  gst_app_src_push_buffer (src, buffer);
}

void
setup_patched_source (Job *job, GstElement *source)
{
  if (!job->reader || !GST_IS_APP_SRC (source))
    return;
  g_object_set (source, "stream-type", GST_APP_STREAM_TYPE_RANDOM_ACCESS,
      "size", (gint64) job->reader->size, "format", GST_FORMAT_BYTES, NULL);
  GstAppSrcCallbacks callbacks = { };
  callbacks.need_data = on_patched_need_data;
  callbacks.seek_data = [] (GstAppSrc *, guint64 offset, gpointer data) ->
      gboolean {
    ((PatchedReader *) data)->offset = offset;
    return TRUE;
  };
  gst_app_src_set_callbacks (GST_APP_SRC (source), &callbacks,
      job->reader.get (), NULL);
}

void
build_pipeline (Job *job)
{
  const Options &o = *job->options;
  if (o.trim && !o.split)
    job->partial = std::make_unique<PendingFile> (job->output);
  job->pipeline = gst_pipeline_new ("stillframe");
  GstBin *bin = GST_BIN (job->pipeline);
  const std::string uri = open_input (job);

  if (o.copy) {
    /* Compressed streams: the video is decoded for the decisions only. */
    job->gate = std::make_unique<CopyGate> ();
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
    g_signal_connect (parse, "pad-added", G_CALLBACK (on_copy_pad_added),
        job);
    g_signal_connect (parse, "no-more-pads", G_CALLBACK (on_no_more_pads),
        job);
  } else {
    GstElement *decode = make ("uridecodebin", "decode");
    job->decode = decode;
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
      GstPad *cut_src = gst_element_get_static_pad (job->cut, "src");
      gst_pad_add_probe (cut_src, (GstPadProbeType)
          (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
          on_decided, job->gate.get (), NULL);
      gst_object_unref (cut_src);
      job->mux = make (muxer_for (job->output));
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
  add_chain (bin, {flip, out_convert, encoder, parse, out_queue});
  link_or_throw (job->cut, flip);
  GstPad *cut_src = gst_element_get_static_pad (job->cut, "src");
  gst_pad_add_probe (cut_src, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      drop_preroll_gap, NULL, NULL);
  if (o.split) {
    job->mux = make ("splitmuxsink");
    g_object_set (job->mux, "muxer", make (muxer_for (job->output)), NULL);
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
  job->mux = make (muxer_for (job->output));
  GstElement *sink = make ("filesink");
  g_object_set (sink, "location", job->partial->path ().c_str (), NULL);
  gst_bin_add_many (bin, job->mux, sink, NULL);
  if (!gst_element_link_pads (out_queue, "src", job->mux, "video_%u"))
    throw std::runtime_error ("the muxer takes no H.264 video");
  link_or_throw (job->mux, sink);
}

/* ---- Reports ---- */

/* What went to the output, in seconds from the input's first frame. */
std::vector<Range>
kept_ranges (Job *job)
{
  g_mutex_lock (&job->lock);
  const GstClockTime origin_stream = job->origin_stream;
  const GstClockTime origin_running = job->origin_running;
  g_mutex_unlock (&job->lock);
  if (!GST_CLOCK_TIME_IS_VALID (origin_stream))
    return {};
  const double limit = to_seconds (job->duration_in);
  std::vector<Range> kept;
  if (job->gate) {
    /* --copy keeps whole GOPs. */
    const double origin = to_seconds (origin_running);
    g_mutex_lock (&job->gate->lock);
    for (const Range &r : job->gate->kept)
      kept.push_back ({r.start - origin, r.end - origin});
    g_mutex_unlock (&job->gate->lock);
    return tidy_ranges (kept, limit);
  }
  const double origin = to_seconds (origin_stream);
  double cursor = 0;
  for (const Range &d : job->dropped) {
    if (d.start - origin > cursor)
      kept.push_back ({cursor, d.start - origin});
    cursor = std::max (cursor, d.end - origin);
  }
  kept.push_back ({cursor, limit});
  return tidy_ranges (kept, limit);
}

/* JSON without line breaks, for reports on standard output (JSON Lines):
 * none of ours is inside a string, where they are escaped. */
std::string
one_line (const std::string &json)
{
  std::string out;
  for (std::size_t i = 0; i < json.size (); i++) {
    if (json[i] != '\n') {
      out += json[i];
      continue;
    }
    while (i + 1 < json.size () && json[i + 1] == ' ')
      i++;
    if (!out.empty () && out.back () == ',')
      out += ' ';
  }
  return out + "\n";
}

std::string
report_json (Job *job, const std::vector<Range> &kept)
{
  const Options &o = *job->options;
  g_mutex_lock (&job->lock);
  const std::vector<Event> events = job->events;
  const std::vector<std::string> notes = job->notes;
  const std::string error = job->error;
  g_mutex_unlock (&job->lock);
  std::ostringstream j;
  j << "{\n  \"version\": 1,\n";
  j << "  \"input\": " << json_string (job->input.name) << ",\n";
  const bool written = o.trim && !job->files.empty ();
  j << "  \"output_video_path\": " << (written ? json_string (job->output) :
      "null") << ",\n";
  if (o.split) {
    j << "  \"output_files\": [";
    for (std::size_t i = 0; i < job->files.size (); i++)
      j << (i ? ", " : "") << json_string (job->files[i]);
    j << "],\n";
  }
  j << "  \"duration_in\": " << fixed_seconds (to_seconds (job->duration_in))
      << ",\n";
  j << "  \"duration_out\": " << fixed_seconds (to_seconds
      (job->duration_out)) << ",\n";
  j << "  \"frames_in\": " << job->frames_in << ",\n";
  j << "  \"frames_out\": " << job->frames_out << ",\n";
  j << "  \"kept\": [";
  for (std::size_t i = 0; i < kept.size (); i++)
    j << (i ? ", " : "") << "[" << fixed_seconds (kept[i].start) << ", " <<
        fixed_seconds (kept[i].end) << "]";
  j << "],\n  \"events\": [";
  for (std::size_t i = 0; i < events.size (); i++) {
    const Event &e = events[i];
    j << (i ? "," : "") << "\n    {\"start\": " << fixed_seconds (e.start) <<
        ", \"end\": " << fixed_seconds (e.end) << ", \"peak_score\": " <<
        fixed_seconds (e.peak) << ", \"box\": {\"x\": " << e.x0 << ", \"y\": "
        << e.y0 << ", \"width\": " << e.x1 - e.x0 << ", \"height\": " <<
        e.y1 - e.y0 << "}}";
  }
  j << (events.empty () ? "" : "\n  ") << "],\n  \"settings\": {";
  bool first = true;
  for (const auto *props : {&o.detect_props, &o.cut_props})
    for (const auto &[k, v] : *props) {
      j << (first ? "" : ", ") << json_string (k) << ": " << json_string (v);
      first = false;
    }
  j << "},\n  \"interrupted\": " << (job->interrupted ? "true" : "false") <<
      ",\n  \"damaged_input\": " << (job->damaged ? "true" : "false") <<
      ",\n  \"nothing_kept\": " << (job->nothing_kept ? "true" : "false") <<
      ",\n  \"notes\": [";
  for (std::size_t i = 0; i < notes.size (); i++)
    j << (i ? ", " : "") << json_string (notes[i]);
  j << "],\n  \"error\": " << (error.empty () ? std::string ("null") :
      json_string (error)) << "\n}\n";
  return j.str ();
}

constexpr const char *kCsvHeader =
    "input,event,start_s,end_s,duration_s,peak_score,x,y,width,height\n";

std::string
csv_rows (Job *job)
{
  g_mutex_lock (&job->lock);
  const std::vector<Event> events = job->events;
  g_mutex_unlock (&job->lock);
  std::string rows;
  for (std::size_t i = 0; i < events.size (); i++) {
    const Event &e = events[i];
    rows += csv_field (job->input.name) + "," + std::to_string (i + 1) + "," +
        fixed_seconds (e.start) + "," + fixed_seconds (e.end) + "," +
        fixed_seconds (e.end - e.start) + "," + fixed_seconds (e.peak) + "," +
        std::to_string (e.x0) + "," + std::to_string (e.y0) + "," +
        std::to_string (e.x1 - e.x0) + "," + std::to_string (e.y1 - e.y0) +
        "\n";
  }
  return rows;
}

std::string
event_table (Job *job)
{
  g_mutex_lock (&job->lock);
  const std::vector<Event> events = job->events;
  g_mutex_unlock (&job->lock);
  std::string table = job->input.name + "\n| event | start | end | duration "
      "| peak score |\n|---|---|---|---|---|\n";
  for (std::size_t i = 0; i < events.size (); i++) {
    const Event &e = events[i];
    char line[160];
    /* LC_NUMERIC is "C" (main): a '.' whatever the user's locale. */
    std::snprintf (line, sizeof line, "| %zu | %s | %s | %.2f s | %.4f |\n",
        i + 1, clock_string (e.start).c_str (), clock_string (e.end).c_str (),
        e.end - e.start, e.peak);
    table += line;
  }
  return table;
}

}  // namespace

/* ---- Running ---- */

/* What a finished job leaves for the end of the run, in input order. */
struct Result {
  int status = EXIT_DONE;
  std::string table, csv, stdout_report;
};

struct App {
  Options options;
  std::deque<std::unique_ptr<Job>> pending;     /* planned, not started */
  std::vector<std::unique_ptr<Job>> running;
  std::map<std::size_t, Result> results;        /* waiting for earlier ones */
  std::size_t next_result = 0;
  std::unique_ptr<PendingFile> csv;
  int status = EXIT_DONE;
  GMainLoop *loop = nullptr;
  int interrupts = 0;
  bool tty = false, aborted = false;
  guint reap_source = 0;
};

static App app;

static void schedule_reap ();

/* Worst first: runtime failure, bad input, damaged input, nothing kept. */
static int
worse_status (int a, int b)
{
  static const int order[] = { EXIT_RUNTIME, EXIT_BAD_INPUT,
    EXIT_DAMAGED_INPUT, EXIT_NOTHING_KEPT, EXIT_DONE };
  for (int s : order)
    if (a == s || b == s)
      return s;
  return EXIT_DONE;
}

static void
clear_progress_line ()
{
  if (app.tty)
    g_printerr ("\r%-78s\r", "");
}

static void
print_progress (Job *job, bool final_line)
{
  if (job->options->quiet)
    return;
  gint64 duration = -1;
  gst_element_query_duration (job->pipeline, GST_FORMAT_TIME, &duration);
  g_mutex_lock (&job->lock);
  const double position = GST_CLOCK_TIME_IS_VALID (job->last_position) ?
      to_seconds (job->last_position - std::min (job->last_position,
              job->origin_stream)) : 0;
  const guint64 frames = job->frames_seen;
  g_mutex_unlock (&job->lock);
  const double elapsed = (g_get_monotonic_time () - job->started_us) / 1e6;
  const double fps = elapsed > 0 ? frames / elapsed : 0;
  const double speed = elapsed > 0 ? position / elapsed : 0;
  char line[256];
  gchar *name = g_path_get_basename (job->input.name.c_str ());
  if (duration > 0) {
    const double total = (double) duration / GST_SECOND;
    const double eta = speed > 0 ? (total - position) / speed : 0;
    std::snprintf (line, sizeof line, "%s: %5.1f%%  %6.0f fps  %5.1fx  ETA %s",
        name, std::min (100.0, 100.0 * position / total), fps, speed,
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

/* Removes whatever was written for this job: only its hidden files. */
static void
discard_output (Job *job)
{
  if (job->partial)
    job->partial->discard ();
  g_mutex_lock (&job->lock);
  job->parts.clear ();
  g_mutex_unlock (&job->lock);
  job->files.clear ();
}

/* Gives the finished files their names (replacing older ones only with
 * --force, and then also the parts of an earlier --split run beyond this
 * run's); returns an error message or "". */
static std::string
commit_output (Job *job)
{
  const bool force = job->options->force;
  if (job->partial) {
    g_mutex_lock (&job->lock);
    const int rotation = job->copied_rotation;
    g_mutex_unlock (&job->lock);
    if (rotation > 0) {
      const std::string error = set_video_rotation (job->partial->path (),
          rotation);
      if (!error.empty ())
        return "cannot keep the rotation: " + error;
      job->note ("the input's rotation (" + std::to_string (rotation) +
          " degrees clockwise) is written into the output's track header");
    }
    const std::string error = job->partial->commit (force);
    if (error.empty ())
      job->files.push_back (job->output);
    return error;
  }
  g_mutex_lock (&job->lock);
  std::vector<PendingFile> parts = std::move (job->parts);
  job->parts.clear ();
  g_mutex_unlock (&job->lock);
  for (PendingFile &part : parts) {
    const std::string error = part.commit (force);
    if (!error.empty ())
      return error;
    job->files.push_back (part.target ());
  }
  if (force)
    for (const std::string &stale : existing_parts (job->output))
      if (part_index (job->output, stale) > parts.size ())
        g_unlink (stale.c_str ());
  return "";
}

/* Notes what was found wrong with the input at its end: a file that stops
 * well before the duration it declares was cut short. */
static void
check_input_complete (Job *job)
{
  g_mutex_lock (&job->lock);
  const GstClockTime read = GST_CLOCK_TIME_IS_VALID (job->origin_stream) ?
      job->last_end - job->origin_stream : 0;
  g_mutex_unlock (&job->lock);
  if (GST_CLOCK_TIME_IS_VALID (job->declared_duration)
      && read + GST_SECOND < job->declared_duration) {
    job->damaged = true;
    job->note ("the input ends at " + clock_string (to_seconds (read)) +
        " of the " + clock_string (to_seconds (job->declared_duration)) +
        " it declares: the rest is missing or unreadable (a truncated "
        "file?)");
  }
}

/* Prints and appends, in input order, what finished jobs left. */
static void
flush_results ()
{
  for (auto it = app.results.find (app.next_result); it != app.results.end ();
      it = app.results.find (++app.next_result)) {
    Result &r = it->second;
    app.status = worse_status (app.status, r.status);
    std::fputs (r.table.c_str (), stdout);
    std::fputs (r.stdout_report.c_str (), stdout);
    if (app.options.csv == "-")
      std::fputs (r.csv.c_str (), stdout);
    else if (app.csv && !r.csv.empty ()) {
      const std::string error = app.csv->append (r.csv);
      if (!error.empty ()) {
        g_printerr ("stillframe: %s\n", error.c_str ());
        app.status = worse_status (app.status, EXIT_RUNTIME);
        app.csv.reset ();
      }
    }
    std::fflush (stdout);
    app.results.erase (it);
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
  if (job->pipeline)
    gst_element_set_state (job->pipeline, GST_STATE_NULL);
  const Options &o = *job->options;
  if (job->gate) {
    g_mutex_lock (&job->gate->lock);
    job->frames_out = job->gate->frames_out;
    g_mutex_unlock (&job->gate->lock);
  }
  const std::vector<Range> kept = kept_ranges (job);
  if (job->gate) {
    job->duration_out = 0;
    for (const Range &r : kept)
      job->duration_out += (GstClockTime) std::llround ((r.end - r.start) *
          GST_SECOND);
  }

  if (job->status == EXIT_DONE && !job->interrupted)
    check_input_complete (job);
  const bool succeeded = job->status == EXIT_DONE;
  if (succeeded && job->damaged)
    job->status = EXIT_DAMAGED_INPUT;
  if (succeeded && o.trim && job->frames_out == 0) {
    /* A file of no frames does not play: nothing is written instead. */
    job->nothing_kept = true;
    if (!job->interrupted)
      job->status = EXIT_NOTHING_KEPT;
  }
  std::string commit_error;
  if (succeeded && !job->nothing_kept)
    commit_error = commit_output (job);
  if (!commit_error.empty ()) {
    job->fail (commit_error);
    job->status = EXIT_RUNTIME;
  }
  if ((job->status != EXIT_DONE && job->status != EXIT_DAMAGED_INPUT)
      || job->nothing_kept)
    discard_output (job);

  const std::string name = job->input.name;
  clear_progress_line ();
  if (job->status == EXIT_DAMAGED_INPUT) {
    g_mutex_lock (&job->lock);
    const std::string last = job->notes.empty () ? "" : job->notes.back ();
    g_mutex_unlock (&job->lock);
    g_printerr ("stillframe: %s: damaged input, kept what could be read: "
        "%s\n", name.c_str (), last.c_str ());
  }
  if (job->nothing_kept && job->status != EXIT_RUNTIME)
    g_printerr ("stillframe: %s: %s: no output written\n", name.c_str (),
        job->interrupted ? "interrupted before anything moved" :
        "nothing moved");
  else if (job->status == EXIT_DONE || job->status == EXIT_DAMAGED_INPUT) {
    g_mutex_lock (&job->lock);
    const std::size_t events = job->events.size ();
    g_mutex_unlock (&job->lock);
    if (!o.quiet)
      g_printerr ("%s: kept %s of %s (%zu events)%s\n", name.c_str (),
          clock_string (to_seconds (job->duration_out)).c_str (),
          clock_string (to_seconds (job->duration_in)).c_str (), events,
          job->interrupted ? ", interrupted" : "");
  } else {
    g_printerr ("stillframe: %s: %s\n", name.c_str (),
        job->error_message ().c_str ());
  }

  Result result;
  const bool reported = job->status == EXIT_DONE
      || job->status == EXIT_DAMAGED_INPUT || job->nothing_kept;
  if (!o.trim && !o.quiet && reported && o.report != "-" && o.csv != "-")
    result.table = event_table (job);
  if (reported)
    result.csv = csv_rows (job);
  if (!job->report_path.empty () && !app.aborted) {
    const std::string json = report_json (job, kept);
    if (job->report_path == "-") {
      result.stdout_report = one_line (json);
    } else {
      const std::string error = write_whole_file (job->report_path, json,
          o.force);
      if (!error.empty ()) {
        g_printerr ("stillframe: %s: %s\n", name.c_str (), error.c_str ());
        job->status = EXIT_RUNTIME;
      }
    }
  }
  result.status = job->status;
  app.results[job->index] = std::move (result);
  schedule_reap ();
}

static gboolean
on_end_timeout (gpointer data)
{
  Job *job = (Job *) data;
  job->finish_timer = 0;
  g_mutex_lock (&job->lock);
  job->error += " (and what was read could not be finished in time)";
  g_mutex_unlock (&job->lock);
  job->status = EXIT_RUNTIME;
  finish_job (job);
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

/* Sends EOS to a pad or an element from GStreamer's thread pool: a
 * serialized event waits for its pad's streaming thread, which may itself
 * be waiting (the cut's audio for the video's EOS, a muxer for the other
 * stream), and neither the main loop nor the other streams' EOS must wait
 * with it. */
static void
send_eos_later (GstElement *pipeline, GstObject *target)
{
  gst_element_call_async (pipeline, [] (GstElement *, gpointer data) {
        GstObject *to = GST_OBJECT (data);
        if (GST_IS_PAD (to))
          gst_pad_send_event (GST_PAD (to), gst_event_new_eos ());
        else
          gst_element_send_event (GST_ELEMENT (to), gst_event_new_eos ());
      }, gst_object_ref (target), gst_object_unref);
}

/* The input broke off after some frames: what was read goes to the output,
 * finished as at the end of the input. */
static void
end_input_early (Job *job)
{
  GstIterator *pads = gst_element_iterate_sink_pads (job->cut);
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next (pads, &item) == GST_ITERATOR_OK) {
    send_eos_later (job->pipeline, GST_OBJECT (g_value_get_object (&item)));
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
      send_eos_later (job->pipeline, GST_OBJECT (sink));
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (sinks);
  job->finish_timer = g_timeout_add_seconds (30, on_end_timeout, job);
}

/* An error posted by the pipeline: what it means for this job. */
static void
handle_error (Job *job, GstMessage *msg)
{
  GError *error = NULL;
  gst_message_parse_error (msg, &error, NULL);
  g_mutex_lock (&job->lock);
  const bool nothing_read = job->frames_seen == 0;
  const GstClockTime read_until = job->last_end - std::min (job->last_end,
      job->origin_stream);
  g_mutex_unlock (&job->lock);
  if (!nothing_read && job->decode && reads_input (job,
          GST_MESSAGE_SRC (msg))) {
    if (!job->finish_timer) {
      job->damaged = true;
      job->note ("reading stopped at " + clock_string (to_seconds
              (read_until)) + ": " + error->message);
      end_input_early (job);
    }
    g_error_free (error);
    return;
  }
  /* Our elements' settings that do not fit this input (a region past the
   * frame): their message as it is, as bad usage. */
  const bool settings = g_error_matches (error, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS);
  const bool writing = error->domain == GST_RESOURCE_ERROR
      && (error->code == GST_RESOURCE_ERROR_NO_SPACE_LEFT
      || error->code == GST_RESOURCE_ERROR_WRITE
      || error->code == GST_RESOURCE_ERROR_OPEN_WRITE
      || error->code == GST_RESOURCE_ERROR_CLOSE);
  /* decodebin gives up on a stream it could not decode: when that was the
   * only one, and not video, the input has no video. */
  std::string message = error->message;
  if (g_error_matches (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN)
      && !job->has_video)
    message = "no video stream";
  /* The first error is the one reported (a streaming thread may have said
   * more precisely what went wrong before posting it). */
  const bool first = job->error_message ().empty ();
  if (writing)
    job->fail ("cannot write " + job->output + ": " + message);
  else if (nothing_read && first && !settings && message != "no video stream")
    job->fail ("not a video that can be read: " + message);
  else
    job->fail (message);
  if (job->status == EXIT_DONE)
    job->status = settings || (nothing_read && !writing) ? EXIT_BAD_INPUT :
        EXIT_RUNTIME;
  g_error_free (error);
}

static gboolean
on_bus (GstBus *, GstMessage *msg, gpointer data)
{
  Job *job = (Job *) data;
  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_EOS:
      break;
    case GST_MESSAGE_WARNING:{
      /* Decoders and demuxers warn about data they had to skip. */
      GError *error = NULL;
      gst_message_parse_warning (msg, &error, NULL);
      constexpr guint kMaxWarningNotes = 10;
      if (++job->warnings <= kMaxWarningNotes) {
        gchar *from = gst_object_get_name (GST_MESSAGE_SRC (msg));
        job->note (std::string (from) + ": " + error->message);
        g_free (from);
      }
      g_error_free (error);
      return TRUE;
    }
    case GST_MESSAGE_ERROR:
      handle_error (job, msg);
      if (job->finish_timer)
        return TRUE;            /* ending early: waits for EOS */
      break;
    case GST_MESSAGE_ELEMENT:{
      const GstStructure *s = gst_message_get_structure (msg);
      if (gst_is_missing_plugin_message (msg)) {
        gchar *what = gst_missing_plugin_message_get_description (msg);
        const GstCaps *detail = NULL;
        const GValue *value = gst_structure_get_value (s, "detail");
        if (value && GST_VALUE_HOLDS_CAPS (value))
          detail = gst_value_get_caps (value);
        const std::string type = detail && !gst_caps_is_empty (detail) ?
            gst_structure_get_name (gst_caps_get_structure (detail, 0)) : "";
        /* Only video is the job: other streams are left out. */
        if (!g_str_has_prefix (type.c_str (), "video/")) {
          if (job->options->trim && g_str_has_prefix (type.c_str (),
                  "audio/"))
            job->note (std::string ("left out: no GStreamer plugin for ") +
                what);
          g_free (what);
          return TRUE;
        }
        job->fail (std::string ("no GStreamer plugin for ") + what +
            ": install gstreamer1.0-libav (or -plugins-bad, -plugins-ugly)");
        job->status = EXIT_BAD_INPUT;
        g_free (what);
        break;
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
          job->fail ("no video stream");
          job->status = EXIT_BAD_INPUT;
          break;
        }
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
  return TRUE;
}

/* Starts a planned job; a job that cannot start is finished at once. */
static void
start_job (Job *job)
{
  try {
    build_pipeline (job);
  } catch (const std::exception &e) {
    job->fail (e.what ());
    job->status = EXIT_RUNTIME;
    finish_job (job);
    return;
  }
  GstBus *bus = gst_element_get_bus (job->pipeline);
  job->bus_watch = gst_bus_add_watch (bus, on_bus, job);
  job->started_us = g_get_monotonic_time ();
  if (gst_element_set_state (job->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    /* The element's own error says why, when it posted one. */
    GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    if (msg) {
      handle_error (job, msg);
      gst_message_unref (msg);
    } else {
      job->fail ("could not start");
      job->status = EXIT_RUNTIME;
    }
    if (job->status == EXIT_DONE)
      job->status = EXIT_RUNTIME;
    finish_job (job);
  }
  gst_object_unref (bus);
}

/* Destroys finished jobs (their pipelines with them), writes what they
 * left in order, starts more while slots are free, and ends the run when
 * nothing is left. Runs from the main loop, never inside a job's own bus
 * callback. */
static gboolean
reap_and_start (gpointer)
{
  app.reap_source = 0;
  for (;;) {
    app.running.erase (std::remove_if (app.running.begin (),
            app.running.end (), [] (const std::unique_ptr<Job> &j) {
              return j->finished;
            }), app.running.end ());
    flush_results ();
    const std::size_t limit = app.next_result + kResultsAheadPerJob *
        app.options.jobs;
    if ((int) app.running.size () >= app.options.jobs || app.pending.empty ()
        || app.interrupts > 0 || app.pending.front ()->index >= limit)
      break;
    std::unique_ptr<Job> job = std::move (app.pending.front ());
    app.pending.pop_front ();
    Job *j = job.get ();
    app.running.push_back (std::move (job));
    start_job (j);
  }
  if (app.running.empty () && (app.pending.empty () || app.interrupts > 0))
    g_main_loop_quit (app.loop);
  return G_SOURCE_REMOVE;
}

static void
schedule_reap ()
{
  if (!app.reap_source)
    app.reap_source = g_idle_add (reap_and_start, NULL);
}

static std::string
pipe_hint (Job *job)
{
  return job->input.kind == Input::Kind::File ? "" :
      " (is anything writing to it?)";
}

/* A demuxer or decoder stuck on a damaged file produces nothing and no
 * error: a job whose frame count stops moving is ended, keeping what was
 * read. */
static void
watch_for_stall (Job *job, gint64 now)
{
  g_mutex_lock (&job->lock);
  const guint64 frames = job->frames_seen;
  const GstClockTime read_until = job->last_end - std::min (job->last_end,
      job->origin_stream);
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
    job->note ("reading stalled at " + clock_string (to_seconds
            (read_until)) + " (nothing decoded for " + seconds + " s)");
    end_input_early (job);
    return;
  }
  job->fail (frames == 0 ? "not a video that can be read: nothing was "
      "decoded in " + seconds + " s" + pipe_hint (job) :
      "stalled: nothing decoded for " + seconds + " s");
  job->status = frames == 0 ? EXIT_BAD_INPUT : EXIT_RUNTIME;
  finish_job (job);
}

static gboolean
on_tick (gpointer)
{
  const gint64 now = g_get_monotonic_time ();
  for (std::size_t i = 0; i < app.running.size (); i++) {
    Job *job = app.running[i].get ();
    if (!job->finished)
      watch_for_stall (job, now);
    if (job->finished)
      continue;
    if (app.tty || now - job->last_progress_us >= 5 * G_USEC_PER_SEC) {
      print_progress (job, false);
      job->last_progress_us = now;
    }
  }
  return G_SOURCE_CONTINUE;
}

/* Stops every running job at once; leaves no half-written file. */
static void
abort_all ()
{
  app.aborted = true;
  for (auto &job : app.running) {
    if (job->finished)
      continue;
    job->interrupted = true;
    job->fail ("aborted");
    job->status = EXIT_INTERRUPTED;
    if (job->gate)
      job->gate->stop ();
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
  for (std::size_t i = 0; i < app.running.size (); i++) {
    Job *job = app.running[i].get ();
    if (job->finished)
      continue;
    job->interrupted = true;
    g_mutex_lock (&job->lock);
    const bool started = job->frames_seen > 0;
    g_mutex_unlock (&job->lock);
    if (!started) {
      /* Nothing to finish: stop it and remove its output. */
      job->status = EXIT_INTERRUPTED;
      job->fail ("interrupted before any frame");
      finish_job (job);
      continue;
    }
    gst_element_send_event (job->pipeline, gst_event_new_eos ());
  }
  g_timeout_add_seconds (30, on_finish_timeout, NULL);
  schedule_reap ();
  return G_SOURCE_CONTINUE;
}

/* ---- Planning: every input and every path written, before anything ---- */

static bool
is_video_file (const std::string &path)
{
  const std::string ext = extension_of (path);
  for (const char *e : kVideoExtensions)
    if (ext == e)
      return true;
  return false;
}

static std::string
stem_of (const std::string &path)
{
  gchar *base = g_path_get_basename (path.c_str ());
  std::string stem = base;
  g_free (base);
  const std::size_t dot = stem.rfind ('.');
  return dot == std::string::npos || dot == 0 ? stem : stem.substr (0, dot);
}

static bool
names_folder (const std::string &path)
{
  return (!path.empty () && path.back () == '/')
      || g_file_test (path.c_str (), G_FILE_TEST_IS_DIR);
}

static std::string
in_folder (const std::string &folder, const std::string &name)
{
  return folder + (folder.back () == '/' ? "" : "/") + name;
}

/* A path that will be written, and what it is for (in messages). */
struct Written {
  std::string path, what;
  bool parts = false;           /* --split's NAME-NNNN.EXT family */
};

/* Why the run would harm a file, or "": an output that is an input (by
 * identity: symlinks, hard links, ./a vs d/../a), two outputs that are
 * one file, or a file among an output's --split parts. Maps of
 * identities and part families: one lookup per path, whatever the batch. */
static std::string
find_conflict (const std::vector<Input> &inputs,
    const std::vector<Written> &written)
{
  std::map<std::string, std::string> taken;     /* identity -> what */
  std::map<std::string, const Written *> families;
  for (const Input &input : inputs) {
    if (input.kind != Input::Kind::Stdin)
      taken.emplace (file_key (input.path).text (), "the input " +
          input.name);
    else if (const FileKey key = file_key_of_fd (STDIN_FILENO); key.exists)
      taken.emplace (key.text (), "standard input");
  }
  for (const Written &w : written) {
    if (!w.parts)
      continue;
    const auto [it, fresh] = families.emplace (parts_family (w.path), &w);
    if (!fresh)
      return it->second->what + " and " + w.what + " would both be written "
          "to " + part_path (w.path, 1) + ", ...";
  }
  auto family_of = [&] (const std::string &path) -> const Written * {
    const std::string family = part_family (path);
    const auto it = family.empty () ? families.end () :
        families.find (family);
    return it == families.end () ? nullptr : it->second;
  };
  for (const Input &input : inputs)
    if (input.kind != Input::Kind::Stdin)
      if (const Written *family = family_of (input.path))
        return input.path + " (a part of " + family->what + ") would "
            "overwrite the input " + input.name + ": choose another name";
  for (const Written &w : written) {
    if (w.parts)
      continue;
    const auto [it, fresh] = taken.emplace (file_key (w.path).text (),
        w.what);
    if (!fresh)
      return it->second.compare (0, 9, "the input") == 0
          || it->second == "standard input" ? w.path + " (" + w.what +
          ") would overwrite " + it->second + ": choose another name" :
          it->second + " and " + w.what + " would both be written to " +
          w.path;
    if (const Written *family = family_of (w.path))
      return w.path + " (" + w.what + ") would be replaced by a part of "
          + family->what + ": choose another name";
  }
  return "";
}

/* Why `path` cannot be written (its folder, a file that is no regular
 * file, an existing one without --force), or "". */
static std::string
write_problem (const std::string &path, bool force, bool folder_made_later)
{
  const std::string hint = g_str_has_prefix (path.c_str (), "/dev/")
      || g_str_has_prefix (path.c_str (), "/proc/") ?
      " (- is standard output)" : "";
  struct stat st;
  if (lstat (path.c_str (), &st) == 0 && S_ISLNK (st.st_mode))
    return path + " is a symbolic link: name the file itself (nothing is "
        "written through links)" + hint;
  if (stat (path.c_str (), &st) == 0 && !S_ISREG (st.st_mode))
    return path + " is not a regular file" + std::string (S_ISDIR
        (st.st_mode) ? " but a folder" : "") + ": nothing is written "
        "through it" + hint;
  if (!force && name_taken (path))
    return path + " exists (use --force to overwrite)";
  gchar *folder = g_path_get_dirname (path.c_str ());
  std::string problem;
  if (!folder_made_later) {
    if (!g_file_test (folder, G_FILE_TEST_IS_DIR))
      problem = "folder " + std::string (folder) + " does not exist";
    else if (access (folder, W_OK) != 0)
      problem = "folder " + std::string (folder) + " is not writable";
  }
  g_free (folder);
  return problem;
}

/* Expands folders, names what each input writes, and checks everything
 * before anything runs. Returns the exit code for problems found; jobs
 * for inputs without problems are queued (none when a conflict or a
 * problem of the whole run is found). */
static int
plan_jobs (Options &o)
{
  /* Inputs: files, FIFOs, file:// URIs, folders, standard input. */
  std::vector<Input> inputs;
  int status = EXIT_DONE;
  bool stdin_used = false;
  for (const std::string &given : o.inputs) {
    Input input;
    input.name = given;
    input.path = given;
    if (given == "-") {
      if (stdin_used || isatty (STDIN_FILENO)) {
        std::fprintf (stderr, "stillframe: -: %s\n", stdin_used ?
            "standard input can be read once only" : "standard input is a "
            "terminal: pipe a video into it");
        return EXIT_BAD_INPUT;
      }
      stdin_used = true;
      input.kind = Input::Kind::Stdin;
      input.path.clear ();
      inputs.push_back (input);
      continue;
    }
    if (gst_uri_is_valid (given.c_str ()) && given.find ("://") !=
        std::string::npos) {
      gchar *file = g_str_has_prefix (given.c_str (), "file:") ?
          g_filename_from_uri (given.c_str (), NULL, NULL) : NULL;
      if (!file) {
        std::fprintf (stderr, "stillframe: %s: not an input stillframe "
            "reads (files, file:// URIs, folders and - for standard "
            "input)\n", given.c_str ());
        status = EXIT_BAD_INPUT;
        continue;
      }
      input.path = file;
      g_free (file);
    }
    struct stat st;
    if (stat (input.path.c_str (), &st) == 0 && S_ISDIR (st.st_mode)) {
      GDir *dir = g_dir_open (input.path.c_str (), 0, NULL);
      std::vector<std::string> found;
      while (const gchar *name = dir ? g_dir_read_name (dir) : NULL) {
        const std::string path = in_folder (input.path, name);
        if (is_video_file (path) && g_file_test (path.c_str (),
                G_FILE_TEST_IS_REGULAR))
          found.push_back (path);
      }
      if (dir)
        g_dir_close (dir);
      std::sort (found.begin (), found.end ());
      if (found.empty ()) {
        std::fprintf (stderr, "stillframe: %s: no video files in this "
            "folder\n", given.c_str ());
        status = EXIT_BAD_INPUT;
      }
      for (const std::string &path : found)
        inputs.push_back ({path, Input::Kind::File, path});
      continue;
    }
    std::string problem;
    if (stat (input.path.c_str (), &st) != 0)
      problem = errno == ENOENT ? "no such file" : g_strerror (errno);
    else if (access (input.path.c_str (), R_OK) != 0)
      problem = "cannot be read (permission denied)";
    else if (S_ISFIFO (st.st_mode) || S_ISCHR (st.st_mode))
      input.kind = Input::Kind::Pipe;
    else if (!S_ISREG (st.st_mode))
      problem = "not a file that can be read";
    if (!problem.empty ()) {
      std::fprintf (stderr, "stillframe: %s: %s\n", given.c_str (),
          problem.c_str ());
      status = EXIT_BAD_INPUT;
      continue;
    }
    inputs.push_back (input);
  }
  if (inputs.empty ())
    return status == EXIT_DONE ? EXIT_BAD_INPUT : status;

  /* What each input writes: one file, or a folder of them when there are
   * several inputs, one was a folder, or the option names a folder. */
  const bool many = inputs.size () > 1 || std::any_of (o.inputs.begin (),
      o.inputs.end (), [] (const std::string &given) {
        return g_file_test (given.c_str (), G_FILE_TEST_IS_DIR);
      });
  const bool output_folder = o.trim && (many || names_folder (o.output));
  const bool report_folder = !o.report.empty () && o.report != "-"
      && (many || names_folder (o.report));
  if (o.trim && !output_folder && !muxer_for (o.output)) {
    std::fprintf (stderr, "stillframe: output %s: unknown container (use "
        ".mp4, .mkv or .mov)\n", o.output.c_str ());
    return EXIT_BAD_INPUT;
  }
  std::vector<std::unique_ptr<Job>> jobs;
  std::vector<Written> written;
  for (const Input &input : inputs) {
    auto job = std::make_unique<Job> ();
    job->options = &o;
    job->input = input;
    const std::string stem = input.kind == Input::Kind::Stdin ? "stdin" :
        stem_of (input.path);
    if (o.trim) {
      job->output = output_folder ? in_folder (o.output, stem +
          (extension_of (input.path) == ".mkv" ? ".mkv" : ".mp4")) :
          o.output;
      written.push_back ({job->output, many ? "the output of " + input.name :
            "-o", o.split});
    }
    if (!o.report.empty ()) {
      job->report_path = report_folder ? in_folder (o.report, stem + ".json")
          : o.report;
      if (job->report_path != "-")
        written.push_back ({job->report_path, many ? "the report of " +
              input.name : "--report"});
    }
    jobs.push_back (std::move (job));
  }
  if (!o.csv.empty () && o.csv != "-")
    written.push_back ({o.csv, "--csv"});

  const std::string conflict = find_conflict (inputs, written);
  if (!conflict.empty ()) {
    std::fprintf (stderr, "stillframe: %s; nothing was written\n",
        conflict.c_str ());
    return EXIT_BAD_INPUT;
  }
  /* The run's own file: it fails the run as a whole. */
  if (!o.csv.empty () && o.csv != "-") {
    const std::string problem = write_problem (o.csv, o.force, false);
    if (!problem.empty ()) {
      std::fprintf (stderr, "stillframe: --csv %s\n", problem.c_str ());
      return EXIT_BAD_INPUT;
    }
  }
  if (report_folder && g_file_test (o.report.c_str (), G_FILE_TEST_EXISTS)
      && !g_file_test (o.report.c_str (), G_FILE_TEST_IS_DIR)) {
    std::fprintf (stderr, "stillframe: --report %s: with several inputs it "
        "names a folder, and this is a file\n", o.report.c_str ());
    return EXIT_BAD_INPUT;
  }
  if (output_folder && g_file_test (o.output.c_str (), G_FILE_TEST_EXISTS)
      && !g_file_test (o.output.c_str (), G_FILE_TEST_IS_DIR)) {
    std::fprintf (stderr, "stillframe: with several inputs, -o must be a "
        "folder: %s\n", o.output.c_str ());
    return EXIT_BAD_INPUT;
  }
  /* Each input's own files: a problem skips that input only. */
  for (auto &job : jobs) {
    std::string problem;
    if (o.trim) {
      if (!muxer_for (job->output))
        problem = "output " + job->output + ": unknown container (use .mp4, "
            ".mkv or .mov)";
      else if (o.split && !o.force && !existing_parts (job->output).empty ())
        problem = "output " + existing_parts (job->output).front () +
            " exists (use --force to overwrite)";
      else if (!o.split)
        problem = write_problem (job->output, o.force, output_folder
            && !g_file_test (o.output.c_str (), G_FILE_TEST_IS_DIR));
      else      /* the parts' folder; any part was checked above */
        problem = write_problem (part_path (job->output, 1), true,
            output_folder && !g_file_test (o.output.c_str (),
                G_FILE_TEST_IS_DIR));
      if (!problem.empty () && problem.find ("exists") == std::string::npos
          && problem.compare (0, 7, "output ") != 0)
        problem = "output " + problem;
    }
    if (problem.empty () && !job->report_path.empty ()
        && job->report_path != "-") {
      problem = write_problem (job->report_path, o.force, report_folder
          && !g_file_test (o.report.c_str (), G_FILE_TEST_IS_DIR));
      if (!problem.empty ())
        problem = "report " + problem;
    }
    if (!problem.empty ()) {
      std::fprintf (stderr, "stillframe: %s: %s\n", job->input.name.c_str (),
          problem.c_str ());
      status = EXIT_BAD_INPUT;
      continue;
    }
    job->index = app.pending.size ();
    app.pending.push_back (std::move (job));
  }
  if (app.pending.empty ())
    return status;
  /* Checked: now the folders may be made. */
  if (output_folder && g_mkdir_with_parents (o.output.c_str (), 0777) != 0) {
    std::fprintf (stderr, "stillframe: cannot make the folder %s: %s\n",
        o.output.c_str (), g_strerror (errno));
    app.pending.clear ();
    return EXIT_BAD_INPUT;
  }
  if (report_folder && g_mkdir_with_parents (o.report.c_str (), 0777) != 0) {
    std::fprintf (stderr, "stillframe: cannot make the folder %s: %s\n",
        o.report.c_str (), g_strerror (errno));
    app.pending.clear ();
    return EXIT_BAD_INPUT;
  }
  return status;
}

int
main (int argc, char **argv)
{
  /* Names print as the terminal's charset has them; numbers stay with a
   * '.' whatever the locale. */
  std::setlocale (LC_ALL, "");
  std::setlocale (LC_NUMERIC, "C");
  gst_init (NULL, NULL);
  int status = parse_options (argc, argv, app.options);
  if (status < 0)
    return EXIT_DONE;
  if (status != EXIT_DONE)
    return status;
  status = plan_jobs (app.options);
  if (app.pending.empty ())
    return status;
  app.status = status;

  if (!app.options.csv.empty ()) {
    if (app.options.csv == "-") {
      std::fputs (kCsvHeader, stdout);
    } else {
      try {
        app.csv = std::make_unique<PendingFile> (app.options.csv);
        app.csv->append (kCsvHeader);
      } catch (const std::runtime_error &e) {
        std::fprintf (stderr, "stillframe: --csv: %s\n", e.what ());
        return EXIT_BAD_INPUT;
      }
    }
  }

  app.tty = isatty (STDERR_FILENO);
  app.loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, on_signal, NULL);
  g_unix_signal_add (SIGTERM, on_signal, NULL);
  g_timeout_add (app.tty ? 500 : 1000, on_tick, NULL);
  /* Started from the loop, so that a job failing at once can end it. */
  schedule_reap ();
  g_main_loop_run (app.loop);

  app.running.clear ();
  flush_results ();
  if (app.csv) {
    if (app.aborted) {
      app.csv->discard ();
    } else {
      const std::string error = app.csv->commit (app.options.force);
      if (!error.empty ()) {
        std::fprintf (stderr, "stillframe: %s\n", error.c_str ());
        app.status = worse_status (app.status, EXIT_RUNTIME);
      }
    }
  }
  g_main_loop_unref (app.loop);
  return app.interrupts > 0 ? EXIT_INTERRUPTED : app.status;
}
