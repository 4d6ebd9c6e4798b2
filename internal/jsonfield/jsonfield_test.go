package jsonfield_test

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/internal/jsonfield"
)

type inner struct {
	Deep string `json:"deep"`
}

type outer struct {
	inner
	Name    string `json:"name"`
	Plain   int
	Skipped string `json:"-"`
	hidden  string
}

var _ = outer{hidden: "unexported: never a JSON field"}

func TestOf(t *testing.T) {
	typ := reflect.TypeOf(outer{})
	for _, c := range []struct {
		key   string
		field string // "" for none
		exact bool
	}{
		{"name", "Name", true},
		{"Name", "Name", false},
		{"NAME", "Name", false},
		{"Plain", "Plain", true},
		{"plain", "Plain", false},
		{"deep", "Deep", true},
		{"Deep", "Deep", false},
		{"-", "", false},
		{"Skipped", "", false},
		{"hidden", "", false},
		{"other", "", false},
	} {
		f, exact := jsonfield.Of(typ, c.key)
		if c.field == "" {
			require.Nil(t, f, c.key)
			continue
		}
		require.NotNil(t, f, c.key)
		require.Equal(t, c.field, f.Name, c.key)
		require.Equal(t, c.exact, exact, c.key)
	}
	f, _ := jsonfield.Of(typ, "NAME")
	require.Equal(t, "name", jsonfield.Name(*f))
}
