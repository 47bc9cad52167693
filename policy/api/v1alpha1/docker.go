package v1alpha1

// DockerSocketPath is where a node's Docker daemon listens; GitLab's
// Docker-in-Kubernetes recipes mount it into job pods with a hostPath.
const DockerSocketPath = "/var/run/docker.sock"

// HasDockerSocket says whether the policy's nodes run a Docker daemon, so
// that a job pod may mount its socket: dockerSocket when set, otherwise
// false on karpenter, eci and fargate (containerd since Kubernetes 1.24 on
// EKS; no host at all on ECI and Fargate) and true on generic, whose nodes
// jobfit cannot know.
func (p *Policy) HasDockerSocket() bool {
	if p.DockerSocket != nil {
		return *p.DockerSocket
	}
	return p.Platform == PlatformGeneric || p.Platform == ""
}
