/* style: the colours and sizes both renderers share, so the PDF and the
 * HTML look like the same document. */
#ifndef VALOR_REPORT_STYLE_H
#define VALOR_REPORT_STYLE_H

#define RPT_C_NAVY 0x17324Du
#define RPT_C_BLUE 0x2E6DA4u
#define RPT_C_TEXT 0x1C2530u
#define RPT_C_MUTED 0x5F6B7Au
#define RPT_C_RULE 0xD5DBE2u
#define RPT_C_GRID 0xE6EAEFu
#define RPT_C_AXIS 0x8C97A4u
#define RPT_C_ZEBRA 0xF3F5F8u
#define RPT_C_PANEL 0xF0F3F7u
#define RPT_C_NOTE_BG 0xFFF4E5u
#define RPT_C_NOTE_BAR 0xE07B39u
#define RPT_C_NA 0xE3E6EAu
#define RPT_C_WHITE 0xFFFFFFu
#define RPT_C_HEAT_LOW 0xF8696Bu
#define RPT_C_HEAT_HIGH 0x63BE7Bu

#endif
