package gen

// price levels a group buys at.
const (
	priceCheap = -1
	priceAny   = 0
	priceDear  = 1
)

// group is a latent behaviour group: the distributions its persons draw
// from. Rates are per person; each person scales its visit rate by a
// personal activity factor around 1.
type group struct {
	name, description string
	share             float64                 // share of the population
	visits            float64                 // mean visits per day
	channels          [numChannels]float64    // channel mix of visits
	steps             float64                 // mean interactions per online visit
	dwell             float64                 // median dwell per page, ms
	scroll            float64                 // mean scroll depth, percent
	categories        [numCategories]float64  // category affinity
	price             int                     // price level of products looked at
	search            float64                 // weight of searches among interactions
	cart              float64                 // probability an online visit fills a cart
	items             float64                 // mean items added to a filled cart
	checkout          float64                 // probability a filled cart reaches checkout
	pay               float64                 // probability a checkout ends in a purchase
	form              float64                 // probability a visit starts a form
	formAbandon       float64                 // probability a started form is left
	storeItems        float64                 // mean items of a store purchase
	known             float64                 // share of known customers (customer id, e-mail)
	loyalty           float64                 // share of loyalty card holders
	phone             float64                 // share of known customers with a phone number
	devices           [maxOwnDevices]float64  // weights of owning 1..4 devices
	app               float64                 // probability a phone or tablet has the app
	login             float64                 // probability a known customer logs in on a visit
	mobile            bool                    // the first device is a phone
	forms             [len(formNames)]float64 // which forms the group fills
}

const maxOwnDevices = 4

// groups is the fixed table of behaviour groups; shares sum to 1.
var groups = [...]group{
	{
		name: "bargain_hunter", description: "frequent visits on web and app, many searches, cheap products, high cart abandonment",
		share: 0.20, visits: 0.55, channels: [numChannels]float64{0.60, 0.35, 0.05},
		steps: 11, dwell: 14000, scroll: 55,
		categories: [numCategories]float64{3, 2, 1, 0.3, 2, 0.5, 0.5, 1.5, 0.3, 2, 0.2, 1},
		price:      priceCheap, search: 0.25, cart: 0.45, items: 2.5, checkout: 0.45, pay: 0.75,
		form: 0.04, formAbandon: 0.5, storeItems: 3,
		known: 0.45, loyalty: 0.3, phone: 0.2, devices: [maxOwnDevices]float64{0.3, 0.4, 0.2, 0.1}, app: 0.6, login: 0.35,
		forms: [len(formNames)]float64{3, 1, 0, 1, 1},
	},
	{
		name: "loyal_big_spender", description: "known loyalty members buying dear products on web and in store, rarely abandon",
		share: 0.10, visits: 0.35, channels: [numChannels]float64{0.45, 0.20, 0.35},
		steps: 7, dwell: 30000, scroll: 45,
		categories: [numCategories]float64{2, 1, 1, 3, 1.5, 0.3, 0.3, 0.2, 0.2, 0.2, 2.5, 0.2},
		price:      priceDear, search: 0.1, cart: 0.6, items: 2, checkout: 0.9, pay: 0.95,
		form: 0.08, formAbandon: 0.2, storeItems: 2.5,
		known: 0.97, loyalty: 0.85, phone: 0.6, devices: [maxOwnDevices]float64{0.2, 0.4, 0.3, 0.1}, app: 0.5, login: 0.75,
		forms: [len(formNames)]float64{1, 1, 0.5, 2, 1},
	},
	{
		name: "window_browser", description: "long visits with deep scrolling and long dwell, never buy",
		share: 0.22, visits: 0.5, channels: [numChannels]float64{0.75, 0.25, 0},
		steps: 15, dwell: 55000, scroll: 80,
		categories: [numCategories]float64{2, 1, 1, 1.5, 2, 1, 1, 0.5, 1.5, 0.3, 1, 0.5},
		price:      priceAny, search: 0.3, cart: 0.12, items: 1.2, checkout: 0, pay: 0,
		form: 0.1, formAbandon: 0.8, storeItems: 1,
		known: 0.1, loyalty: 0.05, phone: 0.05, devices: [maxOwnDevices]float64{0.5, 0.35, 0.15, 0}, app: 0.3, login: 0.15,
		forms: [len(formNames)]float64{3, 1, 0, 1, 2},
	},
	{
		name: "app_impulse", description: "frequent short app visits with quick purchases, beauty and fashion",
		share: 0.14, visits: 0.8, channels: [numChannels]float64{0.12, 0.88, 0},
		steps: 5, dwell: 6000, scroll: 30,
		categories: [numCategories]float64{3, 1, 3, 0.3, 0.3, 0.2, 1.5, 1.5, 0.2, 0.2, 0.5, 0.5},
		price:      priceAny, search: 0.08, cart: 0.5, items: 1.5, checkout: 0.8, pay: 0.85,
		form: 0.02, formAbandon: 0.5, storeItems: 2,
		known: 0.7, loyalty: 0.2, phone: 0.5, devices: [maxOwnDevices]float64{0.6, 0.4, 0, 0}, app: 1, login: 0.9,
		mobile: true,
		forms:  [len(formNames)]float64{1, 1, 0, 1, 1},
	},
	{
		name: "store_only", description: "loyalty card holders buying groceries and home goods in store, almost never online",
		share: 0.12, visits: 0.22, channels: [numChannels]float64{0.04, 0, 0.96},
		steps: 3, dwell: 20000, scroll: 40,
		categories: [numCategories]float64{0.5, 0.5, 0.5, 0.3, 2, 2, 0.3, 0.5, 0.3, 3, 0.2, 1.5},
		price:      priceAny, search: 0.1, cart: 0.03, items: 1, checkout: 0.2, pay: 0.8,
		form: 0.01, formAbandon: 0.5, storeItems: 5,
		known: 0.5, loyalty: 0.95, phone: 0.3, devices: [maxOwnDevices]float64{0.8, 0.2, 0, 0}, app: 0.1, login: 0.2,
		forms: [len(formNames)]float64{1, 1, 0, 1, 0},
	},
	{
		name: "lapsed", description: "former customers who hardly come back",
		share: 0.12, visits: 0.03, channels: [numChannels]float64{0.7, 0.2, 0.1},
		steps: 4, dwell: 20000, scroll: 35,
		categories: [numCategories]float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
		price:      priceAny, search: 0.1, cart: 0.1, items: 1, checkout: 0.4, pay: 0.8,
		form: 0.02, formAbandon: 0.5, storeItems: 2,
		known: 0.8, loyalty: 0.4, phone: 0.3, devices: [maxOwnDevices]float64{0.6, 0.3, 0.1, 0}, app: 0.3, login: 0.3,
		forms: [len(formNames)]float64{1, 1, 0, 1, 1},
	},
	{
		name: "researcher", description: "long comparison visits on web, dear electronics and home goods, financing forms often left",
		share: 0.10, visits: 0.3, channels: [numChannels]float64{0.88, 0.12, 0},
		steps: 20, dwell: 45000, scroll: 70,
		categories: [numCategories]float64{0.3, 0.3, 0.2, 3, 2, 1.5, 1.5, 0.3, 1.5, 0.1, 0.3, 0.3},
		price:      priceDear, search: 0.35, cart: 0.35, items: 1.3, checkout: 0.6, pay: 0.8,
		form: 0.35, formAbandon: 0.6, storeItems: 2,
		known: 0.6, loyalty: 0.2, phone: 0.4, devices: [maxOwnDevices]float64{0.3, 0.4, 0.2, 0.1}, app: 0.4, login: 0.5,
		forms: [len(formNames)]float64{0.5, 1, 4, 0.5, 0.5},
	},
}

// online reports whether persons of the group visit web or app at all.
func (g *group) online() bool { return g.channels[chWeb]+g.channels[chApp] > 0.5 }
