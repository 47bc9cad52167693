package v1alpha1

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestHasDockerSocket(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		platform Platform
		set      *bool
		want     bool
	}{
		{PlatformKarpenter, nil, false},
		{PlatformECI, nil, false},
		{PlatformFargate, nil, false},
		{PlatformGeneric, nil, true},
		{PlatformKarpenter, &yes, true},
		{PlatformGeneric, &no, false},
	} {
		p := &Policy{Platform: tc.platform, DockerSocket: tc.set}
		assert.Equal(t, tc.want, p.HasDockerSocket(), "platform %s dockerSocket %v", tc.platform, tc.set)
	}
}

func TestDockerSocketIsClusterOnly(t *testing.T) {
	yes := true
	errs := (&Policy{APIVersion: GroupVersion, Kind: KindPolicy, DockerSocket: &yes}).ValidateNamespaceScope(&Policy{})
	if assert.Len(t, errs, 1) {
		assert.Equal(t, "dockerSocket", errs[0].Field)
	}
}
