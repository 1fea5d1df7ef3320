/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GstHarness tests of stillframecut: frame-exact hysteresis, both timestamp
 * modes, events, queries, flushing and buffer pools. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "busutil.h"
#include "stillframemeta.h"

#include <string>
#include <vector>

#define FPS 30
#define MS (GST_MSECOND)

static GstClockTime
pts_of (int index)
{
  return gst_util_uint64_scale (index, GST_SECOND, FPS);
}

static GstBuffer *
make_frame (int index, int motion /* 1, 0, or -1 for no meta */ )
{
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, 64 * 48 * 3 / 2, NULL);
  gst_buffer_memset (buffer, 0, index & 0xff, 64 * 48 * 3 / 2);
  GST_BUFFER_PTS (buffer) = pts_of (index);
  GST_BUFFER_DURATION (buffer) = pts_of (index + 1) - pts_of (index);
  if (motion >= 0) {
    GstCustomMeta *meta =
        gst_buffer_add_custom_meta (buffer, STILLFRAME_MOTION_META_NAME);
    fail_unless (meta != NULL);
    stillframe::MotionMetaFields fields;
    fields.motion = motion;
    fields.score = motion ? 0.1 : 0.0;
    fields.write (gst_custom_meta_get_structure (meta));
  }
  return buffer;
}

static GstHarness *
setup_cut (const gchar * timestamps, GstClockTime min_static,
    GstClockTime pre_roll, GstClockTime post_roll)
{
  GstHarness *h = gst_harness_new ("stillframecut");
  gst_harness_set_live (h, FALSE);
  gst_util_set_object_arg (G_OBJECT (h->element), "timestamps", timestamps);
  g_object_set (h->element, "min-static-duration", min_static, "pre-roll",
      pre_roll, "post-roll", post_roll, NULL);
  gst_harness_set_src_caps_str (h,
      "video/x-raw,format=I420,width=64,height=48,framerate=30/1");
  return h;
}

/* Pushes frames whose motion flags are given as a string, one character per
 * frame: 'M' motion, '.' static, '?' no meta; then EOS. */
static void
push_pattern (GstHarness * h, const std::string & pattern, int first_index = 0)
{
  for (size_t i = 0; i < pattern.size (); i++) {
    const int motion = pattern[i] == 'M' ? 1 : pattern[i] == '.' ? 0 : -1;
    /* (The check macros declare a local named "first".) */
    GstFlowReturn ret = gst_harness_push (h,
        make_frame (first_index + (int) i, motion));
    fail_unless_equals_int (ret, GST_FLOW_OK);
  }
}

/* The index of each output frame, recovered from its fill byte. */
static std::vector<int>
pull_indices (GstHarness * h)
{
  std::vector<int> indices;
  GstBuffer *buffer;
  while ((buffer = gst_harness_try_pull (h))) {
    guint8 byte;
    gst_buffer_extract (buffer, 0, &byte, 1);
    indices.push_back (byte);
    gst_buffer_unref (buffer);
  }
  return indices;
}

static std::vector<int>
range (int from, int to /* exclusive */ )
{
  std::vector<int> v;
  for (int i = from; i < to; i++)
    v.push_back (i);
  return v;
}

static std::vector<int>
concat (std::initializer_list<std::vector<int>> parts)
{
  std::vector<int> v;
  for (const auto & p:parts)
    v.insert (v.end (), p.begin (), p.end ());
  return v;
}

static std::string
describe (const std::vector<int> &v)
{
  std::string s;
  for (size_t i = 0; i < v.size (); i++) {
    size_t j = i;
    while (j + 1 < v.size () && v[j + 1] == v[j] + 1)
      j++;
    s += std::to_string (v[i]) + (j > i ? "-" + std::to_string (v[j]) : "")
        + " ";
    i = j;
  }
  return s;
}

#define assert_frames(h, expected) G_STMT_START { \
  std::vector<int> got = pull_indices (h); \
  std::vector<int> want = expected; \
  fail_unless (got == want, "kept %s, expected %s", describe (got).c_str (), \
      describe (want).c_str ()); \
} G_STMT_END

static std::string
pattern (std::initializer_list<std::pair<char, int>> runs)
{
  std::string s;
  for (const auto & run:runs)
    s += std::string (run.second, run.first);
  return s;
}

GST_START_TEST (test_short_static_span_kept_whole)
{
  GstHarness *h = setup_cut ("original", 3 * GST_SECOND, 500 * MS, 500 * MS);
  /* 89 static frames = 2.97 s < 3 s. */
  push_pattern (h, pattern ({{'M', 10}, {'.', 89}, {'M', 10}}));
  gst_harness_push_event (h, gst_event_new_eos ());
  assert_frames (h, range (0, 109));
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_span_of_exactly_min_static_is_dropped)
{
  GstHarness *h = setup_cut ("original", 3 * GST_SECOND, 0, 0);
  push_pattern (h, pattern ({{'M', 10}, {'.', 90}, {'M', 10}}));
  gst_harness_push_event (h, gst_event_new_eos ());
  assert_frames (h, concat ({range (0, 10), range (100, 110)}));
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_long_static_span_keeps_pre_and_post_roll)
{
  for (const gchar * mode:{"original", "retime"}) {
    GstHarness *h = setup_cut (mode, GST_SECOND, 500 * MS, 500 * MS);
    push_pattern (h, pattern ({{'M', 10}, {'.', 90}, {'M', 10}}));
    gst_harness_push_event (h, gst_event_new_eos ());
    /* 15 frames (0.5 s) after the motion, 15 before the next. */
    assert_frames (h, concat ({range (0, 25), range (85, 110)}));
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

GST_START_TEST (test_leading_and_trailing_static)
{
  GstHarness *h = setup_cut ("original", GST_SECOND, 500 * MS, 200 * MS);
  push_pattern (h, pattern ({{'.', 100}, {'M', 10}, {'.', 90}}));
  gst_harness_push_event (h, gst_event_new_eos ());
  /* Leading: only pre-roll. Trailing, long: only post-roll (6 frames). */
  assert_frames (h, range (85, 116));
  gst_harness_teardown (h);

  /* Short ones too: there is nothing to bridge. */
  h = setup_cut ("original", 3 * GST_SECOND, 500 * MS, 200 * MS);
  push_pattern (h, pattern ({{'.', 20}, {'M', 10}, {'.', 20}}));
  gst_harness_push_event (h, gst_event_new_eos ());
  assert_frames (h, range (5, 36));
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_motion_shorter_than_min_motion_is_static)
{
  for (const gchar * mode:{"original", "retime"}) {
    /* 30 fps, min-motion 0.5 s (15 frames): a 10-frame flutter is cut, a
     * 20-frame crossing is kept from its first frame, with 5 frames of
     * pre-roll before it. */
    GstHarness *h = setup_cut (mode, GST_SECOND, 166 * MS, 0);
    g_object_set (h->element, "min-motion-duration", 500 * MS, NULL);
    push_pattern (h, pattern ({{'.', 40}, {'M', 10}, {'.', 40}, {'M', 20},
                {'.', 40}}));
    gst_harness_push_event (h, gst_event_new_eos ());
    assert_frames (h, range (85, 110));
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

GST_START_TEST (test_buffers_without_meta_are_kept)
{
  GstHarness *h = setup_cut ("original", 500 * MS, 0, 0);
  push_pattern (h, pattern ({{'.', 30}, {'?', 5}, {'.', 30}}));
  gst_harness_push_event (h, gst_event_new_eos ());
  assert_frames (h, range (30, 35));
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_retime_is_continuous)
{
  GstHarness *h = setup_cut ("retime", GST_SECOND, 200 * MS, 200 * MS);
  push_pattern (h, pattern ({{'.', 60}, {'M', 10}, {'.', 60}, {'M', 5},
              {'.', 45}}));
  gst_harness_push_event (h, gst_event_new_eos ());

  /* One segment starting at 0. */
  GstEvent *event;
  gboolean saw_segment = FALSE;
  while ((event = gst_harness_try_pull_event (h))) {
    if (GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT) {
      fail_if (saw_segment, "more than one segment");
      const GstSegment *segment;
      gst_event_parse_segment (event, &segment);
      fail_unless_equals_uint64 (segment->start, 0);
      fail_unless_equals_uint64 (segment->base, 0);
      saw_segment = TRUE;
    }
    gst_event_unref (event);
  }
  fail_unless (saw_segment);

  GstClockTime expected = 0;
  guint count = 0;
  GstBuffer *buffer;
  while ((buffer = gst_harness_try_pull (h))) {
    fail_unless_equals_clocktime (GST_BUFFER_PTS (buffer), expected);
    fail_unless (GST_BUFFER_DURATION_IS_VALID (buffer));
    expected += GST_BUFFER_DURATION (buffer);
    count++;
    gst_buffer_unref (buffer);
  }
  /* 6 pre + 10 + 6 post + 6 pre + 5 + 6 post. */
  fail_unless_equals_int (count, 39);
  fail_unless_equals_clocktime (expected, pts_of (39));
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_splices_request_keyframes)
{
  GstHarness *h = setup_cut ("retime", GST_SECOND, 0, 0);
  push_pattern (h, pattern ({{'M', 5}, {'.', 40}, {'M', 5}, {'.', 40},
              {'M', 5}}));
  /* Before the first frame of each kept span after a cut: a request for a
   * keyframe on the next frame, and that frame is DISCONT. */
  int requests = 0;
  GstEvent *event;
  while ((event = gst_harness_try_pull_event (h))) {
    if (gst_video_event_is_force_key_unit (event)) {
      GstClockTime running_time = 0;
      gboolean all_headers = FALSE;
      fail_unless (gst_video_event_parse_downstream_force_key_unit (event,
              NULL, NULL, &running_time, &all_headers, NULL));
      fail_unless (!GST_CLOCK_TIME_IS_VALID (running_time));
      fail_unless (all_headers);
      requests++;
    }
    gst_event_unref (event);
  }
  fail_unless_equals_int (requests, 2);
  int discont = 0;
  GstBuffer *buffer;
  while ((buffer = gst_harness_try_pull (h))) {
    discont += GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DISCONT);
    gst_buffer_unref (buffer);
  }
  fail_unless_equals_int (discont, 2);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_original_sends_gaps)
{
  GstHarness *h = setup_cut ("original", GST_SECOND, 0, 0);
  push_pattern (h, pattern ({{'M', 5}, {'.', 40}, {'M', 5}}));
  gst_harness_push_event (h, gst_event_new_eos ());
  assert_frames (h, concat ({range (0, 5), range (45, 50)}));
  int gaps = 0;
  GstEvent *event;
  while ((event = gst_harness_try_pull_event (h))) {
    if (GST_EVENT_TYPE (event) == GST_EVENT_GAP) {
      GstClockTime timestamp, duration;
      gst_event_parse_gap (event, &timestamp, &duration);
      fail_unless_equals_clocktime (timestamp, pts_of (5 + gaps));
      fail_unless_equals_clocktime (duration,
          pts_of (6 + gaps) - pts_of (5 + gaps));
      gaps++;
    }
    gst_event_unref (event);
  }
  fail_unless_equals_int (gaps, 40);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_cut_messages_and_summary)
{
  GstHarness *h = setup_cut ("retime", GST_SECOND, 0, 0);
  GstBus *bus = attach_bus (h);
  push_pattern (h, pattern ({{'M', 5}, {'.', 40}, {'M', 5}, {'.', 60}}));
  gst_harness_push_event (h, gst_event_new_eos ());

  GstClockTime expected[][2] = { {pts_of (5), pts_of (45)},
  {pts_of (50), pts_of (110)}
  };
  for (auto & span:expected) {
    GstMessage *msg = pop_element_message (bus,
        stillframe::CutSpanMessage::kName);
    fail_unless (msg != NULL);
    stillframe::CutSpanMessage cut;
    fail_unless (stillframe::parse_element_message (msg, &cut));
    fail_unless_equals_uint64 (cut.start, span[0]);
    fail_unless_equals_uint64 (cut.stop, span[1]);
    fail_unless_equals_uint64 (cut.duration (), span[1] - span[0]);
    gst_message_unref (msg);
  }
  GstMessage *msg = pop_element_message (bus,
      stillframe::CutSummaryMessage::kName);
  fail_unless (msg != NULL);
  stillframe::CutSummaryMessage summary;
  fail_unless (stillframe::parse_element_message (msg, &summary));
  fail_unless_equals_uint64 (summary.frames_in, 110);
  fail_unless_equals_uint64 (summary.frames_out, 10);
  fail_unless_equals_uint64 (summary.spans_dropped, 2);
  fail_unless_equals_uint64 (summary.duration_in, pts_of (110));
  fail_unless_equals_uint64 (summary.duration_out, pts_of (5) + pts_of (50) -
      pts_of (45));
  gst_message_unref (msg);
  detach_bus (h, bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_latency)
{
  GstHarness *h = setup_cut ("original", 2 * GST_SECOND, 500 * MS, 0);
  GstBus *bus = attach_bus (h);
  gst_harness_set_upstream_latency (h, 40 * MS);
  fail_unless_equals_clocktime (gst_harness_query_latency (h),
      40 * MS + 2 * GST_SECOND);

  /* The hold time is max(min-static-duration, pre-roll). */
  g_object_set (h->element, "pre-roll", 5 * GST_SECOND, NULL);
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_LATENCY);
  fail_unless (msg != NULL, "no latency message after a change");
  gst_message_unref (msg);
  fail_unless_equals_clocktime (gst_harness_query_latency (h),
      40 * MS + 5 * GST_SECOND);

  /* No message when the hold time does not change. */
  g_object_set (h->element, "post-roll", GST_SECOND, NULL);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_LATENCY) == NULL);

  /* Motion that must last to count is waited for as well. */
  g_object_set (h->element, "min-motion-duration", GST_SECOND, NULL);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_LATENCY);
  fail_unless (msg != NULL, "no latency message after a change");
  gst_message_unref (msg);
  fail_unless_equals_clocktime (gst_harness_query_latency (h),
      40 * MS + 6 * GST_SECOND);
  detach_bus (h, bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_flush_clears_held_frames)
{
  GstHarness *h = setup_cut ("retime", 2 * GST_SECOND, 0, 0);
  push_pattern (h, pattern ({{'M', 3}, {'.', 20}}));
  assert_frames (h, range (0, 3));    /* the static ones are held */
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  GstSegment segment;
  gst_segment_init (&segment, GST_FORMAT_TIME);
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&segment)));
  push_pattern (h, pattern ({{'M', 2}}), 100);
  /* Nothing of the held frames came out; the timeline starts afresh. */
  GstBuffer *buffer = gst_harness_pull (h);
  guint8 byte;
  gst_buffer_extract (buffer, 0, &byte, 1);
  fail_unless_equals_int (byte, 100);
  fail_unless_equals_clocktime (GST_BUFFER_PTS (buffer), pts_of (100));
  gst_buffer_unref (buffer);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_events_stay_in_order)
{
  GstHarness *h = setup_cut ("original", 10 * GST_SECOND, 0, 0);
  push_pattern (h, pattern ({{'M', 2}, {'.', 5}}));
  /* A serialized event while frames are held waits behind them. */
  GstStructure *s = gst_structure_new_empty ("marker");
  fail_unless (gst_harness_push_event (h,
          gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM, s)));
  fail_unless_equals_int (gst_harness_buffers_received (h), 2);
  push_pattern (h, pattern ({{'M', 1}}), 7);
  fail_unless_equals_int (gst_harness_buffers_received (h), 8);
  /* Drain the sticky events, then the marker must be the next one. */
  GstEvent *event;
  gboolean found = FALSE;
  while ((event = gst_harness_try_pull_event (h))) {
    found |= gst_event_has_name (event, "marker");
    gst_event_unref (event);
  }
  fail_unless (found);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Pushes 20 frames from a pool of 4 (as from a hardware decoder), each
 * the pooled buffer itself or, as stillframedetect makes when the decoder
 * still had its frame, a buffer holding it through a GstParentBufferMeta:
 * held for the pre-roll of the motion at the end, but the pool never runs
 * dry. */
static void
check_bounded_pool (gboolean wrapped)
{
  GstHarness *h = setup_cut ("original", 10 * GST_SECOND, 10 * GST_SECOND, 0);
  GstBufferPool *pool = gst_buffer_pool_new ();
  GstStructure *config = gst_buffer_pool_get_config (pool);
  gst_buffer_pool_config_set_params (config, NULL, 64 * 48 * 3 / 2, 4, 4);
  fail_unless (gst_buffer_pool_set_config (pool, config));
  fail_unless (gst_buffer_pool_set_active (pool, TRUE));

  GstBufferPoolAcquireParams params = { };
  params.flags = GST_BUFFER_POOL_ACQUIRE_FLAG_DONTWAIT;
  for (int i = 0; i < 20; i++) {
    GstBuffer *buffer = NULL;
    fail_unless (gst_buffer_pool_acquire_buffer (pool, &buffer, &params)
        == GST_FLOW_OK, "the pool ran dry at frame %d", i);
    GstBuffer *frame = make_frame (i, 0);
    gst_buffer_copy_into (buffer, frame, (GstBufferCopyFlags)
        (GST_BUFFER_COPY_METADATA | GST_BUFFER_COPY_MEMORY), 0, -1);
    gst_buffer_unref (frame);
    if (wrapped) {
      GstBuffer *wrapper = gst_buffer_copy (buffer);
      gst_buffer_add_parent_buffer_meta (wrapper, buffer);
      gst_buffer_unref (buffer);
      buffer = wrapper;
    }
    fail_unless_equals_int (gst_harness_push (h, buffer), GST_FLOW_OK);
  }
  fail_unless_equals_int (gst_harness_buffers_received (h), 0);
  push_pattern (h, "M", 20);
  fail_unless_equals_int (pull_indices (h).size (), 21);
  gst_buffer_pool_set_active (pool, FALSE);
  gst_object_unref (pool);
  gst_harness_teardown (h);
}

GST_START_TEST (test_does_not_starve_a_bounded_pool)
{
  check_bounded_pool (FALSE);
}

GST_END_TEST;

GST_START_TEST (test_does_not_starve_a_bounded_pool_through_a_parent)
{
  check_bounded_pool (TRUE);
}

GST_END_TEST;

GST_START_TEST (test_queries_and_seek_in_retime_mode)
{
  GstHarness *h = setup_cut ("retime", GST_SECOND, 0, 0);
  push_pattern (h, pattern ({{'M', 5}, {'.', 40}, {'M', 5}}));
  GstQuery *query = gst_query_new_seeking (GST_FORMAT_TIME);
  fail_unless (gst_pad_peer_query (h->sinkpad, query));
  gboolean seekable = TRUE;
  gst_query_parse_seeking (query, NULL, &seekable, NULL, NULL);
  fail_if (seekable);
  gst_query_unref (query);

  fail_if (gst_harness_push_upstream_event (h,
          gst_event_new_seek (1.0, GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH,
              GST_SEEK_TYPE_SET, 0, GST_SEEK_TYPE_NONE, -1)));

  /* Position is in output time: 10 frames kept. */
  gint64 position = -1;
  fail_unless (gst_element_query_position (h->element, GST_FORMAT_TIME,
          &position));
  fail_unless_equals_int64 (position, (gint64) (pts_of (5) + pts_of (50)
          - pts_of (45)));
  gint64 duration;
  fail_if (gst_element_query_duration (h->element, GST_FORMAT_TIME,
          &duration));
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_qos_is_translated_to_input_time)
{
  GstHarness *h = setup_cut ("retime", GST_SECOND, 0, 0);
  push_pattern (h, pattern ({{'M', 5}, {'.', 40}, {'M', 5}}));
  /* 40 frames were cut before the second span. */
  fail_unless (gst_harness_push_upstream_event (h,
          gst_event_new_qos (GST_QOS_TYPE_UNDERFLOW, 1.0, 0, pts_of (6))));
  GstEvent *event;
  GstClockTime timestamp = GST_CLOCK_TIME_NONE;
  while ((event = gst_harness_try_pull_upstream_event (h))) {
    if (GST_EVENT_TYPE (event) == GST_EVENT_QOS)
      gst_event_parse_qos (event, NULL, NULL, NULL, &timestamp);
    gst_event_unref (event);
  }
  fail_unless_equals_clocktime (timestamp, pts_of (6) + pts_of (45)
      - pts_of (5));
  gst_harness_teardown (h);
}

GST_END_TEST;


#define RATE 48000
#define AUDIO_CHUNK 1000

/* Mono S32 audio whose every sample holds its own index. */
static GstBuffer *
make_audio (guint64 first_sample, guint count)
{
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, count * 4, NULL);
  GstMapInfo map;
  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  for (guint i = 0; i < count; i++)
    ((gint32 *) map.data)[i] = (gint32) (first_sample + i);
  gst_buffer_unmap (buffer, &map);
  GST_BUFFER_PTS (buffer) = gst_util_uint64_scale_int (first_sample,
      GST_SECOND, RATE);
  GST_BUFFER_DURATION (buffer) = gst_util_uint64_scale_int (first_sample +
      count, GST_SECOND, RATE) - GST_BUFFER_PTS (buffer);
  return buffer;
}

static GstHarness *
setup_audio (GstHarness * video)
{
  GstHarness *h = gst_harness_new_with_element (video->element,
      "audio_sink_0", "audio_src_0");
  gst_harness_set_live (h, FALSE);
  gst_harness_set_src_caps_str (h, "audio/x-raw,format=S32LE,layout="
      "interleaved,channels=1,rate=48000");
  return h;
}

/* Every sample pulled, and checks that their timestamps are continuous. */
static std::vector<gint32>
pull_samples (GstHarness * h, gboolean continuous)
{
  std::vector<gint32> samples;
  GstBuffer *buffer;
  while ((buffer = gst_harness_try_pull (h))) {
    if (continuous) {
      const GstClockTime expected = gst_util_uint64_scale_int (samples.size (),
          GST_SECOND, RATE);
      fail_unless (ABS ((gint64) GST_BUFFER_PTS (buffer) - (gint64) expected)
          <= 1, "audio at %" GST_TIME_FORMAT ", expected %" GST_TIME_FORMAT,
          GST_TIME_ARGS (GST_BUFFER_PTS (buffer)), GST_TIME_ARGS (expected));
    }
    GstMapInfo map;
    gst_buffer_map (buffer, &map, GST_MAP_READ);
    const gint32 *data = (const gint32 *) map.data;
    samples.insert (samples.end (), data, data + map.size / 4);
    gst_buffer_unmap (buffer, &map);
    gst_buffer_unref (buffer);
  }
  return samples;
}

/* Audio from sample 0 to `end`, in chunks. */
static void
push_audio_until (GstHarness * audio, guint64 end)
{
  for (guint64 sample = 0; sample < end; sample += AUDIO_CHUNK) {
    GstFlowReturn ret = gst_harness_push (audio, make_audio (sample,
            AUDIO_CHUNK));
    fail_unless_equals_int (ret, GST_FLOW_OK);
  }
}

GST_START_TEST (test_audio_cut_sample_accurately)
{
  for (const gchar * mode:{"retime", "original"}) {
    GstHarness *video = setup_cut (mode, GST_SECOND, 0, 0);
    GstHarness *audio = setup_audio (video);
    /* Frames 10-69 (1/3 s to 7/3 s) are dropped. */
    push_pattern (video, pattern ({{'M', 10}, {'.', 60}, {'M', 10}}));
    gst_harness_push_event (video, gst_event_new_eos ());
    push_audio_until (audio, 128000);

    const gboolean retime = g_str_equal (mode, "retime");
    std::vector<gint32> samples = pull_samples (audio, retime);
    fail_unless_equals_int (samples.size (), 32000);
    for (size_t i = 0; i < samples.size (); i++) {
      const gint32 expected = i < 16000 ? (gint32) i : (gint32) i + 96000;
      if (samples[i] != expected)
        fail ("%s: sample %zu is %d, expected %d", mode, i, samples[i],
            expected);
    }
    if (!retime) {
      /* The dropped 2 s went out as gaps at their source times. */
      GstClockTime gap_time = 0;
      GstEvent *event;
      while ((event = gst_harness_try_pull_event (audio))) {
        if (GST_EVENT_TYPE (event) == GST_EVENT_GAP) {
          GstClockTime timestamp, duration;
          gst_event_parse_gap (event, &timestamp, &duration);
          gap_time += duration;
          fail_unless (timestamp >= pts_of (10) - 1 && timestamp < pts_of (70));
        }
        gst_event_unref (event);
      }
      fail_unless (ABS ((gint64) gap_time - 2 * (gint64) GST_SECOND) <= 100);
    }
    gst_harness_teardown (audio);
    gst_harness_teardown (video);
  }
}

GST_END_TEST;

GST_START_TEST (test_static_speed_skims_static_spans)
{
  for (const gchar * mode:{"retime", "original"}) {
    GstHarness *video = setup_cut (mode, GST_SECOND, 0, 0);
    g_object_set (video->element, "static-speed", 5.0, NULL);
    GstHarness *audio = setup_audio (video);
    GstBus *bus = attach_bus (video);
    /* Frames 10-69 are static: one in five of them is kept. */
    push_pattern (video, pattern ({{'M', 10}, {'.', 60}, {'M', 10}}));
    gst_harness_push_event (video, gst_event_new_eos ());
    push_audio_until (audio, 128000);
    std::vector<int> skimmed = range (0, 10);
    for (int i = 10; i < 70; i += 5)
      skimmed.push_back (i);
    const std::vector<int> all = concat ({skimmed, range (70, 80)});
    const gboolean retime = g_str_equal (mode, "retime");
    /* Retimed end to end: 32 frames, no gap. */
    std::vector<int> got;
    GstClockTime expected = 0;
    GstBuffer *buffer;
    while ((buffer = gst_harness_try_pull (video))) {
      guint8 byte;
      gst_buffer_extract (buffer, 0, &byte, 1);
      got.push_back (byte);
      if (retime)
        fail_unless_equals_clocktime (GST_BUFFER_PTS (buffer), expected);
      expected += GST_BUFFER_DURATION (buffer);
      /* A fast-forward, not a splice: no keyframe asked at each. */
      fail_if (byte != 70 && GST_BUFFER_FLAG_IS_SET (buffer,
              GST_BUFFER_FLAG_DISCONT) && byte != 0, "frame %d is a splice",
          byte);
      gst_buffer_unref (buffer);
    }
    fail_unless (got == all, "kept %s", describe (got).c_str ());
    /* The audio in the same slices: 1600 samples (a frame) each. */
    std::vector<gint32> samples = pull_samples (audio, retime);
    fail_unless_equals_int (samples.size (), 32 * 1600);
    for (size_t i = 0; i < samples.size (); i++) {
      const size_t frame = i / 1600;
      const gint32 expected_sample = (gint32) (all[frame] * 1600 + i % 1600);
      if (samples[i] != expected_sample)
        fail ("%s: sample %zu is %d, expected %d", mode, i, samples[i],
            expected_sample);
    }
    /* One span, which says what skimmed it. */
    GstMessage *msg = pop_element_message (bus,
        stillframe::CutSpanMessage::kName);
    fail_unless (msg != NULL);
    stillframe::CutSpanMessage cut;
    fail_unless (stillframe::parse_element_message (msg, &cut));
    fail_unless_equals_uint64 (cut.start, pts_of (10));
    fail_unless_equals_uint64 (cut.stop, pts_of (70));
    fail_unless_equals_uint64 (cut.frames, 48);
    fail_unless_equals_uint64 (cut.skimmed, 12);
    gst_message_unref (msg);
    fail_unless (pop_element_message (bus,
            stillframe::CutSpanMessage::kName) == NULL);
    detach_bus (video, bus);
    gst_harness_teardown (audio);
    gst_harness_teardown (video);
  }
}

GST_END_TEST;

struct AudioPush
{
  GstHarness *h;
  GstFlowReturn ret;
};

static gpointer
push_audio_thread (gpointer data)
{
  AudioPush *push = (AudioPush *) data;
  push->ret = gst_harness_push (push->h, make_audio (0, AUDIO_CHUNK));
  return NULL;
}

GST_START_TEST (test_audio_waits_for_the_video)
{
  GstHarness *video = setup_cut ("retime", GST_SECOND, 0, 0);
  GstHarness *audio = setup_audio (video);
  AudioPush push = { audio, GST_FLOW_ERROR };
  GThread *thread = g_thread_new ("audio", push_audio_thread, &push);
  g_usleep (G_USEC_PER_SEC / 10);
  /* Nothing decided yet: the audio is held. */
  fail_unless_equals_int (gst_harness_buffers_received (audio), 0);
  push_pattern (video, pattern ({{'M', 1}}));
  g_thread_join (thread);
  fail_unless_equals_int (push.ret, GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_received (audio), 1);

  /* A flush releases a waiting push. */
  push.ret = GST_FLOW_OK;
  thread = g_thread_new ("audio", [] (gpointer data) -> gpointer {
        AudioPush *p = (AudioPush *) data;
        p->ret = gst_harness_push (p->h, make_audio (48000, AUDIO_CHUNK));
        return NULL;
      }, &push);
  g_usleep (G_USEC_PER_SEC / 10);
  gst_harness_push_event (audio, gst_event_new_flush_start ());
  g_thread_join (thread);
  fail_unless_equals_int (push.ret, GST_FLOW_FLUSHING);
  gst_harness_teardown (audio);
  gst_harness_teardown (video);
}

GST_END_TEST;

/* Audio that resumes after a hole (a dropout, a damaged timestamp) waits
 * for the video to reach it; meanwhile the hole goes out as a gap as far as
 * the video is decided, or a muxer waiting for audio would wait forever. */
GST_START_TEST (test_a_hole_in_the_audio_goes_out_as_a_gap)
{
  for (const gchar * mode:{"retime", "original"}) {
    GstHarness *video = setup_cut (mode, GST_SECOND, 0, 0);
    GstHarness *audio = setup_audio (video);
    push_pattern (video, pattern ({{'M', 30}}));
    fail_unless_equals_int (gst_harness_push (audio, make_audio (0,
                AUDIO_CHUNK)), GST_FLOW_OK);
    /* The next audio is at 5 s; the video is decided up to 1 s. */
    AudioPush push = { audio, GST_FLOW_ERROR };
    GThread *thread = g_thread_new ("audio", [] (gpointer data) -> gpointer {
          AudioPush *p = (AudioPush *) data;
          p->ret = gst_harness_push (p->h, make_audio (5 * RATE,
                  AUDIO_CHUNK));
          return NULL;
        }, &push);
    GstClockTime gap_start = GST_CLOCK_TIME_NONE, gap_end = 0;
    for (int tries = 0; tries < 100 && gap_end < pts_of (29); tries++) {
      GstEvent *event;
      while ((event = gst_harness_try_pull_event (audio))) {
        if (GST_EVENT_TYPE (event) == GST_EVENT_GAP) {
          GstClockTime timestamp, duration;
          gst_event_parse_gap (event, &timestamp, &duration);
          gap_start = MIN (gap_start, timestamp);
          gap_end = MAX (gap_end, timestamp + duration);
        }
        gst_event_unref (event);
      }
      g_usleep (G_USEC_PER_SEC / 100);
    }
    /* From the first audio's end to the last decided frame. */
    const GstClockTime first_end = gst_util_uint64_scale_int (AUDIO_CHUNK,
        GST_SECOND, RATE);
    fail_unless (ABS ((gint64) gap_start - (gint64) first_end) <= 1,
        "%s: gap from %" GST_TIME_FORMAT, mode, GST_TIME_ARGS (gap_start));
    fail_unless (gap_end >= pts_of (29) && gap_end <= pts_of (30), "%s: gap "
        "to %" GST_TIME_FORMAT, mode, GST_TIME_ARGS (gap_end));
    /* The audio after the hole goes once the video reaches it. */
    push_pattern (video, pattern ({{'M', 130}}), 30);
    g_thread_join (thread);
    fail_unless_equals_int (push.ret, GST_FLOW_OK);
    fail_unless_equals_int (gst_harness_buffers_received (audio), 2);
    gst_harness_teardown (audio);
    gst_harness_teardown (video);
  }
}

GST_END_TEST;

/* What the cut sends downstream before it has decided anything: one gap
 * (so that a sink can preroll), no frame. */
static std::vector<GstEvent *>
pull_gaps (GstHarness * h)
{
  std::vector<GstEvent *> gaps;
  GstEvent *event;
  while ((event = gst_harness_try_pull_event (h))) {
    if (GST_EVENT_TYPE (event) == GST_EVENT_GAP)
      gaps.push_back (event);
    else
      gst_event_unref (event);
  }
  return gaps;
}

GST_START_TEST (test_a_sink_can_preroll_before_anything_is_decided)
{
  for (const gchar * mode:{"retime", "original"}) {
    GstHarness *h = setup_cut (mode, 3 * GST_SECOND, GST_SECOND, GST_SECOND);
    /* Half a second of static frames: all held, undecided. */
    push_pattern (h, pattern ({{'.', 15}}), 30);
    fail_unless_equals_int (gst_harness_buffers_received (h), 0);
    std::vector<GstEvent *> gaps = pull_gaps (h);
    fail_unless_equals_int (gaps.size (), 1);
    GstClockTime timestamp, duration;
    gst_event_parse_gap (gaps[0], &timestamp, &duration);
    /* At the start of the output timeline; it covers no time. */
    fail_unless_equals_clocktime (timestamp, g_str_equal (mode, "retime") ?
        0 : pts_of (30));
    fail_unless_equals_clocktime (duration, 0);
    gst_event_unref (gaps[0]);
    /* Once is enough. */
    push_pattern (h, pattern ({{'.', 15}}), 45);
    fail_unless (pull_gaps (h).empty () || g_str_equal (mode, "original"));
    gst_harness_teardown (h);
  }
  /* Nothing is added when the first frame goes straight out. */
  GstHarness *h = setup_cut ("retime", GST_SECOND, 0, 0);
  push_pattern (h, pattern ({{'M', 2}, {'.', 5}}));
  fail_unless (pull_gaps (h).empty ());
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_a_hole_is_a_dropped_span)
{
  GstHarness *h = setup_cut ("retime", GST_SECOND, 0, 0);
  GstBus *bus = attach_bus (h);
  push_pattern (h, pattern ({{'M', 30}}));
  /* The camera sends nothing for 10 s, then moves again. */
  push_pattern (h, pattern ({{'M', 30}}), 330);
  gst_harness_push_event (h, gst_event_new_eos ());
  GstMessage *msg = pop_element_message (bus,
      stillframe::CutSpanMessage::kName);
  fail_unless (msg != NULL, "no message for the hole");
  stillframe::CutSpanMessage hole;
  fail_unless (stillframe::parse_element_message (msg, &hole));
  fail_unless_equals_uint64 (hole.start, pts_of (30));
  fail_unless_equals_uint64 (hole.stop, pts_of (330));
  fail_unless_equals_uint64 (hole.frames, 0);
  gst_message_unref (msg);
  msg = pop_element_message (bus, stillframe::CutSummaryMessage::kName);
  stillframe::CutSummaryMessage summary;
  fail_unless (stillframe::parse_element_message (msg, &summary));
  fail_unless_equals_uint64 (summary.duration_in, pts_of (360));
  fail_unless_equals_uint64 (summary.duration_out, pts_of (60));
  gst_message_unref (msg);
  detach_bus (h, bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_durations_follow_timestamps_not_frame_counts)
{
  /* Variable frame rate: frames 100 ms apart, each saying it lasts a
   * nominal 1/30 s. */
  GstHarness *h = setup_cut ("retime", GST_SECOND, 0, 0);
  GstBus *bus = attach_bus (h);
  for (int i = 0; i < 60; i++) {
    GstBuffer *frame = make_frame (i, i < 20 || i >= 40);
    GST_BUFFER_PTS (frame) = i * 100 * MS;
    fail_unless_equals_int (gst_harness_push (h, frame), GST_FLOW_OK);
  }
  gst_harness_push_event (h, gst_event_new_eos ());
  GstMessage *msg = pop_element_message (bus,
      stillframe::CutSummaryMessage::kName);
  stillframe::CutSummaryMessage summary;
  fail_unless (stillframe::parse_element_message (msg, &summary));
  fail_unless_equals_uint64 (summary.frames_out, 40);
  /* 5.9 s to the last frame's start, plus its own 1/30 s. */
  fail_unless_equals_uint64 (summary.duration_in, 5900 * MS + pts_of (60) -
      pts_of (59));
  /* Frames 20-39 (2.0 s to 4.0 s) are cut. */
  fail_unless_equals_uint64 (summary.duration_out, summary.duration_in -
      2 * GST_SECOND);
  gst_message_unref (msg);
  detach_bus (h, bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_a_segment_that_goes_on_loses_no_frame)
{
  for (const gchar * mode:{"retime", "original"}) {
    GstHarness *h = setup_cut (mode, GST_SECOND, 0, 0);
    /* A short pause, held until motion comes back; meanwhile the demuxer
     * sends its segment again (matroskademux does after the first frame). */
    push_pattern (h, pattern ({{'M', 5}, {'.', 10}}));
    GstSegment segment;
    gst_segment_init (&segment, GST_FORMAT_TIME);
    fail_unless (gst_harness_push_event (h, gst_event_new_segment (&segment)));
    push_pattern (h, pattern ({{'M', 5}}), 15);
    assert_frames (h, range (0, 20));
    gst_harness_teardown (h);
  }
  /* One that takes the timeline back ends the held static span as the end
   * of a stream would. */
  GstHarness *h = setup_cut ("original", GST_SECOND, 0, 0);
  push_pattern (h, pattern ({{'M', 5}, {'.', 10}}));
  GstSegment segment;
  gst_segment_init (&segment, GST_FORMAT_TIME);
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&segment)));
  push_pattern (h, pattern ({{'M', 5}}), 0);
  assert_frames (h, concat ({range (0, 5), range (0, 5)}));
  gst_harness_teardown (h);
}

GST_END_TEST;

struct LongAudioPush
{
  GstHarness *h;
  guint samples;
  GstFlowReturn ret;
};

static gpointer
push_long_audio (gpointer data)
{
  LongAudioPush *push = (LongAudioPush *) data;
  push->ret = gst_harness_push (push->h, make_audio (0, push->samples));
  return NULL;
}

GST_START_TEST (test_a_long_audio_buffer_goes_out_as_the_video_decides)
{
  GstHarness *video = setup_cut ("retime", GST_SECOND, 0, 0);
  GstHarness *audio = setup_audio (video);
  /* Half a second of audio in one buffer; the video has decided 0.1 s. */
  push_pattern (video, pattern ({{'M', 3}}));
  LongAudioPush push = { audio, RATE / 2, GST_FLOW_ERROR };
  GThread *thread = g_thread_new ("audio", push_long_audio, &push);
  /* What is decided goes out without waiting for the rest. */
  GstBuffer *decided = gst_harness_pull (audio);
  fail_unless_equals_int (gst_buffer_get_size (decided) / 4, RATE / 10);
  fail_unless_equals_clocktime (GST_BUFFER_PTS (decided), 0);
  gst_buffer_unref (decided);
  push_pattern (video, pattern ({{'M', 27}}), 3);
  g_thread_join (thread);
  fail_unless_equals_int (push.ret, GST_FLOW_OK);
  std::vector<gint32> rest = pull_samples (audio, FALSE);
  fail_unless_equals_int (rest.size (), RATE / 2 - RATE / 10);
  fail_unless_equals_int (rest.front (), RATE / 10);
  fail_unless_equals_int (rest.back (), RATE / 2 - 1);
  gst_harness_teardown (audio);
  gst_harness_teardown (video);
}

GST_END_TEST;

/* A segment in bytes or played backwards cannot be timed: refused, with an
 * error that says so, on the video and on an audio pad alike. */
GST_START_TEST (test_segment_not_forward_in_time_is_an_error)
{
  GstHarness *video = setup_cut ("retime", GST_SECOND, 0, 0);
  GstHarness *audio = setup_audio (video);
  GstBus *bus = attach_bus (video);
  GstSegment bytes, backwards;
  gst_segment_init (&bytes, GST_FORMAT_BYTES);
  gst_segment_init (&backwards, GST_FORMAT_TIME);
  backwards.rate = -1.0;
  /* (Sticky events are stored upstream whether taken or not.) */
  gst_harness_push_event (video, gst_event_new_segment (&bytes));
  gst_harness_push_event (audio, gst_event_new_segment (&backwards));
  for (int i = 0; i < 2; i++) {
    GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    fail_unless (msg != NULL, "error %d not posted", i);
    GError *error = NULL;
    gst_message_parse_error (msg, &error, NULL);
    fail_unless (g_error_matches (error, GST_STREAM_ERROR,
            GST_STREAM_ERROR_FORMAT));
    fail_unless (g_strrstr (error->message, "forward segment in time"));
    g_error_free (error);
    gst_message_unref (msg);
  }
  detach_bus (video, bus);
  gst_harness_teardown (audio);
  gst_harness_teardown (video);
}

GST_END_TEST;

static Suite *
stillframecut_suite (void)
{
  Suite *s = suite_create ("stillframecut");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_short_static_span_kept_whole);
  tcase_add_test (tc, test_span_of_exactly_min_static_is_dropped);
  tcase_add_test (tc, test_long_static_span_keeps_pre_and_post_roll);
  tcase_add_test (tc, test_leading_and_trailing_static);
  tcase_add_test (tc, test_motion_shorter_than_min_motion_is_static);
  tcase_add_test (tc, test_static_speed_skims_static_spans);
  tcase_add_test (tc, test_buffers_without_meta_are_kept);
  tcase_add_test (tc, test_retime_is_continuous);
  tcase_add_test (tc, test_original_sends_gaps);
  tcase_add_test (tc, test_splices_request_keyframes);
  tcase_add_test (tc, test_cut_messages_and_summary);
  tcase_add_test (tc, test_latency);
  tcase_add_test (tc, test_flush_clears_held_frames);
  tcase_add_test (tc, test_events_stay_in_order);
  tcase_add_test (tc, test_does_not_starve_a_bounded_pool);
  tcase_add_test (tc, test_does_not_starve_a_bounded_pool_through_a_parent);
  tcase_add_test (tc, test_queries_and_seek_in_retime_mode);
  tcase_add_test (tc, test_qos_is_translated_to_input_time);
  tcase_add_test (tc, test_audio_cut_sample_accurately);
  tcase_add_test (tc, test_audio_waits_for_the_video);
  tcase_add_test (tc, test_a_sink_can_preroll_before_anything_is_decided);
  tcase_add_test (tc, test_a_hole_is_a_dropped_span);
  tcase_add_test (tc, test_a_segment_that_goes_on_loses_no_frame);
  tcase_add_test (tc, test_durations_follow_timestamps_not_frame_counts);
  tcase_add_test (tc, test_a_long_audio_buffer_goes_out_as_the_video_decides);
  tcase_add_test (tc, test_a_hole_in_the_audio_goes_out_as_a_gap);
  tcase_add_test (tc, test_segment_not_forward_in_time_is_an_error);
  return s;
}

GST_CHECK_MAIN (stillframecut);
