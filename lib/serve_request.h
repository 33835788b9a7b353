/* serve_request.h: how medusa-serve(8) answers one request, on top of
 * the handlers of serve.h. */
#ifndef MEDUSA_SERVE_REQUEST_H
#define MEDUSA_SERVE_REQUEST_H

#include "serve.h"

/* Sets up a connection for the mode before its first request: in
 * backyard mode every answer carries the headers that keep other sites
 * from embedding, framing or sniffing it (medusa-serve(8) SECURITY). */
void serve_begin(struct serve *s, struct http_conn *c);

/* Answers the request in c->req: access control, the mode's endpoints,
 * then the static pages. 0, or -1 when the connection must end. */
int serve_request(struct serve *s, struct http_conn *c);

#endif
