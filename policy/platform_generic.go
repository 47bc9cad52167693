package policy

import "jobfit.dev/jobfit/policy/api/v1alpha1"

// genericPlatform is any other cluster: jobfit sets the arch and OS node
// selectors, tolerations, resources, caches and metadata, and places no
// capacity type (there is no common node label for it).
var genericPlatform = &platform{
	PlatformSpec: v1alpha1.Generic,
}
