package policy

import "strings"

// applyMetadata adds the policy's labels and annotations. Labels are
// add-only: the runner watches its pods through their labels.
func (a *applier) applyMetadata() {
	a.applyMap(&a.pod.Labels, a.p.Labels, "label", MutLabels)
	a.applyMap(&a.pod.Annotations, a.p.Annotations, "annotation", MutAnnotations)
}

func (a *applier) applyMap(dst *map[string]string, add map[string]string, what, mutation string) {
	if len(add) == 0 {
		return
	}
	var added []string
	for _, k := range sortedKeys(add) {
		if old, ok := (*dst)[k]; ok {
			if old != add[k] {
				a.dec.warn(what + " " + k + "=" + old + " kept; policy wanted " + add[k])
			}
			continue
		}
		if *dst == nil {
			*dst = map[string]string{}
		}
		(*dst)[k] = add[k]
		added = append(added, k+"="+add[k])
	}
	if len(added) > 0 {
		a.dec.add(mutation, strings.Join(added, ","), what+"s", true)
	}
}
