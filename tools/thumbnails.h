/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --html's event pictures, taken from the frames the pipeline decodes
 * anyway (no second decode): each event's frame of highest score, scaled
 * to 320 pixels wide as it passes, and made a JPEG once the next event
 * starts (or at the end), so that one small picture waits at a time.
 * Threads: the detect probe's streaming thread while the pipeline runs,
 * then the main thread (take_all) once it has stopped. */
#pragma once

#include "htmlreport.h"

#include <gst/gst.h>
#include <gst/video/video.h>

#include <vector>

namespace stillframe::cli {

class ThumbnailTaker {
public:
  ThumbnailTaker () = default;
  ~ThumbnailTaker ();
  ThumbnailTaker (const ThumbnailTaker &) = delete;
  ThumbnailTaker &operator= (const ThumbnailTaker &) = delete;

  /* The decoded video's format, from its caps. */
  void set_format (GstCaps *caps);
  /* A frame of event `event` (counted from 0) with this score and box
   * (x, y, width, height in its pixels): kept if it is the event's highest
   * so far. Empty buffers (--fast's) are ignored. */
  void offer (GstBuffer *frame, std::size_t event, double score,
      const int box[4]);
  /* The pictures, one per event that had a frame; the last is encoded. */
  std::vector<Thumbnail> take_all ();

private:
  void encode_waiting ();

  GstVideoInfo in_ {}, out_ {};
  bool has_format_ = false;
  GstVideoConverter *converter_ = nullptr;
  /* The picture waiting to be encoded: its event and score. */
  GstBuffer *waiting_ = nullptr;
  std::size_t waiting_event_ = 0;
  double waiting_score_ = -1;
  int waiting_box_[4] = {0, 0, 0, 0};
  std::vector<Thumbnail> thumbnails_;
};

}  // namespace stillframe::cli
