/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "gopgate.h"

#include <algorithm>
#include <cstdint>

namespace stillframe::cli {

GopGate::GopGate (const GopGateSettings &settings) : settings_ (settings) {}

bool
GopGate::changed (const KeyframeReading &r) const
{
  return r.relearned || r.motion || r.score >= settings_.score_share * r.threshold
      || r.light_change >= settings_.light_levels;
}

void
GopGate::fall_back (const std::string &why)
{
  /* Every GOP not yet released is decoded: the first GOPs always are, and
   * what gives a stream away comes within them. */
  if (fallback_.empty ())
    fallback_ = why;
}

void
GopGate::close_open_gop (Time end)
{
  if (gops_.empty () || is_time (gops_.back ().end))
    return;
  Gop &g = gops_.back ();
  g.end = end;
  const bool timed = is_time (g.start) && is_time (end) && end > g.start;
  g.too_long = !timed || end - g.start > settings_.longest_gop ? Tri::Yes :
      Tri::No;
  if (g.too_long == Tri::Yes)
    long_gops_++;
  g.oversized = Tri::No;
  if (!timed)
    return;
  const double rate = g.bytes / ((end - g.start) / (double) kSecond);
  if (rates_.size () >= 3) {
    std::vector<double> sorted (rates_.begin (), rates_.end ());
    std::nth_element (sorted.begin (), sorted.begin () + sorted.size () / 2,
        sorted.end ());
    if (rate > settings_.size_guard * sorted[sorted.size () / 2])
      g.oversized = Tri::Yes;
  }
  rates_.push_back (rate);
  if (rates_.size () > settings_.size_history)
    rates_.pop_front ();
}

void
GopGate::add_packet (Time pts, std::size_t bytes, bool keyframe,
    bool decodes_alone)
{
  if (keyframe) {
    close_open_gop (pts);
    Gop g;
    g.start = pts;
    /* The first keyframe is learned, not judged: nothing came before. */
    if (gops () == 0)
      g.keyframe = Tri::Yes;
    gops_.push_back (g);
    if (!decodes_alone)
      fall_back ("keyframes that do not decode alone (intra refresh)");
    return;
  }
  if (gops_.empty ())
    return;                     /* before the first keyframe: undecodable */
  Gop &open = gops_.back ();
  if (is_time (pts) && is_time (open.start) && pts < open.start)
    fall_back ("open GOPs (frames shown before their keyframe need the GOP "
        "before it)");
  open.bytes += bytes;
}

void
GopGate::end_of_packets ()
{
  packets_ended_ = true;
}

void
GopGate::judge_keyframe (Time pts, bool changed)
{
  auto it = std::find_if (gops_.rbegin (), gops_.rend (),
      [pts] (const Gop &g) { return g.start == pts; });
  if (it == gops_.rend ())
    return;
  if (it->keyframe == Tri::Unknown)
    it->keyframe = changed ? Tri::Yes : Tri::No;
  for (++it; it != gops_.rend (); ++it)
    if (it->keyframe == Tri::Unknown)
      it->keyframe = Tri::Yes;
}

void
GopGate::end_of_keyframes ()
{
  for (Gop &g : gops_)
    if (g.keyframe == Tri::Unknown)
      g.keyframe = Tri::Yes;
}

void
GopGate::force_decode (std::size_t gop)
{
  if (gop >= base_ && gop < gops ())
    gops_[gop - base_].forced = true;
}

const GopGate::Gop *
GopGate::at (std::size_t gop) const
{
  return gop >= base_ && gop < gops () ? &gops_[gop - base_] : nullptr;
}

GopGate::Tri
GopGate::any_of (std::initializer_list<Tri> terms)
{
  Tri result = Tri::No;
  for (Tri t : terms) {
    if (t == Tri::Yes)
      return t;
    if (t == Tri::Unknown)
      result = t;
  }
  return result;
}

GopGate::Tri
GopGate::may_hold_motion (std::size_t gop) const
{
  const Gop *g = at (gop);
  if (!g)
    return gop < base_ ? Tri::Yes : Tri::Unknown;
  if (!is_time (g->end))        /* the last one so far */
    return packets_ended_ ? Tri::Yes : any_of ({g->keyframe, Tri::Unknown});
  const Gop *next = at (gop + 1);
  return any_of ({g->keyframe, next ? next->keyframe : Tri::Yes, g->too_long,
          g->oversized});
}

GopFate
GopGate::fate (std::size_t gop) const
{
  const Gop *g = at (gop);
  if (!g)
    return gop < base_ ? GopFate::Decode : GopFate::Undecided;
  if (!fallback_.empty () || g->forced)
    return GopFate::Decode;
  const Tri before = gop > 0 ? may_hold_motion (gop - 1) : Tri::No;
  /* The next GOP, and those that start within the lead-in after this one
   * ends. */
  Tri after = Tri::No;
  for (std::size_t next = gop + 1; after != Tri::Yes; next++) {
    const Gop *n = at (next);
    if (!n) {
      after = any_of ({after, packets_ended_ ? Tri::No : Tri::Unknown});
      break;
    }
    if (next > gop + 1 && is_time (n->start) && is_time (g->end)
        && n->start >= g->end + settings_.lead_in)
      break;
    after = any_of ({after, may_hold_motion (next)});
  }
  switch (any_of ({before, may_hold_motion (gop), after})) {
    case Tri::Yes:
      return GopFate::Decode;
    case Tri::No:
      return GopFate::Skip;
    default:
      return GopFate::Undecided;
  }
}

void
GopGate::forget_before (std::size_t gop)
{
  /* The GOP before is kept: its neighbour's fate asks about it. */
  while (!gops_.empty () && base_ + 1 < gop && gops_.size () > 1) {
    gops_.pop_front ();
    base_++;
  }
}

namespace {

/* Exp-Golomb codes at the start of a NAL unit's payload, without its
 * emulation-prevention bytes. */
class BitReader {
public:
  BitReader (const unsigned char *data, std::size_t size)
  {
    int zeros = 0;
    for (std::size_t i = 0; i < size && bytes_.size () < 16; i++) {
      if (zeros >= 2 && data[i] == 3) {
        zeros = 0;
        continue;
      }
      zeros = data[i] == 0 ? zeros + 1 : 0;
      bytes_.push_back (data[i]);
    }
  }
  bool ue (unsigned *value)
  {
    int leading = 0;
    int bit;
    while ((bit = next ()) == 0)
      if (++leading > 31)
        return false;
    if (bit < 0)
      return false;
    unsigned v = 0;
    for (int i = 0; i < leading; i++) {
      if ((bit = next ()) < 0)
        return false;
      v = v << 1 | bit;
    }
    *value = (1u << leading) - 1 + v;
    return true;
  }

private:
  int next ()
  {
    if (position_ / 8 >= bytes_.size ())
      return -1;
    const int bit = bytes_[position_ / 8] >> (7 - position_ % 8) & 1;
    position_++;
    return bit;
  }
  std::vector<unsigned char> bytes_;
  std::size_t position_ = 0;
};

/* Calls `nal` for each NAL unit until it returns false. */
template <typename F>
void
for_each_nal (const unsigned char *data, std::size_t size,
    int nal_length_size, F nal)
{
  if (nal_length_size > 0) {
    std::size_t i = 0;
    while (i + nal_length_size <= size) {
      std::size_t length = 0;
      for (int b = 0; b < nal_length_size; b++)
        length = length << 8 | data[i + b];
      i += nal_length_size;
      if (length == 0 || length > size - i || !nal (data + i, length))
        return;
      i += length;
    }
    return;
  }
  /* Start codes: 00 00 01 (or 00 00 00 01) before each unit. */
  std::size_t start = SIZE_MAX;
  for (std::size_t i = 0; i + 2 < size; i++) {
    if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1) {
      if (start != SIZE_MAX) {
        std::size_t end = i;
        while (end > start && data[end - 1] == 0)
          end--;
        if (end > start && !nal (data + start, end - start))
          return;
      }
      start = i + 3;
      i += 2;
    }
  }
  if (start != SIZE_MAX && start < size)
    nal (data + start, size - start);
}

}  // namespace

bool
decodes_alone (VideoCodec codec, const unsigned char *data, std::size_t size,
    int nal_length_size)
{
  if (codec == VideoCodec::Other)
    return true;                /* no way to tell: its flag is trusted */
  bool alone = false, decided = false;
  for_each_nal (data, size, nal_length_size,
      [&] (const unsigned char *nal, std::size_t length) {
        if (codec == VideoCodec::H265) {
          if (length < 2)
            return true;
          const int type = nal[0] >> 1 & 0x3f;
          if (type >= 16 && type <= 23)
            alone = decided = true;
          else if (type <= 9)
            decided = true;     /* a picture that is not IRAP */
          return !decided;
        }
        const int type = nal[0] & 0x1f;
        if (type == 5) {
          alone = decided = true;
          return false;
        }
        if (type >= 1 && type <= 4) {
          unsigned first_mb, slice_type;
          BitReader bits (nal + 1, length - 1);
          /* I and SI slices (2, 4; +5 when all slices are alike). */
          if (type == 1 && bits.ue (&first_mb) && bits.ue (&slice_type)
              && (slice_type % 5 == 2 || slice_type % 5 == 4)) {
            alone = true;
            return true;        /* every slice must be intra */
          }
          alone = false;
          decided = true;
          return false;
        }
        return true;
      });
  return alone;
}

}  // namespace stillframe::cli
