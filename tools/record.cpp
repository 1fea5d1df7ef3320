/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "record.h"

#include "autoplug.h"
#include "elements.h"
#include "filesafety.h"
#include "plan.h"
#include "recorder.h"
#include "recordfiles.h"
#include "recordoptions.h"
#include "stillframemeta.h"

#include <gst/app/app.h>
#include <gst/gst.h>
#include <glib-unix.h>
#include <glib/gstdio.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

namespace stillframe::cli {

namespace {

/* Retries: 1 s after a loss, doubling to 10 s, so that a camera back after
 * a long outage is recorded again within 10 s. */
constexpr guint kFirstBackoffSeconds = 1, kMaxBackoffSeconds = 10;
/* How long files being finished may take after an interruption. */
constexpr guint kFinishSeconds = 15;

class RecordRun;

/* One event, for its --events line: written on the main loop once its last
 * file is renamed. Fields: the run's lock. */
struct EventRecord {
  /* By each file's start, as they may finish in any order. */
  std::vector<std::pair<Time, std::string>> files;
  unsigned pending = 0;         /* files not yet finished */
  bool ended = false;
  EventSummary summary;
  std::int64_t wall_zero = 0;   /* wall clock at running time 0, ns */
  std::uint64_t number = 0;     /* its place in EventLines */
};

/* One event file: appsrc -> parser -> muxer -> filesink, under a hidden
 * name until its end is written. Made and fed on the streaming threads
 * (under the run's lock), finished on the main loop. */
struct Writer {
  RecordRun *run = nullptr;
  std::string name;             /* in the folder */
  std::unique_ptr<PendingFile> pending;
  GstElement *pipeline = nullptr, *video = nullptr, *audio = nullptr;
  Time offset = 0, start = 0, last_end = 0;
  std::shared_ptr<EventRecord> event;
  guint watch = 0;
  std::string error;

  ~Writer ()
  {
    if (watch)
      g_source_remove (watch);
    if (pipeline) {
      gst_element_set_state (pipeline, GST_STATE_NULL);
      gst_object_unref (pipeline);
    }
  }
};

/* One connection to the camera: its pipeline and recorder. The recorder
 * and `ended`: the run's lock. */
struct Session {
  GstElement *pipeline = nullptr;
  std::unique_ptr<Recorder> recorder;
  bool live = false, ended = false;
  /* Set by the first stream of each kind (streaming threads). */
  std::atomic<bool> has_video {false}, has_audio {false},
      has_detector {false};
  GstCaps *video_caps = nullptr, *audio_caps = nullptr;  /* lock */
  std::atomic<gint64> last_packet_us {0};
  std::atomic<bool> received {false};

  ~Session ()
  {
    if (pipeline) {
      gst_element_set_state (pipeline, GST_STATE_NULL);
      gst_object_unref (pipeline);
    }
    gst_caps_replace (&video_caps, NULL);
    gst_caps_replace (&audio_caps, NULL);
  }
};

/* An appsink's packets: which stream of which session. */
struct PacketStream {
  RecordRun *run;
  Session *session;
  bool video;
};

GstElement *
make_queue (GstClockTime time)
{
  GstElement *queue = make ("queue");
  g_object_set (queue, "max-size-time", (guint64) time,
      "max-size-bytes", 0u, "max-size-buffers", 0u, NULL);
  return queue;
}

Time
running_time (const GstSegment *segment, GstClockTime t)
{
  if (!GST_CLOCK_TIME_IS_VALID (t) || !segment)
    return kNoTime;
  const GstClockTime rt = gst_segment_to_running_time (segment,
      GST_FORMAT_TIME, t);
  return GST_CLOCK_TIME_IS_VALID (rt) ? rt : kNoTime;
}

/* The one always source pad of `bin`'s elements that is not linked. */
GstPad *
unlinked_source_pad (GstBin *bin)
{
  GstPad *found = nullptr;
  GstIterator *elements = gst_bin_iterate_elements (bin);
  GValue item = G_VALUE_INIT;
  while (!found && gst_iterator_next (elements, &item) == GST_ITERATOR_OK) {
    GstElement *e = GST_ELEMENT (g_value_get_object (&item));
    GstIterator *pads = gst_element_iterate_src_pads (e);
    GValue pad = G_VALUE_INIT;
    while (!found && gst_iterator_next (pads, &pad) == GST_ITERATOR_OK) {
      GstPad *p = GST_PAD (g_value_get_object (&pad));
      if (!gst_pad_is_linked (p))
        found = GST_PAD (gst_object_ref (p));
      g_value_reset (&pad);
    }
    g_value_unset (&pad);
    gst_iterator_free (pads);
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (elements);
  return found;
}

class RecordRun : public RecorderSink {
public:
  explicit RecordRun (const RecordOptions &options);
  ~RecordRun () override;
  int run ();

  /* RecorderSink: the streaming threads, under `lock_`. */
  void open_file (Time start) override;
  void write (const RingPacket &packet) override;
  void close_file () override;
  void event_ended (const EventSummary &event) override;

private:
  /* The camera. */
  void start_session ();
  void end_session ();
  void lost (const std::string &why);
  void build_source (Session *s);
  void on_stream (Session *s, GstPad *pad);
  void add_detector (Session *s, GstPad *pad);
  void add_encoder (Session *s, GstPad *decoded);
  void add_packet_sink (Session *s, GstPad *pad, bool video);
  void on_packet (PacketStream *stream, GstSample *sample);
  void on_frame (Session *s, GstPad *pad, GstBuffer *buffer);
  static gboolean on_session_bus (GstBus *, GstMessage *msg, gpointer data);
  static gboolean on_watchdog (gpointer data);
  static gboolean on_reconnect (gpointer data);
  static gboolean on_signal (gpointer data);
  static gboolean on_finish_wait (gpointer data);

  /* The files. */
  static gboolean on_writer_bus (GstBus *, GstMessage *msg, gpointer data);
  void finish_writer (Writer *w);
  /* The event being recorded, begun if there is none. */
  const std::shared_ptr<EventRecord> &current_event ();
  /* Under lock_: the event's line, once it has ended and its files are
   * written. */
  void line_ready_if_done (const EventRecord &event);
  /* On the main loop: the lines that may go out (EventLines::take). */
  void write_event_lines (bool at_end = false);
  void apply_retention ();
  std::string say (const std::string &text) const;

  const RecordOptions &o_;
  RecorderSettings settings_;
  GMainLoop *loop_ = nullptr;
  GstClock *clock_ = nullptr;
  RecordingIndex index_;
  FILE *events_ = nullptr;

  /* Guards the session's recorder and caps, the writers, the events. */
  GMutex lock_;
  std::vector<std::unique_ptr<Writer>> writers_;
  Writer *current_ = nullptr;
  std::shared_ptr<EventRecord> current_event_;
  EventLines event_lines_;
  unsigned events_total_ = 0, files_total_ = 0;
  RingStats ring_peak_;

  /* The main loop's. */
  std::unique_ptr<Session> session_;
  guint backoff_ = kFirstBackoffSeconds, reconnect_source_ = 0;
  bool outage_said_ = false, stopping_ = false;
  gint64 outage_since_us_ = 0;
  int status_ = EXIT_DONE;
  guint finish_wait_ticks_ = 0;
};

RecordRun::RecordRun (const RecordOptions &options)
    : o_ (options), index_ (options.folder)
{
  g_mutex_init (&lock_);
  CutSettings cut;
  cut.pre_roll = 3 * kSecond;
  cut.post_roll = 3 * kSecond;
  for (const auto &[name, value] : o_.cut_props) {
    const Time t = std::strtoull (value.c_str (), nullptr, 10);
    if (name == "min-static-duration")
      cut.min_static = t;
    else if (name == "pre-roll")
      cut.pre_roll = t;
    else if (name == "post-roll")
      cut.post_roll = t;
    else if (name == "min-motion-duration")
      cut.min_motion = t;
  }
  settings_.cut = cut;
  settings_.segment_max = o_.segment_max;
  settings_.ring_max_bytes = o_.ring_max_bytes;
  /* Room for what the decisions wait for, the pre-roll, and GOPs of up to
   * 20 s. */
  settings_.ring_max_time = cut.hold_time () + cut.pre_roll + 20 * kSecond;
  /* Wall-clock running times: a file's name and an event's times are the
   * pipeline's base time plus its running time. */
  clock_ = GST_CLOCK (g_object_new (GST_TYPE_SYSTEM_CLOCK, "clock-type",
          GST_CLOCK_TYPE_REALTIME, NULL));
}

RecordRun::~RecordRun ()
{
  session_.reset ();
  writers_.clear ();
  if (events_ && events_ != stdout)
    std::fclose (events_);
  gst_object_unref (clock_);
  g_mutex_clear (&lock_);
}

/* Every line printed goes through here: no camera password in any. */
std::string
RecordRun::say (const std::string &text) const
{
  std::string out = text;
  /* Each occurrence once, searching on after what replaced it. */
  auto replace_all = [&out] (const std::string &from, const std::string &to) {
    if (from.empty ())
      return;
    for (std::size_t at = 0; (at = out.find (from, at)) != std::string::npos;
        at += to.size ())
      out.replace (at, from.size (), to);
  };
  auto hide = [&] (const std::string &secret) { replace_all (secret, "***"); };
  const std::string uri = o_.source;
  replace_all (uri, redact_uri (uri));
  const char *password = g_getenv ("STILLFRAME_CAMERA_PASSWORD");
  hide (password ? password : "");
  /* A password in the URI itself, wherever else it shows. */
  const std::size_t scheme = uri.find ("://"), at = uri.rfind ('@');
  if (scheme != std::string::npos && at != std::string::npos && at > scheme) {
    const std::string user_info = uri.substr (scheme + 3, at - scheme - 3);
    const std::size_t colon = user_info.find (':');
    if (colon != std::string::npos)
      hide (user_info.substr (colon + 1));
  }
  return out;
}

int
RecordRun::run ()
{
  if (g_mkdir_with_parents (o_.folder.c_str (), 0777) != 0) {
    std::fprintf (stderr, "stillframe: cannot make %s: %s\n",
        o_.folder.c_str (), std::strerror (errno));
    return EXIT_RUNTIME;
  }
  if (o_.events == "-") {
    events_ = stdout;
  } else if (!o_.events.empty ()) {
    events_ = std::fopen (o_.events.c_str (), "a");
    if (!events_) {
      std::fprintf (stderr, "stillframe: cannot write %s: %s\n",
          o_.events.c_str (), std::strerror (errno));
      return EXIT_RUNTIME;
    }
  }
  loop_ = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, on_signal, this);
  g_unix_signal_add (SIGTERM, on_signal, this);
  g_timeout_add (250, on_watchdog, this);
  apply_retention ();
  if (!o_.quiet)
    std::fprintf (stderr, "%s\n", say ("stillframe: recording " +
            (o_.source.empty () ? o_.source_pipeline : o_.source) + " into "
            + o_.folder).c_str ());
  start_session ();
  if (status_ == EXIT_DONE || session_)
    g_main_loop_run (loop_);
  g_main_loop_unref (loop_);
  write_event_lines (true);
  if (!o_.quiet) {
    char line[256];
    std::snprintf (line, sizeof line, "stillframe: %u events in %u files; "
        "the pre-roll ring held at most %.1f MiB, %.1f s of packets",
        events_total_, files_total_, ring_peak_.peak_bytes / 1048576.0,
        (double) ring_peak_.peak_span / kSecond);
    std::fprintf (stderr, "%s\n", line);
  }
  return status_;
}

/* The camera. */

void
RecordRun::start_session ()
{
  reconnect_source_ = 0;
  auto s = std::make_unique<Session> ();
  g_mutex_lock (&lock_);
  s->recorder = std::make_unique<Recorder> (settings_, *this);
  g_mutex_unlock (&lock_);
  s->last_packet_us = g_get_monotonic_time ();
  std::string error;
  try {
    s->pipeline = gst_pipeline_new ("camera");
    gst_pipeline_use_clock (GST_PIPELINE (s->pipeline), clock_);
    build_source (s.get ());
  } catch (const std::exception &e) {
    error = e.what ();
  }
  if (!error.empty ()) {
    /* A missing element or a description that does not parse: no retry
     * will mend it. */
    std::fprintf (stderr, "%s\n", say ("stillframe: " + error).c_str ());
    status_ = EXIT_BAD_INPUT;
    return;
  }
  GstBus *bus = gst_element_get_bus (s->pipeline);
  gst_bus_add_watch (bus, on_session_bus, this);
  gst_object_unref (bus);
  session_ = std::move (s);
  const GstStateChangeReturn ret = gst_element_set_state (session_->pipeline,
      GST_STATE_PLAYING);
  /* A camera is live; a file (or a description that plays one) is not,
   * and its end is the end of the run. */
  session_->live = ret == GST_STATE_CHANGE_NO_PREROLL ||
      (!o_.source.empty () && !g_str_has_prefix (o_.source.c_str (),
              "file:"));
  if (ret == GST_STATE_CHANGE_FAILURE)
    lost ("the camera cannot be opened");
}

void
RecordRun::end_session ()
{
  if (!session_)
    return;
  g_mutex_lock (&lock_);
  session_->ended = true;
  session_->recorder->finish (true);
  const RingStats r = session_->recorder->ring_stats ();
  ring_peak_.peak_bytes = std::max (ring_peak_.peak_bytes, r.peak_bytes);
  ring_peak_.peak_span = std::max (ring_peak_.peak_span, r.peak_span);
  ring_peak_.gops_dropped_early += r.gops_dropped_early;
  g_mutex_unlock (&lock_);
  GstBus *bus = gst_element_get_bus (session_->pipeline);
  gst_bus_remove_watch (bus);
  gst_object_unref (bus);
  /* Outside the lock: the streaming threads may be waiting for it. */
  session_.reset ();
}

void
RecordRun::lost (const std::string &why)
{
  end_session ();
  if (stopping_)
    return;
  if (!outage_said_) {
    std::fprintf (stderr, "%s\n", say ("stillframe: camera lost (" + why +
            "); retrying until it is back").c_str ());
    outage_said_ = true;
    outage_since_us_ = g_get_monotonic_time ();
  }
  reconnect_source_ = g_timeout_add_seconds (backoff_, on_reconnect, this);
  backoff_ = std::min (backoff_ * 2, kMaxBackoffSeconds);
}

gboolean
RecordRun::on_reconnect (gpointer data)
{
  RecordRun *self = (RecordRun *) data;
  self->start_session ();
  if (!self->session_ && self->status_ != EXIT_DONE)
    g_main_loop_quit (self->loop_);
  return G_SOURCE_REMOVE;
}

gboolean
RecordRun::on_watchdog (gpointer data)
{
  RecordRun *self = (RecordRun *) data;
  Session *s = self->session_.get ();
  if (!s || self->stopping_)
    return G_SOURCE_CONTINUE;
  if (s->received && self->outage_said_) {
    char back[64];
    std::snprintf (back, sizeof back, "stillframe: camera back after %.1f s",
        (g_get_monotonic_time () - self->outage_since_us_) / 1e6);
    std::fprintf (stderr, "%s\n", back);
    self->outage_said_ = false;
    self->backoff_ = kFirstBackoffSeconds;
  } else if (s->received) {
    self->backoff_ = kFirstBackoffSeconds;
  }
  const gint64 silent_us = g_get_monotonic_time () - s->last_packet_us;
  if (s->live && silent_us > (gint64) (self->o_.stall_timeout / 1000)) {
    char why[64];
    std::snprintf (why, sizeof why, "nothing received for %.0f s",
        silent_us / 1e6);
    self->lost (why);
  }
  return G_SOURCE_CONTINUE;
}

gboolean
RecordRun::on_session_bus (GstBus *, GstMessage *msg, gpointer data)
{
  RecordRun *self = (RecordRun *) data;
  Session *s = self->session_.get ();
  if (!s)
    return G_SOURCE_REMOVE;
  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR:{
      GError *error = NULL;
      gst_message_parse_error (msg, &error, NULL);
      const std::string text = error->message;
      g_error_free (error);
      if (s->live) {
        self->lost (text);
      } else {
        std::fprintf (stderr, "%s\n", self->say ("stillframe: " + text)
            .c_str ());
        self->status_ = EXIT_RUNTIME;
        self->stopping_ = true;
        self->end_session ();
        on_finish_wait (self);
      }
      return G_SOURCE_REMOVE;
    }
    case GST_MESSAGE_EOS:
      if (s->live) {
        self->lost ("the stream ended");
      } else {
        /* A file: its end is the end of the run. */
        self->stopping_ = true;
        self->end_session ();
        on_finish_wait (self);
      }
      return G_SOURCE_REMOVE;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

gboolean
RecordRun::on_signal (gpointer data)
{
  RecordRun *self = (RecordRun *) data;
  if (self->stopping_) {
    g_main_loop_quit (self->loop_);     /* a second one: now */
    return G_SOURCE_CONTINUE;
  }
  if (!self->o_.quiet)
    std::fprintf (stderr, "\nstillframe: finishing the open file\n");
  self->stopping_ = true;
  if (self->reconnect_source_)
    g_source_remove (self->reconnect_source_);
  self->reconnect_source_ = 0;
  self->end_session ();
  on_finish_wait (self);
  return G_SOURCE_CONTINUE;
}

/* Quits once every file is finished (or after kFinishSeconds). */
gboolean
RecordRun::on_finish_wait (gpointer data)
{
  RecordRun *self = (RecordRun *) data;
  g_mutex_lock (&self->lock_);
  const bool done = self->writers_.empty ();
  g_mutex_unlock (&self->lock_);
  if (done || ++self->finish_wait_ticks_ > kFinishSeconds * 10) {
    g_main_loop_quit (self->loop_);
    return G_SOURCE_REMOVE;
  }
  if (self->finish_wait_ticks_ == 1)
    g_timeout_add (100, on_finish_wait, self);
  return G_SOURCE_CONTINUE;
}

void
RecordRun::build_source (Session *s)
{
  GstBin *bin = GST_BIN (s->pipeline);
  auto on_parsed = +[] (GstElement *, GstPad *pad, gpointer data) {
    auto *ctx = (std::pair<RecordRun *, Session *> *) data;
    ctx->first->on_stream (ctx->second, pad);
  };
  /* Freed with the pipeline. */
  auto *ctx = new std::pair<RecordRun *, Session *> (this, s);
  g_object_set_data_full (G_OBJECT (s->pipeline), "stillframe-session", ctx,
      [] (gpointer p) { delete (std::pair<RecordRun *, Session *> *) p; });
  auto add_parser = [bin, ctx, on_parsed] (GstPad *pad) {
    GstElement *parse = make ("parsebin");
    gst_bin_add (bin, parse);
    g_signal_connect (parse, "pad-added", G_CALLBACK (on_parsed), ctx);
    gst_element_sync_state_with_parent (parse);
    GstPad *sink = gst_element_get_static_pad (parse, "sink");
    gst_pad_link (pad, sink);
    gst_object_unref (sink);
  };
  const std::string &src = o_.source;
  if (!o_.source_pipeline.empty ()) {
    GError *error = NULL;
    /* Pads are not ghosted by the parser: it would take the sink pad of an
     * element whose link to a demuxer is still to come. */
    GstElement *source = gst_parse_bin_from_description
        (o_.source_pipeline.c_str (), FALSE, &error);
    if (!source) {
      const std::string why = error ? error->message : "cannot make it";
      g_clear_error (&error);
      throw std::runtime_error ("--source-pipeline: " + why);
    }
    g_clear_error (&error);
    gst_bin_add (bin, source);
    GstPad *out = unlinked_source_pad (GST_BIN (source));
    if (!out)
      throw std::runtime_error ("--source-pipeline: its last element must "
          "have a source pad (after a demuxer, name the stream: "
          "qtdemux name=d d.video_0 ! h264parse)");
    GstPad *ghost = gst_ghost_pad_new ("src", out);
    gst_object_unref (out);
    gst_pad_set_active (ghost, TRUE);
    gst_element_add_pad (source, ghost);
    add_parser (ghost);
  } else if (g_str_has_prefix (src.c_str (), "/dev/") ||
      g_str_has_prefix (src.c_str (), "v4l2://")) {
    GstElement *v4l2 = make ("v4l2src");
    g_object_set (v4l2, "device", src.c_str () + (src[0] == '/' ? 0 : 7),
        NULL);
    gst_bin_add (bin, v4l2);
    GstPad *out = gst_element_get_static_pad (v4l2, "src");
    on_stream (s, out);
    gst_object_unref (out);
  } else {
    if (!gst_uri_is_valid (src.c_str ()))
      throw std::runtime_error ("'" + src + "' is not a URI or a device "
          "(rtsp://..., http://..., file://..., /dev/video0)");
    GstElement *uri = make ("urisourcebin");
    g_object_set (uri, "uri", src.c_str (), NULL);
    g_signal_connect (uri, "source-setup", G_CALLBACK (+[] (GstElement *,
                GstElement *source, gpointer) {
              const char *user = g_getenv ("STILLFRAME_CAMERA_USER");
              const char *password = g_getenv ("STILLFRAME_CAMERA_PASSWORD");
              if (user && g_object_class_find_property (G_OBJECT_GET_CLASS
                      (source), "user-id"))
                g_object_set (source, "user-id", user, NULL);
              if (password && g_object_class_find_property
                  (G_OBJECT_GET_CLASS (source), "user-pw"))
                g_object_set (source, "user-pw", password, NULL);
            }), NULL);
    gst_bin_add (bin, uri);
    auto *adder = new std::function<void (GstPad *)> (add_parser);
    g_signal_connect_data (uri, "pad-added", G_CALLBACK (+[] (GstElement *,
                GstPad *pad, gpointer data) {
              (*(std::function<void (GstPad *)> *) data) (pad);
            }), adder, [] (gpointer p, GClosure *) {
          delete (std::function<void (GstPad *)> *) p;
        }, (GConnectFlags) 0);
  }
  if (!o_.detect_source.empty ()) {
    GstElement *decode = make ("uridecodebin");
    g_object_set (decode, "uri", o_.detect_source.c_str (), NULL);
    connect_decoder_filter (decode);
    gst_bin_add (bin, decode);
    g_signal_connect (decode, "pad-added", G_CALLBACK (+[] (GstElement *,
                GstPad *pad, gpointer data) {
              auto *c = (std::pair<RecordRun *, Session *> *) data;
              if (g_str_has_prefix (media_type (pad).c_str (), "video/") &&
                  !c->second->has_detector.exchange (true))
                c->first->add_detector (c->second, pad);
              else
                link_to_discard (GST_BIN (c->second->pipeline), pad);
            }), ctx);
  }
}

/* A stream of the camera (parsed, or raw from a V4L2 device). */
void
RecordRun::on_stream (Session *s, GstPad *pad)
{
  GstBin *bin = GST_BIN (s->pipeline);
  const std::string type = media_type (pad);
  try {
    const bool h26x = type == "video/x-h264" || type == "video/x-h265";
    if (g_str_has_prefix (type.c_str (), "video/") &&
        !s->has_video.exchange (true)) {
      if (h26x) {
        /* The camera's own packets to the ring, and decoded to the
         * detector. */
        GstElement *tee = make ("tee");
        GstElement *to_ring = make_queue (10 * GST_SECOND);
        gst_bin_add_many (bin, tee, to_ring, NULL);
        link_or_throw (tee, to_ring);
        GstPad *ring_src = gst_element_get_static_pad (to_ring, "src");
        add_packet_sink (s, ring_src, true);
        gst_object_unref (ring_src);
        if (o_.detect_source.empty ()) {
          GstElement *to_detect = make_queue (10 * GST_SECOND);
          GstElement *decode = make ("decodebin");
          connect_decoder_filter (decode);
          add_chain (bin, {to_detect, decode});
          link_or_throw (tee, to_detect);
          g_signal_connect (decode, "pad-added", G_CALLBACK (+[] (GstElement
                      *, GstPad *decoded, gpointer data) {
                    auto *c = (std::pair<RecordRun *, Session *> *) data;
                    if (!c->second->has_detector.exchange (true))
                      c->first->add_detector (c->second, decoded);
                    else
                      link_to_discard (GST_BIN (c->second->pipeline),
                          decoded);
                  }), g_object_get_data (G_OBJECT (s->pipeline),
                  "stillframe-session"));
          for (GstElement *e : {to_detect, decode})
            gst_element_sync_state_with_parent (e);
        }
        for (GstElement *e : {tee, to_ring})
          gst_element_sync_state_with_parent (e);
        GstPad *sink = gst_element_get_static_pad (tee, "sink");
        gst_pad_link (pad, sink);
        gst_object_unref (sink);
        return;
      }
      /* MJPEG, raw: decoded, analysed, and encoded to H.264 for the
       * files. */
      GstElement *decode = make ("decodebin");
      connect_decoder_filter (decode);
      gst_bin_add (bin, decode);
      g_signal_connect (decode, "pad-added", G_CALLBACK (+[] (GstElement *,
                  GstPad *decoded, gpointer data) {
                auto *c = (std::pair<RecordRun *, Session *> *) data;
                c->first->add_encoder (c->second, decoded);
              }), g_object_get_data (G_OBJECT (s->pipeline),
              "stillframe-session"));
      gst_element_sync_state_with_parent (decode);
      GstPad *sink = gst_element_get_static_pad (decode, "sink");
      gst_pad_link (pad, sink);
      gst_object_unref (sink);
      return;
    }
    if (g_str_has_prefix (type.c_str (), "audio/") &&
        !s->has_audio.exchange (true)) {
      GstCaps *caps = gst_pad_get_current_caps (pad);
      gint mpegversion = 0;
      const bool aac = caps && gst_structure_get_int
          (gst_caps_get_structure (caps, 0), "mpegversion", &mpegversion) &&
          type == "audio/mpeg" && mpegversion == 4;
      if (caps)
        gst_caps_unref (caps);
      /* Shorter than the recorder waits for audio: from a file, read as
       * fast as each thread goes, the video runs ahead of the audio by at
       * most what this holds. */
      GstElement *queue = make_queue (kAudioLagMax / 2);
      GstElement *last = queue;
      if (aac) {
        gst_bin_add (bin, queue);
      } else {
        /* G.711, Opus, ...: AAC, which every container here takes. */
        GstElement *decode = make ("decodebin");
        GstElement *convert = make ("audioconvert");
        GstElement *resample = make ("audioresample");
        GstElement *encode = make ("avenc_aac");
        GstElement *parse = make ("aacparse");
        add_chain (bin, {queue, decode});
        add_chain (bin, {convert, resample, encode, parse});
        g_signal_connect_data (decode, "pad-added", G_CALLBACK (+[]
                (GstElement *, GstPad *decoded, gpointer data) {
                  GstPad *sink = gst_element_get_static_pad (GST_ELEMENT
                      (data), "sink");
                  gst_pad_link (decoded, sink);
                  gst_object_unref (sink);
                }), gst_object_ref (convert), (GClosureNotify) (void (*)
              (void)) gst_object_unref, (GConnectFlags) 0);
        for (GstElement *e : {decode, convert, resample, encode, parse})
          gst_element_sync_state_with_parent (e);
        last = parse;
      }
      gst_element_sync_state_with_parent (queue);
      GstPad *out = gst_element_get_static_pad (last, "src");
      add_packet_sink (s, out, false);
      gst_object_unref (out);
      GstPad *sink = gst_element_get_static_pad (queue, "sink");
      gst_pad_link (pad, sink);
      gst_object_unref (sink);
      return;
    }
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR (s->pipeline, CORE, MISSING_PLUGIN, ("%s", e.what ()),
        (NULL));
  }
  link_to_discard (bin, pad);
}

/* Decoded video that is not the camera's H.264 or H.265: to the detector
 * and, encoded, to the ring. */
void
RecordRun::add_encoder (Session *s, GstPad *decoded)
{
  GstBin *bin = GST_BIN (s->pipeline);
  if (!g_str_has_prefix (media_type (decoded).c_str (), "video/")) {
    link_to_discard (bin, decoded);
    return;
  }
  try {
    GstElement *tee = make ("tee");
    GstElement *to_encode = make_queue (2 * GST_SECOND);
    GstElement *convert = make ("videoconvert");
    GstElement *encode = make ("x264enc");
    gst_util_set_object_arg (G_OBJECT (encode), "tune", "zerolatency");
    gst_util_set_object_arg (G_OBJECT (encode), "speed-preset", "veryfast");
    gst_util_set_object_arg (G_OBJECT (encode), "pass", "quant");
    /* A keyframe a second: the pre-roll reaches back no further than it
     * must. */
    GstCaps *caps = gst_pad_get_current_caps (decoded);
    gint num = 0, den = 1;
    if (caps)
      gst_structure_get_fraction (gst_caps_get_structure (caps, 0),
          "framerate", &num, &den);
    gst_caps_replace (&caps, NULL);
    g_object_set (encode, "key-int-max", (guint) (num > 0 && den > 0 ?
            std::max (1, num / den) : 30), NULL);
    GstElement *parse = make ("h264parse");
    add_chain (bin, {tee, to_encode, convert, encode, parse});
    GstPad *parsed = gst_element_get_static_pad (parse, "src");
    add_packet_sink (s, parsed, true);
    gst_object_unref (parsed);
    if (o_.detect_source.empty () && !s->has_detector.exchange (true)) {
      GstPad *branch = gst_element_request_pad_simple (tee, "src_%u");
      add_detector (s, branch);
      gst_object_unref (branch);
    }
    for (GstElement *e : {tee, to_encode, convert, encode, parse})
      gst_element_sync_state_with_parent (e);
    GstPad *sink = gst_element_get_static_pad (tee, "sink");
    gst_pad_link (decoded, sink);
    gst_object_unref (sink);
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR (s->pipeline, CORE, MISSING_PLUGIN, ("%s", e.what ()),
        (NULL));
  }
}

void
RecordRun::add_detector (Session *s, GstPad *pad)
{
  GstBin *bin = GST_BIN (s->pipeline);
  GstElement *queue = make_queue (2 * GST_SECOND);
  GstElement *convert = make ("videoconvert");
  GstElement *detect = make ("stillframedetect");
  g_object_set (detect, "post-messages", FALSE, NULL);
  for (const auto &[k, v] : o_.detect_props)
    set_from_string (detect, k, v);
  GstElement *sink = make ("fakesink");
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  add_chain (bin, {queue, convert, detect, sink});
  GstPad *analysed = gst_element_get_static_pad (detect, "src");
  gst_pad_add_probe (analysed, GST_PAD_PROBE_TYPE_BUFFER, +[] (GstPad *p,
          GstPadProbeInfo *info, gpointer data) {
        auto *c = (std::pair<RecordRun *, Session *> *) data;
        c->first->on_frame (c->second, p, GST_PAD_PROBE_INFO_BUFFER (info));
        return GST_PAD_PROBE_OK;
      }, g_object_get_data (G_OBJECT (s->pipeline), "stillframe-session"),
      NULL);
  gst_object_unref (analysed);
  for (GstElement *e : {queue, convert, detect, sink})
    gst_element_sync_state_with_parent (e);
  GstPad *in = gst_element_get_static_pad (queue, "sink");
  gst_pad_link (pad, in);
  gst_object_unref (in);
}

void
RecordRun::add_packet_sink (Session *s, GstPad *pad, bool video)
{
  GstElement *sink = make ("appsink");
  /* Whole frames: a packet per picture. */
  GstCaps *caps = gst_caps_from_string (video ?
      "video/x-h264,alignment=au;video/x-h265,alignment=au" : "audio/mpeg");
  g_object_set (sink, "sync", FALSE, "async", FALSE, "caps", caps,
      "max-buffers", 0u, "drop", FALSE, NULL);
  gst_caps_unref (caps);
  auto *stream = new PacketStream {this, s, video};
  GstAppSinkCallbacks callbacks {};
  callbacks.new_sample = +[] (GstAppSink *appsink, gpointer data) {
    GstSample *sample = gst_app_sink_pull_sample (appsink);
    if (sample) {
      auto *st = (PacketStream *) data;
      st->run->on_packet (st, sample);
      gst_sample_unref (sample);
    }
    return GST_FLOW_OK;
  };
  if (!video) {
    callbacks.eos = +[] (GstAppSink *, gpointer data) {
      auto *st = (PacketStream *) data;
      g_mutex_lock (&st->run->lock_);
      if (!st->session->ended)
        st->session->recorder->end_audio ();
      g_mutex_unlock (&st->run->lock_);
    };
    g_mutex_lock (&lock_);
    s->recorder->expect_audio ();
    g_mutex_unlock (&lock_);
  }
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, stream,
      [] (gpointer p) { delete (PacketStream *) p; });
  gst_bin_add (GST_BIN (s->pipeline), sink);
  gst_element_sync_state_with_parent (sink);
  GstPad *in = gst_element_get_static_pad (sink, "sink");
  if (gst_pad_link (pad, in) != GST_PAD_LINK_OK)
    GST_ELEMENT_ERROR (s->pipeline, CORE, NEGOTIATION,
        ("cannot take the camera's %s packets", video ? "video" : "audio"),
        (NULL));
  gst_object_unref (in);
}

void
RecordRun::on_packet (PacketStream *stream, GstSample *sample)
{
  Session *s = stream->session;
  GstBuffer *buffer = gst_sample_get_buffer (sample);
  const GstSegment *segment = gst_sample_get_segment (sample);
  if (!buffer)
    return;
  RingPacket p;
  p.video = stream->video;
  p.pts = running_time (segment, GST_BUFFER_PTS (buffer));
  p.dts = running_time (segment, GST_BUFFER_DTS (buffer));
  p.duration = GST_BUFFER_DURATION_IS_VALID (buffer) ?
      GST_BUFFER_DURATION (buffer) : kNoTime;
  p.keyframe = !p.video || !GST_BUFFER_FLAG_IS_SET (buffer,
      GST_BUFFER_FLAG_DELTA_UNIT);
  p.bytes = gst_buffer_get_size (buffer);
  p.payload = std::shared_ptr<void> (gst_buffer_ref (buffer), [] (void *b) {
        gst_buffer_unref ((GstBuffer *) b);
      });
  s->last_packet_us = g_get_monotonic_time ();
  s->received = true;
  g_mutex_lock (&lock_);
  if (!s->ended) {
    GstCaps *caps = gst_sample_get_caps (sample);
    gst_caps_replace (p.video ? &s->video_caps : &s->audio_caps, caps);
    s->recorder->add_packet (std::move (p));
  }
  g_mutex_unlock (&lock_);
}

void
RecordRun::on_frame (Session *s, GstPad *pad, GstBuffer *buffer)
{
  MotionMetaFields fields;
  if (!fields.read (buffer))
    return;
  GstEvent *event = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  const GstSegment *segment = NULL;
  if (event)
    gst_event_parse_segment (event, &segment);
  AnalysedFrame frame;
  frame.start = running_time (segment, GST_BUFFER_PTS (buffer));
  frame.duration = GST_BUFFER_DURATION_IS_VALID (buffer) ?
      GST_BUFFER_DURATION (buffer) : kNoTime;
  frame.motion = fields.motion;
  frame.score = fields.score;
  frame.box = Box {fields.x, fields.y, fields.width, fields.height};
  if (event)
    gst_event_unref (event);
  g_mutex_lock (&lock_);
  if (!s->ended)
    s->recorder->add_frame (frame);
  g_mutex_unlock (&lock_);
}

/* The files: open_file ... event_ended run under lock_, on the thread whose
 * packet or frame decided them. */

const std::shared_ptr<EventRecord> &
RecordRun::current_event ()
{
  if (!current_event_) {
    current_event_ = std::make_shared<EventRecord> ();
    current_event_->wall_zero = (std::int64_t) gst_element_get_base_time
        (session_->pipeline);
    current_event_->number = event_lines_.begin ();
  }
  return current_event_;
}

void
RecordRun::open_file (Time start)
{
  Session *s = session_.get ();
  auto w = std::make_unique<Writer> ();
  w->run = this;
  w->start = start;
  w->event = current_event ();
  const std::int64_t wall = current_event_->wall_zero + (std::int64_t) start;
  try {
    auto reserved = [this] (const std::string &name) {
      for (const auto &other : writers_)
        if (other->name == name)
          return true;
      return false;
    };
    w->name = unused_name (o_.folder, event_file_name (o_.name_template,
            wall), reserved);
    const std::string target = o_.folder + "/" + w->name;
    gchar *dir = g_path_get_dirname (target.c_str ());
    g_mkdir_with_parents (dir, 0777);
    g_free (dir);
    w->pending = std::make_unique<PendingFile> (target);

    w->pipeline = gst_pipeline_new ("event-file");
    GstBin *bin = GST_BIN (w->pipeline);
    GstElement *mux = make (muxer_for (w->name));
    GstElement *file = make ("filesink");
    g_object_set (file, "location", w->pending->path ().c_str (), NULL);
    add_chain (bin, {mux, file});
    GstCaps *video_caps = s->video_caps;
    const bool h265 = video_caps && gst_structure_has_name
        (gst_caps_get_structure (video_caps, 0), "video/x-h265");
    w->video = make ("appsrc");
    g_object_set (w->video, "caps", video_caps, "format", GST_FORMAT_TIME,
        "max-bytes", (guint64) 0, NULL);
    GstElement *vparse = make (h265 ? "h265parse" : "h264parse");
    add_chain (bin, {w->video, vparse});
    if (!gst_element_link_pads (vparse, "src", mux, "video_%u"))
      throw std::runtime_error (std::string (muxer_for (w->name)) +
          " takes no such video");
    if (s->audio_caps) {
      w->audio = make ("appsrc");
      g_object_set (w->audio, "caps", s->audio_caps, "format",
          GST_FORMAT_TIME, "max-bytes", (guint64) 0, NULL);
      GstElement *aparse = make ("aacparse");
      add_chain (bin, {w->audio, aparse});
      if (!gst_element_link_pads (aparse, "src", mux, "audio_%u"))
        throw std::runtime_error (std::string (muxer_for (w->name)) +
            " takes no such audio");
    }
    GstBus *bus = gst_element_get_bus (w->pipeline);
    w->watch = gst_bus_add_watch (bus, on_writer_bus, w.get ());
    gst_object_unref (bus);
    if (gst_element_set_state (w->pipeline, GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE)
      throw std::runtime_error ("cannot start writing");
  } catch (const std::exception &e) {
    w->error = e.what ();
  }
  current_event_->pending++;
  current_ = w.get ();
  writers_.push_back (std::move (w));
  if (!current_->error.empty ()) {
    /* Said and cleaned up on the main loop, as any writing error. */
    Writer *failed = current_;
    current_ = nullptr;
    g_idle_add ([] (gpointer data) {
          Writer *w = (Writer *) data;
          w->run->finish_writer (w);
          return G_SOURCE_REMOVE;
        }, failed);
  }
}

void
RecordRun::write (const RingPacket &packet)
{
  Writer *w = current_;
  if (!w)
    return;
  GstElement *src = packet.video ? w->video : w->audio;
  if (!src)
    return;
  if (packet.video && !w->last_end) {
    /* The first packet, a keyframe: times start from it (its DTS when it
     * has one, so that none is negative). */
    w->offset = is_time (packet.dts) && packet.dts < packet.time () ?
        packet.dts : packet.time ();
  }
  GstBuffer *buffer = gst_buffer_copy ((GstBuffer *) packet.payload.get ());
  auto shifted = [w] (Time t) -> GstClockTime {
    return is_time (t) && t >= w->offset ? t - w->offset : GST_CLOCK_TIME_NONE;
  };
  GST_BUFFER_PTS (buffer) = shifted (packet.pts);
  /* RTP gives presentation times only: in a camera's stream (no B-frames)
   * decoding goes in the same order, and a parser that had to guess would
   * guess from a frame rate the stream may not state. */
  GST_BUFFER_DTS (buffer) = shifted (is_time (packet.dts) ? packet.dts :
      packet.pts);
  if (packet.video) {
    const Time end = packet.time () + (is_time (packet.duration) ?
        packet.duration : 0);
    w->last_end = std::max (w->last_end, end);
  }
  gst_app_src_push_buffer (GST_APP_SRC (src), buffer);
}

void
RecordRun::close_file ()
{
  Writer *w = current_;
  current_ = nullptr;
  if (!w)
    return;
  gst_app_src_end_of_stream (GST_APP_SRC (w->video));
  if (w->audio)
    gst_app_src_end_of_stream (GST_APP_SRC (w->audio));
}

void
RecordRun::event_ended (const EventSummary &event)
{
  current_event ()->ended = true;
  current_event_->summary = event;
  if (current_event_->pending == 0) {
    /* No file holds it (the camera never sent a keyframe for it): its
     * line all the same, from the main loop. */
    line_ready_if_done (*current_event_);
    g_idle_add ([] (gpointer data) {
          ((RecordRun *) data)->write_event_lines ();
          return G_SOURCE_REMOVE;
        }, this);
  }
  current_event_.reset ();
}

/* On the main loop. */

gboolean
RecordRun::on_writer_bus (GstBus *, GstMessage *msg, gpointer data)
{
  Writer *w = (Writer *) data;
  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR:{
      GError *error = NULL;
      gst_message_parse_error (msg, &error, NULL);
      w->error = error->message;
      g_error_free (error);
      break;
    }
    case GST_MESSAGE_EOS:
      break;
    default:
      return G_SOURCE_CONTINUE;
  }
  w->watch = 0;
  w->run->finish_writer (w);
  return G_SOURCE_REMOVE;
}

/* A file's end is written (or writing it failed): it gets its name, the
 * index has it, and its event's line goes out if it was the last. */
void
RecordRun::finish_writer (Writer *w)
{
  g_mutex_lock (&lock_);
  if (current_ == w) {
    /* Failed while open: the rest of the event has no file. */
    current_ = nullptr;
  }
  g_mutex_unlock (&lock_);
  if (w->pipeline)
    gst_element_set_state (w->pipeline, GST_STATE_NULL);
  std::string error = w->error;
  GStatBuf st {};
  if (error.empty () && w->pending) {
    /* Taken meanwhile by another program: the next free name. */
    for (int tries = 0; tries < 100; tries++) {
      error = w->pending->commit (false);
      if (error.empty () || !name_taken (w->pending->target ()))
        break;
      w->name = unused_name (o_.folder, w->name, [] (const std::string &) {
            return false; });
      w->pending->retarget (o_.folder + "/" + w->name);
    }
  }
  if (error.empty () && g_stat ((o_.folder + "/" + w->name).c_str (), &st)
      != 0)
    error = std::strerror (errno);
  std::shared_ptr<EventRecord> event = w->event;
  g_mutex_lock (&lock_);
  if (error.empty ()) {
    const std::pair<Time, std::string> file {w->start, w->name};
    event->files.insert (std::upper_bound (event->files.begin (),
            event->files.end (), file), file);
    files_total_++;
  }
  event->pending--;
  line_ready_if_done (*event);
  g_mutex_unlock (&lock_);
  if (error.empty ()) {
    const std::string indexed = index_.add ({w->name, (std::uint64_t)
          st.st_size, g_get_real_time () / G_USEC_PER_SEC});
    if (!indexed.empty ())
      std::fprintf (stderr, "stillframe: %s\n", indexed.c_str ());
    if (!o_.quiet)
      std::fprintf (stderr, "stillframe: recorded %s (%.1f s)\n",
          w->name.c_str (), (double) (w->last_end - w->start) / kSecond);
  } else {
    std::fprintf (stderr, "%s\n", say ("stillframe: cannot write " +
            o_.folder + "/" + w->name + ": " + error).c_str ());
    if (w->pending)
      w->pending->discard ();
  }
  g_mutex_lock (&lock_);
  for (auto it = writers_.begin (); it != writers_.end (); ++it)
    if (it->get () == w) {
      std::unique_ptr<Writer> gone = std::move (*it);
      writers_.erase (it);
      g_mutex_unlock (&lock_);
      gone.reset ();
      g_mutex_lock (&lock_);
      break;
    }
  g_mutex_unlock (&lock_);
  write_event_lines ();
  apply_retention ();
}

void
RecordRun::line_ready_if_done (const EventRecord &event)
{
  if (!event.ended || event.pending > 0)
    return;
  const std::int64_t zero = event.wall_zero;
  std::vector<std::string> names;
  for (const auto &file : event.files)
    names.push_back (file.second);
  event_lines_.ready (event.number, event_json_line (event.summary,
          [zero] (Time t) { return zero + (std::int64_t) t; }, names));
}

void
RecordRun::write_event_lines (bool at_end)
{
  g_mutex_lock (&lock_);
  const std::vector<std::string> lines = event_lines_.take (at_end);
  g_mutex_unlock (&lock_);
  for (const std::string &line : lines) {
    events_total_++;
    if (events_) {
      std::fputs (line.c_str (), events_);
      std::fflush (events_);
    }
    if (o_.print_events) {
      std::fputs (line.c_str (), stdout);
      std::fflush (stdout);
    }
  }
}

void
RecordRun::apply_retention ()
{
  if (!o_.retention.active ())
    return;
  std::string error;
  const std::vector<std::string> deleted = index_.apply (o_.retention,
      g_get_real_time () / G_USEC_PER_SEC, &error);
  if (!error.empty ())
    std::fprintf (stderr, "stillframe: %s\n", error.c_str ());
  if (!o_.quiet)
    for (const std::string &name : deleted)
      std::fprintf (stderr, "stillframe: deleted %s (retention)\n",
          name.c_str ());
}

}  // namespace

int
run_record (int argc, char **argv)
{
  RecordOptions options;
  const int parsed = parse_record_options (argc, argv, options);
  if (parsed < 0)
    return EXIT_DONE;
  if (parsed != EXIT_DONE)
    return parsed;
  try {
    RecordRun run (options);
    return run.run ();
  } catch (const std::exception &e) {
    std::fprintf (stderr, "stillframe: %s\n", e.what ());
    return EXIT_RUNTIME;
  }
}

}  // namespace stillframe::cli
