package trace

import "time"

// The synthetic working day, 08:00 to 16:00: the morning's pipelines (the
// same stages, projects and run times) arriving at a rate, in pipelines a
// minute, that follows the day:
//
//	08:00-09:00  ramp        0.2 -> 1.2   (the team arrives)
//	09:00-11:30  plateau     1.2
//	11:30-12:30  lunch dip   0.4
//	12:30-14:30  afternoon   1.2
//	14:30-16:00  decline     1.2 -> 0.1   (the team leaves)
//
// Between phases the rate changes linearly in the ramp and the decline and
// steps at lunch. About 450 pipelines, 3,400 jobs.
var dayPhases = []dayPhase{
	{until: 1 * time.Hour, from: 0.2, to: peakRate},
	{until: 3*time.Hour + 30*time.Minute, from: peakRate, to: peakRate},
	{until: 4*time.Hour + 30*time.Minute, from: 0.4, to: 0.4},
	{until: 6*time.Hour + 30*time.Minute, from: peakRate, to: peakRate},
	{until: dayLength, from: peakRate, to: 0.1},
}

// dayLength is how long pipelines arrive in the day.
const dayLength = 8 * time.Hour

// dayPhase is a phase of the day ending at until (from the day's start),
// whose rate goes linearly from from to to.
type dayPhase struct {
	until    time.Duration
	from, to float64
}

// dayRate is the day's pipelines a minute, elapsed into it; past the day's
// end, the last phase's final rate.
func dayRate(elapsed time.Duration) float64 {
	begin := time.Duration(0)
	for _, p := range dayPhases {
		if elapsed < p.until {
			return p.from + (p.to-p.from)*float64(elapsed-begin)/float64(p.until-begin)
		}
		begin = p.until
	}
	return dayPhases[len(dayPhases)-1].to
}
