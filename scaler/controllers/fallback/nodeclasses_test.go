package fallback_test

import (
	"context"
	"testing"
	"time"

	awsv1 "github.com/aws/karpenter-provider-aws/pkg/apis/v1"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"jobfit.dev/jobfit/scaler"
	"jobfit.dev/jobfit/scaler/config"
	fallbackcontroller "jobfit.dev/jobfit/scaler/controllers/fallback"
	"jobfit.dev/jobfit/scaler/fallback"
	"jobfit.dev/jobfit/scaler/metrics"
)

// TestNoEC2NodeClassAPI: on a cluster without the AWS provider's CRD, a
// pass neither fails nor reports a node class. The fake client only injects
// the error a RESTMapper gives for a kind the API server does not serve.
func TestNoEC2NodeClassAPI(t *testing.T) {
	s := runtime.NewScheme()
	require.NoError(t, scaler.AddToScheme(s))
	pool := &karpv1.NodePool{ObjectMeta: metav1.ObjectMeta{Name: "ci-spot"}}
	pool.Spec.Template.Spec.NodeClassRef = &karpv1.NodeClassReference{Group: "karpenter.k8s.aws", Kind: "EC2NodeClass", Name: "ci"}
	gets := 0
	c := fake.NewClientBuilder().WithScheme(s).WithObjects(pool).WithInterceptorFuncs(interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if _, ok := obj.(*awsv1.EC2NodeClass); ok {
				gets++
				return &meta.NoKindMatchError{GroupKind: scaler.EC2NodeClassGroupVersion.WithKind("EC2NodeClass").GroupKind()}
			}
			return c.Get(ctx, key, obj, opts...)
		},
	}).Build()
	p, errs := config.Load([]byte("apiVersion: jobfit.dev/v1alpha1\nkind: ScalerPolicy\nnodePools:\n- {name: ci-spot, role: spot}\n- {name: ci-on-demand, role: on-demand, weight: 10}\n"))
	require.Empty(t, errs)
	store := &config.Store{}
	store.Set(p)
	m := metrics.New(prometheus.NewRegistry())
	fc := fallbackcontroller.NewController(clocktesting.NewFakeClock(time.Now()), c, store, &fallback.Latest{}, events.NewFakeRecorder(10), m, "jobfit-system", time.Minute)

	for range 2 {
		_, err := fc.Reconcile(t.Context(), reconcile.Request{})
		require.NoError(t, err)
	}
	assert.Equal(t, 2, gets, "the EC2NodeClass was asked for")
	assert.Zero(t, testutil.CollectAndCount(m.NodeClassReady), "no node class is reported")
}
