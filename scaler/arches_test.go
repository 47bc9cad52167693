package scaler_test

import (
	"testing"

	awsv1 "github.com/aws/karpenter-provider-aws/pkg/apis/v1"
	"github.com/stretchr/testify/assert"
	"k8s.io/apimachinery/pkg/util/sets"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// TestScalerArchesAreTheProvidersArches keeps the arches a ScalerPolicy
// accepts (policy/ may not import Karpenter) equal to the ones the AWS
// provider launches.
func TestScalerArchesAreTheProvidersArches(t *testing.T) {
	assert.Equal(t, sets.List(v1alpha1.ScalerArches), awsv1.WellKnownArchitectures.List())
}
