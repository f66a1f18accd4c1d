/* utils/canvas.h - an RGB image in memory with filled rectangles and text
 * in a built-in 5x7 bitmap font, for sc-spectro's axes and labels (no
 * font library needed).
 *
 * Pixels are 3 bytes (R, G, B), rows top to bottom, no padding.  Every
 * drawing call clips to the canvas, so callers may draw partly outside.
 * The font covers printable ASCII; any other byte is drawn as '?'.  A
 * glyph is 5x7 pixels and text advances CANVAS_ADV pixels a character.
 * The caller owns the canvas: canvas_init allocates, canvas_free frees.
 */
#ifndef SC_CANVAS_H
#define SC_CANVAS_H

#include "sc/error.h"

#define CANVAS_ADV 6    /* pixels from one character to the next */
#define CANVAS_TEXT_H 7 /* glyph height */

typedef struct canvas {
    int w, h;
    unsigned char *rgb;
} canvas;

/* A w x h canvas filled with bg; SC_ENOMEM or SC_EARG (size) on failure. */
int canvas_init(canvas *c, int w, int h, const unsigned char bg[3], sc_err *err);
void canvas_free(canvas *c);
unsigned char *canvas_at(const canvas *c, int x, int y);  /* NULL outside */
void canvas_fill(canvas *c, int x, int y, int w, int h, const unsigned char rgb[3]);
/* Text with its top left corner at x,y, at most maxw pixels wide (whole
 * characters; maxw < 0: no limit).  Returns the width drawn. */
int canvas_text(canvas *c, int x, int y, const char *s, int maxw, const unsigned char rgb[3]);
int canvas_text_width(const char *s);

#endif
