/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "supervise.h"

#include "copymode.h"
#include "fastdecode.h"
#include "gestimeline.h"
#include "htmlreport.h"
#include "pipeline.h"
#include "report.h"
#include "stillframemeta.h"
#include "textformat.h"
#include "timeline.h"

#include <glib-unix.h>
#include <gst/pbutils/pbutils.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>
#include <map>
#include <optional>
#include <stdexcept>

namespace stillframe::cli {

namespace {

/* Results of finished jobs waiting for an earlier one, so that tables and
 * CSV rows follow the input order: at most this many per parallel job,
 * so a batch's memory does not grow with its length. */
constexpr std::size_t kResultsAheadPerJob = 4;

/* What went to the output, in seconds from the input's first frame. */
std::vector<Range>
kept_ranges (Job *job, const Progress &progress)
{
  if (!GST_CLOCK_TIME_IS_VALID (progress.origin_stream))
    return {};
  /* With --start, what was read begins there. */
  const double limit = job->options->range_start + to_seconds
      (job->duration_in);
  if (job->gate) {
    /* --copy keeps whole GOPs. */
    g_mutex_lock (&job->gate->lock);
    const std::vector<Range> gops = job->gate->kept;
    g_mutex_unlock (&job->gate->lock);
    /* The running time the input's own start would have (--start reads
     * from later on). */
    return kept_gops (gops, to_seconds (progress.origin_running) -
        (to_seconds (progress.first_stream) - to_seconds
            (progress.origin_stream)), limit);
  }
  return kept_between (job->dropped, to_seconds (progress.origin_stream),
      limit, job->options->range_start);
}

ReportData
report_of (Job *job, const std::vector<Range> &kept,
    const std::vector<Event> &events)
{
  const Options &o = *job->options;
  ReportData r;
  r.input = job->input.name;
  r.trim = o.trim;
  r.split = o.split;
  r.output = job->output;
  r.files = job->files;
  r.duration_in = to_seconds (job->duration_in);
  r.duration_out = to_seconds (job->duration_out);
  r.frames_in = job->frames_in;
  r.frames_out = job->frames_out;
  r.kept = kept;
  r.events = events;
  if (o.speed_static > 0) {
    r.speed_static = o.speed_static;
    const double origin = to_seconds (job->progress_now ().origin_stream);
    for (const Range &d : job->sped)
      r.sped.push_back ({d.start - origin, d.end - origin});
  }
  if (o.has_range ()) {
    r.range_start = o.range_start;
    r.range_end = o.range_end;
  }
  r.settings = o.detect_props;
  r.settings.insert (r.settings.end (), o.cut_props.begin (),
      o.cut_props.end ());
  r.interrupted = job->interrupted;
  r.damaged_input = job->damaged;
  r.nothing_kept = job->nothing_kept;
  r.notes = job->notes;
  r.error = job->error;
  r.exit_status = job->status;
  r.produced_by = job->provenance;
  r.written = job->written;
  if (job->fast) {
    r.fast = true;
    r.decoded = job->fast->share_now ();
    if (!r.decoded.fallback.empty ())
      r.notes.push_back ("--fast decoded every GOP: " + r.decoded.fallback);
    else if (r.decoded.longest_skip > 0) {
      char seconds[32];
      std::snprintf (seconds, sizeof seconds, "%.2f", r.decoded.longest_skip);
      r.notes.push_back (std::string ("--fast skipped GOPs of up to ") +
          seconds + " s: what comes and goes within one, between two "
          "keyframes that look alike, is not seen");
    }
  }
  return r;
}

/* A fact from a streaming thread, in its place among the bus messages;
 * true when the job must end now. */
bool
take_fact (Job *job, const JobMessage &fact)
{
  switch (fact.kind) {
    case JobMessage::Kind::Note:
      job->note (fact.text);
      break;
    case JobMessage::Kind::Failure:
      job->fail (fact.text);
      break;
    case JobMessage::Kind::VideoLinked:
      job->has_video = true;
      break;
    case JobMessage::Kind::Rotation:
      job->copied_rotation = fact.value;
      break;
    case JobMessage::Kind::RangeReady: {
      const std::string error = seek_to_range (job);
      if (error.empty ())
        break;
      job->fail (error);
      job->status = EXIT_BAD_INPUT;
      return true;      /* the streams wait for the seek: nothing comes */
    }
  }
  return false;
}

/* What a finished job leaves for the end of the run, in input order. */
struct Result {
  int status = EXIT_DONE;
  std::string table, csv, stdout_report;
  std::optional<TimelineSource> timeline_source;
  std::optional<HtmlIndexEntry> html_entry;     /* several inputs' pages */
};

/* The input as a timeline holds it. */
TimelineSource
timeline_source_of (Job *job, const std::vector<Range> &kept,
    const std::vector<Event> &events)
{
  TimelineSource s;
  gchar *absolute = g_canonicalize_filename (job->input.path.c_str (), NULL);
  gchar *uri = gst_filename_to_uri (absolute, NULL);
  gchar *name = g_path_get_basename (absolute);
  s.uri = uri ? uri : "";
  s.name = name;
  g_free (name);
  g_free (uri);
  g_free (absolute);
  g_mutex_lock (&job->lock);
  const Analysis &a = job->analysis;
  s.width = a.width;
  s.height = a.height;
  s.rate_num = a.rate_num;
  s.rate_den = a.rate_den;
  g_mutex_unlock (&job->lock);
  /* The whole file, not only what --start and --end read of it. */
  s.duration = std::max (to_seconds (job->declared_duration),
      std::max (0.0, job->options->range_start) + to_seconds
      (job->duration_in));
  if (s.rate_num <= 0) {
    /* A variable rate: its mean, to the millisecond. */
    s.rate_den = 1000;
    s.rate_num = s.duration > 0 ? (int) std::lround (job->frames_in * 1000.0
        / s.duration) : 25000;
    job->note ("the timeline places this variable-frame-rate input at its "
        "mean rate, " + fixed_seconds (s.rate_num / 1000.0) + " fps: cuts may "
        "be a frame off");
  }
  s.has_audio = job->has_audio_stream;
  s.kept = kept;
  s.events = events;
  return s;
}

/* Writes --timeline from the inputs that finished, in input order; returns
 * an error message, or "". */
std::string
write_timeline (const Options &o, const std::vector<TimelineSource> &sources)
{
  gchar *base = g_path_get_basename (o.timeline.c_str ());
  const std::string title = base;
  g_free (base);
  try {
    switch (*timeline_format (o.timeline)) {
      case TimelineFormat::Otio:
        return write_whole_file (o.timeline, otio_text (title, sources),
            o.force);
      case TimelineFormat::Edl:
        return write_whole_file (o.timeline, edl_text (title, sources),
            o.force);
      case TimelineFormat::Fcpxml:
        return write_whole_file (o.timeline, fcpxml_text (title, sources),
            o.force);
      case TimelineFormat::Xges: {
        PendingFile file (o.timeline);
        const std::string error = write_xges (file.path (), sources);
        if (!error.empty ())
          return "cannot write " + o.timeline + ": " + error;
        return file.commit (o.force);
      }
    }
  } catch (const std::runtime_error &e) {
    return "cannot write " + o.timeline + ": " + e.what ();
  }
  return "";
}

struct App {
  const Options *options = nullptr;
  std::deque<std::unique_ptr<Job>> pending;     /* planned, not started */
  std::vector<std::unique_ptr<Job>> running;
  std::map<std::size_t, Result> results;        /* waiting for earlier ones */
  std::size_t next_result = 0;
  std::unique_ptr<PendingFile> csv;
  std::vector<TimelineSource> timeline_sources;
  std::vector<HtmlIndexEntry> html_index;
  int status = EXIT_DONE;
  GMainLoop *loop = nullptr;
  int interrupts = 0;
  bool tty = false, aborted = false;
  guint reap_source = 0;
};

App app;

void schedule_reap ();

void
clear_progress_line ()
{
  if (app.tty)
    g_printerr ("\r%-78s\r", "");
}

void
print_progress (Job *job, bool final_line)
{
  if (job->options->quiet)
    return;
  gint64 duration = -1;
  gst_element_query_duration (job->pipeline, GST_FORMAT_TIME, &duration);
  const Progress now = job->progress_now ();
  const double position = GST_CLOCK_TIME_IS_VALID (now.last_position) ?
      to_seconds (now.last_position - std::min (now.last_position,
              now.origin_stream)) : 0;
  const guint64 frames = now.frames_seen;
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

/* Notes what was found wrong with the input at its end: a file that stops
 * well before the duration it declares was cut short. */
void
check_input_complete (Job *job)
{
  const Progress now = job->progress_now ();
  const GstClockTime read = GST_CLOCK_TIME_IS_VALID (now.origin_stream) ?
      now.last_end - now.origin_stream : 0;
  /* --end reads up to there. */
  const double end = job->options->range_end;
  const GstClockTime expected = end >= 0 ? std::min<GstClockTime>
      (job->declared_duration, (GstClockTime) std::llround (end * GST_SECOND))
      : job->declared_duration;
  if (GST_CLOCK_TIME_IS_VALID (job->declared_duration)
      && read + GST_SECOND < expected) {
    job->damaged = true;
    job->note ("the input ends at " + clock_string (to_seconds (read)) +
        " of the " + clock_string (to_seconds (job->declared_duration)) +
        " it declares: the rest is missing or unreadable (a truncated "
        "file?)");
  }
}

/* Prints and appends, in input order, what finished jobs left. */
void
flush_results ()
{
  for (auto it = app.results.find (app.next_result); it != app.results.end ();
      it = app.results.find (++app.next_result)) {
    Result &r = it->second;
    app.status = worse_status (app.status, r.status);
    std::fputs (r.table.c_str (), stdout);
    std::fputs (r.stdout_report.c_str (), stdout);
    if (app.options->csv == "-")
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
    if (r.timeline_source)
      app.timeline_sources.push_back (std::move (*r.timeline_source));
    if (r.html_entry)
      app.html_index.push_back (std::move (*r.html_entry));
    app.results.erase (it);
  }
}

void
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
  job->stop_waiting ();
  if (job->pipeline)
    gst_element_set_state (job->pipeline, GST_STATE_NULL);
  const Options &o = *job->options;
  if (job->gate) {
    g_mutex_lock (&job->gate->lock);
    job->frames_out = job->gate->frames_out;
    g_mutex_unlock (&job->gate->lock);
  }
  const std::vector<Range> kept = kept_ranges (job, job->progress_now ());
  const std::vector<Event> events = job->events_now ();
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
  /* The output gets its name last, after the report that lists it: a
   * worker killed in between leaves a report that a restart redoes, never
   * an output that no report accounts for (resume.h). */
  std::string seal_error;
  if (succeeded && !job->nothing_kept)
    seal_error = job->seal_output ();
  if (!seal_error.empty ()) {
    job->fail (seal_error);
    job->status = EXIT_RUNTIME;
  }
  if ((job->status != EXIT_DONE && job->status != EXIT_DAMAGED_INPUT)
      || job->nothing_kept)
    job->discard_output ();

  const std::string name = job->input.name;
  clear_progress_line ();
  const std::string last_note = job->notes.empty () ? "" : job->notes.back ();
  if (job->status == EXIT_DAMAGED_INPUT)
    g_printerr ("stillframe: %s: damaged input, kept what could be read: "
        "%s\n", name.c_str (), last_note.c_str ());
  if (job->nothing_kept && job->status != EXIT_RUNTIME) {
    const std::string damage = job->damaged ? " (damaged input: nothing "
        "moved in what could be read: " + last_note + ")" : "";
    g_printerr ("stillframe: %s: %s: no output written%s\n", name.c_str (),
        job->interrupted ? "interrupted before anything moved" :
        "nothing moved", damage.c_str ());
  }
  else if (job->status == EXIT_DONE || job->status == EXIT_DAMAGED_INPUT) {
    const std::size_t count = events.size ();
    if (!o.quiet)
      g_printerr ("%s: kept %s of %s (%zu events)%s\n", name.c_str (),
          clock_string (to_seconds (job->duration_out)).c_str (),
          clock_string (to_seconds (job->duration_in)).c_str (), count,
          job->interrupted ? ", interrupted" : "");
  } else {
    g_printerr ("stillframe: %s: %s\n", name.c_str (), job->error.c_str ());
  }

  Result result;
  const bool reported = job->status == EXIT_DONE
      || job->status == EXIT_DAMAGED_INPUT || job->nothing_kept;
  if (!o.trim && !o.quiet && reported && o.report != "-" && o.csv != "-")
    result.table = event_table (job->input.name, events);
  if (reported)
    result.csv = csv_rows (job->input.name, events);
  if (job->scores) {
    /* The pipeline has stopped: its rows are the main thread's now. */
    std::string error = job->scores_error;
    if (reported && !app.aborted && error.empty ()) {
      error = job->scores->append (job->scores_rows);
      if (error.empty ())
        error = job->scores->commit (job->may_replace (job->scores_path));
      if (error.empty ())
        job->written.push_back ({job->scores_path, file_size
              (job->scores_path)});
    }
    if (!error.empty () && job->scores_error.empty ()) {
      g_printerr ("stillframe: %s: %s\n", name.c_str (), error.c_str ());
      job->status = EXIT_RUNTIME;
    }
    job->scores.reset ();
  }
  if (reported && !o.timeline.empty ())
    result.timeline_source = timeline_source_of (job, kept, events);
  if (job->thumbnails && !app.aborted) {
    std::string error;
    if (reported) {
      HtmlPage page;
      page.report = report_of (job, kept, events);
      page.scores = job->plotted_scores.points ();
      page.threshold = job->threshold;
      page.thumbnails = job->thumbnails->take_all ();
      const std::string html = html_page (page);
      error = write_whole_file (job->html_path, html, job->may_replace
          (job->html_path));
      if (!error.empty ()) {
        g_printerr ("stillframe: %s: %s\n", name.c_str (), error.c_str ());
        job->status = EXIT_RUNTIME;
      } else {
        job->written.push_back ({job->html_path, html.size ()});
      }
    }
    if (job->html_path != o.html && !o.shard) {
      HtmlIndexEntry entry;
      entry.input = job->input.name;
      if (reported && error.empty ()) {
        gchar *page = g_path_get_basename (job->html_path.c_str ());
        entry.page = page;
        g_free (page);
      }
      entry.duration_in = to_seconds (job->duration_in);
      entry.duration_out = to_seconds (job->duration_out);
      entry.events = events.size ();
      entry.error = reported ? error : job->error;
      result.html_entry = entry;
    }
    job->thumbnails.reset ();
  }
  const bool report_file = !job->report_path.empty ()
      && job->report_path != "-" && !app.aborted;
  if (!job->report_path.empty () && !app.aborted) {
    const std::string json = report_json (report_of (job, kept, events));
    if (job->report_path == "-") {
      result.stdout_report = one_line (json);
    } else {
      const std::string error = write_whole_file (job->report_path, json,
          job->may_replace (job->report_path));
      if (!error.empty ()) {
        g_printerr ("stillframe: %s: %s\n", name.c_str (), error.c_str ());
        job->status = EXIT_RUNTIME;
        job->discard_output ();
      }
    }
  }
  if (!job->files.empty ()) {
    const std::string error = job->commit_output ();
    if (!error.empty ()) {
      g_printerr ("stillframe: %s: %s\n", name.c_str (), error.c_str ());
      job->fail (error);
      job->status = EXIT_RUNTIME;
      job->discard_output ();
      /* The report listed the output: it says what happened instead. */
      if (report_file)
        write_whole_file (job->report_path, report_json (report_of (job,
                    kept, events)), true);
    }
  }
  result.status = job->status;
  app.results[job->index] = std::move (result);
  schedule_reap ();
}

gboolean
on_end_timeout (gpointer data)
{
  Job *job = (Job *) data;
  job->finish_timer = 0;
  /* Ending early follows a damaged input, which sets no error of its own. */
  if (job->error.empty ())
    job->error = "damaged input: " + (job->notes.empty () ? std::string ()
        : job->notes.back ());
  job->error += " (and what was read could not be finished in time)";
  job->status = EXIT_RUNTIME;
  finish_job (job);
  return G_SOURCE_REMOVE;
}

/* Sends EOS to a pad or an element from GStreamer's thread pool: a
 * serialized event waits for its pad's streaming thread, which may itself
 * be waiting (the cut's audio for the video's EOS, a muxer for the other
 * stream), and neither the main loop nor the other streams' EOS must wait
 * with it. */
void
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
void
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
void
handle_error (Job *job, GstMessage *msg)
{
  GError *error = NULL;
  gst_message_parse_error (msg, &error, NULL);
  const Progress now = job->progress_now ();
  ErrorFacts facts;
  facts.message = error->message;
  facts.settings = g_error_matches (error, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS);
  facts.writing = error->domain == GST_RESOURCE_ERROR
      && (error->code == GST_RESOURCE_ERROR_NO_SPACE_LEFT
      || error->code == GST_RESOURCE_ERROR_WRITE
      || error->code == GST_RESOURCE_ERROR_OPEN_WRITE
      || error->code == GST_RESOURCE_ERROR_CLOSE);
  facts.missing_plugin = g_error_matches (error, GST_CORE_ERROR,
      GST_CORE_ERROR_MISSING_PLUGIN);
  facts.from_input = reads_input (GST_MESSAGE_SRC (msg));
  facts.copy = job->options->copy;
  facts.nothing_read = now.frames_seen == 0;
  facts.has_video = job->has_video;
  facts.first = job->error.empty ();
  facts.output = job->output;
  g_error_free (error);

  const ErrorVerdict verdict = classify_error (facts);
  if (verdict.damaged_input) {
    if (!job->finish_timer) {
      job->damaged = true;
      job->note ("reading stopped at " + clock_string (to_seconds
              (now.read_until ())) + ": " + facts.message);
      end_input_early (job);
    }
    return;
  }
  job->fail (verdict.error);
  if (job->status == EXIT_DONE)
    job->status = verdict.status;
}

gboolean
on_bus (GstBus *, GstMessage *msg, gpointer data)
{
  Job *job = (Job *) data;
  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_EOS:
      break;
    case GST_MESSAGE_APPLICATION:{
      JobMessage fact;
      if (fact.parse (msg) && take_fact (job, fact))
        break;
      return TRUE;
    }
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
      stillframe::CutSpanMessage span;
      stillframe::CutSummaryMessage summary;
      if (stillframe::parse_element_message (msg, &span)) {
        job->dropped.push_back ({to_seconds (span.start),
              to_seconds (span.stop)});
        if (span.skimmed > 0)
          job->sped.push_back (job->dropped.back ());
      } else if (stillframe::parse_element_message (msg, &summary)) {
        job->frames_in = summary.frames_in;
        job->frames_out = summary.frames_out;
        job->duration_in = summary.duration_in;
        job->duration_out = summary.duration_out;
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
        if (state == GST_STATE_PLAYING && !job->options->copy
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
void
start_job (Job *job)
{
  job->remove_stopped_runs_files ();
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
    /* The element's own error says why, when it posted one (and one of
     * ours may have said it before). */
    while (GstMessage *msg = gst_bus_pop_filtered (bus, (GstMessageType)
            (GST_MESSAGE_ERROR | GST_MESSAGE_APPLICATION))) {
      JobMessage fact;
      if (fact.parse (msg))
        take_fact (job, fact);
      else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
        handle_error (job, msg);
      gst_message_unref (msg);
    }
    if (job->error.empty ()) {
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
gboolean
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
        app.options->jobs;
    if ((int) app.running.size () >= app.options->jobs || app.pending.empty ()
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

void
schedule_reap ()
{
  if (!app.reap_source)
    app.reap_source = g_idle_add (reap_and_start, NULL);
}

std::string
pipe_hint (Job *job)
{
  return job->input.kind == Input::Kind::File ? "" :
      " (is anything writing to it?)";
}

/* A demuxer or decoder stuck on a damaged file produces nothing and no
 * error: a job whose frame count stops moving is ended, keeping what was
 * read. */
void
watch_for_stall (Job *job, gint64 now)
{
  const Progress progress = job->progress_now ();
  const guint64 frames = progress.frames_seen;
  const GstClockTime read_until = progress.read_until ();
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
  if (frames > 0 && !job->options->copy) {
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

gboolean
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
void
abort_all ()
{
  app.aborted = true;
  for (auto &job : app.running) {
    if (job->finished)
      continue;
    job->interrupted = true;
    job->fail ("aborted");
    job->status = EXIT_INTERRUPTED;
    job->stop_waiting ();
    gst_element_set_state (job->pipeline, GST_STATE_NULL);
    job->discard_output ();
    job->finished = true;
  }
  g_main_loop_quit (app.loop);
}

gboolean
on_finish_timeout (gpointer)
{
  g_printerr ("stillframe: the output did not finish in time, aborting\n");
  abort_all ();
  return G_SOURCE_REMOVE;
}

gboolean
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
    const bool started = job->progress_now ().frames_seen > 0;
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

}  // namespace

int
worse_status (int a, int b)
{
  static const int order[] = { EXIT_RUNTIME, EXIT_BAD_INPUT,
    EXIT_DAMAGED_INPUT, EXIT_NOTHING_KEPT, EXIT_DONE };
  for (int s : order)
    if (a == s || b == s)
      return s;
  return EXIT_DONE;
}

ErrorVerdict
classify_error (const ErrorFacts &f)
{
  ErrorVerdict verdict;
  if (!f.nothing_read && !f.copy && f.from_input) {
    verdict.damaged_input = true;
    return verdict;
  }
  /* decodebin gives up on a stream it could not decode: when that was the
   * only one, and not video, the input has no video. */
  const std::string message = f.missing_plugin && !f.has_video ?
      "no video stream" : f.message;
  /* The first error is the one reported (a streaming thread may have said
   * more precisely what went wrong before it was posted). */
  if (f.writing)
    verdict.error = "cannot write " + f.output + ": " + message;
  else if (f.nothing_read && f.first && !f.settings
      && message != "no video stream")
    verdict.error = "not a video that can be read: " + message;
  else
    verdict.error = message;
  /* Our elements' settings that do not fit this input (a region past the
   * frame) are bad usage, with their message as it is. */
  verdict.status = f.settings || (f.nothing_read && !f.writing) ?
      EXIT_BAD_INPUT : EXIT_RUNTIME;
  return verdict;
}

int
run_jobs (const Options &options, std::vector<std::unique_ptr<Job>> jobs,
    int status)
{
  app.options = &options;
  for (auto &job : jobs)
    app.pending.push_back (std::move (job));
  app.status = status;

  if (!options.csv.empty ()) {
    if (options.csv == "-") {
      std::fputs (kCsvHeader, stdout);
    } else {
      try {
        app.csv = std::make_unique<PendingFile> (options.csv);
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
      const std::string error = app.csv->commit (options.force);
      if (!error.empty ()) {
        std::fprintf (stderr, "stillframe: %s\n", error.c_str ());
        app.status = worse_status (app.status, EXIT_RUNTIME);
      }
    }
  }
  if (!app.html_index.empty () && !app.aborted) {
    gchar *index = g_build_filename (options.html.c_str (), "index.html",
        NULL);
    const std::string error = write_whole_file (index, html_index
        (app.html_index), options.force);
    g_free (index);
    if (!error.empty ()) {
      std::fprintf (stderr, "stillframe: %s\n", error.c_str ());
      app.status = worse_status (app.status, EXIT_RUNTIME);
    }
  }
  if (!options.timeline.empty () && !app.aborted) {
    const std::string error = write_timeline (options, app.timeline_sources);
    if (!error.empty ()) {
      std::fprintf (stderr, "stillframe: %s\n", error.c_str ());
      app.status = worse_status (app.status, EXIT_RUNTIME);
    }
  }
  g_main_loop_unref (app.loop);
  return app.interrupts > 0 ? EXIT_INTERRUPTED : app.status;
}

}  // namespace stillframe::cli
