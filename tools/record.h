/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `stillframe record`: a live camera in, one file per event out.
 *
 * The camera's pipeline: source -> parsebin, then for the video a tee to
 * an appsink of the camera's own packets and to decode -> stillframedetect
 * -> fakesink (or, with --detect-source, a second stream is decoded
 * instead); audio goes to an appsink of its own. Video that is not H.264
 * or H.265 (MJPEG, raw) is encoded to H.264 first, audio that is not AAC
 * to AAC. The packets and the detector's frames meet in a Recorder
 * (recorder.h), which says what each event file gets; each file is a
 * small pipeline of its own (appsrc -> parser -> muxer -> filesink) that
 * writes under a hidden name and is renamed on the main loop once
 * complete (filesafety.h), then indexed and subject to retention
 * (recordfiles.h).
 *
 * A camera that errors, ends or sends nothing for --stall-timeout is lost:
 * the open file is finished, the pipeline torn down and built again after
 * a backoff (1 s, doubling to 10 s), said once per outage. */
#pragma once

namespace stillframe::cli {

/* `stillframe record ...`: argv as main has it. Returns the exit code. */
int run_record (int argc, char **argv);

}  // namespace stillframe::cli
