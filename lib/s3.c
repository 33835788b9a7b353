/* s3.c: the S3 client of s3.h: signed requests with retries over libcurl,
 * HEAD, GET, small PUTs, DELETE and listings (s3_int.h names the rest). */
#include "s3_int.h"
#include "hash.h"
#include "urlenc.h"
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

#define DELETE_BATCH 1000            /* the DeleteObjects limit */

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
void s3_sha256_hex(const void *d, size_t n, char hex[65])
{
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hn = 0;
	if (EVP_Digest(d, n, h, &hn, EVP_sha256(), NULL) != 1 || hn != 32)
		mdie(EXIT_USAGE, "cannot compute SHA-256 (libcrypto)");
	sodium_bin2hex(hex, 65, h, 32);
}

/* SHA-256 of len bytes of fd at off, as hex. 0 or -1 with errno. */
int s3_sha256_fd(int fd, long long off, long long len, char hex[65])
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

static size_t on_read(char *dst, size_t size, size_t nmemb, void *arg)
{
	struct s3_req *r = arg;
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
	struct s3_req *r = arg;
	if (origin != SEEK_SET || off < 0)
		return CURL_SEEKFUNC_CANTSEEK;
	r->body_pos = off;
	return CURL_SEEKFUNC_OK;
}

struct wctx {
	struct s3_req *r;
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
	s3_buf_add(&w->r->resp, d, n);
	return n;
}

static size_t on_header(char *d, size_t size, size_t nmemb, void *arg)
{
	struct s3_req *r = arg;
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

static int transient(const struct s3_req *r)
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
int s3_perform(struct s3 *c, struct s3_req *r, const char *payload_sha)
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
void s3_report(struct s3 *c, const struct s3_req *r, const char *what)
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
		(void)s3_xml_pick(&r->resp, paths, v); /* a reply that is no XML has neither */
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

void s3_req_init(struct s3_req *r, const char *method, const char *key)
{
	memset(r, 0, sizeof *r);
	r->method = method;
	r->key = key;
	r->body_fd = -1;
	r->out_fd = -1;
	r->resp.max = ERRBODY_MAX;
}

void s3_req_done(struct s3_req *r)
{
	free(r->resp.p);
	r->resp.p = NULL;
}

const char S3_EMPTY_SHA[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

int s3_head(struct s3 *c, const char *key, long long *size, char *hash, size_t hashlen)
{
	struct s3_req r;
	int rc;
	s3_req_init(&r, "HEAD", key);
	if (s3_perform(c, &r, S3_EMPTY_SHA) < 0 || (r.status != 200 && r.status != 404)) {
		s3_report(c, &r, "HEAD");
		s3_req_done(&r);
		return -1;
	}
	rc = r.status == 200;
	if (rc) {
		if (size)
			*size = r.size;
		if (hash && hashlen)
			snprintf(hash, hashlen, "%s", r.hash);
	}
	s3_req_done(&r);
	return rc;
}

/* Headers shared by a single PUT and the start of a multipart upload. */
void s3_meta_headers(const char *mime, const char *cache_control, const char *hash,
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

void s3_free_headers(char **h)
{
	for (int i = 0; h[i]; i++)
		free(h[i]);
}

int s3_put_buffer(struct s3 *c, const char *key, const void *buf, size_t len,
    const char *mime, const char *cache_control)
{
	struct s3_req r;
	char sha[65], *h[4];
	int rc = 0;
	s3_sha256_hex(buf, len, sha);
	s3_meta_headers(mime, cache_control, NULL, h);
	s3_req_init(&r, "PUT", key);
	r.hdrs = (const char *const *)h;
	r.body = buf;
	r.bodylen = len;
	if (s3_perform(c, &r, sha) < 0 || r.status != 200) {
		s3_report(c, &r, "PUT");
		rc = -1;
	}
	s3_free_headers(h);
	s3_req_done(&r);
	return rc;
}

int s3_get_fd(struct s3 *c, const char *key, int fd)
{
	struct s3_req r;
	off_t at = lseek(fd, 0, SEEK_CUR);
	int rc;
	s3_req_init(&r, "GET", key);
	r.out_fd = fd;
	r.out_start = at < 0 ? 0 : (long long)at;
	if (s3_perform(c, &r, S3_EMPTY_SHA) < 0 || r.out_failed || (r.status != 200 && r.status != 404)) {
		s3_report(c, &r, "GET");
		s3_req_done(&r);
		return -1;
	}
	rc = r.status == 200;
	s3_req_done(&r);
	return rc;
}

int s3_get_buffer(struct s3 *c, const char *key, size_t max, char **buf, size_t *len)
{
	struct s3_req r;
	s3_req_init(&r, "GET", key);
	r.resp.max = max;
	if (s3_perform(c, &r, S3_EMPTY_SHA) < 0 || (r.status != 200 && r.status != 404)) {
		s3_report(c, &r, "GET");
		s3_req_done(&r);
		return -1;
	}
	if (r.status == 404) {
		s3_req_done(&r);
		return 0;
	}
	if (r.resp.overflow) {
		mwarn("%s/%s: larger than %zu bytes", c->name, key, max);
		s3_req_done(&r);
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
	struct s3_buf body = {.max = SIZE_MAX};
	struct s3_req r;
	char sha[65], md5h[64], b64s[25], why[128];
	const char *hdrs[] = {"Content-Type: application/xml", md5h, NULL};
	struct delerr d = {c, NULL, NULL, NULL, 0};
	int rc = 0;
	s3_buf_printf(&body, "<Delete><Quiet>true</Quiet>");
	for (size_t i = 0; i < n; i++) {
		s3_buf_printf(&body, "<Object><Key>");
		s3_xml_escape(&body, keys[i]);
		s3_buf_printf(&body, "</Key></Object>");
	}
	s3_buf_printf(&body, "</Delete>");
	s3_content_md5(body.p, body.len, b64s);
	snprintf(md5h, sizeof md5h, "Content-MD5: %s", b64s);
	s3_sha256_hex(body.p, body.len, sha);
	s3_req_init(&r, "POST", NULL);
	r.query = "delete=";
	r.hdrs = hdrs;
	r.body = body.p;
	r.bodylen = body.len;
	if (s3_perform(c, &r, sha) < 0 || r.status != 200) {
		r.key = keys[0];
		s3_report(c, &r, "DeleteObjects");
		rc = -1;
	} else if (!r.resp.p || s3_xml_walk(r.resp.p, r.resp.len, delerr_each, &d, why, sizeof why) < 0) {
		mwarn("%s/%s: DeleteObjects: the reply is not XML (%s): what was deleted is unknown",
		    c->name, keys[0], r.resp.p ? why : "empty");
		rc = -1;
	} else if (d.n) {
		rc = -1;
	}
	free(d.key);
	free(d.code);
	free(d.msg);
	s3_req_done(&r);
	free(body.p);
	return rc;
}

/* DELETE of one key: for a key no XML document can carry. */
static int delete_one(struct s3 *c, const char *key)
{
	struct s3_req r;
	int rc = 0;
	s3_req_init(&r, "DELETE", key);
	if (s3_perform(c, &r, S3_EMPTY_SHA) < 0 || (r.status != 204 && r.status != 200 && r.status != 404)) {
		s3_report(c, &r, "DELETE");
		rc = -1;
	}
	s3_req_done(&r);
	return rc;
}

int s3_delete(struct s3 *c, const char *const *keys, size_t nkeys)
{
	const char **batch = xcalloc(DELETE_BATCH, sizeof *batch);
	size_t nb = 0;
	int rc = 0;
	for (size_t i = 0; i < nkeys; i++) {
		if (!s3_xml_writable(keys[i])) {
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
	return urlenc_unescape(s, strlen(s), 1, &out, NULL) < 0 ? NULL : out;
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
static int key_has_cr(const struct s3_buf *raw)
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
static int lpage_deliver(struct s3 *c, struct lpage *pg, const struct s3_buf *raw, const char *prefix,
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
		struct s3_req r;
		struct lpage pg = {0};
		char *q, *etok = token ? s3_uri_encode(token, 0) : NULL, why[128];
		/* names in sorted order: libcurl 7.88 signs the query as given */
		q = xasprintf("%s%s%sencoding-type=url&list-type=2&max-keys=%d&prefix=%s",
		    etok ? "continuation-token=" : "", etok ? etok : "", etok ? "&" : "", c->page, eprefix);
		free(etok);
		s3_req_init(&r, "GET", NULL);
		r.query = q;
		r.resp.max = 64 * MiB;
		if (s3_perform(c, &r, S3_EMPTY_SHA) < 0 || r.status != 200 || !r.resp.p || r.resp.overflow) {
			r.key = prefix;
			s3_report(c, &r, "LIST");
			s3_req_done(&r);
			free(q);
			rc = -1;
			break;
		}
		free(q);
		if (s3_xml_walk(r.resp.p, r.resp.len, lpage_each, &pg, why, sizeof why) < 0) {
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
		s3_req_done(&r);
	} while (token && rc == 0);
	free(token);
	free(eprefix);
	return rc;
}
