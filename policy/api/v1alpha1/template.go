package v1alpha1

import "strings"

// TemplateVars are the values a cache template may use.
type TemplateVars struct {
	Arch, CapacityType, Namespace, ProjectID, RootNamespace string
}

// ExpandTemplate replaces {placeholders}; it returns the name of the first
// unknown placeholder, if any.
func ExpandTemplate(tmpl string, v TemplateVars) (string, string) {
	if !strings.Contains(tmpl, "{") {
		return tmpl, ""
	}
	var b strings.Builder
	for {
		open := strings.IndexByte(tmpl, '{')
		if open < 0 {
			b.WriteString(tmpl)
			return b.String(), ""
		}
		end := strings.IndexByte(tmpl[open:], '}')
		if end < 0 {
			return "", tmpl[open+1:]
		}
		b.WriteString(tmpl[:open])
		name := tmpl[open+1 : open+end]
		switch name {
		case "arch":
			b.WriteString(v.Arch)
		case "capacityType":
			b.WriteString(v.CapacityType)
		case "namespace":
			b.WriteString(v.Namespace)
		case "projectID":
			b.WriteString(v.ProjectID)
		case "rootNamespace":
			b.WriteString(sanitizeName(v.RootNamespace))
		default:
			if name == "" {
				name = " "
			}
			return "", name
		}
		tmpl = tmpl[open+end+1:]
	}
}

// sanitizeName lowers a value and turns characters a claim name cannot hold
// into dashes (GitLab group paths may contain '_' and '.').
func sanitizeName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			return r
		case r >= 'A' && r <= 'Z':
			return r + ('a' - 'A')
		}
		return '-'
	}, s)
}
