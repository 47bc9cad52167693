package corpus_test

import (
	"bytes"
	"context"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/stretchr/testify/require"

	"jobfit.dev/jobfit/hack/sim/trace"
	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/scaler/images"
	"jobfit.dev/jobfit/test/corpus"
	"jobfit.dev/jobfit/test/registry"
)

// Assumptions of BenchmarkImageCacheWarmup (docs/performance.md).
const (
	// warmupRTTSigma shapes the delay added to every registry request
	// (log-normal around the sub-benchmark's median).
	warmupRTTSigma = 0.5
	// warmupPublish is the time from the end of a resolver pass to the
	// webhook answering from it: the ConfigMap apply, the watch event and
	// the reload.
	warmupPublish = 500 * time.Millisecond
	// warmupConcurrency and warmupPerPass are the controller's defaults.
	warmupConcurrency = 4
	warmupPerPass     = 64
)

// BenchmarkImageCacheWarmup measures how fast the image-platform cache
// warms for the jobs of a realistic morning: the replay's sample trace
// (hack/sim, seed 1, 2 hours), each job given the job images of one
// golden corpus case, chosen by its project and job name so that a job
// keeps its images across pipelines.
//
// Admissions are replayed in trace time. The resolver works as the
// scaler's controller does: a job pod's creation starts a pass when none
// runs (else one more pass follows it), a pass resolves the due images,
// warmupConcurrency at a time, and the webhook knows them warmupPublish
// after the pass ends. Each pass runs for real, with images.Resolver
// against the in-process registry serving every corpus image, each request
// delayed by a log-normal round trip (median 120 ms, and 1 s for a slow
// registry); its measured wall time advances the
// trace clock. It reports the distinct images, the admissions that missed
// an image, those of them that saw no image for the first time (a job
// that came while its images were being resolved), when the last miss
// came (minutes into the morning) and the mean pass time.
func BenchmarkImageCacheWarmup(b *testing.B) {
	jobs := sampleJobs(b)
	sets := corpusImageSets(b)
	reg := registry.Start(b)
	refs := map[string]string{}
	for _, set := range sets {
		for _, img := range set {
			if _, ok := refs[img]; !ok {
				repo := "corpus/" + strconv.Itoa(len(refs)) + ":1"
				reg.PushIndex(b, repo, registry.AMD64, registry.ARM64)
				refs[img] = reg.Ref(repo)
			}
		}
	}
	// 120 ms: a registry across the internet; 1 s: a slow one.
	for _, rtt := range []time.Duration{120 * time.Millisecond, time.Second} {
		b.Run("rtt="+rtt.String(), func(b *testing.B) {
			transport := &delayed{next: http.DefaultTransport.(*http.Transport).Clone(), median: rtt, rng: rand.New(rand.NewPCG(1, 2))}
			for range b.N {
				w := newWarmup(transport)
				for _, j := range jobs {
					var imgs []string
					for _, img := range sets[caseOf(j, len(sets))] {
						imgs = append(imgs, refs[img])
					}
					w.admit(j.Arrival, imgs)
				}
				b.ReportMetric(float64(len(w.seen)), "images")
				b.ReportMetric(float64(len(jobs)), "admissions")
				b.ReportMetric(float64(w.misses), "missed-admissions")
				b.ReportMetric(float64(w.repeats), "repeat-misses")
				b.ReportMetric(w.lastMiss.Sub(jobs[0].Arrival).Minutes(), "last-miss-min")
				b.ReportMetric(w.passTime.Seconds()/float64(max(w.passes, 1)), "s/pass")
			}
		})
	}
}

// warmup is the replay's state: the resolver's cache, what the webhook
// knows, and the pass in progress (in trace time).
type warmup struct {
	transport http.RoundTripper
	cache     *images.Cache
	known     map[string]bool
	seen      map[string]bool
	passEnd   time.Time
	queued    bool
	publish   []publication

	misses   int
	repeats  int // misses of admissions that saw no image for the first time
	lastMiss time.Time
	passes   int
	passTime time.Duration
}

type publication struct {
	at   time.Time
	refs []string
}

func newWarmup(t http.RoundTripper) *warmup {
	return &warmup{transport: t, cache: images.NewCache(images.DefaultLimits), known: map[string]bool{}, seen: map[string]bool{}}
}

// admit is one job pod's admission at t, and the pod's creation event.
func (w *warmup) admit(t time.Time, imgs []string) {
	w.advance(t)
	miss, first := false, false
	for _, img := range imgs {
		first = first || !w.seen[img]
		w.seen[img] = true
		w.cache.Touch(img, t)
		miss = miss || !w.known[img]
	}
	if miss {
		w.misses++
		w.lastMiss = t
		if !first {
			w.repeats++
		}
	}
	if t.Before(w.passEnd) {
		w.queued = true
		return
	}
	w.pass(t)
}

// advance publishes what passes ended by t, and runs a queued pass when
// the one before it ends.
func (w *warmup) advance(t time.Time) {
	for {
		if w.queued && !w.passEnd.After(t) {
			w.queued = false
			w.pass(w.passEnd)
			continue
		}
		break
	}
	keep := w.publish[:0]
	for _, p := range w.publish {
		if p.at.After(t) {
			keep = append(keep, p)
			continue
		}
		for _, ref := range p.refs {
			w.known[ref] = true
		}
	}
	w.publish = keep
}

// pass resolves the due images for real and records its wall time as
// trace time from start. A fresh Resolver per pass lets each pass use the
// per-registry burst: between passes, trace time (minutes) refills it.
func (w *warmup) pass(start time.Time) {
	due := w.cache.Due(start, warmupPerPass)
	if len(due) == 0 {
		return
	}
	o := images.DefaultResolverOptions
	o.Transport = w.transport
	r := images.NewResolver(o)
	began := time.Now()
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		sem = make(chan struct{}, warmupConcurrency)
		ok  []string
	)
	for _, ref := range due {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			platforms, err := r.Resolve(context.Background(), ref, authn.NewMultiKeychain())
			mu.Lock()
			defer mu.Unlock()
			w.cache.Record(ref, platforms, err, start)
			if err == nil {
				ok = append(ok, ref)
			}
		}()
	}
	wg.Wait()
	took := time.Since(began)
	w.passes++
	w.passTime += took
	w.passEnd = start.Add(took)
	w.publish = append(w.publish, publication{at: w.passEnd.Add(warmupPublish), refs: ok})
}

// delayed adds a log-normal round trip around median to every request.
type delayed struct {
	next   http.RoundTripper
	median time.Duration
	mu     sync.Mutex
	rng    *rand.Rand
}

func (d *delayed) RoundTrip(req *http.Request) (*http.Response, error) {
	d.mu.Lock()
	wait := time.Duration(float64(d.median) * math.Exp(warmupRTTSigma*d.rng.NormFloat64()))
	d.mu.Unlock()
	time.Sleep(min(wait, 4*d.median))
	return d.next.RoundTrip(req)
}

// sampleJobs is the replay's sample morning.
func sampleJobs(b *testing.B) []trace.Job {
	b.Helper()
	raw, err := trace.Sample(trace.SampleOptions{Seed: 1})
	require.NoError(b, err)
	tr, err := trace.Read(bytes.NewReader(raw))
	require.NoError(b, err)
	require.NotEmpty(b, tr.Jobs)
	return tr.Jobs
}

// corpusImageSets are the job images of each golden corpus case.
func corpusImageSets(b *testing.B) [][]string {
	b.Helper()
	var sets [][]string
	for _, f := range corpus.Inputs(b, "../../policy/testdata") {
		if imgs := policy.JobImages(corpus.Read(b, f).Pod); len(imgs) > 0 {
			sets = append(sets, imgs)
		}
	}
	require.NotEmpty(b, sets)
	return sets
}

// caseOf picks a job's corpus case by its project and job name: a job
// runs the same images in every pipeline.
func caseOf(j trace.Job, n int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(strconv.FormatInt(j.ProjectID, 10) + "/" + j.Name))
	return int(h.Sum32() % uint32(n))
}
