/* Ed25519 keys and the signed re-cache request. */
#include "sign.h"
#include "ndjson.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_FILE_MAX 1024

static int write_key(const char *path, const char *comment, const unsigned char *key, size_t klen,
    mode_t mode, char *err, size_t errlen)
{
	char b64[sodium_base64_ENCODED_LEN(SIGN_SK_BYTES, sodium_base64_VARIANT_ORIGINAL)];
	sodium_bin2base64(b64, sizeof b64, key, klen, sodium_base64_VARIANT_ORIGINAL);
	char text[KEY_FILE_MAX];
	int len = snprintf(text, sizeof text, "untrusted comment: %s\n%s\n", comment, b64);
	sodium_memzero(b64, sizeof b64);
	/* O_EXCL: never replace a key, a lost secret key cannot be recovered */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	int rc = -1;
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	/* the umask must not widen or narrow what we asked for */
	if (fchmod(fd, mode) < 0 || write(fd, text, (size_t)len) != len || fsync(fd) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		goto out;
	}
	if (close(fd) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(path);
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(text, sizeof text);
	return rc;
}

int sign_keygen(const char *dir, char *err, size_t errlen)
{
	unsigned char pk[SIGN_PK_BYTES], sk[SIGN_SK_BYTES];
	char *skp = path_join(dir, SIGN_SECRET_FILE), *pkp = path_join(dir, SIGN_PUBLIC_FILE);
	int rc = -1;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		goto out;
	}
	if (access(skp, F_OK) == 0 || access(pkp, F_OK) == 0) {
		snprintf(err, errlen, "%s: a key pair is already there (remove it first)", dir);
		goto out;
	}
	crypto_sign_keypair(pk, sk);
	if (write_key(skp, "medusa recache secret key", sk, sizeof sk, 0600, err, errlen) < 0)
		goto out;
	if (write_key(pkp, "medusa recache public key", pk, sizeof pk, 0644, err, errlen) < 0) {
		unlink(skp);
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(sk, sizeof sk);
	free(skp);
	free(pkp);
	return rc;
}

/* Reads the base64 line of a key file into key (klen bytes exactly). */
static int load_key(const char *path, int secret, unsigned char *key, size_t klen, char *err,
    size_t errlen)
{
	char text[KEY_FILE_MAX + 1];
	int rc = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if (secret && (st.st_mode & 077)) {
		snprintf(err, errlen, "%s: secret key readable by others (mode %03o): chmod 600 it",
		    path, (unsigned)(st.st_mode & 0777));
		goto out;
	}
	ssize_t len = read(fd, text, KEY_FILE_MAX);
	if (len < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	text[len] = '\0';
	char *line = text;
	if (strncmp(line, "untrusted comment:", 18) == 0) {
		char *nl = strchr(line, '\n');
		line = nl ? nl + 1 : line + strlen(line);
	}
	line[strcspn(line, "\r\n")] = '\0';
	size_t got = 0;
	unsigned char buf[SIGN_SK_BYTES + 1];
	if (sodium_base642bin(buf, sizeof buf, line, strlen(line), NULL, &got, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || got != klen) {
		snprintf(err, errlen, "%s: not a medusa recache %s key", path, secret ? "secret" : "public");
		sodium_memzero(buf, sizeof buf);
		goto out;
	}
	memcpy(key, buf, klen);
	sodium_memzero(buf, sizeof buf);
	rc = 0;
out:
	sodium_memzero(text, sizeof text);
	close(fd);
	return rc;
}

int sign_load_secret(const char *path, unsigned char sk[SIGN_SK_BYTES], char *err, size_t errlen)
{
	return load_key(path, 1, sk, SIGN_SK_BYTES, err, errlen);
}

int sign_load_public(const char *path, unsigned char pk[SIGN_PK_BYTES], char *err, size_t errlen)
{
	return load_key(path, 0, pk, SIGN_PK_BYTES, err, errlen);
}

char *sign_recache(const unsigned char sk[SIGN_SK_BYTES], long long generation, long long now,
    char sig[SIGN_SIG_B64])
{
	unsigned char nonce[12], s[crypto_sign_BYTES];
	char nhex[2 * sizeof nonce + 1];
	randombytes_buf(nonce, sizeof nonce);
	sodium_bin2hex(nhex, sizeof nhex, nonce, sizeof nonce);
	char *body = generation >= 0 ?
	    xasprintf("{\"generation\":%lld,\"timestamp\":%lld,\"nonce\":\"%s\"}", generation, now, nhex) :
	    xasprintf("{\"generation\":null,\"timestamp\":%lld,\"nonce\":\"%s\"}", now, nhex);
	crypto_sign_detached(s, NULL, (const unsigned char *)body, strlen(body), sk);
	sodium_bin2base64(sig, SIGN_SIG_B64, s, sizeof s, sodium_base64_VARIANT_ORIGINAL);
	return body;
}

int sign_check_recache(const unsigned char pk[SIGN_PK_BYTES], const char *body, size_t len,
    const char *sig, long long now, long long *generation, char *err, size_t errlen)
{
	unsigned char s[crypto_sign_BYTES];
	size_t got = 0;
	if (!sig || !*sig) {
		snprintf(err, errlen, "missing %s header", SIGN_HEADER);
		return 401;
	}
	if (sodium_base642bin(s, sizeof s, sig, strlen(sig), NULL, &got, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || got != sizeof s) {
		snprintf(err, errlen, "%s is not a base64 Ed25519 signature", SIGN_HEADER);
		return 401;
	}
	if (crypto_sign_verify_detached(s, (const unsigned char *)body, len, pk) != 0) {
		snprintf(err, errlen, "bad signature");
		return 403;
	}
	char perr[128];
	json_object *o = json_parse_strict(body, len, perr, sizeof perr);
	long long ts;
	if (!o || !json_object_is_type(o, json_type_object) || jint64(o, "timestamp", &ts) < 0) {
		snprintf(err, errlen, "not a re-cache request (want {\"generation\",\"timestamp\",\"nonce\"})");
		json_object_put(o);
		return 400;
	}
	json_object *g = NULL;
	long long gen = -1;
	if (json_object_object_get_ex(o, "generation", &g) && g && jint64(o, "generation", &gen) < 0) {
		snprintf(err, errlen, "generation: not an integer");
		json_object_put(o);
		return 400;
	}
	json_object_put(o);
	if (ts < now - SIGN_SKEW || ts > now + SIGN_SKEW) {
		/* no difference computed: ts may be anything a signer chose (INT64_MIN) */
		snprintf(err, errlen, "timestamp %lld is more than %d s from the server's clock (%lld)",
		    ts, SIGN_SKEW, now);
		return 403;
	}
	*generation = gen;
	return 0;
}
