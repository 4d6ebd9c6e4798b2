// Package bodyread reads a response body up to a bound, into a buffer
// sized once for the length the response announced: validate.Read and the
// Dispatcher's attempts share it.
package bodyread

import (
	"io"
	"math"
)

// maxUpFront bounds the room made before a byte is read.
const maxUpFront = 1 << 20

// Read reads r until EOF or one byte past limit, whichever comes first,
// and returns what it read: a body longer than limit shows as limit+1
// bytes (a limit of math.MaxInt64 reads it whole). It reads into buf's
// room, reused from its start, grown at most once to fit a body whose
// length is announced (-1 when it is not) up to 1 MiB; a larger one grows
// it as the bytes come. On a read error it returns what it read along with the error.
func Read(buf []byte, r io.Reader, limit, announced int64) ([]byte, error) {
	n := limit + 1 // one more byte tells a longer body
	if n <= 0 {
		n = math.MaxInt64 // no longer body than limit can be told
	}
	size := int64(512)
	if announced >= 0 {
		// Room to see EOF without growing; a length past n sizes no more,
		// and cannot overflow. A length is only announced: past
		// maxUpFront the buffer grows with what arrives.
		size = min(announced, n-1, maxUpFront-1) + 1
	}
	buf = buf[:0]
	if want := min(size, n); int64(cap(buf)) < want {
		buf = make([]byte, 0, want)
	}
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // let append pick the growth
		}
		m, err := r.Read(buf[len(buf):min(int64(cap(buf)), n)])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}
