/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "recordfiles.h"

#include "filesafety.h"
#include "textformat.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

namespace stillframe::cli {

namespace {

std::string
extension_of (const std::string &name)
{
  const std::size_t slash = name.rfind ('/');
  const std::size_t dot = name.rfind ('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash))
    return "";
  std::string ext = name.substr (dot);
  for (char &c : ext)
    c = (char) std::tolower ((unsigned char) c);
  return ext;
}

/* The index is shared by every recorder writing to the folder: each
 * change holds an exclusive lock on it. */
class LockedFile {
public:
  LockedFile (const std::string &path, int flags)
  {
    fd_ = ::open (path.c_str (), flags | O_CLOEXEC, 0666);
    if (fd_ >= 0 && flock (fd_, LOCK_EX) != 0) {
      ::close (fd_);
      fd_ = -1;
    }
  }
  ~LockedFile ()
  {
    if (fd_ >= 0)
      ::close (fd_);
  }
  int fd () const { return fd_; }

private:
  int fd_ = -1;
};

std::vector<IndexedFile>
parse_index (const std::string &text)
{
  std::vector<IndexedFile> files;
  std::istringstream in (text);
  std::string line;
  while (std::getline (in, line)) {
    IndexedFile f;
    char *end = nullptr;
    f.written = std::strtoll (line.c_str (), &end, 10);
    if (*end != ' ')
      continue;
    f.bytes = std::strtoull (end + 1, &end, 10);
    if (*end != ' ' || !end[1])
      continue;
    f.name = end + 1;
    files.push_back (f);
  }
  return files;
}

std::string
index_line (const IndexedFile &f)
{
  return std::to_string (f.written) + " " + std::to_string (f.bytes) + " " +
      f.name + "\n";
}

std::string
read_all (int fd)
{
  std::string text;
  char buffer[65536];
  lseek (fd, 0, SEEK_SET);
  for (;;) {
    const ssize_t n = ::read (fd, buffer, sizeof buffer);
    if (n <= 0)
      break;
    text.append (buffer, (std::size_t) n);
  }
  return text;
}

}  // namespace

std::string
name_template_problem (const std::string &t)
{
  if (t.empty ())
    return "it is empty";
  if (t[0] == '/')
    return "it must be a name inside the folder, not an absolute path";
  for (unsigned char c : t)
    if (c < 0x20 || c == 0x7f)
      return "it holds a control character";
  std::istringstream parts (t);
  std::string part;
  while (std::getline (parts, part, '/'))
    if (part.empty () || part == "." || part == "..")
      return "'" + part + "' cannot be part of it: names stay inside the "
          "folder";
  if (t.back () == '/')
    return "it must end with a file name";
  return "";
}

std::string
event_file_name (const std::string &name_template, std::int64_t wall_ns)
{
  const std::time_t seconds = (std::time_t) (wall_ns / 1000000000);
  const int millis = (int) ((wall_ns / 1000000) % 1000);
  std::tm local {};
  localtime_r (&seconds, &local);
  /* %f first: strftime does not know it. */
  std::string pattern;
  for (std::size_t i = 0; i < name_template.size (); i++) {
    if (name_template[i] == '%' && i + 1 < name_template.size ()) {
      if (name_template[i + 1] == 'f') {
        char ms[8];
        std::snprintf (ms, sizeof ms, "%03d", millis);
        pattern += ms;
      } else {
        pattern += name_template.substr (i, 2);
      }
      i++;
      continue;
    }
    pattern += name_template[i];
  }
  std::vector<char> out (pattern.size () * 4 + 256);
  const std::size_t n = std::strftime (out.data (), out.size (),
      pattern.c_str (), &local);
  std::string name (out.data (), n);
  /* %n and %t would put control characters in the name. */
  for (char &c : name)
    if ((unsigned char) c < 0x20)
      c = '_';
  return name;
}

std::string
unused_name (const std::string &folder, const std::string &name,
    const std::function<bool (const std::string &)> &reserved)
{
  const std::string ext = extension_of (name);
  const std::string stem = name.substr (0, name.size () - ext.size ());
  std::string candidate = name;
  for (unsigned n = 2;; n++) {
    if (!name_taken (folder + "/" + candidate) && !reserved (candidate))
      return candidate;
    candidate = stem + "-" + std::to_string (n) + ext;
  }
}

RecordingIndex::RecordingIndex (const std::string &folder)
    : folder_ (folder), path_ (folder + "/.stillframe.index")
{
}

std::string
RecordingIndex::add (const IndexedFile &file)
{
  LockedFile index (path_, O_WRONLY | O_CREAT | O_APPEND);
  if (index.fd () < 0)
    return "cannot write " + path_ + ": " + std::strerror (errno);
  const std::string line = index_line (file);
  if (::write (index.fd (), line.data (), line.size ()) != (ssize_t)
      line.size ())
    return "cannot write " + path_ + ": " + std::strerror (errno);
  return "";
}

std::vector<IndexedFile>
RecordingIndex::read () const
{
  LockedFile index (path_, O_RDONLY);
  return index.fd () < 0 ? std::vector<IndexedFile> () :
      parse_index (read_all (index.fd ()));
}

std::vector<std::string>
RecordingIndex::apply (const Retention &rule, std::int64_t now,
    std::string *error)
{
  std::vector<std::string> deleted;
  LockedFile index (path_, O_RDWR);
  if (index.fd () < 0)
    return deleted;             /* nothing recorded yet */
  std::vector<IndexedFile> files = parse_index (read_all (index.fd ()));
  /* Only the files as written: one that is gone or changed is not ours
   * to delete any more. */
  std::vector<IndexedFile> ours;
  for (const IndexedFile &f : files) {
    struct stat st;
    if (lstat ((folder_ + "/" + f.name).c_str (), &st) == 0 &&
        S_ISREG (st.st_mode) && (std::uint64_t) st.st_size == f.bytes)
      ours.push_back (f);
  }
  std::stable_sort (ours.begin (), ours.end (), [] (const IndexedFile &a,
          const IndexedFile &b) { return a.written < b.written; });
  std::uint64_t total = 0;
  for (const IndexedFile &f : ours)
    total += f.bytes;
  std::vector<IndexedFile> kept;
  for (const IndexedFile &f : ours) {
    const bool too_old = rule.keep_days > 0 &&
        f.written < now - (std::int64_t) rule.keep_days * 86400;
    const bool too_much = rule.max_bytes > 0 && total > rule.max_bytes;
    if (!too_old && !too_much) {
      kept.push_back (f);
      continue;
    }
    const std::string path = folder_ + "/" + f.name;
    if (unlink (path.c_str ()) != 0) {
      if (error)
        *error = "cannot delete " + path + ": " + std::strerror (errno);
      kept.push_back (f);
      continue;
    }
    total -= f.bytes;
    deleted.push_back (f.name);
    /* Folders the names made, once empty (rmdir leaves any other). */
    for (std::string dir = f.name; ;) {
      const std::size_t slash = dir.rfind ('/');
      if (slash == std::string::npos)
        break;
      dir.resize (slash);
      if (rmdir ((folder_ + "/" + dir).c_str ()) != 0)
        break;
    }
  }
  std::string text;
  for (const IndexedFile &f : kept)
    text += index_line (f);
  /* Rewritten in place under the lock, which a rename would lose. */
  if (ftruncate (index.fd (), 0) != 0 || pwrite (index.fd (), text.data (),
          text.size (), 0) != (ssize_t) text.size ()) {
    if (error)
      *error = "cannot write " + path_ + ": " + std::strerror (errno);
  }
  return deleted;
}

std::string
iso8601 (std::int64_t wall_ns)
{
  const std::time_t seconds = (std::time_t) (wall_ns / 1000000000);
  std::tm local {};
  localtime_r (&seconds, &local);
  char date[32], zone[8];
  std::strftime (date, sizeof date, "%Y-%m-%dT%H:%M:%S", &local);
  std::strftime (zone, sizeof zone, "%z", &local);
  char text[64];
  std::snprintf (text, sizeof text, "%s.%03d%.3s:%s", date,
      (int) ((wall_ns / 1000000) % 1000), zone, zone + 3);
  return text;
}

std::string
event_json_line (const EventSummary &e,
    const std::function<std::int64_t (Time)> &wall_ns,
    const std::vector<std::string> &files)
{
  auto seconds = [] (Time t) { return fixed_seconds ((double) t / kSecond); };
  /* An event whose motion the stream's end cut off before it was timed
   * still has its recorded span. */
  const Time start = is_time (e.start) ? e.start : e.recorded_start;
  const Time end = is_time (e.end) ? e.end : e.recorded_end;
  std::string line = "{\"start\":" + json_string (iso8601 (wall_ns (start))) +
      ",\"end\":" + json_string (iso8601 (wall_ns (end))) +
      ",\"stream_start\":" + seconds (start) + ",\"stream_end\":" +
      seconds (end) + ",\"duration\":" + seconds (end - start) +
      ",\"peak_score\":" + fixed_seconds (e.peak_score) +
      ",\"box\":{\"x\":" + std::to_string (e.box.x) + ",\"y\":" +
      std::to_string (e.box.y) + ",\"width\":" + std::to_string (e.box.width)
      + ",\"height\":" + std::to_string (e.box.height) + "}";
  line += ",\"file\":" + (files.empty () ? std::string ("null") :
      json_string (files.front ())) + ",\"files\":[";
  for (std::size_t i = 0; i < files.size (); i++)
    line += (i ? "," : "") + json_string (files[i]);
  line += "]";
  if (is_time (e.recorded_start))
    line += ",\"recorded_start\":" + json_string (iso8601 (wall_ns
            (e.recorded_start))) + ",\"recorded_end\":" +
        json_string (iso8601 (wall_ns (e.recorded_end)));
  line += std::string (",\"cut_short\":") + (e.cut_short ? "true" : "false")
      + "}\n";
  return line;
}

std::uint64_t
EventLines::begin ()
{
  waiting_.push_back (Waiting {next_, {}, false});
  return next_++;
}

void
EventLines::ready (std::uint64_t number, std::string line)
{
  for (Waiting &w : waiting_)
    if (w.number == number) {
      w.line = std::move (line);
      w.ready = true;
    }
}

std::vector<std::string>
EventLines::take (bool at_end)
{
  std::vector<std::string> out;
  while (!waiting_.empty () && waiting_.front ().ready) {
    out.push_back (std::move (waiting_.front ().line));
    waiting_.pop_front ();
  }
  if (at_end) {
    for (Waiting &w : waiting_)
      if (w.ready)
        out.push_back (std::move (w.line));
    waiting_.clear ();
  }
  return out;
}

std::uint64_t
parse_size (const std::string &text, std::string *error)
{
  char *end = nullptr;
  errno = 0;
  const double value = std::strtod (text.c_str (), &end);
  std::string unit = end ? end : "";
  for (char &c : unit)
    c = (char) std::toupper ((unsigned char) c);
  if (!unit.empty () && unit.back () == 'B')
    unit.pop_back ();
  if (!unit.empty () && unit.back () == 'I')      /* GiB, MiB */
    unit.pop_back ();
  double scale = 1;
  if (unit == "K")
    scale = 1024.0;
  else if (unit == "M")
    scale = 1024.0 * 1024;
  else if (unit == "G")
    scale = 1024.0 * 1024 * 1024;
  else if (unit == "T")
    scale = 1024.0 * 1024 * 1024 * 1024;
  else if (!unit.empty ())
    scale = -1;
  const double bytes = value * scale;
  if (text.empty () || end == text.c_str () || errno == ERANGE || scale < 0 ||
      !std::isfinite (bytes) || bytes < 1 || bytes > 1e18) {
    *error = "'" + text + "' is not a size (such as 500M or 10G)";
    return 0;
  }
  return (std::uint64_t) bytes;
}

}  // namespace stillframe::cli
