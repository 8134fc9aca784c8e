package kafka_test

import (
	"fmt"
	"hash/fnv"

	"github.com/activa-dev/activa/internal/kafka"
)

// Every franz-go producer that feeds a goka processor partitions keys like
// sarama does: FNV-1a, the hash taken as a signed 32-bit number, modulo the
// partition count, negated when negative. Build producers with
// kgo.NewClient(append(opts, cfg.ProducerOpts()...)...).
func ExamplePartitionOf() {
	for _, key := range []string{"customer:C1042", "cookie:c-81f2"} {
		h := fnv.New32a()
		h.Write([]byte(key))
		sarama := int32(h.Sum32()) % 8
		if sarama < 0 {
			sarama = -sarama
		}
		fmt.Printf("%s: partition %d, sarama's %d\n", key, kafka.PartitionOf([]byte(key), 8), sarama)
	}
	// Output:
	// customer:C1042: partition 7, sarama's 7
	// cookie:c-81f2: partition 0, sarama's 0
}
