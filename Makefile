# jobfit developer menu. `make help` lists the targets.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

GO            ?= go
BIN           ?= bin
TOOLS_DIR     ?= $(or $(JOBFIT_TOOLS_DIR),$(HOME)/.cache/jobfit-tools)
GOLANGCI_VER  ?= v2.15.0
GOLANGCI_LINT ?= $(TOOLS_DIR)/golangci-lint-$(GOLANGCI_VER)/golangci-lint
FUZZTIME      ?= 1m
# promtool for the alert-rule tests, built from Go modules on first use and
# cached (hack/build-go-tool.sh), so `make test` needs only Go and make.
PROMTOOL_PKG  ?= github.com/prometheus/prometheus/cmd/promtool@v0.316.0
EXAMPLE_POLICY ?= manifests/examples/policies/eks-karpenter.yaml
EXAMPLE_POD    ?= manifests/examples/pods/gitlab-runner-18.11-arm64-job.yaml
VERSION        ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION       ?= $(shell git rev-parse HEAD 2>/dev/null)
IMAGE_DIR      ?= $(BIN)/image
# make demo: a 20-minute synthetic morning at 20x (about 2 minutes a mode; boot 40s is 2s of wall time).
DEMO_ARGS      ?= --sample-length 20m --speed 20

##@ Usage

.PHONY: help
help: ## Show this menu.
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z0-9_-]+:.*##/ {printf "  \033[36m%-20s\033[0m %s\n", $$1, $$2} /^##@/ {printf "\n%s\n", substr($$0, 5)}' $(MAKEFILE_LIST)

.PHONY: run
run: ## Preview what jobfit does to a GitLab Runner 18.11 job pod (offline, no cluster).
	$(GO) run ./cmd/jobfit mutate --policy $(EXAMPLE_POLICY) -f $(EXAMPLE_POD) -o explain

.PHONY: build
build: ## Build bin/jobfit.
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/jobfit ./cmd/jobfit

.PHONY: image
image: ## Build the linux/amd64+arm64 image as an OCI layout in bin/image (no Docker, no push) and check it.
	$(GO) run ./hack/image -version $(VERSION) -revision "$(REVISION)" -out $(IMAGE_DIR)
	JOBFIT_IMAGE="$(abspath $(IMAGE_DIR))" JOBFIT_IMAGE_VERSION=$(VERSION) $(GO) test -count=1 -run 'TestBuiltImage|TestDockerfileAgrees' ./hack/image/

.PHONY: kubectl-jobfit
kubectl-jobfit: ## Build bin/kubectl-jobfit, the kubectl plugin (kubectl jobfit explain|status).
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/kubectl-jobfit ./cmd/kubectl-jobfit
.PHONY: demo
demo: control-plane ## Replay a synthetic CI morning with Karpenter alone and with jobfit, side by side (bin/demo.html).
	@mkdir -p $(BIN)
	$(GO) run ./hack/sim --sample $(DEMO_ARGS) --compare --json $(BIN)/demo.json --html $(BIN)/demo.html

.PHONY: sim
sim: control-plane ## Replay your GitLab jobs export in both modes: make sim TRACE=jobs.json [SIM_ARGS="--spot-outage 30m+20m"].
	@test -n "$(TRACE)" || { echo "usage: make sim TRACE=jobs.json (a GET /projects/:id/jobs export; see docs/sim.md)" >&2; exit 2; }
	@mkdir -p $(BIN)
	$(GO) run ./hack/sim --trace $(TRACE) --compare --json $(BIN)/sim.json --html $(BIN)/sim.html $(SIM_ARGS)

##@ Testing

.PHONY: test
test: control-plane helm ## Run every test: unit, golden, integration (real kube-apiserver + etcd), Helm chart and alert rules.
	KUBEBUILDER_ASSETS="$$(hack/build-control-plane.sh)" HELM="$$(hack/build-helm.sh)/helm" $(GO) test -count=1 ./...
	$(MAKE) --no-print-directory test-rules helm-lint

.PHONY: e2e
e2e: control-plane ## Run the end-to-end suite: jobfit + kube-scheduler + Karpenter's kwok provider + kwok (tools built from Go modules).
	KUBEBUILDER_ASSETS="$$(hack/build-control-plane.sh)" JOBFIT_E2E_TOOLS="$$(hack/build-e2e-tools.sh)" \
		$(GO) test -tags e2e -count=1 -timeout 20m ./test/e2e/...

.PHONY: test-unit
test-unit: ## Run the fast tests only (no API server).
	$(GO) test ./policy/... ./cmd/...

.PHONY: test-rules
test-rules: ## Check the Prometheus rules and run their promtool unit tests (promtool built from Go modules).
	promtool="$$(hack/build-go-tool.sh promtool $(PROMTOOL_PKG))"; \
	"$$promtool" check rules manifests/prometheus/rules.yaml; \
	"$$promtool" test rules manifests/prometheus/rules_test.yaml

.PHONY: update-golden
update-golden: ## Refresh policy/testdata/*.golden.yaml after an intended change (review the diff!).
	$(GO) test ./policy -run 'TestGolden' -update

.PHONY: helm-lint
helm-lint: helm ## Lint the Helm chart manifests/helm/jobfit with helm lint --strict.
	"$$(hack/build-helm.sh)/helm" lint --strict manifests/helm/jobfit -n jobfit-system

.PHONY: test-helm
test-helm: control-plane helm ## Run the Helm chart's tests: lint, goldens, schema, parity with kustomize, install into a real kube-apiserver.
	KUBEBUILDER_ASSETS="$$(hack/build-control-plane.sh)" HELM="$$(hack/build-helm.sh)/helm" $(GO) test -count=1 ./test/helm/

.PHONY: update-helm-golden
update-helm-golden: helm ## Copy the alert rules, packing scheduler config and dashboard into the chart, refresh test/helm/testdata/golden (review the diff!).
	cp manifests/prometheus/rules.yaml manifests/helm/jobfit/files/rules.yaml
	cp manifests/binpack-scheduler/config.yaml manifests/helm/jobfit/files/binpack-scheduler.yaml
	if [[ -f manifests/prometheus/dashboards/jobfit.json ]]; then \
		cp manifests/prometheus/dashboards/jobfit.json manifests/helm/jobfit/dashboards/jobfit.json; fi
	HELM="$$(hack/build-helm.sh)/helm" $(GO) test ./test/helm -run 'TestGolden' -update

.PHONY: bench
bench: ## Run the Go benchmarks (see docs/performance.md for recorded figures).
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./policy/... ./webhook/... ./scaler/...

.PHONY: loadtest
loadtest: control-plane ## Load-test the webhook: admissions at 500/s, then pod-create latency with vs without it.
	$(GO) run ./hack/loadtest -mode admission -rate 500 -duration 20s
	KUBEBUILDER_ASSETS="$$(hack/build-control-plane.sh)" $(GO) run ./hack/loadtest -mode apiserver -pods 300

.PHONY: fuzz
fuzz: ## Fuzz policy decoding, Apply, ApplyPausePod, the webhook's pod decoding and the runner config linter for FUZZTIME each (default 1m).
	$(GO) test ./policy -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME)
	$(GO) test ./policy -run '^$$' -fuzz '^FuzzApply$$' -fuzztime $(FUZZTIME)
	$(GO) test ./policy -run '^$$' -fuzz '^FuzzApplyPausePod$$' -fuzztime $(FUZZTIME)
	$(GO) test ./webhook -run '^$$' -fuzz '^FuzzDecodePod$$' -fuzztime $(FUZZTIME)
	$(GO) test ./cmd/jobfit/runnerlint -run '^$$' -fuzz '^FuzzLint$$' -fuzztime $(FUZZTIME)

.PHONY: helm
helm: ## Build helm from Go modules (cached by version).
	hack/build-helm.sh >/dev/null

.PHONY: control-plane
control-plane: ## Build kube-apiserver, kube-scheduler and etcd from Go modules (cached by version).
	hack/build-control-plane.sh >/dev/null

##@ Quality

.PHONY: lint
lint: $(GOLANGCI_LINT) ## Run golangci-lint, yamllint and shellcheck.
	$(GOLANGCI_LINT) run ./...
	yamllint -s manifests .golangci.yml
	shellcheck hack/*.sh .ci/run

$(GOLANGCI_LINT):
	GOBIN=$(dir $(GOLANGCI_LINT)) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VER)

.PHONY: verify
verify: ## Fail when formatting, go.mod or generated files are stale.
	test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) mod tidy -diff
	hack/gen-prometheusrule.sh --verify
	$(GO) vet ./...
	$(GO) vet -tags e2e ./test/e2e/...

.PHONY: generate
generate: ## Regenerate generated files (the PrometheusRule from the rules file).
	hack/gen-prometheusrule.sh
