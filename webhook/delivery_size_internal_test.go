package webhook

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/engine"
)

// A delivery and its engine part, which newDelivery allocates together
// for every match of every Publish, fit the 224-byte allocation size:
// each byte a Publish allocates brings the next collection nearer, and a
// collection marks every definition held.
func TestDeliveryFitsItsAllocationSize(t *testing.T) {
	var both struct {
		d  delivery
		ed engine.Delivery
	}
	require.LessOrEqual(t, unsafe.Sizeof(both), uintptr(224), "bytes of a delivery with its engine part")
}
