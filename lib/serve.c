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
#include <strings.h>
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

/* Every backyard answer: no other origin may load it as a resource
 * (<video src>, <img>), frame a page, or have a JSON answer sniffed into
 * a script; a page loads only its own scripts, styles and images, none
 * inline. */
#define BACKYARD_HEADERS \
	"Cross-Origin-Resource-Policy: same-origin\r\n" \
	"X-Content-Type-Options: nosniff\r\n" \
	"X-Frame-Options: DENY\r\n" \
	"Content-Security-Policy: default-src 'self'; object-src 'none'; base-uri 'none'; " \
	"form-action 'self'; frame-ancestors 'none'\r\n" \
	"Referrer-Policy: same-origin\r\n"

void serve_begin(struct serve *s, struct http_conn *c)
{
	if (s->mode == SERVE_BACKYARD)
		c->always = BACKYARD_HEADERS;
}

/* Without a token the backyard trusts loopback clients. A page of another
 * site that makes its own name resolve to 127.0.0.1 (DNS rebinding) is a
 * loopback client too, but its requests carry that name in Host: only a
 * loopback address, localhost and the -H names are ours. A request
 * without Host (HTTP/1.0) comes from no browser. */
static int host_allowed(const struct serve *s, const char *host)
{
	char name[256];
	if (!host)
		return 1;
	if (http_host_name(host, name, sizeof name) < 0)
		return 0;
	if (http_addr_loopback(name) || strcasecmp(name, "localhost") == 0)
		return 1;
	for (size_t i = 0; i < s->nhosts; i++)
		if (strcasecmp(name, s->hosts[i]) == 0)
			return 1;
	return 0;
}

/* The port of a Host value or an origin's authority; dflt when none. */
static long authority_port(const char *a, long dflt)
{
	const char *p = *a == '[' ? strchr(a, ']') : a;
	p = p ? strchr(p, ':') : NULL;
	return p && p[1] ? strtol(p + 1, NULL, 10) : dflt;
}

/* Whether an Origin header ("http://127.0.0.1:8080") names the origin
 * that Host names. */
static int same_origin(const char *origin, const char *host)
{
	long dflt = strncasecmp(origin, "http://", 7) == 0 ? 80 :
	    strncasecmp(origin, "https://", 8) == 0 ? 443 : -1;
	if (dflt < 0 || !host)
		return 0;
	const char *auth = strstr(origin, "://") + 3;
	char a[256], b[256];
	return http_host_name(auth, a, sizeof a) == 0 && http_host_name(host, b, sizeof b) == 0 &&
	    strcasecmp(a, b) == 0 && authority_port(auth, dflt) == authority_port(host, dflt);
}

/* Why a request comes from another site and is refused, or NULL. Browsers
 * say where a request comes from (Sec-Fetch-Site; Origin on writes): from
 * another site, or another origin of the same site (a page of another
 * server on 127.0.0.1), only a top-level navigation is served, a link to
 * the editor; no resource (<video>, <img>, fetch), no frame, no write. */
static const char *foreign_request(const struct http_conn *c)
{
	const struct http_req *r = &c->req;
	int read = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
	const char *site = http_header(r, "Sec-Fetch-Site");
	if (site && strcasecmp(site, "same-origin") != 0 && strcasecmp(site, "none") != 0) {
		const char *mode = http_header(r, "Sec-Fetch-Mode");
		const char *dest = http_header(r, "Sec-Fetch-Dest");
		if (!read || !mode || strcasecmp(mode, "navigate") != 0 || !dest ||
		    strcasecmp(dest, "document") != 0)
			return "the backyard answers its own pages only (Sec-Fetch-Site: another site)";
	}
	const char *origin = http_header(r, "Origin");
	if (!read && origin && !same_origin(origin, http_header(r, "Host")))
		return "the backyard takes writes from its own pages only (Origin: another origin)";
	return NULL;
}

/* Who may ask the backyard: with a token, whoever has it; without, a
 * loopback client naming a host of ours. Then no other site's page. 0 to
 * go on, or the answer's result. */
static int backyard_guard(struct serve *s, struct http_conn *c, int *rc)
{
	if (s->token) {
		if (!token_ok(s->token, http_header(&c->req, "Authorization"))) {
			*rc = http_error_hdr(c, 401,
			    "WWW-Authenticate: Basic realm=\"medusa backyard\", charset=\"UTF-8\"\r\n"
			    "WWW-Authenticate: Bearer realm=\"medusa backyard\"\r\n",
			    "the token is required (Authorization: Bearer TOKEN, or Basic "
			    "with the token as the password)");
			return 1;
		}
	} else if (!c->peer_loopback) {
		*rc = http_error(c, 403, "the backyard answers loopback clients only "
		    "(configure a token to allow others)");
		return 1;
	} else if (!host_allowed(s, http_header(&c->req, "Host"))) {
		char *msg = xasprintf("Host: %s: the backyard answers to a loopback address, "
		    "localhost and its -H names only", http_header(&c->req, "Host"));
		*rc = http_error(c, 421, msg);
		free(msg);
		return 1;
	}
	const char *why = foreign_request(c);
	if (why) {
		*rc = http_error(c, 403, why);
		return 1;
	}
	return 0;
}

int serve_request(struct serve *s, struct http_conn *c)
{
	const char *m = c->req.method;
	if (strcmp(m, "GET") && strcmp(m, "HEAD") && strcmp(m, "PUT") && strcmp(m, "POST") &&
	    strcmp(m, "OPTIONS"))
		return http_error(c, 501, "unknown method");
	int rc;
	/* the backyard holds private videos: no token, no strangers */
	if (s->mode == SERVE_BACKYARD && backyard_guard(s, c, &rc))
		return rc;
	rc = s->mode == SERVE_BACKYARD ? serve_backyard(s, c) : serve_frontyard(s, c);
	if (rc != SERVE_NEXT)
		return rc;
	if (strncmp(c->req.path, "/api/", 5) == 0 || strcmp(c->req.path, "/api") == 0)
		return http_error(c, 404, "no such endpoint");
	return serve_static(s, c);
}
