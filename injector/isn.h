/* isn.h - initial sequence numbers and timestamp offsets as a kernel makes
 * them: RFC 6528 (ISN = M + F(4-tuple, key), M a clock that ticks every
 * 4 microseconds) and RFC 7323 section 7.1 (TSval = a millisecond clock +
 * an offset per 4-tuple).  F is SipHash-2-4 keyed with 16 random bytes
 * drawn once per run, so that a new connection on a 4-tuple gets a higher
 * ISN and higher timestamps than the one before it and a server's
 * TIME-WAIT takes its SYN as a new connection (RFC 9293 3.6.1, RFC 6191).
 *
 * Pure functions; the key is the caller's.
 */
#ifndef SYNFIN_INJ_ISN_H
#define SYNFIN_INJ_ISN_H

#include "common.h"

typedef struct isn_key {
    uint8_t k[16];
} isn_key;

#define ISN_TICK_NS 4000   /* RFC 6528 / RFC 793: the clock behind M ticks every 4 us */

/* SipHash-2-4 of data with a 16-byte key (Aumasson and Bernstein). */
uint64_t isn_siphash(const uint8_t key[16], const uint8_t *data, size_t len);

/* Fills the key from getrandom(); false when the kernel refused. */
bool isn_key_init(isn_key *k);

/* RFC 6528 ISN for the 4-tuple at monotonic time now_ns. */
uint32_t isn_make(const isn_key *k, const inj_addr *src, uint16_t sport, const inj_addr *dst, uint16_t dport,
                  int64_t now_ns);

/* RFC 7323 7.1: the offset added to the millisecond clock for this 4-tuple. */
uint32_t isn_ts_offset(const isn_key *k, const inj_addr *src, uint16_t sport, const inj_addr *dst, uint16_t dport);

#endif
