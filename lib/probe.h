/* probe.h: what libavformat says about a video file (medusa-scan -p, and
 * the clip-past-the-end check of medusa-meta set). */
#ifndef MEDUSA_PROBE_H
#define MEDUSA_PROBE_H

#include <stddef.h>

struct probe {
	long long duration_ms;  /* -1 when the container does not say */
	int width, height;      /* of the first video stream; 0 when none */
	char vcodec[32];        /* "h264"; "" when there is no video stream */
	char acodec[32];        /* "aac"; "" when there is no audio stream */
	int rotation;           /* degrees clockwise to display upright: 0, 90, 180, 270 */
};

/* Opens path with libavformat and reads its stream info. 0, or -1 with err
 * ("Invalid data found when processing input", "no video stream"). */
int probe_file(const char *path, struct probe *p, char *err, size_t errlen);

#endif
