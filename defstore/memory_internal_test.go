package defstore

import (
	"context"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// Memory keeps a definition's id and name in one allocation of its own:
// never the caller's strings, which may hold a larger buffer alive, even
// when the name is empty.
func TestMemoryOwnsIDAndName(t *testing.T) {
	m := NewMemory()
	// Longer than the allocator's tiny blocks, which pack small strings.
	const id1, name1, id2 = "wh-0f6a2c1e-5b8d-4e1f-9a3b", "the first hook of many", "wh-7c91d4aa-02e3-4b6f-8d15"
	buf := []byte(id1 + name1 + id2)
	named := Record{Tenant: "t", ID: string(buf[:len(id1)]), Name: string(buf[len(id1) : len(id1)+len(name1)]), Definition: []byte(`{}`)}
	unnamed := Record{Tenant: "t", ID: string(buf[len(id1)+len(name1):]), Definition: []byte(`{}`)}
	for _, rec := range []Record{named, unnamed} {
		_, err := m.Create(context.Background(), rec, "test", 0)
		require.NoError(t, err)
	}
	e := m.tenants["t"].byID[id1]
	require.Equal(t, id1, e.id)
	require.Equal(t, name1, e.name)
	require.Equal(t, addr(e.id)+uintptr(len(id1)), addr(e.name), "one allocation")
	require.NotEqual(t, addr(named.ID), addr(e.id), "the caller's id")

	e = m.tenants["t"].byID[id2]
	require.Equal(t, id2, e.id)
	require.Empty(t, e.name)
	require.NotEqual(t, addr(unnamed.ID), addr(e.id), "the caller's id")
}

func addr(s string) uintptr { return uintptr(unsafe.Pointer(unsafe.StringData(s))) }
