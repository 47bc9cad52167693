package policy

import (
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// ImageArchConflict is an arch the job asked for, or the runner pinned,
// that some of the job's images do not offer. The ask is kept: the job
// said so, and the cache may be wrong about a tag that changed since.
type ImageArchConflict struct {
	// Arch and Source are the arch kept and where it came from.
	Arch, Source string
	// OS is the policy's arch.os.
	OS string
	// Images are the job's images whose platforms lack OS/Arch.
	Images []string
}

// String is the warning the user sees.
func (c ImageArchConflict) String() string {
	return "arch " + c.Arch + " kept (" + c.Source + ") although " + strings.Join(c.Images, ", ") +
		" offer(s) no " + c.OS + "/" + c.Arch + " image: the job may fail at image pull or with exec format error"
}

// ImageLookups counts the job images Apply looked up in the image-platform
// cache, for the webhook's hit and miss metrics.
type ImageLookups struct {
	Hits, Misses int
}

// imageView is what the cache knows of one pod's job images.
type imageView struct {
	images []string
	arches [][]string // per image, for arch.os; nil when unknown
	known  []bool
}

// maxSourceImages bounds the images an images: source lists, so that a pod
// of many containers cannot grow the applied record without bound.
const maxSourceImages = 4

// maxShownRef bounds the length of one image reference in a source or a
// warning.
const maxShownRef = 128

// JobImages returns the images of a job pod's build, service and init
// containers, unique and in pod order. GitLab's helper containers are left
// out: their image is per arch, and the arch step rewrites it.
func JobImages(pod *corev1.Pod) []string {
	var out []string
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range cs {
			c := &cs[i]
			if helperContainers[c.Name] || c.Image == "" || slices.Contains(out, c.Image) {
				continue
			}
			out = append(out, c.Image)
		}
	}
	return out
}

// view looks the pod's job images up once per Apply.
func (a *applier) view() *imageView {
	if a.imgView != nil {
		return a.imgView
	}
	v := &imageView{images: JobImages(a.pod)}
	for _, img := range v.images {
		arches, ok := a.images.Arches(img, a.p.Arch.OS)
		v.arches, v.known = append(v.arches, arches), append(v.known, ok)
		if ok {
			a.dec.ImageLookups.Hits++
		} else {
			a.dec.ImageLookups.Misses++
		}
	}
	a.imgView = v
	return v
}

// unaskedArch is the arch of a job that names none: with arch.fromImages,
// the first preferred arch (among those the runner's pin allows) that all
// its images offer; otherwise, or while an image is unknown, arch.default.
func (a *applier) unaskedArch() Trait {
	def := Trait{Value: a.p.Arch.Default, Source: "default"}
	pin := a.traits.ArchPin.Values
	if !a.p.Arch.FromImages || len(pin) == 1 {
		// A single pin wins whatever the images say; checkImagesRun
		// reports it if they cannot run there.
		return def
	}
	if t, ok := a.priorImageArch(); ok {
		return t
	}
	v := a.view()
	if len(v.images) == 0 {
		return def
	}
	if unknown := v.unknown(); len(unknown) > 0 {
		a.dec.warn("platforms of " + strings.Join(unknown, ", ") + " not known yet; arch.default " + def.Value +
			" used (arch.fromImages)")
		return def
	}
	for _, arch := range a.p.Arch.PreferredArches() {
		if len(pin) > 0 && !slices.Contains(pin, arch) {
			continue
		}
		if len(v.missing(arch)) == 0 {
			return Trait{Value: arch, Source: v.source()}
		}
	}
	a.dec.warn("no arch in arch.preferred runs every image (" + v.source() + "); arch.default " + def.Value + " used")
	return def
}

// priorImageArch keeps the arch an earlier pass of the same policy chose
// from the images or the default: the cache may have learnt an image
// between two passes over one pod, and Apply must stay idempotent.
func (a *applier) priorImageArch() (Trait, bool) {
	if a.prior.Hash != a.p.Hash() {
		return Trait{}, false
	}
	for _, d := range a.prior.Decisions {
		if d.Mutation == MutArch && (d.Source == "default" || strings.HasPrefix(d.Source, imagesSource)) {
			return Trait{Value: d.Value, Source: d.Source}, true
		}
	}
	return Trait{}, false
}

// checkImagesRun reports an asked or pinned arch that some known job image
// does not offer. Unknown images are not a conflict: the cache will know
// them soon, and the ask stands either way.
func (a *applier) checkImagesRun(arch Trait) {
	if !a.p.Arch.FromImages {
		return
	}
	missing := a.view().missing(arch.Value)
	if len(missing) == 0 {
		return
	}
	c := ImageArchConflict{Arch: arch.Value, Source: arch.Source, OS: a.p.Arch.OS, Images: missing}
	a.dec.ImageArchConflicts = append(a.dec.ImageArchConflicts, c)
	a.dec.warn(c.String())
	// Recorded too, so that the scaler can put an Event on the pod once
	// it exists (the pod has no UID at admission).
	a.dec.add(MutImageArchConflict, arch.Value, c.recordSource(), false)
}

// recordSource names the images in the applied record: "images without
// linux/arm64: a, b", at most maxSourceImages of them.
func (c ImageArchConflict) recordSource() string {
	shown := c.Images
	more := ""
	if len(shown) > maxSourceImages {
		shown, more = shown[:maxSourceImages], "; and "+strconv.Itoa(len(c.Images)-maxSourceImages)+" more"
	}
	return "images without " + c.OS + "/" + c.Arch + ": " + strings.Join(shown, ", ") + more
}

// imagesSource starts the source of an arch chosen from the images.
const imagesSource = "images:"

// source names the images and their arches: "images: maven:3.9 amd64,
// arm64; postgres:16 amd64, arm64".
func (v *imageView) source() string {
	var b strings.Builder
	b.WriteString(imagesSource)
	for i, img := range v.images {
		if i == maxSourceImages {
			b.WriteString("; and " + strconv.Itoa(len(v.images)-i) + " more")
			break
		}
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(" " + shownRef(img) + " ")
		if len(v.arches[i]) == 0 {
			b.WriteString("(none for this os)")
		}
		b.WriteString(strings.Join(v.arches[i], ", "))
	}
	return b.String()
}

// missing lists the known images that do not offer arch.
func (v *imageView) missing(arch string) []string {
	var out []string
	for i, img := range v.images {
		if v.known[i] && !slices.Contains(v.arches[i], arch) {
			out = append(out, shownRef(img))
		}
	}
	return out
}

// unknown lists the images the cache does not know.
func (v *imageView) unknown() []string {
	var out []string
	for i, img := range v.images {
		if !v.known[i] {
			out = append(out, shownRef(img))
		}
	}
	return out
}

func shownRef(ref string) string {
	if len(ref) > maxShownRef {
		return ref[:maxShownRef] + "..."
	}
	return ref
}
