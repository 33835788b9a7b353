/* s3_cred.c: a client from the environment and the AWS shared files
 * (credentials, region, endpoint; the INI reader), duplicated and freed. */
#include "s3_int.h"
#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *envdup(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? xstrdup(v) : NULL;
}

/* Frees a secret string after wiping it, so that it stays nowhere in the
 * heap. NULL is fine. */
void wipe_free(char *s)
{
	if (!s)
		return;
	sodium_memzero(s, strlen(s));
	free(s);
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

/* The access key pair from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, else
 * from ~/.aws/credentials (*from_file set). 0, or -1 with neither (both
 * left NULL, a half found wiped and freed). */
static int s3_keys(char **akid, char **secret, int *from_file)
{
	*akid = envdup("AWS_ACCESS_KEY_ID");
	*secret = envdup("AWS_SECRET_ACCESS_KEY");
	*from_file = 0;
	if (!*akid && !*secret) {
		*akid = aws_file_value(0, "aws_access_key_id");
		*secret = aws_file_value(0, "aws_secret_access_key");
		*from_file = 1;
	}
	if (*akid && *secret)
		return 0;
	free(*akid);
	wipe_free(*secret);
	*akid = *secret = NULL;
	return -1;
}

/* c->region from the environment or ~/.aws/config, us-east-1 by default.
 * 0, or -1 with err set for a value that is no region name. */
static int s3_region(struct s3 *c, char *err, size_t errlen)
{
	c->region = envdup("AWS_REGION");
	if (!c->region)
		c->region = envdup("AWS_DEFAULT_REGION");
	if (!c->region)
		c->region = aws_file_value(1, "region");
	if (!c->region)
		c->region = xstrdup("us-east-1");
	if (!*c->region ||
	    strspn(c->region, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(c->region)) {
		snprintf(err, errlen, "AWS_REGION=%s: not a region name", c->region);
		return -1;
	}
	return 0;
}

/* c->base: a custom endpoint path-style, else the AWS one. 0, or -1 with
 * err set for an endpoint that is no http(s) URL. */
static int s3_base(struct s3 *c, char *err, size_t errlen)
{
	char *endpoint = envdup("AWS_ENDPOINT_URL_S3");
	if (!endpoint)
		endpoint = envdup("AWS_ENDPOINT_URL");
	if (endpoint) {
		size_t l = strlen(endpoint);
		while (l > 0 && endpoint[l - 1] == '/')
			endpoint[--l] = '\0';
		if (strncmp(endpoint, "http://", 7) && strncmp(endpoint, "https://", 8)) {
			snprintf(err, errlen, "AWS_ENDPOINT_URL=%s: not an http:// or https:// URL", endpoint);
			free(endpoint);
			return -1;
		}
		/* custom endpoints (MinIO, Ceph, s3rver...) want path-style */
		c->base = xasprintf("%s/%s", endpoint, c->bucket);
		free(endpoint);
	} else if (strchr(c->bucket, '.')) {
		/* a dotted name would not match the TLS certificate of
		 * *.s3.REGION.amazonaws.com: path-style then */
		c->base = xasprintf("https://s3.%s.amazonaws.com/%s", c->region, c->bucket);
	} else {
		c->base = xasprintf("https://%s.s3.%s.amazonaws.com", c->bucket, c->region);
	}
	return 0;
}

struct s3 *s3_new(const char *bucket, char *err, size_t errlen)
{
	struct s3 *c = NULL;
	char *akid = NULL, *secret = NULL;
	int from_file;
	if (pthread_once(&global_once, global_init) != 0) {
		snprintf(err, errlen, "s3://%s: cannot start libcurl", bucket);
		return NULL;
	}
	if (!bucket_valid(bucket)) {
		snprintf(err, errlen, "s3://%s: not a valid bucket name", bucket);
		return NULL;
	}
	if (s3_keys(&akid, &secret, &from_file) < 0) {
		snprintf(err, errlen, "s3://%s: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set "
		    "(or aws_access_key_id and aws_secret_access_key in ~/.aws/credentials)", bucket);
		return NULL;
	}
	c = xcalloc(1, sizeof *c);
	c->bucket = xstrdup(bucket);
	c->name = xasprintf("s3://%s", bucket);
	if (s3_region(c, err, errlen) < 0 || s3_base(c, err, errlen) < 0)
		goto fail;
	/* curl takes the key id and secret as user:password; a ':' in the id
	 * would split them wrongly */
	if (strchr(akid, ':')) {
		snprintf(err, errlen, "AWS_ACCESS_KEY_ID: must not contain ':'");
		goto fail;
	}
	c->userpwd = xasprintf("%s:%s", akid, secret);
	c->token = from_file ? aws_file_value(0, "aws_session_token") : envdup("AWS_SESSION_TOKEN");
	c->sigv4 = xasprintf("aws:amz:%s:s3", c->region);
	c->part_size = envnum("MEDUSA_S3_PART_SIZE", 16 * MiB, 5 * MiB, 5120 * MiB);
	c->jobs = (int)envnum("MEDUSA_S3_JOBS", 4, 1, 64);
	c->retries = (int)envnum("MEDUSA_S3_RETRIES", 4, 0, 20);
	c->timeout = (long)envnum("MEDUSA_S3_TIMEOUT", 30, 1, 3600);
	c->page = (int)envnum("MEDUSA_S3_PAGE", 1000, 1, 1000);
	c->curl = curl_easy_init();
	if (!c->curl) {
		snprintf(err, errlen, "s3://%s: cannot start libcurl", bucket);
		goto fail;
	}
	free(akid);
	wipe_free(secret);
	return c;
fail:
	free(akid);
	wipe_free(secret);
	s3_free(c);
	return NULL;
}

struct s3 *s3_new_public(const char *base_url, char *err, size_t errlen)
{
	struct s3 *c;
	size_t l = strlen(base_url);
	if (pthread_once(&global_once, global_init) != 0) {
		snprintf(err, errlen, "%s: cannot start libcurl", base_url);
		return NULL;
	}
	if (strncmp(base_url, "http://", 7) && strncmp(base_url, "https://", 8)) {
		snprintf(err, errlen, "%s: not an http:// or https:// URL", base_url);
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
		snprintf(err, errlen, "%s: cannot start libcurl", base_url);
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
	wipe_free(c->userpwd);
	free(c->bucket);
	free(c->name);
	free(c->base);
	free(c->region);
	wipe_free(c->token);
	free(c->sigv4);
	free(c);
}

const char *s3_bucket(const struct s3 *c)
{
	return c->bucket;
}

