package main

import "github.com/spf13/cobra"

func newRulesCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "rules", Short: "(not built yet)", RunE: notYet("rules")}
}
