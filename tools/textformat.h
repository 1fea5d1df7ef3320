/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Text that stillframe writes for other programs (JSON, CSV) and people
 * (clock times): locale-independent, and valid whatever a file name holds.
 * No GLib types, unit-tested in tests/unit/test_textformat.cpp. */
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace stillframe::cli {

/* `text` with every byte sequence that is not UTF-8 replaced by U+FFFD:
 * JSON must be UTF-8, and file names need not be. */
std::string valid_utf8 (const std::string &text);

/* A JSON string literal, quotes included, of valid_utf8 (text). */
std::string json_string (const std::string &text);

/* A CSV field (RFC 4180): quoted, with quotes doubled, when it holds a
 * comma, a quote or a line break; valid_utf8 as for JSON. */
std::string csv_field (const std::string &text);

/* Text inside XML or HTML (elements or quoted attributes): & < > " '
 * escaped, the control characters XML 1.0 forbids left out, valid_utf8 as
 * for JSON. */
std::string markup_text (const std::string &text);

/* Seconds with six decimals and a '.' whatever the locale: "12.500000". */
std::string fixed_seconds (double seconds);

/* The lines of a list of paths (--from-list, --expect): one a line, a
 * trailing CR dropped (lists made on Windows), empty lines left out. */
std::vector<std::string> list_lines (const std::string &text);

/* A size in bytes as people read it: "812 B", "3.4 MiB", "1.2 TiB". */
std::string size_text (std::uint64_t bytes);

/* H:MM:SS.mmm, as in "kept 0:01:02.500 of 1:00:00.000". */
std::string clock_string (double seconds);

/* A time as people and the peers' command lines write it, in seconds:
 * "1.5", "1.5s", "500ms", "2min", "1h", "1:30" (M:SS), "00:01:30.5"
 * (H:MM:SS). Whatever the locale: '.' is the decimal point. Returns false,
 * with `why` set, for anything else (negative, not finite, 1:75). */
bool parse_time (const std::string &text, double *seconds, std::string *why);

}  // namespace stillframe::cli
