/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "resume.h"

namespace stillframe::cli {

namespace {

std::string
first_difference (const Provenance &earlier, const Provenance &now)
{
  if (earlier.command != now.command)
    return "it was made by stillframe " + earlier.command + ", not " +
        now.command;
  if (earlier.input_bytes != now.input_bytes
      || earlier.input_mtime_ns != now.input_mtime_ns)
    return "the input has changed since (its size or modification time)";
  auto missing_from = [] (const auto &options, const auto &option) {
    for (const auto &other : options)
      if (other == option)
        return false;
    return true;
  };
  for (const auto &option : now.options)
    if (missing_from (earlier.options, option))
      return "it was made with other options (" + option.first + ")";
  for (const auto &option : earlier.options)
    if (missing_from (now.options, option))
      return "it was made with other options (" + option.first + ")";
  return "it was made with other options";
}

}  // namespace

ResumeDecision
judge_resume (const ReportData &earlier, const std::string &input,
    const Provenance &now, const SizeOf &size_of)
{
  ResumeDecision d;
  if (earlier.produced_by.command.empty () || earlier.input != input)
    return d;
  if (!earlier.produced_by.same_job (now)) {
    d.verdict = ResumeVerdict::Stale;
    d.why = first_difference (earlier.produced_by, now);
    return d;
  }
  std::string changed;
  for (const WrittenFile &file : earlier.written) {
    const std::optional<std::uint64_t> size = size_of (file.path);
    if (size == file.bytes)
      d.own_files.push_back (file.path);
    else if (changed.empty ())
      changed = file.path + (size ? " has changed since" : " is missing");
  }
  if (input_done (earlier) && changed.empty ()) {
    d.verdict = ResumeVerdict::Done;
    d.own_files.clear ();
    return d;
  }
  d.verdict = ResumeVerdict::Redo;
  d.why = earlier.interrupted ? "it was interrupted" :
      !input_done (earlier) ? "it failed" + (earlier.error.empty ()
          ? std::string () : ": " + earlier.error) : changed;
  return d;
}

}  // namespace stillframe::cli
