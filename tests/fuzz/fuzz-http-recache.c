/* libFuzzer target: the signed re-cache check (sign_check_recache), the
 * one POST a frontyard takes from strangers. Input byte 0 picks the mode:
 * even, the rest is "SIGNATURE\nBODY" as a client may send them, and no
 * such request may pass; odd, the rest is a BODY that gets a valid
 * signature (a publisher's odd body), and the check must end in 0, 400 or
 * 403 without undefined behaviour, passing only a timestamp within the
 * allowed skew. (A negative announced generation passes: recache() does
 * not use it.) */
#include "sign.h"
#include "util.h"

#include <json-c/json.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static unsigned char pk[SIGN_PK_BYTES], sk[SIGN_SK_BYTES];
static const long long NOW = 1800000000;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0 || crypto_sign_keypair(pk, sk) != 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char why[512];
	long long gen = -7;
	if (data[0] % 2 == 0) {
		const char *rest = (const char *)data + 1;
		size_t n = size - 1;
		const char *nl = memchr(rest, '\n', n);
		size_t sl = nl ? (size_t)(nl - rest) : n;
		char *sig = xmalloc(sl + 1);
		memcpy(sig, rest, sl);
		sig[sl] = '\0';
		const char *body = nl ? nl + 1 : "";
		size_t bl = nl ? n - sl - 1 : 0;
		int st = sign_check_recache(pk, body, bl, sig, NOW, &gen, why, sizeof why);
		if (st != 401 && st != 403 && st != 400)
			abort();
		if (!*why)
			abort();
		free(sig);
		return 0;
	}
	const unsigned char *body = data + 1;
	size_t bl = size - 1;
	unsigned char s[crypto_sign_BYTES];
	char sig[SIGN_SIG_B64];
	crypto_sign_detached(s, NULL, body, bl, sk);
	sodium_bin2base64(sig, sizeof sig, s, sizeof s, sodium_base64_VARIANT_ORIGINAL);
	int st = sign_check_recache(pk, (const char *)body, bl, sig, NOW, &gen, why, sizeof why);
	if (st == 0) {
		json_tokener *tok = json_tokener_new();
		json_object *o = json_tokener_parse_ex(tok, (const char *)body, (int)bl);
		json_object *t;
		if (!o || !json_object_object_get_ex(o, "timestamp", &t))
			abort();
		long long ts = json_object_get_int64(t);
		if (ts < NOW - SIGN_SKEW || ts > NOW + SIGN_SKEW)
			abort();
		json_object_put(o);
		json_tokener_free(tok);
	} else if (st != 400 && st != 403) {
		abort();
	}
	return 0;
}
