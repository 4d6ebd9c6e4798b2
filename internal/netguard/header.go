package netguard

// ValidHeaderName reports whether name is a field name as RFC 9110 (section
// 5.1) defines it: one or more token characters, that is letters, digits
// and !#$%&'*+-.^_`|~. Spaces, colons, CR and LF are not.
func ValidHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !isTokenChar(name[i]) {
			return false
		}
	}
	return true
}

// ValidHeaderValue reports whether value is a field value as RFC 9110
// (section 5.5) allows it: visible ASCII, spaces, horizontal tabs and bytes
// from 0x80 up (obs-text). NUL, CR, LF, DEL and the other control bytes are
// not, so a value cannot end a header early or smuggle in another one.
// Leading and trailing spaces are allowed, although receivers strip them.
func ValidHeaderValue(value string) bool {
	for i := 0; i < len(value); i++ {
		c := value[i]
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}
