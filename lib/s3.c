/* s3.c: the S3 client of s3.h. */
#include "s3.h"
#include "hash.h"
#include "http.h"
#include "util.h"

#include <curl/curl.h>
#include <expat.h>
#include <openssl/evp.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MiB (1024LL * 1024)
#define ERRBODY_MAX (256 * 1024)     /* error and XML replies kept in memory */
#define DELETE_BATCH 1000            /* the DeleteObjects limit */

struct s3 {
	CURL *curl;
	char *bucket;
	char *name;        /* for messages: "s3://bucket", or the public base URL */
	char *base;        /* "http://host:port/bucket" or "https://bucket.s3.region.amazonaws.com" */
	char *region;
	char *userpwd;     /* "AKID:SECRET" */
	char *token;       /* session token or NULL */
	char *sigv4;       /* "aws:amz:REGION:s3" */
	long long part_size;
	int jobs, retries, page;
	long timeout;
};

/* A growing buffer for replies. */
struct buf {
	char *p;
	size_t len, cap, max;
	int overflow;
};

static void buf_add(struct buf *b, const void *d, size_t n)
{
	if (b->len + n > b->max) {
		b->overflow = 1;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t c = b->cap ? b->cap : 1024;
		while (c < b->len + n + 1)
			c *= 2;
		b->p = xrealloc(b->p, c);
		b->cap = c;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		mdie(EXIT_USAGE, "out of memory");
	va_end(ap);
	buf_add(b, s, strlen(s));
	free(s);
}

/* One request. The body is a buffer or a slice of a file; the reply body
 * goes to out_fd on success when out_fd >= 0, else into resp. */
struct req {
	const char *method;
	const char *key;         /* NULL: the bucket itself */
	const char *query;       /* encoded, sorted by name, or NULL */
	const char *const *hdrs; /* extra headers, NULL-terminated, or NULL */
	const char *body;
	size_t bodylen;
	int body_fd;             /* >= 0: the body is body_len bytes at body_off */
	long long body_off, body_len, body_pos;
	int out_fd;
	long long out_start;     /* where out_fd was at the start */
	/* results */
	long status;
	struct buf resp;
	long long size;          /* Content-Length of the reply */
	char etag[128];
	char hash[HASH_HEX_LEN + 1];
	CURLcode cerr;
	char cmsg[CURL_ERROR_SIZE];
	int out_failed;          /* errno of a failed write to out_fd */
};

static char *envdup(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? xstrdup(v) : NULL;
}

static long long envnum(const char *name, long long def, long long min, long long max)
{
	const char *v = getenv(name);
	char *end;
	long long x;
	if (!v || !*v)
		return def;
	errno = 0;
	x = strtoll(v, &end, 10);
	if (errno || *end || x < min || x > max) {
		mwarn("%s=%s: not a number from %lld to %lld; using %lld", name, v, min, max, def);
		return def;
	}
	return x;
}

static int bucket_valid(const char *b)
{
	size_t n = strlen(b);
	if (n < 3 || n > 63)
		return 0;
	for (const char *p = b; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_'))
			return 0;
	return 1;
}

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		mdie(EXIT_USAGE, "cannot start libcurl");
	if (sodium_init() < 0)
		mdie(EXIT_USAGE, "cannot start libsodium");
}

/* A value from an AWS shared config file (INI): key in section sect. New
 * string or NULL. */
static char *ini_get(const char *path, const char *sect, const char *key)
{
	FILE *f = path ? fopen(path, "r") : NULL;
	char *line = NULL, *val = NULL;
	size_t cap = 0;
	int in = 0;
	if (!f)
		return NULL;
	while (!val && getline(&line, &cap, f) >= 0) {
		char *p = line, *e;
		p += strspn(p, " \t");
		e = p + strcspn(p, "\r\n");
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		*e = '\0';
		if (*p == '[') {
			in = e > p + 1 && e[-1] == ']' && (size_t)(e - p - 2) == strlen(sect) &&
			    !strncmp(p + 1, sect, strlen(sect));
		} else if (in && !strncmp(p, key, strlen(key))) {
			char *q = p + strlen(key);
			q += strspn(q, " \t");
			if (*q == '=') {
				q++;
				q += strspn(q, " \t");
				if (*q)
					val = xstrdup(q);
			}
		}
	}
	free(line);
	fclose(f);
	return val;
}

/* The shared files of the AWS tools: ~/.aws/credentials and ~/.aws/config
 * (or $AWS_SHARED_CREDENTIALS_FILE, $AWS_CONFIG_FILE), profile $AWS_PROFILE
 * or "default". For servers started without our environment (inetd clears
 * it). */
static char *aws_file_value(int config, const char *key)
{
	const char *env = getenv(config ? "AWS_CONFIG_FILE" : "AWS_SHARED_CREDENTIALS_FILE");
	const char *home = getenv("HOME"), *prof = getenv("AWS_PROFILE");
	char *path, *sect, *v;
	if (env && *env)
		path = xstrdup(env);
	else if (home && *home)
		path = xasprintf("%s/.aws/%s", home, config ? "config" : "credentials");
	else
		return NULL;
	if (!prof || !*prof)
		prof = "default";
	/* the config file names its sections "profile NAME", but "default" */
	sect = config && strcmp(prof, "default") ? xasprintf("profile %s", prof) : xstrdup(prof);
	v = ini_get(path, sect, key);
	free(sect);
	free(path);
	return v;
}

struct s3 *s3_new(const char *bucket, char *why, size_t n)
{
	struct s3 *c;
	char *endpoint, *akid, *secret;
	int from_file = 0;
	(void)pthread_once(&global_once, global_init);
	if (!bucket_valid(bucket)) {
		snprintf(why, n, "s3://%s: not a valid bucket name", bucket);
		return NULL;
	}
	akid = envdup("AWS_ACCESS_KEY_ID");
	secret = envdup("AWS_SECRET_ACCESS_KEY");
	if (!akid && !secret) {
		akid = aws_file_value(0, "aws_access_key_id");
		secret = aws_file_value(0, "aws_secret_access_key");
		from_file = 1;
	}
	if (!akid || !secret) {
		snprintf(why, n, "s3://%s: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set "
		    "(or aws_access_key_id and aws_secret_access_key in ~/.aws/credentials)", bucket);
		free(akid);
		if (secret)
			sodium_memzero(secret, strlen(secret));
		free(secret);
		return NULL;
	}
	c = xcalloc(1, sizeof *c);
	c->bucket = xstrdup(bucket);
	c->name = xasprintf("s3://%s", bucket);
	c->region = envdup("AWS_REGION");
	if (!c->region)
		c->region = envdup("AWS_DEFAULT_REGION");
	if (!c->region)
		c->region = aws_file_value(1, "region");
	if (!c->region)
		c->region = xstrdup("us-east-1");
	if (strspn(c->region, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(c->region) ||
	    !*c->region) {
		snprintf(why, n, "AWS_REGION=%s: not a region name", c->region);
		free(akid);
		sodium_memzero(secret, strlen(secret));
		free(secret);
		s3_free(c);
		return NULL;
	}
	endpoint = envdup("AWS_ENDPOINT_URL_S3");
	if (!endpoint)
		endpoint = envdup("AWS_ENDPOINT_URL");
	if (endpoint) {
		size_t l = strlen(endpoint);
		while (l > 0 && endpoint[l - 1] == '/')
			endpoint[--l] = '\0';
		if (strncmp(endpoint, "http://", 7) && strncmp(endpoint, "https://", 8)) {
			snprintf(why, n, "AWS_ENDPOINT_URL=%s: not an http:// or https:// URL", endpoint);
			free(endpoint);
			free(akid);
			free(secret);
			s3_free(c);
			return NULL;
		}
		/* custom endpoints (MinIO, Ceph, s3rver...) want path-style */
		c->base = xasprintf("%s/%s", endpoint, bucket);
		free(endpoint);
	} else if (strchr(bucket, '.')) {
		/* a dotted name would not match the TLS certificate of
		 * *.s3.REGION.amazonaws.com: path-style then */
		c->base = xasprintf("https://s3.%s.amazonaws.com/%s", c->region, bucket);
	} else {
		c->base = xasprintf("https://%s.s3.%s.amazonaws.com", bucket, c->region);
	}
	/* curl takes the key id and secret as user:password; a ':' in the id
	 * would split them wrongly */
	if (strchr(akid, ':')) {
		snprintf(why, n, "AWS_ACCESS_KEY_ID: must not contain ':'");
		free(akid);
		free(secret);
		s3_free(c);
		return NULL;
	}
	c->userpwd = xasprintf("%s:%s", akid, secret);
	sodium_memzero(secret, strlen(secret));
	free(akid);
	free(secret);
	c->token = from_file ? aws_file_value(0, "aws_session_token") : envdup("AWS_SESSION_TOKEN");
	c->sigv4 = xasprintf("aws:amz:%s:s3", c->region);
	c->part_size = envnum("MEDUSA_S3_PART_SIZE", 16 * MiB, 5 * MiB, 5120 * MiB);
	c->jobs = (int)envnum("MEDUSA_S3_JOBS", 4, 1, 64);
	c->retries = (int)envnum("MEDUSA_S3_RETRIES", 4, 0, 20);
	c->timeout = (long)envnum("MEDUSA_S3_TIMEOUT", 30, 1, 3600);
	c->page = (int)envnum("MEDUSA_S3_PAGE", 1000, 1, 1000);
	c->curl = curl_easy_init();
	if (!c->curl) {
		snprintf(why, n, "s3://%s: cannot start libcurl", bucket);
		s3_free(c);
		return NULL;
	}
	return c;
}

struct s3 *s3_new_public(const char *base_url, char *why, size_t n)
{
	struct s3 *c;
	size_t l = strlen(base_url);
	(void)pthread_once(&global_once, global_init);
	if (strncmp(base_url, "http://", 7) && strncmp(base_url, "https://", 8)) {
		snprintf(why, n, "%s: not an http:// or https:// URL", base_url);
		return NULL;
	}
	c = xcalloc(1, sizeof *c);
	while (l > 0 && base_url[l - 1] == '/')
		l--;
	c->base = strndup(base_url, l);
	if (!c->base)
		mdie(EXIT_USAGE, "out of memory");
	c->name = xstrdup(c->base);
	c->bucket = xstrdup(c->base);
	c->region = xstrdup("");
	c->part_size = 16 * MiB;
	c->jobs = 1;
	c->retries = (int)envnum("MEDUSA_S3_RETRIES", 4, 0, 20);
	c->timeout = (long)envnum("MEDUSA_S3_TIMEOUT", 30, 1, 3600);
	c->page = 1000;
	c->curl = curl_easy_init();
	if (!c->curl) {
		snprintf(why, n, "%s: cannot start libcurl", base_url);
		s3_free(c);
		return NULL;
	}
	return c;
}

struct s3 *s3_dup(const struct s3 *o)
{
	struct s3 *c = xcalloc(1, sizeof *c);
	c->bucket = xstrdup(o->bucket);
	c->name = xstrdup(o->name);
	c->base = xstrdup(o->base);
	c->region = xstrdup(o->region);
	c->userpwd = o->userpwd ? xstrdup(o->userpwd) : NULL;
	c->token = o->token ? xstrdup(o->token) : NULL;
	c->sigv4 = o->sigv4 ? xstrdup(o->sigv4) : NULL;
	c->part_size = o->part_size;
	c->jobs = o->jobs;
	c->retries = o->retries;
	c->timeout = o->timeout;
	c->page = o->page;
	c->curl = curl_easy_init();
	if (!c->curl)
		mdie(EXIT_USAGE, "cannot start libcurl");
	return c;
}

void s3_free(struct s3 *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	if (c->userpwd) {
		sodium_memzero(c->userpwd, strlen(c->userpwd));
		free(c->userpwd);
	}
	free(c->bucket);
	free(c->name);
	free(c->base);
	free(c->region);
	free(c->token);
	free(c->sigv4);
	free(c);
}

const char *s3_bucket(const struct s3 *c)
{
	return c->bucket;
}

char *s3_uri_encode(const char *s, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = xmalloc(strlen(s) * 3 + 1), *o = out;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '.' || *p == '_' || *p == '~' || (keep_slash && *p == '/')) {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

/* SHA-256 from libcrypto: it uses the CPU's SHA instructions, many times
 * faster than libsodium's portable code (every byte uploaded is hashed for
 * x-amz-content-sha256). */
static void sha256_hex(const void *d, size_t n, char hex[65])
{
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hn = 0;
	if (EVP_Digest(d, n, h, &hn, EVP_sha256(), NULL) != 1 || hn != 32)
		mdie(EXIT_USAGE, "cannot compute SHA-256 (libcrypto)");
	sodium_bin2hex(hex, 65, h, 32);
}

/* SHA-256 of len bytes of fd at off, as hex. 0 or -1 with errno. */
static int sha256_fd(int fd, long long off, long long len, char hex[65])
{
	static const size_t bs = 256 * 1024;
	unsigned char *b = xmalloc(bs), h[EVP_MAX_MD_SIZE];
	unsigned int hn = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int rc = -1;
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		mdie(EXIT_USAGE, "cannot compute SHA-256 (libcrypto)");
	while (len > 0) {
		ssize_t r = pread(fd, b, len < (long long)bs ? (size_t)len : bs, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO; /* the file shrank under us */
			goto out;
		}
		if (EVP_DigestUpdate(ctx, b, (size_t)r) != 1)
			mdie(EXIT_USAGE, "cannot compute SHA-256 (libcrypto)");
		off += r;
		len -= r;
	}
	if (EVP_DigestFinal_ex(ctx, h, &hn) != 1 || hn != 32)
		mdie(EXIT_USAGE, "cannot compute SHA-256 (libcrypto)");
	sodium_bin2hex(hex, 65, h, 32);
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	free(b);
	return rc;
}

void s3_content_md5(const void *buf, size_t len, char out[25])
{
	/* libcrypto is in every process that links libcurl here (its TLS) */
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (EVP_Digest(buf, len, d, &n, EVP_md5(), NULL) != 1 || n != 16)
		mdie(EXIT_USAGE, "cannot compute MD5 (libcrypto)");
	sodium_bin2base64(out, 25, d, 16, sodium_base64_VARIANT_ORIGINAL);
}

/* S3 replies are XML, read with expat: each(arg, path, text, len) is called
 * at the end of every element with its path from the root
 * ("ListBucketResult/Contents/Key") and its text, entities decoded once.
 * A document type declaration is refused (S3 sends none; it is where
 * entity tricks live). */
struct xwalk {
	XML_Parser p;
	void (*each)(void *arg, const char *path, const char *text, size_t len);
	void *arg;
	char path[256];
	size_t plen;
	int toodeep;            /* levels below a path that did not fit */
	struct buf text;
	const char *bad;        /* why the walk stopped */
};

static void x_start(void *arg, const XML_Char *name, const XML_Char **attrs)
{
	struct xwalk *w = arg;
	size_t n = strlen(name);
	(void)attrs;
	w->text.len = 0;
	if (w->text.p)
		w->text.p[0] = '\0';
	if (w->toodeep || w->plen + n + 2 > sizeof w->path) {
		w->toodeep++;
		return;
	}
	if (w->plen)
		w->path[w->plen++] = '/';
	memcpy(w->path + w->plen, name, n + 1);
	w->plen += n;
}

static void x_end(void *arg, const XML_Char *name)
{
	struct xwalk *w = arg;
	(void)name;
	if (w->toodeep) {
		w->toodeep--;
		return;
	}
	if (w->text.overflow) {
		w->bad = "an element's text is too long";
		XML_StopParser(w->p, XML_FALSE);
		return;
	}
	w->each(w->arg, w->path, w->text.p ? w->text.p : "", w->text.len);
	while (w->plen > 0 && w->path[w->plen - 1] != '/')
		w->plen--;
	if (w->plen)
		w->plen--;
	w->path[w->plen] = '\0';
	w->text.len = 0;
	if (w->text.p)
		w->text.p[0] = '\0';
}

static void x_chars(void *arg, const XML_Char *s, int len)
{
	struct xwalk *w = arg;
	buf_add(&w->text, s, (size_t)len);
}

static void x_doctype(void *arg, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int internal)
{
	struct xwalk *w = arg;
	(void)name, (void)sysid, (void)pubid, (void)internal;
	w->bad = "a document type declaration";
	XML_StopParser(w->p, XML_FALSE);
}

/* Walks an XML reply. 0, or -1 with *why ("line 3: mismatched tag"). */
static int xml_walk(const char *doc, size_t len,
    void (*each)(void *arg, const char *path, const char *text, size_t len), void *arg,
    char *why, size_t n)
{
	struct xwalk w = {.each = each, .arg = arg, .text = {.max = 1 << 20}};
	int rc = 0;
	if (len > INT_MAX) {
		snprintf(why, n, "too large");
		return -1;
	}
	w.p = XML_ParserCreate("UTF-8");
	if (!w.p)
		mdie(EXIT_USAGE, "out of memory");
	XML_SetUserData(w.p, &w);
	XML_SetElementHandler(w.p, x_start, x_end);
	XML_SetCharacterDataHandler(w.p, x_chars);
	XML_SetStartDoctypeDeclHandler(w.p, x_doctype);
	if (XML_Parse(w.p, doc, (int)len, XML_TRUE) != XML_STATUS_OK) {
		snprintf(why, n, "line %lu: %s", (unsigned long)XML_GetCurrentLineNumber(w.p),
		    w.bad ? w.bad : XML_ErrorString(XML_GetErrorCode(w.p)));
		rc = -1;
	}
	XML_ParserFree(w.p);
	free(w.text.p);
	return rc;
}

/* The text of the elements at some paths of a reply (NULL when absent). */
struct xpick {
	const char *const *paths;
	char **vals;
};

static void pick_each(void *arg, const char *path, const char *text, size_t len)
{
	struct xpick *x = arg;
	for (size_t i = 0; x->paths[i]; i++)
		if (!strcmp(path, x->paths[i]) && !x->vals[i])
			x->vals[i] = xstrdup(text);
}

/* Fills vals[i] with the text at paths[i] (NULL-terminated); -1 when the
 * reply is not XML. Free each value. */
static int xml_pick(const struct buf *b, const char *const *paths, char **vals)
{
	struct xpick x = {paths, vals};
	char why[128];
	for (size_t i = 0; paths[i]; i++)
		vals[i] = NULL;
	if (!b->p || !b->len)
		return -1;
	return xml_walk(b->p, b->len, pick_each, &x, why, sizeof why);
}

/* Whether s can stand in an XML 1.0 document: UTF-8 without the control
 * characters XML has no way to write, even as a reference. */
static int xml_writable(const char *s)
{
	if (!utf8_valid(s))
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
			return 0;
	return 1;
}

static void xml_escape(struct buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': buf_add(b, "&amp;", 5); break;
		case '<': buf_add(b, "&lt;", 4); break;
		case '>': buf_add(b, "&gt;", 4); break;
		case '"': buf_add(b, "&quot;", 6); break;
		case '\'': buf_add(b, "&apos;", 6); break;
		/* as references, or a parser would normalise them */
		case '\t': buf_add(b, "&#9;", 4); break;
		case '\n': buf_add(b, "&#10;", 5); break;
		case '\r': buf_add(b, "&#13;", 5); break;
		default: buf_add(b, s, 1);
		}
	}
}

static size_t on_read(char *dst, size_t size, size_t nmemb, void *arg)
{
	struct req *r = arg;
	size_t want = size * nmemb;
	if (r->body_fd >= 0) {
		long long left = r->body_len - r->body_pos;
		ssize_t got;
		if (left <= 0)
			return 0;
		if ((long long)want > left)
			want = (size_t)left;
		do
			got = pread(r->body_fd, dst, want, (off_t)(r->body_off + r->body_pos));
		while (got < 0 && errno == EINTR);
		if (got <= 0)
			return CURL_READFUNC_ABORT;
		r->body_pos += got;
		return (size_t)got;
	}
	if ((long long)r->bodylen - r->body_pos <= 0)
		return 0;
	if (want > r->bodylen - (size_t)r->body_pos)
		want = r->bodylen - (size_t)r->body_pos;
	memcpy(dst, r->body + r->body_pos, want);
	r->body_pos += (long long)want;
	return want;
}

/* curl may rewind the body (a redirect, an auth retry): allow it */
static int on_seek(void *arg, curl_off_t off, int origin)
{
	struct req *r = arg;
	if (origin != SEEK_SET || off < 0)
		return CURL_SEEKFUNC_CANTSEEK;
	r->body_pos = off;
	return CURL_SEEKFUNC_OK;
}

struct wctx {
	struct req *r;
	CURL *curl;
};

static size_t on_write(char *d, size_t size, size_t nmemb, void *arg)
{
	struct wctx *w = arg;
	size_t n = size * nmemb;
	long st = 0;
	curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &st);
	if (w->r->out_fd >= 0 && st >= 200 && st < 300) {
		size_t off = 0;
		while (off < n) {
			ssize_t k = write(w->r->out_fd, d + off, n - off);
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				w->r->out_failed = errno;
				return 0;
			}
			off += (size_t)k;
		}
		return n;
	}
	buf_add(&w->r->resp, d, n);
	return n;
}

static size_t on_header(char *d, size_t size, size_t nmemb, void *arg)
{
	struct req *r = arg;
	size_t n = size * nmemb, l = n;
	const char *v;
	while (l > 0 && (d[l - 1] == '\r' || d[l - 1] == '\n'))
		l--;
	if (l > 15 && !strncasecmp(d, "content-length:", 15)) {
		char tmp[32];
		size_t k;
		for (v = d + 15; v < d + l && *v == ' '; v++)
			;
		k = (size_t)(d + l - v) < sizeof tmp - 1 ? (size_t)(d + l - v) : sizeof tmp - 1;
		memcpy(tmp, v, k);
		tmp[k] = '\0';
		r->size = strtoll(tmp, NULL, 10);
	} else if (l > 5 && !strncasecmp(d, "etag:", 5)) {
		size_t k;
		for (v = d + 5; v < d + l && *v == ' '; v++)
			;
		k = (size_t)(d + l - v) < sizeof r->etag - 1 ? (size_t)(d + l - v) : sizeof r->etag - 1;
		memcpy(r->etag, v, k);
		r->etag[k] = '\0';
	} else if (l > 19 && !strncasecmp(d, "x-amz-meta-blake2b:", 19)) {
		size_t k;
		for (v = d + 19; v < d + l && *v == ' '; v++)
			;
		k = (size_t)(d + l - v);
		if (k <= HASH_HEX_LEN) {
			memcpy(r->hash, v, k);
			r->hash[k] = '\0';
		}
	}
	return n;
}

static int transient(const struct req *r)
{
	switch (r->cerr) {
	case CURLE_OK:
		return r->status >= 500 || r->status == 429;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

/* Runs a request with retries. 0 when it got an HTTP answer (any status:
 * r->status), -1 when the transport failed for good (r->cerr). */
static int perform(struct s3 *c, struct req *r, const char *payload_sha)
{
	char *ekey = r->key ? s3_uri_encode(r->key, 1) : NULL;
	char *url = xasprintf("%s%s%s%s%s", c->base, ekey ? "/" : "", ekey ? ekey : "",
	    r->query ? "?" : "", r->query ? r->query : "");
	int rc = -1;
	free(ekey);
	for (int attempt = 0;; attempt++) {
		struct curl_slist *h = NULL, *t;
		char *sha = xasprintf("x-amz-content-sha256: %s", payload_sha);
		struct wctx w = {r, c->curl};
		CURL *k = c->curl;
		int bad = 0;

		/* a reset keeps the connection cache: the next request reuses it */
		curl_easy_reset(k);
		r->status = 0;
		r->size = -1;
		r->etag[0] = r->hash[0] = '\0';
		r->resp.len = 0;
		r->resp.overflow = 0;
		if (r->resp.p)
			r->resp.p[0] = '\0'; /* nothing of a failed attempt's reply */
		r->cmsg[0] = '\0';
		r->body_pos = 0;
		if (r->out_fd >= 0 && attempt > 0) {
			/* throw away what a failed attempt wrote */
			if (ftruncate(r->out_fd, (off_t)r->out_start) < 0 ||
			    lseek(r->out_fd, (off_t)r->out_start, SEEK_SET) < 0) {
				r->out_failed = errno;
				free(sha);
				break;
			}
		}
		r->out_failed = 0;
		t = curl_slist_append(h, sha);
		bad |= !t;
		h = t ? t : h;
		free(sha);
		if (c->token) {
			char *tk = xasprintf("x-amz-security-token: %s", c->token);
			t = curl_slist_append(h, tk);
			bad |= !t;
			h = t ? t : h;
			free(tk);
		}
		for (size_t i = 0; r->hdrs && r->hdrs[i]; i++) {
			t = curl_slist_append(h, r->hdrs[i]);
			bad |= !t;
			h = t ? t : h;
		}
		if (bad)
			mdie(EXIT_USAGE, "out of memory");

		curl_easy_setopt(k, CURLOPT_URL, url);
		curl_easy_setopt(k, CURLOPT_HTTPHEADER, h);
		if (c->userpwd) {
			curl_easy_setopt(k, CURLOPT_AWS_SIGV4, c->sigv4);
			curl_easy_setopt(k, CURLOPT_USERPWD, c->userpwd);
		}
		curl_easy_setopt(k, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(k, CURLOPT_CONNECTTIMEOUT, c->timeout < 10 ? c->timeout : 10L);
		curl_easy_setopt(k, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(k, CURLOPT_LOW_SPEED_TIME, c->timeout);
		curl_easy_setopt(k, CURLOPT_ERRORBUFFER, r->cmsg);
		curl_easy_setopt(k, CURLOPT_WRITEFUNCTION, on_write);
		curl_easy_setopt(k, CURLOPT_WRITEDATA, &w);
		curl_easy_setopt(k, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(k, CURLOPT_HEADERDATA, r);
		curl_easy_setopt(k, CURLOPT_PROTOCOLS_STR, "http,https");
		if (!strcmp(r->method, "HEAD")) {
			curl_easy_setopt(k, CURLOPT_NOBODY, 1L);
		} else if (!strcmp(r->method, "PUT") || !strcmp(r->method, "POST")) {
			long long len = r->body_fd >= 0 ? r->body_len : (long long)r->bodylen;
			curl_easy_setopt(k, CURLOPT_UPLOAD, 1L);
			curl_easy_setopt(k, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
			curl_easy_setopt(k, CURLOPT_READFUNCTION, on_read);
			curl_easy_setopt(k, CURLOPT_READDATA, r);
			curl_easy_setopt(k, CURLOPT_SEEKFUNCTION, on_seek);
			curl_easy_setopt(k, CURLOPT_SEEKDATA, r);
			if (strcmp(r->method, "PUT"))
				curl_easy_setopt(k, CURLOPT_CUSTOMREQUEST, r->method);
		} else if (strcmp(r->method, "GET")) {
			curl_easy_setopt(k, CURLOPT_CUSTOMREQUEST, r->method);
		}
		r->cerr = curl_easy_perform(k);
		curl_easy_getinfo(k, CURLINFO_RESPONSE_CODE, &r->status);
		curl_slist_free_all(h);
		if (r->out_failed)
			break;
		if (r->cerr == CURLE_OK && !transient(r)) {
			rc = 0;
			break;
		}
		if (!transient(r) || attempt >= c->retries) {
			rc = r->cerr == CURLE_OK ? 0 : -1;
			break;
		}
		{
			/* exponential backoff with jitter: 0.2 s, 0.4 s, ... up to 5 s */
			long ms = 200L << (attempt < 5 ? attempt : 5);
			struct timespec ts;
			if (ms > 5000)
				ms = 5000;
			ms = ms / 2 + (long)randombytes_uniform((uint32_t)(ms / 2 + 1));
			ts.tv_sec = ms / 1000;
			ts.tv_nsec = (ms % 1000) * 1000000L;
			while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
				;
		}
	}
	free(url);
	return rc;
}

/* The message for a failed request: names the bucket and key, and says
 * what S3 said. */
static void report(struct s3 *c, const struct req *r, const char *what)
{
	char *code = NULL, *msg = NULL;
	const char *key = r->key ? r->key : "";
	if (r->out_failed) {
		mwarn("%s/%s: %s: writing the local file: %s", c->name, key, what, strerror(r->out_failed));
		return;
	}
	if (r->cerr != CURLE_OK) {
		mwarn("%s/%s: %s: %s%s%s", c->name, key, what, curl_easy_strerror(r->cerr),
		    r->cmsg[0] ? ": " : "", r->cmsg);
		return;
	}
	{
		static const char *const paths[] = {"Error/Code", "Error/Message", NULL};
		char *v[2];
		(void)xml_pick(&r->resp, paths, v); /* a reply that is no XML has neither */
		code = v[0];
		msg = v[1];
	}
	if (r->status == 403)
		mwarn("%s/%s: %s: access denied (HTTP 403%s%s%s%s): check AWS_ACCESS_KEY_ID, "
		    "AWS_SECRET_ACCESS_KEY and the permissions on bucket %s", c->name, key, what,
		    code ? " " : "", code ? code : "", msg ? ": " : "", msg ? msg : "", c->bucket);
	else if (r->status == 301 || r->status == 307 || (code && !strcmp(code, "AuthorizationHeaderMalformed")))
		/* AWS answers a request to another region's bucket so */
		mwarn("%s/%s: %s: HTTP %ld%s%s: bucket %s is in another region than AWS_REGION=%s",
		    c->name, key, what, r->status, code ? " " : "", code ? code : "", c->bucket, c->region);
	else if (code && !strcmp(code, "NoSuchBucket"))
		mwarn("%s/%s: %s: bucket %s does not exist", c->name, key, what, c->bucket);
	else
		mwarn("%s/%s: %s: HTTP %ld%s%s%s%s", c->name, key, what, r->status,
		    code ? " " : "", code ? code : "", msg ? ": " : "", msg ? msg : "");
	free(code);
	free(msg);
}

static void req_init(struct req *r, const char *method, const char *key)
{
	memset(r, 0, sizeof *r);
	r->method = method;
	r->key = key;
	r->body_fd = -1;
	r->out_fd = -1;
	r->resp.max = ERRBODY_MAX;
}

static void req_done(struct req *r)
{
	free(r->resp.p);
	r->resp.p = NULL;
}

static const char EMPTY_SHA[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

int s3_head(struct s3 *c, const char *key, long long *size, char *hash, size_t hashlen)
{
	struct req r;
	int rc;
	req_init(&r, "HEAD", key);
	if (perform(c, &r, EMPTY_SHA) < 0 || (r.status != 200 && r.status != 404)) {
		report(c, &r, "HEAD");
		req_done(&r);
		return -1;
	}
	rc = r.status == 200;
	if (rc) {
		if (size)
			*size = r.size;
		if (hash && hashlen)
			snprintf(hash, hashlen, "%s", r.hash);
	}
	req_done(&r);
	return rc;
}

/* Headers shared by a single PUT and the start of a multipart upload. */
static void meta_headers(const char *mime, const char *cache_control, const char *hash,
    char *h[4])
{
	int i = 0;
	h[i++] = xasprintf("Content-Type: %s", mime && *mime ? mime : "application/octet-stream");
	if (cache_control && *cache_control)
		h[i++] = xasprintf("Cache-Control: %s", cache_control);
	if (hash && *hash)
		h[i++] = xasprintf("x-amz-meta-blake2b: %s", hash);
	h[i] = NULL;
}

static void free_headers(char **h)
{
	for (int i = 0; h[i]; i++)
		free(h[i]);
}

int s3_put_buffer(struct s3 *c, const char *key, const void *buf, size_t len,
    const char *mime, const char *cache_control)
{
	struct req r;
	char sha[65], *h[4];
	int rc = 0;
	sha256_hex(buf, len, sha);
	meta_headers(mime, cache_control, NULL, h);
	req_init(&r, "PUT", key);
	r.hdrs = (const char *const *)h;
	r.body = buf;
	r.bodylen = len;
	if (perform(c, &r, sha) < 0 || r.status != 200) {
		report(c, &r, "PUT");
		rc = -1;
	}
	free_headers(h);
	req_done(&r);
	return rc;
}

/* A multipart upload shared by the part workers. */
struct mpu {
	struct s3 *c;
	const char *key;
	const char *upload_id;
	int fd;
	long long size, part;
	int nparts, next, failed;
	char **etags;
	pthread_mutex_t mu;
};

static int put_part(struct s3 *c, struct mpu *m, int i)
{
	struct req r;
	char sha[65], *q, *eid;
	long long off = (long long)i * m->part;
	long long len = m->size - off < m->part ? m->size - off : m->part;
	int rc = -1;
	if (sha256_fd(m->fd, off, len, sha) < 0) {
		mwarn("%s/%s: reading part %d: %s", c->name, m->key, i + 1, strerror(errno));
		return -1;
	}
	eid = s3_uri_encode(m->upload_id, 0);
	q = xasprintf("partNumber=%d&uploadId=%s", i + 1, eid);
	free(eid);
	req_init(&r, "PUT", m->key);
	r.query = q;
	r.body_fd = m->fd;
	r.body_off = off;
	r.body_len = len;
	if (perform(c, &r, sha) < 0 || r.status != 200 || !r.etag[0]) {
		report(c, &r, "PUT part");
	} else {
		pthread_mutex_lock(&m->mu);
		m->etags[i] = xstrdup(r.etag);
		pthread_mutex_unlock(&m->mu);
		rc = 0;
	}
	req_done(&r);
	free(q);
	return rc;
}

static void *part_worker(void *arg)
{
	struct mpu *m = arg;
	struct s3 *c = s3_dup(m->c);
	for (;;) {
		int i;
		pthread_mutex_lock(&m->mu);
		i = m->failed ? m->nparts : m->next++;
		pthread_mutex_unlock(&m->mu);
		if (i >= m->nparts)
			break;
		if (put_part(c, m, i) < 0) {
			pthread_mutex_lock(&m->mu);
			m->failed = 1;
			pthread_mutex_unlock(&m->mu);
		}
	}
	s3_free(c);
	return NULL;
}

static void root_each(void *arg, const char *path, const char *text, size_t len)
{
	char **root = arg;
	(void)text, (void)len;
	if (!strchr(path, '/')) {
		free(*root);
		*root = xstrdup(path);
	}
}

/* Whether the reply of CompleteMultipartUpload says it is done. */
static int completed(const struct buf *b)
{
	char *root = NULL, why[128];
	int ok = b->p && xml_walk(b->p, b->len, root_each, &root, why, sizeof why) == 0 &&
	    root && !strcmp(root, "CompleteMultipartUploadResult");
	free(root);
	return ok;
}

static int put_multipart(struct s3 *c, const char *key, int fd, long long size,
    const char *mime, const char *cache_control, const char *hash)
{
	struct req r;
	struct mpu m;
	char *h[4], *upload_id = NULL, *eid, *q;
	pthread_t th[64];
	int nth = 0, rc = -1;
	struct buf body = {.max = SIZE_MAX};
	const char *done_hdrs[] = {"Content-Type: application/xml", NULL};

	meta_headers(mime, cache_control, hash, h);
	req_init(&r, "POST", key);
	r.query = "uploads=";
	r.hdrs = (const char *const *)h;
	if (perform(c, &r, EMPTY_SHA) == 0 && r.status == 200) {
		static const char *const paths[] = {"InitiateMultipartUploadResult/UploadId", NULL};
		(void)xml_pick(&r.resp, paths, &upload_id);
	}
	if (!upload_id || !*upload_id) {
		report(c, &r, "starting a multipart upload");
		free_headers(h);
		req_done(&r);
		return -1;
	}
	free_headers(h);
	req_done(&r);

	memset(&m, 0, sizeof m);
	m.c = c;
	m.key = key;
	m.upload_id = upload_id;
	m.fd = fd;
	m.size = size;
	m.part = c->part_size;
	/* S3 takes at most 10,000 parts: bigger files get bigger parts */
	if ((size + m.part - 1) / m.part > 10000)
		m.part = (size + 9999) / 10000;
	m.nparts = (int)((size + m.part - 1) / m.part);
	m.etags = xcalloc((size_t)m.nparts, sizeof *m.etags);
	pthread_mutex_init(&m.mu, NULL);
	for (int i = 0; i < c->jobs && i < m.nparts; i++) {
		if (pthread_create(&th[nth], NULL, part_worker, &m)) {
			mwarn("%s/%s: cannot start a thread", c->name, key);
			break;
		}
		nth++;
	}
	for (int i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	if (nth == 0)
		m.failed = 1;

	eid = s3_uri_encode(upload_id, 0);
	q = xasprintf("uploadId=%s", eid);
	free(eid);
	if (!m.failed) {
		char sha[65];
		buf_printf(&body, "<CompleteMultipartUpload>");
		for (int i = 0; i < m.nparts; i++) {
			buf_printf(&body, "<Part><PartNumber>%d</PartNumber><ETag>", i + 1);
			xml_escape(&body, m.etags[i]);
			buf_printf(&body, "</ETag></Part>");
		}
		buf_printf(&body, "</CompleteMultipartUpload>");
		sha256_hex(body.p, body.len, sha);
		req_init(&r, "POST", key);
		r.query = q;
		r.hdrs = done_hdrs;
		r.body = body.p;
		r.bodylen = body.len;
		/* a 200 can still carry an <Error> (the S3 docs say so): only
		 * a CompleteMultipartUploadResult is success */
		if (perform(c, &r, sha) < 0 || r.status != 200 || !completed(&r.resp))
			report(c, &r, "completing a multipart upload");
		else
			rc = 0;
		req_done(&r);
	}
	if (rc < 0) {
		/* leave no unfinished upload (its parts cost storage) */
		req_init(&r, "DELETE", key);
		r.query = q;
		if (perform(c, &r, EMPTY_SHA) < 0 || (r.status != 204 && r.status != 200 && r.status != 404))
			report(c, &r, "aborting a multipart upload");
		req_done(&r);
	}
	free(q);
	free(body.p);
	for (int i = 0; i < m.nparts; i++)
		free(m.etags[i]);
	free(m.etags);
	pthread_mutex_destroy(&m.mu);
	free(upload_id);
	return rc;
}

int s3_put_file(struct s3 *c, const char *key, const char *path, const char *mime,
    const char *cache_control, const char *hash)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1;
	if (fd < 0) {
		mwarnerr("%s", path);
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		mwarnerr("%s", path);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		mwarn("%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_size > c->part_size) {
		rc = put_multipart(c, key, fd, (long long)st.st_size, mime, cache_control, hash);
	} else {
		struct req r;
		char sha[65], *h[4];
		if (sha256_fd(fd, 0, (long long)st.st_size, sha) < 0) {
			mwarnerr("%s", path);
			close(fd);
			return -1;
		}
		meta_headers(mime, cache_control, hash, h);
		req_init(&r, "PUT", key);
		r.hdrs = (const char *const *)h;
		r.body_fd = fd;
		r.body_len = (long long)st.st_size;
		if (perform(c, &r, sha) < 0 || r.status != 200)
			report(c, &r, "PUT");
		else
			rc = 0;
		free_headers(h);
		req_done(&r);
	}
	close(fd);
	return rc;
}

int s3_get_fd(struct s3 *c, const char *key, int fd)
{
	struct req r;
	off_t at = lseek(fd, 0, SEEK_CUR);
	int rc;
	req_init(&r, "GET", key);
	r.out_fd = fd;
	r.out_start = at < 0 ? 0 : (long long)at;
	if (perform(c, &r, EMPTY_SHA) < 0 || r.out_failed || (r.status != 200 && r.status != 404)) {
		report(c, &r, "GET");
		req_done(&r);
		return -1;
	}
	rc = r.status == 200;
	req_done(&r);
	return rc;
}

int s3_get_buffer(struct s3 *c, const char *key, size_t max, char **buf, size_t *len)
{
	struct req r;
	req_init(&r, "GET", key);
	r.resp.max = max;
	if (perform(c, &r, EMPTY_SHA) < 0 || (r.status != 200 && r.status != 404)) {
		report(c, &r, "GET");
		req_done(&r);
		return -1;
	}
	if (r.status == 404) {
		req_done(&r);
		return 0;
	}
	if (r.resp.overflow) {
		mwarn("%s/%s: larger than %zu bytes", c->name, key, max);
		req_done(&r);
		return -1;
	}
	*buf = r.resp.p ? r.resp.p : xstrdup("");
	*len = r.resp.len;
	return 1;
}

/* The errors a DeleteObjects reply lists (quiet mode lists only those). */
struct delerr {
	struct s3 *c;
	char *key, *code, *msg;
	int n;
};

static void delerr_each(void *arg, const char *path, const char *text, size_t len)
{
	struct delerr *d = arg;
	char **slot = !strcmp(path, "DeleteResult/Error/Key") ? &d->key :
	    !strcmp(path, "DeleteResult/Error/Code") ? &d->code :
	    !strcmp(path, "DeleteResult/Error/Message") ? &d->msg : NULL;
	(void)len;
	if (slot) {
		free(*slot);
		*slot = xstrdup(text);
	} else if (!strcmp(path, "DeleteResult/Error")) {
		mwarn("%s/%s: DELETE: %s%s%s", d->c->name, d->key ? d->key : "?",
		    d->code ? d->code : "", d->code && d->msg ? ": " : "", d->msg ? d->msg : d->code ? "" : "failed");
		free(d->key);
		free(d->code);
		free(d->msg);
		d->key = d->code = d->msg = NULL;
		d->n++;
	}
}

/* One DeleteObjects request for keys (at most DELETE_BATCH, each
 * xml_writable). */
static int delete_batch(struct s3 *c, const char *const *keys, size_t n)
{
	struct buf body = {.max = SIZE_MAX};
	struct req r;
	char sha[65], md5h[64], b64s[25], why[128];
	const char *hdrs[] = {"Content-Type: application/xml", md5h, NULL};
	struct delerr d = {c, NULL, NULL, NULL, 0};
	int rc = 0;
	buf_printf(&body, "<Delete><Quiet>true</Quiet>");
	for (size_t i = 0; i < n; i++) {
		buf_printf(&body, "<Object><Key>");
		xml_escape(&body, keys[i]);
		buf_printf(&body, "</Key></Object>");
	}
	buf_printf(&body, "</Delete>");
	s3_content_md5(body.p, body.len, b64s);
	snprintf(md5h, sizeof md5h, "Content-MD5: %s", b64s);
	sha256_hex(body.p, body.len, sha);
	req_init(&r, "POST", NULL);
	r.query = "delete=";
	r.hdrs = hdrs;
	r.body = body.p;
	r.bodylen = body.len;
	if (perform(c, &r, sha) < 0 || r.status != 200) {
		r.key = keys[0];
		report(c, &r, "DeleteObjects");
		rc = -1;
	} else if (!r.resp.p || xml_walk(r.resp.p, r.resp.len, delerr_each, &d, why, sizeof why) < 0) {
		mwarn("%s/%s: DeleteObjects: the reply is not XML (%s): what was deleted is unknown",
		    c->name, keys[0], r.resp.p ? why : "empty");
		rc = -1;
	} else if (d.n) {
		rc = -1;
	}
	free(d.key);
	free(d.code);
	free(d.msg);
	req_done(&r);
	free(body.p);
	return rc;
}

/* DELETE of one key: for a key no XML document can carry. */
static int delete_one(struct s3 *c, const char *key)
{
	struct req r;
	int rc = 0;
	req_init(&r, "DELETE", key);
	if (perform(c, &r, EMPTY_SHA) < 0 || (r.status != 204 && r.status != 200 && r.status != 404)) {
		report(c, &r, "DELETE");
		rc = -1;
	}
	req_done(&r);
	return rc;
}

int s3_delete(struct s3 *c, const char *const *keys, size_t nkeys)
{
	const char **batch = xcalloc(DELETE_BATCH, sizeof *batch);
	size_t nb = 0;
	int rc = 0;
	for (size_t i = 0; i < nkeys; i++) {
		if (!xml_writable(keys[i])) {
			if (delete_one(c, keys[i]) < 0)
				rc = -1;
			continue;
		}
		batch[nb++] = keys[i];
		if (nb == DELETE_BATCH || i + 1 == nkeys) {
			if (delete_batch(c, batch, nb) < 0)
				rc = -1;
			nb = 0;
		}
	}
	if (nb && delete_batch(c, batch, nb) < 0)
		rc = -1;
	free(batch);
	return rc;
}

/* Undoes encoding-type=url: %XX, and '+' for a space as S3 writes it (so
 * does botocore). NULL when the result would hold a NUL or a bad escape. */
static char *url_decode(const char *s)
{
	char *out;
	return http_unescape(s, strlen(s), 1, &out, NULL) < 0 ? NULL : out;
}

/* One page of a ListObjectsV2 reply. */
struct lpage {
	char **keys;
	long long *sizes;
	size_t n, cap;
	char *key, *size;       /* of the Contents being read */
	char *truncated, *token, *encoding;
};

static void setstr(char **slot, const char *text)
{
	free(*slot);
	*slot = xstrdup(text);
}

static void lpage_each(void *arg, const char *path, const char *text, size_t len)
{
	struct lpage *pg = arg;
	(void)len;
	if (strncmp(path, "ListBucketResult/", 17))
		return;
	path += 17;
	if (!strcmp(path, "Contents/Key")) {
		setstr(&pg->key, text);
	} else if (!strcmp(path, "Contents/Size")) {
		setstr(&pg->size, text);
	} else if (!strcmp(path, "Contents")) {
		if (pg->n == pg->cap) {
			pg->cap = pg->cap ? pg->cap * 2 : 256;
			pg->keys = xrealloc(pg->keys, pg->cap * sizeof *pg->keys);
			pg->sizes = xrealloc(pg->sizes, pg->cap * sizeof *pg->sizes);
		}
		pg->keys[pg->n] = pg->key; /* NULL: a Contents without a Key */
		pg->sizes[pg->n++] = pg->size ? strtoll(pg->size, NULL, 10) : -1;
		free(pg->size);
		pg->key = pg->size = NULL;
	} else if (!strcmp(path, "IsTruncated")) {
		setstr(&pg->truncated, text);
	} else if (!strcmp(path, "NextContinuationToken")) {
		setstr(&pg->token, text);
	} else if (!strcmp(path, "EncodingType")) {
		setstr(&pg->encoding, text);
	}
}

static void lpage_free(struct lpage *pg)
{
	for (size_t i = 0; i < pg->n; i++)
		free(pg->keys[i]);
	free(pg->keys);
	free(pg->sizes);
	free(pg->key);
	free(pg->size);
	free(pg->truncated);
	free(pg->token);
	free(pg->encoding);
}

/* Whether a raw <Key> of a reply holds a CR byte (an XML parser reads it
 * as LF). */
static int key_has_cr(const struct buf *raw)
{
	const char *p = raw->p, *end = raw->p + raw->len;
	while ((p = memmem(p, (size_t)(end - p), "<Key>", 5))) {
		const char *e;
		p += 5;
		e = memchr(p, '<', (size_t)(end - p));
		if (!e)
			break;
		if (memchr(p, '\r', (size_t)(e - p)))
			return 1;
		p = e;
	}
	return 0;
}

/* Calls each for the keys of a page, decoded once: the XML entities by
 * expat, the URL encoding when the reply says it applied one (a server
 * that ignores encoding-type=url, like s3rver, sends keys as they are). */
static int lpage_deliver(struct s3 *c, struct lpage *pg, const struct buf *raw, const char *prefix,
    int (*each)(void *arg, const char *key, long long size), void *arg)
{
	int url = pg->encoding && !strcmp(pg->encoding, "url");
	if (pg->encoding && !url) {
		mwarn("%s/%s: LIST: unknown EncodingType %s", c->name, prefix, pg->encoding);
		return -1;
	}
	if (!url && key_has_cr(raw))
		/* XML reads CR as LF: the key it names may not exist */
		mwarn("%s/%s: LIST: the server ignores encoding-type=url and a key holds a carriage "
		    "return, which its XML turns into a line feed", c->name, prefix);
	for (size_t i = 0; i < pg->n; i++) {
		char *k = pg->keys[i] && url ? url_decode(pg->keys[i]) : pg->keys[i] ? xstrdup(pg->keys[i]) : NULL;
		int rc;
		if (!k || !*k) {
			mwarn("%s/%s: LIST: an object with %s key: skipped", c->name, prefix,
			    pg->keys[i] ? "an unusable" : "no");
			free(k);
			continue;
		}
		rc = each(arg, k, pg->sizes[i]);
		free(k);
		if (rc)
			return rc;
	}
	return 0;
}

int s3_list(struct s3 *c, const char *prefix,
    int (*each)(void *arg, const char *key, long long size), void *arg)
{
	char *token = NULL, *eprefix = s3_uri_encode(prefix ? prefix : "", 0);
	int rc = 0;
	if (!prefix)
		prefix = "";
	do {
		struct req r;
		struct lpage pg = {0};
		char *q, *etok = token ? s3_uri_encode(token, 0) : NULL, why[128];
		/* names in sorted order: libcurl 7.88 signs the query as given */
		q = xasprintf("%s%s%sencoding-type=url&list-type=2&max-keys=%d&prefix=%s",
		    etok ? "continuation-token=" : "", etok ? etok : "", etok ? "&" : "", c->page, eprefix);
		free(etok);
		req_init(&r, "GET", NULL);
		r.query = q;
		r.resp.max = 64 * MiB;
		if (perform(c, &r, EMPTY_SHA) < 0 || r.status != 200 || !r.resp.p || r.resp.overflow) {
			r.key = prefix;
			report(c, &r, "LIST");
			req_done(&r);
			free(q);
			rc = -1;
			break;
		}
		free(q);
		if (xml_walk(r.resp.p, r.resp.len, lpage_each, &pg, why, sizeof why) < 0) {
			mwarn("%s/%s: LIST: the reply is not XML (%s)", c->name, prefix, why);
			rc = -1;
		} else {
			rc = lpage_deliver(c, &pg, &r.resp, prefix, each, arg);
		}
		{
			char *prev = token;
			token = NULL;
			if (rc == 0 && pg.truncated && !strcmp(pg.truncated, "true")) {
				token = pg.token;
				pg.token = NULL;
				/* a server that hands the same token back would
				 * keep us listing forever */
				if (!token || !*token || (prev && !strcmp(prev, token))) {
					mwarn("%s/%s: LIST: truncated reply without a new continuation token",
					    c->name, prefix);
					rc = -1;
				}
			}
			free(prev);
		}
		lpage_free(&pg);
		req_done(&r);
	} while (token && rc == 0);
	free(token);
	free(eprefix);
	return rc;
}
