/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The visual report (--html): one self-contained page per input with the
 * motion score over time as an SVG plot (kept spans and events marked), a
 * thumbnail per event with its box drawn over it, and the event table; an
 * index page for several inputs. The score series is kept in a bounded
 * number of points, so memory stays flat whatever the input's length.
 * No GLib types, unit-tested in tests/unit/test_htmlreport.cpp. */
#pragma once

#include "report.h"

#include <cstddef>
#include <string>
#include <vector>

namespace stillframe::cli {

/* The highest score over [start, end), and whether any frame moved. */
struct ScorePoint {
  double start = 0, end = 0, score = 0;
  bool motion = false;
};

/* Frames' scores, merged pairwise into wider spans whenever `capacity`
 * points are reached: the plot of a day has as many points as a minute's. */
class ScoreSeries {
public:
  explicit ScoreSeries (std::size_t capacity = 2048) : capacity_ (capacity) {}

  void add (double start, double end, double score, bool motion);
  const std::vector<ScorePoint> &points () const { return points_; }

private:
  std::size_t capacity_;
  double width_ = 0;            /* a point's span; 0: one per frame */
  std::vector<ScorePoint> points_;
};

/* One event's picture: JPEG bytes of the frame of its peak score, the size
 * of the frame, and that frame's own box in its pixels. Empty when none was
 * taken. */
struct Thumbnail {
  std::string jpeg;
  int frame_width = 0, frame_height = 0;
  int x = 0, y = 0, width = 0, height = 0;
};

struct HtmlPage {
  ReportData report;
  std::vector<ScorePoint> scores;
  double threshold = 0;
  std::vector<Thumbnail> thumbnails;    /* one per event, in order */
};

std::string html_page (const HtmlPage &page);

/* A row of the index: the page's file name (beside the index). */
struct HtmlIndexEntry {
  std::string input, page;
  double duration_in = 0, duration_out = 0;
  std::size_t events = 0;
  std::string error;
};

std::string html_index (const std::vector<HtmlIndexEntry> &entries);

/* RFC 4648 base64, for data: URIs. */
std::string base64 (const std::string &bytes);

}  // namespace stillframe::cli
