package policy

import "strconv"

const gib = int64(1) << 30

// eciSpec is one vCPU size with the memory sizes (GiB×4, to keep 0.5 GiB
// exact) ECI offers for it.
type eciSpec struct {
	milliCPU   int64
	memQuarter []int64
}

// eciX86Specs is ECI's vCPU/memory table for x86 pods.
var eciX86Specs = []eciSpec{
	{250, []int64{2, 4}}, {500, []int64{4, 8}}, {1000, []int64{8, 16, 32}},
	{2000, []int64{4, 8, 16, 32, 64}}, {4000, []int64{16, 32, 64, 128}},
	{8000, []int64{32, 64, 128, 256}}, {12000, []int64{48, 96, 192, 384}},
	{16000, []int64{64, 128, 256, 512}}, {24000, []int64{96, 192, 384, 768}},
	{32000, []int64{128, 256, 512, 1024}}, {52000, []int64{384, 768, 1536}},
	{64000, []int64{512, 1024, 2048}},
}

// eciArmFamilies are the ECS ARM (Yitian) families ECI runs arm64 pods on,
// by GiB of memory per vCPU.
var eciArmFamilies = []struct {
	family string
	ratio  int64
}{{"c8y", 2}, {"g8y", 4}, {"r8y", 8}}

// eciArmSizes are ECS size names by vCPU.
var eciArmSizes = []struct {
	name string
	cpu  int64
}{{"large", 2}, {"xlarge", 4}, {"2xlarge", 8}, {"4xlarge", 16}, {"8xlarge", 32}, {"16xlarge", 64}}

// eciSpecFor returns the smallest eci-use-specs value that fits: "2-4Gi"
// for x86, an ECS type such as ecs.c8y.large for arm64.
func eciSpecFor(arch string, milliCPU, memBytes int64) (string, bool) {
	if arch == "arm64" {
		for _, s := range eciArmSizes {
			if s.cpu*1000 < milliCPU {
				continue
			}
			for _, f := range eciArmFamilies {
				if s.cpu*f.ratio*gib >= memBytes {
					return "ecs." + f.family + "." + s.name, true
				}
			}
		}
		return "", false
	}
	for _, s := range eciX86Specs {
		if s.milliCPU < milliCPU {
			continue
		}
		for _, q := range s.memQuarter {
			if q*gib/4 >= memBytes {
				return formatMilli(s.milliCPU) + "-" + formatQuarterGi(q), true
			}
		}
	}
	return "", false
}

func formatMilli(m int64) string {
	return strconv.FormatFloat(float64(m)/1000, 'f', -1, 64)
}

func formatQuarterGi(q int64) string {
	return strconv.FormatFloat(float64(q)/4, 'f', -1, 64) + "Gi"
}
