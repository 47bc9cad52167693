package signals

import (
	"fmt"
	"time"

	awsapis "github.com/aws/karpenter-provider-aws/pkg/apis"
	awsv1 "github.com/aws/karpenter-provider-aws/pkg/apis/v1"
	"github.com/awslabs/operatorpkg/status"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"
)

// EC2NodeClassKind is the kind of the AWS provider's node class.
const EC2NodeClassKind = "EC2NodeClass"

// Reasons of a NodeClassState that Karpenter's condition does not give.
const (
	// ReasonNotFound: the pool refers to an EC2NodeClass that does not
	// exist. Karpenter then fails every launch of the pool.
	ReasonNotFound = "NotFound"
	// ReasonAwaitingReconciliation: the EC2NodeClass has no Ready condition
	// yet, or one for an older generation of its spec. Karpenter refuses
	// to launch from it until its controller has caught up.
	ReasonAwaitingReconciliation = "AwaitingReconciliation"
)

// EC2NodeClassOf returns the name of the EC2NodeClass that np's template
// refers to, and false when it refers to another kind of node class (the
// KWOKNodeClass of the simulator, another provider's), which jobfit does not
// check.
func EC2NodeClassOf(np *karpv1.NodePool) (string, bool) {
	ref := np.Spec.Template.Spec.NodeClassRef
	if ref == nil || ref.Group != awsapis.Group || ref.Kind != EC2NodeClassKind || ref.Name == "" {
		return "", false
	}
	return ref.Name, true
}

// NodeClassState is the readiness of one EC2NodeClass behind managed pools.
type NodeClassState struct {
	// Name is the EC2NodeClass's name.
	Name string
	// NodePools are the managed pools that use it.
	NodePools []string
	// Ready is Karpenter's verdict: launches from it can proceed.
	Ready bool
	// Reason and Message explain a class that is not Ready.
	Reason, Message string
	// Since is when the Ready condition last changed (zero when unknown).
	Since time.Time
}

// EC2NodeClassReadiness judges nc the way the AWS provider does before a
// launch: its Ready condition must be True and must have observed the
// current generation. nc is nil when the class does not exist.
func EC2NodeClassReadiness(name string, pools []string, nc *awsv1.EC2NodeClass) NodeClassState {
	s := NodeClassState{Name: name, NodePools: pools}
	if nc == nil {
		s.Reason, s.Message = ReasonNotFound, fmt.Sprintf("EC2NodeClass %s does not exist", name)
		return s
	}
	ready := nc.StatusConditions(status.WithObservedOnly()).Get(status.ConditionReady)
	switch {
	case ready == nil:
		s.Reason, s.Message = ReasonAwaitingReconciliation, "no Ready condition yet"
		return s
	case ready.ObservedGeneration != nc.Generation:
		s.Reason = ReasonAwaitingReconciliation
		s.Message = fmt.Sprintf("Ready condition is for generation %d, the spec is at %d", ready.ObservedGeneration, nc.Generation)
	default:
		s.Ready = ready.IsTrue()
		s.Reason, s.Message = ready.Reason, ready.Message
		if s.Message == "" {
			s.Message = fmt.Sprintf("Ready is %s", ready.Status)
		}
	}
	s.Since = ready.LastTransitionTime.Time
	if s.Ready {
		s.Reason, s.Message = "", ""
	}
	return s
}
