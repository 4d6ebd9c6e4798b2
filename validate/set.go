package validate

// Validator checks one aspect of a response. Implementations must be safe for
// concurrent use; JSONPathValidator, StatusValidator and HeaderValidator are.
type Validator interface {
	// Validate checks resp and reports the outcome. It never panics on
	// response content.
	Validate(resp *Response) Result
}

// DefaultMessage is the message of a failed Report when the Set has none.
const DefaultMessage = "response validation failed"

// Option configures a Set. Options are sealed: only this package defines
// them. A nil Option is ignored.
type Option interface {
	apply(*Set)
}

type optionFunc func(*Set)

func (f optionFunc) apply(s *Set) { f(s) }

// Message sets the custom validation error message a failed Report carries.
// The default is DefaultMessage.
func Message(msg string) Option {
	return optionFunc(func(s *Set) {
		if msg != "" {
			s.message = msg
		}
	})
}

// MaxBodyBytes sets how many body bytes the Set looks at; a longer body is
// treated as truncated. The default is DefaultMaxBodyBytes; n <= 0 keeps it.
func MaxBodyBytes(n int64) Option {
	return optionFunc(func(s *Set) {
		if n > 0 {
			s.maxBody = n
		}
	})
}

// Set is the validators of one webhook. It is safe for concurrent use.
type Set struct {
	validators []Validator
	message    string
	maxBody    int64
}

// NewSet returns a Set running validators in order. Nil validators are
// skipped. A Set with no validators passes every response.
func NewSet(validators []Validator, opts ...Option) *Set {
	s := &Set{message: DefaultMessage, maxBody: DefaultMaxBodyBytes}
	for _, v := range validators {
		if v != nil {
			s.validators = append(s.validators, v)
		}
	}
	for _, o := range opts {
		if o != nil {
			o.apply(s)
		}
	}
	return s
}

// Len reports the number of validators.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.validators)
}

// MaxBodyBytes reports how many body bytes the Set looks at.
func (s *Set) MaxBodyBytes() int64 {
	if s == nil {
		return DefaultMaxBodyBytes
	}
	return s.maxBody
}

// Validate runs every validator on resp, even after one fails, decoding the
// body at most once. A body longer than the Set's limit is treated as
// truncated; a nil resp is an empty response. A nil *Set has no validators
// and passes every response.
func (s *Set) Validate(resp *Response) Report {
	if s == nil {
		return Report{Message: DefaultMessage}
	}
	if resp == nil {
		resp = &Response{}
	}
	resp = resp.limited(s.maxBody)
	rep := Report{Message: s.message, Results: make([]Result, len(s.validators))}
	for i, v := range s.validators {
		rep.Results[i] = v.Validate(resp)
	}
	return rep
}

// Report is the outcome of a Set on one response.
type Report struct {
	// Results holds one result per validator, in the Set's order.
	Results []Result
	// Message is the Set's custom validation error message.
	Message string
}

// Passed reports whether every validator passed.
func (r Report) Passed() bool {
	for _, res := range r.Results {
		if !res.Passed {
			return false
		}
	}
	return true
}

// Err returns nil when every validator passed, and otherwise an *Error
// carrying the message and the failed results.
func (r Report) Err() error {
	var failed []Result
	for _, res := range r.Results {
		if !res.Passed {
			failed = append(failed, res)
		}
	}
	if failed == nil {
		return nil
	}
	return &Error{Message: r.Message, Failed: failed}
}
