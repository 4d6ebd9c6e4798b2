package defstore

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/keyring"
)

// held returns every byte Memory holds of definitions' content: the
// packed operations and the bases they copy from.
func held(m *Memory) [][]byte {
	var out [][]byte
	for _, t := range m.tenants {
		for _, e := range t.byID {
			out = append(out, e.data.ops)
			if e.data.base != nil {
				out = append(out, e.data.base.data)
			}
		}
	}
	for _, x := range m.pk.recent {
		if x != nil {
			out = append(out, x.base.data)
		}
	}
	return out
}

// With secrets sealed, as a Dispatcher with a keyring stores them, what
// Memory holds has no secret in clear; and bases are made of definitions
// only, so that the secrets of a deleted definition, even unsealed, are
// not held on in what others copy from.
func TestMemoryHoldsNoSecretInClear(t *testing.T) {
	key, err := keyring.GenerateKey("k1")
	require.NoError(t, err)
	ring, err := keyring.New(key)
	require.NoError(t, err)
	ctx := t.Context()
	const def = `{"id":"hook-%d","url":"https://hooks.example.com/REDACTED","headers":{"Authorization":"REDACTED"},"body_template":"{\"text\":\"{{data.requester.name}}\"}"}`
	const full = `{"id":"hook-%d","url":"https://hooks.example.com/%s","headers":{"Authorization":"Bearer %s"},"body_template":"{\"text\":\"{{data.requester.name}}\"}"}`
	secret := func(i int) string { return fmt.Sprintf("s3cr3t-%08d-token", i) }

	sealed := &Memory{}
	plain := &Memory{}
	for i := range 50 {
		id := fmt.Sprint("hook-", i)
		whole := fmt.Appendf(nil, full, i, secret(i), secret(i))
		box, err := ring.Seal(whole, []byte(id))
		require.NoError(t, err)
		_, err = sealed.Create(ctx, Record{ID: id, Name: id, Definition: fmt.Appendf(nil, def, i), Secrets: box}, "a", 0)
		require.NoError(t, err)
		_, err = plain.Create(ctx, Record{ID: id, Name: id, Definition: fmt.Appendf(nil, def, i), Secrets: whole}, "a", 0)
		require.NoError(t, err)
	}
	for _, b := range held(sealed) {
		for i := range 50 {
			require.False(t, bytes.Contains(b, []byte(secret(i))), "secret %d held in clear", i)
		}
	}
	for i := range 50 {
		require.NoError(t, plain.Delete(ctx, "", fmt.Sprint("hook-", i), AnyVersion, "a"))
	}
	for _, b := range held(plain) {
		for i := range 50 {
			require.False(t, bytes.Contains(b, []byte(secret(i))), "deleted secret %d held", i)
		}
	}
}

// FuzzPack checks that a definition packed against the base of another
// unpacks to its bytes.
func FuzzPack(f *testing.F) {
	f.Add([]byte(`{"url":"https://a.example/x","headers":{"A":"REDACTED"}}`), []byte(`{"url":"https://a.example/y","headers":{"A":"REDACTED"}}`), []byte(`{"url":"https://a.example/y","headers":{"A":"s3cr3t"}}`))
	f.Add([]byte{}, []byte("aaaaaaaaaaaaaaaaaaaaaaaa"), []byte{})
	f.Fuzz(func(t *testing.T, other, def, secrets []byte) {
		var pk packer
		pk.pack(other, nil)
		p := pk.pack(def, secrets)
		want := append(append([]byte(nil), def...), secrets...)
		got := p.unpack()
		if !bytes.Equal(got, want) {
			t.Fatalf("unpacked %q, want %q", got, want)
		}
	})
}

// BenchmarkUnpack measures unpacking a preset definition against copying
// its bytes whole, which is what Memory did before it packed them.
func BenchmarkUnpack(b *testing.B) {
	var pk packer
	def := func(i int) ([]byte, []byte) {
		d := fmt.Appendf(nil, `{"id":"%032x","name":"Torq %d","url":"https://hooks.torq.io/v1/webhooks/REDACTED","headers":{"Authorization":"REDACTED"},"body_template":"{\"body\":{\"event\":\"New Apono {{event_type}} request made by {{data.requester.name}}\"}}","triggers":["RequestCreated"],"filters":{"data.access_groups[].integration.type":{"$in":["Postgresql","Mysql"]}},"response_validators":[{"json_path":"$.data.status","expected_values":["ok"]}]}`, i, i)
		s := bytes.Replace(bytes.Replace(d, []byte("REDACTED"), fmt.Appendf(nil, "%032x", i*7), 1), []byte("REDACTED"), fmt.Appendf(nil, "Bearer %040x", i*13), 1)
		return d, s
	}
	d0, s0 := def(0)
	pk.pack(d0, s0)
	d1, s1 := def(1)
	p := pk.pack(d1, s1)
	whole := append(append([]byte(nil), d1...), s1...)
	b.Run("unpack", func(b *testing.B) {
		for b.Loop() {
			_ = p.unpack()
		}
	})
	b.Run("clone", func(b *testing.B) {
		for b.Loop() {
			_ = bytes.Clone(whole)
		}
	})
}
