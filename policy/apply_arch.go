package policy

import (
	"strings"

	corev1 "k8s.io/api/core/v1"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// helperArch maps Kubernetes arch names to the names GitLab's helper image
// tags use (helpers/container/helperimage/linux_info.go).
var helperArch = map[string]string{
	"amd64": "x86_64", "arm64": "arm64", "arm": "arm", "386": "x86",
	"ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64", "loong64": "loong64",
}

// helperTagArches are the arch tokens a GitLab helper tag may carry.
var helperTagArches = map[string]bool{
	"x86_64": true, "arm64": true, "arm": true, "x86": true,
	"ppc64le": true, "s390x": true, "riscv64": true, "loong64": true,
}

// helperContainers run the per-arch helper image.
var helperContainers = map[string]bool{v1alpha1.ContainerHelper: true, v1alpha1.InitPermissions: true, v1alpha1.InitStepsBootstrap: true}

func (a *applier) applyArch() {
	want := a.traits.Of(v1alpha1.TraitArch)
	asked := want.Value != ""
	if !asked {
		want = a.unaskedArch()
	}
	arch, own := a.underPin(PinTraitArch, want, asked, a.traits.ArchPin, false)
	a.arch, a.archPinned = arch.Value, !own
	changed := own && a.setNodeSelector(v1alpha1.LabelArch, arch.Value, true)
	a.dec.add(MutArch, arch.Value, arch.Source, changed)
	if asked || !own {
		a.checkImagesRun(arch)
	}
	if os, ok := a.pod.Spec.NodeSelector[v1alpha1.LabelOS]; ok && os != a.p.Arch.OS {
		a.dec.warn("nodeSelector " + v1alpha1.LabelOS + "=" + os + " set by the runner kept; policy wanted " + a.p.Arch.OS)
	} else {
		a.dec.add(MutOS, a.p.Arch.OS, "arch.os", a.setNodeSelector(v1alpha1.LabelOS, a.p.Arch.OS, false))
	}
	if a.p.Arch.HelperImage == v1alpha1.HelperImageRewrite && !a.pause {
		a.rewriteHelpers(arch)
	}
}

func (a *applier) rewriteHelpers(arch Trait) {
	want, changed, seen := "", false, false
	for _, cs := range [][]corev1.Container{a.pod.Spec.InitContainers, a.pod.Spec.Containers} {
		for i := range cs {
			c := &cs[i]
			if !helperContainers[c.Name] {
				continue
			}
			img, ok := a.helperImageFor(c.Image, arch)
			if !ok {
				continue
			}
			seen, want = true, img
			if img != c.Image {
				c.Image, changed = img, true
			}
		}
	}
	if seen {
		a.dec.add(MutHelperImage, want[strings.LastIndexByte(want, '/')+1:], "arch "+arch.Value, changed)
	}
}

// helperImageFor returns the helper image for arch, or false when the image
// is one jobfit must leave alone.
func (a *applier) helperImageFor(image string, arch Trait) (string, bool) {
	if i, ok := a.p.idx.helperSets[image]; ok {
		img, ok := a.p.Arch.HelperImageMap[i][arch.Value]
		if !ok {
			a.dec.warn("arch.helperImageMap has no " + arch.Value + " image for " + image + "; left alone")
		}
		return img, ok
	}
	img, err := RewriteHelperImage(image, arch.Value)
	if err != "" {
		if arch.Source != "default" && !a.archPinned {
			a.dec.warn("helper image " + image + " left alone: " + err + "; map it under arch.helperImageMap")
		}
		return "", false
	}
	return img, true
}

// RewriteHelperImage returns GitLab's helper image for arch, keeping the
// registry, the flavor prefix (ubuntu-, alpine3.21-, ubi-fips-) and the
// -pwsh suffix. It returns a reason when the image is not a GitLab helper
// image it can rewrite.
func RewriteHelperImage(image, arch string) (string, string) {
	if strings.Contains(image, "@") {
		return "", "it is pinned by digest"
	}
	colon := strings.LastIndexByte(image, ':')
	if colon < 0 || strings.Contains(image[colon:], "/") {
		return "", "it has no tag"
	}
	repo, tag := image[:colon], image[colon+1:]
	if repo[strings.LastIndexByte(repo, '/')+1:] != "gitlab-runner-helper" {
		return "", "it is not gitlab-runner-helper"
	}
	target, ok := helperArch[arch]
	if !ok {
		return "", "GitLab publishes no helper for " + arch
	}
	parts := strings.Split(tag, "-")
	for i, p := range parts {
		if helperTagArches[p] && i+1 < len(parts) {
			parts[i] = target
			return repo + ":" + strings.Join(parts, "-"), ""
		}
	}
	return "", "its tag " + tag + " names no arch"
}
