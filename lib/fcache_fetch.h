/* fcache_fetch.h: how a frontyard replica brings its copy of a remote
 * metastore up to date without the S3 client in its request path. The
 * download is medusa-store's (`medusa-store -s REMOTE fetch LOCAL`,
 * rmeta.h), run by a helper process that medusa-serve forks during its
 * setup, before it restricts itself (no exec and no new sockets after
 * that): the server asks the helper over a socket pair and waits for the
 * exit status. So medusa-serve maps no libcurl, and a server that is not
 * a replica starts no helper. The new copy is renamed into place by
 * medusa-store; fcache.h sees the changed file. */
#ifndef MEDUSA_FCACHE_FETCH_H
#define MEDUSA_FCACHE_FETCH_H

struct fcache_fetch;

/* Starts the helper for remote (a URL, rmeta.h) and local (the copy).
 * medusa-store is looked for beside this program, then on PATH. NULL
 * after a message. */
struct fcache_fetch *fcache_fetch_start(const char *remote, const char *local);
/* Ends the helper (it also ends when this process does). */
void fcache_fetch_stop(struct fcache_fetch *f);

/* Fetches when it is due: when force is set, or when the last fetch of any
 * server on cachedir (the mtime of CACHEDIR/fetched) is refresh seconds
 * old or more. One process fetches at a time (the cache lock); the others
 * wait and take its result. 1 fetched (the copy is current), 0 not due, -1
 * the fetch failed (the old copy stays). */
int fcache_fetch_due(struct fcache_fetch *f, const char *cachedir, int refresh, int force);

#endif
