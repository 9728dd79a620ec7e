package main

import "github.com/spf13/cobra"

func newRunCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "run", Short: "(not built yet)", RunE: notYet("run")}
}
