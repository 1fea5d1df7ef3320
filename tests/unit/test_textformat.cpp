/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The text stillframe writes for other programs: JSON and CSV that stay
 * valid whatever a file name holds, numbers whatever the locale. */
#include "textformat.h"

#include <gtest/gtest.h>

#include <clocale>

using namespace stillframe::cli;

TEST (TextFormat, InvalidUtf8BecomesReplacementCharacters)
{
  EXPECT_EQ (valid_utf8 ("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ (valid_utf8 ("\xf0\x9f\x8e\xa5 cam"), "\xf0\x9f\x8e\xa5 cam");
  /* Latin-1, a lone continuation byte, a truncated sequence, an overlong
   * form and a surrogate: each bad byte is one U+FFFD. */
  EXPECT_EQ (valid_utf8 ("caf\xe9"), "caf\xef\xbf\xbd");
  EXPECT_EQ (valid_utf8 ("\x80x"), "\xef\xbf\xbdx");
  EXPECT_EQ (valid_utf8 ("\xe2\x82"), "\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ (valid_utf8 ("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ (valid_utf8 ("\xed\xa0\x80"),
      "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

TEST (TextFormat, JsonStringsAreEscaped)
{
  EXPECT_EQ (json_string ("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ (json_string ("line\nbreak\ttab\x01"),
      "\"line\\nbreak\\ttab\\u0001\"");
  EXPECT_EQ (json_string ("caf\xe9.mp4"), "\"caf\xef\xbf\xbd.mp4\"");
}

TEST (TextFormat, CsvFieldsAreQuotedWhenNeeded)
{
  EXPECT_EQ (csv_field ("plain.mp4"), "plain.mp4");
  EXPECT_EQ (csv_field ("a,b.mp4"), "\"a,b.mp4\"");
  EXPECT_EQ (csv_field ("say \"hi\".mp4"), "\"say \"\"hi\"\".mp4\"");
  EXPECT_EQ (csv_field ("two\nlines"), "\"two\nlines\"");
}

TEST (TextFormat, NumbersIgnoreTheLocale)
{
  /* A locale with a decimal comma, where the system has one. */
  const char *previous = std::setlocale (LC_NUMERIC, nullptr);
  const std::string saved = previous ? previous : "C";
  for (const char *name : {"de_DE.UTF-8", "fr_FR.UTF-8", "C"})
    if (std::setlocale (LC_NUMERIC, name))
      break;
  EXPECT_EQ (fixed_seconds (12.5), "12.500000");
  EXPECT_EQ (fixed_seconds (-0.25), "-0.250000");
  EXPECT_EQ (fixed_seconds (1.0 / 3), "0.333333");
  std::setlocale (LC_NUMERIC, saved.c_str ());
}

TEST (TextFormat, ClockStrings)
{
  EXPECT_EQ (clock_string (0), "0:00:00.000");
  EXPECT_EQ (clock_string (3723.4567), "1:02:03.457");
  EXPECT_EQ (clock_string (-1), "0:00:00.000");
}

double
time_of (const std::string &text)
{
  double seconds = -1;
  std::string why;
  EXPECT_TRUE (parse_time (text, &seconds, &why)) << text << ": " << why;
  return seconds;
}

std::string
refusal_of (const std::string &text)
{
  double seconds = -1;
  std::string why;
  EXPECT_FALSE (parse_time (text, &seconds, &why)) << text;
  return why;
}

TEST (TextFormat, TimesInTheFormsPeopleWrite)
{
  EXPECT_DOUBLE_EQ (time_of ("1.5"), 1.5);
  EXPECT_DOUBLE_EQ (time_of ("0"), 0);
  EXPECT_DOUBLE_EQ (time_of ("1.5s"), 1.5);
  EXPECT_DOUBLE_EQ (time_of ("500ms"), 0.5);
  EXPECT_DOUBLE_EQ (time_of ("2min"), 120);
  EXPECT_DOUBLE_EQ (time_of ("2m"), 120);
  EXPECT_DOUBLE_EQ (time_of ("1.5h"), 5400);
  EXPECT_DOUBLE_EQ (time_of ("1:30"), 90);
  EXPECT_DOUBLE_EQ (time_of ("00:01:30.5"), 90.5);
  EXPECT_DOUBLE_EQ (time_of ("25:00:00"), 90000);
}

TEST (TextFormat, TimesIgnoreTheLocale)
{
  const std::string saved = std::setlocale (LC_NUMERIC, nullptr);
  if (!std::setlocale (LC_NUMERIC, "de_DE.UTF-8"))
    std::setlocale (LC_NUMERIC, "C");
  EXPECT_DOUBLE_EQ (time_of ("2.25"), 2.25);
  refusal_of ("2,25");
  std::setlocale (LC_NUMERIC, saved.c_str ());
}

TEST (TextFormat, WhatIsNoTimeIsRefusedWithTheFormsThatAre)
{
  EXPECT_NE (refusal_of ("-1").find ("cannot be negative"),
      std::string::npos);
  for (const char *bad : {"", "+1", "abc", "1.5x", "s", "ms", "inf",
          "nan", "1e3", "1:2:3:4", "1.5:30", ":30", "1:", "1::2", "1 s"})
    EXPECT_NE (refusal_of (bad).find ("1:30"), std::string::npos) << bad;
  EXPECT_NE (refusal_of ("1:75").find ("below 60"), std::string::npos);
  EXPECT_NE (refusal_of ("1:60:00").find ("below 60"), std::string::npos);
}

TEST (TextFormat, MarkupIsEscaped)
{
  EXPECT_EQ (markup_text ("a<b> & \"c\" 'd'"),
      "a&lt;b&gt; &amp; &quot;c&quot; &#39;d&#39;");
  EXPECT_EQ (markup_text (std::string ("x\x01y\tz", 5)), "xy\tz");
  EXPECT_EQ (markup_text ("\xff"), "\xef\xbf\xbd");
}

TEST (TextFormat, ListsHaveAPathALine)
{
  EXPECT_EQ (list_lines ("a.mp4\r\n\ncam 2/b.mp4\n  \nc"),
      (std::vector<std::string> {"a.mp4", "cam 2/b.mp4", "  ", "c"}));
  EXPECT_TRUE (list_lines ("\n\n").empty ());
}

TEST (TextFormat, SizesReadAsPeopleWriteThem)
{
  EXPECT_EQ (size_text (812), "812 B");
  EXPECT_EQ (size_text (3565158), "3.4 MiB");
  EXPECT_EQ (size_text (1319413953331ull), "1.2 TiB");
}
