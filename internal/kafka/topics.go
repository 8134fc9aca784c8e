package kafka

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TopicSpec is a topic as it must exist on the cluster.
type TopicSpec struct {
	// Name is the full topic name.
	Name string
	// Partitions is the required partition count.
	Partitions int32
	// Replication is the replication factor used when creating.
	Replication int16
	// Cleanup is "delete" or "compact".
	Cleanup string
	// Retention applies to delete topics: 0 leaves the broker default, a
	// negative value keeps records forever.
	Retention time.Duration
	// CompactionLag applies to compacted topics: the longest a value
	// replaced or deleted (tombstoned) may stay in the log before the
	// cleaner may remove it (max.compaction.lag.ms; the broker also rolls
	// the active segment after it). Default 24 hours.
	CompactionLag time.Duration
	// TombstoneRetention applies to compacted topics: how long a tombstone
	// itself stays after compaction, for consumers to see the delete
	// (delete.retention.ms). Default 24 hours.
	TombstoneRetention time.Duration
}

// DefaultCompactionLag and DefaultTombstoneRetention are the defaults of
// [TopicSpec.CompactionLag] and [TopicSpec.TombstoneRetention].
const (
	DefaultCompactionLag      = 24 * time.Hour
	DefaultTombstoneRetention = 24 * time.Hour
)

func (s TopicSpec) configs() map[string]*string {
	m := map[string]*string{"cleanup.policy": kadm.StringPtr(s.Cleanup)}
	switch {
	case s.Retention < 0:
		m["retention.ms"] = kadm.StringPtr("-1")
	case s.Retention > 0:
		m["retention.ms"] = kadm.StringPtr(strconv.FormatInt(s.Retention.Milliseconds(), 10))
	}
	if s.Cleanup == "compact" {
		// Bound how long a replaced or deleted (tombstoned) value survives:
		// the cleaner must compact it within the lag (and the broker rolls
		// the active segment, which is never compacted, by then), and the
		// tombstone itself goes after its retention.
		lag, tomb := s.CompactionLag, s.TombstoneRetention
		if lag <= 0 {
			lag = DefaultCompactionLag
		}
		if tomb <= 0 {
			tomb = DefaultTombstoneRetention
		}
		m["max.compaction.lag.ms"] = kadm.StringPtr(strconv.FormatInt(lag.Milliseconds(), 10))
		m["delete.retention.ms"] = kadm.StringPtr(strconv.FormatInt(tomb.Milliseconds(), 10))
		m["segment.ms"] = kadm.StringPtr(strconv.FormatInt(min(6*time.Hour, lag).Milliseconds(), 10))
	}
	return m
}

// ErrTopicMismatch reports an existing topic whose partitions or cleanup
// policy differ from its declaration.
var ErrTopicMismatch = errors.New("topic differs from its declaration")

// EnsureTopics creates the topics that do not exist and verifies those that
// do: a different partition count or cleanup policy is an error wrapping
// [ErrTopicMismatch], never a silent drift. It returns the names it created.
func EnsureTopics(ctx context.Context, cl *kgo.Client, specs []TopicSpec) ([]string, error) {
	adm := kadm.NewClient(cl)
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	details, err := listTopics(ctx, cl, names)
	if err != nil {
		return nil, err
	}
	var created []string
	var existing []TopicSpec
	for _, s := range specs {
		d, ok := details[s.Name]
		if ok && d.Err == nil {
			if got := int32(len(d.Partitions)); got != s.Partitions {
				return created, fmt.Errorf("topic %s has %d partitions, declared %d: %w", s.Name, got, s.Partitions, ErrTopicMismatch)
			}
			existing = append(existing, s)
			continue
		}
		if ok && d.Err != nil && !errors.Is(d.Err, kerr.UnknownTopicOrPartition) {
			return created, fmt.Errorf("describing topic %s: %w", s.Name, d.Err)
		}
		err := createTopic(ctx, adm, s)
		switch {
		case errors.Is(err, kerr.TopicAlreadyExists):
			// Created a moment ago (by another process, or metadata not yet
			// propagated): verify it like any existing topic.
			n, err := visiblePartitions(ctx, cl, s.Name)
			if err != nil {
				return created, err
			}
			if n != s.Partitions {
				return created, fmt.Errorf("topic %s has %d partitions, declared %d: %w", s.Name, n, s.Partitions, ErrTopicMismatch)
			}
			existing = append(existing, s)
		case err != nil:
			return created, fmt.Errorf("creating topic %s: %w", s.Name, err)
		default:
			created = append(created, s.Name)
		}
	}
	if err := waitLeaders(ctx, cl, created); err != nil {
		return created, err
	}
	if len(existing) == 0 {
		return created, nil
	}
	enames := make([]string, len(existing))
	for i, s := range existing {
		enames[i] = s.Name
	}
	rcs, err := adm.DescribeTopicConfigs(ctx, enames...)
	if err != nil {
		return created, fmt.Errorf("describing topic configs: %w", err)
	}
	policy := map[string]string{}
	for _, rc := range rcs {
		if rc.Err != nil {
			return created, fmt.Errorf("describing config of topic %s: %w", rc.Name, rc.Err)
		}
		for _, c := range rc.Configs {
			if c.Key == "cleanup.policy" {
				policy[rc.Name] = c.MaybeValue()
			}
		}
	}
	for _, s := range existing {
		if got := normalizePolicy(policy[s.Name]); got != normalizePolicy(s.Cleanup) {
			return created, fmt.Errorf("topic %s has cleanup.policy %q, declared %q: %w", s.Name, got, s.Cleanup, ErrTopicMismatch)
		}
	}
	return created, nil
}

// createTopic creates the topic s declares. A Kafka-compatible broker
// that refuses max.compaction.lag.ms (Apache Kafka before 2.3) gets the
// topic without it, and compacts on its own schedule.
func createTopic(ctx context.Context, adm *kadm.Client, s TopicSpec) error {
	cfg := s.configs()
	for {
		resp, err := adm.CreateTopic(ctx, s.Partitions, s.Replication, cfg, s.Name)
		if err == nil {
			err = resp.Err
		}
		if _, lag := cfg["max.compaction.lag.ms"]; lag && errors.Is(err, kerr.InvalidConfig) {
			delete(cfg, "max.compaction.lag.ms")
			continue
		}
		return err
	}
}

// listTopics asks the cluster for fresh metadata of names. kadm's listing
// goes through the client's metadata cache, which keeps answering "unknown
// topic" for a while after a topic is created.
func listTopics(ctx context.Context, cl *kgo.Client, names []string) (kadm.TopicDetails, error) {
	req := kmsg.NewPtrMetadataRequest()
	for _, n := range names {
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(n)
		req.Topics = append(req.Topics, rt)
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("listing topics %v: %w", names, err)
	}
	out := kadm.TopicDetails{}
	for _, t := range resp.Topics {
		if t.Topic == nil {
			continue
		}
		d := kadm.TopicDetail{Topic: *t.Topic, Partitions: kadm.PartitionDetails{}, Err: kerr.ErrorForCode(t.ErrorCode)}
		for _, p := range t.Partitions {
			d.Partitions[p.Partition] = kadm.PartitionDetail{Topic: *t.Topic, Partition: p.Partition, Leader: p.Leader}
		}
		out[*t.Topic] = d
	}
	return out, nil
}

// waitLeaders waits until every partition of the named topics has a
// leader, so that producing right after creation does not fail.
func waitLeaders(ctx context.Context, cl *kgo.Client, names []string) error {
	if len(names) == 0 {
		return nil
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		d, err := listTopics(ctx, cl, names)
		if err != nil {
			return err
		}
		ready := true
		for _, n := range names {
			td, ok := d[n]
			if !ok || td.Err != nil || len(td.Partitions) == 0 {
				ready = false
				break
			}
			for _, p := range td.Partitions {
				if p.Leader < 0 {
					ready = false
				}
			}
		}
		if ready {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("created topics %v have no leader after 30s", names)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for leaders of %v: %w", names, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// visiblePartitions waits until metadata shows topic and returns its
// partition count.
func visiblePartitions(ctx context.Context, cl *kgo.Client, topic string) (int32, error) {
	var last error
	for range 50 {
		d, err := listTopics(ctx, cl, []string{topic})
		if err != nil {
			return 0, err
		}
		if td, ok := d[topic]; ok && td.Err == nil && len(td.Partitions) > 0 {
			return int32(len(td.Partitions)), nil
		} else if ok {
			last = td.Err
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("waiting for topic %s: %w", topic, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	return 0, fmt.Errorf("topic %s exists but its metadata stays unavailable: %w", topic, last)
}

func normalizePolicy(p string) string {
	if p == "" {
		return "delete"
	}
	var parts []string
	for _, s := range strings.Split(p, ",") {
		if s = strings.TrimSpace(s); s != "" {
			parts = append(parts, s)
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}
