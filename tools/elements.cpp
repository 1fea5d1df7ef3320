/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "elements.h"

#include <stdexcept>

namespace stillframe::cli {

GstElement *
make (const char *factory, const char *name)
{
  GstElement *e = gst_element_factory_make (factory, name);
  if (!e)
    throw std::runtime_error (std::string ("GStreamer element '") + factory +
        "' is missing");
  return e;
}

void
link_or_throw (GstElement *a, GstElement *b)
{
  if (!gst_element_link (a, b))
    throw std::runtime_error (std::string ("cannot link ") +
        GST_ELEMENT_NAME (a) + " to " + GST_ELEMENT_NAME (b));
}

GstElement *
add_chain (GstBin *bin, std::initializer_list<GstElement *> elements)
{
  GstElement *previous = nullptr;
  for (GstElement *e : elements) {
    gst_bin_add (bin, e);
    if (previous)
      link_or_throw (previous, e);
    previous = e;
  }
  return *elements.begin ();
}

std::string
media_type (GstPad *pad)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);
  if (!caps)
    caps = gst_pad_query_caps (pad, NULL);
  std::string name = gst_caps_is_empty (caps) ? "" :
      gst_structure_get_name (gst_caps_get_structure (caps, 0));
  gst_caps_unref (caps);
  return name;
}

void
link_to_discard (GstBin *bin, GstPad *pad)
{
  GstElement *sink = make ("fakesink");
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (bin, sink);
  gst_element_sync_state_with_parent (sink);
  GstPad *sinkpad = gst_element_get_static_pad (sink, "sink");
  gst_pad_link (pad, sinkpad);
  gst_object_unref (sinkpad);
}

void
set_from_string (GstElement *element, const std::string &name,
    const std::string &value)
{
  GParamSpec *spec = g_object_class_find_property (G_OBJECT_GET_CLASS
      (element), name.c_str ());
  if (!spec)
    throw std::invalid_argument ("unknown property " + name);
  GValue v = G_VALUE_INIT;
  g_value_init (&v, spec->value_type);
  if (!gst_value_deserialize (&v, value.c_str ())) {
    g_value_unset (&v);
    throw std::invalid_argument ("bad value '" + value + "' for " + name);
  }
  g_object_set_property (G_OBJECT (element), name.c_str (), &v);
  g_value_unset (&v);
}

}  // namespace stillframe::cli
