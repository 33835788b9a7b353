/* http: the Content-Type of a file from its name. */
#include "http.h"
#include "util.h"

#include <stddef.h>

const char *http_mime_of(const char *name)
{
	static const struct {
		const char *ext, *mime;
	} m[] = {
		{".html", "text/html; charset=utf-8"}, {".htm", "text/html; charset=utf-8"},
		{".js", "text/javascript; charset=utf-8"}, {".mjs", "text/javascript; charset=utf-8"},
		{".css", "text/css; charset=utf-8"}, {".json", "application/json"},
		{".svg", "image/svg+xml"}, {".png", "image/png"}, {".jpg", "image/jpeg"},
		{".jpeg", "image/jpeg"}, {".gif", "image/gif"}, {".webp", "image/webp"},
		{".avif", "image/avif"}, {".ico", "image/vnd.microsoft.icon"},
		{".txt", "text/plain; charset=utf-8"}, {".woff2", "font/woff2"},
		{".webmanifest", "application/manifest+json"},
		{".mp4", "video/mp4"}, {".m4v", "video/mp4"}, {".mov", "video/quicktime"},
		{".webm", "video/webm"}, {".mkv", "video/x-matroska"}, {".ogv", "video/ogg"},
		{".avi", "video/x-msvideo"}, {".ts", "video/mp2t"}, {".mts", "video/mp2t"},
		{".m2ts", "video/mp2t"}, {".mpg", "video/mpeg"}, {".mpeg", "video/mpeg"},
		{".3gp", "video/3gpp"}, {".flv", "video/x-flv"}, {".wmv", "video/x-ms-wmv"},
		{".m4a", "audio/mp4"}, {".opus", "audio/ogg"}, {".vtt", "text/vtt"},
	};
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
		if (str_endswith(name, m[i].ext, 1))
			return m[i].mime;
	return "application/octet-stream";
}
