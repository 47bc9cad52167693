package main

import (
	"fmt"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// source is the org.opencontainers.image.source label.
const source = "https://github.com/jobfit-dev/jobfit"

// run builds one image per platform and writes their index as an OCI
// layout at o.Out, replacing what was there.
func run(o options) error {
	tmp, err := os.MkdirTemp("", "jobfit-image-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, s := range o.Platforms {
		p, err := parsePlatform(s)
		if err != nil {
			return err
		}
		bin, err := buildBinary(o, p, tmp)
		if err != nil {
			return err
		}
		img, err := platformImage(o, p, bin)
		if err != nil {
			return fmt.Errorf("image for %s/%s: %w", p.OS, p.Architecture, err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &p},
		})
	}
	if err := os.RemoveAll(o.Out); err != nil {
		return fmt.Errorf("removing the previous layout: %w", err)
	}
	lp, err := layout.Write(o.Out, empty.Index)
	if err != nil {
		return fmt.Errorf("writing layout %s: %w", o.Out, err)
	}
	// The ref name lets skopeo and crane address it: oci:bin/image:VERSION.
	if err := lp.AppendIndex(idx, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": o.Version,
	})); err != nil {
		return fmt.Errorf("writing index to %s: %w", o.Out, err)
	}
	d, err := idx.Digest()
	if err != nil {
		return err
	}
	fmt.Printf("wrote %s (index %s, %d platforms, version %s)\n", o.Out, d, len(o.Platforms), o.Version)
	return nil
}

// platformImage is the Dockerfile's final stage for one platform: the
// binary as entrypoint, run as the nonroot user.
func platformImage(o options, p v1.Platform, binary string) (v1.Image, error) {
	layer, err := rootLayer(binary)
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, err
	}
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture, cfg.Variant = p.OS, p.Architecture, p.Variant
	cfg.Config.User = user
	cfg.Config.Entrypoint = []string{entry}
	cfg.Config.WorkingDir = "/home/nonroot"
	cfg.Config.Labels = labels(o)
	return mutate.ConfigFile(img, cfg)
}

// labels are the OCI annotation keys, as image labels.
func labels(o options) map[string]string {
	l := map[string]string{
		"org.opencontainers.image.title":       "jobfit",
		"org.opencontainers.image.description": "Places GitLab CI job pods on the right Kubernetes nodes, and keeps the right nodes around for them",
		"org.opencontainers.image.source":      source,
		"org.opencontainers.image.version":     o.Version,
	}
	if o.Revision != "" {
		l["org.opencontainers.image.revision"] = o.Revision
	}
	return l
}
