/* s3_multipart.c: a file PUT in one request or, past the part size, as a
 * multipart upload whose parts go up from several threads. */
#include "s3_int.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	struct s3_req r;
	char sha[65], *q, *eid;
	long long off = (long long)i * m->part;
	long long len = m->size - off < m->part ? m->size - off : m->part;
	int rc = -1;
	if (s3_sha256_fd(m->fd, off, len, sha) < 0) {
		mwarn("%s/%s: reading part %d: %s", c->name, m->key, i + 1, strerror(errno));
		return -1;
	}
	eid = s3_uri_encode(m->upload_id, 0);
	q = xasprintf("partNumber=%d&uploadId=%s", i + 1, eid);
	free(eid);
	s3_req_init(&r, "PUT", m->key);
	r.query = q;
	r.body_fd = m->fd;
	r.body_off = off;
	r.body_len = len;
	if (s3_perform(c, &r, sha) < 0 || r.status != 200 || !r.etag[0]) {
		s3_report(c, &r, "PUT part");
	} else {
		pthread_mutex_lock(&m->mu);
		m->etags[i] = xstrdup(r.etag);
		pthread_mutex_unlock(&m->mu);
		rc = 0;
	}
	s3_req_done(&r);
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
static int completed(const struct s3_buf *b)
{
	char *root = NULL, why[128];
	int ok = b->p && s3_xml_walk(b->p, b->len, root_each, &root, why, sizeof why) == 0 &&
	    root && !strcmp(root, "CompleteMultipartUploadResult");
	free(root);
	return ok;
}

static int put_multipart(struct s3 *c, const char *key, int fd, long long size,
    const char *mime, const char *cache_control, const char *hash)
{
	struct s3_req r;
	struct mpu m;
	char *h[4], *upload_id = NULL, *eid, *q;
	pthread_t th[64];
	int nth = 0, rc = -1;
	struct s3_buf body = {.max = SIZE_MAX};
	const char *done_hdrs[] = {"Content-Type: application/xml", NULL};

	s3_meta_headers(mime, cache_control, hash, h);
	s3_req_init(&r, "POST", key);
	r.query = "uploads=";
	r.hdrs = (const char *const *)h;
	if (s3_perform(c, &r, S3_EMPTY_SHA) == 0 && r.status == 200) {
		static const char *const paths[] = {"InitiateMultipartUploadResult/UploadId", NULL};
		(void)s3_xml_pick(&r.resp, paths, &upload_id);
	}
	if (!upload_id || !*upload_id) {
		s3_report(c, &r, "starting a multipart upload");
		s3_free_headers(h);
		s3_req_done(&r);
		return -1;
	}
	s3_free_headers(h);
	s3_req_done(&r);

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
		s3_buf_printf(&body, "<CompleteMultipartUpload>");
		for (int i = 0; i < m.nparts; i++) {
			s3_buf_printf(&body, "<Part><PartNumber>%d</PartNumber><ETag>", i + 1);
			s3_xml_escape(&body, m.etags[i]);
			s3_buf_printf(&body, "</ETag></Part>");
		}
		s3_buf_printf(&body, "</CompleteMultipartUpload>");
		s3_sha256_hex(body.p, body.len, sha);
		s3_req_init(&r, "POST", key);
		r.query = q;
		r.hdrs = done_hdrs;
		r.body = body.p;
		r.bodylen = body.len;
		/* a 200 can still carry an <Error> (the S3 docs say so): only
		 * a CompleteMultipartUploadResult is success */
		if (s3_perform(c, &r, sha) < 0 || r.status != 200 || !completed(&r.resp))
			s3_report(c, &r, "completing a multipart upload");
		else
			rc = 0;
		s3_req_done(&r);
	}
	if (rc < 0) {
		/* leave no unfinished upload (its parts cost storage) */
		s3_req_init(&r, "DELETE", key);
		r.query = q;
		if (s3_perform(c, &r, S3_EMPTY_SHA) < 0 || (r.status != 204 && r.status != 200 && r.status != 404))
			s3_report(c, &r, "aborting a multipart upload");
		s3_req_done(&r);
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
		struct s3_req r;
		char sha[65], *h[4];
		if (s3_sha256_fd(fd, 0, (long long)st.st_size, sha) < 0) {
			mwarnerr("%s", path);
			close(fd);
			return -1;
		}
		s3_meta_headers(mime, cache_control, hash, h);
		s3_req_init(&r, "PUT", key);
		r.hdrs = (const char *const *)h;
		r.body_fd = fd;
		r.body_len = (long long)st.st_size;
		if (s3_perform(c, &r, sha) < 0 || r.status != 200)
			s3_report(c, &r, "PUT");
		else
			rc = 0;
		s3_free_headers(h);
		s3_req_done(&r);
	}
	close(fd);
	return rc;
}

