package netguard

import (
	"net/netip"
	"strconv"
	"strings"
)

// parseLegacyIPv4 reads s as inet_aton does: one to four parts separated by
// dots, each decimal, octal (a leading 0) or hexadecimal (a leading 0x),
// the last part filling the bytes that remain (127.1 is 127.0.0.1,
// 2130706433 is 127.0.0.1). It reports false for anything else. A
// canonical dotted quad reads as itself.
func parseLegacyIPv4(s string) (netip.Addr, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		base := 10
		switch {
		case len(p) > 1 && (p[:2] == "0x" || p[:2] == "0X"):
			base, p = 16, p[2:]
		case len(p) > 1 && p[0] == '0':
			base, p = 8, p[1:]
		}
		if p == "" && base == 16 {
			// inet_aton reads a bare 0x as zero.
			p = "0"
		}
		if p == "" || p[0] == '+' || p[0] == '-' {
			return netip.Addr{}, false
		}
		v, err := strconv.ParseUint(p, base, 32)
		if err != nil {
			return netip.Addr{}, false
		}
		vals[i] = v
	}
	last := len(vals) - 1
	for _, v := range vals[:last] {
		if v > 0xff {
			return netip.Addr{}, false
		}
	}
	if vals[last] >= 1<<(8*(4-last)) {
		return netip.Addr{}, false
	}
	var n uint64
	for i, v := range vals[:last] {
		n |= v << (8 * (3 - i))
	}
	n |= vals[last]
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}
