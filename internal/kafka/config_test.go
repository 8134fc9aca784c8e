package kafka_test

import (
	"strings"
	"testing"

	"github.com/IBM/sarama"

	"github.com/activa-dev/activa/internal/kafka"
)

func TestCompression(t *testing.T) {
	for name, want := range map[string]sarama.CompressionCodec{
		"": sarama.CompressionNone, "none": sarama.CompressionNone, "gzip": sarama.CompressionGZIP,
		"snappy": sarama.CompressionSnappy, "LZ4": sarama.CompressionLZ4, "zstd": sarama.CompressionZSTD,
	} {
		c := &kafka.Config{Brokers: []string{"127.0.0.1:9092"}, Compression: name}
		cfg, err := c.Sarama()
		if err != nil {
			t.Fatalf("compression %q: %v", name, err)
		}
		if cfg.Producer.Compression != want {
			t.Errorf("compression %q gives sarama %v, want %v", name, cfg.Producer.Compression, want)
		}
		if len(c.ProducerOpts()) == 0 {
			t.Errorf("compression %q: no producer options", name)
		}
	}
	c := &kafka.Config{Brokers: []string{"127.0.0.1:9092"}, Compression: "brotli"}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "brotli") {
		t.Fatalf("unknown compression accepted or unnamed: %v", err)
	}
}

func TestFetchPartitionBytes(t *testing.T) {
	c := &kafka.Config{Brokers: []string{"127.0.0.1:9092"}}
	c.Defaults()
	if c.FetchPartitionBytes != kafka.DefaultFetchPartitionBytes {
		t.Errorf("default fetch size %d, want %d", c.FetchPartitionBytes, kafka.DefaultFetchPartitionBytes)
	}
	c.FetchPartitionBytes = -1
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "fetch-partition-bytes -1") {
		t.Fatalf("negative fetch size accepted or unnamed: %v", err)
	}
}
