package gen

import "time"

// Relative visit intensity by hour of day (UTC) and channel.
var hourWeights = [numChannels][24]float64{
	chWeb:   {0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.0, 1.4, 1.6, 1.7, 1.8, 2.2, 2.1, 1.8, 1.7, 1.7, 1.9, 2.3, 2.8, 3.0, 2.8, 2.0, 1.0},
	chApp:   {0.6, 0.4, 0.2, 0.1, 0.1, 0.2, 0.6, 1.2, 1.4, 1.3, 1.3, 1.4, 1.8, 1.7, 1.4, 1.4, 1.5, 1.8, 2.3, 2.8, 3.2, 3.4, 2.8, 1.6},
	chStore: {0, 0, 0, 0, 0, 0, 0, 0, 0, 0.8, 1.2, 1.5, 1.8, 1.7, 1.5, 1.5, 1.7, 2.0, 2.2, 1.6, 0, 0, 0, 0},
}

// Relative visit intensity by day of the week (Sunday first), normalised to
// a mean of 1 over the week by weekdayFactor. Stores close on Sunday.
var (
	onlineDays = [7]float64{1.25, 1.0, 0.95, 0.95, 1.0, 1.0, 1.1}
	storeDays  = [7]float64{0, 0.9, 0.9, 0.95, 1.05, 1.2, 1.6}
)

func weekdayFactor(w [7]float64, d time.Weekday) float64 {
	var sum float64
	for _, x := range w {
		sum += x
	}
	return w[d] * 7 / sum
}

// conversion scales the probability of checking out by hour of day:
// evenings convert better than nights.
func conversion(hour int) float64 {
	switch {
	case hour < 6:
		return 0.8
	case hour >= 19 && hour <= 22:
		return 1.2
	default:
		return 1
	}
}
