/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:element-stillframedetect
 * @title: stillframedetect
 *
 * Analyses raw video for motion and tags every buffer with the result,
 * without touching the pixels: frames are mapped read-only and analysed on a
 * small subsampled luma view, so the cost barely depends on the resolution.
 *
 * Every buffer gets a #GstCustomMeta named `StillframeMotionMeta` (fields
 * `score`, `motion`, `x`, `y`, `width`, `height`, `noise-level`), and when
 * motion is found also a #GstVideoRegionOfInterestMeta of type `motion`
 * around the changed area. An element message `stillframe-motion` is posted
 * when motion starts and when it stops.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -m videotestsrc pattern=ball num-buffers=100 ! stillframedetect ! fakesink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gststillframedetect.h"
#include "gststillframeelements.h"
#include "motiondetector.h"
#include "stillframemeta.h"

#include <gst/video/video.h>
#include <opencv2/core.hpp>

#include <stdexcept>
#include <string>

GST_DEBUG_CATEGORY_STATIC (gst_stillframe_detect_debug);
#define GST_CAT_DEFAULT gst_stillframe_detect_debug

#define DEFAULT_THRESHOLD 0.0005
#define DEFAULT_SENSITIVITY 0.5
#define DEFAULT_ANALYSIS_WIDTH 160
#define DEFAULT_POST_MESSAGES TRUE

enum
{
  PROP_0,
  PROP_THRESHOLD,
  PROP_SENSITIVITY,
  PROP_ANALYSIS_WIDTH,
  PROP_REGIONS,
  PROP_IGNORE_REGIONS,
  PROP_IGNORE_MASK,
  PROP_POST_MESSAGES,
  PROP_IGNORE_CLUTTER,
};

/* 8-bit formats whose luma (or R, G, B) samples can be read in place. */
#define SUPPORTED_FORMATS \
  "{ I420, YV12, NV12, NV21, Y42B, Y41B, Y444, NV16, NV24, GRAY8, YUY2, " \
  "UYVY, YVYU, VYUY, AYUV, RGB, BGR, RGBx, BGRx, xRGB, xBGR, RGBA, BGRA, " \
  "ARGB, ABGR }"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (SUPPORTED_FORMATS)));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (SUPPORTED_FORMATS)));

struct _GstStillframeDetect
{
  GstVideoFilter parent;

  /* Settings, under the object lock. */
  stillframe::DetectorSettings settings;
  gchar *regions;
  gchar *ignore_regions;
  gchar *ignore_mask;           /* a file name */
  gchar *settings_error;        /* why the settings cannot be used, or NULL */
  gboolean settings_changed;
  gboolean post_messages;

  /* Streaming state, touched by the streaming thread only. */
  stillframe::MotionDetector *detector;
  gboolean in_motion;
};

G_DEFINE_TYPE_WITH_CODE (GstStillframeDetect, gst_stillframe_detect,
    GST_TYPE_VIDEO_FILTER,
    GST_DEBUG_CATEGORY_INIT (gst_stillframe_detect_debug, "stillframedetect",
        0, "stillframe motion detector"));

GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (stillframedetect, "stillframedetect",
    GST_RANK_NONE, GST_TYPE_STILLFRAME_DETECT,
    stillframe_element_init (plugin));

/* Re-parses both region strings and reloads the mask into self->settings;
 * object lock held. */
static void
update_regions_locked (GstStillframeDetect * self)
{
  g_clear_pointer (&self->settings_error, g_free);
  try {
    self->settings.regions =
        stillframe::parse_regions (self->regions ? self->regions : "");
  } catch (const std::invalid_argument & e) {
    self->settings_error = g_strdup_printf ("Invalid 'regions' value: %s",
        e.what ());
    return;
  }
  try {
    self->settings.ignore_regions =
        stillframe::parse_regions (self->ignore_regions ? self->
        ignore_regions : "");
  } catch (const std::invalid_argument & e) {
    self->settings_error =
        g_strdup_printf ("Invalid 'ignore-regions' value: %s", e.what ());
    return;
  }
  try {
    self->settings.ignore_mask = self->ignore_mask && *self->ignore_mask ?
        stillframe::load_pgm_mask (self->ignore_mask) :
        stillframe::MaskImage ();
  } catch (const std::invalid_argument & e) {
    self->settings_error = g_strdup_printf ("Invalid 'ignore-mask': %s",
        e.what ());
  }
}

static void
gst_stillframe_detect_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstStillframeDetect *self = GST_STILLFRAME_DETECT (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_THRESHOLD:
      self->settings.threshold = g_value_get_double (value);
      break;
    case PROP_SENSITIVITY:
      self->settings.sensitivity = g_value_get_double (value);
      break;
    case PROP_ANALYSIS_WIDTH:
      self->settings.analysis_width = (int) g_value_get_uint (value);
      break;
    case PROP_REGIONS:
      g_free (self->regions);
      self->regions = g_value_dup_string (value);
      update_regions_locked (self);
      break;
    case PROP_IGNORE_REGIONS:
      g_free (self->ignore_regions);
      self->ignore_regions = g_value_dup_string (value);
      update_regions_locked (self);
      break;
    case PROP_IGNORE_MASK:
      g_free (self->ignore_mask);
      self->ignore_mask = g_value_dup_string (value);
      update_regions_locked (self);
      break;
    case PROP_IGNORE_CLUTTER:
      self->settings.ignore_clutter = g_value_get_boolean (value);
      break;
    case PROP_POST_MESSAGES:
      self->post_messages = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  self->settings_changed = TRUE;
  GST_OBJECT_UNLOCK (self);
}

static void
gst_stillframe_detect_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstStillframeDetect *self = GST_STILLFRAME_DETECT (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_THRESHOLD:
      g_value_set_double (value, self->settings.threshold);
      break;
    case PROP_SENSITIVITY:
      g_value_set_double (value, self->settings.sensitivity);
      break;
    case PROP_ANALYSIS_WIDTH:
      g_value_set_uint (value, (guint) self->settings.analysis_width);
      break;
    case PROP_REGIONS:
      g_value_set_string (value, self->regions);
      break;
    case PROP_IGNORE_REGIONS:
      g_value_set_string (value, self->ignore_regions);
      break;
    case PROP_IGNORE_MASK:
      g_value_set_string (value, self->ignore_mask);
      break;
    case PROP_IGNORE_CLUTTER:
      g_value_set_boolean (value, self->settings.ignore_clutter);
      break;
    case PROP_POST_MESSAGES:
      g_value_set_boolean (value, self->post_messages);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* Hands changed settings to the detector; FALSE (with an element error
 * posted) when they cannot be used. */
static gboolean
apply_settings (GstStillframeDetect * self)
{
  GST_OBJECT_LOCK (self);
  if (!self->settings_changed) {
    GST_OBJECT_UNLOCK (self);
    return TRUE;
  }
  gchar *error = g_strdup (self->settings_error);
  stillframe::DetectorSettings settings = self->settings;
  self->settings_changed = FALSE;
  GST_OBJECT_UNLOCK (self);

  if (error == NULL) {
    try {
      self->detector->set_settings (settings);
    } catch (const std::invalid_argument & e) {
      error = g_strdup (e.what ());
    }
  }
  if (error != NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", error), (NULL));
    g_free (error);
    GST_OBJECT_LOCK (self);
    self->settings_changed = TRUE;      /* report it again next time */
    GST_OBJECT_UNLOCK (self);
    return FALSE;
  }
  return TRUE;
}

static gboolean
gst_stillframe_detect_start (GstBaseTransform * trans)
{
  GstStillframeDetect *self = GST_STILLFRAME_DETECT (trans);

  self->in_motion = FALSE;
  GST_OBJECT_LOCK (self);
  self->settings_changed = TRUE;
  GST_OBJECT_UNLOCK (self);
  self->detector->reset ();
  return apply_settings (self);
}

static gboolean
gst_stillframe_detect_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * /*outcaps */ ,
    GstVideoInfo * /*out_info */ )
{
  GstStillframeDetect *self = GST_STILLFRAME_DETECT (filter);

  GST_DEBUG_OBJECT (self, "analysing %" GST_PTR_FORMAT, incaps);
  if (GST_VIDEO_INFO_COMP_DEPTH (in_info, 0) != 8) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("stillframedetect cannot analyse %s video: only 8-bit formats",
            GST_VIDEO_INFO_NAME (in_info)), (NULL));
    return FALSE;
  }
  /* The geometry may have changed: start learning afresh. */
  self->detector->reset ();
  self->in_motion = FALSE;
  return TRUE;
}

/* Names the supported formats when upstream offers one we cannot read, so
 * the user sees more than "not-negotiated". */
static gboolean
gst_stillframe_detect_accept_caps (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps)
{
  gboolean ret = GST_BASE_TRANSFORM_CLASS
      (gst_stillframe_detect_parent_class)->accept_caps (trans, direction,
      caps);
  if (!ret && gst_caps_is_fixed (caps)) {
    const GstStructure *s = gst_caps_get_structure (caps, 0);
    const gchar *format = gst_structure_get_string (s, "format");
    GST_ELEMENT_WARNING (trans, STREAM, FORMAT,
        ("stillframedetect cannot analyse %s %s: supported formats are %s "
            "(add videoconvert before it)", gst_structure_get_name (s),
            format ? format : "(no format)", SUPPORTED_FORMATS),
        ("refused caps %" GST_PTR_FORMAT, caps));
  }
  return ret;
}

static stillframe::FrameView
frame_view (const GstVideoFrame * frame)
{
  stillframe::FrameView view;
  const gboolean rgb = GST_VIDEO_FORMAT_INFO_IS_RGB (frame->info.finfo);
  view.kind = rgb ? stillframe::FrameView::Kind::Rgb :
      stillframe::FrameView::Kind::Luma;
  for (int c = 0; c < (rgb ? 3 : 1); c++)
    view.channel[c] = (const std::uint8_t *) GST_VIDEO_FRAME_COMP_DATA (frame,
        c);
  view.pixel_stride = GST_VIDEO_FRAME_COMP_PSTRIDE (frame, 0);
  view.row_stride = GST_VIDEO_FRAME_COMP_STRIDE (frame, 0);
  view.width = GST_VIDEO_FRAME_WIDTH (frame);
  view.height = GST_VIDEO_FRAME_HEIGHT (frame);
  return view;
}

static void
attach_metas (GstBuffer * buffer, const stillframe::FrameAnalysis & result)
{
  stillframe::MotionMetaFields fields;
  fields.score = result.score;
  fields.motion = result.motion;
  fields.x = result.box.x;
  fields.y = result.box.y;
  fields.width = result.box.width;
  fields.height = result.box.height;
  fields.noise_level = result.noise_level;
  fields.light_change = result.light_change;
  fields.write (stillframe_motion_meta_add (buffer));

  if (result.motion && !result.box.empty ()) {
    GstVideoRegionOfInterestMeta *roi =
        gst_buffer_add_video_region_of_interest_meta (buffer,
        stillframe::MotionRoi::kType,
        result.box.x, result.box.y, result.box.width, result.box.height);
    gst_video_region_of_interest_meta_add_param (roi,
        gst_structure_new (stillframe::MotionRoi::kParams,
            stillframe::MotionRoi::kScore, G_TYPE_DOUBLE,
            result.score, NULL));
  }
}

static void
post_motion_message (GstStillframeDetect * self, GstBuffer * buffer,
    const stillframe::FrameAnalysis & result)
{
  GstSegment *segment = &GST_BASE_TRANSFORM (self)->segment;
  const GstClockTime pts = GST_BUFFER_PTS (buffer);
  stillframe::MotionMessage message;
  message.motion = result.motion;
  message.timestamp = gst_segment_to_stream_time (segment, GST_FORMAT_TIME,
      pts);
  message.running_time = gst_segment_to_running_time (segment,
      GST_FORMAT_TIME, pts);
  message.score = result.score;
  message.x = result.box.x;
  message.y = result.box.y;
  message.width = result.box.width;
  message.height = result.box.height;
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), message.build ()));
}

/* A piece of a pooled buffer's memory, mapped for as long as the memory
 * wrapping it lives; the buffer goes back to its pool after that. */
struct PooledPiece {
  GstBuffer *parent;
  GstMemory *memory;
  GstMapInfo map;
};

static void
release_pooled_piece (gpointer data)
{
  PooledPiece *piece = static_cast < PooledPiece * >(data);
  gst_memory_unmap (piece->memory, &piece->map);
  gst_buffer_unref (piece->parent);
  g_free (piece);
}

/* A decoder keeps its reference to a frame while it pushes it, so the
 * frame is not writable here and the meta needs a new buffer. One that
 * shared the frame's memory would leave the decoder's pooled buffer to
 * come back to its pool with its memory still shared whenever the frame
 * is held downstream (stillframecut holds frames for seconds): the pool
 * frees such a buffer and allocates a new one, every frame, and the memory
 * churns through malloc and the kernel. The new buffer's memory wraps the
 * pooled buffer's instead, read-only, and holds the pooled buffer, which
 * goes back whole, to be used again, when that memory is freed. A
 * GstParentBufferMeta names the pooled buffer too, so that stillframecut
 * can tell a frame that holds one from a bounded pool. */
static GstFlowReturn
gst_stillframe_detect_prepare_output_buffer (GstBaseTransform * trans,
    GstBuffer * input, GstBuffer ** output)
{
  if (input->pool == NULL || gst_buffer_is_writable (input))
    return GST_BASE_TRANSFORM_CLASS
        (gst_stillframe_detect_parent_class)->prepare_output_buffer (trans,
        input, output);
  /* A copy first, for the metas: the frame's layout (GstVideoMeta) is only
   * copied with the memory. */
  GstBuffer *wrapper = gst_buffer_copy (input);
  for (guint i = 0; i < gst_buffer_n_memory (input); i++) {
    PooledPiece *piece = g_new0 (PooledPiece, 1);
    piece->memory = gst_buffer_peek_memory (input, i);
    if (!gst_memory_map (piece->memory, &piece->map, GST_MAP_READ)) {
      g_free (piece);
      gst_buffer_unref (wrapper);
      GST_ELEMENT_ERROR (trans, RESOURCE, READ, (NULL),
          ("could not map the frame to read it"));
      return GST_FLOW_ERROR;
    }
    piece->parent = gst_buffer_ref (input);
    gst_buffer_replace_memory (wrapper, i,
        gst_memory_new_wrapped (GST_MEMORY_FLAG_READONLY, piece->map.data,
            piece->map.size, 0, piece->map.size, piece, release_pooled_piece));
  }
  gst_buffer_add_parent_buffer_meta (wrapper, input);
  *output = wrapper;
  return GST_FLOW_OK;
}

static GstFlowReturn
gst_stillframe_detect_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstStillframeDetect *self = GST_STILLFRAME_DETECT (trans);
  GstVideoFilter *filter = GST_VIDEO_FILTER (trans);

  if (!apply_settings (self))
    return GST_FLOW_ERROR;

  /* Read-only: a writable map of shared memory would copy the pixels. */
  GstVideoFrame frame;
  if (!gst_video_frame_map (&frame, &filter->in_info, buf, GST_MAP_READ)) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("Could not map a video frame for reading"), (NULL));
    return GST_FLOW_ERROR;
  }

  const GstClockTime running_time = gst_segment_to_running_time
      (&trans->segment, GST_FORMAT_TIME, GST_BUFFER_PTS (buf));
  const double timestamp = GST_CLOCK_TIME_IS_VALID (running_time) ?
      (double) running_time / GST_SECOND : -1.0;

  stillframe::FrameAnalysis result;
  try {
    result = self->detector->analyse (frame_view (&frame), timestamp);
  } catch (const cv::Exception & e) {
    gst_video_frame_unmap (&frame);
    GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Motion analysis failed"),
        ("OpenCV: %s", e.what ()));
    return GST_FLOW_ERROR;
  } catch (const std::invalid_argument & e) {
    /* Settings that do not fit this frame. */
    gst_video_frame_unmap (&frame);
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", e.what ()), (NULL));
    return GST_FLOW_ERROR;
  } catch (const std::exception & e) {
    gst_video_frame_unmap (&frame);
    GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Motion analysis failed"),
        ("%s", e.what ()));
    return GST_FLOW_ERROR;
  }
  gst_video_frame_unmap (&frame);

  GST_LOG_OBJECT (self, "%" GST_TIME_FORMAT " score %.5f motion %d noise %.2f",
      GST_TIME_ARGS (GST_BUFFER_PTS (buf)), result.score, result.motion,
      result.noise_level);
  attach_metas (buf, result);

  GST_OBJECT_LOCK (self);
  const gboolean post = self->post_messages;
  GST_OBJECT_UNLOCK (self);
  if (result.motion != (bool) self->in_motion) {
    self->in_motion = result.motion;
    if (post)
      post_motion_message (self, buf, result);
  }
  return GST_FLOW_OK;
}

static void
gst_stillframe_detect_finalize (GObject * object)
{
  GstStillframeDetect *self = GST_STILLFRAME_DETECT (object);

  delete self->detector;
  self->settings.~DetectorSettings ();
  g_free (self->regions);
  g_free (self->ignore_regions);
  g_free (self->ignore_mask);
  g_free (self->settings_error);
  G_OBJECT_CLASS (gst_stillframe_detect_parent_class)->finalize (object);
}

static void
gst_stillframe_detect_class_init (GstStillframeDetectClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);
  const GParamFlags flags = (GParamFlags) (G_PARAM_READWRITE |
      G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

  gobject_class->set_property = gst_stillframe_detect_set_property;
  gobject_class->get_property = gst_stillframe_detect_get_property;
  gobject_class->finalize = gst_stillframe_detect_finalize;

  g_object_class_install_property (gobject_class, PROP_THRESHOLD,
      g_param_spec_double ("threshold", "Threshold",
          "Fraction of the analysed area (0..1) that must change for a frame "
          "to count as motion; independent of the resolution", 1e-6, 1.0,
          DEFAULT_THRESHOLD, flags));
  g_object_class_install_property (gobject_class, PROP_SENSITIVITY,
      g_param_spec_double ("sensitivity", "Sensitivity",
          "How faint a change a pixel may show and still count, relative to "
          "the noise measured in the video: 0 needs 10 noise deviations, "
          "1 needs 3", 0.0, 1.0, DEFAULT_SENSITIVITY, flags));
  g_object_class_install_property (gobject_class, PROP_ANALYSIS_WIDTH,
      g_param_spec_uint ("analysis-width", "Analysis width",
          "Width in pixels of the subsampled luma image that is analysed "
          "(the height keeps the aspect ratio); narrower frames are analysed "
          "at their own width", 16, 4096, DEFAULT_ANALYSIS_WIDTH, flags));
  g_object_class_install_property (gobject_class, PROP_REGIONS,
      g_param_spec_string ("regions", "Regions",
          "Only analyse these rectangles, \"x,y,w,h;x,y,w,h...\": whole "
          "numbers are pixels, numbers with a decimal point are fractions of "
          "the frame (\"0.5,0.0,0.5,1.0\" is the right half). Empty: the "
          "whole frame", NULL, flags));
  g_object_class_install_property (gobject_class, PROP_IGNORE_REGIONS,
      g_param_spec_string ("ignore-regions", "Ignore regions",
          "Never analyse these rectangles (same syntax as regions), e.g. a "
          "burned-in clock or a swaying tree", NULL, flags));
  g_object_class_install_property (gobject_class, PROP_IGNORE_MASK,
      g_param_spec_string ("ignore-mask", "Ignore mask",
          "A greyscale PGM picture of the scene, stretched over the frame: "
          "its black parts (below 128) are never analysed, e.g. trees and a "
          "road (ffmpeg -i mask.png -pix_fmt gray mask.pgm makes one)", NULL,
          flags));
  g_object_class_install_property (gobject_class, PROP_IGNORE_CLUTTER,
      g_param_spec_boolean ("ignore-clutter", "Ignore clutter",
          "Falling snow or rain: when the changes fall into 4 separate parts "
          "or more, those smaller than 4 times their median size and than "
          "0.15 % of the analysed area do not count unless one was there in "
          "the frame before; turn off for many small "
          "movers of one size (a flock, a distant crowd)", stillframe::DetectorSettings ().ignore_clutter,
          flags));
  g_object_class_install_property (gobject_class, PROP_POST_MESSAGES,
      g_param_spec_boolean ("post-messages", "Post messages",
          "Post a stillframe-motion element message when motion starts and "
          "when it stops", DEFAULT_POST_MESSAGES, flags));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Still frame detector", "Filter/Analyzer/Video",
      "Scores every frame for motion and attaches the result as metadata",
      "stillframe developers");

  trans_class->start = GST_DEBUG_FUNCPTR (gst_stillframe_detect_start);
  trans_class->accept_caps =
      GST_DEBUG_FUNCPTR (gst_stillframe_detect_accept_caps);
  /* Our own in-place function: GstVideoFilter's would map read-write. */
  trans_class->transform_ip =
      GST_DEBUG_FUNCPTR (gst_stillframe_detect_transform_ip);
  trans_class->transform_ip_on_passthrough = FALSE;
  trans_class->prepare_output_buffer =
      GST_DEBUG_FUNCPTR (gst_stillframe_detect_prepare_output_buffer);
  filter_class->set_info = GST_DEBUG_FUNCPTR (gst_stillframe_detect_set_info);
}

static void
gst_stillframe_detect_init (GstStillframeDetect * self)
{
  new (&self->settings) stillframe::DetectorSettings ();
  self->settings.threshold = DEFAULT_THRESHOLD;
  self->settings.sensitivity = DEFAULT_SENSITIVITY;
  self->settings.analysis_width = DEFAULT_ANALYSIS_WIDTH;
  self->post_messages = DEFAULT_POST_MESSAGES;
  self->settings_changed = TRUE;
  self->detector = new stillframe::MotionDetector (self->settings);
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), FALSE);
  /* An analyser that drops late frames would report holes as stillness. */
  gst_base_transform_set_qos_enabled (GST_BASE_TRANSFORM (self), FALSE);
}
