package runnerlint

// The part of GitLab Runner's config.toml the linter reads. Unknown keys
// are ignored: the runner has hundreds, and only these matter to jobfit.

type config struct {
	Runners []runner `toml:"runners"`
}

type runner struct {
	Name       string      `toml:"name"`
	Executor   string      `toml:"executor"`
	Kubernetes *kubernetes `toml:"kubernetes"`
}

type kubernetes struct {
	HelperImage     string            `toml:"helper_image"`
	Privileged      bool              `toml:"privileged"`
	NodeSelector    map[string]string `toml:"node_selector"`
	NodeTolerations map[string]string `toml:"node_tolerations"`
	PodLabels       map[string]string `toml:"pod_labels"`
	Volumes         volumes           `toml:"volumes"`
	Autoscaler      *autoscaler       `toml:"autoscaler"`
	// Settings holds every key of [runners.kubernetes], for the families
	// of settings read by name pattern (*_overwrite_max_allowed).
	Settings map[string]any `toml:"-"`
}

type volumes struct {
	HostPath []hostPath `toml:"host_path"`
}

type hostPath struct {
	Name      string `toml:"name"`
	MountPath string `toml:"mount_path"`
	HostPath  string `toml:"host_path"`
}

// autoscaler is [runners.kubernetes.autoscaler]: the runner's pause pods
// (GitLab Runner 18.10+).
type autoscaler struct {
	Policy []autoscalerPolicy `toml:"policy"`
}

type autoscalerPolicy struct {
	IdleCount int64 `toml:"idle_count"`
}

// rawConfig decodes the same document loosely, for Settings.
type rawConfig struct {
	Runners []struct {
		Kubernetes map[string]any `toml:"kubernetes"`
	} `toml:"runners"`
}
