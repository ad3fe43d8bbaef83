"""expected.py - the hand-written expected annotations in captures/.

captures/NAME.expected.tsv: a header line of field names, then one line per
frame (tab-separated, empty where the field is absent). STATES are the
spec's state names by value (SYNFIN.md section 3, the plugin's value_string).
"""

STATES = ["CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1",
          "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT"]


def read_expected(path):
    """The rows of an expected.tsv file, each a dict by field name."""
    with open(path) as f:
        lines = [l.rstrip("\n").split("\t") for l in f]
    return [dict(zip(lines[0], l)) for l in lines[1:]]


def state_name(row, field):
    """The state name of ROW's FIELD (synfin.state.client/server), "" when absent."""
    v = row.get(field, "")
    return STATES[int(v)] if v != "" else ""
