// Package schedule answers whether a cron window is open: a window opens at
// each activation of a cron expression (UTC, the ScalerPolicy's syntax,
// Parser) and stays open for a duration. Headroom's scheduled
// minimums use it, and so can any later planner that acts at set times.
package schedule

import (
	"time"

	"github.com/robfig/cron/v3"
)

// Parser parses headroom schedules: five standard fields, UTC.
var Parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Active reports whether the window that spec opens, d long, is open at now.
// A window that opens at 22:00 for 4h is open at 01:00 the next day. An
// expression that does not parse is never active: Validate rejects those,
// so a loaded policy has none.
func Active(spec string, d time.Duration, now time.Time) bool {
	sched, err := Parser.Parse(spec)
	if err != nil {
		return false
	}
	now = now.UTC()
	start := sched.Next(now.Add(-d))
	return !start.IsZero() && !start.After(now)
}
