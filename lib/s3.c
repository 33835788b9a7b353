/* s3.c: the S3 client of s3.h. */
#include "s3.h"
#include "hash.h"
#include "util.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
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

static void sha256_hex(const void *d, size_t n, char hex[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, d, n);
	sodium_bin2hex(hex, 65, h, sizeof h);
}

/* SHA-256 of len bytes of fd at off, as hex. 0 or -1 with errno. */
static int sha256_fd(int fd, long long off, long long len, char hex[65])
{
	crypto_hash_sha256_state st;
	unsigned char h[crypto_hash_sha256_BYTES];
	static const size_t bs = 256 * 1024;
	unsigned char *b = xmalloc(bs);
	crypto_hash_sha256_init(&st);
	while (len > 0) {
		ssize_t r = pread(fd, b, len < (long long)bs ? (size_t)len : bs, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO; /* the file shrank under us */
			free(b);
			return -1;
		}
		crypto_hash_sha256_update(&st, b, (size_t)r);
		off += r;
		len -= r;
	}
	free(b);
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(hex, 65, h, sizeof h);
	return 0;
}

/* MD5 (RFC 1321), for the Content-MD5 that DeleteObjects requires. */
static void md5(const void *msgv, size_t len, unsigned char out[16])
{
	static const uint32_t K[64] = {
		0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
		0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
		0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
		0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
		0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
		0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
		0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
		0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};
	static const unsigned char R[64] = {
		7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
		5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
		4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
		6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};
	const unsigned char *msg = msgv;
	uint32_t h[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
	size_t total = ((len + 8) / 64 + 1) * 64;
	unsigned char *m = xcalloc(1, total);
	uint64_t bits = (uint64_t)len * 8;
	memcpy(m, msg, len);
	m[len] = 0x80;
	for (int i = 0; i < 8; i++)
		m[total - 8 + i] = (unsigned char)(bits >> (8 * i));
	for (size_t off = 0; off < total; off += 64) {
		uint32_t w[16], a = h[0], b = h[1], c = h[2], d = h[3];
		for (int i = 0; i < 16; i++)
			w[i] = (uint32_t)m[off + 4 * i] | (uint32_t)m[off + 4 * i + 1] << 8 |
			    (uint32_t)m[off + 4 * i + 2] << 16 | (uint32_t)m[off + 4 * i + 3] << 24;
		for (int i = 0; i < 64; i++) {
			uint32_t f;
			int g;
			if (i < 16) {
				f = (b & c) | (~b & d);
				g = i;
			} else if (i < 32) {
				f = (d & b) | (~d & c);
				g = (5 * i + 1) % 16;
			} else if (i < 48) {
				f = b ^ c ^ d;
				g = (3 * i + 5) % 16;
			} else {
				f = c ^ (b | ~d);
				g = (7 * i) % 16;
			}
			f = f + a + K[i] + w[g];
			a = d;
			d = c;
			c = b;
			b = b + ((f << R[i]) | (f >> (32 - R[i])));
		}
		h[0] += a;
		h[1] += b;
		h[2] += c;
		h[3] += d;
	}
	free(m);
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++)
			out[4 * i + j] = (unsigned char)(h[i] >> (8 * j));
}

void s3_content_md5(const void *buf, size_t len, char out[25])
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char d[16];
	int o = 0;
	md5(buf, len, d);
	for (int i = 0; i < 16; i += 3) {
		uint32_t v = (uint32_t)d[i] << 16 | (i + 1 < 16 ? (uint32_t)d[i + 1] << 8 : 0) |
		    (i + 2 < 16 ? d[i + 2] : 0);
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = i + 1 < 16 ? b64[v >> 6 & 63] : '=';
		out[o++] = i + 2 < 16 ? b64[v & 63] : '=';
	}
	out[o] = '\0';
}

/* The text of the first <tag>...</tag> at or after p (entities decoded):
 * a new string, and *next past it; NULL when absent. */
static char *xml_get(const char *p, const char *end, const char *tag, const char **next)
{
	char open[64], close[64];
	const char *s, *e;
	char *out, *o;
	snprintf(open, sizeof open, "<%s>", tag);
	snprintf(close, sizeof close, "</%s>", tag);
	s = memmem(p, (size_t)(end - p), open, strlen(open));
	if (!s)
		return NULL;
	s += strlen(open);
	e = memmem(s, (size_t)(end - s), close, strlen(close));
	if (!e)
		return NULL;
	if (next)
		*next = e + strlen(close);
	out = o = xmalloc((size_t)(e - s) + 1);
	while (s < e) {
		static const struct { const char *ent; char c; } ents[] = {
			{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
		int done = 0;
		if (*s == '&') {
			for (size_t i = 0; i < sizeof ents / sizeof ents[0]; i++) {
				size_t l = strlen(ents[i].ent);
				if ((size_t)(e - s) >= l && !memcmp(s, ents[i].ent, l)) {
					*o++ = ents[i].c;
					s += l;
					done = 1;
					break;
				}
			}
			if (!done && s + 2 < e && s[1] == '#') {
				char *semi;
				long v = s[2] == 'x' ? strtol(s + 3, &semi, 16) : strtol(s + 2, &semi, 10);
				if (semi < e && *semi == ';' && v > 0 && v < 128) {
					*o++ = (char)v;
					s = semi + 1;
					done = 1;
				}
			}
		}
		if (!done)
			*o++ = *s++;
	}
	*o = '\0';
	return out;
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
	if (r->resp.p) {
		const char *end = r->resp.p + r->resp.len;
		code = xml_get(r->resp.p, end, "Code", NULL);
		msg = xml_get(r->resp.p, end, "Message", NULL);
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
	if (perform(c, &r, EMPTY_SHA) < 0 || r.status != 200 ||
	    !(upload_id = xml_get(r.resp.p ? r.resp.p : "", r.resp.p ? r.resp.p + r.resp.len : "",
	        "UploadId", NULL))) {
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
		/* a 200 can still carry an <Error> (the S3 docs say so) */
		if (perform(c, &r, sha) < 0 || r.status != 200 ||
		    (r.resp.p && strstr(r.resp.p, "<Error>")))
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

int s3_delete(struct s3 *c, const char *const *keys, size_t nkeys)
{
	int rc = 0;
	for (size_t at = 0; at < nkeys; at += DELETE_BATCH) {
		size_t end = nkeys - at > DELETE_BATCH ? at + DELETE_BATCH : nkeys;
		struct buf body = {.max = SIZE_MAX};
		struct req r;
		char sha[65], md5h[64], b64s[25];
		const char *hdrs[] = {"Content-Type: application/xml", md5h, NULL};
		buf_printf(&body, "<Delete><Quiet>true</Quiet>");
		for (size_t i = at; i < end; i++) {
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
			r.key = keys[at];
			report(c, &r, "DeleteObjects");
			rc = -1;
		} else if (r.resp.p) {
			/* quiet mode lists only the keys that failed */
			const char *p = r.resp.p, *e = r.resp.p + r.resp.len, *nx;
			char *err;
			while ((err = xml_get(p, e, "Error", &nx))) {
				char *k = xml_get(err, err + strlen(err), "Key", NULL);
				char *m = xml_get(err, err + strlen(err), "Message", NULL);
				mwarn("%s/%s: DELETE: %s", c->name, k ? k : "?", m ? m : "failed");
				free(k);
				free(m);
				free(err);
				rc = -1;
				p = nx;
			}
		}
		req_done(&r);
		free(body.p);
	}
	return rc;
}

int s3_list(struct s3 *c, const char *prefix,
    int (*each)(void *arg, const char *key, long long size), void *arg)
{
	char *token = NULL, *eprefix = s3_uri_encode(prefix ? prefix : "", 0);
	int rc = 0;
	do {
		struct req r;
		char *q, *etok = token ? s3_uri_encode(token, 0) : NULL, *trunc;
		const char *p, *e, *nx;
		char *item;
		/* names in sorted order: libcurl 7.88 signs the query as given */
		q = xasprintf("%s%s%slist-type=2&max-keys=%d&prefix=%s", etok ? "continuation-token=" : "",
		    etok ? etok : "", etok ? "&" : "", c->page, eprefix);
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
		p = r.resp.p;
		e = r.resp.p + r.resp.len;
		while (rc == 0 && (item = xml_get(p, e, "Contents", &nx))) {
			char *k = xml_get(item, item + strlen(item), "Key", NULL);
			char *sz = xml_get(item, item + strlen(item), "Size", NULL);
			if (k)
				rc = each(arg, k, sz ? strtoll(sz, NULL, 10) : -1);
			free(k);
			free(sz);
			free(item);
			p = nx;
		}
		trunc = xml_get(r.resp.p, e, "IsTruncated", NULL);
		{
			char *prev = token;
			token = NULL;
			if (rc == 0 && trunc && !strcmp(trunc, "true")) {
				token = xml_get(r.resp.p, e, "NextContinuationToken", NULL);
				/* a server that hands the same token back would
				 * keep us listing forever */
				if (!token || (prev && !strcmp(prev, token))) {
					mwarn("%s/%s: LIST: truncated reply without a new continuation token",
					    c->name, prefix ? prefix : "");
					rc = -1;
				}
			}
			free(prev);
		}
		free(trunc);
		req_done(&r);
	} while (token && rc == 0);
	free(token);
	free(eprefix);
	return rc;
}
