/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

void stillframe_element_init (GstPlugin * plugin);

GST_ELEMENT_REGISTER_DECLARE (stillframedetect);
GST_ELEMENT_REGISTER_DECLARE (stillframecut);

G_END_DECLS
