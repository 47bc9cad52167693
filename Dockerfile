# syntax=docker/dockerfile:1
#
# jobfit's image: one static binary on distroless, multi-arch.
#   docker buildx build --platform linux/amd64,linux/arm64 \
#     --build-arg VERSION=v0.1.0 -t ghcr.io/jobfit-dev/jobfit:v0.1.0 .

# The builder runs on the build machine's own platform and cross-compiles
# for TARGETARCH: no emulation, and CGO is off so nothing needs a C
# cross-compiler.
FROM --platform=$BUILDPLATFORM golang:1.26 AS builder
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
ENV CGO_ENABLED=0 \
    GOTOOLCHAIN=local \
    GOFLAGS=-mod=readonly
WORKDIR /src

# Modules first, in a layer of their own: it is rebuilt only when go.mod or
# go.sum change, not on every source edit.
COPY go.mod go.sum ./
RUN go mod download && go mod verify

COPY . .
# The build cache mount speeds up rebuilds and never ends up in a layer.
# -buildvcs=false: .git is not in the context (.dockerignore); the version
# comes from VERSION instead.
RUN --mount=type=cache,target=/root/.cache/go-build \
    GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X jobfit.dev/jobfit/cmd/jobfit/app.Version=${VERSION}" \
      -o /out/jobfit ./cmd/jobfit

# static:nonroot has CA certificates and tzdata, no shell and no package
# manager, and its nonroot user is 65532, which the manifests require
# (runAsNonRoot, runAsUser 65532).
#
# hack/image builds the same image without Docker (make image): the same
# binary, user, entrypoint and labels, FROM an empty base with its own
# /etc/passwd. hack/image's TestDockerfileAgrees keeps the two in step.
FROM gcr.io/distroless/static:nonroot
ARG VERSION=dev
LABEL org.opencontainers.image.title="jobfit" \
      org.opencontainers.image.source="https://github.com/jobfit-dev/jobfit" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=builder /out/jobfit /jobfit
USER 65532:65532
ENTRYPOINT ["/jobfit"]
