package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// versionVar is the variable the Dockerfile's -ldflags stamp too.
const versionVar = "jobfit.dev/jobfit/cmd/jobfit/app.Version"

// ldflags are the Dockerfile's: stripped, with the version stamped.
func ldflags(version string) string {
	return "-s -w -X " + versionVar + "=" + version
}

// options are the builder's flags.
type options struct {
	Version   string
	Revision  string
	Out       string
	Platforms []string
	Package   string
}

// parsePlatform reads os/arch.
func parsePlatform(s string) (v1.Platform, error) {
	osName, arch, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok || osName == "" || arch == "" || strings.Contains(arch, "/") {
		return v1.Platform{}, fmt.Errorf("-platforms: %q is not os/arch", s)
	}
	return v1.Platform{OS: osName, Architecture: arch}, nil
}

// buildBinary cross-compiles the package for p into dir, the way the
// Dockerfile's builder stage does: static (CGO off), -trimpath, no VCS
// stamping (the version comes from -version).
func buildBinary(o options, p v1.Platform, dir string) (string, error) {
	out := filepath.Join(dir, "jobfit-"+p.OS+"-"+p.Architecture)
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags(o.Version), "-o", out, o.Package)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Architecture)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building %s for %s/%s: %w", o.Package, p.OS, p.Architecture, err)
	}
	return out, nil
}
