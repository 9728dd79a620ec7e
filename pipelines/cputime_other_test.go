//go:build !unix

package pipelines

import "time"

// cpuTime is unknown here; benchmarks then report wall time only.
func cpuTime() time.Duration { return 0 }
