/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Planning a run before anything is read or written: the inputs a command
 * line names (files, FIFOs, file:// URIs, folders, standard input), the
 * paths each one writes, and every way those paths could harm a file the
 * user owns. No GLib types; unit-tested in tests/unit/test_plan.cpp. */
#pragma once

#include "job.h"
#include "options.h"

#include <memory>
#include <string>
#include <vector>

namespace stillframe::cli {

/* ".mp4" for "dir/a.MP4"; "" without one. */
std::string extension_of (const std::string &path);
/* The muxer writing an output with this name, or nullptr. */
const char *muxer_for (const std::string &path);
/* A name a folder input's video files have. */
bool is_video_file (const std::string &path);
/* "a" for "dir/a.mp4". */
std::string stem_of (const std::string &path);

/* The names of inputs (absolute paths) in an output folder, without their
 * extensions: each one's path from the folder they all share ("a" for the
 * only input /v/a.mp4; "cam1/10" and "cam2/10" for /v/cam1/10.mp4 and
 * /v/cam2/10.mp4). */
std::vector<std::string> names_in_folder (
    const std::vector<std::string> &paths);

/* A path that will be written, and what it is for (in messages). */
struct Written {
  std::string path, what;
  bool parts = false;           /* --split's NAME-NNNN.EXT family */
};

/* Why the run would harm a file, or "": an output that is an input (by
 * identity: symlinks, hard links, ./a vs d/../a), two outputs that are
 * one file, or a file among an output's --split parts. */
std::string find_conflict (const std::vector<Input> &inputs,
    const std::vector<Written> &written);

/* Why `path` cannot be written (its folder, a file that is no regular
 * file, an existing one without --force), or "". */
std::string write_problem (const std::string &path, bool force,
    bool folder_made_later);

/* The planned jobs, in input order, and the exit code for the problems
 * found (printed); no jobs when a conflict or a problem of the whole run
 * was found. Folders the outputs go to are made once all is checked. */
struct Plan {
  std::vector<std::unique_ptr<Job>> jobs;
  int status = EXIT_DONE;
};
Plan plan_jobs (const Options &options);

}  // namespace stillframe::cli
