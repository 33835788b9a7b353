/* timeline.h: what the editor's timeline shows of a video, made in one
 * decode with the FFmpeg libraries: a filmstrip (a JPEG sprite sheet of
 * small frames at regular times), the audio's peaks and the scene changes
 * (libavfilter's scdet). The libraries are loaded on the first call only,
 * so a program that links this file starts without mapping FFmpeg. */
#ifndef MEDUSA_TIMELINE_H
#define MEDUSA_TIMELINE_H

#include <stddef.h>

/* The files timeline_make writes into its directory. */
#define TIMELINE_SHEET "filmstrip.jpg"   /* tiles left to right, then down */
#define TIMELINE_TILES "filmstrip.json"  /* {"duration","fps","width","height","columns","interval","times":[S...]} */
#define TIMELINE_PEAKS "waveform.json"   /* {"duration","rate","peaks":[0..255...]} */
#define TIMELINE_SCENES "scenes.json"    /* {"scenes":[S...]} */

/* Decodes the video at path once and writes the four files into dir (an
 * existing, empty directory). Times are seconds from the start of the
 * file, as clip times are (medusa-cut counts from the same place), and
 * each tile's time is the time of the frame it shows. 0, or -1 with err
 * ("no video stream", "cannot load FFmpeg: ..."); the files may then be
 * partly written. version goes into filmstrip.json as "version". */
int timeline_make(const char *path, const char *dir, const char *version, char *err, size_t errlen);

#endif
