package tenantrate

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestTenantRatesAreTenantsOwn(t *testing.T) {
	r := New(Rate{N: 2, Per: time.Minute})
	now := time.Unix(1_700_000_000, 0)
	for range 2 {
		ok, _ := r.Allow("a", now)
		require.True(t, ok)
	}
	ok, wait := r.Allow("a", now)
	require.False(t, ok)
	require.Equal(t, 30*time.Second, wait)
	ok, _ = r.Allow("b", now)
	require.True(t, ok, "another tenant has its own bucket")
	ok, _ = r.Allow("a", now.Add(30*time.Second))
	require.True(t, ok, "a token comes back after per/n")
}

func TestTenantRatesForgetTenantsThatWentQuiet(t *testing.T) {
	r := New(Rate{N: 1, Per: time.Second})
	now := time.Unix(1_700_000_000, 0)
	for i := range 10 * minSweep {
		r.Allow(string(rune('a'+i%26))+time.Duration(i).String(), now.Add(time.Duration(i)*time.Millisecond))
	}
	require.Less(t, len(r.buckets), 3*minSweep, "full buckets are swept")
	ok, _ := r.Allow("fresh", now.Add(time.Hour))
	require.True(t, ok)
}
