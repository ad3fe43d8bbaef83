/* marker.h - the injector's marker (spec section 6): an RFC 6994
 * experimental TCP option, kind 253, length 8, ExID 0x5346 ("SF"), then the
 * injector's 4-byte run id, all in network byte order.
 *
 * synfin-inject puts it on every segment it sends (encoder); the plugin
 * finds it in a captured header's options (parser) and shows
 * synfin.injected / synfin.injected.run.
 */
#ifndef SYNFIN_MARKER_H
#define SYNFIN_MARKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LC_MARKER_KIND 253
#define LC_MARKER_LEN  8
#define LC_MARKER_EXID 0x5346u

/* Writes the 8-byte option for run_id at buf; returns LC_MARKER_LEN, or 0
 * when size is smaller than that. */
size_t lc_marker_encode(uint8_t *buf, size_t size, uint32_t run_id);

/* Walks a TCP options block (the bytes after the fixed 20-byte header, len of
 * them) and returns true with the run id when it holds the marker.  The walk
 * ends at End of Option List, at the end of the block, and at the first
 * option whose length byte is missing, below 2 or runs past the end (RFC
 * 9293 section 3.1: a malformed list cannot be parsed any further). */
bool lc_marker_find(const uint8_t *opts, size_t len, uint32_t *run_id);

#ifdef __cplusplus
}
#endif
#endif
