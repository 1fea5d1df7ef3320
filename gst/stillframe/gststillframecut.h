/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * GstStillframeCutTimestamps:
 * @GST_STILLFRAME_CUT_TIMESTAMPS_RETIME: rewrite timestamps so the output is
 *   one continuous segment as long as what was kept
 * @GST_STILLFRAME_CUT_TIMESTAMPS_ORIGINAL: keep the source timestamps and
 *   send a GAP event for every dropped frame
 */
typedef enum
{
  GST_STILLFRAME_CUT_TIMESTAMPS_RETIME,
  GST_STILLFRAME_CUT_TIMESTAMPS_ORIGINAL,
} GstStillframeCutTimestamps;

#define GST_TYPE_STILLFRAME_CUT_TIMESTAMPS \
  (gst_stillframe_cut_timestamps_get_type ())
GType gst_stillframe_cut_timestamps_get_type (void);

#define GST_TYPE_STILLFRAME_CUT (gst_stillframe_cut_get_type ())
G_DECLARE_FINAL_TYPE (GstStillframeCut, gst_stillframe_cut, GST,
    STILLFRAME_CUT, GstElement)

G_END_DECLS
