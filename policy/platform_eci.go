package policy

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// eciPlatform is Alibaba Cloud ECI (ACK Serverless): a capacity type is
// chosen as on Karpenter, but ECI takes it, and the image cache and
// instance spec, as pod annotations.
var eciPlatform = &platform{
	PlatformSpec: v1alpha1.ECI,
	capacity: func(a *applier) {
		// ECI places by annotation, in its apply step.
		ct, _ := a.chooseCapacity()
		a.dec.add(MutCapacity, ct.Value, ct.Source, false)
	},
	apply: (*applier).applyECI,
}

// ECI annotations and scheduling keys (Alibaba Cloud ACK Serverless).
const (
	eciPrefix            = "k8s.aliyun.com/"
	ECIAutoImageCache    = eciPrefix + "eci-auto-imc"
	ECILegacyImageCache  = eciPrefix + "eci-image-cache"
	ECIImageCacheID      = eciPrefix + "eci-imc-id"
	ECISpotStrategy      = eciPrefix + "eci-spot-strategy"
	ECISpotPriceLimit    = eciPrefix + "eci-spot-price-limit"
	ECISpotDuration      = eciPrefix + "eci-spot-duration"
	ECISpotFallback      = eciPrefix + "eci-spot-fallback"
	ECIUseSpecs          = eciPrefix + "eci-use-specs"
	VirtualKubeletTaint  = "virtual-kubelet.io/provider"
	VirtualKubeletSelect = "type"
	VirtualKubeletValue  = "virtual-kubelet"
)

func (a *applier) applyECI() {
	e := &a.p.ECI
	a.eciImageCache(e)
	if a.cap == v1alpha1.CapacitySpot {
		changed := a.addAnnotation(ECISpotStrategy, e.Spot.Strategy, "eci.spot")
		if e.Spot.Strategy == "SpotWithPriceLimit" {
			changed = a.addAnnotation(ECISpotPriceLimit, e.Spot.PriceLimit, "eci.spot") || changed
		}
		if e.Spot.Duration != nil {
			changed = a.addAnnotation(ECISpotDuration, strconv.Itoa(int(*e.Spot.Duration)), "eci.spot") || changed
		}
		if e.Spot.Fallback != nil {
			changed = a.addAnnotation(ECISpotFallback, strconv.FormatBool(*e.Spot.Fallback), "eci.spot") || changed
		}
		a.dec.add(MutECISpot, e.Spot.Strategy, "capacity "+a.cap, changed)
	}
	if e.Specs == "auto" {
		a.eciSpecs()
	}
	if e.VirtualNode != nil && *e.VirtualNode {
		changed := a.setNodeSelector(VirtualKubeletSelect, VirtualKubeletValue, false)
		changed = a.tolerate(corev1.Toleration{Key: VirtualKubeletTaint, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}) || changed
		if a.arch == "arm64" {
			// ACK's ARM virtual nodes carry kubernetes.io/arch=arm64:NoSchedule.
			changed = a.tolerate(corev1.Toleration{Key: v1alpha1.LabelArch, Operator: corev1.TolerationOpEqual, Value: "arm64", Effect: corev1.TaintEffectNoSchedule}) || changed
		}
		a.dec.add(MutECIVirtual, VirtualKubeletValue, "eci.virtualNode", changed)
	}
}

func (a *applier) eciImageCache(e *v1alpha1.ECIPolicy) {
	for _, c := range a.pod.Spec.Containers {
		if id, ok := e.ImageCacheIDs[c.Image]; ok && c.Name == v1alpha1.ContainerBuild {
			a.dec.add(MutECIImageCache, id, "eci.imageCacheIDs["+c.Image+"]", a.addAnnotation(ECIImageCacheID, id, "eci.imageCacheIDs"))
			return
		}
	}
	switch e.ImageCache {
	case "auto":
		a.dec.add(MutECIImageCache, "auto", "eci.imageCache", a.addAnnotation(ECIAutoImageCache, "true", "eci.imageCache"))
	case "legacy":
		a.dec.add(MutECIImageCache, "legacy", "eci.imageCache", a.addAnnotation(ECILegacyImageCache, "true", "eci.imageCache"))
	}
}

func (a *applier) eciSpecs() {
	cpu, mem := podTotals(&a.pod.Spec)
	if cpu.IsZero() && mem.IsZero() {
		return
	}
	spec, ok := eciSpecFor(a.arch, cpu.MilliValue(), mem.Value())
	if !ok {
		a.dec.warn("no ECI spec fits " + cpu.String() + " CPU and " + mem.String() + " memory; " + ECIUseSpecs + " not set")
		return
	}
	a.dec.add(MutECISpecs, spec, "requests "+cpu.String()+" CPU "+mem.String(), a.addAnnotation(ECIUseSpecs, spec, "eci.specs"))
}

// podTotals returns what the pod needs: the larger of the sum of its
// containers and its largest init container, taking per container the
// larger of request and limit.
func podTotals(spec *corev1.PodSpec) (cpu, mem resource.Quantity) {
	need := func(c *corev1.Container, name corev1.ResourceName) resource.Quantity {
		q := c.Resources.Requests[name]
		if l, ok := c.Resources.Limits[name]; ok && l.Cmp(q) > 0 {
			q = l
		}
		return q.DeepCopy()
	}
	for i := range spec.Containers {
		c, m := need(&spec.Containers[i], corev1.ResourceCPU), need(&spec.Containers[i], corev1.ResourceMemory)
		cpu.Add(c)
		mem.Add(m)
	}
	for i := range spec.InitContainers {
		if c := need(&spec.InitContainers[i], corev1.ResourceCPU); c.Cmp(cpu) > 0 {
			cpu = c
		}
		if m := need(&spec.InitContainers[i], corev1.ResourceMemory); m.Cmp(mem) > 0 {
			mem = m
		}
	}
	return cpu, mem
}
