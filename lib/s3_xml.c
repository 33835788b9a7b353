/* s3_xml.c: the XML of S3 replies, read with expat, and the escaping of
 * what requests carry. */
#include "s3_int.h"
#include "util.h"

#include <expat.h>
#include <stdlib.h>
#include <string.h>

/* S3 replies are XML, read with expat: each(arg, path, text, len) is called
 * at the end of every element with its path from the root
 * ("ListBucketResult/Contents/Key") and its text, entities decoded once.
 * A document type declaration is refused (S3 sends none; it is where
 * entity tricks live). */
struct xwalk {
	XML_Parser p;
	void (*each)(void *arg, const char *path, const char *text, size_t len);
	void *arg;
	char path[256];
	size_t plen;
	int toodeep;            /* levels below a path that did not fit */
	struct s3_buf text;
	const char *bad;        /* why the walk stopped */
};

static void x_start(void *arg, const XML_Char *name, const XML_Char **attrs)
{
	struct xwalk *w = arg;
	size_t n = strlen(name);
	(void)attrs;
	w->text.len = 0;
	if (w->text.p)
		w->text.p[0] = '\0';
	if (w->toodeep || w->plen + n + 2 > sizeof w->path) {
		w->toodeep++;
		return;
	}
	if (w->plen)
		w->path[w->plen++] = '/';
	memcpy(w->path + w->plen, name, n + 1);
	w->plen += n;
}

static void x_end(void *arg, const XML_Char *name)
{
	struct xwalk *w = arg;
	(void)name;
	if (w->toodeep) {
		w->toodeep--;
		return;
	}
	if (w->text.overflow) {
		w->bad = "an element's text is too long";
		XML_StopParser(w->p, XML_FALSE);
		return;
	}
	w->each(w->arg, w->path, w->text.p ? w->text.p : "", w->text.len);
	while (w->plen > 0 && w->path[w->plen - 1] != '/')
		w->plen--;
	if (w->plen)
		w->plen--;
	w->path[w->plen] = '\0';
	w->text.len = 0;
	if (w->text.p)
		w->text.p[0] = '\0';
}

static void x_chars(void *arg, const XML_Char *s, int len)
{
	struct xwalk *w = arg;
	s3_buf_add(&w->text, s, (size_t)len);
}

static void x_doctype(void *arg, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int internal)
{
	struct xwalk *w = arg;
	(void)name, (void)sysid, (void)pubid, (void)internal;
	w->bad = "a document type declaration";
	XML_StopParser(w->p, XML_FALSE);
}

/* Walks an XML reply. 0, or -1 with err ("line 3: mismatched tag"). */
int s3_xml_walk(const char *doc, size_t len,
    void (*each)(void *arg, const char *path, const char *text, size_t len), void *arg,
    char *err, size_t errlen)
{
	struct xwalk w = {.each = each, .arg = arg, .text = {.max = 1 << 20}};
	int rc = 0;
	if (len > INT_MAX) {
		snprintf(err, errlen, "too large");
		return -1;
	}
	w.p = XML_ParserCreate("UTF-8");
	if (!w.p)
		mdie(EXIT_USAGE, "out of memory");
	XML_SetUserData(w.p, &w);
	XML_SetElementHandler(w.p, x_start, x_end);
	XML_SetCharacterDataHandler(w.p, x_chars);
	XML_SetStartDoctypeDeclHandler(w.p, x_doctype);
	if (XML_Parse(w.p, doc, (int)len, XML_TRUE) != XML_STATUS_OK) {
		snprintf(err, errlen, "line %lu: %s", (unsigned long)XML_GetCurrentLineNumber(w.p),
		    w.bad ? w.bad : XML_ErrorString(XML_GetErrorCode(w.p)));
		rc = -1;
	}
	XML_ParserFree(w.p);
	free(w.text.p);
	return rc;
}

/* The text of the elements at some paths of a reply (NULL when absent). */
struct xpick {
	const char *const *paths;
	char **vals;
};

static void pick_each(void *arg, const char *path, const char *text, size_t len)
{
	struct xpick *x = arg;
	for (size_t i = 0; x->paths[i]; i++)
		if (!strcmp(path, x->paths[i]) && !x->vals[i])
			x->vals[i] = xstrdup(text);
}

/* Fills vals[i] with the text at paths[i] (NULL-terminated); -1 when the
 * reply is not XML. Free each value. */
int s3_xml_pick(const struct s3_buf *b, const char *const *paths, char **vals)
{
	struct xpick x = {paths, vals};
	char why[128];
	for (size_t i = 0; paths[i]; i++)
		vals[i] = NULL;
	if (!b->p || !b->len)
		return -1;
	return s3_xml_walk(b->p, b->len, pick_each, &x, why, sizeof why);
}

/* Whether s can stand in an XML 1.0 document: UTF-8 without the control
 * characters XML has no way to write, even as a reference. */
int s3_xml_writable(const char *s)
{
	if (!utf8_valid(s))
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
			return 0;
	return 1;
}

void s3_xml_escape(struct s3_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': s3_buf_add(b, "&amp;", 5); break;
		case '<': s3_buf_add(b, "&lt;", 4); break;
		case '>': s3_buf_add(b, "&gt;", 4); break;
		case '"': s3_buf_add(b, "&quot;", 6); break;
		case '\'': s3_buf_add(b, "&apos;", 6); break;
		/* as references, or a parser would normalise them */
		case '\t': s3_buf_add(b, "&#9;", 4); break;
		case '\n': s3_buf_add(b, "&#10;", 5); break;
		case '\r': s3_buf_add(b, "&#13;", 5); break;
		default: s3_buf_add(b, s, 1);
		}
	}
}

