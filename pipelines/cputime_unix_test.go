//go:build unix

package pipelines

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time the process has used, user and system, for
// benchmarks to report work per CPU-second: on a machine others share,
// wall time counts their load too.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
