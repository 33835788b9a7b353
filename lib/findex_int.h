/* findex_int.h: the file format of the listing index, shared by its
 * builder (findex_build.c) and its reader (findex.c) only. Native byte
 * order (the cache belongs to one machine); every section starts at a
 * multiple of 8. */
#ifndef MEDUSA_FINDEX_INT_H
#define MEDUSA_FINDEX_INT_H

#include <stdint.h>
#include <json-c/json.h>

#define FX_MAGIC "MDSAIDX1"
#define FX_VERSION 1
#define FX_FACET_MAX 1000       /* values a tag: a free-text tag would not help as a facet */

enum {
	FX_HEAD,        /* the header object, JSON text */
	FX_TEXT,        /* the clips' JSON, in ordinal order */
	FX_LINES,       /* uint64[n+1]: where clip i starts in FX_TEXT */
	FX_IDS,         /* struct fx_id[n], by id */
	FX_DICT,        /* struct fx_entry[ndict], by (tag, class, text) */
	FX_STR,         /* NUL-terminated strings: tag names, values, ids */
	FX_POST,        /* postings: uint32 ordinals, or uint64 bitmap words */
	FX_TRI,         /* struct fx_tri[ntri], by trigram */
	FX_TRIL,        /* uint32 entry numbers, for the trigrams */
	FX_FWD,         /* uint32[n+1]: where clip i's entries start in FX_FWDL */
	FX_FWDL,        /* uint32 entry numbers (facet values only) */
	FX_SORT,        /* struct fx_sort[nsort] */
	FX_PERM,        /* uint32 ordinals and uint64 run bitmaps of the sorts */
	FX_EXCL,        /* uint32 FX_STR offsets of left-out ids, by id */
	FX_NSEC
};

struct fx_hdr {
	char magic[8];
	uint32_t version, n;
	uint64_t size;          /* of the whole file */
	uint32_t ndict, ntri, nsort, nexcl;
	uint64_t facet_cost;    /* words and ordinals read to count every facet value */
	char etag[32];
	uint64_t sec[FX_NSEC][2];       /* offset, length in bytes */
};

struct fx_id {
	uint32_t ord, str;
};

struct fx_entry {
	uint32_t tag, text, textlen, count;     /* FX_STR offsets; clips holding it */
	uint8_t cls, facet, bitmap, pad[5];
	uint64_t post;          /* FX_POST offset */
};

struct fx_tri {
	uint32_t tri, count;
	uint64_t off;           /* in entries of FX_TRIL */
};

struct fx_sort {
	uint32_t name, tag, nmissing, pad;     /* values missing: the last nmissing */
	uint64_t perm, runs;    /* FX_PERM offsets: uint32[n], uint64[(n+63)/64] */
};

/* Bits set in x. The x86-64 baseline has no POPCNT instruction, and
 * __builtin_popcountll then calls a slow library routine. */
static inline unsigned fx_bits(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ull);
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (unsigned)((x * 0x0101010101010101ull) >> 56);
}

static inline uint32_t fx_trigram(const unsigned char *p)
{
	unsigned a = p[0], b = p[1], c = p[2];
	a = a >= 'A' && a <= 'Z' ? a + 32 : a;
	b = b >= 'A' && b <= 'Z' ? b + 32 : b;
	c = c >= 'A' && c <= 'Z' ? c + 32 : c;
	return (uint32_t)(a << 16 | b << 8 | c);
}

/* {TAG:{VALUE:COUNT}} from k entries of dict (ids[i] with counts[i], in
 * entry order; names in str, strn bytes), the most common first, at most FX_FACET_MAX a tag. */
json_object *fx_facets_json(const struct fx_entry *dict, const char *str, size_t strn,
    const uint32_t *ids, const uint32_t *counts, size_t k);

#endif
