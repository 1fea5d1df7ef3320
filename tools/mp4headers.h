/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What stillframe reads and writes in MP4/MOV headers itself, where
 * GStreamer 1.22 does not:
 * - the rotation of a video track: mp4mux and qtmux drop the
 *   image-orientation tag, so `trim --copy` writes the input's rotation
 *   into the track header (tkhd) matrix, as cameras and phones do;
 * - a gap before every track: a file remuxed with its source's timestamps
 *   (ffmpeg -copyts of an MPEG-TS recording) starts its tracks 90000 s into
 *   the movie, and qtdemux then takes them for previews and plays nothing,
 *   where ffmpeg plays them; the file is read with that gap taken out.
 * - the movie's creation time: mp4mux and qtmux write the wall-clock time
 *   of the run into every header, so the same input never gave the same
 *   file twice; the output takes its input's time instead.
 * No GLib types, unit-tested in tests/unit/test_mp4headers.cpp. */
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace stillframe::cli {

/* The clockwise rotation a GStreamer image-orientation tag asks for (0, 90,
 * 180, 270), or -1 for one a track matrix is not written for here (the
 * flips). */
int rotation_of_orientation_tag (const std::string &tag);

/* Sets the matrix of the first video track's tkhd in `path` to a rotation
 * of `degrees` clockwise (90, 180 or 270; 0 restores the identity).
 * Returns an error message naming what is wrong, or "". */
std::string set_video_rotation (const std::string &path, int degrees);

/* Seconds from 1970 (UTC) to the creation time an MP4/MOV file's movie
 * header (mvhd) gives, or -1 when it has none (0 there means unknown). */
std::int64_t movie_creation_time (const std::string &path);

/* Sets the creation and modification times of the movie header and of
 * every track and media header (mvhd, tkhd, mdhd) in `path` to `unix_time`
 * (seconds from 1970, UTC). Returns an error message, or "". */
std::string set_creation_time (const std::string &path,
    std::int64_t unix_time);

/* Bytes to read in place of the file's own at `offset`. */
struct BytePatch {
  std::uint64_t offset;
  std::vector<unsigned char> bytes;
};

/* For an MP4/MOV file whose every track starts after an empty edit making
 * up most of the movie (more than 80 %: qtdemux skips tracks shorter than
 * a fifth of it), the patches that shorten each track's leading empty edit
 * and the movie's duration by the gap they share, keeping the tracks'
 * offsets to each other. Empty when the file needs none or is no MP4.
 * `gap_seconds` gets the gap taken out. */
std::vector<BytePatch> leading_gap_patches (const std::string &path,
    double *gap_seconds);

/* A file read with some bytes replaced (a demuxer reads it as it would the
 * file); the file itself is never written. One reader at a time. */
class PatchedFile {
public:
  /* Throws std::runtime_error saying why the file cannot be read. */
  PatchedFile (const std::string &path, std::vector<BytePatch> patches);
  ~PatchedFile ();
  PatchedFile (const PatchedFile &) = delete;
  PatchedFile &operator= (const PatchedFile &) = delete;

  std::uint64_t size () const { return size_; }
  /* Where the next read () starts. */
  std::uint64_t position () const { return position_; }
  void seek (std::uint64_t position) { position_ = position; }
  /* Reads `length` bytes from the position into `out`, patched, and moves
   * past them; false, with errno set and the position kept, when fewer
   * could be read. */
  bool read (unsigned char *out, std::uint64_t length);

private:
  int fd_ = -1;
  std::uint64_t size_ = 0, position_ = 0;
  std::vector<BytePatch> patches_;
};

}  // namespace stillframe::cli
