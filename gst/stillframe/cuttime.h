/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <cstdint>

namespace stillframe {

/* Running time in nanoseconds, as GstClockTime; kNoTime is
 * GST_CLOCK_TIME_NONE, so the elements pass their times through as they
 * are. */
using Time = std::uint64_t;
constexpr Time kNoTime = UINT64_MAX;
constexpr Time kSecond = 1000000000;

constexpr bool
is_time (Time t)
{
  return t != kNoTime;
}

}  // namespace stillframe
