// Package cluster shapes the replay's cluster: the kwok provider's
// AWS-like instance types, the shipped NodePools on a KWOKNodeClass, and
// the shipped ScalerPolicy, with every duration divided by the replay's
// speed.
package cluster

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Zones are the offerings' zones.
var Zones = []string{"us-east-1a", "us-east-1b", "us-east-1c"}

// family is one EC2 instance family: its on-demand price per hour for the
// xlarge (4 vCPU) size and the spot price as a fraction of it.
type family struct {
	name, category string
	generation     int
	arch           string
	xlargeOnDemand float64
	spotFraction   float64
}

// families are c/m/r, generations 6 and 7, Intel, AMD and Graviton.
// On-demand prices are approximately the public us-east-1 Linux prices of
// 2025 (xlarge, USD per hour); spot fractions are typical of that region's
// spot history (spot prices move; these are a fixed snapshot).
var families = []family{
	{"c6i", "c", 6, "amd64", 0.170, 0.42}, {"c6a", "c", 6, "amd64", 0.153, 0.44}, {"c7i", "c", 7, "amd64", 0.1785, 0.45},
	{"c7a", "c", 7, "amd64", 0.2053, 0.47}, {"c6g", "c", 6, "arm64", 0.136, 0.40}, {"c7g", "c", 7, "arm64", 0.145, 0.43},
	{"m6i", "m", 6, "amd64", 0.192, 0.40}, {"m6a", "m", 6, "amd64", 0.1728, 0.42}, {"m7i", "m", 7, "amd64", 0.2016, 0.44},
	{"m7a", "m", 7, "amd64", 0.2318, 0.46}, {"m6g", "m", 6, "arm64", 0.154, 0.38}, {"m7g", "m", 7, "arm64", 0.1632, 0.41},
	{"r6i", "r", 6, "amd64", 0.252, 0.34}, {"r6a", "r", 6, "amd64", 0.2268, 0.36}, {"r7i", "r", 7, "amd64", 0.2646, 0.38},
	{"r7a", "r", 7, "amd64", 0.3043, 0.40}, {"r6g", "r", 6, "arm64", 0.2016, 0.33}, {"r7g", "r", 7, "arm64", 0.2142, 0.36},
}

// sizes are the vCPU counts the shipped NodePools allow, by AWS size name.
var sizes = []struct {
	name string
	cpu  int
}{{"xlarge", 4}, {"2xlarge", 8}, {"4xlarge", 16}, {"8xlarge", 32}}

var memPerCPU = map[string]int{"c": 2, "m": 4, "r": 8}

// InstanceType is one entry of the kwok provider's instance-types file
// (sigs.k8s.io/karpenter/kwok/cloudprovider InstanceTypeOptions).
type InstanceType struct {
	Name             string              `json:"name"`
	Offerings        []Offering          `json:"offerings"`
	Architecture     string              `json:"architecture"`
	OperatingSystems []corev1.OSName     `json:"operatingSystems"`
	Resources        corev1.ResourceList `json:"resources"`
}

// Offering is one price and availability of an instance type. The kwok
// provider registers every requirement key of an offering as a well-known
// label, so the karpenter.k8s.aws/* keys of the shipped NodePools can be
// matched against these.
type Offering struct {
	Price        float64                          `json:"Price"`
	Available    bool                             `json:"Available"`
	Requirements []corev1.NodeSelectorRequirement `json:"Requirements"`
}

// Prices maps instance type and capacity type to the hourly price.
type Prices map[string]map[string]float64

// Catalog returns the instance types, with or without spot offerings.
func Catalog(withSpot bool) []InstanceType {
	var out []InstanceType
	for _, f := range families {
		for i, s := range sizes {
			od := f.xlargeOnDemand * float64(int(1)<<i)
			name := f.name + "." + s.name
			it := InstanceType{
				Name: name, Architecture: f.arch, OperatingSystems: []corev1.OSName{corev1.Linux},
				Resources: corev1.ResourceList{
					corev1.ResourceCPU:    *resource.NewQuantity(int64(s.cpu), resource.DecimalSI),
					corev1.ResourceMemory: resource.MustParse(strconv.Itoa(s.cpu*memPerCPU[f.category]) + "Gi"),
					corev1.ResourcePods:   resource.MustParse("110"),
				},
			}
			for _, zone := range Zones {
				if withSpot {
					it.Offerings = append(it.Offerings, offering(f, s.name, s.cpu, zone, "spot", od*f.spotFraction))
				}
				it.Offerings = append(it.Offerings, offering(f, s.name, s.cpu, zone, "on-demand", od))
			}
			out = append(out, it)
		}
	}
	sort.Slice(out, func(i, k int) bool { return out[i].Name < out[k].Name })
	return out
}

func offering(f family, size string, cpu int, zone, capacity string, price float64) Offering {
	in := func(key string, v ...string) corev1.NodeSelectorRequirement {
		return corev1.NodeSelectorRequirement{Key: key, Operator: corev1.NodeSelectorOpIn, Values: v}
	}
	return Offering{Price: round4(price), Available: true, Requirements: []corev1.NodeSelectorRequirement{
		in("karpenter.sh/capacity-type", capacity),
		in(corev1.LabelTopologyZone, zone),
		in("karpenter.k8s.aws/instance-category", f.category),
		in("karpenter.k8s.aws/instance-family", f.name),
		in("karpenter.k8s.aws/instance-generation", strconv.Itoa(f.generation)),
		in("karpenter.k8s.aws/instance-cpu", strconv.Itoa(cpu)),
		in("karpenter.k8s.aws/instance-size", size),
	}}
}

func round4(f float64) float64 { return float64(int64(f*10000+0.5)) / 10000 }

// PriceTable returns the prices of types.
func PriceTable(types []InstanceType) Prices {
	p := Prices{}
	for _, it := range types {
		p[it.Name] = map[string]float64{}
		for _, o := range it.Offerings {
			for _, r := range o.Requirements {
				if r.Key == "karpenter.sh/capacity-type" {
					p[it.Name][r.Values[0]] = o.Price
				}
			}
		}
	}
	return p
}

// WriteInstanceTypes writes types as the kwok provider reads them.
func WriteInstanceTypes(path string, types []InstanceType) error {
	raw, err := json.MarshalIndent(types, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding instance types: %w", err)
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		return fmt.Errorf("writing instance types: %w", err)
	}
	return nil
}
