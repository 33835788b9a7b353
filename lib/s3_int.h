/* s3_int.h: what the files of the S3 client share (s3.c transport and
 * retries, s3_cred.c credentials and settings, s3_xml.c replies,
 * s3_buf.c buffers, s3_multipart.c uploads in parts); s3.h is the public
 * interface. */
#ifndef MEDUSA_S3_INT_H
#define MEDUSA_S3_INT_H

#include "s3.h"
#include "hash.h"

#include <curl/curl.h>
#include <stddef.h>

#define MiB (1024LL * 1024)
#define ERRBODY_MAX (256 * 1024)     /* error and XML replies kept in memory */

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
struct s3_buf {
	char *p;
	size_t len, cap, max;
	int overflow;
};

/* One request. The body is a buffer or a slice of a file; the reply body
 * goes to out_fd on success when out_fd >= 0, else into resp. */
struct s3_req {
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
	struct s3_buf resp;
	long long size;          /* Content-Length of the reply */
	char etag[128];
	char hash[HASH_HEX_LEN + 1];
	CURLcode cerr;
	char cmsg[CURL_ERROR_SIZE];
	int out_failed;          /* errno of a failed write to out_fd */
};

/* s3_buf.c: appends to b; past b->max it sets b->overflow and drops the
 * bytes. Dies when out of memory. */
void s3_buf_add(struct s3_buf *b, const void *d, size_t n);
void s3_buf_printf(struct s3_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* s3_xml.c: an XML reply walked with expat; each(arg, path, text, len)
 * for every element with text, path "Root/Child". 0, or -1 with err. */
int s3_xml_walk(const char *doc, size_t len,
    void (*each)(void *arg, const char *path, const char *text, size_t len), void *arg,
    char *err, size_t errlen);
/* vals[i] gets the text at paths[i] (NULL-terminated; new strings or
 * NULL); -1 when the reply is no XML. */
int s3_xml_pick(const struct s3_buf *b, const char *const *paths, char **vals);
/* Whether s can stand in an XML 1.0 document. */
int s3_xml_writable(const char *s);
/* Appends s to b with the XML entities escaped. */
void s3_xml_escape(struct s3_buf *b, const char *s);

/* s3.c: the transport. */
extern const char S3_EMPTY_SHA[];
void s3_sha256_hex(const void *d, size_t n, char hex[65]);
/* SHA-256 of len bytes of fd at off, as hex. 0 or -1 with errno. */
int s3_sha256_fd(int fd, long long off, long long len, char hex[65]);
/* A request of method on key (NULL: the bucket), nothing set but that. */
void s3_req_init(struct s3_req *r, const char *method, const char *key);
void s3_req_done(struct s3_req *r);
/* Runs a request with retries. 0 when it got an HTTP answer (any status),
 * -1 when none came. */
int s3_perform(struct s3 *c, struct s3_req *r, const char *payload_sha);
/* The message for a failed request (what: "PUT"...). */
void s3_report(struct s3 *c, const struct s3_req *r, const char *what);
/* The headers of a PUT or of the start of a multipart upload, in h (at
 * least 4 slots, NULL-terminated); s3_free_headers frees them. */
void s3_meta_headers(const char *mime, const char *cache_control, const char *hash, char *h[4]);
void s3_free_headers(char **h);

#endif
