/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "htmlreport.h"

#include "textformat.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace stillframe::cli {

namespace {

/* A file name as a relative URL: bytes other than unreserved ones
 * percent-encoded. */
std::string
url_path (const std::string &name)
{
  std::string out;
  for (unsigned char c : name) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' &&
            c <= '9') || c == '-' || c == '_' || c == '.' || c == '~') {
      out += (char) c;
    } else {
      char escaped[4];
      std::snprintf (escaped, sizeof escaped, "%%%02X", c);
      out += escaped;
    }
  }
  return out;
}

/* A coordinate with two decimals, whatever the locale. */
std::string
coordinate (double value)
{
  const long long hundredths = std::llround (value * 100);
  const unsigned long long magnitude = hundredths < 0 ?
      -(unsigned long long) hundredths : hundredths;
  char text[40];
  std::snprintf (text, sizeof text, "%s%llu.%02llu", hundredths < 0 ? "-" :
      "", magnitude / 100, magnitude % 100);
  return text;
}

const char *const kStyle =
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}"
    "h1{font-size:20px;margin:0 0 4px}table{border-collapse:collapse}"
    "td,th{padding:3px 10px;border-bottom:1px solid #ddd;text-align:left}"
    ".plot{width:100%;max-width:1100px;height:auto;border:1px solid #ccc}"
    ".events{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}"
    "figure{margin:0;width:320px}figure svg{width:320px;height:auto;"
    "background:#000}figcaption{font-size:12px}.note{color:#a50}";

constexpr double kPlotWidth = 1000, kPlotHeight = 200;

/* The score plot: kept spans shaded, events as bars along the top, the
 * threshold dashed, scores to 4x the threshold (higher ones are clipped). */
std::string
score_plot (const HtmlPage &page)
{
  const double duration = std::max (page.report.duration_in,
      page.scores.empty () ? 0.0 : page.scores.back ().end);
  const double span = duration > 0 ? duration : 1;
  double top = page.threshold * 4;
  for (const ScorePoint &p : page.scores)
    top = std::max (top, std::min (p.score, page.threshold * 20));
  if (top <= 0)
    top = 1;
  auto x = [&] (double t) { return coordinate (t / span * kPlotWidth); };
  auto y = [&] (double s) {
    return coordinate (kPlotHeight - std::min (s, top) / top *
        (kPlotHeight - 12));
  };
  std::string svg = "<svg class=\"plot\" viewBox=\"0 0 " +
      coordinate (kPlotWidth) + " " + coordinate (kPlotHeight + 20) +
      "\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" "
      "aria-label=\"motion score over time\">\n";
  for (const Range &r : page.report.kept)
    svg += "<rect class=\"kept\" x=\"" + x (r.start) + "\" y=\"0\" width=\"" +
        coordinate ((r.end - r.start) / span * kPlotWidth) + "\" height=\"" +
        coordinate (kPlotHeight) + "\" fill=\"#d8f0d8\"/>\n";
  for (const Range &r : page.report.sped)
    svg += "<rect class=\"sped\" x=\"" + x (r.start) + "\" y=\"0\" width=\"" +
        coordinate ((r.end - r.start) / span * kPlotWidth) + "\" height=\"" +
        coordinate (kPlotHeight) + "\" fill=\"#dde6f6\"/>\n";
  for (const Event &e : page.report.events)
    svg += "<rect class=\"event\" x=\"" + x (e.start) + "\" y=\"0\" width=\""
        + coordinate (std::max (1.0, (e.end - e.start) / span * kPlotWidth)) +
        "\" height=\"8\" fill=\"#e67300\"/>\n";
  std::string path;
  for (const ScorePoint &p : page.scores)
    path += (path.empty () ? "M" : " L") + x (p.start) + " " + y (p.score) +
        " L" + x (p.end) + " " + y (p.score);
  if (!path.empty ())
    svg += "<path class=\"score\" d=\"" + path + "\" fill=\"none\" "
        "stroke=\"#1f5fbf\" stroke-width=\"1\"/>\n";
  svg += "<line class=\"threshold\" x1=\"0\" x2=\"" + coordinate (kPlotWidth) +
      "\" y1=\"" + y (page.threshold) + "\" y2=\"" + y (page.threshold) +
      "\" stroke=\"#c00\" stroke-dasharray=\"4 3\"/>\n";
  for (int tick = 0; tick <= 4; tick++)
    svg += "<text x=\"" + coordinate (std::min (kPlotWidth - 85, tick *
            kPlotWidth / 4)) + "\" y=\"" + coordinate (kPlotHeight + 16) +
        "\" font-size=\"12\">" + clock_string (span * tick / 4) + "</text>\n";
  return svg + "</svg>\n";
}

std::string
thumbnail_figure (std::size_t index, const Event &e, const Thumbnail &t)
{
  std::string figure = "<figure id=\"event-" + std::to_string (index + 1) +
      "\">";
  if (!t.jpeg.empty () && t.frame_width > 0 && t.frame_height > 0) {
    /* The box is in the frame's pixels: the picture is drawn at that size. */
    const std::string w = std::to_string (t.frame_width), h =
        std::to_string (t.frame_height);
    figure += "<svg viewBox=\"0 0 " + w + " " + h + "\" xmlns=\"http://www."
        "w3.org/2000/svg\"><image class=\"thumbnail\" width=\"" + w +
        "\" height=\"" + h + "\" href=\"data:image/jpeg;base64," +
        base64 (t.jpeg) + "\"/>";
    if (t.width > 0 && t.height > 0)
      figure += "<rect class=\"box\" x=\"" + std::to_string (t.x) +
          "\" y=\"" + std::to_string (t.y) + "\" width=\"" +
          std::to_string (t.width) + "\" height=\"" +
          std::to_string (t.height) + "\" fill=\"none\" stroke=\"#ff3030\" "
          "stroke-width=\"" + std::to_string (std::max (2, t.frame_width /
                200)) + "\"/>";
    figure += "</svg>";
  }
  return figure + "<figcaption>Event " + std::to_string (index + 1) + ": " +
      clock_string (e.start) + " – " + clock_string (e.end) +
      ", peak score " + fixed_seconds (e.peak) + "</figcaption></figure>\n";
}

}  // namespace

void
ScoreSeries::add (double start, double end, double score, bool motion)
{
  if (!points_.empty () && width_ > 0 && start < points_.back ().start +
      width_) {
    ScorePoint &last = points_.back ();
    last.end = std::max (last.end, end);
    last.score = std::max (last.score, score);
    last.motion = last.motion || motion;
    return;
  }
  points_.push_back ({start, end, score, motion});
  if (points_.size () < capacity_)
    return;
  /* Full: every two points become one, twice as wide. */
  std::vector<ScorePoint> merged;
  merged.reserve (capacity_);
  for (std::size_t i = 0; i < points_.size (); i += 2) {
    ScorePoint p = points_[i];
    if (i + 1 < points_.size ()) {
      const ScorePoint &q = points_[i + 1];
      p.end = q.end;
      p.score = std::max (p.score, q.score);
      p.motion = p.motion || q.motion;
    }
    merged.push_back (p);
  }
  points_ = std::move (merged);
  width_ = std::max (width_ * 2, points_.front ().end -
      points_.front ().start);
}

std::string
base64 (const std::string &bytes)
{
  static const char *const digits =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve ((bytes.size () + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size (); i += 3) {
    const std::size_t n = std::min<std::size_t> (3, bytes.size () - i);
    unsigned value = 0;
    for (std::size_t k = 0; k < 3; k++)
      value = value << 8 | (k < n ? (unsigned char) bytes[i + k] : 0);
    for (std::size_t k = 0; k < 4; k++)
      out += k <= n ? digits[(value >> (18 - 6 * k)) & 63] : '=';
  }
  return out;
}

std::string
html_page (const HtmlPage &page)
{
  const ReportData &r = page.report;
  std::string html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
      "charset=\"utf-8\"><title>" + markup_text (r.input) + " — stillframe"
      "</title><style>" + kStyle + "</style></head><body>\n<h1>" +
      markup_text (r.input) + "</h1>\n<p>" + (r.trim ? "Kept " : "Would keep ")
      + clock_string (r.duration_out) + " of " + clock_string (r.duration_in)
      + " in " + std::to_string (r.kept.size ()) + " span" +
      (r.kept.size () == 1 ? "" : "s") + "; " + std::to_string (r.events.size ())
      + " event" + (r.events.size () == 1 ? "" : "s") + ".</p>\n";
  if (r.interrupted)
    html += "<p class=\"note\">Interrupted: this is what was read before "
        "the run was stopped.</p>\n";
  for (const std::string &note : r.notes)
    html += "<p class=\"note\">" + markup_text (note) + "</p>\n";
  if (!r.error.empty ())
    html += "<p class=\"note\">Error: " + markup_text (r.error) + "</p>\n";
  html += score_plot (page);
  html += std::string ("<p>Blue: the motion score of each moment (its "
      "highest); red dashes: the threshold; green: kept; ") +
      (r.sped.empty () ? "" : "light blue: kept faster; ") + "orange: "
      "events.</p>\n";
  html += "<div class=\"events\">\n";
  for (std::size_t i = 0; i < r.events.size (); i++)
    html += thumbnail_figure (i, r.events[i], i < page.thumbnails.size () ?
        page.thumbnails[i] : Thumbnail ());
  html += "</div>\n<table><thead><tr><th>#</th><th>start</th><th>end</th>"
      "<th>duration</th><th>peak score</th><th>box (x, y, w, h)</th></tr>"
      "</thead><tbody>\n";
  for (std::size_t i = 0; i < r.events.size (); i++) {
    const Event &e = r.events[i];
    html += "<tr><td><a href=\"#event-" + std::to_string (i + 1) + "\">" +
        std::to_string (i + 1) + "</a></td><td>" + clock_string (e.start) +
        "</td><td>" + clock_string (e.end) + "</td><td>" +
        clock_string (e.end - e.start) + "</td><td>" + fixed_seconds (e.peak)
        + "</td><td>" + std::to_string (e.x0) + ", " + std::to_string (e.y0) +
        ", " + std::to_string (e.x1 - e.x0) + ", " + std::to_string (e.y1 -
            e.y0) + "</td></tr>\n";
  }
  return html + "</tbody></table>\n</body></html>\n";
}

std::string
html_index (const std::vector<HtmlIndexEntry> &entries)
{
  std::string html = std::string ("<!DOCTYPE html>\n<html lang=\"en\"><head>"
      "<meta charset=\"utf-8\"><title>stillframe</title><style>") + kStyle +
      "</style></head><body>\n<h1>stillframe</h1>\n<table><thead><tr>"
      "<th>input</th><th>duration</th><th>kept</th><th>events</th></tr>"
      "</thead><tbody>\n";
  for (const HtmlIndexEntry &e : entries) {
    html += "<tr><td>" + (e.page.empty () ? markup_text (e.input) :
        "<a href=\"" + url_path (e.page) + "\">" + markup_text (e.input) +
        "</a>") + "</td>";
    if (!e.error.empty ())
      html += "<td colspan=\"3\" class=\"note\">" + markup_text (e.error) +
          "</td></tr>\n";
    else
      html += "<td>" + clock_string (e.duration_in) + "</td><td>" +
          clock_string (e.duration_out) + "</td><td>" +
          std::to_string (e.events) + "</td></tr>\n";
  }
  return html + "</tbody></table>\n</body></html>\n";
}

}  // namespace stillframe::cli
