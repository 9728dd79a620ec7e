package main

import "github.com/spf13/cobra"

func newReportCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "report", Short: "(not built yet)", RunE: notYet("report")}
}
