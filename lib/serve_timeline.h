/* serve_timeline.h: medusa-serve backyard's endpoints for the editor's
 * timeline (medusa-serve(8)): GET /api/videos/PATH/filmstrip,
 * /filmstrip.json, /waveform and /scenes, made by timeline.h in one decode
 * per video and kept in the cache directory. */
#ifndef MEDUSA_SERVE_TIMELINE_H
#define MEDUSA_SERVE_TIMELINE_H

#include "serve.h"

/* rest: the path after "/api/videos/". SERVE_NEXT when it does not end in
 * one of the timeline's names, else 0 or -1 as every handler. */
int serve_timeline(struct serve *s, struct http_conn *c, const char *rest);

#endif
