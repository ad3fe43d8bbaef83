/* render_expert.c - expert info of one segment, re-emitted on every pass
 * from the stored bits: the handshake / teardown step as a Chat item, an
 * incomplete TCP header, and one item per anomaly (the engine's table). */
#include "render.h"

void
synfin_render_expert(packet_info *pinfo, proto_item *ti, const synfin_segment *seg,
                     gboolean want_step)
{
    const lc_result *r = seg->result;
    const gboolean fed = r != NULL && r->valid;

    if (want_step) {
        gboolean hs = r->phase == LC_PHASE_HANDSHAKE;
        expert_add_info_format(pinfo, ti, hs ? &ei_synfin_handshake_step : &ei_synfin_teardown_step,
                               "%s %s", hs ? "Handshake" : "Teardown", seg->label);
    }
    if (seg->in->incomplete)
        expert_add_info(pinfo, ti, &ei_synfin_tcp_incomplete);
    if (!fed || seg->anomalies == 0)
        return;
    for (unsigned i = 0; i < LC_ANOM_COUNT; i++) {
        if (!(seg->anomalies & lc_anomalies[i].bit))
            continue;
        /* an incomplete header already says why the length is unknown */
        if (lc_anomalies[i].bit == LC_ANOM_NO_LENGTH && seg->in->incomplete)
            continue;
        expert_add_info(pinfo, ti, &ei_synfin_anomaly[i]);
    }
}
