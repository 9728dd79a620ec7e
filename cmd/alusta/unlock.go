package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os/user"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/alusta/alusta/report"
)

func newReportUnlockCmd(a *app) *cobra.Command {
	var month, reason string
	c := &cobra.Command{
		Use:   "unlock --month YYYY-MM --reason TEXT",
		Short: "Make a locked month's billing basis live again; who, when and why are recorded",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if strings.TrimSpace(reason) == "" {
				return errors.New("report unlock: give --reason: why the billed month is reopened is kept with the unlock")
			}
			s, err := a.openStoreForReport(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			u := report.Unlock{Month: month, Reason: reason, By: whoAmI(), At: time.Now().UTC()}
			if err := report.UnlockMonth(ctx, s, u); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "unlocked %s (by %s: %s); lock it again with alusta report lock --month %s\n", month, u.By, reason, month)
			return nil
		},
	}
	c.Flags().StringVar(&month, "month", "", "month YYYY-MM")
	c.Flags().StringVar(&reason, "reason", "", "why the month is reopened (recorded)")
	c.MarkFlagRequired("month")
	return c
}

func whoAmI() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "unknown"
}

// confirm asks question on w and reads a yes from r.
func confirm(r io.Reader, w io.Writer, question string) bool {
	fmt.Fprintf(w, "%s [y/N] ", question)
	line, _ := bufio.NewReader(r).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes", "k", "kyllä", "j", "ja":
		return true
	}
	return false
}
