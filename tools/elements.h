/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Building blocks of the CLI's pipelines (pipeline.h, copymode.h):
 * elements made, added and linked, or an error that names what is
 * missing. */
#pragma once

#include <gst/gst.h>

#include <initializer_list>
#include <string>

namespace stillframe::cli {

/* A new element; throws std::runtime_error naming a missing one. */
GstElement *make (const char *factory, const char *name = nullptr);
/* Links a to b; throws std::runtime_error if they cannot be. */
void link_or_throw (GstElement *a, GstElement *b);
/* Adds and links `elements` in order; returns the first. */
GstElement *add_chain (GstBin *bin, std::initializer_list<GstElement *>
    elements);
/* A new pad's media type ("video/x-h264", "audio/x-raw", ...). */
std::string media_type (GstPad *pad);
/* Sets a property from its text (as the options keep it); throws
 * std::invalid_argument. */
void set_from_string (GstElement *element, const std::string &name,
    const std::string &value);
/* A stream that is not kept still needs a sink. */
void link_to_discard (GstBin *bin, GstPad *pad);

}  // namespace stillframe::cli
