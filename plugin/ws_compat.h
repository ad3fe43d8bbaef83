/* ws_compat.h - the one place for differences between Wireshark releases.
 *
 * Everything that must change with the Wireshark version the plugin is built
 * against (4.0 today; 4.4 and 4.6 next) goes here as a typedef, macro or
 * small inline wrapper, keyed on WIRESHARK_VERSION_MAJOR/MINOR: type changes
 * (gboolean -> bool in preferences and tap callbacks), renamed or moved
 * functions and headers.  No other plugin file tests the version.
 */
#ifndef SYNFIN_WS_COMPAT_H
#define SYNFIN_WS_COMPAT_H

#include <wireshark.h>

/* The variable behind a boolean preference (prefs_register_bool_preference). */
typedef gboolean synfin_pref_bool;

#endif
