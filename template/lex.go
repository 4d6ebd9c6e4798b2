package template

import (
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
// changes.
func lex(src *source, left, right string) ([]token, error) {
	s := src.text
	var toks []token
	pos := 0      // start of the text not yet emitted
	lastEnd := -1 // end of the previous tag
	trimNext := false
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
				addText(start, end)
				pos, lastEnd = end, end
				continue
			}
		}
		if left == "{{" && strings.HasPrefix(s[start:], "{{{{") {
			r, err := rawBlock(src, start)
			if err != nil {
				return nil, err
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
				return nil, src.errorf(start, "unclosed tag: missing \"}"+right+"\"")
			}
		case strings.HasPrefix(s[p:], "!--"):
			kind = tokComment
			q := p + 3
			for {
				j := strings.Index(s[q:], right)
				if j < 0 {
					return nil, src.errorf(start, "unclosed comment: missing \"--"+right+"\"")
				}
				e := q + j
				if strings.HasSuffix(s[p+3:e], "--") {
					body, end = s[p+3:e-2], e+len(right)
					break
				}
				if strings.HasSuffix(s[p+3:e], "--~") {
					body, end = s[p+3:e-3]+"--~", e+len(right)
					break
				}
				q = e + 1
			}
		default:
			j := strings.Index(s[p:], right)
			if j < 0 {
				return nil, src.errorf(start, "unclosed tag: missing \""+right+"\"")
			}
			body = s[p : p+j]
			end = p + j + len(right)
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
					return nil, src.errorf(start, "bad delimiter tag: want {{=left right=}}")
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

		// Text before the tag, then the tag; a standalone tag takes its line.
		textEnd, next := start, end
		if kind.standalone() {
			textEnd, next, tok.indent = standalone(s, start, end, pos, lastEnd)
		}
		if trimLeft {
			tok.indent = "" // the ~ took the indentation too
			prev := s[pos:textEnd]
			textEnd = pos + len(strings.TrimRight(prev, " \t\r\n"))
		}
		addText(pos, textEnd)
		if kind == tokDelim {
			f := strings.Fields(text)
			if len(f) != 2 || strings.Contains(text, "=") {
				return nil, src.errorf(start, "bad delimiter tag: want two delimiters separated by a space, without '='")
			}
			left, right = f[0], f[1]
		}
		toks = append(toks, tok)
		trimNext = trimRight
		pos, lastEnd = next, end
	}
}

// standalone applies the mustache standalone-line rule to the tag at
// s[start:end]: when the tag is alone on its line, the text before it ends
// at the start of the line and the text after it starts on the next line.
// Otherwise textEnd is start and next is end.
func standalone(s string, start, end, pos, lastEnd int) (textEnd, next int, indent string) {
	textEnd, next = start, end
	lineStart := strings.LastIndexByte(s[:start], '\n') + 1
	if lastEnd <= lineStart && lineStart >= pos && isBlank(s[lineStart:start]) {
		k := end
		for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
			k++
		}
		switch {
		case k == len(s):
			textEnd, next = lineStart, k
		case s[k] == '\n':
			textEnd, next = lineStart, k+1
		case s[k] == '\r' && k+1 < len(s) && s[k+1] == '\n':
			textEnd, next = lineStart, k+2
		}
		if textEnd == lineStart {
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
	closeTag := "{{{{/" + r.name + "}}}}"
	k := strings.Index(s[r.openEnd:], closeTag)
	if k < 0 {
		return rawSpan{}, src.errorf(start, "unclosed raw block {{{{"+r.name+"}}}}: missing "+closeTag)
	}
	r.closeStart = r.openEnd + k
	r.closeEnd = r.closeStart + len(closeTag)
	return r, nil
}
