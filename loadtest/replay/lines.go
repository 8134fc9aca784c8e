package replay

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
)

// Open wraps r so that gzip input is decompressed transparently.
func Open(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	magic, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading input: %w", err)
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("opening gzip input: %w", err)
		}
		return bufio.NewReaderSize(zr, 1<<20), nil
	}
	return br, nil
}

// lineReader returns lines without their terminator. A line longer than max
// is returned cut to max+1 bytes with the rest skipped, so that the caller
// can refuse it without holding it whole.
type lineReader struct {
	r   *bufio.Reader
	max int
	buf []byte
}

func newLineReader(r io.Reader, max int) *lineReader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 1<<20)
	}
	return &lineReader{r: br, max: max}
}

// next returns the next line, valid until the following call, and the bytes
// it occupied in the input.
func (l *lineReader) next() ([]byte, int, error) {
	l.buf = l.buf[:0]
	n := 0
	for {
		frag, err := l.r.ReadSlice('\n')
		n += len(frag)
		if len(l.buf) <= l.max {
			room := l.max + 1 - len(l.buf)
			if len(frag) < room {
				room = len(frag)
			}
			l.buf = append(l.buf, frag[:room]...)
		}
		switch {
		case err == nil:
			return trimEOL(l.buf), n, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if n == 0 {
				return nil, 0, io.EOF
			}
			return trimEOL(l.buf), n, nil
		default:
			return nil, n, fmt.Errorf("reading input: %w", err)
		}
	}
}

func trimEOL(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		b = b[:len(b)-1]
	}
	if len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1]
	}
	return b
}
