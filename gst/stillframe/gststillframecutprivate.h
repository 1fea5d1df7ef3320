/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stillframecut's state, shared by its video half (gststillframecut.cpp:
 * the always pads, events, queries, state changes) and its audio half
 * (gststillframecutaudio.cpp: the request pads). The decisions are
 * cutdecider.h's and the timeline cuttimeline.h's; this file says who may
 * touch what.
 *
 * Lock order: the object lock and timeline_lock are never held together,
 * and neither is held while pushing or while taking a pad's stream lock.
 */
#pragma once

#include "gststillframecut.h"
#include "cutdecider.h"
#include "cuttimeline.h"

#include <gst/audio/audio.h>

#include <deque>
#include <vector>

struct Settings
{
  stillframe::CutSettings cut;
  GstStillframeCutTimestamps timestamps = GST_STILLFRAME_CUT_TIMESTAMPS_RETIME;

  gboolean retime () const
  {
    return timestamps == GST_STILLFRAME_CUT_TIMESTAMPS_RETIME;
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

/* The video stream: its sink pad's stream lock (chain, serialized events,
 * FLUSH_STOP). */
struct StreamState
{
  stillframe::CutDecider decider;
  /* static-speed: which dropped frames are kept to skim their span. */
  stillframe::StaticSkim skim;
  /* The decider's undecided frames, in order, with the events between. */
  std::deque<HeldItem> held;
  GstSegment segment;
  gboolean need_output_segment = TRUE;
  gboolean output_started = FALSE;      /* a buffer or gap went out */
  gboolean segment_changed = FALSE;     /* judged at the next frame */
  GstClockTime frame_duration = GST_CLOCK_TIME_NONE;    /* from the caps */

  /* The dropped span being built, for its message (stream time). */
  gboolean dropping = FALSE;
  GstClockTime drop_start = 0, drop_stop = 0;
  guint64 drop_frames = 0;
  guint64 drop_skimmed = 0;     /* of its frames, kept to skim it */

  /* Buffers from a pool with a maximum size are copied before being held,
   * so the upstream decoder never runs out of buffers. */
  GstBufferPool *checked_pool = NULL;
  gboolean checked_pool_bounded = FALSE;

  guint64 frames_in = 0, frames_out = 0, spans_dropped = 0;
};

/* An audio stream; its pads' element_private. */
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

/* timeline_lock: what the video writes and the audio streams read. */
struct Timeline
{
  stillframe::CutTimeline cut;  /* as far back as audio needs */
  GstClockTime position = 0;    /* output running time reached (retime) */
  GstClockTime decided_until = 0;       /* the video decided all before */
  gboolean video_ended = FALSE; /* ... and all after */
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
  GCond timeline_changed;       /* the timeline moved on */
  Timeline timeline;
};

Settings gst_stillframe_cut_get_settings (GstStillframeCut * self);

/* A sink pad's SEGMENT: copied into `into` if it is a forward one in time
 * format; otherwise an error, and `event` is unreffed. */
gboolean gst_stillframe_cut_take_segment (GstStillframeCut * self,
    GstPad * pad, GstEvent * event, GstSegment * into);

/* Forgets dropped ranges that no audio stream can still ask about. */
void gst_stillframe_cut_prune_locked (GstStillframeCut * self);

/* In retime mode each source pad sends one segment from 0, so that output
 * PTS are output running times. */
GstFlowReturn gst_stillframe_cut_push_segment_once (GstPad * srcpad,
    gboolean * needed, const Settings & settings);

/* Lets the sink behind a source pad preroll before anything is decided. */
void gst_stillframe_cut_push_preroll_gap (GstPad * srcpad,
    gboolean * output_started, GstClockTime timestamp);

GstIterator *gst_stillframe_cut_iterate_internal_links (GstPad * pad,
    GstObject * parent);

/* The audio half. */
extern GstStaticPadTemplate gst_stillframe_cut_audio_sink_template;
extern GstStaticPadTemplate gst_stillframe_cut_audio_src_template;
GstPad *gst_stillframe_cut_request_audio_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name);
void gst_stillframe_cut_release_audio_pad (GstElement * element,
    GstPad * pad);
AudioStream *gst_stillframe_cut_audio_stream_of (GstPad * pad);
/* READY->PAUSED and PAUSED->READY: every audio stream starts afresh;
 * leaving PAUSED also wakes those waiting for the video. */
void gst_stillframe_cut_reset_audio (GstStillframeCut * self,
    gboolean flushing);

