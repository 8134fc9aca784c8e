package holtwinters_test

import (
	"fmt"

	"github.com/activa-dev/activa/internal/holtwinters"
)

func ExampleFit() {
	// Four days of hourly orders: 10 an hour at night, 40 by day, with a
	// little noise, and a fifth day to come.
	var history []float64
	for day := range 4 {
		for hour := range 24 {
			y := 10.0
			if hour >= 8 && hour < 20 {
				y = 40
			}
			history = append(history, y+float64((day*7+hour*3)%5-2))
		}
	}
	model, err := holtwinters.Fit(history, 24)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, h := range []int{3, 13} {
		f, _ := model.Predict(h, 0.95)
		fmt.Printf("hour %d: %.0f, 95%% within %.0f to %.0f\n", h-1, f.Mean, f.Lower, f.Upper)
	}
	// Output:
	// hour 2: 10, 95% within 7 to 13
	// hour 12: 40, 95% within 37 to 43
}
