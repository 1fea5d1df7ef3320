/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "timeline.h"

#include "textformat.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <stdexcept>
#include <tuple>

namespace stillframe::cli {

namespace {

std::string
lower (std::string text)
{
  for (char &c : text)
    if (c >= 'A' && c <= 'Z')
      c = (char) (c - 'A' + 'a');
  return text;
}

bool
ends_with (const std::string &text, const std::string &suffix)
{
  return text.size () >= suffix.size () && text.compare (text.size () -
      suffix.size (), suffix.size (), suffix) == 0;
}

std::int64_t
to_frame (double seconds, const TimelineSource &s)
{
  return std::llround (seconds * s.rate_num / s.rate_den);
}

/* The frame rate as OpenTimelineIO keeps it (a double), locale-free. */
std::string
rate_text (const TimelineSource &s)
{
  char text[48];
  const double rate = (double) s.rate_num / s.rate_den;
  if (rate == std::floor (rate))
    std::snprintf (text, sizeof text, "%lld.0", (long long) rate);
  else
    return fixed_seconds (rate);
  return text;
}

/* Frames as "N/Ds", FCPXML's rational seconds. */
std::string
fcp_time (std::int64_t frames, const TimelineSource &s)
{
  if (frames == 0)
    return "0s";
  return std::to_string (frames * s.rate_den) + "/" +
      std::to_string (s.rate_num) + "s";
}

/* HH:MM:SS:FF at the nominal (whole) rate, non-drop-frame. */
std::string
timecode (std::int64_t frames, int nominal)
{
  char text[96];
  const std::int64_t seconds = frames / nominal;
  std::snprintf (text, sizeof text, "%02lld:%02lld:%02lld:%02lld",
      (long long) (seconds / 3600), (long long) (seconds / 60 % 60),
      (long long) (seconds % 60), (long long) (frames % nominal));
  return text;
}

std::string
otio_rational (std::int64_t frames, const TimelineSource &s)
{
  return "{\"OTIO_SCHEMA\": \"RationalTime.1\", \"rate\": " + rate_text (s) +
      ", \"value\": " + std::to_string (frames) + ".0}";
}

std::string
otio_range (std::int64_t first, std::int64_t frames, const TimelineSource &s)
{
  return "{\"OTIO_SCHEMA\": \"TimeRange.1\", \"start_time\": " +
      otio_rational (first, s) + ", \"duration\": " + otio_rational (frames,
          s) + "}";
}

}  // namespace

std::string
timeline_marker_name (std::size_t index, const Event &e)
{
  char text[96];
  std::snprintf (text, sizeof text, "event %zu, peak score %s", index + 1,
      fixed_seconds (e.peak).c_str ());
  return text;
}

std::optional<TimelineFormat>
timeline_format (const std::string &path)
{
  const std::string name = lower (path);
  if (ends_with (name, ".otio"))
    return TimelineFormat::Otio;
  if (ends_with (name, ".edl"))
    return TimelineFormat::Edl;
  if (ends_with (name, ".fcpxml"))
    return TimelineFormat::Fcpxml;
  if (ends_with (name, ".xges"))
    return TimelineFormat::Xges;
  return std::nullopt;
}

std::int64_t
frames_to_ns (std::int64_t frames, const TimelineSource &s)
{
  /* Exact for any frame count a day of video has, at any common rate. */
  const long double ns = (long double) frames * s.rate_den * 1000000000.0L /
      s.rate_num;
  return (std::int64_t) std::llround ((double) ns);
}

std::vector<TimelineClip>
timeline_clips (const std::vector<TimelineSource> &sources)
{
  std::vector<TimelineClip> clips;
  std::int64_t at_ns = 0;
  for (std::size_t i = 0; i < sources.size (); i++) {
    const TimelineSource &s = sources[i];
    const std::size_t first_clip = clips.size ();
    for (const Range &r : s.kept) {
      TimelineClip clip;
      clip.source = i;
      clip.first = to_frame (r.start, s);
      clip.frames = to_frame (r.end, s) - clip.first;
      if (clip.frames <= 0)
        continue;
      clip.at_ns = at_ns;
      at_ns += frames_to_ns (clip.frames, s);
      clips.push_back (clip);
    }
    for (std::size_t e = 0; e < s.events.size (); e++) {
      const std::int64_t start = to_frame (s.events[e].start, s);
      for (std::size_t c = first_clip; c < clips.size (); c++)
        if (start >= clips[c].first && start < clips[c].first +
            clips[c].frames) {
          clips[c].events.push_back (e);
          break;
        }
    }
  }
  return clips;
}

std::string
otio_text (const std::string &title, const std::vector<TimelineSource> &sources)
{
  const std::vector<TimelineClip> clips = timeline_clips (sources);
  std::ostringstream j;
  auto track = [&] (const char *kind, const char *name, bool audio) {
    j << "      {\n        \"OTIO_SCHEMA\": \"Track.1\",\n        \"name\": \""
        << name << "\",\n        \"kind\": \"" << kind << "\",\n"
        "        \"enabled\": true,\n        \"source_range\": null,\n"
        "        \"effects\": [],\n        \"markers\": [],\n"
        "        \"metadata\": {},\n        \"children\": [";
    bool first = true;
    for (const TimelineClip &c : clips) {
      const TimelineSource &s = sources[c.source];
      if (audio && !s.has_audio)
        continue;       /* the timeline has a gap there instead */
      j << (first ? "" : ",") << "\n          {\n"
          "            \"OTIO_SCHEMA\": \"Clip.1\",\n"
          "            \"name\": " << json_string (s.name) << ",\n"
          "            \"enabled\": true,\n"
          "            \"source_range\": " << otio_range (c.first, c.frames, s)
          << ",\n            \"media_reference\": {\"OTIO_SCHEMA\": "
          "\"ExternalReference.1\", \"name\": " << json_string (s.name) <<
          ", \"target_url\": " << json_string (s.uri) << ", "
          "\"available_range\": " << otio_range (0, to_frame (s.duration, s),
              s) << ", \"metadata\": {}},\n"
          "            \"effects\": [],\n            \"metadata\": {},\n"
          "            \"markers\": [";
      first = false;
      for (std::size_t k = 0; k < c.events.size () && !audio; k++) {
        const Event &e = s.events[c.events[k]];
        const std::int64_t start = to_frame (e.start, s);
        j << (k ? "," : "") << "\n              {\"OTIO_SCHEMA\": "
            "\"Marker.1\", \"name\": " << json_string (timeline_marker_name
                (c.events[k], e)) << ", \"color\": \"RED\", "
            "\"marked_range\": " << otio_range (start, std::max<std::int64_t>
                (1, to_frame (e.end, s) - start), s) << ", \"metadata\": "
            "{\"stillframe\": {\"peak_score\": " << fixed_seconds (e.peak) <<
            ", \"box\": [" << e.x0 << ", " << e.y0 << ", " << e.x1 - e.x0 <<
            ", " << e.y1 - e.y0 << "]}}}";
      }
      j << (c.events.empty () || audio ? "" : "\n            ") << "]\n"
          "          }";
    }
    j << (first ? "" : "\n        ") << "]\n      }";
  };
  j << "{\n  \"OTIO_SCHEMA\": \"Timeline.1\",\n  \"name\": " <<
      json_string (title) << ",\n  \"global_start_time\": null,\n"
      "  \"metadata\": {},\n  \"tracks\": {\n    \"OTIO_SCHEMA\": "
      "\"Stack.1\",\n    \"name\": \"tracks\",\n    \"enabled\": true,\n"
      "    \"source_range\": null,\n    \"effects\": [],\n"
      "    \"markers\": [],\n    \"metadata\": {},\n    \"children\": [\n";
  track ("Video", "Video 1", false);
  bool any_audio = false;
  for (const TimelineSource &s : sources)
    any_audio = any_audio || s.has_audio;
  if (any_audio) {
    j << ",\n";
    track ("Audio", "Audio 1", true);
  }
  j << "\n    ]\n  }\n}\n";
  return j.str ();
}

std::string
edl_text (const std::string &title, const std::vector<TimelineSource> &sources)
{
  const std::vector<TimelineClip> clips = timeline_clips (sources);
  if (clips.size () > 999)
    throw std::runtime_error ("an EDL holds at most 999 edits, and this "
        "timeline has " + std::to_string (clips.size ()) + " (write .otio, "
        ".fcpxml or .xges)");
  /* The record side counts frames of the first source's rate. */
  const TimelineSource &first = sources.empty () ? TimelineSource () :
      sources.front ();
  std::string out = "TITLE: " + valid_utf8 (title) + "\nFCM: NON-DROP "
      "FRAME\n\n";
  for (std::size_t i = 0; i < clips.size (); i++) {
    const TimelineClip &c = clips[i];
    const TimelineSource &s = sources[c.source];
    const int nominal = (int) std::lround ((double) s.rate_num / s.rate_den);
    const int record_nominal = (int) std::lround ((double) first.rate_num /
        first.rate_den);
    const std::int64_t record_in = std::llround ((double) c.at_ns *
        first.rate_num / first.rate_den / 1e9);
    const std::int64_t record_out = record_in + std::llround ((double)
        frames_to_ns (c.frames, s) * first.rate_num / first.rate_den / 1e9);
    char line[160];
    std::snprintf (line, sizeof line, "%03zu  AX       %-4s  C        %s %s "
        "%s %s\n", i + 1, s.has_audio ? "AA/V" : "V",
        timecode (c.first, nominal).c_str (), timecode (c.first + c.frames,
            nominal).c_str (), timecode (record_in, record_nominal).c_str (),
        timecode (record_out, record_nominal).c_str ());
    out += line;
    out += "* FROM CLIP NAME: " + valid_utf8 (s.name) + "\n";
    for (std::size_t e : c.events)
      out += "* " + timeline_marker_name (e, s.events[e]) + " at " +
          timecode (to_frame (s.events[e].start, s), nominal) + "\n";
    out += "\n";
  }
  return out;
}

std::string
fcpxml_text (const std::string &title,
    const std::vector<TimelineSource> &sources)
{
  const std::vector<TimelineClip> clips = timeline_clips (sources);
  /* One format per distinct size and rate; one asset per source. */
  std::map<std::tuple<int, int, int, int>, std::string> formats;
  std::string resources;
  std::vector<std::string> format_of (sources.size ());
  for (std::size_t i = 0; i < sources.size (); i++) {
    const TimelineSource &s = sources[i];
    const auto key = std::make_tuple (s.width, s.height, s.rate_num,
        s.rate_den);
    auto it = formats.find (key);
    if (it == formats.end ()) {
      const std::string id = "r" + std::to_string (formats.size () + 1);
      it = formats.emplace (key, id).first;
      resources += "    <format id=\"" + id + "\" frameDuration=\"" +
          fcp_time (1, s) + "\" width=\"" + std::to_string (s.width) +
          "\" height=\"" + std::to_string (s.height) + "\"/>\n";
    }
    format_of[i] = it->second;
  }
  for (std::size_t i = 0; i < sources.size (); i++) {
    const TimelineSource &s = sources[i];
    resources += "    <asset id=\"a" + std::to_string (i + 1) + "\" name=\"" +
        markup_text (s.name) + "\" start=\"0s\" duration=\"" +
        fcp_time (to_frame (s.duration, s), s) + "\" hasVideo=\"1\" "
        "format=\"" + format_of[i] + "\"" + (s.has_audio ? " hasAudio=\"1\" "
        "audioSources=\"1\"" : "") + ">\n      <media-rep "
        "kind=\"original-media\" src=\"" + markup_text (s.uri) + "\"/>\n"
        "    </asset>\n";
  }
  /* The sequence runs at the first source's rate. */
  const TimelineSource &first = sources.empty () ? TimelineSource () :
      sources.front ();
  auto sequence_frames = [&] (std::int64_t ns) {
    return std::llround ((double) ns * first.rate_num / first.rate_den /
        1e9);
  };
  std::string spine;
  std::int64_t total = 0;
  for (const TimelineClip &c : clips) {
    const TimelineSource &s = sources[c.source];
    const std::int64_t offset = sequence_frames (c.at_ns);
    spine += "            <asset-clip ref=\"a" + std::to_string (c.source + 1)
        + "\" name=\"" + markup_text (s.name) + "\" offset=\"" +
        fcp_time (offset, first) + "\" start=\"" + fcp_time (c.first, s) +
        "\" duration=\"" + fcp_time (c.frames, s) + "\" format=\"" +
        format_of[c.source] + "\" tcFormat=\"NDF\"";
    total = offset + sequence_frames (frames_to_ns (c.frames, s));
    if (c.events.empty ()) {
      spine += "/>\n";
      continue;
    }
    spine += ">\n";
    for (std::size_t e : c.events)
      spine += "              <marker start=\"" + fcp_time (to_frame
              (s.events[e].start, s), s) + "\" duration=\"" + fcp_time (1, s)
          + "\" value=\"" + markup_text (timeline_marker_name (e, s.events[e])) +
          "\"/>\n";
    spine += "            </asset-clip>\n";
  }
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE fcpxml>\n"
      "<fcpxml version=\"1.9\">\n  <resources>\n" + resources +
      "  </resources>\n  <library>\n    <event name=\"stillframe\">\n"
      "      <project name=\"" + markup_text (title) + "\">\n"
      "        <sequence format=\"" + (format_of.empty () ? std::string ("r1")
          : format_of.front ()) + "\" duration=\"" + fcp_time (total, first) +
      "\" tcStart=\"0s\" tcFormat=\"NDF\">\n          <spine>\n" + spine +
      "          </spine>\n        </sequence>\n      </project>\n"
      "    </event>\n  </library>\n</fcpxml>\n";
}

}  // namespace stillframe::cli
