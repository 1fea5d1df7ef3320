/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Restarting a run that was stopped half-way (a worker killed, a node
 * lost): an input whose report shows it was done, by the same command and
 * options, from the input as it is now, with every file it wrote still as
 * it was written, is not done again; an input the earlier run did not
 * finish is done again, replacing only the files that run wrote. Anything
 * else is left to the usual rule: an existing file needs --force.
 * No GLib types; unit-tested in tests/unit/test_resume.cpp. */
#pragma once

#include "report.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace stillframe::cli {

enum class ResumeVerdict {
  Unrelated,    /* not this input's report (or no provenance): the usual
                 * rules */
  Done,         /* skip the input */
  Redo,         /* do it again; `own_files` may be replaced */
  Stale,        /* this input's, from another state of it or other
                 * options: redone only with --force */
};

struct ResumeDecision {
  ResumeVerdict verdict = ResumeVerdict::Unrelated;
  /* Redo: the earlier run's files that are still as it wrote them. */
  std::vector<std::string> own_files;
  std::string why;              /* Redo and Stale: for messages */
};

/* A file's size now, or nullopt when there is none. */
using SizeOf = std::function<std::optional<std::uint64_t> (
    const std::string &)>;

/* What to do with `input`, whose report from an earlier run is `earlier`,
 * now that the run would do it with `now`. */
ResumeDecision judge_resume (const ReportData &earlier,
    const std::string &input, const Provenance &now, const SizeOf &size_of);

}  // namespace stillframe::cli
