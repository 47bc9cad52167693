package v1alpha1

import (
	"path"
	"strings"

	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Container selectors a cache may name.
var cacheContainers = []string{ContainerBuild, ContainerHelper, ContainerServices}

func validateCaches(caches []Cache, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	names, mounts := sets.New[string](), sets.New[string]()
	for i := range caches {
		c, cp := &caches[i], p.Index(i)
		errs = append(errs, validateUniqueName(c.Name, cp.Child("name"), "the volume name", validation.IsDNS1123Label, names)...)
		errs = append(errs, validateTemplate(c.ClaimName, cp.Child("claimName"), true)...)
		switch {
		case c.MountPath == "":
			errs = append(errs, field.Required(cp.Child("mountPath"), "where the cache is mounted"))
		case !path.IsAbs(c.MountPath) || path.Clean(c.MountPath) != c.MountPath:
			errs = append(errs, field.Invalid(cp.Child("mountPath"), c.MountPath, "must be a clean absolute path"))
		case mounts.Has(c.MountPath):
			errs = append(errs, field.Duplicate(cp.Child("mountPath"), c.MountPath))
		}
		mounts.Insert(c.MountPath)
		if c.SubPath != "" {
			errs = append(errs, validateTemplate(c.SubPath, cp.Child("subPath"), false)...)
		}
		for j, ctr := range c.Containers {
			if !sets.New(cacheContainers...).Has(ctr) {
				errs = append(errs, field.NotSupported(cp.Child("containers").Index(j), ctr, cacheContainers))
			}
		}
	}
	return errs
}

// validateTemplate checks the placeholders and that the expanded result is a
// valid claim name (or a relative subPath) for realistic values.
func validateTemplate(tmpl string, p *field.Path, claim bool) field.ErrorList {
	if tmpl == "" {
		return field.ErrorList{field.Required(p, "a name template such as gitlab-cache-{arch}")}
	}
	out, bad := ExpandTemplate(tmpl, TemplateVars{Arch: "arm64", CapacityType: "on-demand", Namespace: "gitlab-runner", ProjectID: "4711", RootNamespace: "acme"})
	if bad != "" {
		return field.ErrorList{field.Invalid(p, tmpl, "unknown placeholder {"+bad+"}; use {arch}, {capacityType}, {namespace}, {projectID} or {rootNamespace}")}
	}
	var errs field.ErrorList
	if claim {
		for _, msg := range validation.IsDNS1123Subdomain(out) {
			errs = append(errs, field.Invalid(p, tmpl, "expands to an invalid claim name ("+out+"): "+msg))
		}
	} else if path.IsAbs(out) || strings.Contains(out, "..") {
		errs = append(errs, field.Invalid(p, tmpl, "must be a relative path without '..'"))
	}
	return errs
}

// validateUniqueName checks a required name that must be valid and unique
// within its list; seen collects the names met so far.
func validateUniqueName(name string, p *field.Path, what string, valid func(string) []string, seen sets.Set[string]) field.ErrorList {
	var errs field.ErrorList
	if name == "" {
		errs = append(errs, field.Required(p, what))
	} else {
		for _, msg := range valid(name) {
			errs = append(errs, field.Invalid(p, name, msg))
		}
	}
	if seen.Has(name) {
		errs = append(errs, field.Duplicate(p, name))
	}
	seen.Insert(name)
	return errs
}

func validateSecrets(secrets []SecretMode, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := sets.New[string]()
	for i, s := range secrets {
		sp := p.Index(i)
		errs = append(errs, validateUniqueName(s.SecretName, sp.Child("secretName"), "the Secret whose volume mode is set", validation.IsDNS1123Subdomain, seen)...)
		switch {
		case s.DefaultMode == nil:
			errs = append(errs, field.Required(sp.Child("defaultMode"), "a file mode such as 0400"))
		case *s.DefaultMode < 0 || *s.DefaultMode > 0o777:
			errs = append(errs, field.Invalid(sp.Child("defaultMode"), *s.DefaultMode, "must be a file mode between 0000 and 0777 (write it in octal, e.g. 0400)"))
		}
	}
	return errs
}

func validateLabels(labels map[string]string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, k := range sortedKeys(labels) {
		for _, msg := range validation.IsQualifiedName(k) {
			errs = append(errs, field.Invalid(p.Key(k), k, msg))
		}
		for _, msg := range validation.IsValidLabelValue(labels[k]) {
			errs = append(errs, field.Invalid(p.Key(k), labels[k], msg))
		}
		if strings.HasPrefix(k, "jobfit.dev/") {
			errs = append(errs, field.Forbidden(p.Key(k), "the jobfit.dev/ prefix is reserved"))
		}
	}
	return errs
}

func validateAnnotations(ann map[string]string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, k := range sortedKeys(ann) {
		for _, msg := range validation.IsQualifiedName(k) {
			errs = append(errs, field.Invalid(p.Key(k), k, msg))
		}
		if k == AppliedAnnotation {
			errs = append(errs, field.Forbidden(p.Key(k), "jobfit writes this annotation itself"))
		}
	}
	return errs
}
