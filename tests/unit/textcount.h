/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* For tests of text writers: how often `what` occurs in `text`. */
#pragma once

#include <cstddef>
#include <string>

inline std::size_t
occurrences (const std::string &text, const std::string &what)
{
  std::size_t n = 0;
  for (std::size_t at = text.find (what); at != std::string::npos;
      at = text.find (what, at + 1))
    n++;
  return n;
}
