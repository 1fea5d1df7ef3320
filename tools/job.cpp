/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "job.h"

#include "copymode.h"
#include "fastdecode.h"

#include <glib/gstdio.h>

#include <unistd.h>

namespace stillframe::cli {

namespace {

constexpr const char *kJobMessage = "stillframe-cli-job";

}  // namespace

void
JobMessage::post (GstElement *pipeline, Kind kind, const std::string &text,
    int value)
{
  GstStructure *s = gst_structure_new (kJobMessage, "kind", G_TYPE_INT,
      (int) kind, "text", G_TYPE_STRING, text.c_str (), "value", G_TYPE_INT,
      value, NULL);
  gst_element_post_message (pipeline,
      gst_message_new_application (GST_OBJECT (pipeline), s));
}

bool
JobMessage::parse (GstMessage *message)
{
  if (GST_MESSAGE_TYPE (message) != GST_MESSAGE_APPLICATION)
    return false;
  const GstStructure *s = gst_message_get_structure (message);
  int k = 0;
  if (!s || !gst_structure_has_name (s, kJobMessage)
      || !gst_structure_get_int (s, "kind", &k)
      || !gst_structure_get_int (s, "value", &value))
    return false;
  kind = (Kind) k;
  const char *t = gst_structure_get_string (s, "text");
  text = t ? t : "";
  return true;
}

Job::Job () : analysis (0)
{
  g_mutex_init (&lock);
  gst_segment_init (&segment, GST_FORMAT_TIME);
}

Job::~Job ()
{
  stop_waiting ();
  if (pipeline) {
    gst_element_set_state (pipeline, GST_STATE_NULL);
    gst_object_unref (pipeline);
  }
  if (input_fd >= 0)
    close (input_fd);
  g_mutex_clear (&lock);
}

void
Job::stop_waiting ()
{
  if (gate)
    gate->stop ();
  if (fast)
    fast->stop ();
}

void
Job::fail (const std::string &message)
{
  if (error.empty ())
    error = message;
}

Progress
Job::progress_now ()
{
  g_mutex_lock (&lock);
  const Progress now = analysis.progress;
  g_mutex_unlock (&lock);
  return now;
}

std::vector<Event>
Job::events_now ()
{
  g_mutex_lock (&lock);
  std::vector<Event> events = analysis.events.events ();
  g_mutex_unlock (&lock);
  return events;
}

namespace {

/* Whether the muxer that wrote the job's files (inside splitmuxsink with
 * --split) stamped them with the run's time: mp4mux and qtmux do;
 * matroskamux was given the creation time when built (pipeline.cpp). */
bool
stamps_run_time (GstElement *mux)
{
  GstElement *muxer = NULL;
  if (mux && g_object_class_find_property (G_OBJECT_GET_CLASS (mux),
          "muxer"))
    g_object_get (mux, "muxer", &muxer, NULL);
  else if (mux)
    muxer = GST_ELEMENT (gst_object_ref (mux));
  GstElementFactory *factory = muxer ? gst_element_get_factory (muxer) :
      NULL;
  const bool stamps = factory && (g_str_equal (GST_OBJECT_NAME (factory),
          "mp4mux") || g_str_equal (GST_OBJECT_NAME (factory), "qtmux"));
  if (muxer)
    gst_object_unref (muxer);
  return stamps;
}

}  // namespace

void
Job::remove_stopped_runs_files ()
{
  std::vector<std::string> removed;
  auto remove = [&] (const std::string &target, bool parts) {
    if (target.empty () || target == "-")
      return;
    const std::vector<std::string> found = remove_orphans (target, parts);
    removed.insert (removed.end (), found.begin (), found.end ());
  };
  remove (output, options->split);
  for (const std::string *side : {&report_path, &scores_path, &html_path})
    remove (*side, false);
  if (!removed.empty () && !options->quiet)
    g_printerr ("%s: removed %zu partial file%s a stopped run left (%s%s)\n",
        input.name.c_str (), removed.size (), removed.size () > 1 ? "s" : "",
        removed.front ().c_str (), removed.size () > 1 ? ", ..." : "");
}

std::string
Job::seal_output ()
{
  files.clear ();
  const bool stamp = creation_time >= 0 && stamps_run_time (mux);
  if (partial) {
    if (copied_rotation > 0) {
      const std::string problem = set_video_rotation (partial->path (),
          copied_rotation);
      if (!problem.empty ())
        return "cannot keep the rotation: " + problem;
      note ("the input's rotation (" + std::to_string (copied_rotation) +
          " degrees clockwise) is written into the output's track header");
    }
    const std::string problem = stamp ? set_creation_time (partial->path (),
        creation_time) : "";
    if (!problem.empty ())
      return problem;
    files.push_back (output);
    written.push_back ({output, file_size (partial->path ())});
    return "";
  }
  g_mutex_lock (&lock);
  for (PendingFile &part : parts) {
    const std::string problem = stamp ? set_creation_time (part.path (),
        creation_time) : "";
    if (!problem.empty ()) {
      g_mutex_unlock (&lock);
      return problem;
    }
    files.push_back (part.target ());
    written.push_back ({part.target (), file_size (part.path ())});
  }
  g_mutex_unlock (&lock);
  return "";
}

std::string
Job::commit_output ()
{
  if (partial)
    return partial->commit (may_replace (output));
  g_mutex_lock (&lock);
  std::vector<PendingFile> sealed = std::move (parts);
  parts.clear ();
  g_mutex_unlock (&lock);
  for (PendingFile &part : sealed) {
    const std::string problem = part.commit (may_replace (part.target ()));
    if (!problem.empty ())
      return problem;
  }
  for (const std::string &stale : existing_parts (output))
    if (part_index (output, stale) > sealed.size () && may_replace (stale))
      g_unlink (stale.c_str ());
  return "";
}

void
Job::discard_output ()
{
  if (partial)
    partial->discard ();
  g_mutex_lock (&lock);
  parts.clear ();
  g_mutex_unlock (&lock);
  files.clear ();
  written.clear ();
}

void
fail_from_streaming (Job *job, const std::string &message)
{
  JobMessage::post (job->pipeline, JobMessage::Kind::Failure, message);
  GST_ELEMENT_ERROR (job->pipeline, CORE, PAD, ("%s", message.c_str ()),
      (NULL));
}

}  // namespace stillframe::cli
