/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * STILLFRAME_MOTION_META_NAME:
 *
 * Name of the #GstCustomMeta that stillframedetect attaches to every buffer.
 * Applications read it without linking anything of stillframe's:
 * |[
 *   GstCustomMeta *meta = gst_buffer_get_custom_meta (buf, "StillframeMotionMeta");
 *   GstStructure *s = gst_custom_meta_get_structure (meta);
 *   gst_structure_get_boolean (s, "motion", &motion);
 * ]|
 * Fields: score (double), motion (boolean), x, y, width, height (int, the
 * box of the changed area in frame pixels, all 0 when nothing changed),
 * noise-level, light-change (double). See docs/stillframedetect.md.
 */
#define STILLFRAME_MOTION_META_NAME "StillframeMotionMeta"

/* Registers the meta; idempotent, called from plugin init. */
void stillframe_motion_meta_register (void);

/* Returns the structure of a newly attached meta; buffer must be writable. */
GstStructure *stillframe_motion_meta_add (GstBuffer * buffer);

G_END_DECLS

#ifdef __cplusplus
/* The schema of what the elements tell applications: the meta above and
 * the three element messages. Its one owner: the elements write, and the
 * CLI and the tests read, through these helpers only (header-only, so that
 * a program reads them without linking the plugin). Field names are the
 * public API, documented in docs/stillframedetect.md and
 * docs/stillframecut.md. */
namespace stillframe {

/* StillframeMotionMeta on every buffer stillframedetect analysed. */
struct MotionMetaFields
{
  double score = 0;
  bool motion = false;
  int x = 0, y = 0, width = 0, height = 0;      /* the box; 0 when none */
  double noise_level = 0;
  double light_change = 0;

  static constexpr const char *kScore = "score", *kMotion = "motion",
      *kX = "x", *kY = "y", *kWidth = "width", *kHeight = "height",
      *kNoiseLevel = "noise-level", *kLightChange = "light-change";

  void write (GstStructure * s) const
  {
    gst_structure_set (s, kScore, G_TYPE_DOUBLE, score, kMotion,
        G_TYPE_BOOLEAN, (gboolean) motion, kX, G_TYPE_INT, x, kY, G_TYPE_INT,
        y, kWidth, G_TYPE_INT, width, kHeight, G_TYPE_INT, height,
        kNoiseLevel, G_TYPE_DOUBLE, noise_level, kLightChange, G_TYPE_DOUBLE,
        light_change, NULL);
  }
  /* Fields missing from `s` keep their values; false if `motion` is. */
  bool read (const GstStructure * s)
  {
    gboolean moved = motion;
    const bool found = gst_structure_get_boolean (s, kMotion, &moved);
    motion = moved;
    gst_structure_get_double (s, kScore, &score);
    gst_structure_get_int (s, kX, &x);
    gst_structure_get_int (s, kY, &y);
    gst_structure_get_int (s, kWidth, &width);
    gst_structure_get_int (s, kHeight, &height);
    gst_structure_get_double (s, kNoiseLevel, &noise_level);
    gst_structure_get_double (s, kLightChange, &light_change);
    return found;
  }
  /* False when the buffer has no such meta (or it says nothing of motion). */
  bool read (GstBuffer * buffer)
  {
    GstCustomMeta *meta =
        gst_buffer_get_custom_meta (buffer, STILLFRAME_MOTION_META_NAME);
    return meta && read (gst_custom_meta_get_structure (meta));
  }
};

/* The GstVideoRegionOfInterestMeta on frames with motion: its type, and
 * its parameter structure with the score. */
struct MotionRoi
{
  static constexpr const char *kType = "motion";
  static constexpr const char *kParams = "stillframe/motion";
  static constexpr const char *kScore = "score";
};

/* Element messages: each type builds its structure and parses one. */
template < typename Fields > inline bool
parse_element_message (GstMessage * message, Fields * fields)
{
  if (GST_MESSAGE_TYPE (message) != GST_MESSAGE_ELEMENT)
    return false;
  const GstStructure *s = gst_message_get_structure (message);
  return s && gst_structure_has_name (s, Fields::kName) && fields->read (s);
}

/* `stillframe-motion`, from stillframedetect when motion starts or stops. */
struct MotionMessage
{
  static constexpr const char *kName = "stillframe-motion";
  bool motion = false;
  guint64 timestamp = 0, running_time = 0;      /* stream, running time */
  double score = 0;
  int x = 0, y = 0, width = 0, height = 0;

  GstStructure *build () const
  {
    return gst_structure_new (kName, "motion", G_TYPE_BOOLEAN,
        (gboolean) motion, "timestamp", G_TYPE_UINT64, timestamp,
        "running-time", G_TYPE_UINT64, running_time, "score", G_TYPE_DOUBLE,
        score, "x", G_TYPE_INT, x, "y", G_TYPE_INT, y, "width", G_TYPE_INT,
        width, "height", G_TYPE_INT, height, NULL);
  }
  bool read (const GstStructure * s)
  {
    gboolean moved = FALSE;
    const bool ok = gst_structure_get (s, "motion", G_TYPE_BOOLEAN, &moved,
        "timestamp", G_TYPE_UINT64, &timestamp, "running-time", G_TYPE_UINT64,
        &running_time, "score", G_TYPE_DOUBLE, &score, "x", G_TYPE_INT, &x,
        "y", G_TYPE_INT, &y, "width", G_TYPE_INT, &width, "height",
        G_TYPE_INT, &height, NULL);
    motion = moved;
    return ok;
  }
};

/* `stillframe-cut`, from stillframecut for each dropped span (stream
 * time). */
struct CutSpanMessage
{
  static constexpr const char *kName = "stillframe-cut";
  /* `frames` were dropped; with static-speed, `skimmed` more were kept to
   * skim the span. */
  guint64 start = 0, stop = 0, frames = 0, skimmed = 0;

  guint64 duration () const { return stop - start; }
  GstStructure *build () const
  {
    return gst_structure_new (kName, "start", G_TYPE_UINT64, start, "stop",
        G_TYPE_UINT64, stop, "duration", G_TYPE_UINT64, duration (),
        "frames", G_TYPE_UINT64, frames, "skimmed", G_TYPE_UINT64, skimmed,
        NULL);
  }
  bool read (const GstStructure * s)
  {
    guint64 length = 0;
    skimmed = 0;
    gst_structure_get_uint64 (s, "skimmed", &skimmed);
    return gst_structure_get (s, "start", G_TYPE_UINT64, &start, "stop",
        G_TYPE_UINT64, &stop, "duration", G_TYPE_UINT64, &length, "frames",
        G_TYPE_UINT64, &frames, NULL) && length == duration ();
  }
};

/* `stillframe-cut-summary`, from stillframecut at the end of the stream. */
struct CutSummaryMessage
{
  static constexpr const char *kName = "stillframe-cut-summary";
  guint64 frames_in = 0, frames_out = 0, spans_dropped = 0;
  guint64 duration_in = 0, duration_out = 0;    /* ns */

  GstStructure *build () const
  {
    return gst_structure_new (kName, "frames-in", G_TYPE_UINT64, frames_in,
        "frames-out", G_TYPE_UINT64, frames_out, "spans-dropped",
        G_TYPE_UINT64, spans_dropped, "duration-in", G_TYPE_UINT64,
        duration_in, "duration-out", G_TYPE_UINT64, duration_out, NULL);
  }
  bool read (const GstStructure * s)
  {
    return gst_structure_get (s, "frames-in", G_TYPE_UINT64, &frames_in,
        "frames-out", G_TYPE_UINT64, &frames_out, "spans-dropped",
        G_TYPE_UINT64, &spans_dropped, "duration-in", G_TYPE_UINT64,
        &duration_in, "duration-out", G_TYPE_UINT64, &duration_out, NULL);
  }
};

}  // namespace stillframe
#endif
