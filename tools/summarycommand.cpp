/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "summarycommand.h"

#include "filesafety.h"
#include "jsonvalue.h"
#include "options.h"
#include "plan.h"
#include "summary.h"
#include "textformat.h"

#include <glib.h>
#include <glib/gstdio.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <stdexcept>

namespace stillframe::cli {

namespace {

struct SummaryOptions {
  std::vector<std::string> sources;     /* report files and folders */
  std::string expect;                   /* a list of the run's inputs */
  std::string json, csv, events;      /* "" none, "-" standard output */
  bool force = false, quiet = false;
};

void
print_usage (FILE *to)
{
  std::fprintf (to,
      "Usage: stillframe summary REPORTS... [options]   merge the reports "
      "of a run\n\n"
      "REPORTS are the report folders (--report FOLDER) of every shard of a "
      "run, or\nreport files; folders are searched, hidden files left "
      "out.\n\nOptions:\n"
      "  -o, --output FILE.json   the summary (standard output when not "
      "given)\n"
      "  --csv FILE.csv           one row a camera and day (- for standard "
      "output)\n"
      "  --events FILE.csv        every event of every input (- for "
      "standard output)\n"
      "  --expect LIST            the run's inputs, one a line as for "
      "--from-list:\n"
      "                           those without a report are missing\n"
      "  -y, --force              overwrite existing files\n"
      "  -q, --quiet              no closing line on standard error\n"
      "  -h, --help               this help\n"
      "\nAn input's camera is its folder, less folders named by a date; its "
      "day is the\nfirst date in its path, or else the day its recording "
      "started.\n"
      "Exit codes: 0 every input done, 1 bad usage or no report found, 2 an "
      "input\nfailed or was interrupted, or an expected one has no "
      "report.\n");
}

/* Returns -1 for help, or an exit code. */
int
parse (int argc, char **argv, SummaryOptions &o)
{
  try {
    ArgumentReader args (argc, argv);
    while (args.next ()) {
      const std::string &a = args.arg ();
      if (args.positional ()) {
        o.sources.push_back (a);
      } else if (a == "-o" || a == "--output" || a == "--csv"
          || a == "--events" || a == "--expect") {
        args.once (a == "--output" ? "-o" : a);
        std::string &path = a == "--csv" ? o.csv : a == "--events" ?
            o.events : a == "--expect" ? o.expect : o.json;
        path = args.value ();
        if (path.empty ())
          throw UsageError (a + " needs a file name");
      } else if (a == "-y" || a == "--force") {
        o.force = true;
      } else if (a == "-q" || a == "--quiet") {
        o.quiet = true;
      } else if (a == "-h" || a == "--help") {
        print_usage (stdout);
        return -1;
      } else {
        throw UsageError ("unknown option " + a + " (see stillframe summary "
            "--help)");
      }
    }
    if (o.sources.empty ())
      throw UsageError ("summary needs the reports' folders (see stillframe "
          "summary --help)");
    const int to_stdout = (o.json == "-") + (o.csv == "-") + (o.events ==
        "-");
    if (to_stdout > 1)
      throw UsageError ("only one of -o, --csv and --events can go to "
          "standard output");
    /* The summary goes there unless something else does. */
    if (!args.given ("-o") && to_stdout == 0)
      o.json = "-";
  } catch (const UsageError &e) {
    std::fprintf (stderr, "stillframe: %s\n", e.what ());
    return EXIT_BAD_INPUT;
  }
  return EXIT_DONE;
}

/* The report files under `path`, sorted; hidden names are left out (files
 * being written, the recorder's index). */
void
find_reports (const std::string &path, int depth,
    std::vector<std::string> &found)
{
  if (!g_file_test (path.c_str (), G_FILE_TEST_IS_DIR)) {
    found.push_back (path);
    return;
  }
  constexpr int kMaxDepth = 32;
  GDir *dir = depth < kMaxDepth ? g_dir_open (path.c_str (), 0, NULL) : NULL;
  std::vector<std::string> names;
  while (const gchar *name = dir ? g_dir_read_name (dir) : NULL)
    if (name[0] != '.')
      names.push_back (name);
  if (dir)
    g_dir_close (dir);
  std::sort (names.begin (), names.end ());
  for (const std::string &name : names) {
    gchar *child = g_build_filename (path.c_str (), name.c_str (), NULL);
    const std::string p = child;
    g_free (child);
    if (g_file_test (p.c_str (), G_FILE_TEST_IS_DIR))
      find_reports (p, depth + 1, found);
    else if (g_str_has_suffix (name.c_str (), ".json"))
      found.push_back (p);
  }
}

}  // namespace

int
run_summary (int argc, char **argv)
{
  SummaryOptions o;
  const int parsed = parse (argc, argv, o);
  if (parsed != EXIT_DONE)
    return parsed < 0 ? EXIT_DONE : parsed;

  std::vector<std::string> paths;
  for (const std::string &source : o.sources) {
    if (!g_file_test (source.c_str (), G_FILE_TEST_EXISTS)) {
      std::fprintf (stderr, "stillframe: %s: no such file or folder\n",
          source.c_str ());
      return EXIT_BAD_INPUT;
    }
    find_reports (source, 0, paths);
  }
  /* Every file it writes is checked before anything is read: never over a
   * report, through a link or into something that is no regular file, nor
   * over an existing file without --force, nor two of them into one. */
  std::map<std::string, std::string> writes;     /* identity -> option */
  for (const std::string &path : paths)
    writes.emplace (file_key (path).text (), "");
  for (const auto &[path, option] : {std::pair (&o.json, "-o"),
          std::pair (&o.csv, "--csv"), std::pair (&o.events, "--events")}) {
    if (path->empty () || *path == "-")
      continue;
    std::string problem = write_problem (*path, o.force, false);
    const auto [it, fresh] = writes.emplace (file_key (*path).text (),
        option);
    if (problem.empty () && !fresh)
      problem = *path + (it->second.empty () ? " is one of the reports" :
          " is also " + it->second) + ": choose another name";
    if (!problem.empty ()) {
      std::fprintf (stderr, "stillframe: %s %s\n", option, problem.c_str ());
      return EXIT_BAD_INPUT;
    }
  }
  std::vector<ReadReport> reports;
  for (const std::string &path : paths) {
    std::string text, why = read_whole_file (path, &text, kMaxReportBytes);
    try {
      if (why.empty ()) {
        reports.push_back ({path, read_report (JsonValue::parse (text))});
        continue;
      }
    } catch (const std::invalid_argument &e) {
      why = e.what ();
    }
    std::fprintf (stderr, "stillframe: %s: left out: %s\n", path.c_str (),
        why.c_str ());
  }
  if (reports.empty ()) {
    std::fprintf (stderr, "stillframe: no stillframe report found in %s\n",
        o.sources.front ().c_str ());
    return EXIT_BAD_INPUT;
  }
  std::vector<std::string> expected;
  if (!o.expect.empty ()) {
    std::string text;
    const std::string why = read_whole_file (o.expect, &text);
    if (!why.empty ()) {
      std::fprintf (stderr, "stillframe: --expect %s: %s\n",
          o.expect.c_str (), why.c_str ());
      return EXIT_BAD_INPUT;
    }
    expected = list_lines (text);
  }

  const Summary summary = summarize (reports, expected);
  int status = summary.complete () ? EXIT_DONE : EXIT_RUNTIME;
  const std::pair<const std::string *, std::string> outputs[] = {
    {&o.json, o.json.empty () ? "" : summary_json (summary)},
    {&o.csv, o.csv.empty () ? "" : summary_csv (summary)},
    {&o.events, o.events.empty () ? "" : summary_events_csv (reports)},
  };
  for (const auto &[path, text] : outputs) {
    if (path->empty ())
      continue;
    if (*path == "-") {
      std::fputs (text.c_str (), stdout);
      continue;
    }
    const std::string error = write_whole_file (*path, text, o.force);
    if (!error.empty ()) {
      std::fprintf (stderr, "stillframe: %s\n", error.c_str ());
      status = EXIT_RUNTIME;
    }
  }
  if (!o.quiet) {
    const Tally &t = summary.total;
    std::fprintf (stderr, "summary: %zu inputs from %zu reports, %zu failed, "
        "%zu missing, %zu damaged; kept %s of %s, %zu events\n", t.inputs,
        summary.reports, t.failed, summary.missing.size (), t.damaged,
        clock_string (t.seconds_kept).c_str (),
        clock_string (t.seconds_in).c_str (), t.events);
    for (const Failure &f : summary.failures)
      std::fprintf (stderr, "stillframe: %s: %s\n", f.input.c_str (),
          f.error.c_str ());
    for (const std::string &m : summary.missing)
      std::fprintf (stderr, "stillframe: %s: no report\n", m.c_str ());
  }
  return status;
}

}  // namespace stillframe::cli
