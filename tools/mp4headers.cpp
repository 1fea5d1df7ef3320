/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "mp4headers.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

namespace stillframe::cli {

namespace {

using File = std::unique_ptr<FILE, int (*) (FILE *)>;

struct Box {
  char type[5] = {};
  std::uint64_t start = 0, body = 0, end = 0;     /* file offsets */
};

std::uint64_t
read_be (FILE *f, int bytes, bool *ok)
{
  unsigned char b[8];
  if (std::fread (b, 1, bytes, f) != (std::size_t) bytes) {
    *ok = false;
    return 0;
  }
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; i++)
    v = v << 8 | b[i];
  return v;
}

/* The boxes directly inside [from, to). */
std::vector<Box>
children (FILE *f, std::uint64_t from, std::uint64_t to)
{
  std::vector<Box> boxes;
  for (std::uint64_t at = from; at + 8 <= to;) {
    bool ok = true;
    if (fseeko (f, (off_t) at, SEEK_SET) != 0)
      break;
    std::uint64_t size = read_be (f, 4, &ok);
    Box box;
    if (!ok || std::fread (box.type, 1, 4, f) != 4)
      break;
    box.start = at;
    box.body = at + 8;
    if (size == 1) {
      size = read_be (f, 8, &ok);
      box.body = at + 16;
    } else if (size == 0) {
      size = to - at;
    }
    if (!ok || size < box.body - at || at + size > to)
      break;
    box.end = at + size;
    boxes.push_back (box);
    at = box.end;
  }
  return boxes;
}

/* A copy: callers often search a list they do not keep. */
std::optional<Box>
find (const std::vector<Box> &boxes, const char *type)
{
  for (const Box &b : boxes)
    if (std::memcmp (b.type, type, 4) == 0)
      return b;
  return std::nullopt;
}

void
put_be (std::vector<unsigned char> &out, std::uint64_t value, int bytes)
{
  for (int i = bytes - 1; i >= 0; i--)
    out.push_back ((unsigned char) (value >> (8 * i)));
}

/* The track's handler type, from mdia/hdlr. */
bool
is_video_track (FILE *f, const Box &trak)
{
  const std::vector<Box> inside = children (f, trak.body, trak.end);
  const auto mdia = find (inside, "mdia");
  if (!mdia)
    return false;
  const auto hdlr = find (children (f, mdia->body, mdia->end), "hdlr");
  char handler[4];
  /* version/flags (4), pre_defined (4), handler_type (4). */
  return hdlr && fseeko (f, (off_t) hdlr->body + 8, SEEK_SET) == 0
      && std::fread (handler, 1, 4, f) == 4
      && std::memcmp (handler, "vide", 4) == 0;
}

}  // namespace

int
rotation_of_orientation_tag (const std::string &tag)
{
  if (tag == "rotate-0")
    return 0;
  if (tag == "rotate-90")
    return 90;
  if (tag == "rotate-180")
    return 180;
  if (tag == "rotate-270")
    return 270;
  return -1;
}

std::string
set_video_rotation (const std::string &path, int degrees)
{
  /* 16.16 fixed point a, b, c, d (u, v, w stay 0, 0, 1.0 in 2.30); the
   * values qtdemux and ffmpeg read back as that rotation. */
  std::int32_t a, b, c, d;
  const std::int32_t one = 1 << 16;
  switch (degrees) {
    case 0: a = one, b = 0, c = 0, d = one; break;
    case 90: a = 0, b = one, c = -one, d = 0; break;
    case 180: a = -one, b = 0, c = 0, d = -one; break;
    case 270: a = 0, b = -one, c = one, d = 0; break;
    default:
      return "cannot write a rotation of " + std::to_string (degrees) +
          " degrees";
  }
  File f (std::fopen (path.c_str (), "r+b"), std::fclose);
  if (!f)
    return "cannot open " + path + " to write its rotation";
  if (fseeko (f.get (), 0, SEEK_END) != 0)
    return "cannot read " + path;
  const std::uint64_t size = (std::uint64_t) ftello (f.get ());
  const auto moov = find (children (f.get (), 0, size), "moov");
  if (!moov)
    return path + " has no movie header (moov) to write the rotation in";
  for (const Box &trak : children (f.get (), moov->body, moov->end)) {
    if (std::memcmp (trak.type, "trak", 4) != 0
        || !is_video_track (f.get (), trak))
      continue;
    const auto tkhd = find (children (f.get (), trak.body, trak.end), "tkhd");
    if (!tkhd)
      break;
    bool ok = true;
    fseeko (f.get (), (off_t) tkhd->body, SEEK_SET);
    const int version = (int) read_be (f.get (), 1, &ok);
    /* After version/flags: times, track id, reserved, duration (20 bytes,
     * 32 in version 1), then reserved, layer, group, volume (16). */
    const std::uint64_t matrix = tkhd->body + 4 + (version == 1 ? 32 : 20) +
        16;
    if (!ok || matrix + 36 > tkhd->end)
      return path + ": the video track header is too short";
    const std::int32_t values[9] = {a, b, 0, c, d, 0, 0, 0, 1 << 30};
    unsigned char bytes[36];
    for (int i = 0; i < 9; i++)
      for (int k = 0; k < 4; k++)
        bytes[i * 4 + k] = (unsigned char) ((std::uint32_t) values[i] >>
            (24 - 8 * k));
    if (fseeko (f.get (), (off_t) matrix, SEEK_SET) != 0
        || std::fwrite (bytes, 1, sizeof bytes, f.get ()) != sizeof bytes
        || std::fflush (f.get ()) != 0)
      return "cannot write the rotation into " + path;
    return "";
  }
  return path + " has no video track to write the rotation in";
}

namespace {

/* Seconds from 1904, where MP4 times count from, to 1970. */
constexpr std::int64_t kMp4Epoch = 2082844800;

/* The headers whose body starts with version/flags and then the creation
 * and modification times: 32 bits each, 64 in version 1. */
void
find_timed_headers (FILE *f, std::uint64_t from, std::uint64_t to,
    std::vector<Box> &found)
{
  for (const Box &box : children (f, from, to)) {
    if (std::memcmp (box.type, "mvhd", 4) == 0
        || std::memcmp (box.type, "tkhd", 4) == 0
        || std::memcmp (box.type, "mdhd", 4) == 0)
      found.push_back (box);
    else if (std::memcmp (box.type, "trak", 4) == 0
        || std::memcmp (box.type, "mdia", 4) == 0)
      find_timed_headers (f, box.body, box.end, found);
  }
}

}  // namespace

std::int64_t
movie_creation_time (const std::string &path)
{
  File f (std::fopen (path.c_str (), "rb"), std::fclose);
  if (!f || fseeko (f.get (), 0, SEEK_END) != 0)
    return -1;
  const std::uint64_t size = (std::uint64_t) ftello (f.get ());
  const auto moov = find (children (f.get (), 0, size), "moov");
  const auto mvhd = moov ? find (children (f.get (), moov->body, moov->end),
      "mvhd") : std::nullopt;
  if (!mvhd)
    return -1;
  bool ok = true;
  fseeko (f.get (), (off_t) mvhd->body, SEEK_SET);
  const int version = (int) read_be (f.get (), 1, &ok);
  fseeko (f.get (), (off_t) mvhd->body + 4, SEEK_SET);
  const std::uint64_t created = read_be (f.get (), version == 1 ? 8 : 4, &ok);
  if (!ok || created == 0 || created > (std::uint64_t) INT64_MAX
      || mvhd->body + 4 + (version == 1 ? 8 : 4) > mvhd->end)
    return -1;
  return (std::int64_t) created - kMp4Epoch;
}

std::string
set_creation_time (const std::string &path, std::int64_t unix_time)
{
  const std::int64_t mp4_time = unix_time + kMp4Epoch;
  if (mp4_time < 0)
    return "a creation time before 1904 cannot be written";
  File f (std::fopen (path.c_str (), "r+b"), std::fclose);
  if (!f || fseeko (f.get (), 0, SEEK_END) != 0)
    return "cannot open " + path + " to write its creation time";
  const std::uint64_t size = (std::uint64_t) ftello (f.get ());
  const auto moov = find (children (f.get (), 0, size), "moov");
  if (!moov)
    return path + " has no movie header (moov) to write the creation time "
        "in";
  std::vector<Box> headers;
  find_timed_headers (f.get (), moov->body, moov->end, headers);
  for (const Box &box : headers) {
    bool ok = true;
    fseeko (f.get (), (off_t) box.body, SEEK_SET);
    const int version = (int) read_be (f.get (), 1, &ok);
    const int bytes = version == 1 ? 8 : 4;
    if (!ok || box.body + 4 + 2 * bytes > box.end)
      return path + ": a " + box.type + " header is too short";
    if (bytes == 4 && mp4_time > (std::int64_t) UINT32_MAX)
      return "a creation time after 2040 needs a version 1 header";
    std::vector<unsigned char> times;
    put_be (times, (std::uint64_t) mp4_time, bytes);
    put_be (times, (std::uint64_t) mp4_time, bytes);
    if (fseeko (f.get (), (off_t) box.body + 4, SEEK_SET) != 0
        || std::fwrite (times.data (), 1, times.size (), f.get ()) !=
        times.size ())
      return "cannot write the creation time into " + path;
  }
  if (std::fflush (f.get ()) != 0)
    return "cannot write the creation time into " + path;
  return "";
}

std::vector<BytePatch>
leading_gap_patches (const std::string &path, double *gap_seconds)
{
  *gap_seconds = 0;
  File f (std::fopen (path.c_str (), "rb"), std::fclose);
  if (!f || fseeko (f.get (), 0, SEEK_END) != 0)
    return {};
  const std::uint64_t size = (std::uint64_t) ftello (f.get ());
  const std::vector<Box> top = children (f.get (), 0, size);
  const auto moov = find (top, "moov");
  if (!moov)
    return {};
  const std::vector<Box> movie = children (f.get (), moov->body, moov->end);
  const auto mvhd = find (movie, "mvhd");
  if (!mvhd)
    return {};
  bool ok = true;
  fseeko (f.get (), (off_t) mvhd->body, SEEK_SET);
  const int mvhd_version = (int) read_be (f.get (), 1, &ok);
  /* flags, creation and modification times, then timescale, duration. */
  fseeko (f.get (), (off_t) mvhd->body + 4 + (mvhd_version == 1 ? 16 : 8),
      SEEK_SET);
  const std::uint64_t timescale = read_be (f.get (), 4, &ok);
  const std::uint64_t duration_at = mvhd->body + 4 + (mvhd_version == 1 ? 20 :
      12);
  const std::uint64_t duration = read_be (f.get (), mvhd_version == 1 ? 8 : 4,
      &ok);
  if (!ok || timescale == 0 || duration == 0)
    return {};

  /* Each track's first edit, when empty: where its duration is. */
  struct EmptyEdit {
    std::uint64_t at;
    int bytes;
    std::uint64_t duration;
  };
  std::vector<EmptyEdit> edits;
  std::uint64_t gap = UINT64_MAX;
  for (const Box &trak : movie) {
    if (std::memcmp (trak.type, "trak", 4) != 0)
      continue;
    const auto edts = find (children (f.get (), trak.body, trak.end), "edts");
    const auto elst = edts ? find (children (f.get (), edts->body,
            edts->end), "elst") : std::nullopt;
    if (!elst)
      return {};                /* a track without a gap: none shared */
    fseeko (f.get (), (off_t) elst->body, SEEK_SET);
    const int version = (int) read_be (f.get (), 1, &ok);
    fseeko (f.get (), (off_t) elst->body + 4, SEEK_SET);
    const std::uint64_t entries = read_be (f.get (), 4, &ok);
    const int bytes = version == 1 ? 8 : 4;
    const std::uint64_t at = elst->body + 8;
    const std::uint64_t segment = read_be (f.get (), bytes, &ok);
    const std::uint64_t media_time = read_be (f.get (), bytes, &ok);
    const bool empty = media_time == (bytes == 8 ? UINT64_MAX : 0xffffffffu);
    if (!ok || entries < 2 || !empty || at + 2 * bytes > elst->end)
      return {};
    edits.push_back ({at, bytes, segment});
    gap = std::min (gap, segment);
  }
  /* qtdemux skips a track shorter than a fifth of the movie. */
  if (edits.empty () || gap == 0 || gap * 5 <= duration * 4)
    return {};
  std::vector<BytePatch> patches;
  for (const EmptyEdit &edit : edits) {
    BytePatch patch {edit.at, {}};
    put_be (patch.bytes, edit.duration - gap, edit.bytes);
    patches.push_back (patch);
  }
  BytePatch movie_duration {duration_at, {}};
  put_be (movie_duration.bytes, duration - gap, mvhd_version == 1 ? 8 : 4);
  patches.push_back (movie_duration);
  *gap_seconds = (double) gap / (double) timescale;
  return patches;
}

PatchedFile::PatchedFile (const std::string &path,
    std::vector<BytePatch> patches) : patches_ (std::move (patches))
{
  fd_ = open (path.c_str (), O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd_ < 0 || fstat (fd_, &st) != 0) {
    const std::string why = std::strerror (errno);
    if (fd_ >= 0)
      close (fd_);
    throw std::runtime_error ("cannot open: " + why);
  }
  size_ = (std::uint64_t) st.st_size;
}

PatchedFile::~PatchedFile ()
{
  close (fd_);
}

bool
PatchedFile::read (unsigned char *out, std::uint64_t length)
{
  std::uint64_t done = 0;
  while (done < length) {
    const ssize_t got = pread (fd_, out + done, length - done,
        (off_t) (position_ + done));
    if (got < 0 && errno == EINTR)
      continue;
    if (got == 0)
      errno = 0;
    if (got <= 0)
      return false;
    done += (std::uint64_t) got;
  }
  for (const BytePatch &patch : patches_)
    for (std::size_t i = 0; i < patch.bytes.size (); i++)
      if (patch.offset + i >= position_ && patch.offset + i < position_ +
          length)
        out[patch.offset + i - position_] = patch.bytes[i];
  position_ += length;
  return true;
}

}  // namespace stillframe::cli
