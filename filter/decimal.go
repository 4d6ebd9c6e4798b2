package filter

// decimal is a JSON number literal held as its significant digits, for exact
// comparison: 1773134100.482913204 and 1773134100.482913205 differ, and 1.0,
// 1 and 10e-1 are equal. The value is 0.DIGITS × 10^point, where DIGITS is
// hi followed by lo and starts with a non-zero digit.
type decimal struct {
	neg   bool
	zero  bool
	hi    string
	lo    string
	point int
}

// maxExp bounds exponents, far beyond any float64, so that arithmetic on them
// cannot overflow.
const maxExp = 1 << 30

// parseDecimal parses a JSON number literal without allocating.
func parseDecimal(s string) (decimal, bool) {
	var d decimal
	i := 0
	if i < len(s) && s[i] == '-' {
		d.neg = true
		i++
	}
	start := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intPart := s[start:i]
	if intPart == "" {
		return d, false
	}
	var frac string
	if i < len(s) && s[i] == '.' {
		i++
		start = i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		frac = s[start:i]
		if frac == "" {
			return d, false
		}
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		expNeg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			expNeg = s[i] == '-'
			i++
		}
		if i == len(s) {
			return d, false
		}
		for ; i < len(s); i++ {
			if !isDigit(s[i]) {
				return d, false
			}
			if exp < maxExp {
				exp = exp*10 + int(s[i]-'0')
			}
		}
		if expNeg {
			exp = -exp
		}
	}
	if i != len(s) {
		return d, false
	}
	for len(intPart) > 0 && intPart[0] == '0' {
		intPart = intPart[1:]
	}
	if intPart != "" {
		d.hi, d.lo, d.point = intPart, frac, len(intPart)+exp
		return d, true
	}
	z := 0
	for z < len(frac) && frac[z] == '0' {
		z++
	}
	if z == len(frac) {
		d.zero, d.neg = true, false
		return d, true
	}
	d.hi, d.point = frac[z:], exp-z
	return d, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// digit returns the i-th significant digit, '0' past the end.
func (d *decimal) digit(i int) byte {
	if i < len(d.hi) {
		return d.hi[i]
	}
	if i -= len(d.hi); i < len(d.lo) {
		return d.lo[i]
	}
	return '0'
}

// cmp returns -1, 0 or +1 as d is less than, equal to or greater than e.
func (d *decimal) cmp(e *decimal) int {
	switch {
	case d.zero && e.zero:
		return 0
	case d.zero:
		if e.neg {
			return 1
		}
		return -1
	case e.zero:
		if d.neg {
			return -1
		}
		return 1
	case d.neg != e.neg:
		if d.neg {
			return -1
		}
		return 1
	}
	m := d.cmpAbs(e)
	if d.neg {
		return -m
	}
	return m
}

func (d *decimal) cmpAbs(e *decimal) int {
	if d.point != e.point {
		if d.point < e.point {
			return -1
		}
		return 1
	}
	n := max(len(d.hi)+len(d.lo), len(e.hi)+len(e.lo))
	for i := range n {
		a, b := d.digit(i), e.digit(i)
		if a != b {
			if a < b {
				return -1
			}
			return 1
		}
	}
	return 0
}
