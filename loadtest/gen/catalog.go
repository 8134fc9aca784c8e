package gen

import (
	"fmt"
	"math"
)

// Channels.
const (
	chWeb uint8 = iota
	chApp
	chStore
	numChannels
)

var channelNames = [numChannels]string{"web", "app", "store"}

// Categories.
const (
	catFashion = iota
	catShoes
	catBeauty
	catElectronics
	catHome
	catGarden
	catSports
	catToys
	catBooks
	catGrocery
	catJewelry
	catKids
	numCategories
)

// category is a product category: its name, the median price of its
// products in cents and a search query that leads to it.
type category struct {
	name   string
	median float64
	query  string
}

var categories = [numCategories]category{
	{"fashion", 4990, "summer dress"},
	{"shoes", 7990, "running shoes"},
	{"beauty", 2490, "face cream"},
	{"electronics", 14900, "wireless headphones"},
	{"home", 3990, "bed linen"},
	{"garden", 2990, "garden hose"},
	{"sports", 4490, "yoga mat"},
	{"toys", 2990, "building blocks"},
	{"books", 1490, "crime novel"},
	{"grocery", 890, "organic coffee"},
	{"jewelry", 8900, "silver necklace"},
	{"kids", 2490, "baby romper"},
}

// productsPerCategory is the size of each category; product p-N belongs to
// category N/1000-1 and has rank N%1000, from cheapest to dearest.
const productsPerCategory = 250

func productNum(cat, rank int) int32 { return int32((cat+1)*1000 + rank) }

func productCategory(num int32) int { return int(num)/1000 - 1 }

// numStores is the number of stores S-01 to S-20; S-01 is the busiest.
const numStores = 20

// catalog holds the tables derived once per Generate.
type catalog struct {
	prices      [numCategories][productsPerCategory]int64
	stores      [numStores]string
	storeWeight [numStores]float64
}

func newCatalog() *catalog {
	c := &catalog{}
	for cat := range numCategories {
		for rank := range productsPerCategory {
			f := math.Exp(-0.9 + 1.8*float64(rank)/float64(productsPerCategory-1))
			cents := int64(math.Round(categories[cat].median*f/100))*100 - 10
			c.prices[cat][rank] = max(cents, 99)
		}
	}
	for i := range numStores {
		c.stores[i] = fmt.Sprintf("S-%02d", i+1)
		c.storeWeight[i] = 1 / float64(i+1)
	}
	return c
}

func (c *catalog) price(num int32) int64 {
	return c.prices[productCategory(num)][int(num)%1000]
}

// Event types.
const (
	tPageView uint8 = iota
	tProductView
	tClick
	tScroll
	tSearch
	tAddToCart
	tRemoveFromCart
	tCheckoutStart
	tPurchase
	tStorePurchase
	tFormStart
	tFormSubmit
	tFormAbandon
	tLogin
	tIdentify
	tConsent
	tErasureRequest
	tVideoPlay // a type activa does not know; it must be kept downstream
	numTypes
)

var typeNames = [numTypes]string{
	"page_view", "product_view", "click", "scroll", "search", "add_to_cart",
	"remove_from_cart", "checkout_start", "purchase", "store_purchase",
	"form_start", "form_submit", "form_abandon", "login", "identify",
	"consent", "erasure_request", "video_play",
}

// Property keys.
const (
	kURL uint8 = iota
	kDwell
	kScroll
	kQuery
	kResults
	kTarget
	kQty
	kItems
	kOrder
	kReceipt
	kForm
	kFields
	kPurpose
	kGranted
	kMethod
	kRequest
	kDuration
	numKeys
)

var keyNames = [numKeys]string{
	"url", "dwell_ms", "scroll_pct", "query", "results", "target", "qty",
	"items", "order_id", "receipt_id", "form_id", "fields_filled", "purpose",
	"granted", "method", "request_id", "duration_ms",
}

// Consent purposes.
const (
	purposeEmail = iota
	purposeSMS
	purposePush
	purposeAds
	purposeAnalytics
	numPurposes
)

var purposeNames = [numPurposes]string{"email", "sms", "push", "ads", "analytics"}

var (
	formNames    = [...]string{"newsletter", "contact", "financing", "account", "survey"}
	clickTargets = [...]string{"banner", "filter", "size_guide", "reviews", "wishlist", "share"}
	contentPages = [...]string{"/", "/sale", "/new", "/stores", "/help", "/account"}
	firstNames   = [...]string{"anna", "ben", "clara", "david", "emma", "felix", "greta", "hugo", "ida", "jonas", "lea", "max", "mia", "noah", "olga", "paul", "rosa", "sven", "tina", "yusuf"}
	lastNames    = [...]string{"schmidt", "mueller", "meyer", "weber", "fischer", "wagner", "becker", "hoffmann", "koch", "richter", "klein", "wolf", "neumann", "braun", "zimmer", "krueger", "hartmann", "lange", "werner", "peters"}
	mailDomains  = [...]string{"example.com", "example.org", "example.net"}
)
