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
 * noise-level (double). See docs/stillframedetect.md.
 */
#define STILLFRAME_MOTION_META_NAME "StillframeMotionMeta"

/* Registers the meta; idempotent, called from plugin init. */
void stillframe_motion_meta_register (void);

/* Returns the structure of a newly attached meta; buffer must be writable. */
GstStructure *stillframe_motion_meta_add (GstBuffer * buffer);

/* TRUE and sets *motion when the buffer carries the meta. */
gboolean stillframe_motion_meta_get_motion (GstBuffer * buffer,
    gboolean * motion);

G_END_DECLS
