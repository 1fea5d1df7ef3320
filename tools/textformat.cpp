/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "textformat.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <system_error>
#include <vector>

namespace stillframe::cli {

namespace {

/* The length of the well-formed UTF-8 sequence at `s` (Unicode's table 3-7:
 * no overlong forms, no surrogates, nothing past U+10FFFF), 0 if none. */
std::size_t
utf8_sequence_length (const unsigned char *s, std::size_t left)
{
  const unsigned char c = s[0];
  if (c < 0x80)
    return 1;
  std::size_t length;
  unsigned char low = 0x80, high = 0xbf;
  if (c >= 0xc2 && c <= 0xdf)
    length = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    length = 3;
    if (c == 0xe0)
      low = 0xa0;
    else if (c == 0xed)
      high = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    length = 4;
    if (c == 0xf0)
      low = 0x90;
    else if (c == 0xf4)
      high = 0x8f;
  } else {
    return 0;
  }
  if (left < length || s[1] < low || s[1] > high)
    return 0;
  for (std::size_t i = 2; i < length; i++)
    if (s[i] < 0x80 || s[i] > 0xbf)
      return 0;
  return length;
}

}  // namespace

std::string
valid_utf8 (const std::string &text)
{
  std::string out;
  out.reserve (text.size ());
  const auto *bytes = reinterpret_cast<const unsigned char *> (text.data ());
  for (std::size_t i = 0; i < text.size ();) {
    const std::size_t length = utf8_sequence_length (bytes + i,
        text.size () - i);
    if (length == 0) {
      out += "\xef\xbf\xbd";
      i++;
    } else {
      out.append (text, i, length);
      i += length;
    }
  }
  return out;
}

std::string
json_string (const std::string &text)
{
  std::string out = "\"";
  for (char c : valid_utf8 (text)) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if ((unsigned char) c < 0x20) {
          char escaped[8];
          std::snprintf (escaped, sizeof escaped, "\\u%04x", c);
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string
csv_field (const std::string &text)
{
  const std::string valid = valid_utf8 (text);
  if (valid.find_first_of (",\"\r\n") == std::string::npos)
    return valid;
  std::string out = "\"";
  for (char c : valid) {
    if (c == '"')
      out += '"';
    out += c;
  }
  return out + "\"";
}

std::string
markup_text (const std::string &text)
{
  std::string out;
  for (char c : valid_utf8 (text)) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        if ((unsigned char) c >= 0x20 || c == '\t' || c == '\n')
          out += c;
    }
  }
  return out;
}

std::string
fixed_seconds (double seconds)
{
  /* Whole microseconds, printed as integers: no locale's decimal comma. */
  const long long us = std::llround (seconds * 1e6);
  const unsigned long long magnitude = us < 0 ? -(unsigned long long) us : us;
  char text[40];
  std::snprintf (text, sizeof text, "%s%llu.%06llu", us < 0 ? "-" : "",
      magnitude / 1000000, magnitude % 1000000);
  return text;
}

std::vector<std::string>
list_lines (const std::string &text)
{
  std::vector<std::string> lines;
  for (std::size_t at = 0; at < text.size ();) {
    std::size_t end = text.find ('\n', at);
    if (end == std::string::npos)
      end = text.size ();
    std::string line = text.substr (at, end - at);
    if (!line.empty () && line.back () == '\r')
      line.pop_back ();
    if (!line.empty ())
      lines.push_back (std::move (line));
    at = end + 1;
  }
  return lines;
}

std::string
size_text (std::uint64_t bytes)
{
  static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = (double) bytes;
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < sizeof units / sizeof *units) {
    value /= 1024;
    unit++;
  }
  char text[32];
  if (unit == 0)
    std::snprintf (text, sizeof text, "%llu B", (unsigned long long) bytes);
  else
    std::snprintf (text, sizeof text, "%.1f %s", value, units[unit]);
  return text;
}

std::string
clock_string (double seconds)
{
  const long long ms = std::llround (std::max (0.0, seconds) * 1000);
  char text[40];
  std::snprintf (text, sizeof text, "%lld:%02lld:%02lld.%03lld", ms / 3600000,
      ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
  return text;
}

namespace {

/* A non-negative decimal number filling all of [begin, end). */
bool
decimal (const char *begin, const char *end, double *value)
{
  if (begin == end || *begin == '+' || *begin == '-')
    return false;
  const std::from_chars_result r = std::from_chars (begin, end, *value,
      std::chars_format::fixed);
  return r.ec == std::errc () && r.ptr == end && std::isfinite (*value);
}

}  // namespace

bool
parse_time (const std::string &text, double *seconds, std::string *why)
{
  const char *begin = text.data (), *end = begin + text.size ();
  *why = "'" + text + "' is not a time (1.5, 1.5s, 500ms, 2min, 1h, 1:30 or "
      "00:01:30.5)";
  if (!text.empty () && text[0] == '-') {
    *why = "'" + text + "': a time cannot be negative";
    return false;
  }
  if (text.find (':') != std::string::npos) {
    /* [H:]M:SS[.fff]: every field but the first below 60. */
    std::vector<std::string> fields;
    std::size_t from = 0;
    for (std::size_t colon; (colon = text.find (':', from)) !=
        std::string::npos; from = colon + 1)
      fields.push_back (text.substr (from, colon - from));
    fields.push_back (text.substr (from));
    if (fields.size () > 3)
      return false;
    double total = 0;
    for (std::size_t i = 0; i < fields.size (); i++) {
      const std::string &f = fields[i];
      const bool last = i + 1 == fields.size ();
      double value = 0;
      if (f.empty () || (!last && f.find ('.') != std::string::npos)
          || !decimal (f.data (), f.data () + f.size (), &value))
        return false;
      if (i > 0 && value >= 60) {
        *why = "'" + text + "': minutes and seconds must be below 60";
        return false;
      }
      total = total * 60 + value;
    }
    *seconds = total;
    return true;
  }
  static const struct { const char *suffix; double scale; } units[] = {
    {"ms", 1e-3}, {"min", 60}, {"s", 1}, {"m", 60}, {"h", 3600},
  };
  double scale = 1;
  for (const auto &unit : units) {
    const std::size_t n = std::strlen (unit.suffix);
    if (text.size () > n && text.compare (text.size () - n, n, unit.suffix)
        == 0) {
      end -= n;
      scale = unit.scale;
      break;
    }
  }
  double value = 0;
  if (!decimal (begin, end, &value))
    return false;
  *seconds = value * scale;
  return std::isfinite (*seconds);
}

}  // namespace stillframe::cli
