package webhook

import (
	"bytes"
	"context"
	"errors"
	"io"

	"golang.org/x/sync/semaphore"
)

const (
	// smallBodyMax is the largest body served from the budget kept for
	// ordinary reviews. A GitLab job pod is 5–30 KiB; one with hundreds of
	// variables stays far below this.
	smallBodyMax = 128 << 10
	// smallBudget is the in-flight memory kept for reviews of at most
	// smallBodyMax bytes: what the requests of a busy replica need, and
	// out of reach of large or stalled ones.
	smallBudget = 32 << 20
	// largeBudget bounds the memory of reviews larger than smallBodyMax
	// (and of chunked ones, which the API server never sends). They are
	// charged their announced size up front (chunked ones the body limit):
	// charged as they arrive, many large requests holding part of the pool
	// each could wait on one another until all time out. A body near the
	// limit takes all of it, so such reviews are served one at a time,
	// beside the ordinary ones.
	largeBudget = 64 << 20
	// firstChunk and maxChunk bound how much of a body is read, and
	// charged, at a time: the first read is small, so that a client that
	// stalls before sending its body holds little, and reads double up to
	// maxChunk, so that a large body takes few reads.
	firstChunk = 8 << 10
	maxChunk   = 64 << 10
)

// errOverloaded is returned when the budget has no room for a request's
// next chunk within admitWait.
var errOverloaded = errors.New("too many admission requests in flight")

// budget bounds the memory that admission requests being read and handled
// may take at once, as estimated from their sizes (costPerByte). Ordinary
// reviews and large ones draw on separate pools, so that large requests,
// stalled or not, never hold the room ordinary job pods need. Ordinary
// reviews are charged as their bytes arrive, not as their Content-Length
// announces, so that many small requests that stall hold little; large
// ones are charged what they announce, from their own pool. Either way the
// server's read deadline (server.go) cuts a stalled client off, and the
// buffer a body is read into grows with what arrived, never with what was
// announced.
type budget struct {
	small, large *semaphore.Weighted
}

func newBudget() budget {
	return budget{small: semaphore.NewWeighted(smallBudget), large: semaphore.NewWeighted(largeBudget)}
}

// charge is what one request holds of a pool.
type charge struct {
	pool *semaphore.Weighted
	size int64 // the pool's size: a weight above it could never be acquired
	held int64
}

// open returns the charge of a request that announced contentLength bytes
// (-1 when unknown), holding minRequestWeight already.
func (b budget) open(ctx context.Context, contentLength int64) (*charge, error) {
	c := &charge{pool: b.small, size: smallBudget}
	announced := int64(0)
	if contentLength < 0 || contentLength > smallBodyMax {
		c.pool, c.size = b.large, largeBudget
		announced = maxReviewSize
		if contentLength > 0 {
			announced = contentLength
		}
	}
	return c, c.grow(ctx, announced)
}

// grow makes the charge cover a body of n bytes.
func (c *charge) grow(ctx context.Context, n int64) error {
	want := min(max(n*costPerByte, minRequestWeight), c.size)
	if want <= c.held {
		return nil
	}
	if err := c.pool.Acquire(ctx, want-c.held); err != nil {
		return errOverloaded
	}
	c.held = want
	return nil
}

// release gives back everything the charge holds.
func (c *charge) release() {
	c.pool.Release(c.held)
	c.held = 0
}

// readCharged reads body, at most limit bytes, charging c before each
// chunk is read: never more than the announced contentLength (-1 when
// unknown), so that an honest client is charged its size. The buffer grows
// with what arrived, never with what was announced. Waiting for room ends
// with ctx.
func readCharged(ctx context.Context, c *charge, body io.Reader, contentLength, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	for step := int64(firstChunk); ; step = min(2*step, maxChunk) {
		next := min(int64(buf.Len())+step, limit+1)
		if contentLength >= 0 {
			next = min(next, contentLength)
		}
		if err := c.grow(ctx, next); err != nil {
			return nil, err
		}
		n, err := buf.ReadFrom(io.LimitReader(body, next-int64(buf.Len())))
		if err != nil {
			return nil, err
		}
		if int64(buf.Len()) > limit {
			return nil, errTooLarge
		}
		if n == 0 || int64(buf.Len()) < next {
			return buf.Bytes(), nil
		}
	}
}

// errTooLarge is a body over the limit.
var errTooLarge = errors.New("body larger than the limit")
