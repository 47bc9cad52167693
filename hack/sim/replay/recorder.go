// Package replay runs a trace's jobs as GitLab Runner would, against a
// cluster, and records what happened to every job pod and every node.
package replay

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	toolscache "k8s.io/client-go/tools/cache"
	resourcehelper "k8s.io/component-helpers/resource"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"jobfit.dev/jobfit/hack/sim/trace"
)

// JobRecord is what happened to one job, in wall time.
type JobRecord struct {
	Job    trace.Job
	Intent Intent
	Pod    string
	// Created is when the replay sent the pod; Bound when it was first
	// seen bound to a node; Running when it was first seen Running; Ended
	// when the replay deleted it (or it vanished).
	Created, Bound, Running, Ended time.Time
	// Preempted: the scheduler nominated a node for it (status.
	// nominatedNodeName) before binding it, which it does when the pod
	// fits only once lower-priority pods (placeholders) are preempted.
	Preempted bool
	// Node is where it ran; Images the images its pod runs (init
	// containers first) and CPU its requested CPU in cores, as the pod was
	// when it started Running (after the webhook).
	Node   string
	Images []string
	CPU    float64
	// Scheduler is the pod's spec.schedulerName (after the webhook).
	Scheduler string
	// Pull is how long (wall time) it pulled images on its node before
	// its script could start.
	Pull time.Duration
	// FailedPoll: not Running within the poll timeout.
	FailedPoll bool
	// Disrupted: deleted, evicted or failed while running, by anything
	// other than the replay.
	Disrupted bool
	// Index is the job's place in the trace; Attempt is 0 for the job's
	// first pod and counts up for its retries. Interrupted: a spot
	// interruption killed this attempt.
	Index, Attempt int
	Interrupted    bool

	simDeleting bool
	running     chan struct{}
	// gone is closed when the pod went away.
	gone chan struct{}
}

// NodeInfo is the arch and capacity type of a node, and when the replay
// first saw it.
type NodeInfo struct {
	Arch, Capacity, InstanceType string
	Seen                         time.Time
}

// ClaimRecord is one NodeClaim's life, in wall time: an instance billed from
// launch to termination.
type ClaimRecord struct {
	Name string
	Info NodeInfo
	// CPU is the node's allocatable CPU in cores (status.allocatable,
	// which Karpenter sets at launch).
	CPU     float64
	Created time.Time
	Deleted time.Time
}

// Recorder watches job pods, nodes and NodeClaims.
type Recorder struct {
	mu        sync.Mutex
	namespace string
	jobs      []*JobRecord
	byPod     map[string]*JobRecord
	nodes     map[string]NodeInfo
	claims    map[string]*ClaimRecord
	now       func() time.Time
}

// NewRecorder prepares the records of jobs.
func NewRecorder(namespace string, jobs []*JobRecord) *Recorder {
	r := &Recorder{namespace: namespace, jobs: jobs, byPod: map[string]*JobRecord{}, nodes: map[string]NodeInfo{},
		claims: map[string]*ClaimRecord{}, now: time.Now}
	for _, j := range jobs {
		j.running, j.gone = make(chan struct{}), make(chan struct{})
		r.byPod[j.Pod] = j
	}
	return r
}

// Add records one more attempt of a job (a retry).
func (r *Recorder) Add(j *JobRecord) {
	r.mu.Lock()
	defer r.mu.Unlock()
	j.running, j.gone = make(chan struct{}), make(chan struct{})
	r.jobs = append(r.jobs, j)
	r.byPod[j.Pod] = j
}

// MarkInterrupted records that a spot interruption is about to kill pod's
// job; false if pod is not one of the replay's or is already gone.
func (r *Recorder) MarkInterrupted(pod string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	j := r.byPod[pod]
	if j == nil || !j.Ended.IsZero() {
		return false
	}
	j.Interrupted = true
	return true
}

// Watch registers the recorder's handlers on the informers of c.
func (r *Recorder) Watch(ctx context.Context, c cache.Cache) error {
	for obj, h := range map[client.Object]toolscache.ResourceEventHandlerFuncs{
		&corev1.Pod{}:       {AddFunc: r.pod, UpdateFunc: func(_, o any) { r.pod(o) }, DeleteFunc: r.podGone},
		&corev1.Node{}:      {AddFunc: r.node, UpdateFunc: func(_, o any) { r.node(o) }},
		&karpv1.NodeClaim{}: {AddFunc: r.claim, UpdateFunc: func(_, o any) { r.claim(o) }, DeleteFunc: r.claimGone},
	} {
		inf, err := c.GetInformer(ctx, obj)
		if err != nil {
			return fmt.Errorf("informer for %T: %w", obj, err)
		}
		if _, err := inf.AddEventHandler(h); err != nil {
			return fmt.Errorf("handler for %T: %w", obj, err)
		}
	}
	return nil
}

func (r *Recorder) pod(o any) {
	pod, ok := o.(*corev1.Pod)
	if !ok || pod.Namespace != r.namespace {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	j := r.byPod[pod.Name]
	if j == nil {
		return
	}
	if j.Bound.IsZero() {
		if pod.Spec.NodeName != "" {
			j.Bound = r.now()
		} else if pod.Status.NominatedNodeName != "" {
			j.Preempted = true
		}
	}
	if pod.Status.Phase == corev1.PodRunning && j.Running.IsZero() && pod.DeletionTimestamp == nil {
		j.Running, j.Node = r.now(), pod.Spec.NodeName
		j.Images, j.CPU, j.Scheduler = podImages(pod), podCPU(pod), pod.Spec.SchedulerName
		close(j.running)
	}
	gone := pod.DeletionTimestamp != nil || pod.Status.Phase == corev1.PodFailed || pod.Status.Phase == corev1.PodSucceeded
	if gone {
		r.ended(j)
	}
}

func (r *Recorder) podGone(o any) {
	if t, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
		o = t.Obj
	}
	pod, ok := o.(*corev1.Pod)
	if !ok || pod.Namespace != r.namespace {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if j := r.byPod[pod.Name]; j != nil {
		r.ended(j)
	}
}

// ended marks a job's pod gone; held r.mu.
func (r *Recorder) ended(j *JobRecord) {
	if !j.Ended.IsZero() {
		return
	}
	if !j.simDeleting && !j.Running.IsZero() {
		j.Disrupted = true
	}
	if j.simDeleting || j.Interrupted || !j.Running.IsZero() {
		j.Ended = r.now()
		close(j.gone)
	}
}

func (r *Recorder) node(o any) {
	n, ok := o.(*corev1.Node)
	if !ok {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := r.nodes[n.Name].Seen
	if seen.IsZero() {
		seen = r.now()
	}
	r.nodes[n.Name] = NodeInfo{Arch: n.Labels[corev1.LabelArchStable], Capacity: n.Labels[karpv1.CapacityTypeLabelKey],
		InstanceType: n.Labels[corev1.LabelInstanceTypeStable], Seen: seen}
}

func (r *Recorder) claim(o any) {
	nc, ok := o.(*karpv1.NodeClaim)
	if !ok {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	rec := r.claims[nc.Name]
	if rec == nil {
		rec = &ClaimRecord{Name: nc.Name, Created: r.now()}
		r.claims[nc.Name] = rec
	}
	if it := nc.Labels[corev1.LabelInstanceTypeStable]; it != "" {
		rec.Info = NodeInfo{Arch: nc.Labels[corev1.LabelArchStable], Capacity: nc.Labels[karpv1.CapacityTypeLabelKey], InstanceType: it}
	}
	if cpu, ok := nc.Status.Allocatable[corev1.ResourceCPU]; ok {
		rec.CPU = cpu.AsApproximateFloat64()
	}
}

func (r *Recorder) claimGone(o any) {
	if t, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
		o = t.Obj
	}
	nc, ok := o.(*karpv1.NodeClaim)
	if !ok {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if rec := r.claims[nc.Name]; rec != nil && rec.Deleted.IsZero() {
		rec.Deleted = r.now()
	}
}

// podImages are the distinct images of pod's containers, init containers
// first, in the order a kubelet pulls them.
func podImages(pod *corev1.Pod) []string {
	var out []string
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, c := range cs {
			if !slices.Contains(out, c.Image) {
				out = append(out, c.Image)
			}
		}
	}
	return out
}

// podCPU is pod's requested CPU in cores, as the scheduler counts it
// (init containers, sidecars and overhead included).
func podCPU(pod *corev1.Pod) float64 {
	cpu := resourcehelper.PodRequests(pod, resourcehelper.PodResourcesOptions{})[corev1.ResourceCPU]
	return cpu.AsApproximateFloat64()
}

// Snapshot copies the records: jobs, nodes by name and NodeClaims.
func (r *Recorder) Snapshot() ([]JobRecord, map[string]NodeInfo, []ClaimRecord) {
	r.mu.Lock()
	defer r.mu.Unlock()
	jobs := make([]JobRecord, len(r.jobs))
	for i, j := range r.jobs {
		jobs[i] = *j
		jobs[i].running, jobs[i].gone = nil, nil
	}
	nodes := make(map[string]NodeInfo, len(r.nodes))
	for k, v := range r.nodes {
		nodes[k] = v
	}
	claims := make([]ClaimRecord, 0, len(r.claims))
	for _, c := range r.claims {
		claims = append(claims, *c)
	}
	return jobs, nodes, claims
}
