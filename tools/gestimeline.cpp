/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "gestimeline.h"

/* GES 1.22's headers qualify some return types with const. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-qualifiers"
#include <ges/ges.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <cmath>

namespace stillframe::cli {

namespace {

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
  static const bool initialised = ges_init ();
  if (!initialised)
    return "GStreamer Editing Services cannot start (install "
        "libges-1.0-0)";
  GesProject project;
  project.timeline = ges_timeline_new_audio_video ();
  GESLayer *layer = ges_timeline_append_layer (project.timeline);
  if (!sources.empty ()) {
    /* Rendered at the first input's rate and size, not GES's 30 fps. */
    const TimelineSource &first = sources.front ();
    GstCaps *caps = gst_caps_new_simple ("video/x-raw", "framerate",
        GST_TYPE_FRACTION, first.rate_num, first.rate_den, NULL);
    if (first.width > 0 && first.height > 0)
      gst_caps_set_simple (caps, "width", G_TYPE_INT, first.width, "height",
          G_TYPE_INT, first.height, NULL);
    for (GList *l = ges_timeline_get_tracks (project.timeline); l;
        l = g_list_delete_link (l, l)) {
      GESTrack *track = GES_TRACK (l->data);
      if (GES_IS_VIDEO_TRACK (track))
        ges_track_update_restriction_caps (track, caps);
      gst_object_unref (track);
    }
    gst_caps_unref (caps);
  }
  project.markers = ges_marker_list_new ();
  GESMarkerList *markers = project.markers;
  std::vector<GESUriClipAsset *> &assets = project.assets;
  assets.assign (sources.size (), nullptr);
  for (const TimelineClip &c : timeline_clips (sources)) {
    const TimelineSource &s = sources[c.source];
    if (!assets[c.source]) {
      GError *error = NULL;
      assets[c.source] = ges_uri_clip_asset_request_sync (s.uri.c_str (),
          &error);
      if (!assets[c.source])
        return taken_error (error, "cannot add " + s.name);
    }
    GESClip *clip = ges_layer_add_asset (layer, GES_ASSET (assets[c.source]),
        c.at_ns, frames_to_ns (c.first, s), frames_to_ns (c.frames, s),
        GES_TRACK_TYPE_UNKNOWN);
    if (!clip)
      return "cannot place " + s.name + " on the timeline";
    for (std::size_t e : c.events) {
      /* On the timeline, where Pitivi shows its markers. */
      const Event &event = s.events[e];
      const std::int64_t into = (std::int64_t) std::llround (event.start *
          1e9) - frames_to_ns (c.first, s);
      GESMarker *marker = ges_marker_list_add (markers, c.at_ns +
          std::max<std::int64_t> (0, into));
      ges_meta_container_set_string (GES_META_CONTAINER (marker), "comment",
          timeline_marker_name (e, event).c_str ());
    }
  }
  ges_meta_container_set_marker_list (GES_META_CONTAINER (project.timeline),
      "markers", markers);
  gchar *uri = gst_filename_to_uri (path.c_str (), NULL);
  GError *error = NULL;
  const gboolean saved = uri && ges_timeline_save_to_uri (project.timeline,
      uri, NULL, TRUE, &error);
  g_free (uri);
  if (!saved)
    return taken_error (error, "cannot save the project");
  return "";
}

}  // namespace stillframe::cli
