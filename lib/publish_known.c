/* publish_known.c: a record line seen before (publish_int.h). Its hash,
 * kept in its row (rechash), proves that the row was made from these very
 * bytes: such a line goes out with its urls set in, unparsed, when every
 * file it names is in storage. */
#include "publish_int.h"
#include "hash.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* (the base URL its urls are made of, and the rule, are in it too) */
void publish_record_hash(const struct publish *p, const char *line, size_t len,
    unsigned char out[RECHASH_LEN])
{
	crypto_generichash_state st;
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	crypto_generichash_init(&st, NULL, 0, RECHASH_LEN);
	crypto_generichash_update(&st, (const unsigned char *)"medusa record 1", 16);
	crypto_generichash_update(&st, (const unsigned char *)p->base, strlen(p->base) + 1);
	/* a line kept under one rule may be left out under another */
	crypto_generichash_update(&st, (const unsigned char *)p->where_text, strlen(p->where_text) + 1);
	crypto_generichash_update(&st, (const unsigned char *)line, len);
	crypto_generichash_final(&st, out, RECHASH_LEN);
}

/* The keys of a known row, with their sizes. */
struct known {
	char *key[16];
	long long bytes[16];
	size_t n;
	int toomany;
};

static int known_key(void *arg, const char *key, long long bytes)
{
	struct known *k = arg;
	if (k->n == 16) {
		k->toomany = 1;
		return 1;
	}
	k->key[k->n] = xstrdup(key);
	k->bytes[k->n++] = bytes;
	return 0;
}

static void known_free(struct known *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->key[i]);
}

/* The record line with "url" after each rendition's "key": the line was
 * parsed and validated when its row was made from these very bytes (the
 * rechash says so), so only the urls go in. NULL when the line does not
 * hold each key exactly once, or has urls already (then it is parsed). */
static char *with_urls(const struct publish *p, const char *line, size_t len, const struct known *k)
{
	static const char pat[] = "\"key\":\"";
	const size_t pl = sizeof pat - 1;
	const char *at[16] = {0};
	size_t want = len + 2, bl = strlen(p->base_json);
	int slash = bl && p->base_json[bl - 1] != '/';
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (memmem(line, len, "\"url\":", 6))
		return NULL;
	/* every "key":" of the line, each the start of one known key */
	for (const char *f = line, *end = line + len; (f = memmem(f, (size_t)(end - f), pat, pl)); f += pl) {
		const char *v = f + pl;
		size_t i;
		for (i = 0; i < k->n; i++) {
			size_t kl = strlen(k->key[i]);
			if ((size_t)(end - v) > kl && !memcmp(v, k->key[i], kl) && v[kl] == '"')
				break;
		}
		if (i == k->n || at[i])
			return NULL;
		at[i] = v + strlen(k->key[i]) + 1;
		want += bl + strlen(k->key[i]) + 10;
	}
	for (size_t i = 0; i < k->n; i++)
		if (!at[i])
			return NULL;
	char *out = xmalloc(want), *o = out;
	const char *from = line;
	/* in the order they stand in the line */
	for (size_t done = 0; done < k->n; done++) {
		size_t next = 0;
		for (size_t i = 1; i < k->n; i++)
			if (at[i] < at[next])
				next = i;
		size_t kl = strlen(k->key[next]);
		memcpy(o, from, (size_t)(at[next] - from));
		o += at[next] - from;
		memcpy(o, ",\"url\":\"", 8);
		o += 8;
		memcpy(o, p->base_json, bl);
		o += bl;
		if (slash)
			*o++ = '/';
		memcpy(o, k->key[next], kl);
		o += kl;
		*o++ = '"';
		from = at[next];
		at[next] = line + len + 1; /* done */
	}
	memcpy(o, from, (size_t)(line + len - from));
	o += line + len - from;
	*o++ = '\n';
	*o = '\0';
	return out;
}

/* The value of the one "clip" member of a record line: 1, or 0 when the
 * line has none or more than one (then it is parsed). */
static int line_clip(const char *line, size_t len, char id[CLIP_ID_MAX + 1])
{
	static const char pat[] = "\"clip\":\"";
	const size_t pl = sizeof pat - 1;
	const char *f = memmem(line, len, pat, pl);
	if (!f || memmem(f + pl, len - (size_t)(f + pl - line), pat, pl))
		return 0;
	const char *v = f + pl, *e = memchr(v, '"', len - (size_t)(v - line));
	if (!e || e == v || (size_t)(e - v) > CLIP_ID_MAX)
		return 0;
	memcpy(id, v, (size_t)(e - v));
	id[e - v] = '\0';
	return clip_id_valid(id);
}

int publish_known_line(struct publish *p, const char *line, size_t len,
    const unsigned char *rechash)
{
	struct ms_known row;
	struct known k = {0};
	char *out = NULL, id[CLIP_ID_MAX + 1];
	/* the clip id as the line has it (the row's rechash then proves that
	 * the line is the one the row was made from) */
	if (!line_clip(line, len, id))
		return 0;
	int r = metastore_find_record(p->ms, id, rechash, RECHASH_LEN, &row, known_key, &k);
	if (r <= 0) {
		known_free(&k);
		return r;
	}
	r = 0;
	if (k.toomany)
		goto out;
	for (size_t i = 0; i < k.n; i++) {
		long long size = -1;
		int s = store_stat(p->st, k.key[i], &size, NULL, 0);
		if (s < 0) {
			r = -1;
			goto out;
		}
		if (s == 0 || size != k.bytes[i])
			goto out; /* parsed: it is put again from its file */
	}
	if (!(out = with_urls(p, line, len, &k)))
		goto out;
	if (!metastore_seen_row(p->run, row.n))
		goto out; /* a second one: parsed, and refused there */
	if (!p->out_failed && fputs(out, stdout) == EOF)
		publish_out_failed(p);
	p->clips++;
	p->unchanged++;
	r = 1;
out:
	known_free(&k);
	free(out);
	free(row.id);
	free(row.video);
	return r;
}
