/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "stillframemeta.h"

#include <gst/video/video.h>

#include <cmath>

/* The box is geometry: tagged "video" and "size" so that the meta survives
 * encoders, decoders and videoconvert/videoscale (which scale it through
 * transform_motion_meta), and is dropped by elements that crop or flip. */
static const gchar *motion_meta_tags[] = {
  GST_META_TAG_VIDEO_STR, GST_META_TAG_VIDEO_SIZE_STR, NULL
};

static gboolean
transform_motion_meta (GstBuffer * dest, GstCustomMeta * meta,
    GstBuffer * /*src */ , GQuark type, gpointer data, gpointer /*user_data */ )
{
  const GstStructure *src = gst_custom_meta_get_structure (meta);

  if (GST_META_TRANSFORM_IS_COPY (type)) {
    GstMetaTransformCopy *copy = (GstMetaTransformCopy *) data;
    /* A region copy is a part of the frame: the analysis does not apply. */
    if (copy->region)
      return FALSE;
  } else if (!GST_VIDEO_META_TRANSFORM_IS_SCALE (type)) {
    return FALSE;
  }

  GstStructure *out = stillframe_motion_meta_add (dest);
  if (out == NULL)
    return FALSE;
  gst_structure_foreach (src, [] (GQuark field, const GValue * value,
          gpointer copy) -> gboolean {
        gst_structure_id_set_value ((GstStructure *) copy, field, value);
        return TRUE;
      }, out);
  if (!GST_VIDEO_META_TRANSFORM_IS_SCALE (type))
    return TRUE;

  using Fields = stillframe::MotionMetaFields;
  gint x = 0, y = 0, width = 0, height = 0;
  if (!gst_structure_get (src, Fields::kX, G_TYPE_INT, &x, Fields::kY,
          G_TYPE_INT, &y, Fields::kWidth, G_TYPE_INT, &width,
          Fields::kHeight, G_TYPE_INT, &height, NULL))
    return TRUE;
  GstVideoMetaTransform *scale = (GstVideoMetaTransform *) data;
  const double sx = (double) GST_VIDEO_INFO_WIDTH (scale->out_info)
      / GST_VIDEO_INFO_WIDTH (scale->in_info);
  const double sy = (double) GST_VIDEO_INFO_HEIGHT (scale->out_info)
      / GST_VIDEO_INFO_HEIGHT (scale->in_info);
  const gint x1 = (gint) std::lround ((x + width) * sx);
  const gint y1 = (gint) std::lround ((y + height) * sy);
  x = (gint) std::lround (x * sx);
  y = (gint) std::lround (y * sy);
  gst_structure_set (out, Fields::kX, G_TYPE_INT, x, Fields::kY, G_TYPE_INT,
      y, Fields::kWidth, G_TYPE_INT, x1 - x, Fields::kHeight, G_TYPE_INT,
      y1 - y, NULL);
  return TRUE;
}

void
stillframe_motion_meta_register (void)
{
  static gsize registered = 0;
  if (g_once_init_enter (&registered)) {
    gst_meta_register_custom (STILLFRAME_MOTION_META_NAME, motion_meta_tags,
        transform_motion_meta, NULL, NULL);
    g_once_init_leave (&registered, 1);
  }
}

GstStructure *
stillframe_motion_meta_add (GstBuffer * buffer)
{
  GstCustomMeta *meta =
      gst_buffer_add_custom_meta (buffer, STILLFRAME_MOTION_META_NAME);
  return meta ? gst_custom_meta_get_structure (meta) : NULL;
}
