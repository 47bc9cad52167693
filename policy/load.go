package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// Policy is a loaded placement policy: the jobfit.dev/v1alpha1 Policy
// document, defaulted and validated, with what Apply needs precomputed.
// Only a Policy from Load, LoadDocument, Prepare or Merge may be passed to
// Apply.
type Policy struct {
	v1alpha1.Policy
	// idx is built by Load: alias tables and parsed values Apply needs.
	idx *index
}

// index holds what Apply needs precomputed: alias tables and parsed values.
type index struct {
	hash       string
	platform   *platform
	aliases    []map[string]string // per row of TraitKinds: lower-cased alias -> value
	margin     time.Duration
	helperSets map[string]int
	envWanted  map[string]bool
}

// Load decodes a bare Policy document or a ConfigMap carrying one, defaults
// it, validates it and prepares it for Apply. A policy with errors is never
// returned. At most MaxErrors errors are reported, and a count of the rest.
func Load(data []byte) (*Policy, field.ErrorList) {
	doc, errs := ReadDocument(data)
	if len(errs) > 0 {
		return nil, errs
	}
	p, errs := LoadDocument(doc)
	return p, CapErrors(errs)
}

// LoadDocument is Load for a document already read by ReadDocument.
func LoadDocument(doc Document) (*Policy, field.ErrorList) {
	if doc.Kind != v1alpha1.KindPolicy {
		return nil, field.ErrorList{v1alpha1.RequiredOrUnsupported(field.NewPath("kind"), doc.Kind, v1alpha1.KindPolicy)}
	}
	p, errs := decodePolicy(doc)
	if len(errs) > 0 {
		return nil, errs
	}
	p.SetDefaults()
	if errs := p.Validate(); len(errs) > 0 {
		return nil, errs
	}
	p.idx = buildIndex(p)
	return p, nil
}

func decodePolicy(doc Document) (*Policy, field.ErrorList) {
	p := &Policy{}
	if errs := DecodeStrict(doc.JSON, &p.Policy); len(errs) > 0 {
		return nil, errs
	}
	if p.Metadata.Name == "" {
		p.Metadata.Name = doc.Name
	}
	return p, nil
}

// Prepare defaults, validates and indexes a policy built in code.
func Prepare(p *Policy) field.ErrorList {
	p.SetDefaults()
	if errs := p.Validate(); len(errs) > 0 {
		return errs
	}
	p.idx = buildIndex(p)
	return nil
}

// Name returns the policy's name.
func (p *Policy) Name() string { return p.Metadata.Name }

// Hash returns a short digest of the effective policy; the applied record
// carries it so that a change of policy is visible on the pods.
func (p *Policy) Hash() string {
	if p.idx == nil {
		return ""
	}
	return p.idx.hash
}

// Loaded reports whether the policy went through Load or Prepare.
func (p *Policy) Loaded() bool { return p.idx != nil }

func buildIndex(p *Policy) *index {
	idx := &index{
		helperSets: map[string]int{},
		aliases:    make([]map[string]string, len(v1alpha1.TraitKinds)),
		platform:   platformOf(p.Platform),
		envWanted: map[string]bool{v1alpha1.VarRunnerTags: true, v1alpha1.VarRunnerID: true, v1alpha1.VarJobTimeout: true, v1alpha1.VarRootNamespace: true, v1alpha1.VarProjectID: true,
			v1alpha1.VarPipelineID: true, v1alpha1.VarJobName: true},
	}
	for i := range v1alpha1.TraitKinds {
		k := &v1alpha1.TraitKinds[i]
		idx.aliases[i] = aliasTable(*k.Tags(&p.Traits.Tags))
		if k.Values != nil {
			for _, v := range k.Values(&p.Policy) {
				if _, ok := idx.aliases[i][v]; !ok {
					idx.aliases[i][v] = v
				}
			}
		}
		for _, n := range *k.Variables(&p.Traits.Variables) {
			idx.envWanted[n] = true
		}
	}
	if p.Resources.JobVariables != nil && *p.Resources.JobVariables {
		for _, n := range JobResourceVariables() {
			idx.envWanted[n] = true
		}
	}
	idx.margin, _ = time.ParseDuration(p.Disruption.Margin)
	for i, set := range p.Arch.HelperImageMap {
		for _, img := range set {
			idx.helperSets[img] = i
		}
	}
	// Hash the policy as Apply sees it; json.Marshal sorts map keys.
	b, _ := json.Marshal(p)
	sum := sha256.Sum256(b)
	idx.hash = hex.EncodeToString(sum[:])[:12]
	return idx
}

// aliasTable maps each lower-cased alias, and each value itself, to its value.
func aliasTable(m map[string][]string) map[string]string {
	t := make(map[string]string, len(m)*3)
	for v, aliases := range m {
		t[strings.ToLower(v)] = v
		for _, a := range aliases {
			t[strings.ToLower(strings.TrimSpace(a))] = v
		}
	}
	return t
}
