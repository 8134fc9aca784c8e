package cli

import (
	"context"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium is where Debian's chromium package installs the browser.
const chromium = "/usr/bin/chromium"

// checkInChromium opens the console in headless Chromium, types an
// identifier of a profile with a tier into the lookup box, clicks the
// button and reads the tier shown; then looks up an identifier nobody
// holds and reads the error. Without the browser it skips, except under
// CI=true, where a missing browser fails.
func (r *consoleRun) checkInChromium(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and no browser at %s: %v", chromium, err)
		}
		t.Skipf("no browser at %s (apt-get install chromium chromium-driver): %v", chromium, err)
	}
	id, profile, tier := r.tiered(t)
	t.Logf("looking up %s (profile %s, tier %s)", id, profile, tier)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	actx, stopBrowser := chromedp.NewExecAllocator(ctx, opts...)
	defer stopBrowser()
	bctx, closeTab := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer closeTab()
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, steps...); err != nil {
			t.Fatalf("%s in Chromium: %v", what, err)
		}
	}
	text := func(id string) string {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.Text(chromedp.ID(id)))
		if err != nil {
			t.Fatalf("reading #%s in Chromium: %v", id, err)
		}
		return v
	}
	do("loading the console", chromedp.Navigate(r.base+"/"), chromedp.WaitVisible(chromedp.ID("lookup-id")))
	total := text("profiles-total")
	do("looking up "+id, chromedp.SendKeys(chromedp.ID("lookup-id"), id), chromedp.Click(chromedp.ID("lookup-go")),
		chromedp.WaitVisible(chromedp.ID("profile-tier")))
	shownTier, shownProfile := text("profile-tier"), text("profile-id")
	// The input keeps what was typed: empty it as a user selecting it
	// all would.
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.getElementById("lookup-id").value = ""`)); err != nil {
		t.Fatalf("emptying the lookup box in Chromium: %v", err)
	}
	do("looking up an unknown cookie",
		chromedp.SendKeys(chromedp.ID("lookup-id"), "cookie:never-seen"), chromedp.Click(chromedp.ID("lookup-go")),
		chromedp.WaitVisible(chromedp.ID("profile-error")))
	missing := text("profile-error")
	if shownTier != tier || shownProfile != profile {
		t.Errorf("looked up %s: the page shows profile %q tier %q, want %s tier %s", id, shownProfile, shownTier, profile, tier)
	}
	if !strings.Contains(missing, "no profile holds cookie:never-seen") {
		t.Errorf("looked up an unknown cookie: the page shows %q", missing)
	}
	if want := len(r.states); total != strconv.Itoa(want) {
		t.Errorf("the page counts %q profiles, the segments table %d", total, want)
	}
}

// tiered picks a profile with a tier, and one of its identifiers (a
// customer id when it has one): the first in the order of profile ids.
func (r *consoleRun) tiered(t *testing.T) (id, profile, tier string) {
	t.Helper()
	var ids []string
	for p, st := range r.states {
		if st.Tier != "" {
			ids = append(ids, p)
		}
	}
	slices.Sort(ids)
	for _, p := range ids {
		code, ans := r.profile(t, "profile:"+p)
		if code != http.StatusOK || len(ans.Identifiers) == 0 {
			continue
		}
		id = ans.Identifiers[0]
		for _, k := range ans.Identifiers {
			if strings.HasPrefix(k, "customer:") {
				id = k
			}
		}
		return id, p, r.states[p].Tier
	}
	t.Fatal("no profile with a tier and an identifier")
	return "", "", ""
}
