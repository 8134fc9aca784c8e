package gen_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"log"

	"github.com/activa-dev/activa/loadtest/gen"
)

func ExampleGenerate() {
	cfg := gen.DefaultConfig()
	cfg.Profiles = 200
	cfg.Days = 2
	cfg.Shortfalls = 1

	var events bytes.Buffer
	var truth gen.Truth
	stats, err := gen.Generate(cfg, &events, &truth)
	if err != nil {
		log.Fatal(err)
	}

	// Read the first event back and find out whose it is.
	line, _ := bufio.NewReader(&events).ReadBytes('\n')
	var e struct {
		EventID string            `json:"event_id"`
		Type    string            `json:"type"`
		IDs     map[string]string `json:"ids"`
	}
	if err := json.Unmarshal(line, &e); err != nil {
		log.Fatal(err)
	}
	var owners []string
	for _, kind := range []string{"customer", "loyalty", "device", "cookie"} {
		if v := e.IDs[kind]; v != "" && owners == nil {
			owners = truth.IdentifierOwner[kind+":"+v]
		}
	}
	fmt.Println(e.EventID, e.Type, "by", owners, "of group", truth.Person(owners[0]).Group)
	fmt.Println(stats.Persons, "persons in", len(truth.Groups), "groups")
	fmt.Println(stats.Lines == stats.Events+stats.Malformed, len(truth.Shortfalls), "shortfall")
	// Output:
	// e-000000001 page_view by [P-000129] of group loyal_big_spender
	// 200 persons in 7 groups
	// true 1 shortfall
}
