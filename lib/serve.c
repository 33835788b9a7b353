/* medusa-serve: the helpers every handler shares (405, static files
 * under a root, GET /api/tags); serve_request.c dispatches to them. */
#include "serve.h"
#include "ndjson.h"
#include "safepath.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int serve_405(struct http_conn *c, const char *allow)
{
	char *ex = xasprintf("Allow: %s\r\n", allow);
	int rc = http_error_hdr(c, 405, ex, "method not allowed");
	free(ex);
	return rc;
}

json_object *serve_tags_json(const struct config *cfg)
{
	json_object *arr = json_object_new_array();
	json_object *tags = NULL;
	if (cfg && json_object_object_get_ex(cfg->json, "tags", &tags) &&
	    json_object_is_type(tags, json_type_object)) {
		json_object_object_foreach(tags, name, def) {
			json_object *t = json_object_new_object();
			json_object_object_add(t, "name", json_object_new_string(name));
			json_object_object_foreach(def, k, v)
				json_object_object_add(t, k, json_object_get(v));
			json_object_array_add(arr, t);
		}
	}
	json_object *o = json_object_new_object();
	json_object_object_add(o, "tags", arr);
	return o;
}

/* Bytes made fit for a header line: each byte outside the unreserved set
 * and keep (e.g. "/" for a decoded path) percent-encoded, so a CR or LF
 * never gets through. */
static char *escape_bytes(const char *p, size_t n, const char *keep)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = xmalloc(3 * n + 1), *o = out;
	for (const unsigned char *s = (const unsigned char *)p; s < (const unsigned char *)p + n; s++) {
		if (isalnum(*s) || (*s && strchr("-._~", *s)) || (*s && strchr(keep, *s))) {
			*o++ = (char)*s;
		} else {
			*o++ = '%';
			*o++ = hex[*s >> 4];
			*o++ = hex[*s & 15];
		}
	}
	*o = '\0';
	return out;
}

/* What an encoded URL part (a raw path or query) may keep as it is. */
#define URL_KEEP "/?%!$&'()*+,;=:@"

/* The Location of a directory's URL with its slash, as the client named
 * it: under CGI the web server's REQUEST_URI (or SCRIPT_NAME + PATH_INFO),
 * which keeps the prefix the program is mounted at; the query stays. */
static char *dir_location(const struct http_conn *c)
{
	const char *uri = c->cgi ? getenv("REQUEST_URI") : NULL, *q = c->req.query;
	char *path;
	if (uri && *uri == '/') {
		path = escape_bytes(uri, strcspn(uri, "?#"), URL_KEEP);
	} else {
		const char *sn = c->cgi ? getenv("SCRIPT_NAME") : NULL;
		char *full = xasprintf("%s%s", sn && *sn == '/' ? sn : "", c->req.path);
		path = escape_bytes(full, strlen(full), "/");
		free(full);
	}
	char *query = escape_bytes(q, strlen(q), URL_KEEP);
	char *loc = xasprintf("Location: %s/%s%s\r\n", path, *query ? "?" : "", query);
	free(path);
	free(query);
	return loc;
}

/* Opens the regular file at abs (clean: its path under root) to serve it.
 * A symlink inside the root that stays inside is followed: the file is
 * opened at its real path (O_NOFOLLOW, so nothing swapped in since is
 * followed), and allow must take both the name asked for and the real
 * one (a link "x.mp4" to a sidecar is no video). The fd, or -status. */
static int open_served(const char *root, const char *abs, const char *clean,
    int (*allow)(const char *clean, void *arg), void *arg)
{
	if (allow && !allow(clean, arg))
		return -404;
	char *real = realpath(abs, NULL), *realroot = realpath(root, NULL);
	size_t rn = realroot ? strlen(realroot) : 0;
	int st = 0;
	if (!real || !realroot)
		st = real || errno != ENOENT ? -403 : -404;
	else if (strncmp(real, realroot, rn) != 0 || (real[rn] != '/' && rn > 1))
		st = -403;
	else if (allow && !allow(real + rn + (real[rn] == '/'), arg))
		st = -404;
	/* O_NONBLOCK: opening a FIFO (or a device) must not wait for a writer;
	 * only a regular file is served, read blocking as usual */
	int fd = st ? -1 : open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (!st && fd < 0)
		st = errno == ENOENT ? -404 : -403;
	free(real);
	free(realroot);
	struct stat sb;
	int fl;
	if (fd >= 0 && (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || (fl = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)) {
		close(fd);
		return -404;
	}
	return st ? st : fd;
}

int serve_file_under(struct http_conn *c, const char *root, const char *rel, const char *type,
    const char *cache, int (*allow)(const char *clean, void *arg), void *arg)
{
	char *abs = NULL, *clean = NULL;
	const char *why = NULL;
	int r = safepath_resolve(root, rel, strlen(rel), 1, &abs, &clean, &why);
	if (r == SAFEPATH_BAD)
		return http_error(c, strstr(why ? why : "", "..") ? 403 : 400, why);
	if (r == SAFEPATH_OUTSIDE)
		return http_error(c, 403, "outside the served tree");
	if (r != SAFEPATH_OK)
		return http_error(c, 404, "not found");
	int rc;
	struct stat st;
	if (stat(abs, &st) == 0 && S_ISDIR(st.st_mode)) {
		/* a directory: its index page, which must itself resolve inside */
		size_t n = strlen(rel);
		if (n > 0 && rel[n - 1] != '/' && c->req.path[strlen(c->req.path) - 1] != '/') {
			char *loc = dir_location(c);
			rc = http_send(c, 301, NULL, loc, NULL, 0);
			free(loc);
			goto out;
		}
		char *idx = *clean ? xasprintf("%s/index.html", clean) : xstrdup("index.html");
		free(abs);
		free(clean);
		abs = clean = NULL;
		r = safepath_resolve(root, idx, strlen(idx), 1, &abs, &clean, &why);
		free(idx);
		if (r != SAFEPATH_OK) {
			rc = http_error(c, r == SAFEPATH_OUTSIDE ? 403 : 404, "not found");
			goto out;
		}
	}
	int fd = open_served(root, abs, clean, allow, arg);
	if (fd < 0) {
		rc = http_error(c, -fd, -fd == 403 ? "outside the served tree" : "not found");
		goto out;
	}
	rc = http_send_fd(c, fd, type ? type : http_mime_of(clean), cache, NULL);
out:
	free(abs);
	free(clean);
	return rc;
}
