package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

const (
	// MaxImageRefLength bounds an image reference in the document; a
	// reference longer than this is not an image a registry would serve.
	MaxImageRefLength = 512
)

// ImagePlatforms maps an image reference, written as job pods name it
// ("maven:3.9", "registry.example.com/team/app@sha256:..."), to the
// platforms its manifest list or image config offers, each "os/arch" or
// "os/arch/variant" ("linux/amd64", "linux/arm64/v8"). An image that is
// not in the map is unknown. The zero value knows no image.
type ImagePlatforms map[string][]string

// Arches returns the arches that image offers for os, sorted and unique,
// and whether the image is known at all.
func (ip ImagePlatforms) Arches(image, os string) ([]string, bool) {
	platforms, ok := ip[image]
	if !ok {
		return nil, false
	}
	var arches []string
	for _, p := range platforms {
		pos, arch, ok := splitPlatform(p)
		if ok && pos == os && !slices.Contains(arches, arch) {
			arches = append(arches, arch)
		}
	}
	slices.Sort(arches)
	return arches, true
}

// splitPlatform splits "os/arch[/variant]"; the variant does not matter
// to a node's kubernetes.io/arch.
func splitPlatform(p string) (os, arch string, ok bool) {
	parts := strings.Split(p, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return "", "", false
	}
	return parts[0], parts[1], true
}

// ValidPlatform reports whether p is "os/arch" or "os/arch/variant".
func ValidPlatform(p string) bool {
	_, _, ok := splitPlatform(p)
	return ok
}

// ParseImagePlatforms decodes an ImagePlatforms document strictly: a JSON
// object of image reference to a list of "os/arch[/variant]" strings.
// An error names the image whose entry is wrong.
func ParseImagePlatforms(data []byte) (ImagePlatforms, error) {
	ip := ImagePlatforms{}
	if len(bytes.TrimSpace(data)) == 0 {
		return ip, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ip); err != nil {
		return nil, fmt.Errorf("decoding image platforms: want a JSON object of image to [\"os/arch\", ...]: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("decoding image platforms: more than one JSON document")
	}
	for _, image := range sortedKeys(ip) {
		if image == "" || len(image) > MaxImageRefLength || strings.ContainsAny(image, " \t\n") {
			return nil, fmt.Errorf("image platforms: %q is not an image reference", image)
		}
		for i, p := range ip[image] {
			if !ValidPlatform(p) {
				return nil, fmt.Errorf("image platforms: %s[%d]: %q is not os/arch or os/arch/variant", image, i, p)
			}
		}
	}
	return ip, nil
}

// Marshal encodes the document with sorted keys, so that an unchanged
// cache writes the same bytes.
func (ip ImagePlatforms) Marshal() ([]byte, error) {
	if ip == nil {
		ip = ImagePlatforms{}
	}
	b, err := json.Marshal(ip)
	if err != nil {
		return nil, fmt.Errorf("encoding image platforms: %w", err)
	}
	return b, nil
}
