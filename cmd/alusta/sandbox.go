package main

import "github.com/spf13/cobra"

func newSandboxCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "sandbox", Short: "(not built yet)", RunE: notYet("sandbox")}
}
