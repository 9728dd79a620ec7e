package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/alusta/alusta/daemon"
	"github.com/alusta/alusta/intake"
	"github.com/alusta/alusta/store"
)

func newIntakeCmd(a *app) *cobra.Command {
	c := &cobra.Command{Use: "intake", Short: "Manage orderers' API keys and import orders from CSV"}
	key := &cobra.Command{Use: "key", Short: "Orderers' API keys (only their hashes are stored)"}
	key.AddCommand(&cobra.Command{
		Use:   "add ORDERER",
		Short: "Make a new key for an orderer; the key is printed once, as the last line",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := store.Open(cmd.Context(), a.cfg.Store.Path, store.Options{})
			if err != nil {
				return err
			}
			defer st.Close()
			k, hash := intake.NewKey()
			id, err := st.AddIntakeKey(cmd.Context(), args[0], hash)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "key %d for orderer %q; store it now, it is not shown again:\n%s\n", id, args[0], k)
			return nil
		},
	}, &cobra.Command{
		Use:   "list",
		Short: "List keys: id, orderer, created, revoked",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := store.Open(cmd.Context(), a.cfg.Store.Path, store.Options{})
			if err != nil {
				return err
			}
			defer st.Close()
			keys, err := st.IntakeKeys(cmd.Context())
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tORDERER\tCREATED\tREVOKED")
			for _, k := range keys {
				rev := "-"
				if k.RevokedAt != nil {
					rev = k.RevokedAt.Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", k.ID, k.Orderer, k.CreatedAt.Format(time.RFC3339), rev)
			}
			return tw.Flush()
		},
	}, &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a key at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("intake key revoke: %q: want a key id from intake key list", args[0])
			}
			st, err := store.Open(cmd.Context(), a.cfg.Store.Path, store.Options{})
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.RevokeIntakeKey(cmd.Context(), id); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "key %d revoked\n", id)
			return nil
		},
	})
	c.AddCommand(key, newIntakeImportCmd(a))
	return c
}

func newIntakeImportCmd(a *app) *cobra.Command {
	var orderer string
	var dryRun, partial bool
	c := &cobra.Command{
		Use:   "import FILE.csv --orderer NAME",
		Short: "Import orders from a CSV file (Excel's ; and UTF-8 with or without BOM)",
		Long: `import reads orders with the API's fields as columns (client fields with or
without the "client." prefix). Every bad row is reported as FILE:ROW:COLUMN:
problem. The good rows are imported only when no row is bad, or with --partial;
the command exits 1 on any bad row. Imported orders are stored durably here and
created in HubSpot by the running daemon (alusta run) within half a minute.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if orderer == "" {
				return fmt.Errorf("intake import: --orderer is required")
			}
			f, err := os.Open(args[0])
			if err != nil {
				return fmt.Errorf("intake import: %w", err)
			}
			defer f.Close()
			rows, probs := intake.ParseCSV(filepath.Base(args[0]), f, intakeRules(a.cfg))
			errOut, out := cmd.ErrOrStderr(), cmd.OutOrStdout()
			for _, p := range probs {
				fmt.Fprintln(errOut, p.String())
			}
			if dryRun || (len(probs) > 0 && !partial) {
				verb := "would import"
				if !dryRun {
					verb = "imported nothing of"
				}
				fmt.Fprintf(out, "%s %d good rows; %d problems\n", verb, len(rows), len(probs))
				if len(probs) > 0 {
					return &exitError{code: 1}
				}
				return nil
			}
			st, err := store.Open(cmd.Context(), a.cfg.Store.Path, store.Options{})
			if err != nil {
				return err
			}
			defer st.Close()
			// A daemon in shadow mode creates no orders: stored now, they
			// would reach HubSpot days late, when it goes live.
			mode, err := daemon.StoredMode(cmd.Context(), st)
			if err != nil {
				return fmt.Errorf("intake import: %w", err)
			}
			if a.cfg.Sync.Mode == "shadow" || mode == "shadow" {
				return fmt.Errorf("intake import: alusta runs in shadow mode (sync.mode: shadow) and takes no orders; " +
					"import the file once it runs live (--dry-run checks it now)")
			}
			secret, err := linkSecret(a.cfg.Public.LinkSecretFile)
			if err != nil {
				return err
			}
			var added, repeated, conflicts int
			for _, r := range rows {
				outcome, err := intake.SubmitStored(cmd.Context(), st, secret, orderer, r.Order)
				if err != nil {
					return fmt.Errorf("intake import: row %d: %w", r.Row, err)
				}
				switch outcome {
				case intake.Accepted:
					added++
				case intake.Repeated:
					repeated++
				case intake.Conflict:
					conflicts++
					fmt.Fprintf(errOut, "%s:%d:order_ref: already used for a different order\n", filepath.Base(args[0]), r.Row)
				}
			}
			fmt.Fprintf(out, "imported %d orders (%d already imported, %d conflicting); %d problems\n", added, repeated, conflicts, len(probs))
			if len(probs) > 0 || conflicts > 0 {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	c.Flags().StringVar(&orderer, "orderer", "", "the orderer the orders come from")
	c.Flags().BoolVar(&dryRun, "dry-run", false, "check the file and import nothing")
	c.Flags().BoolVar(&partial, "partial", false, "import the good rows even when some are bad")
	return c
}

func newAccessLogCmd(a *app) *cobra.Command {
	var deal string
	c := &cobra.Command{
		Use:   "access-log --deal ID",
		Short: "List every view of and action on an order's client data through alusta",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if deal == "" {
				return fmt.Errorf("access-log: --deal is required")
			}
			st, err := store.Open(cmd.Context(), a.cfg.Store.Path, store.Options{})
			if err != nil {
				return err
			}
			defer st.Close()
			log, err := st.AccessLog(cmd.Context(), deal)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TIME\tWHO\tWHAT")
			for _, e := range log {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", e.At.Format(time.RFC3339), e.Party, e.Action)
			}
			return tw.Flush()
		},
	}
	c.Flags().StringVar(&deal, "deal", "", "the order's deal id")
	return c
}
