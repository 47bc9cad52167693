// Command image builds jobfit's multi-arch container image without a
// container engine: it cross-compiles the binary for each platform and
// writes an OCI image layout (an index of one image per platform) with
// go-containerregistry. Nothing is pulled and nothing is pushed.
//
//	go run ./hack/image -version v0.1.0 -out bin/image
//
// The image is the Dockerfile's, FROM an empty base instead of
// distroless/static:nonroot: see docs/development.md.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

func main() {
	var o options
	var platforms string
	flag.StringVar(&o.Version, "version", "dev", "version stamped into the binary and the image labels")
	flag.StringVar(&o.Revision, "revision", "", "source revision for the org.opencontainers.image.revision label")
	flag.StringVar(&o.Out, "out", "bin/image", "directory of the OCI image layout to write (replaced)")
	flag.StringVar(&platforms, "platforms", "linux/amd64,linux/arm64", "comma-separated os/arch list")
	flag.StringVar(&o.Package, "package", "./cmd/jobfit", "Go package of the binary")
	flag.Parse()
	o.Platforms = strings.Split(platforms, ",")
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}
