/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gststillframeelements.h"
#include "stillframemeta.h"

/* One-time initialisation shared by the plugin's elements. */
void
stillframe_element_init (GstPlugin * /*plugin */ )
{
  stillframe_motion_meta_register ();
}
