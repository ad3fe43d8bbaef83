/* ws_compat.h - every difference between the Wireshark releases synfin
 * supports (4.0, 4.4, 4.6), in one place.
 *
 * The plugin sources contain no Wireshark-release #if of their own: they use
 * the names below. Each entry says which release needs it and why. Checked
 * against the Debian packages: 4.0.17 (Debian 12), 4.4.19 (Debian 13) and
 * 4.6.x (Debian sid) - tools/matrix.sh builds and tests each of them.
 *
 * Include after <wireshark.h> (which gives WIRESHARK_VERSION_MAJOR/MINOR
 * through ws_version.h).
 */
#ifndef SYNFIN_WS_COMPAT_H
#define SYNFIN_WS_COMPAT_H

#include <wireshark.h>

/* True when the Wireshark headers are release MAJOR.MINOR or later. */
#define SYNFIN_WS_AT_LEAST(major, minor) \
    (WIRESHARK_VERSION_MAJOR > (major) || \
     (WIRESHARK_VERSION_MAJOR == (major) && WIRESHARK_VERSION_MINOR >= (minor)))

/* wsutil/plugins.h: Debian's 4.0 development package does not ship it (4.0
 * has no plugin_describe() either); 4.2 and later ship it and need it for
 * WS_PLUGIN_DESC_DISSECTOR and, in later releases, WIRESHARK_PLUGIN_REGISTER. */
#if SYNFIN_WS_AT_LEAST(4, 2)
#include <wsutil/plugins.h>
#endif

/* ------------------------------------------------------------------------ */
/* Preferences                                                               */

/* prefs_register_bool_preference() stores into a gboolean (int) in 4.0 and
 * into a C99 bool from 4.2 on (4.4, 4.6): the variable behind a boolean
 * preference must have this type, or the preference writes the wrong width. */
#if SYNFIN_WS_AT_LEAST(4, 2)
typedef bool synfin_pref_bool;
#else
typedef gboolean synfin_pref_bool;
#endif

/* The same change in structure members: epan's public structures hold
 * gboolean (4 bytes) in 4.0 and C99 bool (1 byte) from 4.2 on, which moves
 * the members after them (plugin/ws_seqanalysis.h, the Flow Graph item). */
typedef synfin_pref_bool synfin_ws_bool;

/* ------------------------------------------------------------------------ */
/* Plugin registration                                                       */

/* SYNFIN_PLUGIN_DEFINE(VERSION, REGISTER_FN, BLURB) defines what the
 * release's plugin loader looks for; REGISTER_FN is a `static void f(void)`
 * that calls proto_register_plugin().
 *
 * - Releases with WIRESHARK_PLUGIN_REGISTER (the module-descriptor API,
 *   wsutil/plugins.h): one exported wireshark_load_module() that hands over a
 *   struct ws_module with the flags (a dissector), version, licence, URL,
 *   description and the register callback. The ABI check is the loader's.
 * - 4.0, 4.2, 4.4 (and 4.6 when it still loads the older symbols): the
 *   exported plugin_version, plugin_want_major/minor (the loader refuses a
 *   plugin built for another minor release) and plugin_register().
 *   From 4.2 on, plugin_describe() tells the loader which kind of plugin
 *   this is; without it `tshark -G plugins` and About > Plugins list the
 *   plugin as type "unknown". 4.0 has no such function (all its epan
 *   plugins are "dissector"). */
#if defined(WIRESHARK_PLUGIN_REGISTER)
#define SYNFIN_PLUGIN_DEFINE(version_, register_fn_, blurb_)                   \
    static struct ws_module synfin_ws_module = {                               \
        .flags = WS_PLUGIN_DESC_DISSECTOR,                                     \
        .version = version_,                                                   \
        .spdx_id = "GPL-2.0-or-later",                                         \
        .home_url = "",                                                        \
        .blurb = blurb_,                                                       \
        .register_cb = &register_fn_,                                          \
    };                                                                         \
    WIRESHARK_PLUGIN_REGISTER_EPAN(&synfin_ws_module, 0)
#else
#if defined(WS_PLUGIN_DESC_DISSECTOR)
#define SYNFIN_PLUGIN_DESCRIBE_                                                \
    WS_DLL_PUBLIC uint32_t plugin_describe(void);                              \
    uint32_t plugin_describe(void) { return WS_PLUGIN_DESC_DISSECTOR; }
#else
#define SYNFIN_PLUGIN_DESCRIBE_
#endif
#define SYNFIN_PLUGIN_DEFINE(version_, register_fn_, blurb_)                   \
    WS_DLL_PUBLIC_DEF const char plugin_version[] = version_;                  \
    WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;   \
    WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;   \
    WS_DLL_PUBLIC void plugin_register(void);                                  \
    void plugin_register(void) { register_fn_(); }                             \
    SYNFIN_PLUGIN_DESCRIBE_
#endif

/* ------------------------------------------------------------------------ */
/* The running program                                                       */

/* synfin_program_is_tshark(): TRUE in TShark.  From 4.4 on (checked: 4.4,
 * 4.6) libwsutil keeps the name each program gives at start-up
 * (ws_init_version_info("TShark", ...)) and hands it out with
 * get_appname_and_version(), "TShark (Wireshark) 4.4.19 ..."; 4.0 keeps
 * that in each program, out of a plugin's reach, so there the answer is
 * always FALSE (storage.c then keeps every result, as before). */
#if SYNFIN_WS_AT_LEAST(4, 4)
#include <string.h>
#include <wsutil/version_info.h>
static inline gboolean
synfin_program_is_tshark(void)
{
    const char *name = get_appname_and_version();
    return name != NULL && strncmp(name, "TShark ", 7) == 0;
}
#else
static inline gboolean
synfin_program_is_tshark(void)
{
    return FALSE;
}
#endif

#endif /* SYNFIN_WS_COMPAT_H */
