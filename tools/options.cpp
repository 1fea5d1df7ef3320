/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "options.h"

#include "textformat.h"
#include "timeline.h"

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>
#include <stdexcept>

namespace stillframe::cli {

namespace {

using BadUsage = UsageError;

void
print_usage (FILE *to, const std::string &command)
{
  const bool trim = command == "trim", scan = command == "scan";
  if (!scan)
    std::fprintf (to, "Usage: stillframe trim INPUT... -o OUTPUT [options]"
        "   write the moving parts\n");
  if (!trim)
    std::fprintf (to, "Usage: stillframe scan INPUT... [options]"
        "             list the events\n");
  if (!trim && !scan) {
    std::fprintf (to, "Usage: stillframe record SOURCE -o FOLDER [options]"
        "   record a camera's events\n"
        "Usage: stillframe summary REPORTS... [options]"
        "        merge a run's reports\n"
        "\n'stillframe COMMAND --help' gives each command's options;\n"
        "'stillframe --version' the version.\n");
    return;
  }
  std::fprintf (to, "\nINPUT is a video file, a folder (its videos are "
      "processed), a file:// URI or\n- (standard input).%s\n\nOptions:\n",
      trim ? " With several inputs, OUTPUT is a folder." : "");
  if (trim)
    std::fprintf (to,
        "  -o, --output PATH        output file (.mp4, .mkv, .mov) or folder\n"
        "  --split                  one file per kept span: OUT-0001.mp4, ...\n"
        "  --copy                   no re-encoding: whole GOPs of the input's "
        "packets\n"
        "  --fast                   with --copy: decode only the GOPs that "
        "may hold motion\n"
        "  --quality N              x264 quantizer, 0-51, lower is better "
        "(23)\n"
        "  --preset NAME            x264 speed preset (veryfast)\n");
  std::fprintf (to,
      "%s"
      "  --report FILE.json       write a JSON report (a folder for several "
      "inputs;\n"
      "                           - for standard output)\n"
      "  --csv FILE               write the event list as CSV (- for "
      "standard output)\n"
      "  --timeline FILE          the kept spans for an editor: .otio, .edl, "
      ".fcpxml, .xges\n"
      "  --html FILE.html         a visual report (a folder for several "
      "inputs)\n"
      "  --scores FILE.csv        every frame's score, for tuning (a folder "
      "for several)\n"
      "  --start TIME, --end TIME only this part of each input (1:30, "
      "00:10:00)\n"
      "  --min-static SECONDS     shorter static spans are kept (3)\n"
      "  --pre-roll SECONDS       kept before motion (1)\n"
      "  --post-roll SECONDS      kept after motion (1)\n"
      "  --min-event SECONDS      shorter motion is no event, and not kept "
      "(0)\n"
      "  --speed-static X         keep static spans X times faster (one "
      "frame in X)\n"
      "                           instead of cutting them out\n",
      scan ? "  --fast                   decode only the GOPs that may hold "
      "motion\n" : "");
  print_element_options (to);
  std::fprintf (to,
      "  --from-list FILE         more inputs, one path a line (- for "
      "standard input)\n"
      "  --shard I/N              only part I of N of the inputs, split by "
      "size, for\n"
      "                           N workers (auto: a Slurm array task; "
      "auto/N: a\n"
      "                           Kubernetes Indexed Job); needs --report "
      "FOLDER\n"
      "  -j, --jobs N             inputs processed at once (1)\n"
      "  --stall-timeout SECONDS  give up on an input that decodes nothing\n"
      "                           for this long (30)\n"
      "  -y, --force              overwrite existing %s\n"
      "  -q, --quiet              no progress or summaries\n"
      "  -h, --help               this help\n"
      "\nExit codes: 0 done, 1 bad usage or bad input, 2 runtime failure,\n"
      "3 damaged input (what could be read was written), %s130 interrupted.\n",
      trim ? "outputs and reports" : "reports",
      trim ? "4 nothing moved\n(no output written), " : "");
}

/* The range of a numeric element property, and whether it is whole. */
struct PropertyRange {
  double minimum = 0, maximum = 0;
  bool integral = false;

  explicit PropertyRange (GParamSpec *spec)
  {
    integral = G_IS_PARAM_SPEC_UINT (spec) || G_IS_PARAM_SPEC_UINT64 (spec);
    if (G_IS_PARAM_SPEC_DOUBLE (spec)) {
      minimum = G_PARAM_SPEC_DOUBLE (spec)->minimum;
      maximum = G_PARAM_SPEC_DOUBLE (spec)->maximum;
    } else if (G_IS_PARAM_SPEC_UINT (spec)) {
      minimum = G_PARAM_SPEC_UINT (spec)->minimum;
      maximum = G_PARAM_SPEC_UINT (spec)->maximum;
    } else if (G_IS_PARAM_SPEC_UINT64 (spec)) {
      minimum = (double) G_PARAM_SPEC_UINT64 (spec)->minimum;
      maximum = (double) G_PARAM_SPEC_UINT64 (spec)->maximum;
    }
  }
  std::string text (double scale, const char *unit) const
  {
    char range[96];
    std::snprintf (range, sizeof range, "%g to %g%s", minimum / scale,
        maximum / scale, unit);
    return range;
  }
};

/* The value of a numeric element property given as `text`, as
 * gst_value_deserialize reads it; refuses what is no number or out of the
 * property's own range. */
std::string
checked_number (const std::string &option, const std::string &text,
    GParamSpec *spec)
{
  const PropertyRange range (spec);
  char *end = nullptr;
  errno = 0;
  const double value = std::strtod (text.c_str (), &end);
  if (text.empty () || end == text.c_str () || *end || errno == ERANGE
      || !std::isfinite (value))
    throw BadUsage (option + ": '" + text + "' is not a number (" +
        range.text (1, "") + ")");
  if (range.integral && value != std::floor (value))
    throw BadUsage (option + ": '" + text + "' is not a whole number (" +
        range.text (1, "") + ")");
  if (!(value >= range.minimum && value <= range.maximum))
    throw BadUsage (option + ": " + text + " is out of range (" +
        range.text (1, "") + ")");
  return range.integral ? std::to_string ((guint64) std::llround (value)) :
      text;
}

/* A time property (nanoseconds) given in any of parse_time's forms. */
std::string
checked_time (const std::string &option, const std::string &text,
    GParamSpec *spec)
{
  const PropertyRange range (spec);
  double seconds = 0;
  std::string why;
  if (!parse_time (text, &seconds, &why))
    throw BadUsage (option + ": " + why);
  const double ns = seconds * GST_SECOND;
  if (!(ns >= range.minimum && ns <= range.maximum))
    throw BadUsage (option + ": " + text + " is out of range (" +
        range.text (GST_SECOND, " s") + ")");
  return std::to_string ((guint64) std::llround (ns));
}

}  // namespace

double
time_option (const std::string &option, const std::string &text,
    double minimum, double maximum)
{
  double seconds = 0;
  std::string why;
  if (!parse_time (text, &seconds, &why))
    throw BadUsage (option + ": " + why);
  if (seconds < minimum || seconds > maximum)
    throw BadUsage (option + ": " + text + " must be " + (minimum > 0.01 ?
          "at least " + clock_string (minimum) : minimum > 0 ?
          std::string ("more than 0") : std::string ("at least 0")) +
        " and at most " + clock_string (maximum));
  return seconds;
}

namespace {

/* A whole number within [minimum, maximum]. */
int
checked_int (const std::string &option, const std::string &text,
    int minimum, int maximum)
{
  char *end = nullptr;
  errno = 0;
  const long value = std::strtol (text.c_str (), &end, 10);
  if (text.empty () || end == text.c_str () || *end || errno == ERANGE
      || value < minimum || value > maximum)
    throw BadUsage (option + ": '" + text + "' must be a whole number from " +
        std::to_string (minimum) + " to " + std::to_string (maximum));
  return (int) value;
}

GParamSpec *
property_of (const char *factory, const std::string &name)
{
  GstElementFactory *f = gst_element_factory_find (factory);
  if (!f)
    return nullptr;
  GstPluginFeature *loaded = gst_plugin_feature_load (GST_PLUGIN_FEATURE (f));
  gst_object_unref (f);
  if (!loaded)
    return nullptr;
  const GType type = gst_element_factory_get_element_type
      (GST_ELEMENT_FACTORY (loaded));
  gst_object_unref (loaded);
  gpointer klass = g_type_class_ref (type);
  GParamSpec *spec = g_object_class_find_property (G_OBJECT_CLASS (klass),
      name.c_str ());
  g_type_class_unref (klass);   /* element classes are never unloaded */
  return spec;
}

/* An element the run needs, and the Debian package that has it. */
struct Requirement {
  const char *factory, *package;
};

std::string
missing_element (const std::vector<Requirement> &needed)
{
  for (const Requirement &r : needed) {
    GstElementFactory *f = gst_element_factory_find (r.factory);
    if (f) {
      gst_object_unref (f);
      continue;
    }
    return std::string ("GStreamer element '") + r.factory + "' is missing: "
        "install " + r.package;
  }
  return "";
}

/* What the detector says of its region and mask settings, tried one at a
 * time on an element that starts: its own message, or "". */
std::string
detector_refuses (const std::string &property, const std::string &value)
{
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *detect = gst_element_factory_make ("stillframedetect", NULL);
  gst_bin_add (GST_BIN (pipeline), detect);
  g_object_set (detect, "post-messages", FALSE, NULL);
  gst_util_set_object_arg (G_OBJECT (detect), property.c_str (),
      value.c_str ());
  std::string refusal;
  if (gst_element_set_state (pipeline, GST_STATE_PAUSED) ==
      GST_STATE_CHANGE_FAILURE) {
    GstBus *bus = gst_element_get_bus (pipeline);
    GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    gst_object_unref (bus);
    refusal = "cannot use it";
    if (msg) {
      GError *error = NULL;
      gst_message_parse_error (msg, &error, NULL);
      refusal = error->message;
      g_error_free (error);
      gst_message_unref (msg);
    }
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  return refusal;
}

void
check_elements (const Options &o)
{
  const char *base = "gstreamer1.0-plugins-base", *good =
      "gstreamer1.0-plugins-good", *bad = "gstreamer1.0-plugins-bad";
  std::vector<Requirement> needed = {
    {"stillframedetect", "stillframe (meson install, or set "
          "GST_PLUGIN_PATH_1_0)"},
    {"stillframecut", "stillframe (meson install, or set "
          "GST_PLUGIN_PATH_1_0)"},
    {"fakesink", "gstreamer1.0-tools"}, {"queue", "gstreamer1.0-tools"},
    {"videoconvert", base}, {"uridecodebin", base}, {"decodebin", base},
  };
  if (o.copy || o.fast)
    needed.insert (needed.end (), {{"parsebin", base}, {"tee",
              "gstreamer1.0-tools"}});
  if (o.trim) {
    needed.insert (needed.end (), {{"filesink", "gstreamer1.0-tools"},
          {"mp4mux", good}, {"qtmux", good}, {"matroskamux", good}});
    if (o.copy)
      needed.insert (needed.end (), {{"appsink", base}, {"appsrc", base},
            {"aacparse", good}, {"h264timestamper", bad},
            {"h265timestamper", bad}});
    else
      needed.insert (needed.end (), {{"x264enc",
                "gstreamer1.0-plugins-ugly"}, {"h264parse", bad},
            {"avenc_aac", "gstreamer1.0-libav"}, {"aacparse", good},
            {"audioconvert", base}, {"audioresample", base},
            {"videoflip", good}, {"videoscale", base},
            {"capsfilter", "gstreamer1.0-tools"}});
    if (o.split)
      needed.push_back ({"splitmuxsink", good});
  }
  const std::string missing = missing_element (needed);
  if (!missing.empty ())
    throw std::runtime_error (missing);
}

/* The encoder's preset, which it must have. */
void
check_preset (const Options &o)
{
  if (!o.trim || o.copy)
    return;
  GParamSpec *presets = property_of ("x264enc", "speed-preset");
  GEnumClass *klass = G_PARAM_SPEC_ENUM (presets)->enum_class;
  std::string names;
  for (guint i = 0; i < klass->n_values; i++) {
    if (o.preset == klass->values[i].value_nick)
      return;
    names += std::string (i ? ", " : "") + klass->values[i].value_nick;
  }
  throw BadUsage ("--preset: unknown preset '" + o.preset + "' (" + names +
      ")");
}

}  // namespace

void
print_element_options (FILE *to)
{
  std::fprintf (to,
      "  --threshold X            a frame is motion when this fraction of "
      "the analysed\n"
      "                           picture changed (0.0005: about 7 of its "
      "160x90 pixels,\n"
      "                           a person of some 20x50 pixels in 1080p); "
      "lower finds\n"
      "                           smaller things, higher ignores more\n"
      "  --sensitivity X          0-1, higher finds fainter changes (0.5)\n"
      "  --analysis-width N       width of the analysed image (160)\n"
      "  --regions R              only analyse x,y,w,h[;...] (pixels or "
      "fractions)\n"
      "  --ignore-regions R       never analyse these rectangles\n"
      "  --ignore-mask FILE.pgm   never analyse the black parts of this "
      "picture\n"
      "  --keep-clutter           count many small changes (a flock, a "
      "distant\n"
      "                           crowd) that are otherwise taken for snow "
      "or rain\n");
}

bool
ArgumentReader::next ()
{
  if (has_inline_value_ && !value_used_)
    throw BadUsage (arg_ + " takes no value");
  for (;;) {
    if (++index_ >= argc_)
      return false;
    arg_ = argv_[index_];
    has_inline_value_ = false;
    value_used_ = false;
    positional_ = options_ended_ || arg_ == "-" || arg_.empty () ||
        arg_[0] != '-';
    if (!positional_ && arg_ == "--") {
      options_ended_ = true;
      continue;
    }
    if (!positional_ && arg_.size () > 2 && arg_.compare (0, 2, "--") == 0) {
      const std::size_t equals = arg_.find ('=');
      if (equals != std::string::npos) {
        inline_value_ = arg_.substr (equals + 1);
        arg_ = arg_.substr (0, equals);
        has_inline_value_ = true;
      }
    }
    return true;
  }
}

std::string
ArgumentReader::value ()
{
  value_used_ = true;
  if (has_inline_value_)
    return inline_value_;
  if (index_ + 1 >= argc_)
    throw BadUsage (arg_ + " needs a value");
  return argv_[++index_];
}

void
ArgumentReader::once (const std::string &key)
{
  if (!given_.insert (key).second)
    throw BadUsage (key + " is given twice");
}

bool
take_element_option (ArgumentReader &args, ElementOptions &o)
{
  const std::string &a = args.arg ();
  if (a == "--threshold" || a == "--sensitivity" || a == "--analysis-width"
      || a == "--regions" || a == "--ignore-regions" || a == "--ignore-mask") {
    args.once (a);
    o.detect_props.push_back ({a.substr (2), args.value ()});
  } else if (a == "--keep-clutter") {
    args.once (a);
    o.detect_props.push_back ({"ignore-clutter", "false"});
  } else if (a == "--min-static" || a == "--pre-roll" || a == "--post-roll"
      || a == "--min-event") {
    args.once (a);
    const std::string name = a == "--min-static" ? "min-static-duration" :
        a == "--min-event" ? "min-motion-duration" : a.substr (2);
    o.cut_props.push_back ({name, args.value ()});
  } else {
    return false;
  }
  return true;
}

/* Element values: numbers within the properties' ranges, regions and
 * masks the detector takes. */
void
check_element_options (ElementOptions &o)
{
  for (auto &[name, value] : o.detect_props) {
    const std::string option = "--" + name;
    if (name == "ignore-clutter") {
      continue;                 /* set by a flag, not a value */
    } else if (name == "regions" || name == "ignore-regions"
        || name == "ignore-mask") {
      const std::string refusal = detector_refuses (name, value);
      if (!refusal.empty ())
        throw BadUsage (option + ": " + refusal);
    } else {
      value = checked_number (option, value, property_of ("stillframedetect",
              name));
    }
  }
  static const std::map<std::string, std::string> cut_options = {
    {"min-static-duration", "--min-static"}, {"pre-roll", "--pre-roll"},
    {"post-roll", "--post-roll"}, {"min-motion-duration", "--min-event"},
    {"static-speed", "--speed-static"},
  };
  for (auto &[name, value] : o.cut_props)
    if (name != "static-speed")         /* a speed, checked when parsed */
      value = checked_time (cut_options.at (name), value,
          property_of ("stillframecut", name));
}

int
parse_options (int argc, char **argv, Options &o)
{
  if (argc < 2) {
    print_usage (stderr, "");
    return EXIT_BAD_INPUT;
  }
  const std::string command = argv[1];
  if (command == "-h" || command == "--help") {
    print_usage (stdout, "");
    return -1;
  }
  if (command == "--version") {
    guint major, minor, micro, nano;
    gst_version (&major, &minor, &micro, &nano);
    std::printf ("stillframe %s (GStreamer %u.%u.%u)\n", VERSION, major,
        minor, micro);
    return -1;
  }
  try {
    if (command != "trim" && command != "scan")
      throw BadUsage ("unknown command '" + command + "' (trim or scan; see "
          "stillframe --help)");
    o.trim = command == "trim";
    ArgumentReader args (argc, argv);
    while (args.next ()) {
      const std::string &a = args.arg ();
      auto need = [&] () { return args.value (); };
      auto once = [&] (const std::string &key) { args.once (key); };
      auto trim_only = [&] (const char *why) {
        if (!o.trim)
          throw BadUsage (a + " is for trim: " + why);
      };
      if (args.positional ()) {
        o.inputs.push_back (a);
        continue;
      }
      if (a == "-o" || a == "--output") {
        trim_only ("scan writes no video");
        once ("-o");
        o.output = need ();
        if (o.output.empty ())
          throw BadUsage ("-o needs a file or folder name");
      } else if (a == "--report" || a == "--csv") {
        once (a);
        (a == "--report" ? o.report : o.csv) = need ();
        if ((a == "--report" ? o.report : o.csv).empty ())
          throw BadUsage (a + " needs a file name (or - for standard output)");
      } else if (a == "--scores" || a == "--html" || a == "--timeline") {
        once (a);
        std::string &path = a == "--scores" ? o.scores : a == "--html" ?
            o.html : o.timeline;
        path = need ();
        if (path.empty () || path == "-")
          throw BadUsage (a + " needs a file name");
        if (a == "--timeline" && !timeline_format (path))
          throw BadUsage ("--timeline " + path + ": unknown format (use "
              ".otio, .edl, .fcpxml or .xges)");
      } else if (a == "--speed-static") {
        once (a);
        const std::string text = need ();
        char *end = nullptr;
        const double x = std::strtod (text.c_str (), &end);
        if (text.empty () || *end || !std::isfinite (x) || x < 0 || x > 1000
            || (x > 0 && x < 1))
          throw BadUsage ("--speed-static: '" + text + "' must be 0 (cut "
              "static spans out) or a speed from 1 to 1000");
        o.speed_static = x;
        o.cut_props.push_back ({"static-speed", text});
      } else if (a == "--start" || a == "--end") {
        once (a);
        (a == "--start" ? o.range_start : o.range_end) = time_option (a,
            need (), 0, 366 * 86400.0);
      } else if (a == "--quality") {
        trim_only ("scan writes no video");
        once (a);
        o.quality = checked_int (a, need (), 0, 51);
      } else if (a == "--preset") {
        trim_only ("scan writes no video");
        once (a);
        o.preset = need ();
      } else if (take_element_option (args, o)) {
      } else if (a == "--stall-timeout") {
        once (a);
        o.stall_timeout = (GstClockTime) std::llround (time_option (a, need (),
                0.001, 86400) * GST_SECOND);
      } else if (a == "--from-list") {
        once (a);
        o.from_list = need ();
        if (o.from_list.empty ())
          throw BadUsage ("--from-list needs a file name (or - for standard "
              "input)");
      } else if (a == "--shard") {
        once (a);
        try {
          o.shard = parse_shard (need (), [] (const char *name) {
                return (const char *) std::getenv (name);
              });
        } catch (const std::invalid_argument &e) {
          throw BadUsage (e.what ());
        }
      } else if (a == "-j" || a == "--jobs") {
        once ("-j");
        o.jobs = checked_int (a, need (), 1, 64);
      } else if (a == "-y" || a == "--force") {
        o.force = true;
      } else if (a == "--split") {
        trim_only ("scan writes no video");
        o.split = true;
      } else if (a == "--copy") {
        trim_only ("scan writes no video");
        o.copy = true;
      } else if (a == "--fast") {
        o.fast = true;
      } else if (a == "-q" || a == "--quiet") {
        o.quiet = true;
      } else if (a == "-h" || a == "--help") {
        print_usage (stdout, command);
        return -1;
      } else {
        throw BadUsage ("unknown option " + a + " (see stillframe " + command +
            " --help)");
      }
    }
    if (o.inputs.empty () && o.from_list.empty ())
      throw BadUsage ("no input given");
    if (o.from_list == "-" && std::count (o.inputs.begin (), o.inputs.end (),
            "-"))
      throw BadUsage ("--from-list - reads the list from standard input, so "
          "- cannot also be an input");
    if (o.shard && (o.report.empty () || o.report == "-"))
      throw BadUsage ("--shard needs --report FOLDER: each input's report "
          "is what a restarted worker skips the done inputs by, and what "
          "stillframe summary merges");
    if (o.shard && (!o.csv.empty () || !o.timeline.empty ()))
      throw BadUsage ("--csv and --timeline write one file for the whole "
          "run, which every shard would write: merge the shards' reports "
          "with stillframe summary instead");
    if (o.trim && o.output.empty ())
      throw BadUsage ("trim needs -o OUTPUT");
    if (o.split && o.copy)
      throw BadUsage ("--split cannot be combined with --copy yet");
    if (o.fast && o.trim && !o.copy)
      throw BadUsage ("--fast needs --copy: trim re-encodes every kept "
          "frame, so it decodes them all");
    if (o.copy && (args.given ("--quality") || args.given ("--preset")))
      throw BadUsage ("--quality and --preset set the encoder, and --copy "
          "does not re-encode");
    if (o.speed_static > 0 && (o.copy || o.split || !o.timeline.empty ()))
      throw BadUsage ("--speed-static cannot be combined with --copy, "
          "--split or --timeline yet");
    if (o.range_end >= 0 && o.range_end <= o.range_start)
      throw BadUsage ("--end must come after --start");
    if (o.has_range () && o.copy)
      throw BadUsage ("--start and --end cannot be combined with --copy "
          "yet");
    if (o.report == "-" && o.csv == "-")
      throw BadUsage ("--report and --csv cannot both go to standard output");
    if (o.output == "-")
      throw BadUsage ("-o -: writing the video to standard output is not "
          "supported (MP4 needs a file it can seek in)");
  } catch (const BadUsage &e) {
    std::fprintf (stderr, "stillframe: %s\n", e.what ());
    return EXIT_BAD_INPUT;
  }
  try {
    check_elements (o);
  } catch (const std::runtime_error &e) {
    std::fprintf (stderr, "stillframe: %s\n", e.what ());
    return EXIT_RUNTIME;
  }
  try {
    check_element_options (o);
    check_preset (o);
  } catch (const BadUsage &e) {
    std::fprintf (stderr, "stillframe: %s\n", e.what ());
    return EXIT_BAD_INPUT;
  }
  return EXIT_DONE;
}

}  // namespace stillframe::cli
