/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "plan.h"

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

/* Expands folders, names what each input writes, and checks everything;
 * jobs for inputs without problems go to `pending`. */
int
plan_into (const Options &o, std::vector<std::unique_ptr<Job>> &pending)
{
  /* Inputs: files, FIFOs, file:// URIs, folders, standard input. */
  std::vector<Input> inputs;
  int status = EXIT_DONE;
  bool stdin_used = false;
  for (const std::string &given : o.inputs) {
    Input input;
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
      inputs.push_back (input);
      continue;
    }
    if (gst_uri_is_valid (given.c_str ()) && given.find ("://") !=
        std::string::npos) {
      gchar *file = g_str_has_prefix (given.c_str (), "file:") ?
          g_filename_from_uri (given.c_str (), NULL, NULL) : NULL;
      if (!file) {
        std::fprintf (stderr, "stillframe: %s: not an input stillframe "
            "reads (files, file:// URIs, folders and - for standard "
            "input)\n", given.c_str ());
        status = EXIT_BAD_INPUT;
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
      for (const std::string &path : found)
        inputs.push_back ({path, Input::Kind::File, path});
      continue;
    }
    std::string problem;
    if (stat (input.path.c_str (), &st) != 0)
      problem = errno == ENOENT ? "no such file" : g_strerror (errno);
    else if (access (input.path.c_str (), R_OK) != 0)
      problem = "cannot be read (permission denied)";
    else if (S_ISFIFO (st.st_mode) || S_ISCHR (st.st_mode))
      input.kind = Input::Kind::Pipe;
    else if (!S_ISREG (st.st_mode))
      problem = "not a file that can be read";
    if (!problem.empty ()) {
      std::fprintf (stderr, "stillframe: %s: %s\n", given.c_str (),
          problem.c_str ());
      status = EXIT_BAD_INPUT;
      continue;
    }
    inputs.push_back (input);
  }
  if (inputs.empty ())
    return status == EXIT_DONE ? EXIT_BAD_INPUT : status;
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
  const bool many = inputs.size () > 1 || std::any_of (o.inputs.begin (),
      o.inputs.end (), [] (const std::string &given) {
        return g_file_test (given.c_str (), G_FILE_TEST_IS_DIR);
      });
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
  std::vector<std::unique_ptr<Job>> jobs;
  std::vector<Written> written;
  for (const Input &input : inputs) {
    auto job = std::make_unique<Job> ();
    job->options = &o;
    job->input = input;
    const std::string stem = input.kind == Input::Kind::Stdin ? "stdin" :
        stem_of (input.path);
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
    jobs.push_back (std::move (job));
  }
  /* The run's own files. */
  for (const std::string *own : {&o.csv, &o.timeline})
    if (!own->empty () && *own != "-")
      written.push_back ({*own, own == &o.csv ? "--csv" : "--timeline"});
  /* The index of several inputs' pages. */
  const bool html_folder = sides[2].folder;
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
    if (o.trim) {
      if (!muxer_for (job->output))
        problem = "output " + job->output + ": unknown container (use .mp4, "
            ".mkv or .mov)";
      else if (o.split && !o.force && !existing_parts (job->output).empty ())
        problem = "output " + existing_parts (job->output).front () +
            " exists (use --force to overwrite)";
      else if (!o.split)
        problem = write_problem (job->output, o.force, output_folder
            && !g_file_test (o.output.c_str (), G_FILE_TEST_IS_DIR));
      else      /* the parts' folder; any part was checked above */
        problem = write_problem (part_path (job->output, 1), true,
            output_folder && !g_file_test (o.output.c_str (),
                G_FILE_TEST_IS_DIR));
      if (!problem.empty () && problem.find ("exists") == std::string::npos
          && problem.compare (0, 7, "output ") != 0)
        problem = "output " + problem;
    }
    for (const SideFile &side : sides) {
      const std::string &path = (*job).*side.path;
      if (!problem.empty () || path.empty () || path == "-")
        continue;
      problem = write_problem (path, o.force, side.folder
          && !g_file_test (side.given.c_str (), G_FILE_TEST_IS_DIR));
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
  if (output_folder && g_mkdir_with_parents (o.output.c_str (), 0777) != 0) {
    std::fprintf (stderr, "stillframe: cannot make the folder %s: %s\n",
        o.output.c_str (), g_strerror (errno));
    pending.clear ();
    return EXIT_BAD_INPUT;
  }
  for (const SideFile &side : sides)
    if (side.folder && g_mkdir_with_parents (side.given.c_str (), 0777) != 0) {
      std::fprintf (stderr, "stillframe: cannot make the folder %s: %s\n",
          side.given.c_str (), g_strerror (errno));
      pending.clear ();
      return EXIT_BAD_INPUT;
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
