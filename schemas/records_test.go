package schemas

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/linkedin/goavro/v2"
)

// recordCase ties a record to its Go mirror type through a fully populated
// sample of that type.
type recordCase struct {
	sample    any
	roundTrip func(t *testing.T, reg Registrar, subject, record string)
}

// caseOf builds the case of a record mirrored by T. The round trip registers
// the record, encodes sample in the wire format and decodes it back.
func caseOf[T any](sample T) recordCase {
	return recordCase{
		sample: sample,
		roundTrip: func(t *testing.T, reg Registrar, subject, record string) {
			t.Helper()
			c, err := Register[T](context.Background(), reg, subject, record)
			if err != nil {
				t.Fatal(err)
			}
			b, err := c.Encode(sample)
			if err != nil {
				t.Fatal(err)
			}
			out, err := c.DecodeTyped(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*out, sample) {
				t.Fatalf("round trip changed the record:\n got %+v\nwant %+v", *out, sample)
			}
		},
	}
}

// recordCases has one entry per record of Records(); a record without a case
// fails TestEveryRecordHasACase.
var recordCases = map[string]recordCase{
	EventRecord:               caseOf(fullEvent()),
	ResolvedEventRecord:       caseOf(ResolvedEvent{ProfileID: "p-1", Event: fullEvent(), ResolvedTS: ms(1_700_000_000_500), SourcePartition: 3}),
	DeadLetterRecord:          caseOf(fullDeadLetter()),
	ProfileMergeRecord:        caseOf(fullProfileMerge()),
	IdentityAuditRecord:       caseOf(fullIdentityAudit()),
	SessionSummaryRecord:      caseOf(fullSessionSummary()),
	ProfileFeaturesRecord:     caseOf(fullProfileFeatures()),
	SegmentChangeRecord:       caseOf(fullSegmentChange()),
	SegmentModelRecord:        caseOf(fullSegmentModel()),
	SegmentPointsRecord:       caseOf(SegmentPoints{Model: "default", Points: [][]float64{{1.5, 0.25}, {0, 3}}, Moves: map[string]int64{"3": 1, "5": -1}}),
	KpiActualRecord:           caseOf(fullKpiActual()),
	KpiForecastRecord:         caseOf(fullKpiForecast()),
	KpiAlertRecord:            caseOf(fullKpiAlert()),
	TriggerRecord:             caseOf(fullTrigger()),
	DeliveryRecord:            caseOf(fullDelivery()),
	ErasureConfirmationRecord: caseOf(fullErasureConfirmation()),
	IdentityNodeRecord:        caseOf(fullIdentityNode()),
	IdentityCommandRecord:     caseOf(fullIdentityCommand()),
	SessionStateRecord: caseOf(SessionState{MaxTS: ms(1_793_613_600_900), ClosedUntil: ms(1_793_613_000_000), Arrived: ms(1_795_000_000_000), MergedInto: "p-0", Open: []OpenSession{{Due: ms(1_795_000_001_000), Hits: []SessionHit{{
		EventID: "e-1", TS: ms(1_793_613_600_000), Type: "add_to_cart", Channel: "web", Device: "d-1", URL: "/p/1",
		ProductID: "p-1", Value: 19.9, Qty: 2, ScrollPct: 40, DwellMS: 1200,
	}}}}, Closed: []ClosedSpan{{Start: ms(1_793_612_000_000), End: ms(1_793_613_000_000)}}, ForgotUntil: ms(1_793_600_000_000), Erased: true}),
	SegmentStateRecord: caseOf(SegmentState{Tier: "gold", Lifecycle: "active", Cluster: "7", ModelVersion: 12, FeaturesVersion: 40, Features: []byte{0, 0, 0, 0, 9, 2}, Erased: true}),
	TriggerStateRecord: caseOf(TriggerState{
		Pending:     []CartEvent{{EventID: "e-1", TS: ms(1_793_613_600_000), Type: "add_to_cart", ProductID: "p-1", Value: 39.8, Channel: "web", Device: "d-1"}},
		Purchases:   []time.Time{ms(1_793_613_000_000)},
		ClosedUntil: ms(1_793_612_000_000), Horizon: ms(1_793_613_000_000), HorizonSeen: ms(1_795_000_000_000),
		Forms: []PendingForm{{FormID: "newsletter", EventID: "e-2", TS: ms(1_793_613_700_000), Channel: "app"}},
		Marks: []FormMark{{FormID: "newsletter", Kind: "form_submit", EventID: "e-3", TS: ms(1_793_613_800_000)}},
		Fired: []string{"t-1"}, Recent: []string{"e-1", "e-2"}, MergedInto: "p-9",
		DevicePurchases: []DevicePurchase{{TS: ms(1_793_613_900_000), Device: "d-1"}}, CartOf: "p-8", PurchaseFrom: "p-7", Erased: true,
	}),
	KpiStateRecord: caseOf(KpiState{
		Recent: []KpiSeen{{ID: "e-1", Source: "r3", Offset: 17}}, KPI: "revenue", Dimension: "store", Value: "S-01",
		ClosedUntil: ms(1_793_613_600_000), Open: []KpiBucket{{Start: ms(1_793_613_600_000), Sum: 59.8, Count: 2}},
		Offsets: map[string]int64{"r3": 17}, History: []float64{12.5, 0, 40},
		Model:    KpiModel{Period: 24, Alpha: 0.2, Beta: 0.01, Gamma: 0.3, Level: 4.5, Trend: 0.01, Season: []float64{-1, 1}, Steps: 72, Errors: 48, ErrMean: 0.1, ErrM2: 12, Fitted: 72, Since: 3},
		Noise:    []KpiNoise{{N: 40, Mean: 0.01, M2: 9.5}},
		Interval: KpiRuleState{Open: true, OpenedAt: ms(1_793_606_400_000), Abnormal: 3, Normal: 1},
		Plans: []KpiPeriod{{
			Start: ms(1_793_577_600_000), End: ms(1_793_664_000_000), Expected: 5400, Lower: 5000, Upper: 5800, HasBounds: true,
			Frozen: []float64{80, 120}, FrozenVar: []float64{40, 60}, FrozenFrom: ms(1_793_577_600_000), Actual: 900,
			ElapsedForecast: 1000, ElapsedActual: 900, ElapsedVar: 500, Rule: KpiRuleState{Open: true, OpenedAt: ms(1_793_606_400_000), Abnormal: 1, Normal: 2},
		}},
		Sources: map[string]int64{"0": 1_793_613_000_000}, Members: []string{"orders|total|"}, Watermark: ms(1_793_613_000_000),
		Pending: []KpiPending{{Watermark: ms(1_793_616_600_000), Since: ms(1_795_000_000_000)}},
	}),
	KpiMessageRecord: caseOf(KpiMessage{
		Kind: "add", Source: "r3", Offset: 17, EventID: "e-1", TS: ms(1_793_613_600_000), Amount: 19.9, Idle: true,
		Series: "orders|total|", Plan: fullKpiForecast(),
	}),
	FeatureStateRecord: caseOf(FeatureState{
		FirstSeen: ms(1_793_000_000_000), LastSeen: ms(1_793_613_600_000), Events: 40, LastOrderTS: ms(1_793_600_000_000),
		Orders: 3, OnlineMicros: 119_800_000, OfflineMicros: 5_500_000, Days: []DayBucket{{Day: 20758, Orders: 2, Micros: 119_800_000}},
		Sessions: 4, SessionMS: 600_000, CartSessions: 2, CartAbandoned: 1, FormSessions: 1, FormAbandoned: 1,
		ScrollSessions: 3, ScrollSum: 150, DwellPages: 12, DwellMS: 90_000, Web: 30, App: 6, Store: 3, Other: 1,
		Categories: []CategoryScore{{Category: "shoes", Score: 4.5}}, Devices: []string{"d-1"},
		Consent: []ConsentMark{{Purpose: "email", Granted: true, TS: ms(1_793_100_000_000), EventID: "e-3"}},
		Recent:  []string{"e-39", "s:x"}, Offsets: map[string]int64{"activa.events.resolved": 17}, MergedInto: "p-9", Version: 12, LastEventID: "e-39", Erased: true,
	}),
}

// ms is a UTC time at millisecond precision, as the codec returns times.
func ms(v int64) time.Time { return time.UnixMilli(v).UTC() }

func fullEvent() Event {
	return Event{
		EventID: "e-000001",
		TS:      ms(1_793_613_600_123),
		Type:    "purchase",
		Channel: "web",
		IDs: IDs{
			Cookie: "c-81f2", Device: "d-77", Customer: "C1042",
			EmailSHA256: "5d41402abc4b2a76b9719d911017c592", PhoneSHA256: "7d793037a0760186574b0282f2f435e7",
			Loyalty: "L-55",
		},
		ProductID: "p-123", Category: "shoes", Value: 59.9, Currency: "EUR", StoreID: "S12",
		Props:    map[string]string{"url": "/p/123", "scroll_pct": "80"},
		IngestTS: ms(1_793_613_600_456),
	}
}

func fullDeadLetter() DeadLetter {
	return DeadLetter{
		Stage: "replay", Reason: "malformed_json", Error: "unexpected end of JSON input",
		Source: "events.jsonl", Partition: 3, Offset: 17, EventID: "e-17",
		Key: []byte("cookie:c-1"), Original: []byte(`{"event_id":`), TS: ms(1_793_613_601_000),
	}
}

func fullProfileMerge() ProfileMerge {
	return ProfileMerge{
		Absorbed: "p-9", Survivor: "p-2", CauseEventID: "e-41", Reason: "shared_identifier",
		TS: ms(1_793_613_600_000), Identifiers: []string{"cookie:c-9", "device:d-3"},
	}
}

func fullIdentityNode() IdentityNode {
	return IdentityNode{
		Node: "profile", Owner: "p-1", OwnerCreated: ms(1_793_613_600_000),
		Seen: []byte("0123456789012345678901234567"), Companions: []string{"device:d-1"},
		Created: ms(1_793_613_600_000), MergedInto: "p-0", MergingInto: "p-5", Identifiers: []string{"cookie:c-1", "customer:C1"},
		KindCounts: map[string]int32{"cookie": 1, "customer": 1}, Refused: 2, AppliedOffset: 41, Erased: true,
	}
}

func fullIdentityCommand() IdentityCommand {
	return IdentityCommand{
		Op: "gather", EventRaw: []byte{0, 0, 0, 0, 1, 2}, EventID: "e-9", EventType: "login", EventTS: ms(1_793_613_600_500), Partition: 2, Offset: 99, Profile: "p-1", ProfileCreated: ms(1_793_613_600_000),
		Identifiers: []string{"cookie:c-1", "device:d-1"}, Owners: []string{"p-1", ""}, OwnersCreated: []int64{1_793_613_600_000, 0},
		KindCounts: map[string]int32{"cookie": 1}, TargetCreated: ms(1_793_613_599_000), Hop: 1,
	}
}

func fullIdentityAudit() IdentityAudit {
	return IdentityAudit{
		ProfileID: "p-2", Identifier: "customer:C77", Kind: "customer", Limit: 1, Existing: 1,
		EventID: "e-52", Reason: "kind_limit", TS: ms(1_793_613_700_000),
	}
}

func fullSessionSummary() SessionSummary {
	return SessionSummary{
		ProfileID: "p-2", SessionID: "s-p-2-e-1", Start: ms(1_793_613_600_000), End: ms(1_793_614_500_000),
		DurationMS: 900_000, EventCount: 12,
		CountsByType: map[string]int64{"page_view": 8, "add_to_cart": 2, "purchase": 1, "custom_thing": 1},
		Pages:        6, Products: 3, MaxScrollPct: 90, DwellMS: 240_000, CartValue: 19.5,
		Purchased: true, PurchaseValue: 99.8, CartAbandoned: true, FormAbandoned: true,
		Channel: "app", Device: "d-77", EntryPage: "/", ExitPage: "/checkout/done",
		ClosedBy: "gap", LastEventID: "e-12",
	}
}

func fullProfileFeatures() ProfileFeatures {
	return ProfileFeatures{
		ProfileID: "p-2", RecencyDays: 3.5, LastOrderTS: ms(1_793_300_000_000),
		Frequency7d: 1, Frequency30d: 3, Frequency90d: 7,
		Monetary7d: 59.9, Monetary30d: 180.25, Monetary90d: 610.5,
		AvgTicket: 87.2, Orders: 9, Sessions: 31, MeanSessionDurationMS: 412_000.5,
		Categories:      []CategoryAffinity{{Category: "shoes", Score: 4.25}, {Category: "bags", Score: 1.5}},
		CartAbandonRate: 0.25, FormAbandonRate: 0.5, MeanScrollPct: 62.5, MeanDwellMSPerPage: 18_500.25,
		Channels:    ChannelMix{Web: 120, App: 40, Store: 9, Other: 2},
		OnlineSpend: 480.5, OfflineSpend: 304.3, Devices: 3,
		Consent: Consent{
			Email: true, SMS: true, Push: true, Ads: true, Analytics: true,
			Updated: map[string]time.Time{"email": ms(1_790_000_000_000), "sms": ms(1_790_000_100_000)},
		},
		FirstSeen: ms(1_780_000_000_000), LastSeen: ms(1_793_602_400_000), LastEventID: "e-99",
		Version: 42, UpdatedTS: ms(1_793_602_400_321),
	}
}

func fullSegmentChange() SegmentChange {
	return SegmentChange{
		ChangeID: "sc-1", ProfileID: "p-2", Kind: "tier", From: "silver", To: "gold",
		Reason: "monetary_90d 1250 >= 1000", Rule: "gold",
		Values:       map[string]float64{"monetary_90d": 1250, "recency_days": 0.5},
		CauseEventID: "e-99", ModelVersion: 7, TS: ms(1_793_602_400_000),
	}
}

func fullSegmentModel() SegmentModel {
	return SegmentModel{
		Model: "default", Version: 311, K: 3, Dims: []string{"monetary_90d", "frequency_30d"},
		Centroids: []Centroid{
			{Label: 2, Weight: 120.5, Center: []float64{-0.5, 0.25}, Size: 140},
			{Label: 1, Weight: 33.25, Center: []float64{1.75, -0.125}, Size: 29},
		},
		Means: []float64{3.2, 0.8}, Variances: []float64{1.1, 0.4}, Observed: 1200, Seed: [][]float64{{1.5, 0.5}}, UpdatedTS: ms(1_793_602_400_000),
	}
}

func fullKpiActual() KpiActual {
	return KpiActual{
		KPI: "revenue", Dimension: "store", Value: "S12",
		BucketStart: ms(1_793_613_600_000), BucketEnd: ms(1_793_617_200_000),
		Actual: 1234.5, Count: 17, UpdatedTS: ms(1_793_617_300_000),
		HasForecast: true, Expected: 1300, Lower: 1100, Upper: 1500,
	}
}

func fullKpiForecast() KpiForecast {
	return KpiForecast{
		KPI: "orders", Dimension: "channel", Value: "web",
		PeriodStart: ms(1_793_577_600_000), PeriodEnd: ms(1_793_664_000_000),
		Expected: 540, Lower: 480, Upper: 600, HasBounds: true, Source: "holt-winters",
		TS: ms(1_793_577_000_000),
	}
}

func fullKpiAlert() KpiAlert {
	return KpiAlert{
		AlertID: "al-1", KPI: "revenue", Dimension: "category", Value: "shoes",
		Rule: "projection", State: "open", Severity: "high",
		Expected: 900, Actual: 610.5, Projection: 7400, Lower: 800, Upper: 1000, Plan: 10_000,
		GapPct: 26, PeriodStart: ms(1_793_577_600_000), PeriodEnd: ms(1_793_664_000_000),
		TimeLeftMS: 36_000_000, BucketStart: ms(1_793_624_400_000), Consecutive: 3,
		Message: "shoes revenue projected 26% below plan", TS: ms(1_793_628_000_000),
	}
}

func fullTrigger() Trigger {
	return Trigger{
		TriggerID: "tr-1", ProfileID: "p-2", Kind: "cart_abandoned", CauseEventID: "e-7",
		SessionID: "s-p-2-e-1", CartValue: 79.8, Products: []string{"p-123", "p-7"},
		FormID: "newsletter", Channel: "web", DueTS: ms(1_793_617_200_000), TS: ms(1_793_617_260_000),
		Details: map[string]string{"url": "/cart", "tier": "gold"},
	}
}

func fullDelivery() Delivery {
	return Delivery{
		DeliveryID: "d-1", IdempotencyKey: "trigger:tr-1", SourceTopic: "activa.triggers",
		SourcePartition: 4, SourceOffset: 1031, ProfileID: "p-2", Sink: "webhook",
		Destination: "crm", Status: "dead_lettered", Reason: "http_503", Attempts: 6,
		FirstAttemptTS: ms(1_793_617_261_000), LastAttemptTS: ms(1_793_617_400_000), TS: ms(1_793_617_400_010),
	}
}

func fullErasureConfirmation() ErasureConfirmation {
	return ErasureConfirmation{
		ProfileID: "p-2", Identifiers: []string{"cookie:c-81f2", "customer:C1042"},
		RequestedEventID: "e-500", Stage: "features", Tables: []string{"activa.profile.features"},
		TS: ms(1_793_700_000_000),
	}
}

func TestEveryRecordHasACase(t *testing.T) {
	recs, err := Records()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if _, ok := recordCases[r]; !ok {
			t.Errorf("record %s has no sample in recordCases", r)
		}
	}
	for r := range recordCases {
		if !slices.Contains(recs, r) {
			t.Errorf("recordCases names %s, which no schema file defines", r)
		}
	}
}

// forEachRecord runs f as a subtest for every record with its parsed schema.
func forEachRecord(t *testing.T, f func(t *testing.T, record string, s *avro.RecordSchema)) {
	t.Helper()
	recs, err := Records()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		t.Run(r, func(t *testing.T) {
			text, err := Schema(r)
			if err != nil {
				t.Fatal(err)
			}
			s, err := avro.ParseWithCache(text, "", &avro.SchemaCache{})
			if err != nil {
				t.Fatalf("hamba/avro parse: %v", err)
			}
			rs, ok := s.(*avro.RecordSchema)
			if !ok {
				t.Fatalf("top level is %s, not a record", s.Type())
			}
			f(t, r, rs)
		})
	}
}

func TestRecordSchemasCompile(t *testing.T) {
	forEachRecord(t, func(t *testing.T, record string, s *avro.RecordSchema) {
		if s.FullName() != record {
			t.Fatalf("hamba/avro reads %s, want %s", s.FullName(), record)
		}
		text, err := Schema(record)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := goavro.NewCodec(text); err != nil {
			t.Fatalf("goavro: %v", err)
		}
		file, err := File(record)
		if err != nil {
			t.Fatal(err)
		}
		if file == "" || !strings.HasSuffix(file, ".avsc") {
			t.Fatalf("record %s is defined in %q", record, file)
		}
	})
}

// walkRecords calls f on every record schema reachable from s, once each.
func walkRecords(s avro.Schema, seen map[string]bool, f func(*avro.RecordSchema)) {
	switch x := s.(type) {
	case *avro.RecordSchema:
		if seen[x.FullName()] {
			return
		}
		seen[x.FullName()] = true
		f(x)
		for _, fl := range x.Fields() {
			walkRecords(fl.Type(), seen, f)
		}
	case *avro.ArraySchema:
		walkRecords(x.Items(), seen, f)
	case *avro.MapSchema:
		walkRecords(x.Values(), seen, f)
	case *avro.UnionSchema:
		for _, u := range x.Types() {
			walkRecords(u, seen, f)
		}
	case *avro.RefSchema:
		walkRecords(x.Schema(), seen, f)
	}
}

func TestRecordDocs(t *testing.T) {
	forEachRecord(t, func(t *testing.T, _ string, s *avro.RecordSchema) {
		walkRecords(s, map[string]bool{}, func(r *avro.RecordSchema) {
			if strings.TrimSpace(r.Doc()) == "" {
				t.Errorf("record %s has no doc", r.FullName())
			}
			for _, f := range r.Fields() {
				if strings.TrimSpace(f.Doc()) == "" {
					t.Errorf("field %s.%s has no doc", r.FullName(), f.Name())
				}
			}
		})
	})
}

// nonZeroDefaults lists fields whose default predates the zero-default rule
// of native.go: a Go reader that meets a record without them gets 0, not the
// schema's default.
var nonZeroDefaults = map[string]bool{
	"activa.DeadLetter.partition": true, // -1 for file input
	"activa.DeadLetter.offset":    true, // -1 for file input
}

// TestRecordDefaultsAreZero checks the rule of native.go: a field read from
// an older writer keeps its Go zero value, so a schema default must be that
// zero value or Go and other readers would disagree.
func TestRecordDefaultsAreZero(t *testing.T) {
	forEachRecord(t, func(t *testing.T, _ string, s *avro.RecordSchema) {
		walkRecords(s, map[string]bool{}, func(r *avro.RecordSchema) {
			for _, f := range r.Fields() {
				name := r.FullName() + "." + f.Name()
				if !f.HasDefault() || nonZeroDefaults[name] {
					continue
				}
				if err := zeroDefault(f.Type(), f.Default()); err != nil {
					t.Errorf("default of %s: %v", name, err)
				}
			}
		})
	})
}

func zeroDefault(s avro.Schema, v any) error {
	if r, ok := s.(*avro.RefSchema); ok {
		s = r.Schema()
	}
	switch x := s.(type) {
	case *avro.RecordSchema:
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("record default is %T", v)
		}
		for _, f := range x.Fields() {
			d, ok := m[f.Name()]
			if !ok {
				if !f.HasDefault() {
					return fmt.Errorf("record default lacks %s", f.Name())
				}
				d = f.Default()
			}
			if err := zeroDefault(f.Type(), d); err != nil {
				return fmt.Errorf("%s: %w", f.Name(), err)
			}
		}
		return nil
	case *avro.ArraySchema, *avro.MapSchema:
		if rv := reflect.ValueOf(v); (rv.Kind() == reflect.Slice || rv.Kind() == reflect.Map) && rv.Len() == 0 {
			return nil
		}
		return fmt.Errorf("%v is not empty", v)
	}
	switch x := v.(type) {
	case nil:
		return nil
	case time.Time:
		if x.IsZero() || x.UnixMilli() == 0 {
			return nil
		}
	case string:
		if x == "" {
			return nil
		}
	case []byte:
		if len(x) == 0 {
			return nil
		}
	default:
		if rv := reflect.ValueOf(v); rv.IsZero() {
			return nil
		}
	}
	return fmt.Errorf("%v (%T) is not the Go zero value", v, v)
}

func TestRecordRoundTrip(t *testing.T) {
	reg := newRegistry(t)
	forEachRecord(t, func(t *testing.T, record string, _ *avro.RecordSchema) {
		c, ok := recordCases[record]
		if !ok {
			t.Fatalf("no sample for %s", record)
		}
		if err := populated(reflect.ValueOf(c.sample), ""); err != nil {
			t.Fatalf("sample is not fully populated: %v", err)
		}
		c.roundTrip(t, reg, record+"-value", record)
	})
}

// populated reports the first zero-valued field, empty slice or empty map in
// v, recursively, so that a round trip covers every field.
func populated(v reflect.Value, path string) error {
	if v.IsZero() {
		return fmt.Errorf("%s is zero", strings.TrimPrefix(path, "."))
	}
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == timeType {
			return nil
		}
		for _, f := range planOf(v.Type()) {
			if err := populated(v.Field(f.index), path+"."+f.name); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			if v.Len() == 0 {
				return fmt.Errorf("%s is empty", path)
			}
			return nil
		}
		if v.Len() == 0 {
			return fmt.Errorf("%s is empty", path)
		}
		for i := range v.Len() {
			if err := populated(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				// A zero element of a numeric slice is a legal value.
				if k := v.Type().Elem().Kind(); k != reflect.Struct && k != reflect.Slice && k != reflect.Map {
					continue
				}
				return err
			}
		}
	case reflect.Map:
		if v.Len() == 0 {
			return fmt.Errorf("%s is empty", path)
		}
		it := v.MapRange()
		for it.Next() {
			if err := populated(it.Value(), fmt.Sprintf("%s[%q]", path, it.Key())); err != nil {
				if k := v.Type().Elem().Kind(); k != reflect.Struct && k != reflect.Slice && k != reflect.Map {
					continue
				}
				return err
			}
		}
	}
	return nil
}

func TestRecordTagsMatchSchema(t *testing.T) {
	forEachRecord(t, func(t *testing.T, record string, s *avro.RecordSchema) {
		c, ok := recordCases[record]
		if !ok {
			t.Fatalf("no Go type for %s", record)
		}
		for _, err := range matchType(s, reflect.TypeOf(c.sample), record) {
			t.Error(err)
		}
	})
}

// matchType checks that Go type g mirrors Avro schema s as native.go maps
// them: record to a struct whose avro tags are exactly the field names,
// array to a slice, map to map[string]T, int to int32, long to int64,
// timestamp-millis to time.Time, double to float64.
func matchType(s avro.Schema, g reflect.Type, path string) []error {
	if r, ok := s.(*avro.RefSchema); ok {
		s = r.Schema()
	}
	mismatch := func() []error {
		return []error{fmt.Errorf("%s: Avro %s does not map to Go %s", path, describe(s), g)}
	}
	switch x := s.(type) {
	case *avro.RecordSchema:
		if g.Kind() != reflect.Struct || g == timeType {
			return mismatch()
		}
		var errs []error
		goFields := map[string]reflect.StructField{}
		for _, f := range planOf(g) {
			sf := g.Field(f.index)
			goFields[f.name] = sf
			if j, _, _ := strings.Cut(sf.Tag.Get("json"), ","); j != f.name {
				errs = append(errs, fmt.Errorf("%s.%s: json tag %q differs from the avro name", path, f.name, j))
			}
		}
		var avroNames []string
		for _, f := range x.Fields() {
			avroNames = append(avroNames, f.Name())
			sf, ok := goFields[f.Name()]
			if !ok {
				errs = append(errs, fmt.Errorf("%s: field %s has no avro tag in Go type %s", path, f.Name(), g))
				continue
			}
			errs = append(errs, matchType(f.Type(), sf.Type, path+"."+f.Name())...)
		}
		var extra []string
		for name := range goFields {
			if !slices.Contains(avroNames, name) {
				extra = append(extra, name)
			}
		}
		sort.Strings(extra)
		for _, name := range extra {
			errs = append(errs, fmt.Errorf("%s: Go type %s has avro tag %q that the schema lacks", path, g, name))
		}
		return errs
	case *avro.ArraySchema:
		if g.Kind() != reflect.Slice || g.Elem().Kind() == reflect.Uint8 {
			return mismatch()
		}
		return matchType(x.Items(), g.Elem(), path+"[]")
	case *avro.MapSchema:
		if g.Kind() != reflect.Map || g.Key().Kind() != reflect.String {
			return mismatch()
		}
		return matchType(x.Values(), g.Elem(), path+"{}")
	case *avro.PrimitiveSchema:
		want := map[avro.Type]reflect.Type{
			avro.String:  reflect.TypeFor[string](),
			avro.Boolean: reflect.TypeFor[bool](),
			avro.Int:     reflect.TypeFor[int32](),
			avro.Long:    reflect.TypeFor[int64](),
			avro.Double:  reflect.TypeFor[float64](),
			avro.Float:   reflect.TypeFor[float32](),
			avro.Bytes:   reflect.TypeFor[[]byte](),
		}[x.Type()]
		if l := x.Logical(); l != nil {
			if x.Type() != avro.Long || l.Type() != avro.TimestampMillis {
				return []error{fmt.Errorf("%s: logical type %s is not supported by the mapper", path, l.Type())}
			}
			want = timeType
		}
		if want == nil || g != want {
			return mismatch()
		}
		return nil
	default:
		return []error{fmt.Errorf("%s: Avro %s is not supported by the mapper (no unions, null, enum or fixed)", path, describe(s))}
	}
}

func describe(s avro.Schema) string {
	b, err := json.Marshal(s)
	if err != nil {
		return string(s.Type())
	}
	if len(b) > 80 {
		return string(s.Type())
	}
	return string(b)
}
