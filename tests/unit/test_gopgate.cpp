/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --fast's choice of GOPs on plain sequences: packets in decoding order and
 * keyframe verdicts, as fastdecode.cpp feeds them. */
#include "gopgate.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace stillframe;
using namespace stillframe::cli;

namespace {

constexpr Time kGop = 2 * kSecond;
constexpr int kFrames = 50;

/* GOPs of 2 s, 50 frames of `bytes` each after the keyframe. */
void
add_gops (GopGate &gate, int first, int count, std::size_t bytes = 1000)
{
  for (int g = first; g < first + count; g++) {
    gate.add_packet (g * kGop, 20000, true, true);
    for (int f = 1; f < kFrames; f++)
      gate.add_packet (g * kGop + f * kGop / kFrames, bytes, false, false);
  }
}

/* 'D', 'S' or '?' per GOP. */
std::string
fates (const GopGate &gate)
{
  std::string s;
  for (std::size_t g = 0; g < gate.gops (); g++) {
    const GopFate f = gate.fate (g);
    s += f == GopFate::Decode ? 'D' : f == GopFate::Skip ? 'S' : '?';
  }
  return s;
}

void
judge (GopGate &gate, const std::string &verdicts)
{
  for (std::size_t g = 0; g < verdicts.size (); g++)
    gate.judge_keyframe (g * kGop, verdicts[g] == 'x');
}

}  // namespace

TEST (GopGate, QuietStreamSkipsAllButTheFirstAndLastGops)
{
  GopGate gate;
  add_gops (gate, 0, 8);
  /* Nothing is skipped before its keyframes are judged. */
  EXPECT_EQ (fates (gate), "DD??????");
  judge (gate, "........");
  EXPECT_EQ (fates (gate), "DDSSS???");
  gate.end_of_packets ();
  /* The last GOP's end has no keyframe to judge it by: decoded, with the
   * lead-in before it. */
  EXPECT_EQ (fates (gate), "DDSSSDDD");
}

TEST (GopGate, AChangedKeyframeDecodesBothItsGopsTheLeadInAndOneAfter)
{
  GopGate gate;
  add_gops (gate, 0, 14);
  judge (gate, "........x.....");
  gate.end_of_packets ();
  /* Keyframe 8 ends GOP 7 and starts GOP 8: GOPs 5 and 6 (4 s) before
   * them, GOP 9 after. */
  EXPECT_EQ (fates (gate), "DDSSSDDDDDSDDD");
}

TEST (GopGate, TheLeadInIsTime)
{
  /* GOPs of 1 s: four of them before the changed ones. */
  GopGate gate;
  for (int g = 0; g < 24; g++)
    gate.add_packet (g * kSecond, 20000, true, true);
  gate.end_of_packets ();
  for (int g = 0; g < 24; g++)
    gate.judge_keyframe (g * kSecond, g == 10);
  EXPECT_EQ (fates (gate), "DDSSSDDDDDDDSSSSSSSDDDDD");
}

TEST (GopGate, FatesWaitForTheVerdictsTheyNeed)
{
  GopGate gate;
  add_gops (gate, 0, 10);
  judge (gate, "....");
  /* GOP n needs keyframe n + 3 (the end of GOP n + 2, which starts within
   * the lead-in after it). */
  EXPECT_EQ (fates (gate).substr (0, 4), "DD??");
  gate.judge_keyframe (4 * kGop, false);
  EXPECT_EQ (fates (gate).substr (0, 4), "DD??");
  gate.judge_keyframe (5 * kGop, false);
  EXPECT_EQ (fates (gate).substr (0, 4), "DDS?");
  gate.judge_keyframe (6 * kGop, false);
  EXPECT_EQ (fates (gate).substr (0, 4), "DDSS");
}

TEST (GopGate, AGopWithMoreBytesIsDecodedThoughItsKeyframesAgree)
{
  GopGate gate;
  add_gops (gate, 0, 6);
  add_gops (gate, 6, 1, 1600);          /* 1.6x: past the guard */
  add_gops (gate, 7, 5);
  add_gops (gate, 12, 1, 1400);         /* 1.4x: within it */
  add_gops (gate, 13, 3);
  gate.end_of_packets ();
  judge (gate, "................");
  EXPECT_EQ (fates (gate), "DDSSDDDDSSSSSDDD");
}

TEST (GopGate, LongGopsAreDecodedAndCounted)
{
  GopGate gate;
  add_gops (gate, 0, 5);
  /* A 6 s GOP from 10 s. */
  gate.add_packet (10 * kSecond, 20000, true, true);
  gate.add_packet (13 * kSecond, 1000, false, false);
  for (int g = 8; g < 12; g++)
    gate.add_packet (g * kGop, 20000, true, true);
  gate.end_of_packets ();
  for (Time t : {0, 2, 4, 6, 8, 10, 16, 18, 20, 22})
    gate.judge_keyframe (t * kSecond, false);
  EXPECT_EQ (fates (gate), "DDSDDDDDDD");
  EXPECT_EQ (gate.long_gops (), 1u);
}

TEST (GopGate, KeyframesThatDoNotDecodeAloneDecodeEverything)
{
  GopGate gate;
  add_gops (gate, 0, 1);
  gate.add_packet (kGop, 3000, true, false);    /* intra refresh */
  add_gops (gate, 2, 6);
  gate.end_of_packets ();
  judge (gate, "........");
  EXPECT_EQ (fates (gate), "DDDDDDDD");
  EXPECT_NE (gate.fallback ().find ("intra refresh"), std::string::npos);
}

TEST (GopGate, OpenGopsDecodeEverything)
{
  GopGate gate;
  add_gops (gate, 0, 2);
  gate.add_packet (2 * kGop, 20000, true, true);
  gate.add_packet (2 * kGop - kGop / kFrames, 800, false, false);
  add_gops (gate, 3, 5);
  gate.end_of_packets ();
  judge (gate, "........");
  EXPECT_EQ (fates (gate), "DDDDDDDD");
  EXPECT_NE (gate.fallback ().find ("open GOPs"), std::string::npos);
}

TEST (GopGate, AnUnjudgedKeyframeCountsAsChanged)
{
  GopGate gate;
  add_gops (gate, 0, 14);
  gate.end_of_packets ();
  /* Keyframe 5 never decoded: judged keyframes after it condemn it. */
  judge (gate, ".....");
  for (int g = 6; g < 14; g++)
    gate.judge_keyframe (g * kGop, false);
  EXPECT_EQ (fates (gate), "DDDDDDDSSSSDDD");
  GopGate ended;
  add_gops (ended, 0, 8);
  ended.end_of_packets ();
  judge (ended, "......");
  EXPECT_EQ (fates (ended), "DDS??DDD");
  ended.end_of_keyframes ();
  EXPECT_EQ (fates (ended), "DDSDDDDD");
}

TEST (GopGate, AForcedGopIsDecodedAlone)
{
  GopGate gate;
  add_gops (gate, 0, 8);
  gate.force_decode (3);
  EXPECT_EQ (fates (gate), "DD?D????");
  judge (gate, "........");
  gate.end_of_packets ();
  EXPECT_EQ (fates (gate), "DDSDSDDD");
}

TEST (GopGate, ForgottenGopsLeaveTheirNeighboursFates)
{
  GopGate gate;
  add_gops (gate, 0, 10);
  judge (gate, "......x...");
  gate.end_of_packets ();
  const std::string before = fates (gate);
  gate.forget_before (6);
  for (std::size_t g = 5; g < 10; g++)
    EXPECT_EQ (gate.fate (g), before[g] == 'D' ? GopFate::Decode :
        GopFate::Skip) << g;
  EXPECT_EQ (gate.gops (), 10u);
  /* Asked again about a forgotten one: decoded, never skipped. */
  EXPECT_EQ (gate.fate (2), GopFate::Decode);
}

TEST (GopGate, KeyframeReadings)
{
  GopGate gate;
  KeyframeReading r;
  r.threshold = 0.0005;
  EXPECT_FALSE (gate.changed (r));
  r.score = 0.0001;
  EXPECT_FALSE (gate.changed (r));
  r.score = 0.00013;    /* a quarter of the threshold */
  EXPECT_TRUE (gate.changed (r));
  r.score = 0;
  r.light_change = 6.5;
  EXPECT_TRUE (gate.changed (r));
  r.light_change = 0;
  r.relearned = true;
  EXPECT_TRUE (gate.changed (r));
  r.relearned = false;
  r.motion = true;
  EXPECT_TRUE (gate.changed (r));
}

TEST (DecodesAlone, H264)
{
  /* Length-prefixed (4 bytes): SEI, then one slice. */
  auto avc = [] (unsigned char header, unsigned char slice_bits) {
    return std::vector<unsigned char> {0, 0, 0, 2, 0x06, 0x05,
      0, 0, 0, 3, header, slice_bits, 0x00};
  };
  /* An IDR; I slices (slice_type 7, 2); a P slice (5), as intra refresh
   * flags its keyframes. */
  auto idr = avc (0x65, 0x88), i7 = avc (0x61, 0x88), i2 = avc (0x61, 0xb0),
      p = avc (0x61, 0x98);
  EXPECT_TRUE (decodes_alone (VideoCodec::H264, idr.data (), idr.size (), 4));
  EXPECT_TRUE (decodes_alone (VideoCodec::H264, i7.data (), i7.size (), 4));
  EXPECT_TRUE (decodes_alone (VideoCodec::H264, i2.data (), i2.size (), 4));
  EXPECT_FALSE (decodes_alone (VideoCodec::H264, p.data (), p.size (), 4));
  /* An I slice then a P slice of the same picture. */
  std::vector<unsigned char> mixed = i7;
  mixed.insert (mixed.end (), {0, 0, 0, 3, 0x61, 0x98, 0x00});
  EXPECT_FALSE (decodes_alone (VideoCodec::H264, mixed.data (),
          mixed.size (), 4));
  /* Byte-stream form. */
  const std::vector<unsigned char> stream {0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1,
    0x61, 0x88, 0x40, 0, 0, 1, 0x61, 0x98, 0x40};
  EXPECT_FALSE (decodes_alone (VideoCodec::H264, stream.data (),
          stream.size (), 0));
  const std::vector<unsigned char> idr_stream {0, 0, 0, 1, 0x67, 0x42, 0, 0,
    1, 0x65, 0x88, 0x40};
  EXPECT_TRUE (decodes_alone (VideoCodec::H264, idr_stream.data (),
          idr_stream.size (), 0));
  /* Truncated: not alone. */
  EXPECT_FALSE (decodes_alone (VideoCodec::H264, idr.data (), 3, 4));
}

TEST (DecodesAlone, H265)
{
  auto hvc = [] (unsigned char type) {
    return std::vector<unsigned char> {0, 0, 0, 3,
      (unsigned char) (type << 1), 0x01, 0xaf};
  };
  for (int type : {16, 19, 20, 21})
    EXPECT_TRUE (decodes_alone (VideoCodec::H265, hvc (type).data (), 7, 4))
        << type;
  for (int type : {0, 1, 9})
    EXPECT_FALSE (decodes_alone (VideoCodec::H265, hvc (type).data (), 7, 4))
        << type;
  auto ps = hvc (32);   /* a VPS alone: no picture */
  EXPECT_FALSE (decodes_alone (VideoCodec::H265, ps.data (), ps.size (), 4));
}
