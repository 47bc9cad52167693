package webhook

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	admissionv1 "k8s.io/api/admission/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"jobfit.dev/jobfit/webhook/certs"
)

// startTLSServer runs the real admission server (NewServer, with its
// deadlines and TLS) on a fresh key pair, serving the review handler over
// policy, and returns its address.
func startTLSServer(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	certPEM, keyPEM, err := certs.SelfSignedKeyPair([]string{"localhost"}, time.Now())
	require.NoError(t, err)
	_, err = certs.WriteKeyPair(dir, certPEM, keyPEM)
	require.NoError(t, err)
	// The real Store: requests are served concurrently.
	store := NewStore()
	store.SetCluster(loadPolicy(t))
	return runServer(t, dir, NewReviewHandler(&admission.Webhook{Handler: NewHandler(store)}))
}

// stall opens a TLS connection and sends a review's headers announcing
// length bytes (or chunked, when length is negative) and a few bytes of
// body, then sends nothing more. It returns the connection, still open.
func stall(t *testing.T, addr string, length int) *tls.Conn {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: jobfit\r\nContent-Type: application/json\r\n", Path)
	if length >= 0 {
		head += fmt.Sprintf("Content-Length: %d\r\n\r\n{\"apiVersion\":", length)
	} else {
		head += "Transfer-Encoding: chunked\r\n\r\n10\r\n{\"apiVersion\":\"a"
	}
	_, err = conn.Write([]byte(head))
	require.NoError(t, err)
	return conn
}

// TestStalledClientsDoNotStopMutation reproduces the audit's slow client:
// a review over TLS that announces a body just over 3 MB (or a chunked
// one), sends a few bytes and holds the connection. Beside a few of them,
// ordinary job-pod reviews must still be mutated (HTTP 200 with a patch),
// not refused as overloaded; and the server must cut the stalled
// connections off by itself.
func TestStalledClientsDoNotStopMutation(t *testing.T) {
	addr := startTLSServer(t)
	var stalled []*tls.Conn
	for range 4 {
		stalled = append(stalled, stall(t, addr, 3_300_000), stall(t, addr, -1))
	}
	// Give the server time to start reading (and, before the fix, to
	// charge the announced size against the budget).
	time.Sleep(200 * time.Millisecond)

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, Timeout: 10 * time.Second}
	job := reviewBody(t, createRequest(t, readPod(t, "job-pod-v18.11.yaml"), "gitlab-runner"))
	var (
		mu    sync.Mutex
		codes = map[int]int{}
		wg    sync.WaitGroup
	)
	for range 20 {
		wg.Go(func() {
			code, patched := post(client, addr, job)
			mu.Lock()
			defer mu.Unlock()
			if code == http.StatusOK && !patched {
				code = -1 // answered, but not mutated
			}
			codes[code]++
		})
	}
	wg.Wait()
	assert.Equal(t, map[int]int{http.StatusOK: 20}, codes, "every ordinary review is mutated beside the stalled clients")

	for i, conn := range stalled {
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(30*time.Second)))
		_, err := io.ReadAll(conn)
		var netErr net.Error
		if assertAs(err, &netErr) {
			assert.False(t, netErr.Timeout(), "stalled client %d: the server cut the connection off", i)
		}
	}
}

// post sends one review and reports the status and whether the answer
// carried a patch.
func post(client *http.Client, addr string, body []byte) (int, bool) {
	resp, err := client.Post("https://"+addr+Path, "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	var review admissionv1.AdmissionReview
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&review) != nil || review.Response == nil {
		return resp.StatusCode, false
	}
	return resp.StatusCode, review.Response.Allowed && len(review.Response.Patch) > 0
}

func assertAs(err error, target *net.Error) bool {
	if err == nil {
		return false
	}
	ne, ok := err.(net.Error) //nolint:errorlint // a read error from tls.Conn is the net.Error itself
	if ok {
		*target = ne
	}
	return ok
}
