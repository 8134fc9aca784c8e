package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/activa-dev/activa/topology"
)

func (a *app) topologyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "topology",
		Short: "Render the processors and topics as text, Mermaid or Graphviz",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, _ := cmd.Flags().GetString("format")
			prefix, _ := cmd.Flags().GetString("prefix")
			cat := topology.DefaultCatalog()
			cat.Prefix = prefix
			// Defining graphs needs codecs, and codecs need schema ids: an
			// in-memory registry provides them without any I/O.
			reg := srfake.New()
			defer reg.Close()
			cl, err := sr.NewClient(sr.URLs(reg.URL()))
			if err != nil {
				return fmt.Errorf("in-memory registry: %w", err)
			}
			codecs, err := topology.RegisterSchemas(context.Background(), cl, cat)
			if err != nil {
				return err
			}
			graphs, err := topology.Graphs(topology.Env{Catalog: cat, Codecs: codecs})
			if err != nil {
				return err
			}
			return topology.Render(a.stdout, topology.Build(cat, graphs), format)
		},
	}
	cmd.Flags().String("format", "text", "output format: text, mermaid or dot")
	cmd.Flags().String("prefix", topology.DefaultCatalog().Prefix, "prefix of topic and group names")
	return cmd
}
