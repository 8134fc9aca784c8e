// Command activa is the real-time customer-intelligence pipeline on Kafka:
// see `activa --help` for the subcommands.
package main

import (
	"os"
	_ "time/tzdata" // time zones of quiet hours, on machines without a zone database

	"github.com/activa-dev/activa/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
