package main

import (
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/alusta/alusta/connector/hubspot"
)

func newSyncRejectedCmd(a *app) *cobra.Command {
	var limit int
	c := &cobra.Command{
		Use:   "rejected",
		Short: "List the CRM records the sync skipped as unusable, latest first",
		Long: `rejected lists the records the sync left out because they could not be used (a
number that is not one, a rule that failed on them, a bill without a payer): the
record, alusta's field or HubSpot's property, the reason, and when and how often it
was seen. Fix the record in HubSpot; the next sync reads it again.`,
		Example: `  alusta sync rejected --limit 20`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			s, err := a.openExistingStore(ctx, "sync rejected")
			if err != nil {
				return err
			}
			defer s.Close()
			rs, err := s.RejectedRecords(ctx, limit)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "LAST SEEN\tOBJECT\tID\tPROPERTY\tSEEN\tREASON")
			for _, r := range rs {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\n", r.LastSeen.UTC().Format(time.RFC3339), r.ObjectType, r.RecordID, r.Property, r.Seen, r.Reason)
			}
			if err := w.Flush(); err != nil {
				return err
			}
			if len(rs) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no rejected records")
			}
			return nil
		},
	}
	c.Flags().IntVar(&limit, "limit", 0, "list at most this many (0: all)")
	return c
}

func newSyncHistoryCmd(a *app) *cobra.Command {
	var ticket, deal string
	c := &cobra.Command{
		Use:   "history --ticket ID | --deal ID",
		Short: "Show what alusta decided and wrote for one record, and its SLA clocks",
		Long: `history prints one record's decisions (rule, queue, owner, provider, explanation),
the writes alusta made or left alone, and its SLA cycles and events, from the store.
Each use is logged, as every view of client data through alusta is.`,
		Example: `  alusta sync history --deal 5100003041`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (ticket == "") == (deal == "") {
				return errors.New("sync history: give either --ticket ID or --deal ID")
			}
			typ, id := hubspot.Tickets, ticket
			if deal != "" {
				typ, id = hubspot.Deals, deal
			}
			ctx := cmd.Context()
			s, err := a.openExistingStore(ctx, "sync history")
			if err != nil {
				return err
			}
			defer s.Close()
			a.log.Info("record history viewed", "object", typ, "id", id)
			decs, err := s.Decisions(ctx, typ, id)
			if err != nil {
				return err
			}
			writes, err := s.Writes(ctx, typ, id)
			if err != nil {
				return err
			}
			cycles, err := s.SLACycles(ctx, typ, id)
			if err != nil {
				return err
			}
			events, err := s.SLAEvents(ctx, typ, id)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if len(decs)+len(writes)+len(cycles) == 0 {
				return fmt.Errorf("sync history: alusta has no history of %s %s", typ, id)
			}
			at := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
			w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintf(w, "decisions of %s %s:\nAT\tRULE\tQUEUE\tOWNER\tPROVIDER\tEXPLANATION\n", typ, id)
			for _, d := range decs {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", at(d.At), d.Rule, d.Queue, d.OwnerID, d.ProviderID, d.Explanation)
			}
			fmt.Fprintf(w, "\nwrites:\nAT\tPROPERTY\tOLD\tNEW\tSTATUS\tRULE\tREASON\n")
			for _, x := range writes {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", at(x.At), x.Property, x.Old, x.New, x.Status, x.Rule, x.Reason)
			}
			fmt.Fprintf(w, "\nSLA cycles:\nGOAL\tCYCLE\tSTARTED\tDUE\tSTATUS\tBUSINESS SECONDS\n")
			for _, c := range cycles {
				due := ""
				if c.DueAt != nil {
					due = at(*c.DueAt)
				}
				fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%d\n", c.Goal, c.Cycle, at(c.StartedAt), due, c.Status, c.BusinessElapsedSeconds)
			}
			fmt.Fprintf(w, "\nSLA events:\nAT\tGOAL\tCYCLE\tKIND\n")
			for _, e := range events {
				fmt.Fprintf(w, "%s\t%s\t%d\t%s\n", at(e.At), e.Goal, e.Cycle, e.Kind)
			}
			return w.Flush()
		},
	}
	c.Flags().StringVar(&ticket, "ticket", "", "ticket id")
	c.Flags().StringVar(&deal, "deal", "", "deal (service order) id")
	return c
}
