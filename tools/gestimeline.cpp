/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "gestimeline.h"

/* GES 1.22's headers qualify some return types with const. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-qualifiers"
#include <ges/ges.h>
#pragma GCC diagnostic pop
#include <gmodule.h>

#include <algorithm>
#include <cmath>

namespace stillframe::cli {

namespace {

/* GES is opened when a project is written, not linked: linked, it brought
 * Python and ICU into every run, 6 MB of each scan's memory. Each member
 * is the GES function of its name. */
struct Ges {
  decltype (&::ges_init) ges_init;
  decltype (&::ges_timeline_new_audio_video) ges_timeline_new_audio_video;
  decltype (&::ges_timeline_append_layer) ges_timeline_append_layer;
  decltype (&::ges_timeline_get_tracks) ges_timeline_get_tracks;
  decltype (&::ges_timeline_save_to_uri) ges_timeline_save_to_uri;
  decltype (&::ges_video_track_get_type) ges_video_track_get_type;
  decltype (&::ges_track_update_restriction_caps)
      ges_track_update_restriction_caps;
  decltype (&::ges_uri_clip_asset_request_sync) ges_uri_clip_asset_request_sync;
  decltype (&::ges_layer_add_asset) ges_layer_add_asset;
  decltype (&::ges_marker_list_new) ges_marker_list_new;
  decltype (&::ges_marker_list_add) ges_marker_list_add;
  decltype (&::ges_meta_container_set_string) ges_meta_container_set_string;
  decltype (&::ges_meta_container_set_marker_list)
      ges_meta_container_set_marker_list;
};

template <typename Function>
bool
resolve (GModule *module, const char *name, Function *function)
{
  gpointer symbol = NULL;
  if (!g_module_symbol (module, name, &symbol) || !symbol)
    return false;
  *function = reinterpret_cast<Function> (symbol);
  return true;
}

/* GES, opened and started once; null with `error` set when it cannot be. */
const Ges *
open_ges (std::string *error)
{
  static Ges ges;
  static const std::string problem = [] () -> std::string {
    const char *library = "libges-1.0.so.0";
    /* Kept open for the process's life: GES registers GTypes. */
    GModule *module = g_module_open (library, G_MODULE_BIND_LAZY);
    if (!module)
      return std::string ("an .xges project needs GStreamer Editing "
          "Services (install libges-1.0-0): ") + g_module_error ();
    const bool resolved =
#define STILLFRAME_RESOLVE(name) resolve (module, #name, &ges.name)
        STILLFRAME_RESOLVE (ges_init)
        && STILLFRAME_RESOLVE (ges_timeline_new_audio_video)
        && STILLFRAME_RESOLVE (ges_timeline_append_layer)
        && STILLFRAME_RESOLVE (ges_timeline_get_tracks)
        && STILLFRAME_RESOLVE (ges_timeline_save_to_uri)
        && STILLFRAME_RESOLVE (ges_video_track_get_type)
        && STILLFRAME_RESOLVE (ges_track_update_restriction_caps)
        && STILLFRAME_RESOLVE (ges_uri_clip_asset_request_sync)
        && STILLFRAME_RESOLVE (ges_layer_add_asset)
        && STILLFRAME_RESOLVE (ges_marker_list_new)
        && STILLFRAME_RESOLVE (ges_marker_list_add)
        && STILLFRAME_RESOLVE (ges_meta_container_set_string)
        && STILLFRAME_RESOLVE (ges_meta_container_set_marker_list);
#undef STILLFRAME_RESOLVE
    if (!resolved)
      return std::string (library) + " lacks a function stillframe needs: "
          + g_module_error ();
    if (!ges.ges_init ())
      return "GStreamer Editing Services cannot start (install "
          "libges-1.0-0)";
    return "";
  } ();
  *error = problem;
  return problem.empty () ? &ges : nullptr;
}

/* Frees what it holds when the writer returns, whichever way. */
struct GesProject {
  GESTimeline *timeline = nullptr;
  GESMarkerList *markers = nullptr;
  std::vector<GESUriClipAsset *> assets;

  ~GesProject ()
  {
    for (GESUriClipAsset *asset : assets)
      if (asset)
        gst_object_unref (asset);
    if (markers)
      g_object_unref (markers);
    if (timeline)
      gst_object_unref (timeline);
  }
};

std::string
taken_error (GError *error, const std::string &what)
{
  const std::string message = what + ": " + (error ? error->message :
      "unknown error");
  g_clear_error (&error);
  return message;
}

}  // namespace

std::string
write_xges (const std::string &path, const std::vector<TimelineSource> &sources)
{
  std::string problem;
  const Ges *ges = open_ges (&problem);
  if (!ges)
    return problem;
  GesProject project;
  project.timeline = ges->ges_timeline_new_audio_video ();
  GESLayer *layer = ges->ges_timeline_append_layer (project.timeline);
  if (!sources.empty ()) {
    /* Rendered at the first input's rate and size, not GES's 30 fps. */
    const TimelineSource &first = sources.front ();
    GstCaps *caps = gst_caps_new_simple ("video/x-raw", "framerate",
        GST_TYPE_FRACTION, first.rate_num, first.rate_den, NULL);
    if (first.width > 0 && first.height > 0)
      gst_caps_set_simple (caps, "width", G_TYPE_INT, first.width, "height",
          G_TYPE_INT, first.height, NULL);
    for (GList *l = ges->ges_timeline_get_tracks (project.timeline); l;
        l = g_list_delete_link (l, l)) {
      GESTrack *track = static_cast<GESTrack *> (l->data);
      if (G_TYPE_CHECK_INSTANCE_TYPE (track, ges->ges_video_track_get_type ()))
        ges->ges_track_update_restriction_caps (track, caps);
      gst_object_unref (track);
    }
    gst_caps_unref (caps);
  }
  project.markers = ges->ges_marker_list_new ();
  GESMarkerList *markers = project.markers;
  std::vector<GESUriClipAsset *> &assets = project.assets;
  assets.assign (sources.size (), nullptr);
  for (const TimelineClip &c : timeline_clips (sources)) {
    const TimelineSource &s = sources[c.source];
    if (!assets[c.source]) {
      GError *error = NULL;
      assets[c.source] = ges->ges_uri_clip_asset_request_sync (s.uri.c_str (),
          &error);
      if (!assets[c.source])
        return taken_error (error, "cannot add " + s.name);
    }
    /* The casts are GES's own upcasts, to a parent class and to an
     * interface, which GObject keeps at the instance's address. */
    GESClip *clip = ges->ges_layer_add_asset (layer,
        reinterpret_cast<GESAsset *> (assets[c.source]),
        c.at_ns, frames_to_ns (c.first, s), frames_to_ns (c.frames, s),
        GES_TRACK_TYPE_UNKNOWN);
    if (!clip)
      return "cannot place " + s.name + " on the timeline";
    for (std::size_t e : c.events) {
      /* On the timeline, where Pitivi shows its markers. */
      const Event &event = s.events[e];
      const std::int64_t into = (std::int64_t) std::llround (event.start *
          1e9) - frames_to_ns (c.first, s);
      GESMarker *marker = ges->ges_marker_list_add (markers, c.at_ns +
          std::max<std::int64_t> (0, into));
      ges->ges_meta_container_set_string (
          reinterpret_cast<GESMetaContainer *> (marker), "comment",
          timeline_marker_name (e, event).c_str ());
    }
  }
  ges->ges_meta_container_set_marker_list (
      reinterpret_cast<GESMetaContainer *> (project.timeline), "markers",
      markers);
  gchar *uri = gst_filename_to_uri (path.c_str (), NULL);
  GError *error = NULL;
  const gboolean saved = uri && ges->ges_timeline_save_to_uri (project.timeline,
      uri, NULL, TRUE, &error);
  g_free (uri);
  if (!saved)
    return taken_error (error, "cannot save the project");
  return "";
}

}  // namespace stillframe::cli
