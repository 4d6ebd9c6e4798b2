package template

import (
	"slices"
	"strings"
)

// tokenKind tells what a token of the template source is.
type tokenKind uint8

const (
	tokText     tokenKind = iota
	tokVar                // {{x}}
	tokRaw                // {{{x}}} or {{&x}}
	tokSection            // {{#x}}
	tokInverted           // {{^x}}
	tokClose              // {{/x}}
	tokElse               // {{else}}, {{else if x}}, {{^}}
	tokComment            // {{! x}}, {{!-- x --}}
	tokPartial            // {{> x}}
	tokDelim              // {{=<% %>=}}
)

// token is a piece of text or a tag. For tags, text is the tag's content
// without delimiters, sigil or whitespace control marks, and pos is the
// offset of the opening delimiter.
type token struct {
	kind   tokenKind
	text   string
	pos    int
	indent string // the indentation of a standalone partial tag
	// close and els are, for a section's opening tag, how many tokens on
	// its closing tag and its first {{else}} are, or 0 when it has none
	// (see link).
	close, els int
}

// standaloneKinds are the tags that, alone on a line, remove the whole line.
func (k tokenKind) standalone() bool {
	switch k {
	case tokSection, tokInverted, tokClose, tokElse, tokComment, tokPartial, tokDelim:
		return true
	}
	return false
}

func isBlank(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' && s[i] != '\t' {
			return false
		}
	}
	return true
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// lex splits src into text and tag tokens. It applies the mustache
// standalone-line rule, Handlebars whitespace control (~) and delimiter
// changes. With braces set, a tag closed by }} and followed by } is an
// error, as in handlebars.js, which reads }}} as the end of a
// triple-stash (JSON mode reads {"n": {{n}}} as the tag then the }). With
// an error, it returns the tokens before the tag the error is about.
func lex(src *source, left, right string, braces bool, literal literalKinds) ([]token, error) {
	s := src.text
	var toks []token
	pos := 0      // start of the text not yet emitted
	lastEnd := -1 // end of the previous tag
	trimNext := false
	escapedEnd := -1   // where the last escaped text emitted ends
	trimOpens := false // trimNext comes from a tag that opens a part
	var blocks []lexBlock
	var lits literals
	// failed returns the tokens before the tag that err is about, for the
	// parser to find any error that comes before it in the text.
	failed := func(err error) ([]token, error) {
		link(toks)
		return toks, err
	}
	addText := func(start, end int) {
		text := s[start:end]
		if trimNext {
			text = strings.TrimLeft(text, " \t\r\n")
			start = end - len(text)
			trimNext = false
		}
		if text != "" {
			toks = append(toks, token{kind: tokText, text: text, pos: start})
		}
	}
	for {
		i := strings.Index(s[pos:], left)
		if i < 0 {
			addText(pos, len(s))
			link(toks)
			return toks, nil
		}
		start := pos + i
		if left == "{{" && start > pos && s[start-1] == '\\' {
			if start-1 > pos && s[start-2] == '\\' {
				// \\{{x}}: a backslash, then the tag.
				addText(pos, start-1)
				pos = start
			} else {
				// \{{x}}: the text from {{ up to the next tag is literal,
				// as in Handlebars.
				addText(pos, start-1)
				end := len(s)
				if j := strings.Index(s[start+2:], "{{"); j >= 0 {
					end = start + 2 + j
					for k := 0; k < 2 && end > start+2 && s[end-1] == '\\'; k++ {
						end--
					}
				}
				// The escaped text is text: a tag after it on a line of its
				// own stands alone, as after any text, so the text of that
				// line is left for the tag to take.
				if nl := strings.LastIndexByte(s[start:end], '\n'); nl >= 0 {
					addText(start, start+nl+1)
					pos = start + nl + 1
				} else {
					addText(start, end)
					pos = end
				}
				escapedEnd = pos
				continue
			}
		}
		if left == "{{" && strings.HasPrefix(s[start:], "{{{{") {
			r, err := rawBlock(src, start)
			if err != nil {
				return failed(err)
			}
			// {{{{raw}}}} calls the helper that conventionally returns the
			// content as it is; under any other name the block is a section
			// whose content is text.
			helper := r.open == "raw"
			textEnd, next, _ := standalone(s, start, r.openEnd, pos, lastEnd)
			addText(pos, textEnd)
			if !helper {
				toks = append(toks, token{kind: tokSection, text: r.open, pos: start})
			}
			pos, lastEnd = next, r.openEnd
			textEnd, next, _ = standalone(s, r.closeStart, r.closeEnd, pos, lastEnd)
			addText(pos, textEnd)
			if !helper {
				toks = append(toks, token{kind: tokClose, text: r.name, pos: r.closeStart})
			}
			pos, lastEnd = next, r.closeEnd
			continue
		}
		p := start + len(left)
		trimLeft := false
		if p < len(s) && s[p] == '~' {
			trimLeft = true
			p++
		}
		kind := tokVar
		var body string
		var end int
		switch {
		case left == "{{" && p < len(s) && s[p] == '{':
			kind = tokRaw
			p++
			j := strings.Index(s[p:], "}"+right)
			if k := strings.Index(s[p:], "}~"+right); k >= 0 && (j < 0 || k < j) {
				j = k
				body, end = s[p:p+j]+"~", p+j+2+len(right)
			} else if j >= 0 {
				body, end = s[p:p+j], p+j+1+len(right)
			} else {
				return failed(src.errorf(start, "unclosed tag: missing \"}"+right+"\""))
			}
		case strings.HasPrefix(s[p:], "!--"):
			kind = tokComment
			// The -- that closes it may be the one that opens it, as
			// handlebars.js lexes {{!--}} and {{!---}}.
			q := p + 1
			for {
				j := strings.Index(s[q:], right)
				if j < 0 {
					return failed(src.errorf(start, "unclosed comment: missing \"--"+right+"\""))
				}
				e := q + j
				if strings.HasSuffix(s[p+1:e], "--") {
					body, end = s[p+3:max(e-2, p+3)], e+len(right)
					break
				}
				if strings.HasSuffix(s[p+1:e], "--~") {
					body, end = s[p+3:max(e-3, p+3)]+"--~", e+len(right)
					break
				}
				q = e + 1
			}
		default:
			var l *literals
			if literal != literalsNone && left == "{{" && right == "}}" && !strings.HasPrefix(s[p:], "!") {
				lits.double = literal == literalsAll
				lits.escapes = literal == literalsSingle
				l = &lits
			}
			j := tagEnd(s, p, right, l)
			if j < 0 {
				return failed(src.errorf(start, "unclosed tag: missing \""+right+"\""))
			}
			body = s[p:j]
			end = j + len(right)
		}
		trimRight := false
		if strings.HasSuffix(body, "--~") && kind == tokComment {
			trimRight = true
			body = body[:len(body)-3]
		} else if strings.HasSuffix(body, "~") && kind != tokComment {
			trimRight = true
			body = body[:len(body)-1]
		}
		if kind == tokVar && body != "" {
			switch body[0] {
			case '&':
				kind, body = tokRaw, body[1:]
			case '#':
				kind, body = tokSection, body[1:]
				if t := strings.TrimLeft(body, " \t\r\n"); len(t) < len(body) && t != "" && (t[0] == '>' || t[0] == '*') {
					// handlebars.js reads {{#> and {{#* as one sigil.
					return failed(src.errorf(start, "space inside the sigil {{#"+t[:1]+": write {{#"+t[:1]))
				}
			case '^':
				kind, body = tokInverted, body[1:]
				if strings.TrimSpace(body) == "" {
					kind = tokElse
				}
			case '/':
				kind, body = tokClose, body[1:]
			case '!':
				kind, body = tokComment, body[1:]
			case '>':
				kind, body = tokPartial, body[1:]
			case '=':
				if len(body) < 2 || body[len(body)-1] != '=' {
					return failed(src.errorf(start, "bad delimiter tag: want {{=left right=}}"))
				}
				kind, body = tokDelim, body[1:len(body)-1]
			}
		}
		text := body
		if kind != tokComment {
			text = strings.TrimSpace(body)
		}
		if kind == tokVar && (text == "else" || strings.HasPrefix(text, "else ")) {
			kind = tokElse
			text = strings.TrimSpace(text[len("else"):])
		}
		tok := token{kind: kind, text: text, pos: start}
		if braces && left == "{{" && right == "}}" && !trimRight && end < len(s) && s[end] == '}' &&
			kind != tokComment && !(kind == tokElse && text == "") {
			return failed(src.errorf(end-2, `"}}" followed by "}": Handlebars reads "}}}" as the end of a triple-stash; put a space before the "}"`))
		}

		// Text before the tag, then the tag; a standalone tag takes its line.
		textEnd, next := start, end
		var endsFirst *lexBlock // the block whose first else part ends here
		var endsPart *lexBlock  // the chain whose part ends here
		if kind.standalone() {
			textEnd, next, tok.indent = standalone(s, start, end, pos, lastEnd)
			if trimNext && !trimOpens && strings.TrimLeft(s[pos:start], " \t\r\n") == "" {
				// The ~ of the tag before took the indentation already, so
				// handlebars.js indents the partial's lines with nothing
				// (but for the ~ of a block's open or else tag, which it
				// applies after the part the tag opens).
				tok.indent = ""
			}
		}
		switch {
		case kind == tokSection:
			blocks = append(blocks, lexBlock{})
		case kind == tokInverted:
			b := lexBlock{}
			if left == "{{" && right == "}}" {
				b.swap = swappedBlock(src, start, end, pos, lastEnd)
			}
			if w := b.swap; w != nil {
				trimRight = w.trims[0]
				textEnd, next = start, end
				if w.openSA {
					textEnd = start - len(s[pos:start]) + len(strings.TrimRight(s[pos:start], " \t"))
				}
				if w.elseSA {
					next = omitRight(s, end)
				}
			}
			blocks = append(blocks, b)
		case kind == tokElse && len(blocks) > 0:
			b := &blocks[len(blocks)-1]
			b.elses++
			switch {
			case b.elses == 1 && b.swap != nil:
				trimLeft, trimRight = b.swap.trims[1], b.swap.trims[2]
				textEnd, next = start, end
				if b.swap.closeSA {
					textEnd = start - len(s[pos:start]) + len(strings.TrimRight(s[pos:start], " \t"))
				}
				if b.swap.openSA {
					next = omitRight(s, end)
				}
			case b.elses == 1:
				b.chained = text != ""
			case b.elses == 2 && b.chained:
				b.firstWS = endsLine(s[lastEnd:start])
				endsFirst = b
			}
			if b.chained {
				endsPart = b
			}
		case kind == tokClose && len(blocks) > 0:
			b := &blocks[len(blocks)-1] // valid until the next block opens
			blocks = blocks[:len(blocks)-1]
			if w := b.swap; w != nil {
				trimLeft = w.trims[3]
				textEnd, next = start, end
				if w.elseSA {
					textEnd = start - len(s[pos:start]) + len(strings.TrimRight(s[pos:start], " \t"))
				}
				if w.closeSA {
					next = omitRight(s, end)
				}
			}
			if b.chained && b.elses == 1 {
				// The part after the first else is the last: it ends here.
				b.firstWS, b.firstText = endsLine(s[lastEnd:start]), -1
			}
			if b.chained {
				endsPart = b
				b.closeTrims = trimLeft
				if b.elses >= 3 {
					// The last part is not one the ~ strips (see
					// chainPartEnds).
					trimLeft = false
				}
			}
			if b.chained && left == "{{" {
				// handlebars.js takes the close tag of an {{else if}} chain
				// as standalone when the part after the first else ends a
				// line, whatever stands before the tag on its own line, and
				// then keeps the indentation before the tag.
				textEnd, next = start, end
				if b.firstWS {
					next = blankLineEnd(s, end)
				}
			}
		}
		if trimLeft {
			tok.indent = "" // the ~ took the indentation too
			prev := s[pos:textEnd]
			textEnd = pos + len(strings.TrimRight(prev, " \t\r\n"))
			if textEnd == pos && escapedEnd == pos {
				// The rest of the escaped text before it, which begins
				// with {{ and so keeps that.
				last := &toks[len(toks)-1]
				last.text = strings.TrimRight(last.text, " \t\r\n")
			}
		}
		addText(pos, textEnd)
		if endsPart != nil {
			toks = endsPart.chainPartEnds(toks, lastEnd, kind == tokClose, kind == tokElse && text != "" && trimLeft)
		}
		if endsFirst != nil {
			// The text since the tag before, which escaped text may have
			// split in two.
			endsFirst.firstText = -1
			if k := len(toks) - 1; k >= 0 && toks[k].kind == tokText && toks[k].pos >= lastEnd {
				endsFirst.firstText = int32(k)
			}
		}
		if kind == tokDelim {
			f := strings.Fields(text)
			if len(f) != 2 || strings.Contains(text, "=") {
				return failed(src.errorf(start, "bad delimiter tag: want two delimiters separated by a space, without '='"))
			}
			left, right = f[0], f[1]
		}
		toks = append(toks, tok)
		trimNext = trimRight
		trimOpens = kind == tokSection || kind == tokInverted || kind == tokElse
		pos, lastEnd = next, end
	}
}

// link sets the close and els of every opening tag in toks, so that the
// parser finds the end of a block at once, not by reading through it:
// blocks nested n deep would cost n². A closing tag closes
// the innermost block open, whatever its name, and an {{else}} belongs to
// it; the parser checks the names.
func link(toks []token) {
	var open []int
	for k := range toks {
		switch toks[k].kind {
		case tokSection, tokInverted:
			toks[k].close, toks[k].els = 0, 0
			open = append(open, k)
		case tokElse:
			if n := len(open); n > 0 && toks[open[n-1]].els == 0 {
				toks[open[n-1]].els = k - open[n-1]
			}
		case tokClose:
			if n := len(open); n > 0 {
				toks[open[n-1]].close = k - open[n-1]
				open = open[:n-1]
			}
		}
	}
}

// lexBlock is a block open in lex, for the whitespace rules that
// handlebars.js applies to the tags of a block as a whole.
type lexBlock struct {
	elses int32 // else tags so far
	// firstText is the index in the tokens of the text that ends the part
	// after the first else tag, or -1.
	firstText int32
	// In a chain, secondText is 1 + the index in the tokens of the text
	// that ends the part after the second else tag, or 0.
	secondText int32
	chained    bool // the first is {{else if x}} (or another helper)
	firstWS    bool // the part after it ends with a line break and blanks
	// closeTrims is set by a ~ on the left of a chain's close; stripNext
	// has bit i set when the end of the part that ends at the block's
	// i-th next tag (or at its close) is to be stripped, for the ~ on the
	// left of an {{else x}} past the first.
	closeTrims bool
	stripNext  uint8
	swap       *swapped
}

// chainPartEnds is called at each else and close tag of a chain
// {{#x}}P0{{else if a}}P1{{else if b}}P2…{{/x}} once the text before the
// tag, which ends a part, is added to toks. It strips the ends of the
// parts that handlebars.js strips, which looks for the last part of each
// block of the chain through the program of the block after it: for a ~
// on the left of the close, the ends of P1 and P2 (of the last part only
// when it is one of them, which the ~ strips anyway); for one on the left
// of an {{else y}} past the first (elseTrim), the end of the part after
// it, or of its own when no else tag follows. closing marks the close tag.
func (b *lexBlock) chainPartEnds(toks []token, lastEnd int, closing, elseTrim bool) []token {
	k := len(toks) - 1 // the text that ends the part, if any
	if k < 0 || toks[k].kind != tokText || toks[k].pos < lastEnd {
		k = -1
	}
	if !closing && b.elses == 3 {
		b.secondText = int32(k + 1)
	}
	strip := func(j int) {
		for j >= 0 {
			if toks[j].text = strings.TrimRight(toks[j].text, " \t\r\n"); toks[j].text != "" {
				return
			}
			at := toks[j].pos
			toks = slices.Delete(toks, j, j+1)
			// The text before it, when lex split one text in two (as
			// after escaped text), ends the part too.
			if j--; j < 0 || toks[j].kind != tokText || toks[j].pos+len(toks[j].text) != at {
				return
			}
		}
	}
	if b.stripNext&1 != 0 || closing && b.stripNext != 0 {
		strip(k)
	}
	b.stripNext >>= 1
	if closing && b.closeTrims {
		// P2 before P1, which comes first.
		strip(int(b.secondText) - 1)
		if b.elses >= 2 {
			strip(int(b.firstText))
		}
	}
	if b.elses >= 2 && elseTrim {
		b.stripNext |= 2
	}
	return toks
}

// swapped tells which tags of an inverted block with an else part,
// {{^x}}A{{else}}B{{/x}}, stand alone. handlebars.js swaps the two parts
// of such a block before it applies the standalone rules, so each tag is
// judged by the text of the other part: the open tag by the start of B
// (and then strips that start, not A's), the else by the end of B and the
// start of A, the close by the end of A.
//
// The ~ of those tags are swapped as well: handlebars.js strips for the
// open tag's right ~ the start of B, for the else's left one the end of
// B, for its right one the start of A, and for the close's left one the
// end of A. trims holds, for each tag, the ~ that act on the text next to
// it once the parts are in place: the open tag's right, the else tag's
// left and right, and the close tag's left.
type swapped struct {
	openSA, elseSA, closeSA bool
	trims                   [4]bool
}

// swappedBlock reads ahead the inverted block whose open tag is
// s[start:end] and, when it has an else part, returns which of its tags
// stand alone; nil otherwise, or when the block is an {{else if}} chain or
// is not closed, which the parser reports.
func swappedBlock(src *source, start, end, pos, lastEnd int) *swapped {
	s := src.text
	depth := 0
	prevEnd := end // the end of the last tag read
	elseAt := -1   // the else part: where its tag ends
	var aStart, aEnd, bStart string
	first := true
	openRight := s[end-3] == '~'
	var elseLeft, elseRight bool
	for i := end; ; {
		j := strings.Index(s[i:], "{{")
		if j < 0 {
			return nil
		}
		t := i + j
		if t > 0 && s[t-1] == '\\' && (t < 2 || s[t-2] != '\\') {
			i = t + 2 // escaped: text
			continue
		}
		var tagEnd int
		switch {
		case strings.HasPrefix(s[t:], "{{{{"):
			r, err := rawBlock(src, t)
			if err != nil {
				return nil
			}
			tagEnd = r.closeEnd
		case strings.HasPrefix(s[t:], "{{!--"), strings.HasPrefix(s[t:], "{{~!--"):
			k := strings.Index(s[t:], "--}}")
			if k2 := strings.Index(s[t:], "--~}}"); k2 >= 0 && (k < 0 || k2 < k) {
				k = k2 + 1
			}
			if k < 0 {
				return nil
			}
			tagEnd = t + k + 4
		case strings.HasPrefix(s[t:], "{{{"), strings.HasPrefix(s[t:], "{{~{"):
			k, n := strings.Index(s[t:], "}}}"), 3
			if k2 := strings.Index(s[t:], "}~}}"); k2 >= 0 && (k < 0 || k2 < k) {
				k, n = k2, 4 // a ~ before the close
			}
			if k < 0 {
				return nil
			}
			tagEnd = t + k + n
		default:
			k := strings.Index(s[t+2:], "}}")
			if k < 0 {
				return nil
			}
			tagEnd = t + 2 + k + 2
		}
		if first {
			aStart, first = s[end:t], false
		}
		if elseAt >= 0 && bStart == "" && prevEnd == elseAt {
			bStart = s[elseAt:t]
		}
		body := strings.TrimPrefix(s[t+2:tagEnd-2], "~")
		word := strings.TrimSpace(strings.TrimSuffix(body, "~"))
		switch {
		case !strings.HasPrefix(s[t:], "{{{{") && (strings.HasPrefix(body, "#") || strings.HasPrefix(body, "^") && word != "^"):
			depth++
		case strings.HasPrefix(body, "/") && depth > 0:
			depth--
		case strings.HasPrefix(body, "/"):
			if elseAt < 0 {
				return nil
			}
			if bStart == "" && prevEnd == elseAt {
				bStart = s[elseAt:t]
			}
			lineStart := strings.LastIndexByte(s[:start], '\n') + 1
			prevBlank := lastEnd <= lineStart && lineStart >= pos && isBlank(s[lineStart:start])
			after := blankLineEnd(s, tagEnd)
			closeLeft := s[t+2] == '~'
			return &swapped{
				openSA:  prevBlank && startsLine(bStart),
				elseSA:  endsLine(s[prevEnd:t]) && startsLine(aStart),
				closeSA: endsLine(aEnd) && (after != tagEnd || after == len(s)),
				// Each tag's ~ on its side of A or B, from the tag that
				// handlebars.js applies there.
				trims: [4]bool{elseRight, closeLeft, openRight, elseLeft},
			}
		case depth == 0 && elseAt < 0 && (word == "^" || word == "else" || strings.HasPrefix(word, "else ")):
			if word != "^" && word != "else" {
				return nil // a chain: left to the rules of chains
			}
			aEnd, elseAt = s[prevEnd:t], tagEnd
			elseLeft, elseRight = s[t+2] == '~', s[tagEnd-3] == '~'
		}
		prevEnd, i = tagEnd, tagEnd
	}
}

// startsLine reports whether text, the whole text between two tags, starts
// with blanks and a line break, as handlebars.js asks of the text after a
// standalone tag.
func startsLine(text string) bool {
	rest := strings.TrimLeft(text, " \t\r\n\f\v")
	return strings.Contains(text[:len(text)-len(rest)], "\n")
}

// omitRight returns where the text at s[from:] starts once the blanks and
// the line break that a standalone tag takes are left out.
func omitRight(s string, from int) int {
	k := from
	for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
		k++
	}
	if k < len(s) && s[k] == '\r' && k+1 < len(s) && s[k+1] == '\n' {
		return k + 2
	}
	if k < len(s) && s[k] == '\n' {
		return k + 1
	}
	return k
}

// endsLine reports whether text, the whole text between two tags, ends
// with a line break followed by blanks only, as handlebars.js asks of the
// text before a standalone tag.
func endsLine(text string) bool {
	rest := strings.TrimRight(text, " \t\r\n\f\v")
	return strings.Contains(text[len(rest):], "\n")
}

// blankLineEnd returns the end of the line that s[end:] begins when only
// blanks are left on it, past its line break, and end otherwise.
func blankLineEnd(s string, end int) int {
	k := end
	for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
		k++
	}
	switch {
	case k == len(s):
		return k
	case s[k] == '\n':
		return k + 1
	case s[k] == '\r' && k+1 < len(s) && s[k+1] == '\n':
		return k + 2
	}
	return end
}

// standalone applies the mustache standalone-line rule to the tag at
// s[start:end]: when the tag is alone on its line, the text before it ends
// at the start of the line and the text after it starts on the next line.
// Otherwise textEnd is start and next is end.
func standalone(s string, start, end, pos, lastEnd int) (textEnd, next int, indent string) {
	textEnd, next = start, end
	// The line must start at or after both pos and lastEnd, so the search
	// for its start stops there: searching the whole source before every
	// tag would make a line of n tags cost n² to lex.
	floor := max(lastEnd, pos)
	if floor > start {
		return textEnd, next, ""
	}
	from := max(floor-1, 0)
	lineStart := strings.LastIndexByte(s[from:start], '\n') + 1
	if lineStart > 0 {
		lineStart += from
	} else if floor > 0 {
		return textEnd, next, ""
	}
	if isBlank(s[lineStart:start]) {
		if k := blankLineEnd(s, end); k != end || k == len(s) {
			textEnd, next = lineStart, k
			indent = s[lineStart:start]
		}
	}
	return textEnd, next, indent
}

// rawSpan is a Handlebars raw block, {{{{name args}}}}content{{{{/name}}}}.
type rawSpan struct {
	open                 string // the opening tag's content
	name                 string
	openEnd              int
	closeStart, closeEnd int
}

// rawBlock reads the raw block that starts at s[start:]. Its content is
// text, tags included, up to the first closing tag with its name.
// tagEnd returns the offset of the right delimiter that ends the tag whose
// body starts at p in s, or -1. With lits, a string literal or a [segment
// literal] may hold the delimiter, as handlebars.js lexes them:
// {{default x "}}"}}.
func tagEnd(s string, p int, right string, lits *literals) int {
	if lits == nil {
		if j := strings.Index(s[p:], right); j >= 0 {
			return p + j
		}
		return -1
	}
	for i := p; i < len(s); i++ {
		if strings.HasPrefix(s[i:], right) {
			return i
		}
		switch s[i] {
		case '"', '\'':
			if s[i] == '"' && !lits.double {
				break
			}
			if e := lits.end(s, i); e > 0 {
				i = e
			}
		case '[':
			if lits.noBracket == 0 || i < lits.noBracket {
				if e := strings.IndexByte(s[i:], ']'); e > 0 {
					i += e
				} else {
					lits.noBracket = i
				}
			}
		}
	}
	return -1
}

// literalKinds tells which literals may hold the end of a tag.
type literalKinds uint8

const (
	literalsNone   literalKinds = iota // the mustache dialect
	literalsSingle                     // 'x' and [x]: JSON mode, where a " is the string's
	literalsAll                        // "x", 'x' and [x]
)

// literals finds where string literals end in one source, remembering
// where no quote ends one any more, so that many tags with unended
// literals take linear time.
type literals struct {
	// none[k] is 1 + the offset from which s holds no quote of kind k
	// (0 ", 1 ') that no backslash precedes, or 0 when unknown.
	none [2]int
	// noBracket, when not 0, is an offset from which s holds no ].
	noBracket int
	double    bool // a " opens a literal too
	escapes   bool // JSON mode: a backslash escapes the character after it
}

// end returns the offset of the quote that ends the string literal
// opening at s[i], or -1: as handlebars.js lexes it, the first quote that
// no backslash precedes or, lacking one, the last quote.
func (l *literals) end(s string, i int) int {
	k := 0
	if s[i] == '\'' {
		k = 1
	}
	if l.escapes {
		if l.none[k] != 0 && i+1 >= l.none[k]-1 {
			return -1
		}
		j := jsonLiteralEnd(s, i)
		if j < 0 {
			l.none[k] = i + 2
		}
		return j
	}
	if l.none[k] == 0 || i+1 < l.none[k]-1 {
		if j := literalEnd(s, i); j < 0 || s[j-1] != '\\' {
			return j
		}
		l.none[k] = i + 2
	}
	if j := strings.LastIndexByte(s, s[i]); j > i {
		return j
	}
	return -1
}

// jsonLiteralEnd returns the offset of the quote that ends the string
// literal opening at s[i] in JSON mode, where a backslash escapes the
// character after it, or -1.
func jsonLiteralEnd(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case s[i]:
			return j
		}
	}
	return -1
}

// literalEnd returns the offset of the first quote after s[i] like it that
// no backslash precedes, else of the last one, else -1.
func literalEnd(s string, i int) int {
	end := -1
	for j := i + 1; j < len(s); j++ {
		if s[j] == s[i] {
			end = j
			if s[j-1] != '\\' {
				break
			}
		}
	}
	return end
}

func rawBlock(src *source, start int) (rawSpan, error) {
	s := src.text
	j := strings.Index(s[start+4:], "}}}}")
	if j < 0 {
		return rawSpan{}, src.errorf(start, `unclosed raw block tag: missing "}}}}"`)
	}
	r := rawSpan{open: strings.TrimSpace(s[start+4 : start+4+j]), openEnd: start + 4 + j + 4}
	r.name, _, _ = strings.Cut(r.open, " ")
	if r.name == "" {
		return rawSpan{}, src.errorf(start, "empty raw block name")
	}
	if strings.HasPrefix(r.name, "/") {
		// handlebars.js fails here too, not at a later {{{{/x}}}}.
		return rawSpan{}, src.errorf(start, "{{{{"+r.name+"}}}} closes no raw block")
	}
	// As handlebars.js lexes the content: {{{{x}}}} in it opens a raw
	// block of its own, closed by the next {{{{/name}}}}, whatever the
	// name; the first close outside them ends this block and must name it.
	depth := 0
	for i := r.openEnd; ; {
		k := strings.Index(s[i:], "{{{{")
		if k < 0 || i+k+4 >= len(s) {
			return rawSpan{}, src.errorf(start, "unclosed raw block {{{{"+r.name+"}}}}: missing {{{{/"+r.name+"}}}}")
		}
		j := i + k
		if s[j+4] != '/' {
			depth++
			i = j + 4
			continue
		}
		n := j + 5
		for n < len(s) && isIDByte(s[n]) {
			n++
		}
		if n == j+5 || !strings.HasPrefix(s[n:], "}}}}") {
			i = j + 1 // text, not a close tag
			continue
		}
		if depth > 0 {
			depth--
			i = n + 4
			continue
		}
		if name := s[j+5 : n]; name != r.name {
			return rawSpan{}, src.errorf(j, "raw block {{{{"+r.name+"}}}} opened at "+posString(src, start)+" is closed by {{{{/"+name+"}}}}")
		}
		r.closeStart, r.closeEnd = j, n+4
		return r, nil
	}
}

// isIDByte reports whether handlebars.js takes c in a name: not a space
// nor any of !"#%&'()*+,./;<=>@[\]^`{|}~.
func isIDByte(c byte) bool {
	return !isSpace(c) && strings.IndexByte("!\"#%&'()*+,./;<=>@[\\]^`{|}~", c) < 0
}
