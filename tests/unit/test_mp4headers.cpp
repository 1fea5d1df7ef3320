/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The rotation written into a video track header (the matrix players
 * read, in the video track only, nothing else of the file touched), and
 * the gap before every track that qtdemux cannot read past. */
#include "mp4headers.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

using namespace stillframe::cli;

namespace {

using Bytes = std::vector<unsigned char>;

void
put32 (Bytes &b, std::uint32_t v)
{
  for (int k = 0; k < 4; k++)
    b.push_back ((unsigned char) (v >> (24 - 8 * k)));
}

Bytes
box (const char *type, const Bytes &body)
{
  Bytes b;
  put32 (b, (std::uint32_t) (8 + body.size ()));
  b.insert (b.end (), type, type + 4);
  b.insert (b.end (), body.begin (), body.end ());
  return b;
}

Bytes
cat (std::initializer_list<Bytes> parts)
{
  Bytes b;
  for (const Bytes &p : parts)
    b.insert (b.end (), p.begin (), p.end ());
  return b;
}

/* A version-0 tkhd with the identity matrix. */
Bytes
tkhd ()
{
  Bytes b (4 + 20 + 16, 0);
  for (std::uint32_t v : {1u << 16, 0u, 0u, 0u, 1u << 16, 0u, 0u, 0u,
          1u << 30})
    put32 (b, v);
  put32 (b, 160u << 16);
  put32 (b, 120u << 16);
  return box ("tkhd", b);
}

Bytes
track (const char *handler)
{
  Bytes hdlr (8, 0);
  hdlr.insert (hdlr.end (), handler, handler + 4);
  hdlr.resize (hdlr.size () + 13, 0);
  return box ("trak", cat ({tkhd (), box ("mdia", box ("hdlr", hdlr))}));
}

std::string
write (const std::string &name, const Bytes &bytes)
{
  const std::string path = ::testing::TempDir () + name;
  std::ofstream (path, std::ios::binary).write ((const char *) bytes.data (),
      (std::streamsize) bytes.size ());
  return path;
}

Bytes
read (const std::string &path)
{
  std::ifstream in (path, std::ios::binary);
  return Bytes (std::istreambuf_iterator<char> (in), {});
}

/* The 9 matrix values of the tkhd at `offset` in the file. */
std::vector<std::int32_t>
matrix_at (const Bytes &file, std::size_t tkhd_offset)
{
  std::vector<std::int32_t> m;
  const std::size_t at = tkhd_offset + 8 + 4 + 20 + 16;
  for (int i = 0; i < 9; i++) {
    std::uint32_t v = 0;
    for (int k = 0; k < 4; k++)
      v = v << 8 | file[at + i * 4 + k];
    m.push_back ((std::int32_t) v);
  }
  return m;
}

}  // namespace

TEST (Mp4Orientation, TagsMapToClockwiseRotations)
{
  EXPECT_EQ (rotation_of_orientation_tag ("rotate-0"), 0);
  EXPECT_EQ (rotation_of_orientation_tag ("rotate-90"), 90);
  EXPECT_EQ (rotation_of_orientation_tag ("rotate-270"), 270);
  EXPECT_EQ (rotation_of_orientation_tag ("flip-rotate-90"), -1);
}

TEST (Mp4Orientation, WritesTheVideoTrackMatrixOnly)
{
  const Bytes ftyp = box ("ftyp", Bytes (8, 'x'));
  const Bytes sound = track ("soun"), picture = track ("vide");
  const Bytes file = cat ({ftyp, box ("mdat", Bytes (100, 7)),
      box ("moov", cat ({box ("mvhd", Bytes (100, 0)), sound, picture}))});
  const std::string path = write ("rotation.mp4", file);
  ASSERT_EQ (set_video_rotation (path, 90), "");
  const Bytes after = read (path);
  ASSERT_EQ (after.size (), file.size ());
  const std::size_t moov_body = ftyp.size () + 108 + 8;
  const std::size_t sound_tkhd = moov_body + 108 + 8;
  const std::size_t video_tkhd = moov_body + 108 + sound.size () + 8;
  const std::int32_t one = 1 << 16;
  EXPECT_EQ (matrix_at (after, video_tkhd),
      (std::vector<std::int32_t> {0, one, 0, -one, 0, 0, 0, 0, 1 << 30}));
  EXPECT_EQ (matrix_at (after, sound_tkhd), matrix_at (file, sound_tkhd));
  /* Nothing else moved. */
  Bytes masked = after;
  for (std::size_t i = 0; i < 36; i++)
    masked[video_tkhd + 8 + 40 + i] = file[video_tkhd + 8 + 40 + i];
  EXPECT_EQ (masked, file);
  ASSERT_EQ (set_video_rotation (path, 270), "");
  EXPECT_EQ (matrix_at (read (path), video_tkhd),
      (std::vector<std::int32_t> {0, -one, 0, one, 0, 0, 0, 0, 1 << 30}));
}

TEST (Mp4Orientation, FilesWithoutAVideoTrackAreNamed)
{
  const std::string none = write ("nomoov.mp4", box ("mdat", Bytes (10, 0)));
  EXPECT_NE (set_video_rotation (none, 90).find ("moov"), std::string::npos);
  const std::string audio = write ("audio.mp4", box ("moov",
          track ("soun")));
  EXPECT_NE (set_video_rotation (audio, 90).find ("no video track"),
      std::string::npos);
  EXPECT_NE (set_video_rotation (audio, 45), "");
  EXPECT_NE (set_video_rotation ("/nonexistent.mp4", 90), "");
}

namespace {

/* A movie of `duration` ms (timescale 1000) whose tracks each start after
 * an empty edit of the given length (ms), or have no edit list (< 0). */
Bytes
movie_with_gaps (std::uint32_t duration, std::initializer_list<int> gaps)
{
  Bytes mvhd (4 + 8, 0);
  put32 (mvhd, 1000);
  put32 (mvhd, duration);
  mvhd.resize (100, 0);
  Bytes moov = box ("mvhd", mvhd);
  for (int gap : gaps) {
    Bytes trak = tkhd ();
    if (gap >= 0) {
      Bytes elst (4, 0);
      put32 (elst, 2);
      for (std::uint32_t v : {(std::uint32_t) gap, 0xffffffffu, 1u << 16,
              6000u, 0u, 1u << 16})
        put32 (elst, v);
      trak = cat ({trak, box ("edts", box ("elst", elst))});
    }
    moov = cat ({moov, box ("trak", trak)});
  }
  return cat ({box ("ftyp", Bytes (8, 'x')), box ("moov", moov)});
}

Bytes
patched (Bytes file, const std::vector<BytePatch> &patches)
{
  for (const BytePatch &p : patches)
    for (std::size_t i = 0; i < p.bytes.size (); i++)
      file[p.offset + i] = p.bytes[i];
  return file;
}

std::uint32_t
get32 (const Bytes &b, std::size_t at)
{
  std::uint32_t v = 0;
  for (int k = 0; k < 4; k++)
    v = v << 8 | b[at + k];
  return v;
}

}  // namespace

TEST (Mp4Headers, TheGapEveryTrackSharesIsTakenOut)
{
  /* Video after 90000 s, audio after 90000.5 s, 6 s of each. */
  const Bytes file = movie_with_gaps (90006500, {90000000, 90000500});
  const std::string path = write ("gap.mp4", file);
  double gap = 0;
  const std::vector<BytePatch> patches = leading_gap_patches (path, &gap);
  ASSERT_EQ (patches.size (), 3u);
  EXPECT_DOUBLE_EQ (gap, 90000.0);
  const Bytes after = patched (file, patches);
  ASSERT_EQ (after.size (), file.size ());
  /* mvhd's duration, then each elst's first segment duration: the tracks
   * keep their half second to each other. */
  const std::size_t mvhd = 16 + 8 + 8;
  EXPECT_EQ (get32 (after, mvhd + 16), 6500u);
  std::size_t at = 16 + 8 + 108;
  for (std::uint32_t expected : {0u, 500u}) {
    const std::size_t elst = at + 8 + tkhd ().size () + 8 + 8;
    EXPECT_EQ (get32 (after, elst + 8), expected);
    EXPECT_EQ (get32 (after, elst + 12), 0xffffffffu);
    at += get32 (file, at);
  }
  /* The file itself is only read. */
  EXPECT_EQ (read (path), file);
}

TEST (Mp4Headers, OrdinaryFilesNeedNoPatch)
{
  double gap = 1;
  /* A short gap (B-frame delay, audio first) is played by qtdemux. */
  EXPECT_TRUE (leading_gap_patches (write ("short.mp4",
              movie_with_gaps (6066, {66, 0})), &gap).empty ());
  EXPECT_EQ (gap, 0);
  /* A track without an edit list shares no gap. */
  EXPECT_TRUE (leading_gap_patches (write ("mixed.mp4",
              movie_with_gaps (90006000, {90000000, -1})), &gap).empty ());
  EXPECT_TRUE (leading_gap_patches (write ("none.mp4",
              movie_with_gaps (6000, {-1})), &gap).empty ());
  EXPECT_TRUE (leading_gap_patches (write ("junk.mp4", Bytes (64, 0xff)),
          &gap).empty ());
  EXPECT_TRUE (leading_gap_patches ("/nonexistent.mp4", &gap).empty ());
}

TEST (PatchedFile, ReadsThePatchedBytesAcrossReads)
{
  const std::string path = ::testing::TempDir () + "patched.bin";
  {
    std::ofstream out (path, std::ios::binary);
    for (int i = 0; i < 100; i++)
      out.put ((char) i);
  }
  /* One patch inside a read, one across two reads. */
  PatchedFile file (path, {{10, {0xaa, 0xbb}}, {48, {0xcc, 0xdd, 0xee}}});
  EXPECT_EQ (file.size (), 100u);
  std::vector<unsigned char> first (50), second (50);
  ASSERT_TRUE (file.read (first.data (), 50));
  EXPECT_EQ (file.position (), 50u);
  ASSERT_TRUE (file.read (second.data (), 50));
  EXPECT_EQ (first[9], 9);
  EXPECT_EQ (first[10], 0xaa);
  EXPECT_EQ (first[11], 0xbb);
  EXPECT_EQ (first[12], 12);
  EXPECT_EQ (first[48], 0xcc);
  EXPECT_EQ (first[49], 0xdd);
  EXPECT_EQ (second[0], 0xee);
  EXPECT_EQ (second[1], 51);
  /* Past the end: refused, the position kept; a seek goes back. */
  EXPECT_FALSE (file.read (first.data (), 1));
  EXPECT_EQ (file.position (), 100u);
  file.seek (10);
  ASSERT_TRUE (file.read (first.data (), 1));
  EXPECT_EQ (first[0], 0xaa);
  /* The file itself is untouched. */
  std::ifstream in (path, std::ios::binary);
  in.seekg (10);
  EXPECT_EQ (in.get (), 10);
  std::remove (path.c_str ());
}

TEST (PatchedFile, AMissingFileIsNamed)
{
  try {
    PatchedFile file (::testing::TempDir () + "no-such-file.mp4", {});
    FAIL () << "opened";
  } catch (const std::runtime_error &e) {
    EXPECT_NE (std::string (e.what ()).find ("No such file"),
        std::string::npos);
  }
}

namespace {

/* A version-0 or 1 header of `type`: version/flags, then creation and
 * modification times, then `rest` bytes of zeros. */
Bytes
timed_header (const char *type, int version, std::uint64_t time,
    std::size_t rest)
{
  Bytes b {(unsigned char) version, 0, 0, 0};
  for (int twice = 0; twice < 2; twice++)
    for (int k = version == 1 ? 7 : 3; k >= 0; k--)
      b.push_back ((unsigned char) (time >> (8 * k)));
  b.resize (b.size () + rest, 0);
  return box (type, b);
}

/* The creation and modification times of the header at `offset`. */
std::pair<std::uint64_t, std::uint64_t>
times_at (const Bytes &file, std::size_t offset, int version)
{
  const int bytes = version == 1 ? 8 : 4;
  std::uint64_t created = 0, modified = 0;
  for (int k = 0; k < bytes; k++) {
    created = created << 8 | file[offset + 12 + k];
    modified = modified << 8 | file[offset + 12 + bytes + k];
  }
  return {created, modified};
}

}  // namespace

/* mp4mux stamps the wall clock into every header: the same input gave a
 * different file each run. The output takes a given time in all of them. */
TEST (Mp4CreationTime, EveryHeaderTakesTheTime)
{
  constexpr std::uint64_t k1904 = 2082844800;
  const Bytes ftyp = box ("ftyp", Bytes (8, 'x'));
  const Bytes mvhd = timed_header ("mvhd", 0, k1904 + 1000, 80);
  const Bytes tkhd0 = timed_header ("tkhd", 0, 5, 60);
  const Bytes mdhd1 = timed_header ("mdhd", 1, 6, 12);
  const Bytes hdlr = box ("hdlr", Bytes (24, 0));
  const Bytes mdia = box ("mdia", cat ({mdhd1, hdlr}));
  const Bytes file = cat ({ftyp, box ("moov", cat ({mvhd, box ("trak",
                  cat ({tkhd0, mdia}))})), box ("mdat", Bytes (50, 9))});
  const std::string path = write ("times.mp4", file);
  EXPECT_EQ (movie_creation_time (path), 1000);

  const std::int64_t when = 1796174492;         /* 2026-12-02 */
  ASSERT_EQ (set_creation_time (path, when), "");
  const Bytes after = read (path);
  ASSERT_EQ (after.size (), file.size ());
  const std::uint64_t expected = k1904 + (std::uint64_t) when;
  const std::size_t moov_body = ftyp.size () + 8;
  const std::size_t tkhd_at = moov_body + mvhd.size () + 8;
  const std::size_t mdhd_at = tkhd_at + tkhd0.size () + 8;
  EXPECT_EQ (times_at (after, moov_body, 0), std::make_pair (expected,
          expected));
  EXPECT_EQ (times_at (after, tkhd_at, 0), std::make_pair (expected,
          expected));
  EXPECT_EQ (times_at (after, mdhd_at, 1), std::make_pair (expected,
          expected));
  EXPECT_EQ (movie_creation_time (path), when);
  /* Nothing else changed: the times put back give the file again. */
  ASSERT_EQ (set_creation_time (path, 1000), "");
  Bytes back = read (path);
  for (std::size_t at : {tkhd_at, mdhd_at})
    for (std::size_t i = 12; i < 12 + (at == mdhd_at ? 16u : 8u); i++)
      back[at + i] = file[at + i];
  EXPECT_EQ (back, file);
}

TEST (Mp4CreationTime, FilesWithoutAMovieHeaderAreNamed)
{
  const std::string path = write ("nomoov.mp4", box ("ftyp", Bytes (8, 'x')));
  EXPECT_EQ (movie_creation_time (path), -1);
  EXPECT_NE (set_creation_time (path, 0).find ("no movie header"),
      std::string::npos);
  /* An unknown time (0) is no time. */
  const std::string unknown = write ("unknown.mp4", box ("moov",
          timed_header ("mvhd", 0, 0, 80)));
  EXPECT_EQ (movie_creation_time (unknown), -1);
}
