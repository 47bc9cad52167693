package policy

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// fargatePlatform is EKS Fargate: one pod per micro-VM, selected by a
// Fargate profile's labels, amd64 and on-demand only, billed by the size
// rounded up from the pod's requests.
var fargatePlatform = &platform{
	PlatformSpec: v1alpha1.Fargate,
	capacity: func(a *applier) {
		if asked := a.traits.Of(v1alpha1.TraitCapacityType); asked.Value == v1alpha1.CapacitySpot {
			a.dec.warn("EKS Fargate has no spot capacity; " + asked.Source + " asked for spot")
		}
	},
	apply: (*applier).applyFargate,
}

// fargateOverhead is the memory EKS Fargate adds to every pod for the
// kubelet and friends before it picks a size.
const fargateOverhead = 256 << 20

func (a *applier) applyFargate() {
	f := &a.p.Fargate
	if a.arch != "amd64" {
		a.dec.warn("EKS Fargate runs only amd64; the " + a.arch + " pod is left for EC2 nodes")
		return
	}
	if found := fargateUnsupported(&a.pod.Spec); len(found) > 0 {
		if f.Unsupported == v1alpha1.FargateSkip {
			a.dec.warn("pod uses " + strings.Join(found, ", ") + ", which EKS Fargate does not support; left for EC2 nodes (fargate.unsupported: skip)")
			return
		}
		a.stripFargateUnsupported()
		a.dec.add(MutFargateStrip, strings.Join(found, ", "), "fargate.unsupported: strip", true)
		a.dec.warn("stripped for EKS Fargate: " + strings.Join(found, ", "))
	}
	a.applyMap(&a.pod.Labels, f.ProfileLabels, "label", MutFargate)
	if f.RoundResources != nil && *f.RoundResources {
		a.fargateRound()
	}
}

// fargateUnsupported lists what a pod uses that Fargate rejects.
func fargateUnsupported(spec *corev1.PodSpec) []string {
	var found []string
	if spec.HostNetwork {
		found = append(found, "hostNetwork")
	}
	if spec.HostPID || spec.HostIPC {
		found = append(found, "hostPID/hostIPC")
	}
	for _, v := range spec.Volumes {
		if v.HostPath != nil {
			found = append(found, "hostPath volume "+v.Name)
		}
	}
	for _, cs := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for _, c := range cs {
			if sc := c.SecurityContext; sc != nil && sc.Privileged != nil && *sc.Privileged {
				found = append(found, "privileged container "+c.Name)
			}
			for _, p := range c.Ports {
				if p.HostPort != 0 {
					found = append(found, fmt.Sprintf("hostPort %d on %s", p.HostPort, c.Name))
				}
			}
		}
	}
	return found
}

func (a *applier) stripFargateUnsupported() {
	spec := &a.pod.Spec
	spec.HostNetwork, spec.HostPID, spec.HostIPC = false, false, false
	var hostPaths []string
	spec.Volumes = slices.DeleteFunc(spec.Volumes, func(v corev1.Volume) bool {
		if v.HostPath != nil {
			hostPaths = append(hostPaths, v.Name)
		}
		return v.HostPath != nil
	})
	for _, cs := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for i := range cs {
			c := &cs[i]
			if c.SecurityContext != nil && c.SecurityContext.Privileged != nil && *c.SecurityContext.Privileged {
				c.SecurityContext.Privileged = nil
			}
			for j := range c.Ports {
				c.Ports[j].HostPort = 0
			}
			c.VolumeMounts = slices.DeleteFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool {
				return slices.Contains(hostPaths, m.Name)
			})
		}
	}
}

// fargateRound makes requests equal limits on every container and rounds
// the pod up to the smallest Fargate size, giving the difference to the
// build container, so the job gets what the pod is billed for.
func (a *applier) fargateRound() {
	spec := &a.pod.Spec
	a.sizeInitContainers()
	for _, cs := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for i := range cs {
			equalise(&cs[i], corev1.ResourceCPU)
			equalise(&cs[i], corev1.ResourceMemory)
		}
	}
	for i := range spec.Containers {
		c := &spec.Containers[i]
		for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if _, ok := c.Resources.Requests[name]; !ok && c.Name != v1alpha1.ContainerBuild {
				a.dec.warn(c.Name + " has no " + string(name) + " request, and EKS Fargate sizes the pod from requests; set resources.defaults." + containerKind(c.Name))
			}
		}
	}
	cpu, mem := podTotals(spec)
	cfgCPU, cfgMem, ok := fargateSize(cpu.MilliValue(), mem.Value()+fargateOverhead)
	if !ok {
		a.dec.warn("no EKS Fargate size fits " + cpu.String() + " CPU and " + mem.String() + " memory")
		return
	}
	changed := false
	if b := containerIndex(spec.Containers, v1alpha1.ContainerBuild); b >= 0 {
		var sumCPU, sumMem int64
		for i := range spec.Containers {
			sumCPU += spec.Containers[i].Resources.Requests.Cpu().MilliValue()
			sumMem += spec.Containers[i].Resources.Requests.Memory().Value()
		}
		build := &spec.Containers[b]
		if d := cfgCPU - sumCPU; d > 0 {
			addBoth(build, corev1.ResourceCPU, *resource.NewMilliQuantity(build.Resources.Requests.Cpu().MilliValue()+d, resource.DecimalSI))
			changed = true
		}
		if d := cfgMem - fargateOverhead - sumMem; d > 0 {
			addBoth(build, corev1.ResourceMemory, *resource.NewQuantity(build.Resources.Requests.Memory().Value()+d, resource.BinarySI))
			changed = true
		}
	}
	size := fmt.Sprintf("%s vCPU %s", formatMilli(cfgCPU), resource.NewQuantity(cfgMem, resource.BinarySI).String())
	a.dec.add(MutFargateSize, size, "fargate.roundResources", changed)
}

// sizeInitContainers gives an init container without a CPU or memory value
// the helper's: init-permissions and init-steps-bootstrap run the helper
// image, and an init container bounded by a container's share never makes
// the Fargate size larger. Without a value, Fargate would leave it unbounded.
func (a *applier) sizeInitContainers() {
	spec := &a.pod.Spec
	from := containerIndex(spec.Containers, v1alpha1.ContainerHelper)
	if from < 0 {
		from = containerIndex(spec.Containers, v1alpha1.ContainerBuild)
	}
	if from < 0 {
		return
	}
	src := &spec.Containers[from]
	for i := range spec.InitContainers {
		c := &spec.InitContainers[i]
		var set []string
		for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			_, hasReq := c.Resources.Requests[name]
			_, hasLim := c.Resources.Limits[name]
			q, ok := src.Resources.Requests[name]
			if hasReq || hasLim || !ok {
				continue
			}
			setQty(&c.Resources.Requests, name, q)
			set = append(set, "requests."+string(name)+"="+q.String())
		}
		if len(set) > 0 {
			a.dec.add(MutResources, c.Name+": "+strings.Join(set, " "), "fargate.roundResources (sized like "+src.Name+")", true)
		}
	}
}

// equalise sets request and limit to the larger of the two, when either is set.
func equalise(c *corev1.Container, name corev1.ResourceName) {
	req, hasReq := c.Resources.Requests[name]
	lim, hasLim := c.Resources.Limits[name]
	if !hasReq && !hasLim {
		return
	}
	if !hasReq || (hasLim && lim.Cmp(req) > 0) {
		req = lim
	}
	addBoth(c, name, req)
}

func addBoth(c *corev1.Container, name corev1.ResourceName, q resource.Quantity) {
	setQty(&c.Resources.Requests, name, q)
	setQty(&c.Resources.Limits, name, q)
}

// fargateCPUs lists Fargate's vCPU sizes (milli) with their memory range
// and step, in GiB.
var fargateCPUs = []struct{ milli, minGi, maxGi, stepGi int64 }{
	{250, 0, 0, 0}, {500, 1, 4, 1}, {1000, 2, 8, 1}, {2000, 4, 16, 1},
	{4000, 8, 30, 1}, {8000, 16, 60, 4}, {16000, 32, 120, 8},
}

// fargateSize returns the smallest Fargate configuration (milli-vCPU, bytes)
// that holds the request.
func fargateSize(milliCPU, memBytes int64) (int64, int64, bool) {
	for _, s := range fargateCPUs {
		if s.milli < milliCPU {
			continue
		}
		if s.milli == 250 {
			for _, m := range []int64{gib / 2, gib, 2 * gib} {
				if m >= memBytes {
					return s.milli, m, true
				}
			}
			continue
		}
		for gi := s.minGi; gi <= s.maxGi; gi += s.stepGi {
			if gi*gib >= memBytes {
				return s.milli, gi * gib, true
			}
		}
	}
	return 0, 0, false
}
