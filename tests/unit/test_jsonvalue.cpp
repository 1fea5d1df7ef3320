/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading back the JSON stillframe writes: strict, exact for 64-bit
 * integers, and never a crash on what is not JSON. */
#include "jsonvalue.h"
#include "textformat.h"

#include <gtest/gtest.h>

#include <stdexcept>

using namespace stillframe::cli;

TEST (JsonValue, ReadsEveryType)
{
  const JsonValue v = JsonValue::parse (" {\"a\": [1, -2.5e1, true, false, "
      "null], \"s\": \"x\\\"\\u00e9\\ud83c\\udfa5\\n\", \"o\": {}} ");
  ASSERT_TRUE (v.is (JsonValue::Type::Object));
  const JsonValue *a = v.get ("a");
  ASSERT_TRUE (a && a->items ().size () == 5);
  EXPECT_EQ (a->items ()[0].as_u64 (), 1u);
  EXPECT_EQ (a->items ()[1].as_number (), -25.0);
  EXPECT_EQ (a->items ()[1].as_u64 (), std::nullopt);
  EXPECT_EQ (a->items ()[2].as_bool (), true);
  EXPECT_EQ (a->items ()[3].as_bool (), false);
  EXPECT_TRUE (a->items ()[4].is (JsonValue::Type::Null));
  EXPECT_EQ (v.string_at ("s"), "x\"\xc3\xa9\xf0\x9f\x8e\xa5\n");
  EXPECT_TRUE (v.get ("o")->members ().empty ());
  EXPECT_EQ (v.get ("missing"), nullptr);
  EXPECT_EQ (v.number_at ("s", 7), 7);
}

TEST (JsonValue, BigIntegersStayExact)
{
  /* A modification time in nanoseconds is past a double's 2^53. */
  const JsonValue v = JsonValue::parse ("[1796174492528877718, "
      "-1796174492528877718, 18446744073709551615]");
  EXPECT_EQ (v.items ()[0].as_u64 (), 1796174492528877718ull);
  EXPECT_EQ (v.items ()[1].as_i64 (), -1796174492528877718ll);
  EXPECT_EQ (v.items ()[1].as_u64 (), std::nullopt);
  EXPECT_EQ (v.items ()[2].as_u64 (), UINT64_MAX);
  EXPECT_EQ (v.items ()[2].as_i64 (), std::nullopt);
}

TEST (JsonValue, WhatWeWriteReadsBack)
{
  const std::string name = "cam \"7\"\\\x01\xc3\xa9.mp4";
  EXPECT_EQ (JsonValue::parse (json_string (name)).as_string (), name);
}

TEST (JsonValue, RefusesWhatIsNotJson)
{
  for (const char *bad : {"", "{", "[1,]", "{\"a\" 1}", "{\"a\": 1,}",
          "01", "1.", "-", "tru", "\"a", "\"\\x\"", "\"\\ud800\"",
          "\"\x01\"", "[1] x", "{1: 2}", "nul"}) {
    EXPECT_THROW (JsonValue::parse (bad), std::invalid_argument) << bad;
  }
  /* Nesting is bounded: no stack is exhausted. */
  EXPECT_THROW (JsonValue::parse (std::string (100000, '[')),
      std::invalid_argument);
  try {
    JsonValue::parse ("{\"a\": x}");
  } catch (const std::invalid_argument &e) {
    EXPECT_NE (std::string (e.what ()).find ("at byte 6"), std::string::npos);
  }
}
