/* medusa-serve: access control, static pages and the shared endpoints. */
#include "serve.h"
#include "ndjson.h"
#include "safepath.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
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

/* A decoded path made fit for a header again: every byte outside the
 * unreserved set and '/' percent-encoded (a CR or LF never gets through). */
static char *escape_path(const char *p)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = xmalloc(3 * strlen(p) + 1), *o = out;
	for (const unsigned char *s = (const unsigned char *)p; *s; s++) {
		if (isalnum(*s) || strchr("/-._~", *s)) {
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
			char *esc = escape_path(c->req.path);
			char *loc = xasprintf("Location: %s/\r\n", esc);
			free(esc);
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
	if (allow && !allow(clean, arg)) {
		rc = http_error(c, 404, "not found");
		goto out;
	}
	/* O_NONBLOCK: opening a FIFO (or a device) must not wait for a writer;
	 * only a regular file is served, read blocking as usual */
	int fd = open(abs, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		rc = http_error(c, errno == ENOENT ? 404 : 403, "not found");
		goto out;
	}
	int fl;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (fl = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		close(fd);
		rc = http_error(c, 404, "not found");
		goto out;
	}
	rc = http_send_fd(c, fd, type ? type : http_mime_of(clean), cache, NULL);
out:
	free(abs);
	free(clean);
	return rc;
}

/* Hidden files (".git", editor swap files) are not part of a site. */
static int not_hidden(const char *clean, void *arg)
{
	(void)arg;
	return clean[0] != '.' && !strstr(clean, "/.");
}

static int serve_static(struct serve *s, struct http_conn *c)
{
	const char *m = c->req.method;
	if (strcmp(m, "GET") && strcmp(m, "HEAD"))
		return serve_405(c, "GET, HEAD");
	if (!s->webdir)
		return http_error(c, 404, "not found");
	return serve_file_under(c, s->webdir, c->req.path + 1, NULL, "no-cache", not_hidden, NULL);
}

/* Constant time over the token: compare BLAKE2b digests, so neither the
 * bytes nor the length leak through timing. */
static int token_same(const char *want, const char *got, size_t len)
{
	unsigned char a[32], b[32];
	crypto_generichash(a, sizeof a, (const unsigned char *)want, strlen(want), NULL, 0);
	crypto_generichash(b, sizeof b, (const unsigned char *)got, len, NULL, 0);
	return sodium_memcmp(a, b, sizeof a) == 0;
}

/* Authorization: Bearer TOKEN, or Basic with the token as the password
 * (any user name): a browser cannot add a Bearer header to a page load or
 * to <video src>, but asks for Basic credentials and then sends them on
 * every request. */
static int token_ok(const char *want, const char *auth)
{
	if (!auth)
		return 0;
	if (strncasecmp(auth, "Bearer ", 7) == 0) {
		const char *got = auth + 7;
		got += strspn(got, " ");
		return token_same(want, got, strlen(got));
	}
	if (strncasecmp(auth, "Basic ", 6) != 0)
		return 0;
	const char *b64 = auth + 6;
	b64 += strspn(b64, " ");
	size_t blen = strcspn(b64, " \t"), n = 0;
	/* user:password; the header is capped, so is this */
	unsigned char *buf = xmalloc(blen + 1);
	int ok = 0;
	if (sodium_base642bin(buf, blen + 1, b64, blen, NULL, &n, NULL,
	    sodium_base64_VARIANT_ORIGINAL) == 0) {
		unsigned char *colon = memchr(buf, ':', n);
		if (colon)
			ok = token_same(want, (const char *)colon + 1, n - (size_t)(colon + 1 - buf));
	}
	sodium_memzero(buf, blen + 1);
	free(buf);
	return ok;
}

int serve_request(struct serve *s, struct http_conn *c)
{
	const char *m = c->req.method;
	if (strcmp(m, "GET") && strcmp(m, "HEAD") && strcmp(m, "PUT") && strcmp(m, "POST") &&
	    strcmp(m, "OPTIONS"))
		return http_error(c, 501, "unknown method");
	if (s->mode == SERVE_BACKYARD) {
		/* the backyard holds private videos: no token, no strangers */
		if (s->token) {
			if (!token_ok(s->token, http_header(&c->req, "Authorization")))
				return http_error_hdr(c, 401,
				    "WWW-Authenticate: Basic realm=\"medusa backyard\", charset=\"UTF-8\"\r\n"
				    "WWW-Authenticate: Bearer realm=\"medusa backyard\"\r\n",
				    "the token is required (Authorization: Bearer TOKEN, or Basic "
				    "with the token as the password)");
		} else if (!c->peer_loopback) {
			return http_error(c, 403, "the backyard answers loopback clients only "
			    "(configure a token to allow others)");
		}
	}
	int rc = s->mode == SERVE_BACKYARD ? serve_backyard(s, c) : serve_frontyard(s, c);
	if (rc != SERVE_NEXT)
		return rc;
	if (strncmp(c->req.path, "/api/", 5) == 0 || strcmp(c->req.path, "/api") == 0)
		return http_error(c, 404, "no such endpoint");
	return serve_static(s, c);
}
