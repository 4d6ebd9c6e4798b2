package riverengine

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Each dialect's steps have versions of their own, one step each: a
// database records the versions it ran, so a second step numbered as
// another would never run.
func TestMigrationVersionsAreDistinct(t *testing.T) {
	for _, dialect := range []string{"postgres", "sqlite"} {
		ms, err := migrations(dialect)
		require.NoError(t, err, dialect)
		require.NotEmpty(t, ms, dialect)
		for i, m := range ms {
			require.Equal(t, i+1, m.version, "%s: step %s", dialect, m.name)
		}
	}
}
