/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GstHarness tests of stillframedetect. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "busutil.h"
#include "stillframemeta.h"

#define MOTION_MESSAGE stillframe::MotionMessage::kName


#include <cstring>
#include <initializer_list>

#define WIDTH 160
#define HEIGHT 120

static const gchar *formats[] = {
  "I420", "YV12", "NV12", "NV21", "Y42B", "Y41B", "Y444", "NV16", "NV24",
  "GRAY8", "YUY2", "UYVY", "YVYU", "VYUY", "AYUV", "RGB", "BGR", "RGBx",
  "BGRx", "xRGB", "xBGR", "RGBA", "BGRA", "ARGB", "ABGR",
};

/* A grey frame of the given format with a white square at (x, y) of side
 * `side` (no square when side is 0), drawn in luma or in R, G and B. */
static GstBuffer *
make_frame (const GstVideoInfo * info, int x, int y, int side, int index)
{
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, info->size, NULL);
  GstVideoFrame frame;
  fail_unless (gst_video_frame_map (&frame, (GstVideoInfo *) info, buffer,
          GST_MAP_WRITE));
  const GstVideoFormatInfo *finfo = info->finfo;
  for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES (&frame); p++) {
    guint8 *data = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame, p);
    gint rows = GST_VIDEO_FRAME_COMP_HEIGHT (&frame, p);
    memset (data, 128, (gsize) GST_VIDEO_FRAME_PLANE_STRIDE (&frame,
            p) * rows);
  }
  const int channels = GST_VIDEO_FORMAT_INFO_IS_RGB (finfo) ? 3 : 1;
  for (int c = 0; c < channels; c++) {
    guint8 *data = (guint8 *) GST_VIDEO_FRAME_COMP_DATA (&frame, c);
    const int stride = GST_VIDEO_FRAME_COMP_STRIDE (&frame, c);
    const int pstride = GST_VIDEO_FRAME_COMP_PSTRIDE (&frame, c);
    for (int yy = 0; yy < HEIGHT; yy++)
      for (int xx = 0; xx < WIDTH; xx++) {
        const bool inside = side > 0 && xx >= x && xx < x + side && yy >= y
            && yy < y + side;
        data[yy * stride + xx * pstride] = inside ? 235 : 60;
      }
  }
  gst_video_frame_unmap (&frame);
  GST_BUFFER_PTS (buffer) = gst_util_uint64_scale (index, GST_SECOND, 30);
  GST_BUFFER_DURATION (buffer) = gst_util_uint64_scale (index + 1,
      GST_SECOND, 30) - GST_BUFFER_PTS (buffer);
  return buffer;
}

static GstHarness *
setup_detect (const gchar * format, GstVideoInfo * info)
{
  GstHarness *h = gst_harness_new ("stillframedetect");
  gst_harness_set_live (h, FALSE);
  gchar *caps = g_strdup_printf ("video/x-raw,format=%s,width=%d,height=%d,"
      "framerate=30/1", format, WIDTH, HEIGHT);
  gst_harness_set_src_caps_str (h, caps);
  GstCaps *c = gst_caps_from_string (caps);
  fail_unless (gst_video_info_from_caps (info, c));
  gst_caps_unref (c);
  g_free (caps);
  return h;
}

static stillframe::MotionMetaFields
motion_meta (GstBuffer * buffer)
{
  stillframe::MotionMetaFields fields;
  fields.score = -1;
  fail_unless (fields.read (buffer), "no motion meta on the buffer");
  return fields;
}

static gboolean
meta_motion (GstBuffer * buffer)
{
  return motion_meta (buffer).motion;
}

static gdouble
meta_score (GstBuffer * buffer)
{
  return motion_meta (buffer).score;
}

static void
meta_box (GstBuffer * buffer, gint * x, gint * y, gint * w, gint * h)
{
  const stillframe::MotionMetaFields fields = motion_meta (buffer);
  *x = fields.x;
  *y = fields.y;
  *w = fields.width;
  *h = fields.height;
}

GST_START_TEST (test_every_format)
{
  for (const gchar * format:formats) {
    GstVideoInfo info;
    GstHarness *h = setup_detect (format, &info);
    g_object_set (h->element, "analysis-width", (guint) WIDTH, NULL);

    /* Static, then a square appears: no motion, then motion around it. */
    for (int i = 0; i < 3; i++) {
      GstBuffer *out = gst_harness_push_and_pull (h,
          make_frame (&info, 0, 0, 0, i));
      fail_unless (out != NULL, "%s", format);
      fail_if (meta_motion (out), "%s: motion in a static frame", format);
      fail_unless_equals_float (meta_score (out), 0.0);
      fail_unless (gst_buffer_get_video_region_of_interest_meta (out) == NULL);
      gst_buffer_unref (out);
    }
    GstBuffer *out = gst_harness_push_and_pull (h,
        make_frame (&info, 40, 30, 24, 3));
    fail_unless (meta_motion (out), "%s: square not seen", format);
    gint x, y, w, hh;
    meta_box (out, &x, &y, &w, &hh);
    fail_unless (x <= 40 && y <= 30 && x + w >= 64 && y + hh >= 54,
        "%s: box %d,%d %dx%d does not enclose the square", format, x, y, w,
        hh);
    fail_unless (w <= 24 + 8 && hh <= 24 + 8, "%s: box too large", format);
    GstVideoRegionOfInterestMeta *roi =
        gst_buffer_get_video_region_of_interest_meta (out);
    fail_unless (roi != NULL, "%s: no ROI meta", format);
    fail_unless_equals_string (g_quark_to_string (roi->roi_type),
        stillframe::MotionRoi::kType);
    fail_unless_equals_int (roi->x, x);
    fail_unless_equals_int (roi->w, w);
    fail_unless (gst_video_region_of_interest_meta_get_param (roi,
            stillframe::MotionRoi::kParams) != NULL);
    gst_buffer_unref (out);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

GST_START_TEST (test_score_rises_with_motion)
{
  GstVideoInfo info;
  GstHarness *h = setup_detect ("I420", &info);
  gdouble previous = 0.0;
  int index = 0;
  for (int side : {4, 8, 16, 32}) {
    /* A fresh background each time: two static frames. */
    g_object_set (h->element, "analysis-width", (guint) (WIDTH + side), NULL);
    gst_buffer_unref (gst_harness_push_and_pull (h,
            make_frame (&info, 0, 0, 0, index++)));
    GstBuffer *out = gst_harness_push_and_pull (h,
        make_frame (&info, 20, 20, side, index++));
    const gdouble score = meta_score (out);
    fail_unless (score > previous, "side %d: score %f <= %f", side, score,
        previous);
    previous = score;
    gst_buffer_unref (out);
  }
  /* A 32x32 square is 1024 / 19200 of the frame. */
  fail_unless (previous > 0.04 && previous < 0.08, "score %f", previous);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_never_copies_or_writes)
{
  GstVideoInfo info;
  GstHarness *h = setup_detect ("I420", &info);
  for (int i = 0; i < 3; i++) {
    GstBuffer *in = make_frame (&info, 10 * i, 10, i ? 20 : 0, i);
    GstMapInfo before;
    gst_buffer_map (in, &before, GST_MAP_READ);
    guint8 *copy = (guint8 *) g_memdup2 (before.data, before.size);
    /* Keep a reference: the buffer is not writable, as from a tee. */
    GstBuffer *out = gst_harness_push_and_pull (h, gst_buffer_ref (in));
    GstMapInfo after;
    gst_buffer_map (out, &after, GST_MAP_READ);
    fail_unless (after.data == before.data, "the pixels were copied");
    fail_unless (memcmp (copy, after.data, after.size) == 0,
        "the pixels were changed");
    gst_buffer_unmap (out, &after);
    gst_buffer_unmap (in, &before);
    /* The caller's buffer did not get our meta: only the output did. */
    fail_unless (gst_buffer_get_custom_meta (in,
            STILLFRAME_MOTION_META_NAME) == NULL);
    motion_meta (out);
    g_free (copy);
    gst_buffer_unref (out);
    gst_buffer_unref (in);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_gives_pooled_frames_back_whole)
{
  /* A decoder still holds its frame while it pushes it, and lets go of it
   * while the frame is held downstream: the frame must go back to its pool
   * when our output is gone, to be used again, not be thrown away because
   * its memory is still shared. A pool of one frame tells. Its frames have
   * padded rows, described by a GstVideoMeta, as a decoder's have. */
  GstVideoInfo info;
  GstHarness *h = setup_detect ("I420", &info);
  GstBufferPool *pool = gst_video_buffer_pool_new ();
  GstStructure *config = gst_buffer_pool_get_config (pool);
  GstCaps *caps = gst_video_info_to_caps (&info);
  gst_buffer_pool_config_set_params (config, caps, info.size, 1, 1);
  gst_caps_unref (caps);
  gst_buffer_pool_config_add_option (config,
      GST_BUFFER_POOL_OPTION_VIDEO_META);
  gst_buffer_pool_config_add_option (config,
      GST_BUFFER_POOL_OPTION_VIDEO_ALIGNMENT);
  GstVideoAlignment align;
  gst_video_alignment_reset (&align);
  align.padding_right = 16;
  align.padding_bottom = 8;
  gst_buffer_pool_config_set_video_alignment (config, &align);
  fail_unless (gst_buffer_pool_set_config (pool, config));
  fail_unless (gst_buffer_pool_set_active (pool, TRUE));
  GstBufferPoolAcquireParams params = { };
  params.flags = GST_BUFFER_POOL_ACQUIRE_FLAG_DONTWAIT;
  GstBuffer *pooled = NULL;
  fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &pooled,
          &params), GST_FLOW_OK);
  GstVideoMeta *layout = gst_buffer_get_video_meta (pooled);
  fail_unless (layout != NULL && layout->stride[0] > WIDTH);
  for (int i = 0; i < 3; i++) {
    GstBuffer *frame = make_frame (&info, 10 * i, 10, i ? 20 : 0, i);
    gst_buffer_copy_into (pooled, frame, GST_BUFFER_COPY_TIMESTAMPS, 0, -1);
    GstVideoFrame from, to;
    fail_unless (gst_video_frame_map (&from, &info, frame, GST_MAP_READ));
    fail_unless (gst_video_frame_map (&to, &info, pooled, GST_MAP_WRITE));
    fail_unless (gst_video_frame_copy (&to, &from));
    gst_video_frame_unmap (&to);
    gst_video_frame_unmap (&from);
    gst_buffer_unref (frame);

    GstBuffer *out = gst_harness_push_and_pull (h, gst_buffer_ref (pooled));
    /* The square is seen where it is: the padded rows were read as such. */
    fail_unless_equals_int (meta_motion (out), i > 0);
    GstVideoMeta *out_layout = gst_buffer_get_video_meta (out);
    fail_unless (out_layout != NULL, "the frame's layout was lost");
    fail_unless_equals_int (out_layout->stride[0], layout->stride[0]);
    GstMapInfo in_map, out_map;
    gst_buffer_map (pooled, &in_map, GST_MAP_READ);
    gst_buffer_map (out, &out_map, GST_MAP_READ);
    fail_unless (out_map.data == in_map.data, "the pixels were copied");
    gst_buffer_unmap (out, &out_map);
    gst_buffer_unmap (pooled, &in_map);
    const GstBuffer *frame_address = pooled;
    gst_buffer_unref (pooled);
    pooled = NULL;
    fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &pooled,
            &params), GST_FLOW_EOS);
    gst_buffer_unref (out);
    fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &pooled,
            &params), GST_FLOW_OK);
    fail_unless (pooled == frame_address, "the pooled frame was thrown away");
  }
  gst_buffer_unref (pooled);
  gst_buffer_pool_set_active (pool, FALSE);
  gst_object_unref (pool);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_honours_strides)
{
  /* Rows padded to 256 bytes give the same box as packed rows. */
  GstVideoInfo info;
  GstHarness *h = setup_detect ("GRAY8", &info);
  GstVideoInfo padded = info;
  padded.stride[0] = 256;
  padded.size = 256 * HEIGHT;
  for (int i = 0; i < 2; i++) {
    GstBuffer *buffer = gst_buffer_new_allocate (NULL, padded.size, NULL);
    GstMapInfo map;
    gst_buffer_map (buffer, &map, GST_MAP_WRITE);
    memset (map.data, 255, map.size);   /* padding: must be ignored */
    for (int y = 0; y < HEIGHT; y++)
      for (int x = 0; x < WIDTH; x++)
        map.data[y * 256 + x] = (i == 1 && x >= 100 && x < 120 && y >= 50
            && y < 70) ? 230 : 50;
    gst_buffer_unmap (buffer, &map);
    gsize offset[GST_VIDEO_MAX_PLANES] = { 0 };
    gint stride[GST_VIDEO_MAX_PLANES] = { 256 };
    gst_buffer_add_video_meta_full (buffer, GST_VIDEO_FRAME_FLAG_NONE,
        GST_VIDEO_FORMAT_GRAY8, WIDTH, HEIGHT, 1, offset, stride);
    GST_BUFFER_PTS (buffer) = i * GST_SECOND / 30;
    GstBuffer *out = gst_harness_push_and_pull (h, buffer);
    if (i == 1) {
      gint x, y, w, hh;
      meta_box (out, &x, &y, &w, &hh);
      fail_unless (meta_motion (out));
      fail_unless (x <= 100 && x + w >= 120 && y <= 50 && y + hh >= 70
          && w <= 28, "box %d,%d %dx%d", x, y, w, hh);
    } else {
      fail_if (meta_motion (out));
    }
    gst_buffer_unref (out);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_messages_on_start_and_stop)
{
  GstVideoInfo info;
  GstHarness *h = setup_detect ("I420", &info);
  GstBus *bus = attach_bus (h);

  int i = 0;
  for (; i < 5; i++)
    gst_buffer_unref (gst_harness_push_and_pull (h,
            make_frame (&info, 0, 0, 0, i)));
  fail_unless (pop_element_message (bus, MOTION_MESSAGE) == NULL);

  for (; i < 10; i++)
    gst_buffer_unref (gst_harness_push_and_pull (h,
            make_frame (&info, 10 + 8 * i, 40, 20, i)));
  GstMessage *msg = pop_element_message (bus, MOTION_MESSAGE);
  fail_unless (msg != NULL);
  stillframe::MotionMessage change;
  fail_unless (stillframe::parse_element_message (msg, &change));
  fail_unless (change.motion);
  fail_unless_equals_uint64 (change.timestamp, gst_util_uint64_scale (5,
          GST_SECOND, 30));
  fail_unless_equals_uint64 (change.running_time, change.timestamp);
  fail_unless (change.score > 0);
  gst_message_unref (msg);
  /* One message per change, not per frame. */
  fail_unless (pop_element_message (bus, MOTION_MESSAGE) == NULL);

  for (; i < 15; i++)
    gst_buffer_unref (gst_harness_push_and_pull (h,
            make_frame (&info, 0, 0, 0, i)));
  msg = pop_element_message (bus, MOTION_MESSAGE);
  fail_unless (msg != NULL);
  fail_unless (stillframe::parse_element_message (msg, &change));
  fail_if (change.motion);
  gst_message_unref (msg);

  /* post-messages=false silences them. */
  g_object_set (h->element, "post-messages", FALSE, NULL);
  for (; i < 20; i++)
    gst_buffer_unref (gst_harness_push_and_pull (h,
            make_frame (&info, 10 + 8 * (i - 15), 40, 20, i)));
  fail_unless (pop_element_message (bus, MOTION_MESSAGE) == NULL);

  detach_bus (h, bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_regions)
{
  GstVideoInfo info;
  GstHarness *h = setup_detect ("I420", &info);
  /* Motion in the left half only: ignoring it, or analysing only the right
   * half, hides it; fractions and pixels both work. */
  const gchar *settings[][2] = {
    {"ignore-regions", "0.0,0.0,0.5,1.0"},
    {"regions", "80,0,80,120"},
  };
  int index = 0;
  for (auto & setting:settings) {
    g_object_set (h->element, "regions", NULL, "ignore-regions", NULL, NULL);
    g_object_set (h->element, setting[0], setting[1], NULL);
    gchar *value;
    g_object_get (h->element, setting[0], &value, NULL);
    fail_unless_equals_string (value, setting[1]);
    g_free (value);
    for (int i = 0; i < 6; i++) {
      GstBuffer *out = gst_harness_push_and_pull (h,
          make_frame (&info, 5 + 5 * i, 40, 20, index++));
      fail_if (meta_motion (out), "%s=%s", setting[0], setting[1]);
      gst_buffer_unref (out);
    }
  }
  g_object_set (h->element, "regions", NULL, "ignore-regions", NULL, NULL);
  gst_buffer_unref (gst_harness_push_and_pull (h,
          make_frame (&info, 0, 0, 0, index++)));
  GstBuffer *out = gst_harness_push_and_pull (h,
      make_frame (&info, 5, 40, 20, index++));
  fail_unless (meta_motion (out));
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Setting `property` to `value` makes the next frame fail with an error
 * whose message contains both `what` and `why`. */
static void
check_bad_setting (const gchar * property, const gchar * value,
    const gchar * what, const gchar * why)
{
  GstVideoInfo info;
  GstHarness *h = setup_detect ("I420", &info);
  GstBus *bus = attach_bus (h);
  g_object_set (h->element, property, value, NULL);
  fail_unless_equals_int (gst_harness_push (h, make_frame (&info, 0, 0, 0,
              0)), GST_FLOW_ERROR);
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  GError *error = NULL;
  gst_message_parse_error (msg, &error, NULL);
  fail_unless (g_error_matches (error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_SETTINGS), "%s", error->message);
  fail_unless (strstr (error->message, what) != NULL, "%s", error->message);
  fail_unless (strstr (error->message, why) != NULL, "%s", error->message);
  g_error_free (error);
  gst_message_unref (msg);
  detach_bus (h, bus);
  gst_harness_teardown (h);
}

GST_START_TEST (test_bad_regions_are_an_error)
{
  check_bad_setting ("regions", "1,2,3", "regions", "4 numbers");
  check_bad_setting ("ignore-mask", "/nonexistent/mask.pgm", "ignore-mask",
      "cannot read");
  /* Settings that only fail on the frame, as documented. */
  check_bad_setting ("regions", "100,0,100,50", "'regions' region "
      "'100,0,100,50'", "reaches past the 160x120 frame");
  check_bad_setting ("ignore-regions", "0.0,0.0,1.0,1.0", "ignore-regions",
      "nothing of the frame is left to analyse");
}

GST_END_TEST;

GST_START_TEST (test_unsupported_format_is_named)
{
  GstHarness *h = gst_harness_new ("stillframedetect");
  GstBus *bus = attach_bus (h);
  gst_harness_set_src_caps_str (h,
      "video/x-raw,format=I420_10LE,width=64,height=48,framerate=30/1");
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, 64 * 48 * 3, NULL);
  fail_unless_equals_int (gst_harness_push (h, buffer),
      GST_FLOW_NOT_NEGOTIATED);
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL);
  GError *error = NULL;
  gst_message_parse_warning (msg, &error, NULL);
  fail_unless (strstr (error->message, "I420_10LE") != NULL, "%s",
      error->message);
  fail_unless (strstr (error->message, "videoconvert") != NULL);
  g_error_free (error);
  gst_message_unref (msg);
  detach_bus (h, bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_meta_scales_with_videoscale)
{
  GstHarness *h = gst_harness_new_parse ("stillframedetect ! videoscale ! "
      "capsfilter caps=video/x-raw,width=80,height=60");
  gst_harness_set_live (h, FALSE);
  gst_harness_set_src_caps_str (h, "video/x-raw,format=I420,width=160,"
      "height=120,framerate=30/1");
  GstVideoInfo info;
  GstCaps *caps = gst_caps_from_string ("video/x-raw,format=I420,width=160,"
      "height=120,framerate=30/1");
  gst_video_info_from_caps (&info, caps);
  gst_caps_unref (caps);
  gst_buffer_unref (gst_harness_push_and_pull (h, make_frame (&info, 0, 0, 0,
              0)));
  GstBuffer *out = gst_harness_push_and_pull (h,
      make_frame (&info, 40, 40, 40, 1));
  gint x, y, w, hh;
  meta_box (out, &x, &y, &w, &hh);
  fail_unless (meta_motion (out));
  /* The square is at 20,20 20x20 in the scaled frame. */
  fail_unless (x <= 20 && y <= 20 && x + w >= 40 && y + hh >= 40 && w <= 26,
      "box %d,%d %dx%d", x, y, w, hh);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_properties)
{
  GstElement *detect = gst_element_factory_make ("stillframedetect", NULL);
  gdouble threshold, sensitivity;
  guint width;
  g_object_get (detect, "threshold", &threshold, "sensitivity", &sensitivity,
      "analysis-width", &width, NULL);
  fail_unless_equals_float (threshold, 0.0005);
  fail_unless_equals_float (sensitivity, 0.5);
  fail_unless_equals_int (width, 160);
  g_object_set (detect, "threshold", 0.01, "analysis-width", 64, NULL);
  g_object_get (detect, "threshold", &threshold, "analysis-width", &width,
      NULL);
  fail_unless_equals_float (threshold, 0.01);
  fail_unless_equals_int (width, 64);
  gst_object_unref (detect);
}

GST_END_TEST;

/* The names applications type (docs/stillframedetect.md, the Python
 * example): the one place they are spelled out rather than read through
 * stillframemeta.h, so that a rename there fails here. */
GST_START_TEST (test_meta_and_message_names_as_documented)
{
  GstVideoInfo info;
  GstHarness *h = setup_detect ("I420", &info);
  GstBus *bus = attach_bus (h);
  gst_buffer_unref (gst_harness_push_and_pull (h,
          make_frame (&info, 0, 0, 0, 0)));
  GstBuffer *out = gst_harness_push_and_pull (h,
      make_frame (&info, 10, 40, 20, 1));
  GstCustomMeta *meta = gst_buffer_get_custom_meta (out,
      "StillframeMotionMeta");
  fail_unless (meta != NULL);
  const GstStructure *fields = gst_custom_meta_get_structure (meta);
  gboolean motion = FALSE;
  gdouble score = 0, noise = -1;
  gint x, y, width, height;
  fail_unless (gst_structure_get (fields, "motion", G_TYPE_BOOLEAN, &motion,
          "score", G_TYPE_DOUBLE, &score, "noise-level", G_TYPE_DOUBLE,
          &noise, "x", G_TYPE_INT, &x, "y", G_TYPE_INT, &y, "width",
          G_TYPE_INT, &width, "height", G_TYPE_INT, &height, NULL));
  fail_unless (motion && score > 0 && noise >= 0 && width > 0 && height > 0);
  fail_unless (gst_structure_has_field_typed (fields, "light-change",
          G_TYPE_DOUBLE));
  GstVideoRegionOfInterestMeta *roi =
      gst_buffer_get_video_region_of_interest_meta (out);
  fail_unless (roi != NULL);
  fail_unless_equals_string (g_quark_to_string (roi->roi_type), "motion");
  const GstStructure *params = gst_video_region_of_interest_meta_get_param
      (roi, "stillframe/motion");
  fail_unless (params != NULL && gst_structure_has_field_typed (params,
          "score", G_TYPE_DOUBLE));
  GstMessage *msg = pop_element_message (bus, "stillframe-motion");
  fail_unless (msg != NULL);
  fail_unless (gst_structure_has_field_typed (gst_message_get_structure
          (msg), "running-time", G_TYPE_UINT64));
  gst_message_unref (msg);
  gst_buffer_unref (out);
  detach_bus (h, bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

static Suite *
stillframedetect_suite (void)
{
  Suite *s = suite_create ("stillframedetect");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_every_format);
  tcase_add_test (tc, test_score_rises_with_motion);
  tcase_add_test (tc, test_never_copies_or_writes);
  tcase_add_test (tc, test_gives_pooled_frames_back_whole);
  tcase_add_test (tc, test_honours_strides);
  tcase_add_test (tc, test_messages_on_start_and_stop);
  tcase_add_test (tc, test_meta_and_message_names_as_documented);
  tcase_add_test (tc, test_regions);
  tcase_add_test (tc, test_bad_regions_are_an_error);
  tcase_add_test (tc, test_unsupported_format_is_named);
  tcase_add_test (tc, test_meta_scales_with_videoscale);
  tcase_add_test (tc, test_properties);
  return s;
}

GST_CHECK_MAIN (stillframedetect);
