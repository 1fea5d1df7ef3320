/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "jsonvalue.h"

#include <charconv>
#include <stdexcept>

namespace stillframe::cli {

/* Recursive descent over the text; depth is bounded so that no input can
 * exhaust the stack. */
class JsonParser {
public:
  explicit JsonParser (const std::string &text) : text_ (text) {}

  JsonValue document ()
  {
    JsonValue value = parse_value (0);
    skip_space ();
    if (at_ != text_.size ())
      fail ("text after the value");
    return value;
  }

private:
  static constexpr int kMaxDepth = 64;

  [[noreturn]] void fail (const std::string &what) const
  {
    throw std::invalid_argument ("not valid JSON: " + what + " at byte " +
        std::to_string (at_));
  }

  void skip_space ()
  {
    while (at_ < text_.size () && (text_[at_] == ' ' || text_[at_] == '\t'
            || text_[at_] == '\n' || text_[at_] == '\r'))
      at_++;
  }

  bool take (char c)
  {
    skip_space ();
    if (at_ < text_.size () && text_[at_] == c) {
      at_++;
      return true;
    }
    return false;
  }

  void expect (char c)
  {
    if (!take (c))
      fail (std::string ("'") + c + "' expected");
  }

  bool take_word (const char *word)
  {
    const std::string w = word;
    if (text_.compare (at_, w.size (), w) != 0)
      return false;
    at_ += w.size ();
    return true;
  }

  JsonValue parse_value (int depth)
  {
    if (depth > kMaxDepth)
      fail ("nested too deep");
    skip_space ();
    if (at_ >= text_.size ())
      fail ("a value expected");
    JsonValue v;
    const char c = text_[at_];
    if (c == '{') {
      at_++;
      v.type_ = JsonValue::Type::Object;
      if (take ('}'))
        return v;
      do {
        skip_space ();
        if (at_ >= text_.size () || text_[at_] != '"')
          fail ("a member name expected");
        std::string key = parse_string ();
        expect (':');
        v.members_.emplace_back (std::move (key), parse_value (depth + 1));
      } while (take (','));
      expect ('}');
    } else if (c == '[') {
      at_++;
      v.type_ = JsonValue::Type::Array;
      if (take (']'))
        return v;
      do
        v.items_.push_back (parse_value (depth + 1));
      while (take (','));
      expect (']');
    } else if (c == '"') {
      v.type_ = JsonValue::Type::String;
      v.text_ = parse_string ();
    } else if (take_word ("true") || take_word ("false")) {
      v.type_ = JsonValue::Type::Bool;
      v.bool_ = c == 't';
    } else if (take_word ("null")) {
      v.type_ = JsonValue::Type::Null;
    } else {
      v.type_ = JsonValue::Type::Number;
      v.text_ = parse_number ();
    }
    return v;
  }

  std::string parse_number ()
  {
    const std::size_t start = at_;
    auto digits = [&] () {
      const std::size_t from = at_;
      while (at_ < text_.size () && text_[at_] >= '0' && text_[at_] <= '9')
        at_++;
      return at_ > from;
    };
    if (at_ < text_.size () && text_[at_] == '-')
      at_++;
    if (at_ < text_.size () && text_[at_] == '0')
      at_++;
    else if (!digits ())
      fail ("a value expected");
    if (at_ < text_.size () && text_[at_] == '.') {
      at_++;
      if (!digits ())
        fail ("digits expected after '.'");
    }
    if (at_ < text_.size () && (text_[at_] == 'e' || text_[at_] == 'E')) {
      at_++;
      if (at_ < text_.size () && (text_[at_] == '+' || text_[at_] == '-'))
        at_++;
      if (!digits ())
        fail ("digits expected in the exponent");
    }
    return text_.substr (start, at_ - start);
  }

  unsigned hex4 ()
  {
    if (at_ + 4 > text_.size ())
      fail ("a \\u escape cut short");
    unsigned value = 0;
    const auto [end, error] = std::from_chars (text_.data () + at_,
        text_.data () + at_ + 4, value, 16);
    if (error != std::errc () || end != text_.data () + at_ + 4)
      fail ("a bad \\u escape");
    at_ += 4;
    return value;
  }

  static void put_utf8 (std::string &out, unsigned code)
  {
    if (code < 0x80) {
      out += (char) code;
    } else if (code < 0x800) {
      out += (char) (0xC0 | code >> 6);
      out += (char) (0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += (char) (0xE0 | code >> 12);
      out += (char) (0x80 | ((code >> 6) & 0x3F));
      out += (char) (0x80 | (code & 0x3F));
    } else {
      out += (char) (0xF0 | code >> 18);
      out += (char) (0x80 | ((code >> 12) & 0x3F));
      out += (char) (0x80 | ((code >> 6) & 0x3F));
      out += (char) (0x80 | (code & 0x3F));
    }
  }

  std::string parse_string ()
  {
    at_++;                      /* the opening quote */
    std::string out;
    for (;;) {
      if (at_ >= text_.size ())
        fail ("a string without its end");
      const char c = text_[at_++];
      if (c == '"')
        return out;
      if ((unsigned char) c < 0x20)
        fail ("a control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (at_ >= text_.size ())
        fail ("a string without its end");
      switch (text_[at_++]) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned code = hex4 ();
          if (code >= 0xD800 && code < 0xDC00) {
            if (!take_word ("\\u"))
              fail ("a lone surrogate");
            const unsigned low = hex4 ();
            if (low < 0xDC00 || low >= 0xE000)
              fail ("a lone surrogate");
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
          } else if (code >= 0xDC00 && code < 0xE000) {
            fail ("a lone surrogate");
          }
          put_utf8 (out, code);
          break;
        }
        default:
          at_--;
          fail ("an unknown escape");
      }
    }
  }

  const std::string &text_;
  std::size_t at_ = 0;
};

JsonValue
JsonValue::parse (const std::string &text)
{
  return JsonParser (text).document ();
}

const JsonValue *
JsonValue::get (const std::string &key) const
{
  for (const auto &[name, value] : members_)
    if (name == key)
      return &value;
  return nullptr;
}

std::optional<bool>
JsonValue::as_bool () const
{
  return type_ == Type::Bool ? std::optional<bool> (bool_) : std::nullopt;
}

std::optional<double>
JsonValue::as_number () const
{
  if (type_ != Type::Number)
    return std::nullopt;
  double value = 0;
  const auto [end, error] = std::from_chars (text_.data (), text_.data () +
      text_.size (), value);
  if (error != std::errc () || end != text_.data () + text_.size ())
    return std::nullopt;
  return value;
}

namespace {

/* All of `text` as a whole number of type T, or nullopt. */
template <typename T>
std::optional<T>
whole_number (const std::string &text)
{
  T value = 0;
  const auto [end, error] = std::from_chars (text.data (), text.data () +
      text.size (), value);
  if (error != std::errc () || end != text.data () + text.size ())
    return std::nullopt;
  return value;
}

}  // namespace

std::optional<std::uint64_t>
JsonValue::as_u64 () const
{
  return type_ == Type::Number ? whole_number<std::uint64_t> (text_) :
      std::nullopt;
}

std::optional<std::int64_t>
JsonValue::as_i64 () const
{
  return type_ == Type::Number ? whole_number<std::int64_t> (text_) :
      std::nullopt;
}

std::optional<std::string>
JsonValue::as_string () const
{
  return type_ == Type::String ? std::optional<std::string> (text_) :
      std::nullopt;
}

std::string
JsonValue::string_at (const std::string &key, const std::string &otherwise)
    const
{
  const JsonValue *v = get (key);
  return v && v->as_string () ? *v->as_string () : otherwise;
}

double
JsonValue::number_at (const std::string &key, double otherwise) const
{
  const JsonValue *v = get (key);
  return v && v->as_number () ? *v->as_number () : otherwise;
}

bool
JsonValue::bool_at (const std::string &key, bool otherwise) const
{
  const JsonValue *v = get (key);
  return v && v->as_bool () ? *v->as_bool () : otherwise;
}

}  // namespace stillframe::cli
