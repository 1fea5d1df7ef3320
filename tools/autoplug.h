/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Decoders that (uri)decodebin must not plug for stillframe's inputs. */
#pragma once

#include <gst/gst.h>

#include <cstring>

namespace stillframe {

/* decodebin's GstAutoplugSelectResult, which no public header declares. */
enum AutoplugSelect { kAutoplugTry = 0, kAutoplugSkip = 2 };

/* Game-music and tracker-module decoders: such formats never hold video, yet
 * typefinding can take damaged video for them, and libgme crashes on
 * malformed data (found by tests/fuzz). */
inline int
skip_foreign_decoders (GstElement *, GstPad *, GstCaps *,
    GstElementFactory *factory, gpointer)
{
  static const char *const skipped[] = { "gmedec", "modplug", "openmptdec",
    "xmpdec", "sidplay" };
  const char *name = GST_OBJECT_NAME (factory);
  for (const char *s : skipped)
    if (std::strcmp (name, s) == 0)
      return kAutoplugSkip;
  return kAutoplugTry;
}

/* Connects the above to a decodebin or uridecodebin. */
inline void
connect_decoder_filter (GstElement *decodebin)
{
  g_signal_connect (decodebin, "autoplug-select",
      G_CALLBACK (skip_foreign_decoders), NULL);
}

}  // namespace stillframe
