/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: each input is a video file's bytes, played through the
 * very pipeline `stillframe` builds for a file (tools/pipeline.h): scan
 * (stillframecut with timestamps=original), trim (retime, with the first
 * audio stream on the cut's audio pads, encoded), trim --copy, scan --fast
 * or trim --copy --fast, as the input's first byte picks. Crashes,
 * sanitizer reports and hangs in shutting down are findings; errors on the
 * bus are the expected outcome of most inputs.
 *
 * Built with -Dfuzzing=enabled by clang; run by tests/fuzz/run.sh. */
#include "job.h"
#include "pipeline.h"

#include <gst/gst.h>

#include <glib/gstdio.h>

#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace {

using namespace stillframe::cli;

std::string work_dir;

void
play (const std::uint8_t *data, size_t size, int mode)
{
  const std::string input = work_dir + "/input";
  if (!g_file_set_contents (input.c_str (), (const gchar *) data,
          (gssize) size, NULL))
    return;
  Options options;
  options.trim = mode == 1 || mode == 2 || mode == 4;
  options.copy = mode == 2 || mode == 4;
  options.fast = mode >= 3;
  options.preset = "ultrafast";
  options.output = work_dir + (options.copy ? "/out.mp4" : "/out.mkv");
  options.cut_props = {{"min-static-duration", "500000000"}};
  Job job;
  job.options = &options;
  job.input = {input, Input::Kind::File, input};
  job.output = options.output;
  try {
    build_pipeline (&job);
  } catch (const std::runtime_error &) {
    return;
  }
  gst_element_set_state (job.pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus (job.pipeline);
  /* An input that makes no progress is given up on, as the CLI's stall
   * watchdog does; shutting down must still work (a hang there is caught
   * by libFuzzer's -timeout). */
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, 5 * GST_SECOND,
      (GstMessageType) (GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  if (msg)
    gst_message_unref (msg);
  gst_object_unref (bus);
  /* The job's destructor stops the pipeline and removes its hidden
   * output. */
}

}  // namespace

extern "C" int
LLVMFuzzerInitialize (int *, char ***)
{
  gst_init (NULL, NULL);
  gchar *dir = g_dir_make_tmp ("stillframe-fuzz-XXXXXX", NULL);
  work_dir = dir ? dir : "/tmp";
  g_free (dir);
  return 0;
}

extern "C" int
LLVMFuzzerTestOneInput (const std::uint8_t *data, size_t size)
{
  if (size < 2)
    return 0;
  /* The first byte picks what is run, so that every mode gets explored. */
  play (data + 1, size - 1, data[0] % 5);
  return 0;
}
