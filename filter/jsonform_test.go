package filter_test

import (
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/filter"
)

// A path that starts with "$", which parsePath reads as written ("$."
// being the root), is written in a JSON form that loads back into the
// same filter: a key starting with "$" is otherwise an operator.
func TestDollarPathsLoadBack(t *testing.T) {
	doc := representations[0].decode(t, []byte(`{"data":{"env":"prod"},"$ref":{"x":"y"},"$":["z"]}`))
	for _, c := range []filter.Clause{
		filter.Eq("$.data.env", "prod"),
		filter.Eq("$ref.x", "y"),
		filter.Eq(`$["$ref"].x`, "y"), // the member "$", which the event lacks
		filter.In("$[0]", "z"),
		filter.Every(filter.Eq("$.data.env", "prod")),
		filter.All(filter.Eq("$.data.env", "prod"), filter.Not(filter.Eq("$ref.x", "n"))),
	} {
		f, err := filter.New(c)
		require.NoError(t, err, "%s", c)
		form, err := f.MarshalJSON()
		require.NoError(t, err)
		again, err := filter.Parse(form)
		require.NoError(t, err, "%s", form)
		require.Equal(t, f.Match(doc), again.Match(doc), "%s", form)
		var back filter.Clause
		require.NoError(t, json.Unmarshal(form, &back), "%s", form)
		out, err := back.MarshalJSON()
		require.NoError(t, err)
		require.Equal(t, string(form), string(out), "a second round trip changes nothing")
	}
	// JSON written by hand with the root spelt out loads as a path too.
	f, err := filter.Parse([]byte(`{"$.data.env":"prod","$or":[{"$.data":{"env":{"$in":["prod"]}}}]}`))
	require.NoError(t, err)
	require.True(t, f.Match(doc))
}

// A filter built in Go matches as the filter its JSON form loads into: a
// Dispatcher keeps one compiled filter per JSON form and gives it to every
// webhook whose filter has that form.
func TestFilterMatchesAsItsJSONForm(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 3))
	for range 2000 {
		c := randomClause(r, 3)
		f, err := filter.New(c)
		if err != nil {
			continue
		}
		form, err := f.MarshalJSON()
		require.NoError(t, err)
		again, err := filter.Parse(form)
		require.NoError(t, err, "%s", form)
		for range 5 {
			raw := randomEvent(r)
			for _, rep := range representations {
				doc := rep.decode(t, raw)
				require.Equal(t, f.Match(doc), again.Match(doc), "%s on %s (%s)", form, raw, rep.name)
			}
		}
	}
}
