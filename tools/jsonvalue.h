/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading back the JSON stillframe writes (its reports, for resuming a run
 * and for `stillframe summary`): a strict RFC 8259 parser into a tree,
 * with numbers kept as written so that 64-bit integers stay exact.
 * No GLib types; unit-tested in tests/unit/test_jsonvalue.cpp. */
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace stillframe::cli {

class JsonValue {
public:
  enum class Type { Null, Bool, Number, String, Array, Object };

  /* Throws std::invalid_argument naming what is wrong and where. */
  static JsonValue parse (const std::string &text);

  Type type () const { return type_; }
  bool is (Type type) const { return type_ == type; }

  /* A member of an object, or nullptr (also when this is no object). */
  const JsonValue *get (const std::string &key) const;
  const std::vector<JsonValue> &items () const { return items_; }
  const std::vector<std::pair<std::string, JsonValue>> &members () const
  {
    return members_;
  }

  /* The value, when it is of that type (and for as_u64 and as_i64 a whole
   * number that fits), or nullopt. */
  std::optional<bool> as_bool () const;
  std::optional<double> as_number () const;
  std::optional<std::uint64_t> as_u64 () const;
  std::optional<std::int64_t> as_i64 () const;
  std::optional<std::string> as_string () const;

  /* Shorthands for an object's member of that type. */
  std::string string_at (const std::string &key,
      const std::string &otherwise = "") const;
  double number_at (const std::string &key, double otherwise = 0) const;
  bool bool_at (const std::string &key, bool otherwise = false) const;

private:
  friend class JsonParser;
  Type type_ = Type::Null;
  bool bool_ = false;
  std::string text_;            /* a string's value, a number as written */
  std::vector<JsonValue> items_;
  std::vector<std::pair<std::string, JsonValue>> members_;
};

}  // namespace stillframe::cli
