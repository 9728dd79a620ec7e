package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"
)

func newConfigCmd(a *app) *cobra.Command {
	c := &cobra.Command{Use: "config", Short: "Inspect the configuration"}
	c.AddCommand(&cobra.Command{
		Use:   "show",
		Short: "Print the effective configuration, secrets redacted",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r := a.cfg.Redacted()
			// Say which file was read: without --config it is ./alusta.yaml
			// only when that exists, which is easy to get wrong.
			if a.cfg.File != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "# read from %s, then ALUSTA_* and flags\n", a.cfg.File)
			} else {
				fmt.Fprintln(cmd.OutOrStdout(), "# no configuration file; defaults, then ALUSTA_* and flags")
			}
			for _, w := range a.cfg.Warnings {
				fmt.Fprintf(cmd.OutOrStdout(), "# warning: %s\n", w)
			}
			enc := yaml.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent(2)
			if err := enc.Encode(r); err != nil {
				return err
			}
			return enc.Close()
		},
	})
	return c
}
