/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "shard.h"

#include <algorithm>
#include <charconv>
#include <numeric>
#include <queue>
#include <stdexcept>
#include <tuple>

namespace stillframe::cli {

namespace {

constexpr unsigned kMaxShards = 1000000;

/* A whole number, all of `text`; nullopt otherwise. */
std::optional<unsigned long>
whole (const std::string &text)
{
  unsigned long value = 0;
  const char *end = text.data () + text.size ();
  const auto [at, error] = std::from_chars (text.data (), end, value);
  if (text.empty () || error != std::errc () || at != end)
    return std::nullopt;
  return value;
}

unsigned
shard_count (const std::string &text, const std::string &what)
{
  const auto count = whole (text);
  if (!count || *count < 1 || *count > kMaxShards)
    throw std::invalid_argument (what + " '" + text + "' must be a whole "
        "number from 1 to " + std::to_string (kMaxShards));
  return (unsigned) *count;
}

/* A variable's whole value, or nullopt when it is not set; throws when it
 * is set to something else. */
std::optional<unsigned long>
variable (const Environment &env, const char *name)
{
  const char *value = env (name);
  if (!value)
    return std::nullopt;
  const auto number = whole (value);
  if (!number)
    throw std::invalid_argument (std::string (name) + " is '" + value +
        "', not a whole number");
  return number;
}

/* This task's place in a Slurm array job, or nullopt outside one. */
std::optional<Shard>
slurm_task (const Environment &env)
{
  const auto id = variable (env, "SLURM_ARRAY_TASK_ID");
  if (!id)
    return std::nullopt;
  const auto count = variable (env, "SLURM_ARRAY_TASK_COUNT");
  const auto first = variable (env, "SLURM_ARRAY_TASK_MIN");
  const auto step = variable (env, "SLURM_ARRAY_TASK_STEP");
  if (!count || !first)
    throw std::invalid_argument ("SLURM_ARRAY_TASK_ID is set but "
        "SLURM_ARRAY_TASK_COUNT or SLURM_ARRAY_TASK_MIN is not");
  const unsigned long stride = step && *step > 0 ? *step : 1;
  /* --array=0-9 or 1-10:2 give tasks in steps; a list such as 1,4,9 has
   * no step that places every task, so it cannot be split. */
  if (*id < *first || (*id - *first) % stride != 0
      || (*id - *first) / stride >= *count || *count > kMaxShards)
    throw std::invalid_argument ("the Slurm array task " +
        std::to_string (*id) + " is not one of " + std::to_string (*count) +
        " evenly spaced tasks from " + std::to_string (*first) + ": submit "
        "the array as a range, such as --array=0-" + std::to_string (*count
            - 1));
  return Shard {(unsigned) ((*id - *first) / stride), (unsigned) *count,
    "Slurm array task " + std::to_string (*id)};
}

}  // namespace

Shard
parse_shard (const std::string &text, const Environment &env)
{
  const std::size_t slash = text.find ('/');
  const std::string first = text.substr (0, slash);
  if (first == "auto") {
    if (slash == std::string::npos) {
      if (const auto task = slurm_task (env))
        return *task;
      throw std::invalid_argument ("--shard auto: not a task of a Slurm "
          "array job (SLURM_ARRAY_TASK_ID is not set); in a Kubernetes "
          "Indexed Job give the count, --shard auto/N, or give --shard I/N");
    }
    const unsigned count = shard_count (text.substr (slash + 1),
        "--shard auto/N: N");
    if (const auto index = variable (env, "JOB_COMPLETION_INDEX")) {
      if (*index >= count)
        throw std::invalid_argument ("JOB_COMPLETION_INDEX is " +
            std::to_string (*index) + ", not below --shard auto/" +
            std::to_string (count) + ": the Job's completions and N must "
            "be equal");
      return Shard {(unsigned) *index, count, "Kubernetes completion index "
            + std::to_string (*index)};
    }
    /* In Slurm, the task's own ID is the part, so that one task of
     * --array=0-(N-1) can be submitted again alone (--array=ID). */
    if (const auto id = variable (env, "SLURM_ARRAY_TASK_ID")) {
      if (*id >= count)
        throw std::invalid_argument ("the Slurm array task ID is " +
            std::to_string (*id) + ", not below --shard auto/" +
            std::to_string (count) + ": submit the array as --array=0-" +
            std::to_string (count - 1));
      return Shard {(unsigned) *id, count, "Slurm array task " +
            std::to_string (*id)};
    }
    throw std::invalid_argument ("--shard auto/" + std::to_string (count) +
        ": neither JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) nor "
        "SLURM_ARRAY_TASK_ID (a Slurm array job) is set");
  }
  if (slash == std::string::npos)
    throw std::invalid_argument ("--shard '" + text + "' must be I/N (this "
        "worker's part I of N, from 1), auto or auto/N");
  const unsigned count = shard_count (text.substr (slash + 1),
      "--shard I/N: N");
  const auto index = whole (first);
  if (!index || *index < 1 || *index > count)
    throw std::invalid_argument ("--shard " + text + ": I must be a whole "
        "number from 1 to " + std::to_string (count) + " (parts count from "
        "1)");
  return Shard {(unsigned) *index - 1, count, "--shard"};
}

std::vector<unsigned>
assign_shards (const std::vector<ShardItem> &items, unsigned count)
{
  std::vector<std::size_t> order (items.size ());
  std::iota (order.begin (), order.end (), 0);
  std::sort (order.begin (), order.end (), [&] (std::size_t a,
          std::size_t b) {
        return std::tie (items[b].bytes, items[a].name) <
            std::tie (items[a].bytes, items[b].name);
      });
  /* The least loaded shard on top: (bytes, index), smallest first. */
  using Load = std::pair<std::uint64_t, unsigned>;
  std::priority_queue<Load, std::vector<Load>, std::greater<Load>> loads;
  for (unsigned s = 0; s < std::max (count, 1u); s++)
    loads.push ({0, s});
  std::vector<unsigned> shard_of (items.size ());
  for (std::size_t i : order) {
    Load least = loads.top ();
    loads.pop ();
    shard_of[i] = least.second;
    /* An empty input still counts as one byte, so that many of them are
     * spread too. */
    least.first += std::max<std::uint64_t> (items[i].bytes, 1);
    loads.push (least);
  }
  return shard_of;
}

}  // namespace stillframe::cli
