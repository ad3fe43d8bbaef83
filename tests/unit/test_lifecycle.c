/* test_lifecycle.c - runs the scenario tables against the lifecycle engine.
 *
 * Usage: test_lifecycle [GROUP|SCENARIO ...]   (no argument: everything)
 * Groups: basic sim reset retrans partial numbers odd api.
 *
 * For every segment the harness checks the row's expectations right after
 * lc_conn_observe, plus invariants that hold for any input (states and phases
 * in range, labels NUL-terminated, roles stable, links pointing backwards).
 * After the last segment it asks the relative numbers and the "known at frame"
 * questions again, with the connection in its final state: snapshots must not
 * change.  Then it feeds the scenario into a fresh connection and requires the
 * same results (determinism).  Exit status 1 on any failure.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "test_lifecycle.h"
#include "reading.h"
#include "view.h"

#define MAX_ROWS 64

static unsigned g_checks, g_failures, g_segments, g_scenarios;
static int g_scenario_failed;

/* ---- failure reporting ------------------------------------------------- */

static const char *flag_text(uint16_t flags, char *buf, size_t size)
{
    static const char *const names[] = { "FIN", "SYN", "RST", "PSH", "ACK",
                                         "URG", "ECE", "CWR", "AE" };
    size_t used = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < 9; i++) {
        if (flags & (1u << i)) {
            int n = snprintf(buf + used, size - used, "%s%s", used ? "|" : "", names[i]);
            if (n < 0 || (size_t)n >= size - used)
                break;
            used += (size_t)n;
        }
    }
    if (used == 0)
        snprintf(buf, size, "none");
    return buf;
}

static void fail(const scenario *sc, size_t i, const char *when, const char *fmt, ...)
{
    char fl[64];
    va_list ap;
    const tseg *t = i < sc->nrows ? &sc->rows[i].seg : NULL;

    g_failures++;
    g_scenario_failed = 1;
    if (t) {
        printf("FAIL %s/%s segment #%zu (frame %zu, from %u, %s seq=%" PRIu32
               " ack=%" PRIu32 " len=%" PRIu32 ")%s: ",
               sc->group, sc->name, i + 1, i + 1, (unsigned)t->from,
               flag_text(t->flags, fl, sizeof fl), t->seq, t->ack, t->len, when);
    } else {
        printf("FAIL %s/%s%s: ", sc->group, sc->name, when);
    }
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

#define CHECK(cond, ...)                                  \
    do {                                                  \
        g_checks++;                                       \
        if (!(cond))                                      \
            fail(sc, i, when, __VA_ARGS__);               \
    } while (0)

static const char *st(unsigned s)
{
    return lc_state_name(s);
}

static const char *yn(int b)
{
    return b ? "true" : "false";
}

static void tri(const scenario *sc, size_t i, const char *when, const char *field,
                int want, int def_false, unsigned got)
{
    if (want == ANY || (want == DEF && !def_false))
        return;
    int w = want == YES;
    CHECK((int)got == w, "%s expected %s, got %s", field, yn(w), yn((int)got));
}

/* ---- building segments ---------------------------------------------------- */

static lc_segment make_segment(const tseg *t, size_t i)
{
    lc_segment s;
    memset(&s, 0, sizeof s);
    s.frame = (uint32_t)(i + 1);
    s.time_ns = t->time_ns ? t->time_ns : (int64_t)(i + 1) * 1000000;
    s.seq = t->seq;
    s.ack = t->ack;
    s.len = t->nolen ? 0 : t->len;
    s.win = 65535;
    s.flags = t->flags;
    s.sport = t->sport;
    s.dport = t->dport;
    s.from = t->from;
    s.len_known = !t->nolen;
    s.win_scaled = t->win;
    s.win_known = t->wk != 0;
    return s;
}

/* ---- the "known at frame" questions (asked live and again at the end) -- */

static void check_opt(const scenario *sc, size_t i, const char *when, const char *name,
                      int64_t want, bool has, int64_t got)
{
    if (want == NONE)
        CHECK(!has, "%s expected none, got %" PRId64, name, got);
    else
        CHECK(has && got == want, "%s expected %" PRId64 ", got %s%" PRId64, name, want,
              has ? "" : "none/", got);
}

static void check_at(const scenario *sc, size_t i, const char *when, const lc_view *v,
                     const texp *e)
{
    uint32_t frame = (uint32_t)(i + 1);

    /* spec section 8: values as of this frame */
    if (e->chk_van) {
        check_opt(sc, i, when, "vantage", e->van, v->has_vantage, (int64_t)v->vantage);
    }
    if (e->chk_hc) {
        check_opt(sc, i, when, "teardown.halfclose", e->hc, v->has_halfclose, v->halfclose_ns);
    }
    if (e->chk_tdt) {
        check_opt(sc, i, when, "teardown.time", e->tdt, v->has_teardown_time,
                  v->teardown_time_ns);
    }

    /* links point backwards only, whatever the row expects */
    CHECK(v->syn_frame < frame, "syn_frame at %u = %u does not point backwards", frame,
          v->syn_frame);
    CHECK(v->synack_frame < frame, "synack_frame at %u = %u does not point backwards", frame,
          v->synack_frame);
    CHECK(v->fin_frame < frame, "fin_frame at %u = %u does not point backwards", frame,
          v->fin_frame);

    if (e->chk_links) {
        CHECK(v->syn_frame == e->syn_link, "syn_frame expected %u, got %u", e->syn_link,
              v->syn_frame);
        CHECK(v->synack_frame == e->synack_link, "synack_frame expected %u, got %u",
              e->synack_link, v->synack_frame);
    }
    if (e->chk_pfin)
        CHECK(v->fin_frame == e->pfin, "fin_frame expected %u, got %u", e->pfin, v->fin_frame);
    if (e->chk_init)
        CHECK((int)v->initiator == e->init, "teardown initiator expected %d, got %d", e->init,
              (int)v->initiator);
    if (e->chk_synt) {
        if (e->synt == NONE)
            CHECK(!v->has_syn_time, "syn_time expected unknown, got %" PRId64, v->syn_time_ns);
        else
            CHECK(v->has_syn_time && v->syn_time_ns == e->synt,
                  "syn_time expected %" PRId64 ", got %s%" PRId64, e->synt,
                  v->has_syn_time ? "" : "unknown/", v->syn_time_ns);
    }
    for (int role = 0; role < 2; role++) {
        int chk = role == 0 ? e->chk_isnc : e->chk_isns;
        int64_t want = role == 0 ? e->isnc : e->isns;
        const char *name = role == 0 ? "isn.client" : "isn.server";
        bool known = role == 0 ? v->has_isn_client : v->has_isn_server;
        uint32_t isn = role == 0 ? v->isn_client : v->isn_server;
        if (!chk)
            continue;
        if (want == NONE) {
            CHECK(!known, "%s expected unknown, got known (%" PRIu32 ")", name, isn);
        } else {
            CHECK(known && isn == (uint32_t)want, "%s expected %" PRIu32 ", got %s%" PRIu32,
                  name, (uint32_t)want, known ? "" : "unknown/", isn);
        }
    }
}

static void check_rel(const scenario *sc, size_t i, const char *when, const lc_view *v,
                      const texp *e)
{
    if (e->chk_rseq) {
        if (e->rseq == NONE)
            CHECK(!v->has_seq_rel, "rel seq expected none, got %" PRIu32, v->seq_rel);
        else
            CHECK(v->has_seq_rel && v->seq_rel == (uint32_t)e->rseq,
                  "rel seq expected %" PRIu32 ", got %s%" PRIu32, (uint32_t)e->rseq,
                  v->has_seq_rel ? "" : "none/", v->seq_rel);
    }
    if (e->chk_rack) {
        if (e->rack == NONE)
            CHECK(!v->has_ack_rel, "rel ack expected none, got %" PRIu32, v->ack_rel);
        else
            CHECK(v->has_ack_rel && v->ack_rel == (uint32_t)e->rack,
                  "rel ack expected %" PRIu32 ", got %s%" PRIu32, (uint32_t)e->rack,
                  v->has_ack_rel ? "" : "none/", v->ack_rel);
    }
}

/* The view of segment i and the questions about it. */
static void check_view(const scenario *sc, size_t i, const char *when, const lc_conn *c,
                       const lc_segment *s, const lc_result *r, const texp *e)
{
    lc_view v;
    lc_view_of(c, NULL, s, r, &v);
    check_rel(sc, i, when, &v, e);
    check_at(sc, i, when, &v, e);
}

/* ---- one segment -------------------------------------------------------- */

static void check_row(const scenario *sc, size_t i, const lc_conn *c, const lc_segment *s,
                      const lc_result *r, int *role_of_from)
{
    const char *when = "";
    const texp *e = &sc->rows[i].exp;
    const tseg *t = &sc->rows[i].seg;
    char label[128];

    /* invariants */
    CHECK(r->state_client < LC_STATE_COUNT, "state_client %u out of range", r->state_client);
    CHECK(r->state_server < LC_STATE_COUNT, "state_server %u out of range", r->state_server);
    CHECK(r->phase <= LC_PHASE_CLOSED, "phase %u out of range", r->phase);
    CHECK(r->step <= 4, "step %u out of range", r->step);
    CHECK(r->step == 0 || r->phase == LC_PHASE_HANDSHAKE || r->phase == LC_PHASE_TEARDOWN,
          "step %u in phase %s: steps exist only in handshake and teardown", r->step,
          lc_phase_name(r->phase));
    CHECK(r->step == 0 || r->four_steps || r->step <= 3, "step %u of 3", r->step);
    CHECK(!r->merged || r->step > 0, "merged on a segment that is no step");
    CHECK(r->valid, "valid not set by lc_conn_observe");
    CHECK(r->is_ack == !!(t->flags & LC_ACK) && r->is_syn == !!(t->flags & LC_SYN) &&
              r->is_fin == !!(t->flags & LC_FIN) && r->is_rst == !!(t->flags & LC_RST),
          "is_ack/is_syn/is_fin/is_rst %u%u%u%u do not match the flags", r->is_ack, r->is_syn,
          r->is_fin, r->is_rst);
    if (!t->nolen)
        CHECK(r->has_payload == (t->len > 0), "has_payload expected %s, got %s",
              yn(t->len > 0), yn(r->has_payload));
    CHECK(r->rst_check == 0 || r->is_rst, "rst_check %u on a segment that is no RST",
          r->rst_check);
    CHECK(!r->clears_old || r->is_rst, "clears_old on a segment that is no RST");
    if (r->phase == LC_PHASE_RESET && !(r->anomalies & LC_ANOM_BAD_FLAGS) &&
        r->rst_check != LC_RST_CHECK_IN_WINDOW && r->rst_check != LC_RST_CHECK_OUT_OF_WINDOW)
        CHECK(r->state_client == LC_CLOSED && r->state_server == LC_CLOSED,
              "phase reset but states %s/%s (spec: a RST ends both CLOSED)",
              st(r->state_client), st(r->state_server));

    memset(label, 'Z', sizeof label);
    lc_result_label(r, label, sizeof label);
    CHECK(memchr(label, '\0', sizeof label) != NULL, "label not NUL-terminated");
    label[sizeof label - 1] = '\0';
    CHECK(label[0] != '\0', "label is empty");
    if (r->retransmission) {
        const char *suffix = " (retransmission)";
        size_t ll = strlen(label), sl = strlen(suffix);
        CHECK(ll > sl && strcmp(label + ll - sl, suffix) == 0,
              "retransmission set but label \"%s\" lacks \"%s\"", label, suffix);
    }

    /* roles never change once decided; the two ends have different roles */
    unsigned role = lc_result_role(r);
    if (role_of_from[t->from & 1] == 0)
        role_of_from[t->from & 1] = (int)role;
    else
        CHECK((int)role == role_of_from[t->from & 1], "role changed from %d to %u",
              role_of_from[t->from & 1], role);
    if (role_of_from[0] && role_of_from[1])
        CHECK(role_of_from[0] != role_of_from[1], "both ends have role %d", role_of_from[0]);

    /* expectations */
    if (e->role)
        CHECK((int)role == e->role, "role expected %s, got %s",
              e->role == LC_ROLE_C2S ? "client->server" : "server->client",
              role == LC_ROLE_C2S ? "client->server" : "server->client");
    tri(sc, i, when, "role_guessed", e->guessed, 1, r->role_guessed);
    tri(sc, i, when, "merged", e->merged, 1, r->merged);
    tri(sc, i, when, "retransmission", e->retrans, 1, r->retransmission);
    if (e->chk_phase)
        CHECK(r->phase == (unsigned)e->phase, "phase expected %d (%s), got %u (%s)", e->phase,
              lc_phase_name((unsigned)e->phase), r->phase, lc_phase_name(r->phase));
    if (e->chk_step)
        CHECK(r->step == (unsigned)e->step, "step expected %d, got %u", e->step, r->step);
    if (e->total)
        CHECK(r->four_steps == (e->total == 4), "step total expected %d, got %d", e->total,
              r->four_steps ? 4 : 3);
    if (e->chk_states) {
        CHECK(r->state_client == (unsigned)e->sc, "state_client expected %s, got %s",
              st((unsigned)e->sc), st(r->state_client));
        CHECK(r->state_server == (unsigned)e->ss, "state_server expected %s, got %s",
              st((unsigned)e->ss), st(r->state_server));
    }
    if (e->chk_aexp) {
        CHECK(r->has_ack_expected, "ack.expected expected %" PRId64 ", got none", e->aexp);
        if (r->has_ack_expected)
            CHECK(r->ack_expected == (uint32_t)e->aexp,
                  "ack.expected expected %" PRIu32 ", got %" PRIu32, (uint32_t)e->aexp,
                  r->ack_expected);
    }
    if (e->ack_ok == YES || e->ack_ok == NO)
        CHECK(r->ack_ok == (e->ack_ok == YES), "ack.ok expected %s, got %s",
              yn(e->ack_ok == YES), yn(r->ack_ok));
    if (e->chk_sd) {
        if (e->sd == NONE)
            CHECK(!r->has_seq_delta, "seq.delta expected none, got %" PRId32, r->seq_delta);
        else
            CHECK(r->has_seq_delta && r->seq_delta == (int32_t)e->sd,
                  "seq.delta expected %" PRId64 ", got %s%" PRId32, e->sd,
                  r->has_seq_delta ? "" : "none/", r->seq_delta);
    }
    if (e->chk_ad) {
        if (e->ad == NONE)
            CHECK(!r->has_ack_delta, "ack.delta expected none, got %" PRId32, r->ack_delta);
        else
            CHECK(r->has_ack_delta && r->ack_delta == (int32_t)e->ad,
                  "ack.delta expected %" PRId64 ", got %s%" PRId32, e->ad,
                  r->has_ack_delta ? "" : "none/", r->ack_delta);
    }
    if (e->adv == YES || e->adv == NO)
        CHECK(r->advances == (e->adv == YES), "advances expected %s, got %s",
              yn(e->adv == YES), yn(r->advances));
    if (e->chk_afr)
        CHECK(r->ack_frame == e->afr, "ack.frame expected %u, got %u", e->afr, r->ack_frame);
    unsigned all_anom = lc_result_anomalies(r);
    if (e->anom)
        CHECK((all_anom & e->anom) == e->anom,
              "anomalies 0x%05x lack required bits 0x%05x", all_anom,
              e->anom & ~all_anom);
    if (e->noanom & ~e->anom)
        CHECK((all_anom & e->noanom & ~e->anom) == 0,
              "anomalies 0x%05x have unexpected bits 0x%05x", all_anom,
              all_anom & e->noanom & ~e->anom);
    if (e->chk_rchk)
        CHECK(r->rst_check == (unsigned)e->rchk, "rst_check expected %d (%s), got %u (%s)",
              e->rchk, lc_rst_check_name((unsigned)e->rchk), r->rst_check,
              lc_rst_check_name(r->rst_check));
    tri(sc, i, when, "clears_old", e->clears, 1, r->clears_old);
    if (e->label)
        CHECK(strcmp(label, e->label) == 0, "label expected \"%s\", got \"%s\"", e->label,
              label);
    if (e->chk_kind)
        CHECK(r->steps_kind == (unsigned)e->kind, "steps_kind expected %d, got %u", e->kind,
              r->steps_kind);

    check_view(sc, i, when, c, s, r, e);
}

/* ---- one scenario ---------------------------------------------------------- */

static void feed(const scenario *sc, lc_conn *c, lc_segment *segs, lc_result *res)
{
    lc_conn_init(c);
    for (size_t i = 0; i < sc->nrows; i++) {
        segs[i] = make_segment(&sc->rows[i].seg, i);
        memset(&res[i], 0, sizeof res[i]);
        lc_conn_observe(c, &segs[i], &res[i]);
    }
}

static void run_scenario(const scenario *sc)
{
    lc_conn c, c2;
    lc_segment segs[MAX_ROWS], segs2[MAX_ROWS];
    lc_result res[MAX_ROWS], res2[MAX_ROWS];
    int role_of_from[2] = { 0, 0 };
    size_t i = sc->nrows;
    const char *when = "";

    g_scenario_failed = 0;
    g_scenarios++;
    if (sc->nrows > MAX_ROWS) {
        fail(sc, i, when, "too many rows");
        return;
    }

    lc_conn_init(&c);
    for (i = 0; i < sc->nrows; i++) {
        segs[i] = make_segment(&sc->rows[i].seg, i);
        memset(&res[i], 0, sizeof res[i]);
        lc_conn_observe(&c, &segs[i], &res[i]);
        g_segments++;
        check_row(sc, i, &c, &segs[i], &res[i], role_of_from);
    }

    /* the same questions with the connection in its final state */
    when = " [asked again after the last segment]";
    for (i = 0; i < sc->nrows; i++) {
        check_view(sc, i, when, &c, &segs[i], &res[i], &sc->rows[i].exp);
    }

    /* a second run gives the same snapshots */
    when = " [second run]";
    feed(sc, &c2, segs2, res2);
    for (i = 0; i < sc->nrows; i++)
        CHECK(memcmp(&res[i], &res2[i], sizeof res[i]) == 0,
              "result differs from the first run");

    printf("%s %s/%s: %s\n", g_scenario_failed ? "not ok" : "ok", sc->group, sc->name,
           sc->what);
}

/* ---- helpers for the procedural tests (scen_reading.c) --------------------- */

void tl_check(int cond, const char *test, const char *fmt, ...)
{
    va_list ap;
    g_checks++;
    if (cond)
        return;
    g_failures++;
    g_scenario_failed = 1;
    printf("FAIL %s: ", test);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

void tl_feed(const trow *rows, size_t n, lc_conn *c, lc_segment *segs, lc_result *res)
{
    lc_conn_init(c);
    for (size_t i = 0; i < n; i++) {
        segs[i] = make_segment(&rows[i].seg, i);
        memset(&res[i], 0, sizeof res[i]);
        lc_conn_observe(c, &segs[i], &res[i]);
        g_segments++;
    }
}

/* ---- API details outside the scenarios ------------------------------------ */

static void run_api(void)
{
    static const trow none[] = { { C(SYN, 1, 0, 0), { 0 } } };
    static const scenario api = SCEN("api", "api", none, "names and label buffers");
    const scenario *sc = &api;
    const char *when = "";
    size_t i = sc->nrows; /* no segment in the messages */
    static const char *const states[] = { "CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED",
                                          "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2",
                                          "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT" };
    static const char *const phases[] = { "unknown", "handshake", "data",
                                          "teardown", "reset", "closed" };

    g_scenario_failed = 0;
    g_scenarios++;

    /* spec section 3: the value_string text exactly as written */
    for (unsigned s = 0; s < 11; s++) {
        const char *got = lc_state_name(s);
        CHECK(got && strcmp(got, states[s]) == 0, "lc_state_name(%u) expected %s, got %s", s,
              states[s], got ? got : "(null)");
    }
    CHECK(strcmp(lc_state_name(11), "?") == 0, "lc_state_name(11) expected ?");
    CHECK(strcmp(lc_state_name(255), "?") == 0, "lc_state_name(255) expected ?");
    /* spec section 4 names the phases 0 unknown ... 5 closed */
    for (unsigned p = 0; p < 6; p++) {
        const char *got = lc_phase_name(p);
        CHECK(got && strcmp(got, phases[p]) == 0, "lc_phase_name(%u) expected %s, got %s", p,
              phases[p], got ? got : "(null)");
    }
    CHECK(strcmp(lc_phase_name(6), "?") == 0 && strcmp(lc_phase_name(200), "?") == 0,
          "lc_phase_name out of range expected ?");

    /* the label always NUL-terminates, whatever the buffer size */
    {
        lc_conn c;
        lc_segment s[5];
        lc_result r[5];
        static const tseg ts[5] = {
            C(SYN, 1000, 0, 0), S(SYN | ACK, 5000, 1001, 0), C(ACK, 1001, 5001, 0),
            C(FIN | ACK, 1001, 5001, 0), S(FIN | ACK, 5001, 1002, 0),
        };
        char full[64], buf[80];
        lc_conn_init(&c);
        for (unsigned k = 0; k < 5; k++) {
            s[k] = make_segment(&ts[k], k);
            memset(&r[k], 0, sizeof r[k]);
            lc_conn_observe(&c, &s[k], &r[k]);
        }
        lc_result_label(&r[4], full, sizeof full);
        CHECK(strcmp(full, "ACK+FIN 2/4+3/4") == 0, "merged label expected ACK+FIN 2/4+3/4, got %s",
              full);
        for (size_t size = 1; size <= strlen(full) + 1; size++) {
            memset(buf, 'Z', sizeof buf);
            lc_result_label(&r[4], buf, size);
            CHECK(memchr(buf, '\0', size) != NULL, "label(size %zu) not NUL-terminated", size);
            bool guard = true;
            for (size_t k = size; k < sizeof buf; k++)
                guard = guard && buf[k] == 'Z';
            CHECK(guard, "label(size %zu) wrote past the buffer", size);
        }
    }
    printf("%s api: state and phase names, label buffer sizes\n",
           g_scenario_failed ? "not ok" : "ok");
}

/* ---- main -------------------------------------------------------------------- */

static bool selected(int argc, char **argv, const char *group, const char *name)
{
    if (argc < 2)
        return true;
    for (int a = 1; a < argc; a++)
        if (strcmp(argv[a], group) == 0 || strcmp(argv[a], name) == 0)
            return true;
    return false;
}

int main(int argc, char **argv)
{
    static const struct {
        const scenario *list;
        const size_t *count;
    } tables[] = { { scen_open_close, &scen_open_close_count }, { scen_edge, &scen_edge_count },
                   { scen_reading, &scen_reading_count } };

    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (size_t k = 0; k < *tables[t].count; k++) {
            const scenario *sc = &tables[t].list[k];
            if (selected(argc, argv, sc->group, sc->name))
                run_scenario(sc);
        }
    if (selected(argc, argv, "api", "api"))
        run_api();
    if (selected(argc, argv, "reuse", "reuse")) {
        g_scenario_failed = 0;
        g_scenarios++;
        reading_api_tests();
        printf("%s reuse: spec 8.2 reuse check, 8.4 left open, 8.5 split (procedural)\n",
               g_scenario_failed ? "not ok" : "ok");
    }

    if (g_scenarios == 0) {
        fprintf(stderr, "test_lifecycle: no scenario matches the arguments\n");
        return 2;
    }
    printf("%u scenarios, %u segments, %u checks, %u failures\n", g_scenarios, g_segments,
           g_checks, g_failures);
    return g_failures ? 1 : 0;
}
