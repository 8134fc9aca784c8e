package plan_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/activa-dev/activa/internal/plan"
)

func ExampleRead() {
	csv := `kpi,dimension,value,period_start,period_end,expected,lower,upper
revenue,store,S12,2026-11-02,2026-11-03,12500,11000,14000
orders,total,,2026-11-02,2026-11-09,5800,,
`
	fcs, err := plan.Read(strings.NewReader(csv), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range fcs {
		fmt.Println(plan.Key(f), f.Expected, f.HasBounds)
	}
	_, err = plan.Read(strings.NewReader("kpi,dimension,value,period_start,period_end,expected\nrevenue,store,,2026-11-02,2026-11-03,1\n"), time.Now())
	fmt.Println(err)
	// Output:
	// revenue|store|S12|2026-11-02T00:00:00Z 12500 true
	// orders|total||2026-11-02T00:00:00Z 5800 false
	// plan: 1 bad row, nothing loaded: line 2: dimension store with value "": total takes no value, the others need one
}
