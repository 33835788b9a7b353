/* serve_publish.h: GET /api/publish of medusa-serve backyard: how far the
 * frontyard is behind the saved sidecars, for the editor's status line. */
#ifndef MEDUSA_SERVE_PUBLISH_H
#define MEDUSA_SERVE_PUBLISH_H

#include "serve.h"

/* {"reconcile":{"time","generation","clips","changed","failed","pruned"}|null,
 *  "saved":N,"pending":N,"invalid":N,"broken":N,"command":"medusa-reconcile -C ROOT"}
 * from the records of the last medusa-reconcile (WORKDIR/reconcile.ndjson)
 * and the sidecars as they are now: pending counts the valid clips whose
 * times or effective tags are not what that run published. */
int serve_publish_status(struct serve *s, struct http_conn *c);

#endif
