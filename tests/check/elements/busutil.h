/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A harness has no bus: these give its element one, and read messages. */
#pragma once

#include <gst/check/gstharness.h>

static inline GstBus *
attach_bus (GstHarness * h)
{
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);
  return bus;
}

static inline void
detach_bus (GstHarness * h, GstBus * bus)
{
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
}

/* The next element message with this name, skipping others; NULL if none. */
static inline GstMessage *
pop_element_message (GstBus * bus, const gchar * name)
{
  GstMessage *msg;
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    if (gst_message_has_name (msg, name))
      return msg;
    gst_message_unref (msg);
  }
  return NULL;
}
