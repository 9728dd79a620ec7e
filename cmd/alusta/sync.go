package main

import "github.com/spf13/cobra"

func newSyncCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "sync", Short: "(not built yet)", RunE: notYet("sync")}
}
