/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "plan.h"

#include "jsonvalue.h"
#include "resume.h"
#include "textformat.h"

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <glib/gstdio.h>
#include <gst/gst.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <map>

namespace stillframe::cli {

namespace {

constexpr const char *kVideoExtensions[] = {
  ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".ts", ".mts", ".m2ts",
  ".mpg", ".mpeg", ".flv", ".3gp", ".wmv", ".ogv",
};

bool
names_folder (const std::string &path)
{
  return (!path.empty () && path.back () == '/')
      || g_file_test (path.c_str (), G_FILE_TEST_IS_DIR);
}

std::string
in_folder (const std::string &folder, const std::string &name)
{
  return folder + (folder.back () == '/' ? "" : "/") + name;
}

}  // namespace

std::string
extension_of (const std::string &path)
{
  const std::size_t dot = path.rfind ('.'), slash = path.rfind ('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash))
    return "";
  gchar *lower = g_ascii_strdown (path.c_str () + dot, -1);
  std::string ext = lower;
  g_free (lower);
  return ext;
}

const char *
muxer_for (const std::string &path)
{
  const std::string ext = extension_of (path);
  if (ext == ".mp4" || ext == ".m4v")
    return "mp4mux";
  if (ext == ".mov")
    return "qtmux";
  if (ext == ".mkv")
    return "matroskamux";
  return nullptr;
}

bool
is_video_file (const std::string &path)
{
  const std::string ext = extension_of (path);
  for (const char *e : kVideoExtensions)
    if (ext == e)
      return true;
  return false;
}

std::string
stem_of (const std::string &path)
{
  gchar *base = g_path_get_basename (path.c_str ());
  std::string stem = base;
  g_free (base);
  const std::size_t dot = stem.rfind ('.');
  return dot == std::string::npos || dot == 0 ? stem : stem.substr (0, dot);
}

std::vector<std::string>
names_in_folder (const std::vector<std::string> &paths)
{
  auto folders_of = [] (const std::string &path) {
    std::vector<std::string> parts;
    std::size_t at = 0;
    for (std::size_t slash; (slash = path.find ('/', at)) !=
        std::string::npos; at = slash + 1)
      parts.push_back (path.substr (at, slash - at));
    return parts;
  };
  std::size_t shared = SIZE_MAX;
  std::vector<std::string> common;
  for (const std::string &path : paths) {
    const std::vector<std::string> folders = folders_of (path);
    if (shared == SIZE_MAX) {
      common = folders;
      shared = folders.size ();
    }
    std::size_t same = 0;
    while (same < shared && same < folders.size ()
        && folders[same] == common[same])
      same++;
    shared = same;
  }
  std::vector<std::string> names;
  for (const std::string &path : paths) {
    std::size_t at = 0;
    for (std::size_t i = 0; i < shared; i++)
      at = path.find ('/', at) + 1;
    const std::string relative = path.substr (at);
    const std::size_t slash = relative.rfind ('/');
    const std::string folder = slash == std::string::npos ? "" :
        relative.substr (0, slash + 1);
    names.push_back (folder + stem_of (relative));
  }
  return names;
}

/* Why the run would harm a file, or "": an output that is an input (by
 * identity: symlinks, hard links, ./a vs d/../a), two outputs that are
 * one file, or a file among an output's --split parts. Maps of
 * identities and part families: one lookup per path, whatever the batch. */
std::string
find_conflict (const std::vector<Input> &inputs,
    const std::vector<Written> &written)
{
  std::map<std::string, std::string> taken;     /* identity -> what */
  std::map<std::string, const Written *> families;
  for (const Input &input : inputs) {
    if (input.kind != Input::Kind::Stdin)
      taken.emplace (file_key (input.path).text (), "the input " +
          input.name);
    else if (const FileKey key = file_key_of_fd (STDIN_FILENO); key.exists)
      taken.emplace (key.text (), "standard input");
  }
  for (const Written &w : written) {
    if (!w.parts)
      continue;
    const auto [it, fresh] = families.emplace (parts_family (w.path), &w);
    if (!fresh)
      return it->second->what + " and " + w.what + " would both be written "
          "to " + part_path (w.path, 1) + ", ...";
  }
  auto family_of = [&] (const std::string &path) -> const Written * {
    const std::string family = part_family (path);
    const auto it = family.empty () ? families.end () :
        families.find (family);
    return it == families.end () ? nullptr : it->second;
  };
  for (const Input &input : inputs)
    if (input.kind != Input::Kind::Stdin)
      if (const Written *family = family_of (input.path))
        return input.path + " (a part of " + family->what + ") would "
            "overwrite the input " + input.name + ": choose another name";
  for (const Written &w : written) {
    if (w.parts)
      continue;
    const auto [it, fresh] = taken.emplace (file_key (w.path).text (),
        w.what);
    if (!fresh)
      return it->second.compare (0, 9, "the input") == 0
          || it->second == "standard input" ? w.path + " (" + w.what +
          ") would overwrite " + it->second + ": choose another name" :
          it->second + " and " + w.what + " would both be written to " +
          w.path;
    if (const Written *family = family_of (w.path))
      return w.path + " (" + w.what + ") would be replaced by a part of "
          + family->what + ": choose another name";
  }
  return "";
}

/* Why `path` cannot be written (its folder, a file that is no regular
 * file, an existing one without --force), or "". */
std::string
write_problem (const std::string &path, bool force, bool folder_made_later)
{
  const std::string hint = g_str_has_prefix (path.c_str (), "/dev/")
      || g_str_has_prefix (path.c_str (), "/proc/") ?
      " (- is standard output)" : "";
  struct stat st;
  if (lstat (path.c_str (), &st) == 0 && S_ISLNK (st.st_mode))
    return path + " is a symbolic link: name the file itself (nothing is "
        "written through links)" + hint;
  if (stat (path.c_str (), &st) == 0 && !S_ISREG (st.st_mode))
    return path + " is not a regular file" + std::string (S_ISDIR
        (st.st_mode) ? " but a folder" : "") + ": nothing is written "
        "through it" + hint;
  if (!force && name_taken (path))
    return path + " exists (use --force to overwrite)";
  gchar *folder = g_path_get_dirname (path.c_str ());
  std::string problem;
  if (!folder_made_later) {
    if (!g_file_test (folder, G_FILE_TEST_IS_DIR))
      problem = "folder " + std::string (folder) + " does not exist";
    else if (access (folder, W_OK) != 0)
      problem = "folder " + std::string (folder) + " is not writable";
  }
  g_free (folder);
  return problem;
}

namespace {

/* The folder `path` would be written in does not exist yet. */
bool
folder_missing (const std::string &path)
{
  gchar *folder = g_path_get_dirname (path.c_str ());
  const bool missing = !g_file_test (folder, G_FILE_TEST_IS_DIR);
  g_free (folder);
  return missing;
}

/* An input found on the command line, in a folder or in --from-list, and
 * what is wrong with it ("": nothing), reported by the shard it falls to. */
struct Candidate {
  Input input;
  std::string problem;
  std::uint64_t bytes = 0;
  std::int64_t mtime_ns = 0;
  bool mine = true;             /* in this worker's shard */

  void take_size_and_time (const struct stat &st)
  {
    bytes = (std::uint64_t) st.st_size;
    mtime_ns = (std::int64_t) st.st_mtim.tv_sec * 1000000000 +
        st.st_mtim.tv_nsec;
  }
};

/* --from-list's paths, after those on the command line; false (said)
 * when the list cannot be read. */
bool
read_input_list (const std::string &list, std::vector<std::string> &given)
{
  std::string text;
  const std::string problem = read_whole_file (list, &text);
  if (!problem.empty ()) {
    std::fprintf (stderr, "stillframe: --from-list %s: %s\n", list.c_str (),
        problem.c_str ());
    return false;
  }
  const std::vector<std::string> lines = list_lines (text);
  given.insert (given.end (), lines.begin (), lines.end ());
  const std::size_t listed = lines.size ();
  if (listed == 0) {
    std::fprintf (stderr, "stillframe: --from-list %s: names no input\n",
        list.c_str ());
    return false;
  }
  return true;
}

/* The inputs named: files, FIFOs, file:// URIs, folders, standard input.
 * Problems of the whole run are said here (returned as the exit code);
 * those of one input are left in its candidate. */
int
find_inputs (const std::vector<std::string> &all_given,
    std::vector<Candidate> &found_inputs)
{
  int status = EXIT_DONE;
  bool stdin_used = false;
  for (const std::string &given : all_given) {
    Candidate c;
    Input &input = c.input;
    input.name = given;
    input.path = given;
    if (given == "-") {
      if (stdin_used || isatty (STDIN_FILENO)) {
        std::fprintf (stderr, "stillframe: -: %s\n", stdin_used ?
            "standard input can be read once only" : "standard input is a "
            "terminal: pipe a video into it");
        return EXIT_BAD_INPUT;
      }
      stdin_used = true;
      input.kind = Input::Kind::Stdin;
      input.path.clear ();
      found_inputs.push_back (c);
      continue;
    }
    if (gst_uri_is_valid (given.c_str ()) && given.find ("://") !=
        std::string::npos) {
      gchar *file = g_str_has_prefix (given.c_str (), "file:") ?
          g_filename_from_uri (given.c_str (), NULL, NULL) : NULL;
      if (!file) {
        c.problem = "not an input stillframe reads (files, file:// URIs, "
            "folders and - for standard input)";
        found_inputs.push_back (c);
        continue;
      }
      input.path = file;
      g_free (file);
    }
    struct stat st;
    if (stat (input.path.c_str (), &st) == 0 && S_ISDIR (st.st_mode)) {
      GDir *dir = g_dir_open (input.path.c_str (), 0, NULL);
      std::vector<std::string> found;
      while (const gchar *name = dir ? g_dir_read_name (dir) : NULL) {
        const std::string path = in_folder (input.path, name);
        if (is_video_file (path) && g_file_test (path.c_str (),
                G_FILE_TEST_IS_REGULAR))
          found.push_back (path);
      }
      if (dir)
        g_dir_close (dir);
      std::sort (found.begin (), found.end ());
      if (found.empty ()) {
        std::fprintf (stderr, "stillframe: %s: no video files in this "
            "folder\n", given.c_str ());
        status = EXIT_BAD_INPUT;
      }
      for (const std::string &path : found) {
        Candidate file;
        file.input = {path, Input::Kind::File, path};
        if (stat (path.c_str (), &st) == 0)
          file.take_size_and_time (st);
        found_inputs.push_back (file);
      }
      continue;
    }
    if (stat (input.path.c_str (), &st) != 0)
      c.problem = errno == ENOENT ? "no such file" : g_strerror (errno);
    else if (access (input.path.c_str (), R_OK) != 0)
      c.problem = "cannot be read (permission denied)";
    else if (S_ISFIFO (st.st_mode) || S_ISCHR (st.st_mode))
      input.kind = Input::Kind::Pipe;
    else if (!S_ISREG (st.st_mode))
      c.problem = "not a file that can be read";
    else
      c.take_size_and_time (st);
    found_inputs.push_back (c);
  }
  return status;
}

/* Marks this worker's part of the inputs (all of them without --shard). */
int
mark_shard (const Options &o, std::vector<Candidate> &candidates)
{
  if (!o.shard)
    return EXIT_DONE;
  for (const Candidate &c : candidates)
    if (c.input.kind != Input::Kind::File && c.problem.empty ()) {
      std::fprintf (stderr, "stillframe: --shard: %s is not a file, and a "
          "pipe can be read by one worker only\n", c.input.name.c_str ());
      return EXIT_BAD_INPUT;
    }
  std::vector<ShardItem> items;
  std::uint64_t total = 0, bytes = 0;
  for (const Candidate &c : candidates) {
    items.push_back ({c.input.name, c.bytes});
    total += c.bytes;
  }
  const std::vector<unsigned> shard_of = assign_shards (items,
      o.shard->count);
  std::size_t count = 0;
  for (std::size_t i = 0; i < candidates.size (); i++) {
    candidates[i].mine = shard_of[i] == o.shard->index;
    if (candidates[i].mine) {
      count++;
      bytes += candidates[i].bytes;
    }
  }
  if (!o.quiet)
    std::fprintf (stderr, "stillframe: shard %u/%u (%s): %zu of %zu inputs, "
        "%s of %s\n", o.shard->index + 1, o.shard->count,
        o.shard->source.c_str (), count, candidates.size (),
        size_text (bytes).c_str (), size_text (total).c_str ());
  return EXIT_DONE;
}

/* Every option that shapes what a job writes, as its report records them
 * (the run's own files, the parallelism and the shard do not). */
std::vector<std::pair<std::string, std::string>>
options_of (const Job &job)
{
  const Options &o = *job.options;
  std::vector<std::pair<std::string, std::string>> options;
  if (o.trim) {
    options.emplace_back ("output", job.output);
    if (o.split)
      options.emplace_back ("split", "true");
    if (o.copy)
      options.emplace_back ("copy", "true");
    else {
      options.emplace_back ("quality", std::to_string (o.quality));
      options.emplace_back ("preset", o.preset);
    }
  }
  if (o.fast)
    options.emplace_back ("fast", "true");
  if (o.has_range ()) {
    options.emplace_back ("start", fixed_seconds (o.range_start));
    options.emplace_back ("end", o.range_end >= 0 ? fixed_seconds
        (o.range_end) : "end");
  }
  options.insert (options.end (), o.detect_props.begin (),
      o.detect_props.end ());
  options.insert (options.end (), o.cut_props.begin (), o.cut_props.end ());
  if (!job.scores_path.empty ())
    options.emplace_back ("scores", job.scores_path);
  if (!job.html_path.empty ())
    options.emplace_back ("html", job.html_path);
  return options;
}

/* What the job's report will say produced it, and the creation time its
 * output takes: the input's own (an MP4/MOV movie header's), or else the
 * time the input was last written, so that the same input gives the same
 * file, byte for byte, whenever and wherever it is done. */
void
describe_origin (Job &job, std::uint64_t bytes, std::int64_t mtime_ns)
{
  Provenance &p = job.provenance;
  p.command = job.options->trim ? "trim" : "scan";
  p.version = VERSION;
  p.input_bytes = bytes;
  p.input_mtime_ns = mtime_ns;
  p.options = options_of (job);
  const std::string ext = extension_of (job.input.path);
  const std::int64_t recorded = ext == ".mp4" || ext == ".m4v"
      || ext == ".mov" || ext == ".3gp" ?
      movie_creation_time (job.input.path) : -1;
  job.creation_time = recorded >= 0 ? recorded : mtime_ns / 1000000000;
}

/* Whether the job's report from an earlier run lets it be skipped or done
 * again (resume.h); says so. Not when the run writes files of its own
 * (--csv, --timeline, --html's index), which a skipped input would be
 * missing from. */
ResumeVerdict
resume_verdict (Job &job, bool run_files)
{
  const std::string &report = job.report_path;
  if (job.options->force || run_files || report.empty () || report == "-"
      || job.provenance.command.empty () || !name_taken (report))
    return ResumeVerdict::Unrelated;
  std::string text;
  ResumeDecision decision;
  if (!read_whole_file (report, &text, kMaxReportBytes).empty ())
    return ResumeVerdict::Unrelated;
  try {
    const ReportData earlier = read_report (JsonValue::parse (text));
    decision = judge_resume (earlier, job.input.name, job.provenance,
        [] (const std::string &path) -> std::optional<std::uint64_t> {
          GStatBuf file;
          if (g_lstat (path.c_str (), &file) != 0 || !S_ISREG (file.st_mode))
            return std::nullopt;
          return (std::uint64_t) file.st_size;
        });
  } catch (const std::invalid_argument &) {
    /* Not a report of ours: the usual rule for an existing file. */
  }
  const char *name = job.input.name.c_str ();
  switch (decision.verdict) {
    case ResumeVerdict::Done:
      if (!job.options->quiet)
        std::fprintf (stderr, "%s: done already (%s), skipped\n", name,
            report.c_str ());
      break;
    case ResumeVerdict::Redo:
      job.own_files = decision.own_files;
      job.own_files.push_back (report);
      if (!job.options->quiet)
        std::fprintf (stderr, "%s: done again: the earlier run's report says "
            "%s\n", name, decision.why.c_str ());
      break;
    case ResumeVerdict::Stale:
      std::fprintf (stderr, "stillframe: %s: report %s exists, but %s (use "
          "--force to do it again)\n", name, report.c_str (),
          decision.why.c_str ());
      break;
    case ResumeVerdict::Unrelated:
      break;
  }
  return decision.verdict;
}

/* Expands folders, names what each input writes, and checks everything;
 * jobs for inputs without problems go to `pending`. */
int
plan_into (const Options &o, std::vector<std::unique_ptr<Job>> &pending)
{
  std::vector<std::string> given = o.inputs;
  if (!o.from_list.empty () && !read_input_list (o.from_list, given))
    return EXIT_BAD_INPUT;
  std::vector<Candidate> candidates;
  int status = find_inputs (given, candidates);
  if (status != EXIT_DONE && candidates.empty ())
    return status;
  /* How outputs are named is decided by all the inputs, whichever part
   * this worker does. */
  const bool many = std::count_if (candidates.begin (), candidates.end (),
      [] (const Candidate &c) { return c.problem.empty (); }) > 1
      || std::any_of (given.begin (), given.end (),
          [] (const std::string &g) {
            return g_file_test (g.c_str (), G_FILE_TEST_IS_DIR);
          });
  if (const int shard_status = mark_shard (o, candidates); shard_status)
    return shard_status;
  /* Every input is planned, so that clashes between shards are found; only
   * this shard's problems are said, and only its jobs kept. */
  std::vector<Input> inputs;
  std::vector<const Candidate *> planned;
  for (const Candidate &c : candidates) {
    if (c.problem.empty ()) {
      inputs.push_back (c.input);
      planned.push_back (&c);
    } else if (c.mine) {
      std::fprintf (stderr, "stillframe: %s: %s\n", c.input.name.c_str (),
          c.problem.c_str ());
      status = EXIT_BAD_INPUT;
    }
  }
  if (inputs.empty ())
    return status == EXIT_DONE && !o.shard ? EXIT_BAD_INPUT : status;
  for (const Input &input : inputs)
    if (o.has_range () && input.kind != Input::Kind::File) {
      std::fprintf (stderr, "stillframe: --start and --end: %s is not a "
          "file, so it cannot be sought in\n", input.name.c_str ());
      return EXIT_BAD_INPUT;
    }
  for (const Input &input : inputs)
    if (!o.timeline.empty () && input.kind != Input::Kind::File) {
      std::fprintf (stderr, "stillframe: --timeline: %s is not a file, so an "
          "editor cannot open it\n", input.name.c_str ());
      return EXIT_BAD_INPUT;
    }

  /* What each input writes: one file, or a folder of them when there are
   * several inputs, one was a folder, or the option names a folder. */
  const bool output_folder = o.trim && (many || names_folder (o.output));
  /* Each input's own side files: one file, or a folder of them. */
  struct SideFile {
    const std::string &given;
    const char *option, *extension, *what;
    std::string Job::*path;
    bool folder;
  };
  std::vector<SideFile> sides = {
    {o.report, "--report", ".json", "report", &Job::report_path, false},
    {o.scores, "--scores", ".csv", "scores", &Job::scores_path, false},
    {o.html, "--html", ".html", "HTML report", &Job::html_path, false},
  };
  for (SideFile &side : sides)
    side.folder = !side.given.empty () && side.given != "-"
        && (many || names_folder (side.given));
  if (o.trim && !output_folder && !muxer_for (o.output)) {
    std::fprintf (stderr, "stillframe: output %s: unknown container (use "
        ".mp4, .mkv or .mov)\n", o.output.c_str ());
    return EXIT_BAD_INPUT;
  }
  /* Names in an output folder: the inputs' own paths from the folder they
   * share, so that cam1/10.mp4 and cam2/10.mp4 do not clash. */
  std::vector<std::string> files;
  for (const Input &input : inputs)
    if (input.kind != Input::Kind::Stdin) {
      gchar *absolute = g_canonicalize_filename (input.path.c_str (), NULL);
      files.push_back (absolute);
      g_free (absolute);
    }
  const std::vector<std::string> file_names = names_in_folder (files);
  std::vector<std::unique_ptr<Job>> jobs;
  std::vector<Written> written;
  for (std::size_t i = 0, file = 0; i < inputs.size (); i++) {
    const Input &input = inputs[i];
    auto job = std::make_unique<Job> ();
    job->options = &o;
    job->input = input;
    const std::string stem = input.kind == Input::Kind::Stdin ? "stdin" :
        file_names[file++];
    if (o.trim) {
      job->output = output_folder ? in_folder (o.output, stem +
          (extension_of (input.path) == ".mkv" ? ".mkv" : ".mp4")) :
          o.output;
      written.push_back ({job->output, many ? "the output of " + input.name :
            "-o", o.split});
    }
    for (const SideFile &side : sides) {
      if (side.given.empty ())
        continue;
      std::string &path = (*job).*side.path;
      path = side.folder ? in_folder (side.given, stem + side.extension) :
          side.given;
      if (path != "-")
        written.push_back ({path, many ? std::string ("the ") + side.what +
              " of " + input.name : side.option});
    }
    /* Another shard's: its paths are checked, it is not kept. */
    if (!planned[i]->mine)
      continue;
    if (input.kind == Input::Kind::File)
      describe_origin (*job, planned[i]->bytes, planned[i]->mtime_ns);
    jobs.push_back (std::move (job));
  }
  /* The run's own files. */
  for (const std::string *own : {&o.csv, &o.timeline})
    if (!own->empty () && *own != "-")
      written.push_back ({*own, own == &o.csv ? "--csv" : "--timeline"});
  /* The index of several inputs' pages. */
  const bool html_folder = sides[2].folder && !o.shard;
  if (html_folder)
    written.push_back ({in_folder (o.html, "index.html"), "--html's index"});

  const std::string conflict = find_conflict (inputs, written);
  if (!conflict.empty ()) {
    std::fprintf (stderr, "stillframe: %s; nothing was written\n",
        conflict.c_str ());
    return EXIT_BAD_INPUT;
  }
  /* The run's own files: they fail the run as a whole. */
  for (const auto &[given, option] : {std::pair (&o.csv, "--csv"),
          std::pair (&o.timeline, "--timeline")}) {
    if (given->empty () || *given == "-")
      continue;
    const std::string problem = write_problem (*given, o.force, false);
    if (!problem.empty ()) {
      std::fprintf (stderr, "stillframe: %s %s\n", option, problem.c_str ());
      return EXIT_BAD_INPUT;
    }
  }
  for (const SideFile &side : sides)
    if (side.folder && g_file_test (side.given.c_str (), G_FILE_TEST_EXISTS)
        && !g_file_test (side.given.c_str (), G_FILE_TEST_IS_DIR)) {
      std::fprintf (stderr, "stillframe: %s %s: with several inputs it names "
          "a folder, and this is a file\n", side.option, side.given.c_str ());
      return EXIT_BAD_INPUT;
    }
  if (html_folder) {
    const std::string problem = write_problem (in_folder (o.html,
            "index.html"), o.force, !g_file_test (o.html.c_str (),
            G_FILE_TEST_IS_DIR));
    if (!problem.empty ()) {
      std::fprintf (stderr, "stillframe: --html %s\n", problem.c_str ());
      return EXIT_BAD_INPUT;
    }
  }
  if (output_folder && g_file_test (o.output.c_str (), G_FILE_TEST_EXISTS)
      && !g_file_test (o.output.c_str (), G_FILE_TEST_IS_DIR)) {
    std::fprintf (stderr, "stillframe: with several inputs, -o must be a "
        "folder: %s\n", o.output.c_str ());
    return EXIT_BAD_INPUT;
  }
  /* Each input's own files: a problem skips that input only. */
  for (auto &job : jobs) {
    std::string problem;
    switch (resume_verdict (*job, !o.csv.empty () || !o.timeline.empty ()
            || html_folder)) {
      case ResumeVerdict::Done:
        continue;
      case ResumeVerdict::Stale:
        status = EXIT_BAD_INPUT;
        continue;
      default:
        break;
    }
    auto unowned_part = [&] () {
      for (const std::string &part : existing_parts (job->output))
        if (!job->may_replace (part))
          return part;
      return std::string ();
    };
    if (o.trim) {
      if (!muxer_for (job->output))
        problem = "output " + job->output + ": unknown container (use .mp4, "
            ".mkv or .mov)";
      else if (o.split && !unowned_part ().empty ())
        problem = "output " + unowned_part () + " exists (use --force to "
            "overwrite)";
      else if (!o.split)
        problem = write_problem (job->output, job->may_replace (job->output),
            output_folder && folder_missing (job->output));
      else      /* the parts' folder; any part was checked above */
        problem = write_problem (part_path (job->output, 1), true,
            output_folder && folder_missing (job->output));
      if (!problem.empty () && problem.find ("exists") == std::string::npos
          && problem.compare (0, 7, "output ") != 0)
        problem = "output " + problem;
    }
    for (const SideFile &side : sides) {
      const std::string &path = (*job).*side.path;
      if (!problem.empty () || path.empty () || path == "-")
        continue;
      problem = write_problem (path, job->may_replace (path), side.folder
          && folder_missing (path));
      if (!problem.empty ())
        problem = std::string (side.what) + " " + problem;
    }
    if (!problem.empty ()) {
      std::fprintf (stderr, "stillframe: %s: %s\n", job->input.name.c_str (),
          problem.c_str ());
      status = EXIT_BAD_INPUT;
      continue;
    }
    job->index = pending.size ();
    pending.push_back (std::move (job));
  }
  if (pending.empty ())
    return status;
  /* Checked: now the folders may be made. */
  for (const auto &job : pending) {
    std::vector<std::string> made;
    if (output_folder)
      made.push_back (job->output);
    for (const SideFile &side : sides)
      if (side.folder)
        made.push_back ((*job).*side.path);
    for (const std::string &path : made) {
      gchar *folder = g_path_get_dirname (path.c_str ());
      const bool failed = g_mkdir_with_parents (folder, 0777) != 0;
      if (failed)
        std::fprintf (stderr, "stillframe: cannot make the folder %s: %s\n",
            folder, g_strerror (errno));
      g_free (folder);
      if (failed) {
        pending.clear ();
        return EXIT_BAD_INPUT;
      }
    }
  }
  return status;
}

}  // namespace

Plan
plan_jobs (const Options &o)
{
  Plan plan;
  plan.status = plan_into (o, plan.jobs);
  return plan;
}

}  // namespace stillframe::cli
