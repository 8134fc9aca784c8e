package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/v2"
	"github.com/spf13/cobra"

	"github.com/activa-dev/activa/connectors"
	"github.com/activa-dev/activa/internal/obs"
	"github.com/activa-dev/activa/schemas"
	"github.com/activa-dev/activa/topology"
)

// connectFile is the connect section of the settings file.
type connectFile struct {
	// Group is the consumer group, without the prefix; default "connect".
	Group string `koanf:"group"`
	Retry struct {
		Schedule []time.Duration `koanf:"schedule"`
		Jitter   float64         `koanf:"jitter"`
	} `koanf:"retry"`
	MaxInFlight  int                        `koanf:"max-in-flight"`
	Destinations map[string]destinationFile `koanf:"destinations"`
	Routes       []routeFile                `koanf:"routes"`
}

// destinationFile is one destination of the connect section.
type destinationFile struct {
	Type       string        `koanf:"type"` // webhook, smtp, postgres or jsonl
	URL        string        `koanf:"url"`
	Secret     string        `koanf:"secret"`
	Timeout    time.Duration `koanf:"timeout"`
	Rate       float64       `koanf:"rate"`
	Burst      int           `koanf:"burst"`
	BreakAfter uint32        `koanf:"break-after"`
	Cooldown   time.Duration `koanf:"cooldown"`
	Path       string        `koanf:"path"`
	// An smtp destination's server, sender and templates (see
	// connectors.SMTPConfig); body-file reads the body template from a file.
	Host     string `koanf:"host"`
	Port     int    `koanf:"port"`
	User     string `koanf:"user"`
	Password string `koanf:"password"`
	TLS      string `koanf:"tls"`
	From     string `koanf:"from"`
	To       string `koanf:"to"`
	Subject  string `koanf:"subject"`
	Body     string `koanf:"body"`
	BodyFile string `koanf:"body-file"`
	// A postgres destination's database and audience table.
	DSN   string `koanf:"dsn"`
	Table string `koanf:"table"`
	// Cap messages per person per CapPer; 0: no cap.
	Cap    int           `koanf:"cap"`
	CapPer time.Duration `koanf:"cap-per"`
	// Quiet hours, as "21:00" to "08:00" in Zone (an IANA name; default
	// UTC) unless the person's zone is known.
	Quiet *struct {
		From string `koanf:"from"`
		To   string `koanf:"to"`
		Zone string `koanf:"zone"`
	} `koanf:"quiet"`
}

// routeFile is one route of the connect section; its topic is a catalog
// name (segment.changes, triggers, kpi.alerts), without the prefix.
type routeFile struct {
	Name        string `koanf:"name"`
	Topic       string `koanf:"topic"`
	Filter      string `koanf:"filter"`
	Destination string `koanf:"destination"`
	Purpose     string `koanf:"purpose"`
}

func (a *app) connectCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "connect",
		Short: "Deliver segment changes, triggers and KPI alerts to webhooks and files, as the connect section of --config routes them",
		Long: `connect reads segment.changes, triggers and kpi.alerts with a consumer group and delivers each
record to the destinations of the routes it passes. The settings file (--config) holds the
connection settings and a connect section:

  connect:
    retry: {schedule: [5s, 30s, 2m, 10m], jitter: 0.2}
    destinations:
      loyalty: {type: webhook, url: "https://example.com/hooks", secret: "whsec_...", rate: 20}
      mail: {type: smtp, host: 127.0.0.1, port: 25, from: shop@example.com, to: "{{.ProfileID}}@relay.example.com",
             subject: "Your cart is waiting", body-file: cart.txt}
      audience: {type: postgres, dsn: "postgres://activa@127.0.0.1:5432/crm", table: activa_audience}
      archive: {type: jsonl, path: deliveries.jsonl}
    routes:
      - {topic: segment.changes, destination: audience}
      - {topic: segment.changes, filter: 'kind == "tier" && to == "gold"', destination: loyalty}
      - {topic: triggers, filter: 'kind == "cart_abandoned"', destination: archive, purpose: email}

Offsets are committed once a record's deliveries are final (delivered, or dead-lettered after
a permanent failure or the retry budget); every outcome goes to the deliveries topic.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := load(cmd.Flags())
			if err != nil {
				return err
			}
			cf, err := loadConnect(configPath(cmd.Flags()))
			if err != nil {
				return err
			}
			c, codecs, err := dialSetup(cmd.Context(), s, a.log)
			if err != nil {
				return err
			}
			cfg, closeSinks, err := connectConfig(cmd.Context(), c, codecs, cf)
			if err != nil {
				return err
			}
			defer closeSinks()
			stateDir, _ := cmd.Flags().GetString("state-dir")
			people, stopView, err := featuresPeople(cmd.Context(), c, codecs, stateDir)
			if err != nil {
				return err
			}
			defer stopView()
			cfg.People = people
			reg := obs.NewRegistry()
			cfg.Metrics = connectors.NewMetrics(reg)
			if err := a.serveObs(cmd.Context(), s.HTTP, reg, &obs.Health{}); err != nil {
				return err
			}
			run, err := connectors.New(cfg)
			if err != nil {
				return err
			}
			a.log.Info("connect running", "group", cfg.Group, "routes", len(cfg.Routes), "destinations", len(cfg.Sinks))
			return run.Run(cmd.Context())
		},
	}
	addConnFlags(cmd.Flags())
	cmd.Flags().String("http", "", "serve /metrics and /healthz on this address, e.g. 127.0.0.1:8080")
	cmd.Flags().String("state-dir", "state", "directory of the local copy of profile.features that consent is read from")
	return cmd
}

// loadConnect reads the connect section of the settings file at path.
func loadConnect(path string) (connectFile, error) {
	if path == "" {
		return connectFile{}, errors.New("connect: --config names no settings file with a connect section")
	}
	k := koanf.New(".")
	if err := k.Load(file.Provider(path), yaml.Parser()); err != nil {
		return connectFile{}, fmt.Errorf("reading %s: %w", path, err)
	}
	var cf connectFile
	if err := k.UnmarshalWithConf("connect", &cf, koanf.UnmarshalConf{Tag: "koanf"}); err != nil {
		return connectFile{}, fmt.Errorf("decoding the connect section of %s: %w", path, err)
	}
	if len(cf.Routes) == 0 || len(cf.Destinations) == 0 {
		return connectFile{}, fmt.Errorf("%s: the connect section needs destinations and routes", path)
	}
	return cf, nil
}

// connectConfig builds the runner's configuration from the connect
// section; the returned func closes the sinks.
func connectConfig(ctx context.Context, c *conn, codecs *topology.Codecs, cf connectFile) (connectors.Config, func(), error) {
	var errs [6]error
	var (
		changes  *schemas.Codec[schemas.SegmentChange]
		triggers *schemas.Codec[schemas.Trigger]
		alerts   *schemas.Codec[schemas.KpiAlert]
	)
	changes, errs[0] = topology.Typed[schemas.SegmentChange](codecs, topology.SegmentChanges)
	triggers, errs[1] = topology.Typed[schemas.Trigger](codecs, topology.Triggers)
	alerts, errs[2] = topology.Typed[schemas.KpiAlert](codecs, topology.KpiAlerts)
	cfg := connectors.Config{
		Group: c.cat.Name("connect"), Deliveries: c.cat.Name(topology.Deliveries), Deadletter: c.cat.Name(topology.Deadletter),
		Erasures: c.cat.Name(topology.Erasures),
		Sources: map[string]connectors.Source{
			c.cat.Name(topology.SegmentChanges): connectors.SegmentChanges(changes),
			c.cat.Name(topology.Triggers):       connectors.Triggers(triggers),
			c.cat.Name(topology.KpiAlerts):      connectors.KpiAlerts(alerts),
		},
		Retry:       connectors.Retry{Schedule: cf.Retry.Schedule, Jitter: cf.Retry.Jitter},
		MaxInFlight: cf.MaxInFlight, Sinks: map[string]connectors.Sink{}, Policies: map[string]connectors.Policy{}, Log: c.log,
	}
	cfg.DeliveryCodec, errs[3] = topology.Typed[schemas.Delivery](codecs, topology.Deliveries)
	cfg.DeadletterCodec, errs[4] = topology.Typed[schemas.DeadLetter](codecs, topology.Deadletter)
	cfg.ErasureCodec, errs[5] = topology.Typed[schemas.ErasureConfirmation](codecs, topology.Erasures)
	if err := errors.Join(errs[:]...); err != nil {
		return connectors.Config{}, nil, err
	}
	if cf.Group != "" {
		cfg.Group = c.cat.Name(cf.Group)
	}
	opts, err := c.kc.Opts()
	if err != nil {
		return connectors.Config{}, nil, err
	}
	cfg.Client = opts
	closeAll := func() {
		for name, s := range cfg.Sinks {
			if err := s.Close(); err != nil {
				c.log.Warn("closing a destination failed", "destination", name, "err", err)
			}
		}
	}
	for name, d := range cf.Destinations {
		s, err := newSink(ctx, name, d)
		if err != nil {
			closeAll()
			return connectors.Config{}, nil, err
		}
		cfg.Sinks[name] = s
		p, err := policyOf(name, d)
		if err != nil {
			closeAll()
			return connectors.Config{}, nil, err
		}
		cfg.Policies[name] = p
	}
	for _, r := range cf.Routes {
		cfg.Routes = append(cfg.Routes, connectors.Route{
			Name: r.Name, Topic: c.cat.Name(r.Topic), Filter: r.Filter, Destination: r.Destination, Purpose: r.Purpose,
		})
	}
	return cfg, closeAll, nil
}

// newSink opens the destination d named name.
func newSink(ctx context.Context, name string, d destinationFile) (connectors.Sink, error) {
	switch d.Type {
	case "postgres":
		return connectors.NewPostgres(ctx, name, connectors.PostgresConfig{DSN: d.DSN, Table: d.Table})
	case "webhook":
		return connectors.NewWebhook(name, connectors.WebhookConfig{
			URL: d.URL, Secret: d.Secret, Timeout: d.Timeout, Rate: d.Rate, Burst: d.Burst, BreakAfter: d.BreakAfter, Cooldown: d.Cooldown,
		})
	case "smtp":
		body := d.Body
		if d.BodyFile != "" {
			b, err := os.ReadFile(d.BodyFile)
			if err != nil {
				return nil, fmt.Errorf("destination %s: reading the body template: %w", name, err)
			}
			body = string(b)
		}
		return connectors.NewSMTP(name, connectors.SMTPConfig{
			Host: d.Host, Port: d.Port, User: d.User, Password: d.Password, TLS: d.TLS, From: d.From,
			To: d.To, Subject: d.Subject, Body: body, Timeout: d.Timeout,
		})
	case "jsonl":
		if d.Path == "" {
			return nil, fmt.Errorf("destination %s: a jsonl destination needs a path", name)
		}
		return connectors.NewJSONL(d.Path)
	}
	return nil, fmt.Errorf("destination %s: type %q is not webhook, smtp, postgres or jsonl", name, d.Type)
}

// policyOf reads the caps and quiet hours of destination d named name.
func policyOf(name string, d destinationFile) (connectors.Policy, error) {
	p := connectors.Policy{Cap: d.Cap, CapPer: d.CapPer}
	if d.Quiet == nil {
		return p, nil
	}
	q := &connectors.Quiet{Zone: time.UTC}
	for _, f := range []struct {
		s   string
		out *time.Duration
	}{{d.Quiet.From, &q.From}, {d.Quiet.To, &q.To}} {
		t, err := time.Parse("15:04", f.s)
		if err != nil {
			return p, fmt.Errorf("destination %s: quiet hours %q are not a time of day like 21:00: %w", name, f.s, err)
		}
		*f.out = time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute
	}
	if d.Quiet.Zone != "" {
		z, err := time.LoadLocation(d.Quiet.Zone)
		if err != nil {
			return p, fmt.Errorf("destination %s: quiet hours zone %q: %w", name, d.Quiet.Zone, err)
		}
		q.Zone = z
	}
	p.Quiet = q
	return p, nil
}
