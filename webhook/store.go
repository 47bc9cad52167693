package webhook

import (
	"errors"
	"maps"
	"net/http"
	"sync"
	"sync/atomic"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// Effective is what the handler needs to admit a pod in one namespace.
type Effective struct {
	// Policy is the cluster policy, merged with the namespace's policy when
	// the namespace has a valid one.
	Policy *policy.Policy
	// Warnings are the merge's warnings, such as values clamped to the
	// cluster's caps; they go back to the client with the admission response.
	Warnings []string
	// Status is the scaler's latest valid capacity status.
	Status v1alpha1.CapacityStatus
	// Source is the ConfigMap of the namespace's policy when it has one in
	// force, else of the cluster policy (empty when not known): where an
	// Event about the policy goes.
	Source types.NamespacedName
	// Images is the scaler's latest valid image-platform cache.
	Images policy.ImagePlatforms
}

// Store holds the last good policies and capacity status. Readers never
// block: every update builds a new snapshot and swaps it in, so that the
// admission path is a pointer load and a map lookup.
type Store struct {
	mu   sync.Mutex // serialises writers
	snap atomic.Pointer[snapshot]
}

type snapshot struct {
	cluster       *policy.Policy
	clusterSource types.NamespacedName
	namespaces    map[string]nsPolicy
	status        v1alpha1.CapacityStatus
	images        policy.ImagePlatforms
}

// nsPolicy is a namespace's last good policy document, and the effective
// policy it gives under the current cluster policy (nil when there is no
// cluster policy yet, or when the document no longer fits the cluster's).
type nsPolicy struct {
	source    types.NamespacedName
	data      []byte
	effective *policy.Policy
	warnings  []string
}

// NewStore returns an empty store; it is not ready until SetCluster.
func NewStore() *Store {
	s := &Store{}
	s.snap.Store(&snapshot{namespaces: map[string]nsPolicy{}})
	return s
}

// Lookup returns the effective policy for namespace, and false while no
// valid cluster policy has been loaded.
func (s *Store) Lookup(namespace string) (Effective, bool) {
	snap := s.snap.Load()
	if snap.cluster == nil {
		return Effective{}, false
	}
	if ns, ok := snap.namespaces[namespace]; ok && ns.effective != nil {
		return Effective{Policy: ns.effective, Warnings: ns.warnings, Status: snap.status, Images: snap.images, Source: ns.source}, true
	}
	return Effective{Policy: snap.cluster, Status: snap.status, Images: snap.images, Source: snap.clusterSource}, true
}

// Cluster returns the cluster policy in force, or nil.
func (s *Store) Cluster() *policy.Policy { return s.snap.Load().cluster }

// update applies fn to a copy of the current snapshot and publishes it.
func (s *Store) update(fn func(*snapshot)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := *s.snap.Load()
	next.namespaces = maps.Clone(next.namespaces)
	fn(&next)
	s.snap.Store(&next)
}

// SetCluster puts a valid cluster policy in force and re-merges every
// namespace's last good document under it. A document that no longer fits
// leaves its namespace on the cluster policy; the watcher then reloads each
// namespace's current document and reports the ones that do not fit.
func (s *Store) SetCluster(p *policy.Policy) { s.SetClusterFrom(p, types.NamespacedName{}) }

// SetClusterFrom is SetCluster for a policy read from the ConfigMap source.
func (s *Store) SetClusterFrom(p *policy.Policy, source types.NamespacedName) {
	s.update(func(snap *snapshot) {
		snap.cluster, snap.clusterSource = p, source
		for name, ns := range snap.namespaces {
			ns.effective, ns.warnings, _ = policy.Merge(p, ns.data)
			snap.namespaces[name] = ns
		}
	})
}

// SetNamespace merges a namespace policy document with the cluster policy
// and puts it in force for its namespace. An invalid document changes
// nothing: the namespace keeps its last good policy. Before any cluster
// policy is loaded the document is kept and merged once one is.
func (s *Store) SetNamespace(source types.NamespacedName, data []byte) (*policy.Policy, []string, field.ErrorList) {
	var (
		eff   *policy.Policy
		warns []string
		errs  field.ErrorList
	)
	s.update(func(snap *snapshot) {
		if snap.cluster != nil {
			eff, warns, errs = policy.Merge(snap.cluster, data)
			if len(errs) > 0 {
				return
			}
		}
		snap.namespaces[source.Namespace] = nsPolicy{source: source, data: data, effective: eff, warnings: warns}
	})
	return eff, warns, errs
}

// DeleteNamespace drops the namespace policy that came from source, if it
// is the one in force.
func (s *Store) DeleteNamespace(source types.NamespacedName) {
	s.update(func(snap *snapshot) {
		if ns, ok := snap.namespaces[source.Namespace]; ok && ns.source == source {
			delete(snap.namespaces, source.Namespace)
		}
	})
}

// NamespaceSource returns the ConfigMap whose policy is in force for
// namespace, if any.
func (s *Store) NamespaceSource(namespace string) (types.NamespacedName, bool) {
	ns, ok := s.snap.Load().namespaces[namespace]
	return ns.source, ok
}

// SetStatus puts a capacity status in force.
func (s *Store) SetStatus(st v1alpha1.CapacityStatus) {
	s.update(func(snap *snapshot) { snap.status = st })
}

// SetImages puts an image-platform cache in force.
func (s *Store) SetImages(ip policy.ImagePlatforms) {
	s.update(func(snap *snapshot) { snap.images = ip })
}

// ReadyCheck is a readyz checker that passes once a valid cluster policy is
// loaded: before that, the webhook would admit every pod unmutated.
func (s *Store) ReadyCheck(_ *http.Request) error {
	if s.Cluster() == nil {
		return errors.New("no valid cluster policy loaded yet")
	}
	return nil
}
