package fallback

import (
	"context"
	"fmt"
	"slices"

	awsv1 "github.com/aws/karpenter-provider-aws/pkg/apis/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/signals"
)

// nodeClasses reads the EC2NodeClass behind each managed NodePool. Pools
// whose nodeClassRef is another kind (the simulator's KWOKNodeClass) are not
// checked, and neither is anything when the EC2NodeClass API is not served.
type nodeClasses struct {
	client client.Client
	// served is false once the API server said it has no EC2NodeClass
	// kind, so that this is logged once and not every pass.
	served *bool
}

// check returns the readiness of every EC2NodeClass a managed pool uses,
// sorted by name; nil when none is used or the API is not served.
func (n *nodeClasses) check(ctx context.Context, p *v1alpha1.ScalerPolicy, pools []*karpv1.NodePool) ([]signals.NodeClassState, error) {
	users := map[string][]string{}
	for _, np := range pools {
		if _, managed := p.Pool(np.Name); !managed {
			continue
		}
		if name, ok := signals.EC2NodeClassOf(np); ok {
			users[name] = append(users[name], np.Name)
		}
	}
	names := make([]string, 0, len(users))
	for name := range users {
		names = append(names, name)
	}
	slices.Sort(names)
	var out []signals.NodeClassState
	for _, name := range names {
		nc := &awsv1.EC2NodeClass{}
		err := n.client.Get(ctx, client.ObjectKey{Name: name}, nc)
		switch {
		case meta.IsNoMatchError(err):
			n.notServed(ctx)
			return nil, nil
		case apierrors.IsNotFound(err):
			nc = nil
		case err != nil:
			return nil, fmt.Errorf("reading ec2nodeclass %s: %w", name, err)
		}
		slices.Sort(users[name])
		out = append(out, signals.EC2NodeClassReadiness(name, users[name], nc))
	}
	if len(out) > 0 {
		n.served = new(true)
	}
	return out, nil
}

func (n *nodeClasses) notServed(ctx context.Context) {
	if n.served == nil || *n.served {
		log.FromContext(ctx).Info("the EC2NodeClass API is not served; node class readiness is not reported")
	}
	n.served = new(false)
}

// notReady turns the classes that are not Ready into status entries.
func notReady(classes []signals.NodeClassState) []v1alpha1.NodeClassCondition {
	var out []v1alpha1.NodeClassCondition
	for _, s := range classes {
		if !s.Ready {
			out = append(out, v1alpha1.NodeClassCondition{Name: s.Name, NodePools: s.NodePools, Reason: s.Reason, Message: s.Message, Since: s.Since.UTC()})
		}
	}
	return out
}
