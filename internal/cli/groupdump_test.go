package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
)

// logGroups writes each group's state, members and assignments, and its lag
// per partition, to the test log: what a stalled run needs to be read.
func logGroups(t *testing.T, c *conn, groups []string) {
	t.Helper()
	cl, err := c.kc.NewClient()
	if err != nil {
		t.Logf("group dump: %v", err)
		return
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	adm := kadm.NewClient(cl)
	lags, err := adm.Lag(ctx, groups...)
	if err != nil {
		t.Logf("group dump: %v", err)
		return
	}
	for _, g := range lags.Sorted() {
		var b strings.Builder
		fmt.Fprintf(&b, "group %s: state %s, protocol %s, err %v\n", g.Group, g.State, g.Protocol, g.Error())
		for _, m := range g.Members {
			fmt.Fprintf(&b, "  member %s (%s): ", m.MemberID, m.ClientID)
			if a, ok := m.Assigned.AsConsumer(); ok {
				for _, ta := range a.Topics {
					fmt.Fprintf(&b, "%s%v ", ta.Topic, ta.Partitions)
				}
			}
			b.WriteString("\n")
		}
		for _, l := range g.Lag.Sorted() {
			if l.Lag != 0 {
				fmt.Fprintf(&b, "  %s/%d: committed %d, end %d, lag %d, member %q\n",
					l.Topic, l.Partition, l.Commit.At, l.End.Offset, l.Lag, memberOf(l))
			}
		}
		t.Log(b.String())
	}
}

func memberOf(l kadm.GroupMemberLag) string {
	if l.Member == nil {
		return ""
	}
	return l.Member.MemberID
}

// waitMembers waits until group is stable with n members that each hold
// partitions. A process killed while its join is still pending stays a
// member of a kfake group for good (kfake starts a member's session timer
// only when its join response is delivered), so a kill test must let the
// group settle first.
func waitMembers(t *testing.T, c *conn, group string, n int, timeout time.Duration) {
	t.Helper()
	cl, err := c.kc.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		gs, err := adm.DescribeGroups(ctx, group)
		cancel()
		if err == nil {
			g := gs[group]
			holding := 0
			for _, m := range g.Members {
				if a, ok := m.Assigned.AsConsumer(); ok && len(a.Topics) > 0 {
					holding++
				}
			}
			if g.State == "Stable" && len(g.Members) == n && holding == n {
				return
			}
			last = fmt.Sprintf("state %s, %d members, %d holding partitions", g.State, len(g.Members), holding)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("group %s not stable with %d members within %v: %s", group, n, timeout, last)
}
