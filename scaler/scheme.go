package scaler

import (
	awsapis "github.com/aws/karpenter-provider-aws/pkg/apis"
	awsv1 "github.com/aws/karpenter-provider-aws/pkg/apis/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/karpenter/pkg/apis"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"
)

// KarpenterGroupVersion is the group/version of Karpenter's NodePool and
// NodeClaim (karpenter.sh/v1).
var KarpenterGroupVersion = schema.GroupVersion{Group: apis.Group, Version: "v1"}

// EC2NodeClassGroupVersion is the group/version of the AWS provider's
// EC2NodeClass (karpenter.k8s.aws/v1).
var EC2NodeClassGroupVersion = schema.GroupVersion{Group: awsapis.Group, Version: "v1"}

// AddToScheme adds the built-in types, Karpenter's NodePool and NodeClaim,
// and the AWS provider's EC2NodeClass to s. (Karpenter and the provider
// register their types only into client-go's global scheme.)
func AddToScheme(s *runtime.Scheme) error {
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return err
	}
	s.AddKnownTypes(KarpenterGroupVersion, &karpv1.NodePool{}, &karpv1.NodePoolList{}, &karpv1.NodeClaim{}, &karpv1.NodeClaimList{})
	metav1.AddToGroupVersion(s, KarpenterGroupVersion)
	s.AddKnownTypes(EC2NodeClassGroupVersion, &awsv1.EC2NodeClass{}, &awsv1.EC2NodeClassList{})
	metav1.AddToGroupVersion(s, EC2NodeClassGroupVersion)
	return nil
}
