package defstore_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/defstore"
)

// presetDefinition is the i-th of many definitions that differ in their
// id, name, URL and credentials only, as a service's tenants register
// them from one preset: its masked JSON and its whole JSON, as a
// Dispatcher without a keyring stores them.
func presetDefinition(i int) (masked, full []byte) {
	const def = `{"id":"%032x","name":"Torq %d","active":true,"url":"https://hooks.torq.io/v1/webhooks/%s",` +
		`"headers":{"Authorization":"%s","X-Torq-Secret":"%s"},` +
		`"body_template":"{\"body\":{\"event\":\"New Apono {{event_type}} request made by {{data.requester.name}}\"}}",` +
		`"triggers":["RequestCreated"],"filters":{"data.access_groups[].integration.type":{"$in":["Postgresql","Mysql"]}},` +
		`"response_validators":[{"json_path":"$.data.status","expected_values":["ok"]}],"signing_secrets":["whsec_%s"]}`
	masked = fmt.Appendf(nil, def, i, i, "REDACTED", "REDACTED", "REDACTED", "REDACTED")
	full = fmt.Appendf(nil, def, i, i, fmt.Sprintf("%032x", i), fmt.Sprintf("Bearer %040x", i*7), fmt.Sprintf("%032x", i*13), fmt.Sprintf("%032x", i*17))
	return masked, full
}

// Definitions made from one preset cost Memory about the bytes in which
// they differ, not their whole JSON twice over: 2,000 of them (1,170
// bytes of definition and secrets each) hold at most 700 bytes of heap
// each, the store's indexes and revision included.
func TestMemorySharesWhatDefinitionsHaveInCommon(t *testing.T) {
	const defs = 2000
	ctx := t.Context()
	before := heapAlloc()
	m := defstore.NewMemory()
	size := 0
	for i := range defs {
		masked, full := presetDefinition(i)
		size += len(masked) + len(full)
		_, err := m.Create(ctx, defstore.Record{
			ID: fmt.Sprintf("%032x", i), Name: fmt.Sprint("Torq ", i), Active: true,
			Triggers: []string{"RequestCreated"}, Definition: masked, Secrets: full,
		}, "admin@example.com", 0)
		require.NoError(t, err)
	}
	perDef := float64(heapAlloc()-before) / defs
	runtime.KeepAlive(m)
	t.Logf("%.0f bytes of heap per definition of %d bytes", perDef, size/defs)
	require.LessOrEqual(t, perDef, 700.0)

	for _, i := range []int{0, 1, 999, defs - 1} {
		masked, full := presetDefinition(i)
		got, err := m.Get(ctx, "", fmt.Sprintf("%032x", i))
		require.NoError(t, err)
		require.Equal(t, masked, got.Definition)
		require.Equal(t, full, got.Secrets)
	}
}

// Memory gives back every definition's bytes as written, whatever they
// share with others: random mixes of a few presets, fragments and noise,
// short and empty ones, rewritten by Update and ReplaceSecrets.
func TestMemoryKeepsBytesExactly(t *testing.T) {
	ctx := t.Context()
	rng := rand.New(rand.NewPCG(3, 4))
	noise := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		return b
	}
	presets := [][]byte{noise(600), bytes.Repeat([]byte("abcdefgh"), 100), []byte(`{"url":"https://example.com/hook"}`), noise(5000)}
	some := func() []byte {
		var b []byte
		for range rng.IntN(6) {
			switch p := presets[rng.IntN(len(presets))]; rng.IntN(4) {
			case 0:
				b = append(b, noise(rng.IntN(40))...)
			case 1:
				i := rng.IntN(len(p))
				b = append(b, p[i:i+rng.IntN(len(p)-i)]...)
			case 2:
				b = append(b, b...) // repeats itself
			default:
				b = append(b, p...)
			}
		}
		if len(b) == 0 && rng.IntN(2) == 0 {
			return nil
		}
		return b
	}
	m := defstore.NewMemory()
	want := map[string][2][]byte{}
	for i := range 3000 {
		id := fmt.Sprint(rng.IntN(500))
		def, sec := some(), some()
		_, err := m.Create(ctx, defstore.Record{ID: id, Name: id, Definition: def, Secrets: sec}, "a", 0)
		switch {
		case err == nil:
		case i%3 == 0:
			_, err = m.Update(ctx, defstore.Record{ID: id, Name: id, Definition: def, Secrets: sec}, defstore.AnyVersion, "a")
		case i%3 == 1:
			def = want[id][0]
			err = m.ReplaceSecrets(ctx, "", id, defstore.AnyVersion, sec, "a")
		default:
			err = m.Delete(ctx, "", id, defstore.AnyVersion, "a")
			delete(want, id)
			require.NoError(t, err)
			continue
		}
		require.NoError(t, err)
		want[id] = [2][]byte{def, sec}
	}
	for id, w := range want {
		got, err := m.Get(ctx, "", id)
		require.NoError(t, err)
		require.Equal(t, len(w[0]), len(got.Definition), id)
		require.True(t, bytes.Equal(w[0], got.Definition), id)
		require.True(t, bytes.Equal(w[1], got.Secrets), id)
	}
}

// heapAlloc returns the bytes of live heap objects after a collection.
func heapAlloc() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// BenchmarkMemoryReadPreset measures Get and a List of 100 among 2,000
// definitions made from one preset (see presetDefinition), whose bytes
// Memory unpacks at each read.
func BenchmarkMemoryReadPreset(b *testing.B) {
	const defs = 2000
	ctx := b.Context()
	m := defstore.NewMemory()
	for i := range defs {
		masked, full := presetDefinition(i)
		_, err := m.Create(ctx, defstore.Record{
			ID: fmt.Sprintf("%032x", i), Name: fmt.Sprint("Torq ", i), Active: true,
			Triggers: []string{"RequestCreated"}, Definition: masked, Secrets: full,
		}, "admin@example.com", 0)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Run("Get", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i = (i + 7919) % defs
			if _, err := m.Get(ctx, "", fmt.Sprintf("%032x", i)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("List100", func(b *testing.B) {
		for b.Loop() {
			if page, err := m.List(ctx, "", defstore.ListOptions{Limit: 100}); err != nil || len(page.Records) != 100 {
				b.Fatal(err)
			}
		}
	})
}
