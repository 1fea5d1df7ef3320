/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What keeps stillframe from harming the user's files: which file a path
 * really is, the names --split gives its parts, and files that are written
 * under a hidden name and get their own name only once complete, without
 * replacing anything unless asked to.
 * No GLib types, unit-tested in tests/unit/test_filesafety.cpp. */
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace stillframe::cli {

/* Which file a path names, after symlinks, `..` and `.`: the device and
 * inode of an existing file (so hard links are the same file too), or, for
 * a file yet to be written, the canonical path it will have. */
struct FileKey {
  bool exists = false;
  dev_t device = 0;
  ino_t inode = 0;
  std::string canonical;

  bool operator== (const FileKey &other) const;
  /* Equal for two keys exactly when they are: for maps. */
  std::string text () const;
};

FileKey file_key (const std::string &path);
/* The file an open descriptor reads (standard input redirected from a
 * file); not `exists` for a pipe or terminal. */
FileKey file_key_of_fd (int fd);

/* Whether anything (a dangling symlink included) has this name. */
bool name_taken (const std::string &path);

/* The size of the file at `path`, or 0 when there is none. */
std::uint64_t file_size (const std::string &path);

/* The files --split writes for `output` = DIR/NAME.EXT: DIR/NAME-0001.EXT,
 * DIR/NAME-0002.EXT, ... (more digits past 9999). Names are used as they
 * are: nothing in them is a format. */
std::string part_path (const std::string &output, unsigned index);

/* The index of `path` among the parts of `output`, or 0 if it is not one
 * of them; compared by folder identity and name. */
unsigned part_index (const std::string &output, const std::string &path);

/* What the parts of `output` share: its folder, canonical, and its name.
 * part_family () of a path named like one of them (NAME-0001.EXT) gives
 * the same string, of any other path "": a map of families finds the
 * output a path would clash with in one lookup. */
std::string parts_family (const std::string &output);
std::string part_family (const std::string &path);

/* The parts of `output` that exist now, by index. */
std::vector<std::string> existing_parts (const std::string &output);

/* A new hidden, empty file beside `target`, on the same filesystem so that
 * the final rename is atomic. Until commit() the target is untouched; the
 * destructor removes the hidden file unless it was committed. While it is
 * being written it holds a lock on it (flock, where the filesystem has
 * them), which a process that is killed lets go of: what is left unlocked
 * is a stopped run's (remove_orphans). */
class PendingFile {
public:
  /* Throws std::runtime_error naming the folder when it cannot be made. */
  explicit PendingFile (const std::string &target);
  ~PendingFile ();
  PendingFile (PendingFile &&other) noexcept;
  PendingFile &operator= (PendingFile &&other) noexcept;
  PendingFile (const PendingFile &) = delete;
  PendingFile &operator= (const PendingFile &) = delete;

  const std::string &path () const { return path_; }
  const std::string &target () const { return target_; }

  /* Adds to the hidden file; returns an error message, or "". */
  std::string append (const std::string &data);

  /* Flushes the file to disk and gives it the target's name. Without
   * `replace`, a target that exists (even one that appeared while this
   * file was written, by another process) is left alone and this fails.
   * Returns an error message naming the target, or "". */
  std::string commit (bool replace);

  /* Gives it another target in the same folder (the first was taken). */
  void retarget (const std::string &target) { target_ = target; }

  /* Removes the hidden file (nothing else). */
  void discard ();

  /* Lets go of the lock: the file is written (a --split part waiting for
   * the others), and keeping its descriptor open would cost one each. */
  void unlock ();

private:
  std::string target_, path_;
  int lock_fd_ = -1;
};

/* Removes the hidden files that a run killed before it finished left
 * beside `target` (or, with `parts`, beside any --split part of it): those
 * no process holds a lock on. Returns their names. */
std::vector<std::string> remove_orphans (const std::string &target,
    bool parts = false);

/* Reads the file at `path` ("-": standard input) whole into `text`, up to
 * `limit` bytes; returns an error message ("too large" past the limit), or
 * "". */
std::string read_whole_file (const std::string &path, std::string *text,
    std::uint64_t limit = UINT64_MAX);

/* Writes `contents` as `target`, whole or not at all (see PendingFile).
 * Returns an error message naming the target, or "". */
std::string write_whole_file (const std::string &target,
    const std::string &contents, bool replace);

}  // namespace stillframe::cli
