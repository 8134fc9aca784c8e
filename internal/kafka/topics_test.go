package kafka

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestACompactedTopicBoundsHowLongADeletedValueSurvives(t *testing.T) {
	cases := []struct {
		spec             TopicSpec
		lag, tomb, roll  string
		retention, clean string
	}{
		{TopicSpec{Cleanup: "compact"}, "86400000", "86400000", "21600000", "", "compact"},
		{TopicSpec{Cleanup: "compact", CompactionLag: 10 * time.Second, TombstoneRetention: time.Minute}, "10000", "60000", "10000", "", "compact"},
		{TopicSpec{Cleanup: "delete", Retention: time.Hour, CompactionLag: time.Second}, "", "", "", "3600000", "delete"},
	}
	for _, c := range cases {
		m := c.spec.configs()
		get := func(k string) string {
			if v := m[k]; v != nil {
				return *v
			}
			return ""
		}
		if get("max.compaction.lag.ms") != c.lag || get("delete.retention.ms") != c.tomb || get("segment.ms") != c.roll ||
			get("retention.ms") != c.retention || get("cleanup.policy") != c.clean {
			t.Errorf("%+v: configs lag %q tombstones %q roll %q retention %q policy %q", c.spec,
				get("max.compaction.lag.ms"), get("delete.retention.ms"), get("segment.ms"), get("retention.ms"), get("cleanup.policy"))
		}
	}
}

// A broker that refuses max.compaction.lag.ms (Kafka before 2.3) gets
// the topic without it, with the rest of its settings.
func TestABrokerWithoutTheCompactionLagStillGetsTheTopic(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	refused := 0
	c.ControlKey(int16(kmsg.CreateTopics), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		r := req.(*kmsg.CreateTopicsRequest)
		for _, rt := range r.Topics {
			for _, cfg := range rt.Configs {
				if cfg.Name == "max.compaction.lag.ms" {
					refused++
					resp := r.ResponseKind().(*kmsg.CreateTopicsResponse)
					st := kmsg.NewCreateTopicsResponseTopic()
					st.Topic, st.ErrorCode = rt.Topic, kerr.InvalidConfig.Code
					resp.Topics = append(resp.Topics, st)
					return resp, nil, true
				}
			}
		}
		return nil, nil, false
	})
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	spec := TopicSpec{Name: "t-table", Partitions: 2, Replication: 1, Cleanup: "compact", TombstoneRetention: time.Minute}
	created, err := EnsureTopics(t.Context(), cl, []TopicSpec{spec})
	if err != nil || len(created) != 1 {
		t.Fatalf("created %v, %v", created, err)
	}
	rcs, err := kadm.NewClient(cl).DescribeTopicConfigs(t.Context(), spec.Name)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := rcs.On(spec.Name, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, cfg := range rc.Configs {
		got[cfg.Key] = cfg.MaybeValue()
	}
	if refused != 1 || got["cleanup.policy"] != "compact" || got["delete.retention.ms"] != "60000" || got["max.compaction.lag.ms"] != "" {
		t.Fatalf("refused %d times; topic configs %v, want compact with tombstones kept a minute and no lag", refused, got)
	}
}
