/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "filesafety.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace stillframe::cli {

namespace {

std::string
error_text (int error)
{
  return std::strerror (error);
}

std::string
folder_of (const std::string &path)
{
  const std::size_t slash = path.rfind ('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr (0, slash);
}

std::string
name_of (const std::string &path)
{
  const std::size_t slash = path.rfind ('/');
  return slash == std::string::npos ? path : path.substr (slash + 1);
}

/* NAME.EXT -> {NAME, .EXT}; the extension is empty when there is none. */
std::pair<std::string, std::string>
split_extension (const std::string &name)
{
  const std::size_t dot = name.rfind ('.');
  if (dot == std::string::npos || dot == 0)
    return {name, ""};
  return {name.substr (0, dot), name.substr (dot)};
}

std::string
real_path (const std::string &path)
{
  char *resolved = realpath (path.c_str (), nullptr);
  if (!resolved)
    return "";
  std::string result = resolved;
  std::free (resolved);
  return result;
}

/* An absolute path with symlinks resolved as far as the path exists, and
 * `.` and `..` resolved by name after that. */
std::string
canonical_path (const std::string &path)
{
  std::string absolute = path;
  if (absolute.empty () || absolute[0] != '/') {
    char cwd[PATH_MAX];
    absolute = std::string (getcwd (cwd, sizeof cwd) ? cwd : ".") + "/" +
        path;
  }
  std::vector<std::string> parts;
  for (std::size_t at = 0; at <= absolute.size ();) {
    std::size_t slash = absolute.find ('/', at);
    if (slash == std::string::npos)
      slash = absolute.size ();
    const std::string part = absolute.substr (at, slash - at);
    at = slash + 1;
    if (part.empty () || part == ".")
      continue;
    if (part == "..") {
      if (!parts.empty ())
        parts.pop_back ();
      continue;
    }
    parts.push_back (part);
  }
  /* The longest prefix that exists, resolved; then the rest as named. */
  std::string resolved = "/";
  std::size_t existing = 0;
  for (std::size_t n = parts.size (); n > 0; n--) {
    std::string prefix;
    for (std::size_t i = 0; i < n; i++)
      prefix += "/" + parts[i];
    const std::string real = real_path (prefix);
    if (!real.empty ()) {
      resolved = real;
      existing = n;
      break;
    }
  }
  for (std::size_t i = existing; i < parts.size (); i++)
    resolved += (resolved.back () == '/' ? "" : "/") + parts[i];
  return resolved;
}

/* The digits of a part number: four at least, all digits. */
unsigned
parse_part_number (const std::string &digits)
{
  if (digits.size () < 4 || digits.size () > 9
      || digits.find_first_not_of ("0123456789") != std::string::npos)
    return 0;
  return (unsigned) std::stoul (digits);
}

/* The number in a part's name NAME-NNNN.EXT, with NAME.EXT, the name of
 * the output it is a part of; 0 when the name is no part's. */
unsigned
split_part_name (const std::string &name, std::string *output_name)
{
  const auto [stem, extension] = split_extension (name);
  const std::size_t dash = stem.rfind ('-');
  if (dash == std::string::npos || dash == 0)
    return 0;
  *output_name = stem.substr (0, dash) + extension;
  return parse_part_number (stem.substr (dash + 1));
}

void
sync_folder (const std::string &folder)
{
  const int fd = open (folder.c_str (), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    fsync (fd);
    close (fd);
  }
}

/* Gives `from` the name `to` unless `to` exists; atomic where the
 * filesystem allows (renameat2, else a hard link). */
int
rename_without_replacing (const std::string &from, const std::string &to)
{
  if (renameat2 (AT_FDCWD, from.c_str (), AT_FDCWD, to.c_str (),
          RENAME_NOREPLACE) == 0)
    return 0;
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
    return errno;
  if (link (from.c_str (), to.c_str ()) == 0) {
    unlink (from.c_str ());
    return 0;
  }
  if (errno == EEXIST)
    return errno;
  /* No hard links either (FAT): the best left is to look first. */
  if (name_taken (to))
    return EEXIST;
  return rename (from.c_str (), to.c_str ()) == 0 ? 0 : errno;
}

}  // namespace

bool
FileKey::operator== (const FileKey &other) const
{
  return text () == other.text ();
}

std::string
FileKey::text () const
{
  return exists ? "inode " + std::to_string (device) + ":" +
      std::to_string (inode) : "path " + canonical;
}

FileKey
file_key_of_fd (int fd)
{
  FileKey key;
  struct stat st;
  if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode)) {
    key.exists = true;
    key.device = st.st_dev;
    key.inode = st.st_ino;
  }
  return key;
}

FileKey
file_key (const std::string &path)
{
  FileKey key;
  struct stat st;
  if (stat (path.c_str (), &st) == 0) {
    key.exists = true;
    key.device = st.st_dev;
    key.inode = st.st_ino;
  }
  key.canonical = canonical_path (path);
  return key;
}

bool
name_taken (const std::string &path)
{
  struct stat st;
  return lstat (path.c_str (), &st) == 0;
}

std::uint64_t
file_size (const std::string &path)
{
  struct stat st;
  return stat (path.c_str (), &st) == 0 ? (std::uint64_t) st.st_size : 0;
}

std::string
part_path (const std::string &output, unsigned index)
{
  const std::size_t slash = output.rfind ('/');
  const std::string folder = slash == std::string::npos ? "" :
      output.substr (0, slash + 1);
  const auto [stem, extension] = split_extension (name_of (output));
  std::string number = std::to_string (index);
  if (number.size () < 4)
    number.insert (0, 4 - number.size (), '0');
  return folder + stem + "-" + number + extension;
}

std::string
parts_family (const std::string &output)
{
  return canonical_path (folder_of (output)) + "/" + name_of (output);
}

std::string
part_family (const std::string &path)
{
  std::string output_name;
  if (split_part_name (name_of (path), &output_name) == 0)
    return "";
  return canonical_path (folder_of (path)) + "/" + output_name;
}

unsigned
part_index (const std::string &output, const std::string &path)
{
  std::string output_name;
  const unsigned number = split_part_name (name_of (path), &output_name);
  if (number == 0 || part_family (path) != parts_family (output))
    return 0;
  return number;
}

std::vector<std::string>
existing_parts (const std::string &output)
{
  const std::string folder = folder_of (output);
  std::vector<std::pair<unsigned, std::string>> found;
  if (DIR *dir = opendir (folder.c_str ())) {
    while (const dirent *entry = readdir (dir)) {
      std::string output_name;
      const unsigned number = split_part_name (entry->d_name, &output_name);
      if (number > 0 && output_name == name_of (output))
        found.push_back ({number, (output.find ('/') == std::string::npos ?
                    "" : folder + "/") + entry->d_name});
    }
    closedir (dir);
  }
  std::sort (found.begin (), found.end ());
  std::vector<std::string> parts;
  for (auto &[number, path] : found)
    parts.push_back (path);
  return parts;
}

PendingFile::PendingFile (const std::string &target) : target_ (target)
{
  const std::string folder = folder_of (target);
  /* Short enough for any filesystem's name limit. */
  std::string hidden = folder + "/." + name_of (target).substr (0, 200) +
      ".stillframe-XXXXXX";
  const int fd = mkstemp (hidden.data ());
  if (fd < 0)
    throw std::runtime_error ("cannot write in " + folder + ": " +
        error_text (errno));
  /* As any new file would be, not mkstemp's owner-only mode. */
  const mode_t mask = umask (0);
  umask (mask);
  fchmod (fd, 0666 & ~mask);
  /* No lock where the filesystem has none: the file is then never taken
   * for a stopped run's. */
  if (flock (fd, LOCK_EX | LOCK_NB) == 0)
    lock_fd_ = fd;
  else
    close (fd);
  path_ = hidden;
}

PendingFile::~PendingFile ()
{
  discard ();
}

PendingFile::PendingFile (PendingFile &&other) noexcept
  : target_ (std::move (other.target_)), path_ (std::move (other.path_)),
    lock_fd_ (other.lock_fd_)
{
  other.path_.clear ();
  other.lock_fd_ = -1;
}

PendingFile &
PendingFile::operator= (PendingFile &&other) noexcept
{
  if (this != &other) {
    discard ();
    target_ = std::move (other.target_);
    path_ = std::move (other.path_);
    lock_fd_ = other.lock_fd_;
    other.path_.clear ();
    other.lock_fd_ = -1;
  }
  return *this;
}

void
PendingFile::unlock ()
{
  if (lock_fd_ >= 0)
    close (lock_fd_);
  lock_fd_ = -1;
}

std::vector<std::string>
remove_orphans (const std::string &target, bool parts)
{
  const std::string folder = folder_of (target);
  const std::string suffix = ".stillframe-";
  constexpr std::size_t kRandom = 6;            /* mkstemp's XXXXXX */
  std::vector<std::string> removed;
  DIR *dir = opendir (folder.c_str ());
  while (const struct dirent *entry = dir ? readdir (dir) : nullptr) {
    const std::string name = entry->d_name;
    const std::size_t at = name.size () > suffix.size () + kRandom + 1 ?
        name.size () - kRandom - suffix.size () : std::string::npos;
    if (at == std::string::npos || name[0] != '.'
        || name.compare (at, suffix.size (), suffix) != 0)
      continue;
    const std::string written = name.substr (1, at - 1);
    const bool ours = parts ? part_index (target, folder + "/" + written) >
        0 : written == name_of (target).substr (0, 200);
    if (!ours)
      continue;
    const std::string path = (target.find ('/') == std::string::npos ? "" :
        folder + "/") + name;
    const int fd = open (path.c_str (), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
      continue;
    /* A lock taken means nobody writes it any more: its names are never
     * used again (mkstemp). */
    if (flock (fd, LOCK_EX | LOCK_NB) == 0 && unlink (path.c_str ()) == 0)
      removed.push_back (path);
    close (fd);
  }
  if (dir)
    closedir (dir);
  std::sort (removed.begin (), removed.end ());
  return removed;
}

std::string
PendingFile::append (const std::string &data)
{
  const int fd = open (path_.c_str (), O_WRONLY | O_APPEND);
  if (fd < 0)
    return "cannot write " + target_ + ": " + error_text (errno);
  std::size_t written = 0;
  while (written < data.size ()) {
    const ssize_t n = write (fd, data.data () + written,
        data.size () - written);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      const int error = n < 0 ? errno : ENOSPC;
      close (fd);
      return "cannot write " + target_ + ": " + error_text (error);
    }
    written += (std::size_t) n;
  }
  if (close (fd) != 0)
    return "cannot write " + target_ + ": " + error_text (errno);
  return "";
}

std::string
PendingFile::commit (bool replace)
{
  const int fd = open (path_.c_str (), O_RDONLY);
  if (fd < 0 || fsync (fd) != 0) {
    const std::string message = "cannot write " + target_ + ": " +
        error_text (errno);
    if (fd >= 0)
      close (fd);
    return message;
  }
  close (fd);
  const int error = replace ? (rename (path_.c_str (), target_.c_str ()) == 0
      ? 0 : errno) : rename_without_replacing (path_, target_);
  if (error == EEXIST)
    return "cannot write " + target_ + ": it exists now (written meanwhile "
        "by another program?); use --force to replace it";
  if (error != 0)
    return "cannot write " + target_ + ": " + error_text (error);
  path_.clear ();
  unlock ();
  sync_folder (folder_of (target_));
  return "";
}

void
PendingFile::discard ()
{
  if (!path_.empty ())
    unlink (path_.c_str ());
  path_.clear ();
  unlock ();
}

std::string
read_whole_file (const std::string &path, std::string *text,
    std::uint64_t limit)
{
  const int fd = path == "-" ? STDIN_FILENO : open (path.c_str (),
      O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return error_text (errno);
  text->clear ();
  std::string problem;
  char buffer[65536];
  for (;;) {
    const ssize_t n = read (fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      problem = error_text (errno);
      break;
    }
    if (n == 0)
      break;
    if (text->size () + (std::uint64_t) n > limit) {
      problem = "too large";
      break;
    }
    text->append (buffer, (std::size_t) n);
  }
  if (fd != STDIN_FILENO)
    close (fd);
  return problem;
}

std::string
write_whole_file (const std::string &target, const std::string &contents,
    bool replace)
{
  try {
    PendingFile file (target);
    std::string error = file.append (contents);
    return error.empty () ? file.commit (replace) : error;
  } catch (const std::runtime_error &e) {
    return e.what ();
  }
}

}  // namespace stillframe::cli
