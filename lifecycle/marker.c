/* marker.c - encoder and parser of the injector's marker option (marker.h). */
#include "marker.h"

size_t lc_marker_encode(uint8_t *buf, size_t size, uint32_t run_id)
{
    if (buf == NULL || size < LC_MARKER_LEN)
        return 0;
    buf[0] = LC_MARKER_KIND;
    buf[1] = LC_MARKER_LEN;
    buf[2] = (uint8_t)(LC_MARKER_EXID >> 8);
    buf[3] = (uint8_t)(LC_MARKER_EXID & 0xff);
    buf[4] = (uint8_t)(run_id >> 24);
    buf[5] = (uint8_t)(run_id >> 16);
    buf[6] = (uint8_t)(run_id >> 8);
    buf[7] = (uint8_t)run_id;
    return LC_MARKER_LEN;
}

bool lc_marker_find(const uint8_t *opts, size_t len, uint32_t *run_id)
{
    size_t i = 0;
    if (opts == NULL)
        return false;
    while (i < len) {
        uint8_t kind = opts[i];
        if (kind == 0)          /* End of Option List */
            break;
        if (kind == 1) {        /* No-Operation */
            i++;
            continue;
        }
        if (len - i < 2)
            break;
        size_t olen = opts[i + 1];
        if (olen < 2 || olen > len - i)
            break;
        if (kind == LC_MARKER_KIND && olen == LC_MARKER_LEN &&
            ((unsigned)opts[i + 2] << 8 | opts[i + 3]) == LC_MARKER_EXID) {
            *run_id = (uint32_t)opts[i + 4] << 24 | (uint32_t)opts[i + 5] << 16 |
                      (uint32_t)opts[i + 6] << 8 | opts[i + 7];
            return true;
        }
        i += olen;
    }
    return false;
}
