package stack

import (
	"fmt"
	"os"
)

// AssetsEnv names the directory of kube-apiserver, etcd and kube-scheduler,
// as envtest reads it; hack/build-control-plane.sh prints it.
const AssetsEnv = "KUBEBUILDER_ASSETS"

// ToolsEnv names the directory of karpenter-kwok, kwok and kwok's stages;
// hack/build-e2e-tools.sh prints it.
const ToolsEnv = "JOBFIT_E2E_TOOLS"

// NoAssets says why tests that need a kube-apiserver cannot run, or is
// empty when KUBEBUILDER_ASSETS is set.
func NoAssets() string {
	if os.Getenv(AssetsEnv) != "" {
		return ""
	}
	return AssetsEnv + " is not set; see hack/build-control-plane.sh"
}

// NoStackTools says why tests that need the whole stack (Start) cannot
// run, or is empty when both KUBEBUILDER_ASSETS and JOBFIT_E2E_TOOLS are
// set.
func NoStackTools() string {
	if os.Getenv(AssetsEnv) != "" && os.Getenv(ToolsEnv) != "" {
		return ""
	}
	return "needs " + AssetsEnv + " (hack/build-control-plane.sh) and " + ToolsEnv + " (hack/build-e2e-tools.sh); run make e2e"
}

// ExitWithoutAssets ends a test binary whose tests all need a
// kube-apiserver, with status 0 and a line saying why, when
// KUBEBUILDER_ASSETS is not set: TestMain calls it first, so that go test
// ./... passes on a machine without the control-plane binaries.
func ExitWithoutAssets() {
	if why := NoAssets(); why != "" {
		fmt.Println("skipping:", why)
		os.Exit(0)
	}
}
