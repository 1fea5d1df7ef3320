/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "thumbnails.h"

#include <algorithm>

namespace stillframe::cli {

namespace {

constexpr int kThumbnailWidth = 320;

}  // namespace

ThumbnailTaker::~ThumbnailTaker ()
{
  if (converter_)
    gst_video_converter_free (converter_);
  if (waiting_)
    gst_buffer_unref (waiting_);
}

void
ThumbnailTaker::set_format (GstCaps *caps)
{
  GstVideoInfo info;
  if (!gst_video_info_from_caps (&info, caps))
    return;
  if (has_format_ && gst_video_info_is_equal (&info, &in_))
    return;
  /* A new size: the waiting picture is finished at the old one. */
  encode_waiting ();
  if (converter_)
    gst_video_converter_free (converter_);
  converter_ = nullptr;
  in_ = info;
  const int width = std::min (kThumbnailWidth, GST_VIDEO_INFO_WIDTH (&info));
  const int height = std::max (2, (int) ((gint64) width *
          GST_VIDEO_INFO_HEIGHT (&info) / std::max (1,
              GST_VIDEO_INFO_WIDTH (&info))) & ~1);
  gst_video_info_set_interlaced_format (&out_, GST_VIDEO_FORMAT_RGB,
      GST_VIDEO_INFO_INTERLACE_MODE (&info), width, height);
  /* The converter changes only size and format. */
  GST_VIDEO_INFO_FPS_N (&out_) = GST_VIDEO_INFO_FPS_N (&info);
  GST_VIDEO_INFO_FPS_D (&out_) = GST_VIDEO_INFO_FPS_D (&info);
  converter_ = gst_video_converter_new (&in_, &out_, NULL);
  has_format_ = converter_ != nullptr;
}

void
ThumbnailTaker::offer (GstBuffer *frame, std::size_t event, double score,
    const int box[4])
{
  if (!has_format_ || gst_buffer_get_size (frame) == 0)
    return;
  if (waiting_ && event != waiting_event_)
    encode_waiting ();
  if (waiting_ && score <= waiting_score_)
    return;
  GstVideoFrame in, out;
  if (!gst_video_frame_map (&in, &in_, frame, GST_MAP_READ))
    return;
  GstBuffer *small = gst_buffer_new_allocate (NULL,
      GST_VIDEO_INFO_SIZE (&out_), NULL);
  if (!gst_video_frame_map (&out, &out_, small, GST_MAP_WRITE)) {
    gst_video_frame_unmap (&in);
    gst_buffer_unref (small);
    return;
  }
  gst_video_converter_frame (converter_, &in, &out);
  gst_video_frame_unmap (&out);
  gst_video_frame_unmap (&in);
  if (waiting_)
    gst_buffer_unref (waiting_);
  waiting_ = small;
  waiting_event_ = event;
  waiting_score_ = score;
  std::copy (box, box + 4, waiting_box_);
}

void
ThumbnailTaker::encode_waiting ()
{
  if (!waiting_)
    return;
  GstCaps *raw = gst_video_info_to_caps (&out_);
  GstSample *sample = gst_sample_new (waiting_, raw, NULL, NULL);
  gst_caps_unref (raw);
  GstCaps *jpeg = gst_caps_new_empty_simple ("image/jpeg");
  GError *error = NULL;
  GstSample *encoded = gst_video_convert_sample (sample, jpeg,
      5 * GST_SECOND, &error);
  gst_caps_unref (jpeg);
  gst_sample_unref (sample);
  g_clear_error (&error);       /* no picture for this event, then */
  if (thumbnails_.size () <= waiting_event_)
    thumbnails_.resize (waiting_event_ + 1);
  Thumbnail &t = thumbnails_[waiting_event_];
  t.frame_width = GST_VIDEO_INFO_WIDTH (&in_);
  t.frame_height = GST_VIDEO_INFO_HEIGHT (&in_);
  t.x = waiting_box_[0];
  t.y = waiting_box_[1];
  t.width = waiting_box_[2];
  t.height = waiting_box_[3];
  if (encoded) {
    GstMapInfo map;
    GstBuffer *buffer = gst_sample_get_buffer (encoded);
    if (buffer && gst_buffer_map (buffer, &map, GST_MAP_READ)) {
      t.jpeg.assign ((const char *) map.data, map.size);
      gst_buffer_unmap (buffer, &map);
    }
    gst_sample_unref (encoded);
  }
  gst_buffer_unref (waiting_);
  waiting_ = nullptr;
  waiting_score_ = -1;
}

std::vector<Thumbnail>
ThumbnailTaker::take_all ()
{
  encode_waiting ();
  return std::move (thumbnails_);
}

}  // namespace stillframe::cli
