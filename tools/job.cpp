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

std::string
Job::commit_output ()
{
  const bool force = options->force;
  if (partial) {
    if (copied_rotation > 0) {
      const std::string problem = set_video_rotation (partial->path (),
          copied_rotation);
      if (!problem.empty ())
        return "cannot keep the rotation: " + problem;
      note ("the input's rotation (" + std::to_string (copied_rotation) +
          " degrees clockwise) is written into the output's track header");
    }
    const std::string problem = partial->commit (force);
    if (problem.empty ())
      files.push_back (output);
    return problem;
  }
  g_mutex_lock (&lock);
  std::vector<PendingFile> written = std::move (parts);
  parts.clear ();
  g_mutex_unlock (&lock);
  for (PendingFile &part : written) {
    const std::string problem = part.commit (force);
    if (!problem.empty ())
      return problem;
    files.push_back (part.target ());
  }
  if (force)
    for (const std::string &stale : existing_parts (output))
      if (part_index (output, stale) > written.size ())
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
}

void
fail_from_streaming (Job *job, const std::string &message)
{
  JobMessage::post (job->pipeline, JobMessage::Kind::Failure, message);
  GST_ELEMENT_ERROR (job->pipeline, CORE, PAD, ("%s", message.c_str ()),
      (NULL));
}

}  // namespace stillframe::cli
