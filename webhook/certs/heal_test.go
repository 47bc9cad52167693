package certs

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

// startsFailing is a rotator whose first starts fail as cert-controller's
// does when its cache has no Secret yet.
type startsFailing struct {
	failures int
	starts   int
	err      error
}

func (s *startsFailing) Start(context.Context) error {
	s.starts++
	if s.starts <= s.failures {
		return s.err
	}
	return nil
}

func (s *startsFailing) NeedLeaderElection() bool { return true }

// TestHealingRotatorRestartsOnMissingSecret: a rotator that finds no Secret
// at its start (its cache had not seen the one just recreated) is started
// again, and the replica stays up; any other error still ends it.
func TestHealingRotatorRestartsOnMissingSecret(t *testing.T) {
	key := types.NamespacedName{Namespace: "jobfit-system", Name: DefaultSecretName}
	c := fake.NewClientBuilder().WithObjects(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}).Build()
	healer := &secretHealer{reader: c, client: c, secret: key}
	notFound := fmt.Errorf("acquiring secret to update certificates: %w", apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, key.Name))

	inner := &startsFailing{failures: 1, err: notFound}
	r := healingRotator{LeaderElectionRunnable: inner, inner: inner, healer: healer}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, r.Start(ctx))
	assert.Equal(t, 2, inner.starts, "started again once the Secret is there")

	other := &startsFailing{failures: 1, err: fmt.Errorf("could not mount certs")}
	r = healingRotator{LeaderElectionRunnable: other, inner: other, healer: healer}
	require.EqualError(t, r.Start(ctx), "could not mount certs")
	assert.Equal(t, 1, other.starts)
}
