package policy

import (
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// DecodePod decodes a Pod manifest (YAML or JSON) the way kubectl and the
// API server do: the YAML is turned into JSON without looking at the Pod's
// Go types, then decoded case-sensitively and strictly. So an unquoted
// `before_sha: 0000…` annotation is the number 0 and is refused, as
// `kubectl create` refuses it, where a type-directed YAML decoder would have
// quietly turned it back into a string. Unknown and duplicate fields are
// errors too, as under kubectl's default --validate=strict.
//
// Errors name the field, for example "json: cannot unmarshal number into
// Go struct field ObjectMeta.metadata.annotations of type string".
func DecodePod(raw []byte) (*corev1.Pod, error) {
	js := raw
	if !utilyaml.IsJSONBuffer(raw) { // JSON goes through as is, as with kubectl
		var err error
		if js, err = yaml.YAMLToJSON(raw); err != nil {
			return nil, fmt.Errorf("not YAML: %w", err)
		}
	}
	pod := &corev1.Pod{}
	strict, err := kjson.UnmarshalStrict(js, pod, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return nil, err
	}
	if len(strict) > 0 {
		return nil, errors.Join(strict...)
	}
	if pod.APIVersion != "v1" || pod.Kind != "Pod" {
		return nil, fmt.Errorf("apiVersion/kind: want v1 Pod, got %q %q", pod.APIVersion, pod.Kind)
	}
	return pod, nil
}
