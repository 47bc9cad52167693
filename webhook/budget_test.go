package webhook

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestChargeFollowsWhatArrives: an ordinary review is charged about its
// size, a client that announces a body and stalls holds no more than one
// first chunk's worth, and a large review is charged what it announces
// from the large pool, leaving the ordinary pool alone.
func TestChargeFollowsWhatArrives(t *testing.T) {
	ctx := context.Background()
	t.Run("an honest ordinary review is charged its size", func(t *testing.T) {
		b := newBudget()
		body := bytes.Repeat([]byte("x"), 10<<10)
		c, err := b.open(ctx, int64(len(body)))
		require.NoError(t, err)
		got, err := readCharged(ctx, c, bytes.NewReader(body), int64(len(body)), maxReviewSize)
		require.NoError(t, err)
		assert.Equal(t, body, got)
		assert.Equal(t, int64(len(body))*costPerByte, c.held)
		c.release()
		assert.True(t, b.small.TryAcquire(smallBudget), "everything released")
	})
	t.Run("a stalled ordinary review holds one first chunk", func(t *testing.T) {
		b := newBudget()
		r, w := io.Pipe()
		defer w.Close()
		c, err := b.open(ctx, smallBodyMax)
		require.NoError(t, err)
		done := make(chan error, 1)
		go func() {
			_, err := readCharged(ctx, c, r, smallBodyMax, maxReviewSize)
			done <- err
		}()
		_, err = w.Write([]byte(`{"apiVersion":`))
		require.NoError(t, err)
		// The reader now waits for bytes that never come; what it holds is
		// the rest of the pool's complement.
		require.Eventually(t, func() bool {
			if !b.small.TryAcquire(smallBudget - firstChunk*costPerByte) {
				return false
			}
			b.small.Release(smallBudget - firstChunk*costPerByte)
			return true
		}, 5*time.Second, 10*time.Millisecond)
		assert.False(t, b.small.TryAcquire(smallBudget-firstChunk*costPerByte+1), "it holds the first chunk")
		require.NoError(t, w.CloseWithError(io.ErrUnexpectedEOF))
		assert.Error(t, <-done)
	})
	t.Run("a large review is charged what it announces, from the large pool", func(t *testing.T) {
		b := newBudget()
		c, err := b.open(ctx, 1<<20)
		require.NoError(t, err)
		assert.Equal(t, int64(1<<20)*costPerByte, c.held)
		assert.True(t, b.small.TryAcquire(smallBudget), "the ordinary pool is untouched")
		assert.False(t, b.large.TryAcquire(largeBudget-c.held+1))
	})
	t.Run("a chunked review takes the whole large pool", func(t *testing.T) {
		b := newBudget()
		c, err := b.open(ctx, -1)
		require.NoError(t, err)
		assert.Equal(t, int64(largeBudget), c.held)
	})
	t.Run("a body over the limit is refused", func(t *testing.T) {
		b := newBudget()
		c, err := b.open(ctx, -1)
		require.NoError(t, err)
		_, err = readCharged(ctx, c, bytes.NewReader(make([]byte, 100<<10)), -1, 64<<10)
		assert.ErrorIs(t, err, errTooLarge)
	})
}
