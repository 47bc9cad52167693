package main

import (
	"context"
	"fmt"
	"time"

	"jobfit.dev/jobfit/hack/sim/replay"
	"jobfit.dev/jobfit/hack/stack"
)

// killScheduler kills both packing-scheduler processes with SIGKILL at the
// --kill-scheduler window's start (trace time), so that its Lease stays
// held until it expires, and starts them again at its end.
func killScheduler(ctx context.Context, o *options, b *stack.Binpack, clock replay.Clock) error {
	for _, step := range []struct {
		at   time.Duration
		kill bool
	}{{o.killStart, true}, {o.killStart + o.killLength, false}} {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Until(clock.WallAt(clock.Start.Add(step.at)))):
		}
		if step.kill {
			if err := b.Kill(); err != nil {
				return fmt.Errorf("killing the packing scheduler: %w", err)
			}
			logf("packing scheduler: both processes killed (SIGKILL, Lease %s/%s not released) at trace time %s", b.Namespace, b.Lease, step.at)
			continue
		}
		if err := b.Restart(); err != nil {
			return fmt.Errorf("restarting the packing scheduler: %w", err)
		}
		logf("packing scheduler: started again at trace time %s", step.at)
	}
	return nil
}
