#!/bin/sh
# rawlist.sh PCAP - the raw packet list the expected files are derived from
# (absolute seq/ack, no synfin): frame, stream, src, sport, flags, seq, ack, len
tshark -r "$1" -o tcp.relative_sequence_numbers:FALSE -T fields \
    -e frame.number -e tcp.stream -e ip.src -e ipv6.src -e tcp.srcport -e tcp.flags.str \
    -e tcp.seq_raw -e tcp.ack_raw -e tcp.len -e tcp.seq -e tcp.ack -e frame.protocols 2>/dev/null
