/* medusa-recache: tell running frontyard servers to re-cache, with a
 * request signed by the publisher's Ed25519 key; or make that key pair. */
#include "config.h"
#include "hash.h"
#include "ndjson.h"
#include "sign.h"
#include "util.h"

#include <curl/curl.h>
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static noreturn void usage(void)
{
	fprintf(stderr, "usage: medusa-recache [-C backyard] [-k secretkey] [-G generation]\n"
	    "           [-t timeout] [-r retries] [-T time] url ...\n"
	    "       medusa-recache -n [-C backyard] [-k secretkey] [-G generation] [-T time]\n"
	    "       medusa-recache -g dir\n");
	exit(EXIT_USAGE);
}

struct answer {
	char buf[4096];
	size_t len;
};

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
	struct answer *a = arg;
	size_t k = size * n;
	size_t room = sizeof a->buf - 1 - a->len;
	memcpy(a->buf + a->len, p, k < room ? k : room);
	a->len += k < room ? k : room;
	a->buf[a->len] = '\0';
	return k;
}

/* base URL or the endpoint itself -> the endpoint */
static char *endpoint(const char *url)
{
	size_t n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	if (n >= 12 && strncmp(url + n - 12, "/api/recache", 12) == 0)
		return xasprintf("%.*s", (int)n, url);
	return xasprintf("%.*s/api/recache", (int)n, url);
}

/* One server, with retries and backoff on connection errors and 5xx.
 * 0 ok, -1 failed (after a message). */
static long long stamp = -1;     /* -T: sign with this time instead of the clock */

static long long now(void)
{
	return stamp >= 0 ? stamp : (long long)time(NULL);
}

static int post(CURL *h, const unsigned char *sk, long long gen, const char *url, long timeout,
    int retries)
{
	char *ep = endpoint(url);
	int rc = -1;
	for (int attempt = 0;; attempt++) {
		char sig[SIGN_SIG_B64];
		/* signed afresh each time: the timestamp must stay current */
		char *body = sign_recache(sk, gen, now(), sig);
		char *hsig = xasprintf("%s: %s", SIGN_HEADER, sig);
		struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
		hdrs = curl_slist_append(hdrs, hsig);
		hdrs = curl_slist_append(hdrs, "Expect:");
		struct answer a = {.len = 0};
		a.buf[0] = '\0';
		curl_easy_reset(h);
		curl_easy_setopt(h, CURLOPT_URL, ep);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &a);
		curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout);
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, timeout);
		curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(h, CURLOPT_USERAGENT, "medusa-recache");
		CURLcode cr = curl_easy_perform(h);
		long status = 0;
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		curl_slist_free_all(hdrs);
		free(hsig);
		free(body);
		int again = cr != CURLE_OK || status >= 500;
		if (!again) {
			a.buf[strcspn(a.buf, "\n")] = '\0';
			if (status == 200) {
				json_object *o = json_object_new_object();
				json_object_object_add(o, "url", json_object_new_string(ep));
				json_object_object_add(o, "status", json_object_new_int(200));
				json_object_object_add(o, "answer", json_tokener_parse(a.buf));
				rc = ndjson_write(stdout, o) < 0 ? -1 : 0;
				json_object_put(o);
			} else {
				mwarn("%s: %ld %s", ep, status, a.buf);
			}
			break;
		}
		if (attempt >= retries) {
			if (cr != CURLE_OK)
				mwarn("%s: %s", ep, curl_easy_strerror(cr));
			else
				mwarn("%s: %ld %s", ep, status, a.buf);
			break;
		}
		/* 0.25 s, 0.5 s, 1 s, ... at most 8 s */
		unsigned ms = 250u << (attempt < 5 ? attempt : 5);
		struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
		nanosleep(&ts, NULL);
	}
	free(ep);
	return rc;
}

int main(int argc, char *argv[])
{
	const char *dir = NULL, *keyfile = NULL, *gendir = NULL;
	long long gen = -1;
	long timeout = 10;
	int retries = 3, ch, dry = 0;
	char *end;
	while ((ch = getopt(argc, argv, "C:k:G:t:r:g:nT:")) != -1) {
		switch (ch) {
		case 'C': dir = optarg; break;
		case 'k': keyfile = optarg; break;
		case 'g': gendir = optarg; break;
		case 'n': dry = 1; break;
		case 'T':
			errno = 0;
			stamp = strtoll(optarg, &end, 10);
			if (errno || *end || end == optarg || stamp < 0)
				mdie(EXIT_USAGE, "-T: %s: want unix seconds", optarg);
			break;
		case 'G':
			errno = 0;
			gen = strtoll(optarg, &end, 10);
			if (errno || *end || end == optarg || gen < 0)
				mdie(EXIT_USAGE, "-G: %s: want a generation number", optarg);
			break;
		case 't':
			timeout = strtol(optarg, &end, 10);
			if (*end || end == optarg || timeout < 1 || timeout > 3600)
				mdie(EXIT_USAGE, "-t: %s: want seconds (1 to 3600)", optarg);
			break;
		case 'r':
			retries = (int)strtol(optarg, &end, 10);
			if (*end || end == optarg || retries < 0 || retries > 20)
				mdie(EXIT_USAGE, "-r: %s: want 0 to 20 retries", optarg);
			break;
		default: usage();
		}
	}
	if (hash_init() < 0)
		mdie(EXIT_USAGE, "libsodium failed to initialise");
	char why[1024];
	if (gendir) {
		if (optind != argc || keyfile)
			usage();
		if (sign_keygen(gendir, why, sizeof why) < 0)
			mdie(EXIT_USAGE, "%s", why);
		fprintf(stderr, "medusa-recache: wrote %s/%s (secret, mode 0600) and %s/%s\n",
		    gendir, SIGN_SECRET_FILE, gendir, SIGN_PUBLIC_FILE);
		return EXIT_ALLOK;
	}
	if (dry ? optind != argc : optind == argc)
		usage();
	char *defkey = NULL;
	if (!keyfile) {
		/* the embedded default: the frontyard directory of the backyard */
		struct config cfg;
		config_open(dir, &cfg);
		defkey = path_join(cfg.frontyard_dir, SIGN_SECRET_FILE);
		config_free(&cfg);
		keyfile = defkey;
	}
	unsigned char sk[SIGN_SK_BYTES];
	if (sign_load_secret(keyfile, sk, why, sizeof why) < 0)
		mdie(EXIT_USAGE, "%s", why);
	free(defkey);
	if (dry) {
		/* the request without sending it: header line, then body line */
		char sig[SIGN_SIG_B64];
		char *body = sign_recache(sk, gen, now(), sig);
		sodium_memzero(sk, sizeof sk);
		printf("%s: %s\n%s\n", SIGN_HEADER, sig, body);
		free(body);
		return close_stdout() < 0 ? EXIT_SOME : EXIT_ALLOK;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		mdie(EXIT_USAGE, "libcurl failed to initialise");
	CURL *h = curl_easy_init();
	if (!h)
		mdie(EXIT_USAGE, "libcurl failed to initialise");
	int failed = 0;
	for (int i = optind; i < argc; i++)
		if (post(h, sk, gen, argv[i], timeout, retries) < 0)
			failed++;
	sodium_memzero(sk, sizeof sk);
	curl_easy_cleanup(h);
	curl_global_cleanup();
	if (close_stdout() < 0)
		return EXIT_SOME;
	return failed ? EXIT_SOME : EXIT_ALLOK;
}
