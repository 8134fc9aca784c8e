// Package cli implements the activa command line: one file per subcommand.
// Flags, environment and the YAML file are read here only, into validated
// settings that the library packages receive as plain structs.
package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/activa-dev/activa/internal/obs"
)

// app carries what every subcommand shares.
type app struct {
	stdout, stderr io.Writer
	log            *slog.Logger
}

// Main runs the command line with args and returns the process exit code;
// an interrupt or SIGTERM stops the command.
func Main(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return mainContext(ctx, args, stdout, stderr)
}

// mainContext runs the command line with args until ctx ends.
func mainContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr, log: slog.New(slog.DiscardHandler)}
	root := &cobra.Command{
		Use:           "activa",
		Short:         "Real-time customer intelligence on Kafka",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			level, _ := cmd.Flags().GetString("log-level")
			format, _ := cmd.Flags().GetString("log-format")
			l, err := obs.NewLogger(stderr, level, format)
			if err != nil {
				return err
			}
			a.log = l
			return nil
		},
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	pf := root.PersistentFlags()
	pf.String("config", "", "YAML settings file (keys are flag names); also ACTIVA_CONFIG")
	pf.String("log-level", "info", "log level: debug, info, warn, error")
	pf.String("log-format", "text", "log format: text or json")
	root.AddCommand(
		a.demoCmd(), a.brokerCmd(), a.runCmd(), a.genCmd(), a.replayCmd(),
		a.tailCmd(), a.topologyCmd(), a.lookupCmd(), a.segmentsCmd(), a.forecastsCmd(), a.connectCmd(),
	)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintf(stderr, "activa: %v\n", oneLine(err))
		return 1
	}
	return 0
}

// interactive reports whether stderr is a terminal, where progress bars
// are drawn; in logs and pipes they would only add noise.
func (a *app) interactive() bool {
	f, ok := a.stderr.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// oneLine folds a multi-line error into one line.
func oneLine(err error) string {
	b := []byte(err.Error())
	for i, c := range b {
		if c == '\n' {
			b[i] = ';'
		}
	}
	return string(b)
}
