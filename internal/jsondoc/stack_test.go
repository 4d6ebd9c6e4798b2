package jsondoc

import (
	"testing"
)

// The stacks parsers borrow go back to the pool all zero, whether the
// parse succeeded or failed at any depth: a slot left holding a value
// would keep its document alive, and the next parse would not clear it.
func TestParseReturnsItsStackCleared(t *testing.T) {
	docs := []string{
		`{"status":"ok"}`,
		`{"a":[1,{"b":[true,null,"x"]},3],"c":{"d":{"e":"f"}}}`,
		`[[[[["deep"]]]],{"k":"v"}]`,
		`{"a":[1,{"b":[true,null,"x"`,         // cut inside nested containers
		`{"a":[1,{"b":[true,nul]}]}`,          // a bad literal deep down
		`{"a":{"b":{"c":1}}} trailing`,        // data after the document
		`{"a":1,"a2":[` + objects(300) + `]}`, // grows the stack past its start
		`[` + objects(300) + `,}`,
	}
	for _, doc := range docs {
		_, _ = Parse([]byte(doc))
		stack := stacks.Get().(*[]Value)
		for i, v := range (*stack)[:cap(*stack)] {
			if v != (Value{}) {
				t.Fatalf("after %.40q: slot %d of the pooled stack holds a value", doc, i)
			}
		}
		if len(*stack) != 0 {
			t.Fatalf("after %.40q: the pooled stack has length %d", doc, len(*stack))
		}
		stacks.Put(stack)
	}
}

// objects returns n array elements, each an object.
func objects(n int) string {
	s := `{"i":0}`
	for range n - 1 {
		s += `,{"i":0}`
	}
	return s
}
