package policy

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// jobVarPrefix is the prefix of GitLab's job resource variables for each
// kind of container (the runner's KUBERNETES_* overwrites).
var jobVarPrefix = []struct{ kind, prefix string }{
	{v1alpha1.ContainerBuild, "KUBERNETES_"},
	{v1alpha1.ContainerHelper, "KUBERNETES_HELPER_"},
	{v1alpha1.ContainerServices, "KUBERNETES_SERVICE_"},
}

// jobVarResources maps the resource token of a variable name to its resource.
var jobVarResources = []struct {
	token string
	name  corev1.ResourceName
}{
	{"CPU", corev1.ResourceCPU},
	{"MEMORY", corev1.ResourceMemory},
	{"EPHEMERAL_STORAGE", corev1.ResourceEphemeralStorage},
}

// JobResourceVariables lists the 18 job variables resources.jobVariables
// reads, e.g. KUBERNETES_CPU_REQUEST and KUBERNETES_SERVICE_MEMORY_LIMIT.
func JobResourceVariables() []string {
	var out []string
	for _, k := range jobVarPrefix {
		for _, r := range jobVarResources {
			out = append(out, k.prefix+r.token+"_REQUEST", k.prefix+r.token+"_LIMIT")
		}
	}
	return out
}

// jobVarValues are the requests and limits the job's variables ask for one
// kind of container, already clamped to resources.max.
type jobVarValues struct {
	requests, limits corev1.ResourceList
	names            []string // the variables that set them
}

// applyJobVariables raises requests and limits to what the job's resource
// variables ask, as GitLab Runner would with *_overwrite_max_allowed, but
// clamped to resources.max with a warning instead of failing the job.
func (a *applier) applyJobVariables() {
	for _, k := range jobVarPrefix {
		want := a.readJobVars(k.prefix)
		if len(want.names) == 0 {
			continue
		}
		for i := range a.pod.Spec.Containers {
			c := &a.pod.Spec.Containers[i]
			if containerKind(c.Name) != k.kind {
				continue
			}
			changed := a.raiseFromVars(c, want)
			a.dec.add(MutJobResources, c.Name+": "+want.String(), "variables "+strings.Join(want.names, ", "), changed)
		}
	}
}

func containerKind(name string) string {
	if name == v1alpha1.ContainerBuild || name == v1alpha1.ContainerHelper {
		return name
	}
	return v1alpha1.ContainerServices
}

// String lists the values, e.g. "requests.cpu=3 limits.memory=32Gi".
func (v jobVarValues) String() string {
	var parts []string
	for _, name := range sortedKeys(v.requests) {
		q := v.requests[name]
		parts = append(parts, "requests."+string(name)+"="+q.String())
	}
	for _, name := range sortedKeys(v.limits) {
		q := v.limits[name]
		parts = append(parts, "limits."+string(name)+"="+q.String())
	}
	return strings.Join(parts, " ")
}

func (a *applier) readJobVars(prefix string) jobVarValues {
	v := jobVarValues{requests: corev1.ResourceList{}, limits: corev1.ResourceList{}}
	for _, r := range jobVarResources {
		for _, l := range []struct {
			suffix string
			list   corev1.ResourceList
		}{{"_REQUEST", v.requests}, {"_LIMIT", v.limits}} {
			name := prefix + r.token + l.suffix
			if q, ok := a.jobVarQty(name, r.name); ok {
				l.list[r.name] = q
				v.names = append(v.names, name)
			}
		}
	}
	return v
}

// jobVarQty parses one variable. A bad value is a warning, never an error:
// the job must not fail because of jobfit.
func (a *applier) jobVarQty(name string, res corev1.ResourceName) (resource.Quantity, bool) {
	raw := strings.TrimSpace(a.env[name])
	if raw == "" {
		return resource.Quantity{}, false
	}
	q, err := resource.ParseQuantity(raw)
	if err != nil || q.Sign() < 0 {
		a.dec.warn("variable " + name + "=" + raw + " is not a quantity such as 500m, 2 or 4Gi; ignored")
		return resource.Quantity{}, false
	}
	if mx, capped := v1alpha1.QuantityOf(a.p.Resources.Max, res); capped && q.Cmp(mx) > 0 {
		a.dec.warn("variable " + name + "=" + raw + " clamped to " + mx.String() + " by resources.max." + string(res))
		q = mx
	}
	return q, true
}

// raiseFromVars raises the container's requests and limits to the
// variables' values; a value the runner set higher is kept. A request that
// ends above its limit raises the limit, as size classes do, so the pod
// stays valid and the job gets what it asked.
func (a *applier) raiseFromVars(c *corev1.Container, want jobVarValues) bool {
	changed := false
	raise := func(list *corev1.ResourceList, name corev1.ResourceName, q resource.Quantity) {
		if old, ok := (*list)[name]; ok && old.Cmp(q) >= 0 {
			return
		}
		setQty(list, name, q)
		changed = true
	}
	for _, name := range sortedKeys(want.requests) {
		raise(&c.Resources.Requests, name, want.requests[name])
	}
	for _, name := range sortedKeys(want.limits) {
		raise(&c.Resources.Limits, name, want.limits[name])
	}
	for _, name := range sortedKeys(c.Resources.Requests) {
		req := c.Resources.Requests[name]
		if lim, ok := c.Resources.Limits[name]; ok && lim.Cmp(req) < 0 {
			a.dec.warn(c.Name + ": limits." + string(name) + "=" + lim.String() + " raised to the request " + req.String() + " asked by the job's variables")
			raise(&c.Resources.Limits, name, req)
		}
	}
	return changed
}
