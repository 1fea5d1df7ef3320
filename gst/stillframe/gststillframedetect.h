/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_STILLFRAME_DETECT (gst_stillframe_detect_get_type ())
G_DECLARE_FINAL_TYPE (GstStillframeDetect, gst_stillframe_detect, GST,
    STILLFRAME_DETECT, GstVideoFilter)

G_END_DECLS
