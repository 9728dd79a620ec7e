// Command alusta keeps a HubSpot CRM in order for a social-care service
// integrator: it pulls tickets, deals and provider companies, decides routing,
// SLA clocks and provider assignment from YAML rules, pushes the results back
// and keeps a local SQLite cache for reports.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	os.Exit(run())
}

// run is main without os.Exit, so deferred cleanups run.
func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	if err := root.ExecuteContext(ctx); err != nil {
		var ec exitCoder
		if errors.As(err, &ec) {
			if msg := err.Error(); msg != "" {
				fmt.Fprintln(os.Stderr, "alusta:", msg)
			}
			return ec.ExitCode()
		}
		fmt.Fprintln(os.Stderr, "alusta:", err)
		return 1
	}
	return 0
}

// exitCoder is an error that chooses the process exit code.
type exitCoder interface {
	error
	ExitCode() int
}

// exitError carries an exit code; an empty message prints nothing, for
// commands that already reported their findings (rules check, rules test).
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }
func (e *exitError) ExitCode() int { return e.code }

func newRootCmd() *cobra.Command {
	a := &app{}
	root := &cobra.Command{
		Use:           "alusta",
		Short:         "Keep a HubSpot CRM in order for a service integrator",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.load(cmd)
		},
	}
	a.bindFlags(root)
	for _, newCmd := range []func(*app) *cobra.Command{
		newConfigCmd,
		newSandboxCmd,
		newRulesCmd,
		newRunCmd,
		newSyncCmd,
		newReportCmd,
		newVersionCmd,
		newHealthCmd,
		newIntakeCmd,
		newAccessLogCmd,
	} {
		root.AddCommand(newCmd(a))
	}
	return root
}
