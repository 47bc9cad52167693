package signals_test

import (
	"testing"

	awsv1 "github.com/aws/karpenter-provider-aws/pkg/apis/v1"
	"github.com/awslabs/operatorpkg/status"
	"github.com/stretchr/testify/assert"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"jobfit.dev/jobfit/scaler/signals"
)

func nodeClass(generation int64, conds ...status.Condition) *awsv1.EC2NodeClass {
	nc := &awsv1.EC2NodeClass{ObjectMeta: metav1.ObjectMeta{Name: "ci", Generation: generation}}
	nc.Status.Conditions = conds
	return nc
}

func ready(s metav1.ConditionStatus, reason, msg string, observed int64) status.Condition {
	return status.Condition{Type: status.ConditionReady, Status: s, Reason: reason, Message: msg, ObservedGeneration: observed,
		LastTransitionTime: metav1.NewTime(t0)}
}

func TestEC2NodeClassReadiness(t *testing.T) {
	cases := []struct {
		name          string
		nc            *awsv1.EC2NodeClass
		ready         bool
		reason, since string
	}{
		{name: "Ready", nc: nodeClass(2, ready(metav1.ConditionTrue, "Ready", "", 2)), ready: true},
		{name: "not Ready: no subnets", nc: nodeClass(1, ready(metav1.ConditionFalse, "SubnetsNotReady", "SubnetSelector did not match any Subnets", 1)),
			reason: "SubnetsNotReady"},
		{name: "Unknown", nc: nodeClass(1, ready(metav1.ConditionUnknown, "AMIsNotReady", "", 1)), reason: "AMIsNotReady"},
		{name: "no Ready condition yet", nc: nodeClass(1), reason: signals.ReasonAwaitingReconciliation},
		{name: "Ready for an older spec", nc: nodeClass(3, ready(metav1.ConditionTrue, "Ready", "", 2)), reason: signals.ReasonAwaitingReconciliation},
		{name: "does not exist", reason: signals.ReasonNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := signals.EC2NodeClassReadiness("ci", []string{"ci-spot"}, tc.nc)
			assert.Equal(t, tc.ready, s.Ready)
			assert.Equal(t, tc.reason, s.Reason)
			assert.Equal(t, []string{"ci-spot"}, s.NodePools)
			if !tc.ready {
				assert.NotEmpty(t, s.Message)
			}
		})
	}
}

func TestEC2NodeClassOf(t *testing.T) {
	pool := func(ref *karpv1.NodeClassReference) *karpv1.NodePool {
		np := &karpv1.NodePool{}
		np.Spec.Template.Spec.NodeClassRef = ref
		return np
	}
	cases := []struct {
		name string
		ref  *karpv1.NodeClassReference
		want string
	}{
		{"EC2NodeClass", &karpv1.NodeClassReference{Group: "karpenter.k8s.aws", Kind: "EC2NodeClass", Name: "ci"}, "ci"},
		{"KWOKNodeClass", &karpv1.NodeClassReference{Group: "karpenter.kwok.sh", Kind: "KWOKNodeClass", Name: "default"}, ""},
		{"another kind in the AWS group", &karpv1.NodeClassReference{Group: "karpenter.k8s.aws", Kind: "Other", Name: "ci"}, ""},
		{"no reference", nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name, ok := signals.EC2NodeClassOf(pool(tc.ref))
			assert.Equal(t, tc.want != "", ok)
			assert.Equal(t, tc.want, name)
		})
	}
}
