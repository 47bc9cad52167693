package policy

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// Document is one policy document, unwrapped from its ConfigMap if it came
// in one.
type Document struct {
	// Kind is the document's kind (Policy, ScalerPolicy).
	Kind string
	// Name is metadata.name of the document, or else of its ConfigMap.
	Name string
	// JSON is the document converted to JSON, ready for strict decoding.
	JSON []byte
}

type typeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
}

// ReadDocument accepts a bare policy document or a ConfigMap that carries
// one under data["policy.yaml"], and returns the document as JSON.
//
// A document above MaxDocumentSize, or YAML holding several documents, is
// rejected before it is decoded.
func ReadDocument(data []byte) (Document, field.ErrorList) {
	if err := checkSize(data); err != nil {
		return Document{}, field.ErrorList{err}
	}
	if err := checkSingleDocument(data); err != nil {
		return Document{}, field.ErrorList{err}
	}
	js, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return Document{}, field.ErrorList{docError("YAML", trimJSONPrefix(err))}
	}
	var tm typeMeta
	if err := kjson.UnmarshalCaseSensitivePreserveInts(js, &tm); err != nil {
		return Document{}, field.ErrorList{docError("document", "not a YAML mapping: "+trimJSONPrefix(err))}
	}
	if tm.Kind != "ConfigMap" {
		return Document{Kind: tm.Kind, Name: tm.Metadata.Name, JSON: js}, nil
	}
	var cm corev1.ConfigMap
	if err := kjson.UnmarshalCaseSensitivePreserveInts(js, &cm); err != nil {
		return Document{}, field.ErrorList{docError("ConfigMap", trimJSONPrefix(err))}
	}
	body, ok := cm.Data[v1alpha1.PolicyDataKey]
	if !ok {
		return Document{}, field.ErrorList{field.Required(field.NewPath("data").Key(v1alpha1.PolicyDataKey), "the ConfigMap carries no policy document")}
	}
	doc, errs := ReadDocument([]byte(body))
	if len(errs) > 0 {
		return Document{}, errs
	}
	if doc.Kind == "ConfigMap" {
		return Document{}, field.ErrorList{field.Invalid(field.NewPath("kind"), doc.Kind, "a ConfigMap inside a ConfigMap is not a policy")}
	}
	if doc.Name == "" {
		doc.Name = cm.Name
	}
	return doc, nil
}

// DecodeStrict decodes a JSON document into v, reporting unknown fields,
// duplicate fields and wrong types with their field paths.
func DecodeStrict(js []byte, v any) field.ErrorList {
	strictErrs, err := kjson.UnmarshalStrict(js, v, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	var errs field.ErrorList
	if err != nil {
		errs = append(errs, typeError(err))
	}
	for _, se := range strictErrs {
		var fe kjson.FieldError
		if errors.As(se, &fe) {
			if strings.HasPrefix(se.Error(), "duplicate") {
				errs = append(errs, field.Duplicate(pathOf(fe.FieldPath()), nil))
				continue
			}
			errs = append(errs, field.Forbidden(pathOf(fe.FieldPath()), "unknown field"))
			continue
		}
		errs = append(errs, docError("document", se.Error()))
	}
	return errs
}

// typeMismatch matches encoding/json's "cannot unmarshal X into Go struct
// field T.a.b of type Y": the only way to recover the field path.
var typeMismatch = regexp.MustCompile(`cannot unmarshal (\S+) into Go struct field [^.\s]+\.(\S+) of type (\S+)`)

func typeError(err error) *field.Error {
	if m := typeMismatch.FindStringSubmatch(err.Error()); m != nil {
		return field.TypeInvalid(pathOf(m[2]), nil, fmt.Sprintf("must be %s, not %s", humanType(m[3]), m[1]))
	}
	return docError("document", trimJSONPrefix(err))
}

// docError is a problem with the document as a whole, which has no field path.
func docError(what, msg string) *field.Error {
	return &field.Error{Type: field.ErrorTypeInvalid, BadValue: what, Detail: msg}
}

// stringKinds are the named string types of the API, which the JSON
// decoder reports by their Go names.
var stringKinds = map[string]bool{
	"v1alpha1.Platform": true, "v1alpha1.TraitSource": true, "v1alpha1.HelperImageMode": true,
	"v1alpha1.Enforcement": true, "v1alpha1.Fallback": true, "v1alpha1.DoNotDisrupt": true,
	"policy.Duration": true, "v1alpha1.Duration": true, "v1.ResourceName": true,
}

func humanType(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "map["):
		return "a mapping"
	case goType == "string" || stringKinds[goType]:
		return "a string"
	case goType == "bool" || goType == "*bool":
		return "a boolean"
	case strings.Contains(goType, "int"):
		return "an integer"
	case strings.HasPrefix(strings.TrimPrefix(goType, "*"), "policy.") || strings.HasPrefix(strings.TrimPrefix(goType, "*"), "v1alpha1."):
		return "a mapping"
	}
	return "a " + goType
}

// pathOf turns "a.b[0].c" into a field path, keeping the text as the user sees it.
func pathOf(p string) *field.Path {
	return field.NewPath(p)
}

func trimJSONPrefix(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "error converting YAML to JSON: ")
	s = strings.TrimPrefix(s, "json: ")
	s = strings.TrimPrefix(s, "yaml: unmarshal errors:\n")
	return strings.TrimSpace(s)
}
