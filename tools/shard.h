/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Splitting a run's inputs among N independent workers (--shard), so that
 * each input is processed by exactly one of them, wherever they run: every
 * worker computes the same split from the same inputs and their sizes, and
 * keeps its own part. No GLib types; unit-tested in
 * tests/unit/test_shard.cpp. */
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace stillframe::cli {

/* This worker's part: `index` counts from 0, below `count`. */
struct Shard {
  unsigned index = 0, count = 1;
  /* Where the index came from, for messages: "--shard", "Slurm array
   * task", "Kubernetes completion index". */
  std::string source;
};

/* An environment variable's value, or nullptr (getenv, or a test's). */
using Environment = std::function<const char * (const char *)>;

/* Reads --shard's value: "I/N" (I from 1 to N), "auto" (a Slurm array
 * job's task, placed among the array's own: SLURM_ARRAY_TASK_ID, _MIN,
 * _STEP and _COUNT) or "auto/N" (part JOB_COMPLETION_INDEX of a Kubernetes
 * Indexed Job, or part SLURM_ARRAY_TASK_ID of a Slurm array, both counting
 * from 0). Throws std::invalid_argument saying what is wrong. */
Shard parse_shard (const std::string &text, const Environment &env);

/* An input to be placed: its name (the tie-break) and its size in bytes
 * (0 for one that cannot be read: it is still placed, so that exactly one
 * worker reports it). */
struct ShardItem {
  std::string name;
  std::uint64_t bytes = 0;
};

/* The shard of each item, by size: the largest first, each to the shard
 * with the fewest bytes so far (the lowest index on a tie). Depends only on
 * the set of names and sizes, not on their order. */
std::vector<unsigned> assign_shards (const std::vector<ShardItem> &items,
    unsigned count);

}  // namespace stillframe::cli
