package kpi_test

import (
	"slices"
	"testing"

	"github.com/activa-dev/activa/processors/kpi"
	"github.com/activa-dev/activa/schemas"
)

func TestAPurchaseAddsToTheSeriesItNames(t *testing.T) {
	got := kpi.Purchase(&schemas.Event{Type: "store_purchase", Channel: "store", StoreID: "S12", Value: 59.9})
	want := []kpi.Contribution{
		{Series: kpi.Series{KPI: kpi.Revenue, Dimension: kpi.Total}, Amount: 59.9},
		{Series: kpi.Series{KPI: kpi.Orders, Dimension: kpi.Total}, Amount: 1},
		{Series: kpi.Series{KPI: kpi.Revenue, Dimension: kpi.Channel, Value: "store"}, Amount: 59.9},
		{Series: kpi.Series{KPI: kpi.Orders, Dimension: kpi.Channel, Value: "store"}, Amount: 1},
		{Series: kpi.Series{KPI: kpi.Revenue, Dimension: kpi.Store, Value: "S12"}, Amount: 59.9},
		{Series: kpi.Series{KPI: kpi.Orders, Dimension: kpi.Store, Value: "S12"}, Amount: 1},
	}
	if !slices.Equal(got, want) {
		t.Errorf("store purchase adds %+v, want %+v", got, want)
	}
	web := kpi.Purchase(&schemas.Event{Type: "purchase", Channel: "web", Category: "shoes", Value: 20})
	if len(web) != 6 || web[4].Series.Key() != "revenue|category|shoes" || web[4].Amount != 20 {
		t.Errorf("web purchase adds %+v", web)
	}
	for _, typ := range []string{"add_to_cart", "checkout_start", "page_view", ""} {
		if c := kpi.Purchase(&schemas.Event{Type: typ, Channel: "web", Value: 20}); c != nil {
			t.Errorf("%q adds %+v", typ, c)
		}
	}
}
