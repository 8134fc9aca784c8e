package cli

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	composecli "github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"

	"github.com/activa-dev/activa/topology"
)

// TestDockerCompose loads docker-compose.yml with the Compose specification's
// own loader (schema validation included) and checks that it agrees with
// activa: every activa service runs a real subcommand with real flags, every
// ACTIVA_* variable names a flag, the defaults match, and the addresses of
// Kafka, the registry and the metrics endpoint line up.
func TestDockerCompose(t *testing.T) {
	path := filepath.Join("..", "..", "docker-compose.yml")
	opts, err := composecli.NewProjectOptions([]string{path}, composecli.WithProfiles([]string{"*"}))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("docker-compose.yml does not load: %v", err)
	}
	root := commands(t)
	kafka, reg := p.Services["kafka"], p.Services["schema-registry"]
	if kafka.Name == "" || reg.Name == "" {
		t.Fatal("kafka or schema-registry service missing")
	}
	if kafka.Environment["KAFKA_PROCESS_ROLES"] == nil || !strings.Contains(*kafka.Environment["KAFKA_PROCESS_ROLES"], "controller") {
		t.Error("kafka does not run in KRaft mode")
	}
	def := topology.DefaultCatalog()
	activaServices := 0
	for name, s := range p.Services {
		if s.Build == nil {
			continue
		}
		activaServices++
		env := s.Environment
		checkEnv(t, name, env, "ACTIVA_PREFIX", def.Prefix)
		checkEnv(t, name, env, "ACTIVA_PARTITIONS", fmt.Sprint(def.Partitions))
		checkEnv(t, name, env, "ACTIVA_REPLICATION", fmt.Sprint(def.Replication))
		if b := env["ACTIVA_BROKERS"]; b == nil || *b != advertised(t, kafka) {
			t.Errorf("%s: ACTIVA_BROKERS %v, kafka advertises %s", name, b, advertised(t, kafka))
		}
		if r := env["ACTIVA_REGISTRY"]; r == nil || !sameHostPort(*r, "schema-registry", reg.Environment["SCHEMA_REGISTRY_LISTENERS"]) {
			t.Errorf("%s: ACTIVA_REGISTRY %v does not match the registry listener", name, r)
		}
		if len(s.Command) == 0 {
			continue
		}
		sub, _, err := root.Find(s.Command)
		if err != nil || sub == root {
			t.Errorf("%s: command %v is not an activa subcommand", name, s.Command)
			continue
		}
		if err := sub.ParseFlags(s.Command[1:]); err != nil {
			t.Errorf("%s: command %v: %v", name, s.Command, err)
		}
		for k := range env {
			flag := strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(k, "ACTIVA_")), "_", "-")
			if strings.HasPrefix(k, "ACTIVA_") && sub.Flags().Lookup(flag) == nil && root.PersistentFlags().Lookup(flag) == nil {
				t.Errorf("%s: %s names no flag of activa %s", name, k, sub.Name())
			}
		}
		if sub.Name() == "run" {
			httpAddr, _ := sub.Flags().GetString("http")
			_, port, _ := net.SplitHostPort(httpAddr)
			cfg := p.Configs["prometheus"].Content
			if !strings.Contains(cfg, fmt.Sprintf("%s:%s", name, port)) || !strings.Contains(cfg, "/metrics") {
				t.Errorf("prometheus does not scrape %s:%s/metrics:\n%s", name, port, cfg)
			}
		}
	}
	if activaServices < 2 {
		t.Errorf("%d activa services, want run and the tools service", activaServices)
	}
}

func commands(t *testing.T) *cobra.Command {
	t.Helper()
	a := &app{}
	root := &cobra.Command{Use: "activa"}
	root.PersistentFlags().String("config", "", "")
	root.PersistentFlags().String("log-level", "", "")
	root.PersistentFlags().String("log-format", "", "")
	root.AddCommand(a.demoCmd(), a.brokerCmd(), a.runCmd(), a.genCmd(), a.replayCmd(), a.tailCmd(), a.topologyCmd(), a.lookupCmd())
	return root
}

func checkEnv(t *testing.T, svc string, env types.MappingWithEquals, key, want string) {
	t.Helper()
	if v := env[key]; v == nil || *v != want {
		t.Errorf("%s: %s = %v, want the default %q", svc, key, v, want)
	}
}

func advertised(t *testing.T, kafka types.ServiceConfig) string {
	t.Helper()
	v := kafka.Environment["KAFKA_ADVERTISED_LISTENERS"]
	if v == nil {
		t.Fatal("kafka has no advertised listeners")
	}
	for _, l := range strings.Split(*v, ",") {
		if strings.HasPrefix(l, "PLAINTEXT://") {
			return strings.TrimPrefix(l, "PLAINTEXT://")
		}
	}
	t.Fatalf("kafka advertises no PLAINTEXT listener: %s", *v)
	return ""
}

func sameHostPort(u, host string, listener *string) bool {
	pu, err := url.Parse(u)
	if err != nil || listener == nil {
		return false
	}
	pl, err := url.Parse(*listener)
	if err != nil {
		return false
	}
	return pu.Hostname() == host && pu.Port() == pl.Port()
}
