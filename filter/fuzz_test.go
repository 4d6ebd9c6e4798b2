package filter_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/filter"
)

// Any input either fails with a *ClauseError or compiles to a filter that
// marshals to JSON which loads back into the same filter, byte for byte; and
// Match and Explain agree on real events without panicking.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{}`,
		`{"environments":["production"],"approval":"manual"}`,
		`{"integration_types":["AWS"],"conditions":[{"path":"data.access_duration_in_seconds","operator":"gte","values":[28800]}]}`,
		`{"data.custom_fields.environment":"production","data.access_groups[].integration.type":{"$in":["Postgresql","Mysql"]}}`,
		`{"$or":[{"data.access_duration_in_seconds":{"$lte":3600}},{"data.approvals[].status":{"$every":{"$eq":"Approved"}}}]}`,
		`{"$not":{"data.requester.email":{"$regex":"@acme-corp\\.example$"}}}`,
		`{"data":{"grantee":{"type":{"$ne":"group"}}},"event_time":{"$gt":1773134100.482913204}}`,
		`{"data.justification":{"$glob":"INC-*","$contains":"latency"},"data.revocation_date":{"$exists":false}}`,
		`{"data.access_groups[0].access_units[].resource[\"id\"]":{"$prefix":"res-","$suffix":"-db"}}`,
		`{"a":{"$not":{"$nin":[1,true,null,"x"]}}}`,
	} {
		f.Add([]byte(seed))
	}
	var events []any
	for _, rep := range representations {
		for _, name := range []string{"approved", "rejected", "expired"} {
			events = append(events, rep.decode(f, fixture(f, name)))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		flt, err := filter.Parse(data)
		if err != nil {
			var ce *filter.ClauseError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v (%T) is not a *ClauseError", err, err)
			}
			return
		}
		out, err := flt.MarshalJSON()
		require.NoError(t, err)
		again, err := filter.Parse(out)
		require.NoError(t, err, "%s", out)
		out2, err := again.MarshalJSON()
		require.NoError(t, err)
		require.Equal(t, string(out), string(out2))
		require.Equal(t, flt.Clause(), again.Clause())
		for _, ev := range events {
			ok := flt.Match(ev)
			require.Equal(t, ok, again.Match(ev))
			m := flt.Explain(ev)
			require.Equal(t, ok, m == nil)
			if m != nil {
				_ = m.String()
			}
		}
	})
}
