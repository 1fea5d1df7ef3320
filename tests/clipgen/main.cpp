/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stillframe-clipgen: writes a synthetic static-camera clip with known
 * motion spans, and optionally the per-frame truth as CSV. */
#include "clipgen.h"

#include <gst/gst.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>

int
main (int argc, char **argv)
{
  gint width = 640, height = 360, fps = 30, bitrate = 0, seed = 1;
  gdouble duration = 10, noise = 3, drift = 0, drift_period = 60;
  gdouble box_size = 0.1, box_speed = 0.25, box_aspect = 1, box_y = -1;
  gint box_contrast = 60, box_luma = -1;
  gchar *spans = NULL, *labels = NULL, *every = NULL, *relocations = NULL;
  gchar *shadow = NULL;
  gboolean sync_marks = FALSE, cbr = FALSE, h265 = FALSE, intra_refresh = FALSE;
  gint gop = 0;
  gdouble travel = 1;
  clipgen::HardScene hard;
  GOptionEntry entries[] = {
    {"width", 0, 0, G_OPTION_ARG_INT, &width, "Frame width", "PX"},
    {"height", 0, 0, G_OPTION_ARG_INT, &height, "Frame height", "PX"},
    {"fps", 0, 0, G_OPTION_ARG_INT, &fps, "Frames per second", "N"},
    {"duration", 0, 0, G_OPTION_ARG_DOUBLE, &duration, "Seconds", "S"},
    {"noise", 0, 0, G_OPTION_ARG_DOUBLE, &noise, "Noise sigma (levels)", "L"},
    {"drift", 0, 0, G_OPTION_ARG_DOUBLE, &drift,
        "Lighting drift amplitude (levels)", "L"},
    {"drift-period", 0, 0, G_OPTION_ARG_DOUBLE, &drift_period,
        "Lighting drift period (s)", "S"},
    {"motion", 0, 0, G_OPTION_ARG_STRING, &spans,
        "Spans with a moving box: start-end[,start-end...] (s)", "SPANS"},
    {"motion-every", 0, 0, G_OPTION_ARG_STRING, &every,
        "Motion spans of LENGTH every PERIOD seconds, the first at PERIOD/2 "
        "(for clips with thousands of spans)", "PERIOD,LENGTH"},
    {"box-size", 0, 0, G_OPTION_ARG_DOUBLE, &box_size,
        "Moving box height, fraction of the frame height", "F"},
    {"box-aspect", 0, 0, G_OPTION_ARG_DOUBLE, &box_aspect,
        "Moving box width / height", "F"},
    {"box-y", 0, 0, G_OPTION_ARG_DOUBLE, &box_y,
        "Moving boxes' centre, fraction of the frame height (default: "
        "each box on one of three rows)", "F"},
    {"box-speed", 0, 0, G_OPTION_ARG_DOUBLE, &box_speed,
        "Moving box speed, frame widths per second", "F"},
    {"box-contrast", 0, 0, G_OPTION_ARG_INT, &box_contrast,
        "Moving box luma difference from the scene", "L"},
    {"box-luma", 0, 0, G_OPTION_ARG_INT, &box_luma,
        "Moving box of this luma all over instead (it may match a part of "
        "the scene)", "L"},
    {"relocate", 0, 0, G_OPTION_ARG_STRING, &relocations,
        "Objects moved to a new place at these times: each comes in, "
        "travels --travel seconds and stays, still (only the travel is "
        "motion)", "T[,T...]"},
    {"travel", 0, 0, G_OPTION_ARG_DOUBLE, &travel,
        "Seconds a relocated object travels", "S"},
    {"precipitation", 0, 0, G_OPTION_ARG_DOUBLE, &hard.precipitation,
        "Falling snow or rain: streaks alive at once per megapixel", "N"},
    {"precipitation-length", 0, 0, G_OPTION_ARG_INT,
        &hard.precipitation_length, "Streak length", "PX"},
    {"precipitation-speed", 0, 0, G_OPTION_ARG_INT,
        &hard.precipitation_speed, "Streak fall per frame", "PX"},
    {"precipitation-contrast", 0, 0, G_OPTION_ARG_INT,
        &hard.precipitation_contrast, "Streak brightness over the scene",
        "L"},
    {"shake", 0, 0, G_OPTION_ARG_INT, &hard.shake,
        "Camera shake: the picture moves up to this far each frame", "PX"},
    {"flicker", 0, 0, G_OPTION_ARG_DOUBLE, &hard.flicker,
        "Brightness scaled by 1 +- this each frame", "F"},
    {"shadow", 0, 0, G_OPTION_ARG_STRING, &shadow,
        "A soft cloud shadow crossing the frame during START-END", "SPAN"},
    {"shadow-size", 0, 0, G_OPTION_ARG_DOUBLE, &hard.shadow_size,
        "Shadow width, in frame heights", "F"},
    {"shadow-depth", 0, 0, G_OPTION_ARG_DOUBLE, &hard.shadow_depth,
        "Shadow darkening at its centre, a fraction", "F"},
    {"bitrate", 0, 0, G_OPTION_ARG_INT, &bitrate, "kbit/s", "K"},
    {"cbr", 0, 0, G_OPTION_ARG_NONE, &cbr,
        "Constant bitrate, as IP cameras send", NULL},
    {"h265", 0, 0, G_OPTION_ARG_NONE, &h265, "H.265 instead of H.264", NULL},
    {"intra-refresh", 0, 0, G_OPTION_ARG_NONE, &intra_refresh,
        "H.264 with intra refresh instead of keyframes", NULL},
    {"gop", 0, 0, G_OPTION_ARG_INT, &gop,
        "Frames from keyframe to keyframe (default: 2 s)", "N"},
    {"seed", 0, 0, G_OPTION_ARG_INT, &seed, "Noise seed", "N"},
    {"sync-marks", 0, 0, G_OPTION_ARG_NONE, &sync_marks,
        "Add an audio track with a tone, and a white corner square, at the "
        "start of each span", NULL},
    {"labels", 0, 0, G_OPTION_ARG_FILENAME, &labels,
        "Write frame,motion CSV here", "FILE"},
    {NULL, 0, 0, G_OPTION_ARG_NONE, NULL, NULL, NULL},
  };
  GOptionContext *context = g_option_context_new ("OUTPUT.mp4");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_group (context, gst_init_get_option_group ());
  GError *error = NULL;
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 2) {
    g_printerr ("%s\n", error ? error->message :
        "usage: stillframe-clipgen [OPTIONS] OUTPUT.mp4");
    return 1;
  }
  g_option_context_free (context);

  clipgen::ClipSpec spec;
  spec.width = width;
  spec.height = height;
  spec.fps = fps;
  spec.duration = duration;
  spec.noise_sigma = noise;
  spec.drift_amplitude = drift;
  spec.drift_period = drift_period;
  spec.seed = (unsigned) seed;
  spec.sync_marks = sync_marks;
  try {
    if (spans)
      spec.add_spans (spans);
    double period = 0, length = 0;
    if (every && (std::sscanf (every, "%lf,%lf", &period, &length) != 2
            || period <= 0 || length <= 0 || length >= period))
      throw std::invalid_argument ("--motion-every needs PERIOD,LENGTH "
          "with 0 < LENGTH < PERIOD");
    for (double t = period / 2; every && t + length <= duration; t += period)
      spec.add_spans (std::to_string (t) + "-" + std::to_string (t + length));
  } catch (const std::invalid_argument &e) {
    g_printerr ("%s\n", e.what ());
    return 1;
  }
  try {
    if (relocations)
      spec.add_relocations (relocations, travel);
    if (shadow && (std::sscanf (shadow, "%lf-%lf", &hard.shadow_start,
                &hard.shadow_end) != 2 || hard.shadow_end <= hard.shadow_start))
      throw std::invalid_argument ("--shadow needs START-END");
  } catch (const std::invalid_argument &e) {
    g_printerr ("%s\n", e.what ());
    return 1;
  }
  spec.hard = hard;
  for (clipgen::MovingBox &box : spec.boxes) {
    box.size = box_size;
    box.speed = box_speed;
    box.contrast = box_contrast;
    box.aspect = box_aspect;
    box.luma = box_luma;
    if (box_y >= 0)
      box.y = box_y;
  }
  clipgen::Encoding encoding;
  encoding.bitrate_kbps = bitrate;
  encoding.cbr = cbr;
  encoding.h265 = h265;
  encoding.gop = gop;
  encoding.intra_refresh = intra_refresh;
  std::string result = clipgen::write_clip (spec, argv[1], encoding);
  if (!result.empty ()) {
    g_printerr ("%s\n", result.c_str ());
    return 2;
  }
  if (labels) {
    std::ofstream out (labels);
    out << "frame,motion\n";
    for (int i = 0; i < spec.frame_count (); i++)
      out << i << ',' << spec.frame_has_motion (i) << '\n';
  }
  return 0;
}
