/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One input's job: what was planned for it, its pipeline, and what is
 * learned while it runs, each part with its owner.
 *
 * Threads: the main loop owns a job; the pipeline's streaming threads hand
 * it what they learn as JobMessages on the job's bus (in order with the
 * pipeline's own messages), except for what changes every frame (Analysis)
 * and --split's parts, which are under Job::lock. */
#pragma once

#include <gst/gst.h>

#include "filesafety.h"
#include "mp4headers.h"
#include "options.h"
#include "report.h"
#include "thumbnails.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace stillframe::cli {

/* An input as the run reads it. */
struct Input {
  enum class Kind { File, Pipe, Stdin };
  std::string name;             /* as given or found: messages, reports */
  Kind kind = Kind::File;
  std::string path;             /* the file or FIFO; empty for stdin */
};

/* A fact a streaming thread hands to the main thread: an application
 * message on the job's bus. The one owner of its structure. */
struct JobMessage {
  enum class Kind {
    Note,               /* text: for the report's notes */
    Failure,            /* text: the job's error, said before the bus error
                         * that stops the pipeline */
    VideoLinked,        /* the video stream is decoded into the cut */
    Rotation,           /* value: --copy's input rotation, clockwise */
    RangeReady,         /* --start/--end: the first frame was seen (its
                         * time is the progress's origin): seek now */
  };
  Kind kind = Kind::Note;
  std::string text;
  int value = 0;

  static void post (GstElement *pipeline, Kind kind,
      const std::string &text = "", int value = 0);
  /* False for any other message. */
  bool parse (GstMessage *message);
};

/* How far the detect probe has read the input. */
struct Progress {
  guint64 frames_seen = 0;
  /* The first frame's stream and running time: the report's time 0. */
  GstClockTime origin_stream = GST_CLOCK_TIME_NONE;
  GstClockTime origin_running = GST_CLOCK_TIME_NONE;
  /* The first analysed frame's stream time: origin_stream's, or later
   * with --start. */
  GstClockTime first_stream = GST_CLOCK_TIME_NONE;
  GstClockTime last_position = GST_CLOCK_TIME_NONE;     /* stream time */
  GstClockTime last_end = 0;                            /* stream time */

  /* How far the input was read, from its first frame. */
  GstClockTime read_until () const
  {
    return last_end - std::min (last_end, origin_stream);
  }
};

/* What the detect probe learns from each analysed frame: written on its
 * streaming thread, read by the main thread, both under Job::lock. */
struct Analysis {
  explicit Analysis (GstClockTime min_static) : events (min_static) {}

  Progress progress;
  EventGrouper events;
  /* The decoded video's, from its first caps: for timelines. */
  int width = 0, height = 0, rate_num = 0, rate_den = 1;
};

struct CopyGate;
struct FastDecode;

struct Job {
  Job ();
  ~Job ();
  Job (const Job &) = delete;
  Job &operator= (const Job &) = delete;

  /* Planned before it starts; read-only after. */
  const Options *options = nullptr;
  std::size_t index = 0;        /* in input order */
  Input input;
  std::string output;           /* trim's video (with --split: the base) */
  std::string report_path;      /* "" none, "-" standard output */
  std::string scores_path, html_path;   /* "" none */
  Provenance provenance;        /* for the report; files only */
  /* The output's creation time, seconds from 1970; -1: the muxer's. */
  std::int64_t creation_time = -1;
  /* Files an unfinished earlier run wrote for this input, which it may
   * replace (resume.h). */
  std::vector<std::string> own_files;

  /* The main thread's. */
  GstElement *pipeline = nullptr;
  GstElement *cut = nullptr, *mux = nullptr;
  guint bus_watch = 0, finish_timer = 0;
  int input_fd = -1;                    /* a FIFO we opened */
  /* The output being written, hidden until complete (not with --split). */
  std::unique_ptr<PendingFile> partial;
  bool finished = false, interrupted = false;
  int status = EXIT_DONE;
  std::string error;                    /* the first one is reported */
  std::vector<std::string> notes;
  /* Part of the input was missing or unreadable; what was read is kept. */
  bool damaged = false;
  bool nothing_kept = false;
  bool has_video = false;               /* JobMessage::VideoLinked */
  int copied_rotation = 0;              /* JobMessage::Rotation */
  GstClockTime declared_duration = GST_CLOCK_TIME_NONE;
  guint warnings = 0;
  /* Dropped spans from the cut's messages, in stream time. */
  std::vector<Range> dropped;
  /* Of those, the ones --speed-static skimmed instead. */
  std::vector<Range> sped;
  guint64 frames_in = 0, frames_out = 0;
  GstClockTime duration_in = 0, duration_out = 0;
  std::vector<std::string> files;       /* the output's, in order */
  /* Every file written but the report, with its size, for the report. */
  std::vector<WrittenFile> written;
  gint64 started_us = 0;
  gint64 last_progress_us = 0;
  /* The stall watchdog: frames_seen when it last changed, and when. */
  guint64 watched_frames = 0;
  gint64 watched_since_us = 0;

  /* The pipeline's pad-added callbacks' (any streaming thread): the first
   * stream of each kind is the one used. */
  std::atomic<bool> video_claimed {false}, audio_claimed {false};
  /* --start/--end: the decoded streams' probes drop everything until the
   * seek to the range has flushed them (pipeline.cpp). */
  std::atomic<bool> range_requested {false};
  /* The input has an audio stream, used or not (timelines link it). */
  std::atomic<bool> has_audio_stream {false};
  /* The input read with its header patched (pipeline.cpp): the appsrc's
   * streaming thread's, after setup. */
  std::unique_ptr<PatchedFile> reader;
  /* --copy's; its own lock (copymode.h). */
  std::unique_ptr<CopyGate> gate;
  /* --fast's; its own lock (fastdecode.h). */
  std::unique_ptr<FastDecode> fast;
  /* The detect probe's streaming thread only. */
  GstSegment segment;
  /* --scores: the hidden file and the rows not yet in it; the detect
   * probe's while the pipeline runs, the main thread's once it stopped. */
  std::unique_ptr<PendingFile> scores;
  std::string scores_rows, scores_error;
  /* --html's score plot and pictures: the same owners as --scores'. */
  std::unique_ptr<ThumbnailTaker> thumbnails;
  ScoreSeries plotted_scores;
  double threshold = 0;         /* the detector's, set when built */

  /* Written by streaming threads, read by the main thread: lock. */
  GMutex lock;
  Analysis analysis;
  std::vector<PendingFile> parts;       /* --split's, hidden until the end */

  /* The main thread's own record of a failure, a note. */
  void fail (const std::string &message);
  void note (const std::string &message) { notes.push_back (message); }
  /* Copies of the analysis so far, taken under the lock: the progress
   * (cheap, for the watchdog and progress lines), the events (at the end). */
  Progress progress_now ();
  std::vector<Event> events_now ();

  /* Whether the job may replace the file at `path`: with --force, or when
   * an unfinished earlier run of it wrote that file. */
  bool may_replace (const std::string &path) const
  {
    return options->force || std::find (own_files.begin (), own_files.end (),
        path) != own_files.end ();
  }
  /* Removes what a stopped earlier run left half-written beside this job's
   * files (remove_orphans); says so on standard error. */
  void remove_stopped_runs_files ();
  /* Finishes the hidden output files (rotation, creation time) and lists
   * the names they will have in `files` and `written`, so that the report
   * can be written before they get them; returns an error message or "". */
  std::string seal_output ();
  /* Gives the sealed files their names (replacing older ones only as
   * may_replace says, and then also the parts of an earlier --split run
   * beyond this run's); returns an error message or "". */
  std::string commit_output ();
  /* Removes whatever was written for this job: only its hidden files. */
  void discard_output ();
  /* Wakes and ends the streaming threads that wait on each other (--copy,
   * --fast), so that the pipeline can stop. */
  void stop_waiting ();
};

/* From a streaming thread: the job fails with `message`, and the pipeline
 * stops with it. */
void fail_from_streaming (Job *job, const std::string &message);

}  // namespace stillframe::cli
