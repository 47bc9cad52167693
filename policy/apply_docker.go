package policy

import (
	"path"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// checkDockerSocket warns about a job pod that mounts the node's Docker
// socket on a platform whose nodes have none (dockerSocket, or the
// platform's default). It changes nothing: the pod may still be meant for
// nodes jobfit does not know about, but the job would otherwise fail with
// "Cannot connect to the Docker daemon" long after admission.
func (a *applier) checkDockerSocket() {
	if a.p.HasDockerSocket() {
		return
	}
	for _, v := range a.pod.Spec.Volumes {
		if v.HostPath == nil || !isDockerSocket(v.HostPath.Path) {
			continue
		}
		a.dec.warn("volume " + v.Name + " mounts " + v.HostPath.Path + " from the node, but platform " + string(a.p.Platform) +
			" nodes run no Docker daemon (dockerSocket is false), so docker commands will fail with \"Cannot connect to the Docker daemon\"; " +
			"build with a docker:dind service, Kaniko or BuildKit rootless instead, or set dockerSocket: true if these nodes run Docker")
	}
}

func isDockerSocket(p string) bool {
	p = path.Clean(p)
	return p == v1alpha1.DockerSocketPath || p == "/run/docker.sock"
}
