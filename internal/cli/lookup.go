package cli

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func (a *app) lookupCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lookup IDENTIFIER|profile:ID ...",
		Short: "Answer from the identity tables which profile an identifier belongs to and which identifiers a profile holds",
		Long: "Each argument is an identifier as kind:value (for example cookie:c-81f2 or customer:C1042; e-mail and phone\n" +
			"as email_sha256:<digest>) or a profile as profile:<id>. One JSON object per argument is printed.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, codecs, err := a.query(cmd)
			if err != nil {
				return err
			}
			dir, err := os.MkdirTemp("", "activa-lookup-")
			if err != nil {
				return fmt.Errorf("creating view directory: %w", err)
			}
			defer os.RemoveAll(dir) //nolint:errcheck // best effort cleanup of a temporary view
			lookup, stop, err := identityLookup(cmd.Context(), c, codecs, dir)
			if err != nil {
				return err
			}
			defer stop()
			enc := json.NewEncoder(a.stdout)
			for _, arg := range args {
				type answer struct {
					Query       string   `json:"query"`
					Profile     string   `json:"profile,omitempty"`
					Identifiers []string `json:"identifiers,omitempty"`
					Error       string   `json:"error,omitempty"`
				}
				ans := answer{Query: arg}
				var err error
				if ans.Profile, ans.Identifiers, err = resolve(lookup, arg); err != nil {
					ans.Error = err.Error()
				}
				if err := enc.Encode(ans); err != nil {
					return fmt.Errorf("writing output: %w", err)
				}
			}
			return nil
		},
	}
	addConnFlags(cmd.Flags())
	return cmd
}
