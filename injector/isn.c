/* isn.c - RFC 6528 ISNs and RFC 7323 timestamp offsets (see isn.h). */
#include "isn.h"

#include <string.h>

static uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

#define SIPROUND                                                          \
    do {                                                                  \
        v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);         \
        v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;                            \
        v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;                            \
        v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);         \
    } while (0)

uint64_t isn_siphash(const uint8_t key[16], const uint8_t *data, size_t len)
{
    uint64_t k0 = le64(key), k1 = le64(key + 8);
    uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
    uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
    size_t full = len & ~(size_t)7;
    for (size_t i = 0; i < full; i += 8) {
        uint64_t m = le64(data + i);
        v3 ^= m;
        SIPROUND;
        SIPROUND;
        v0 ^= m;
    }
    uint64_t b = (uint64_t)len << 56;
    for (size_t i = 0; i < (len & 7); i++)
        b |= (uint64_t)data[full + i] << (8 * i);
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

bool isn_key_init(isn_key *k)
{
    return inj_random(k->k, sizeof k->k);
}

/* domain byte, then source address, source port, destination address, port */
static uint64_t tuple_hash(const isn_key *k, uint8_t domain, const inj_addr *src, uint16_t sport,
                           const inj_addr *dst, uint16_t dport)
{
    uint8_t buf[1 + 16 + 2 + 16 + 2];
    size_t n = 0, al = inj_addr_len(src);
    buf[n++] = domain;
    memcpy(buf + n, src->a, al);
    n += al;
    buf[n++] = (uint8_t)(sport >> 8);
    buf[n++] = (uint8_t)sport;
    memcpy(buf + n, dst->a, al);
    n += al;
    buf[n++] = (uint8_t)(dport >> 8);
    buf[n++] = (uint8_t)dport;
    return isn_siphash(k->k, buf, n);
}

uint32_t isn_make(const isn_key *k, const inj_addr *src, uint16_t sport, const inj_addr *dst, uint16_t dport,
                  int64_t now_ns)
{
    uint32_t m = (uint32_t)((uint64_t)now_ns / ISN_TICK_NS);
    return m + (uint32_t)tuple_hash(k, 'I', src, sport, dst, dport);
}

uint32_t isn_ts_offset(const isn_key *k, const inj_addr *src, uint16_t sport, const inj_addr *dst, uint16_t dport)
{
    return (uint32_t)tuple_hash(k, 'T', src, sport, dst, dport);
}
