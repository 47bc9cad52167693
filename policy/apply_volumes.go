package policy

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// apiDefaultSecretMode is what the API server writes into a secret volume
// without a mode. At admission time it is indistinguishable from "unset",
// so jobfit treats it as unset.
const apiDefaultSecretMode int32 = 0o644

func (a *applier) applyCaches() {
	if len(a.p.Caches) == 0 {
		return
	}
	vars := v1alpha1.TemplateVars{
		Arch: a.arch, CapacityType: a.cap, Namespace: a.pod.Namespace,
		ProjectID: projectID(a.pod, a.env), RootNamespace: rootNamespace(a.pod, a.env),
	}
	for i := range a.p.Caches {
		a.applyCache(&a.p.Caches[i], vars)
	}
}

// applyCache mounts one cache PVC. It never adds a volume name or a mount
// path that already exists: the API server would reject the pod.
func (a *applier) applyCache(c *v1alpha1.Cache, vars v1alpha1.TemplateVars) {
	claim, _ := v1alpha1.ExpandTemplate(c.ClaimName, vars)
	if msgs := validation.IsDNS1123Subdomain(claim); len(msgs) > 0 {
		a.dec.warn(fmt.Sprintf("cache %s skipped: claim name %q is invalid: %s", c.Name, claim, msgs[0]))
		return
	}
	subPath, _ := v1alpha1.ExpandTemplate(c.SubPath, vars)
	volIdx := slices.IndexFunc(a.pod.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == c.Name })
	if volIdx >= 0 {
		v := a.pod.Spec.Volumes[volIdx]
		if v.PersistentVolumeClaim == nil || v.PersistentVolumeClaim.ClaimName != claim {
			a.dec.warn("cache " + c.Name + " skipped: the pod already has a different volume named " + c.Name)
			return
		}
	}
	if volIdx < 0 && !a.referenceOK(MissingReference{Kind: RefClaim, Namespace: a.pod.Namespace, Name: claim, Field: "caches[" + c.Name + "].claimName"}) {
		return
	}
	mount := corev1.VolumeMount{Name: c.Name, MountPath: c.MountPath, SubPath: subPath, ReadOnly: c.ReadOnly}
	mounted, changed := false, false
	for i := range a.pod.Spec.Containers {
		ctr := &a.pod.Spec.Containers[i]
		if !cacheTargets(c, ctr.Name) {
			continue
		}
		j := slices.IndexFunc(ctr.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == c.MountPath })
		switch {
		case j >= 0 && ctr.VolumeMounts[j].Name == c.Name:
			mounted = true
		case j >= 0:
			a.dec.warn(ctr.Name + ": " + c.MountPath + " is already mounted from volume " + ctr.VolumeMounts[j].Name + "; cache " + c.Name + " not mounted there")
		default:
			ctr.VolumeMounts = append(ctr.VolumeMounts, mount)
			mounted, changed = true, true
		}
	}
	if !mounted {
		return
	}
	if volIdx < 0 {
		a.pod.Spec.Volumes = append(a.pod.Spec.Volumes, corev1.Volume{Name: c.Name, VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim, ReadOnly: c.ReadOnly},
		}})
	}
	a.dec.add(MutCache, c.Name+"="+claim+" at "+c.MountPath, "caches", changed)
}

func cacheTargets(c *v1alpha1.Cache, container string) bool {
	kind := container
	if container != v1alpha1.ContainerBuild && container != v1alpha1.ContainerHelper {
		kind = v1alpha1.ContainerServices
	}
	return slices.Contains(c.Containers, kind)
}

// applySecretModes sets the file mode of the runner's secret volumes, which
// otherwise get 0644: too open for SSH keys.
func (a *applier) applySecretModes() {
	for _, s := range a.p.Secrets {
		for i := range a.pod.Spec.Volumes {
			sv := a.pod.Spec.Volumes[i].Secret
			if sv == nil || sv.SecretName != s.SecretName {
				continue
			}
			want := *s.DefaultMode
			switch {
			case sv.DefaultMode == nil || *sv.DefaultMode == apiDefaultSecretMode:
				changed := sv.DefaultMode == nil || *sv.DefaultMode != want
				sv.DefaultMode = ptrTo(want)
				a.dec.add(MutSecretMode, fmt.Sprintf("%s=%#o", s.SecretName, want), "secrets", changed)
			case *sv.DefaultMode != want:
				a.dec.warn(fmt.Sprintf("secret volume %s keeps its mode %#o set by the runner (policy wanted %#o)", a.pod.Spec.Volumes[i].Name, *sv.DefaultMode, want))
			default:
				a.dec.add(MutSecretMode, fmt.Sprintf("%s=%#o", s.SecretName, want), "secrets", false)
			}
		}
	}
}
