/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --shard: every worker of N takes its own part of the same inputs, each
 * input exactly once, balanced by size, from the flag or from what Slurm
 * or Kubernetes tell the worker. */
#include "shard.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <stdexcept>

using namespace stillframe::cli;

namespace {

Environment
environment (std::map<std::string, std::string> variables)
{
  return [variables] (const char *name) -> const char * {
    const auto it = variables.find (name);
    return it == variables.end () ? nullptr : it->second.c_str ();
  };
}

std::string
refusal (const std::string &text, const Environment &env)
{
  try {
    parse_shard (text, env);
  } catch (const std::invalid_argument &e) {
    return e.what ();
  }
  return "";
}

}  // namespace

TEST (Shard, GivenAsPartOfN)
{
  const Environment none = environment ({});
  const Shard s = parse_shard ("2/4", none);
  EXPECT_EQ (s.index, 1u);
  EXPECT_EQ (s.count, 4u);
  EXPECT_EQ (parse_shard ("1/1", none).index, 0u);
  EXPECT_NE (refusal ("0/4", none).find ("from 1 to 4"), std::string::npos);
  EXPECT_NE (refusal ("5/4", none).find ("from 1 to 4"), std::string::npos);
  EXPECT_NE (refusal ("2/0", none).find ("N '0'"), std::string::npos);
  EXPECT_NE (refusal ("2", none).find ("must be I/N"), std::string::npos);
  EXPECT_NE (refusal ("a/b", none), "");
  EXPECT_NE (refusal ("1/4x", none), "");
  EXPECT_NE (refusal ("-1/4", none), "");
}

TEST (Shard, FromASlurmArrayTask)
{
  /* --array=0-2 */
  Shard s = parse_shard ("auto", environment ({{"SLURM_ARRAY_TASK_ID", "2"},
          {"SLURM_ARRAY_TASK_MIN", "0"}, {"SLURM_ARRAY_TASK_COUNT", "3"}}));
  EXPECT_EQ (s.index, 2u);
  EXPECT_EQ (s.count, 3u);
  EXPECT_NE (s.source.find ("Slurm array task 2"), std::string::npos);
  /* --array=1-9:4 gives 1, 5, 9. */
  s = parse_shard ("auto", environment ({{"SLURM_ARRAY_TASK_ID", "5"},
          {"SLURM_ARRAY_TASK_MIN", "1"}, {"SLURM_ARRAY_TASK_STEP", "4"},
          {"SLURM_ARRAY_TASK_COUNT", "3"}}));
  EXPECT_EQ (s.index, 1u);
  EXPECT_EQ (s.count, 3u);
  /* --array=1,4,9 has no step that places task 4. */
  EXPECT_NE (refusal ("auto", environment ({{"SLURM_ARRAY_TASK_ID", "4"},
              {"SLURM_ARRAY_TASK_MIN", "1"}, {"SLURM_ARRAY_TASK_MAX", "9"},
              {"SLURM_ARRAY_TASK_COUNT", "3"}})).find ("--array=0-2"),
      std::string::npos);
  EXPECT_NE (refusal ("auto", environment ({{"SLURM_ARRAY_TASK_ID", "x"}})),
      "");
  /* Outside an array job, auto says what to do. */
  EXPECT_NE (refusal ("auto", environment ({})).find ("auto/N"),
      std::string::npos);
}

TEST (Shard, FromAKubernetesIndexedJob)
{
  const Shard s = parse_shard ("auto/8", environment ({{"JOB_COMPLETION_INDEX",
              "0"}}));
  EXPECT_EQ (s.index, 0u);
  EXPECT_EQ (s.count, 8u);
  EXPECT_NE (refusal ("auto/8", environment ({{"JOB_COMPLETION_INDEX", "8"}}))
      .find ("not below"), std::string::npos);
  EXPECT_NE (refusal ("auto/8", environment ({})).find
      ("JOB_COMPLETION_INDEX"), std::string::npos);
}

TEST (Shard, ASlurmTaskSubmittedAgainAlone)
{
  /* sbatch --array=2 for the third part of 3: the task ID is the part. */
  const Shard s = parse_shard ("auto/3", environment ({
          {"SLURM_ARRAY_TASK_ID", "2"}, {"SLURM_ARRAY_TASK_MIN", "2"},
          {"SLURM_ARRAY_TASK_COUNT", "1"}}));
  EXPECT_EQ (s.index, 2u);
  EXPECT_EQ (s.count, 3u);
  EXPECT_NE (refusal ("auto/3", environment ({{"SLURM_ARRAY_TASK_ID",
                "3"}})).find ("--array=0-2"), std::string::npos);
}

TEST (Shard, EachInputGoesToExactlyOneShardBalancedBySize)
{
  std::mt19937 random (7);
  std::vector<ShardItem> items;
  std::uint64_t total = 0;
  for (int i = 0; i < 500; i++) {
    /* Hourly files: mostly alike, some short, a few huge. */
    const std::uint64_t bytes = i % 50 == 0 ? 4000000000ull :
        500000000ull + random () % 200000000ull;
    items.push_back ({"cam" + std::to_string (i % 20) + "/" +
          std::to_string (i) + ".mp4", bytes});
    total += bytes;
  }
  const unsigned count = 7;
  const std::vector<unsigned> shard_of = assign_shards (items, count);
  ASSERT_EQ (shard_of.size (), items.size ());
  std::vector<std::uint64_t> load (count, 0);
  for (std::size_t i = 0; i < items.size (); i++) {
    ASSERT_LT (shard_of[i], count);
    load[shard_of[i]] += items[i].bytes;
  }
  /* Greedy by size: no shard is more than the largest input above the
   * mean. */
  const std::uint64_t most = *std::max_element (load.begin (), load.end ());
  const std::uint64_t least = *std::min_element (load.begin (), load.end ());
  EXPECT_LE (most - least, 4000000000ull);
  EXPECT_LT ((double) most / ((double) total / count), 1.1);

  /* The same split whatever order the inputs were listed in. */
  std::vector<std::size_t> order (items.size ());
  for (std::size_t i = 0; i < order.size (); i++)
    order[i] = i;
  std::shuffle (order.begin (), order.end (), random);
  std::vector<ShardItem> shuffled;
  for (std::size_t i : order)
    shuffled.push_back (items[i]);
  const std::vector<unsigned> again = assign_shards (shuffled, count);
  for (std::size_t k = 0; k < order.size (); k++)
    EXPECT_EQ (again[k], shard_of[order[k]]);
}

TEST (Shard, EmptyInputsAreSpreadToo)
{
  /* Inputs that cannot be read count as one byte each. */
  const std::vector<unsigned> shard_of = assign_shards ({{"a", 0}, {"b", 0},
          {"c", 0}, {"d", 0}}, 2);
  EXPECT_EQ (std::count (shard_of.begin (), shard_of.end (), 0u), 2);
  /* More shards than inputs: some have none. */
  const std::vector<unsigned> few = assign_shards ({{"a", 10}}, 3);
  EXPECT_EQ (few, (std::vector<unsigned> {0}));
}
