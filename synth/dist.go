package synth

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/accord-cyber/accord"
)

// The figures of the distributions the package documentation states. They
// are kept together here so that the documentation and the tests can be
// checked against one place.

// typeWeights is the request type mix.
var typeWeights = map[accord.RequestType]float64{
	accord.TypeInformation:   32,
	accord.TypeInvestigation: 12,
	accord.TypePreservation:  10,
	accord.TypeEvidence:      10,
	accord.TypeMitigation:    16,
	accord.TypeNotification:  20,
}

// priorityWeights is, per request type, the weight of each priority in
// accord.Priorities order (emergency, high, normal, low).
var priorityWeights = map[accord.RequestType][4]float64{
	accord.TypeInformation:   {3, 17, 60, 20},
	accord.TypeInvestigation: {2, 15, 58, 25},
	accord.TypePreservation:  {10, 35, 45, 10},
	accord.TypeEvidence:      {3, 15, 60, 22},
	accord.TypeMitigation:    {12, 33, 45, 10},
	accord.TypeNotification:  {2, 13, 55, 30},
}

// declineShare is, per type that owes an answer, the probability that an
// acknowledged request is declined.
var declineShare = map[accord.RequestType]float64{
	accord.TypeInformation:   0.08,
	accord.TypeInvestigation: 0.12,
	accord.TypePreservation:  0.10,
	accord.TypeEvidence:      0.25,
	accord.TypeMitigation:    0.10,
}

// legalTypes are the types that are judicial assistance in substance; they
// are declined on other grounds than technical requests.
var legalTypes = map[accord.RequestType]bool{
	accord.TypeInvestigation: true, accord.TypePreservation: true, accord.TypeEvidence: true,
}

// Decline grounds of the default agreement, weighted for legal and for
// technical requests. A ground of another agreement not named here weighs
// defaultGroundWeight.
var (
	legalGrounds = map[string]float64{
		"national-law": 35, "essential-interests": 20, "insufficient-information": 20,
		"political-offence": 10, "outside-scope": 10, "not-on-territory": 5,
	}
	technicalGrounds = map[string]float64{
		"insufficient-information": 35, "not-on-territory": 30, "outside-scope": 15,
		"national-law": 10, "essential-interests": 10, "political-offence": 0,
	}
)

const defaultGroundWeight = 5

// partialWeights is the weight of 0, 1, 2 and 3 partial answers.
var (
	partialWeightsInvestigation = []float64{40, 35, 18, 7}
	partialWeights              = []float64{60, 28, 9, 3}
)

// ratingWeights is the weight of scores 1 to 5 for answers given on time
// and late.
var (
	ratingOnTime = []float64{3, 7, 20, 42, 28}
	ratingLate   = []float64{10, 20, 35, 25, 10}
)

// The probabilities and medians of the lifecycle (see the package
// documentation).
const (
	pFirstParty     = 0.5  // the first party is the requester
	pFollowUp       = 0.30 // a request follows up a recent case of its requester
	followUpWindow  = 30 * day
	followUpCases   = 20 // the most recent cases a follow-up may concern
	caseLeadMean    = 6 * time.Hour
	pWithdrawEarly  = 0.015 // withdrawn before acknowledgement
	pNeverAck       = 0.03  // never acknowledged
	ackMedian       = 0.30  // of the time to acknowledge
	ackSigma        = 1.0
	acceptMedian    = 0.25 // of the time to acknowledge, after the acknowledgement
	declineMedian   = 0.15 // of the time to answer, after the acknowledgement
	answerMedian    = 0.45 // of the time to answer, from receipt
	answerSigma     = 0.8
	lateAnswerMin   = 0.05 // of the time to answer, after the acceptance, when the drawn time falls before it
	pWithdrawLate   = 0.02 // withdrawn after acceptance
	pStall          = 0.05 // accepted and never answered in full
	pRate           = 0.75
	rateMedian      = 2 * day
	pComment        = 0.40
	pCloseAnswered  = 0.80
	pCloseDeclined  = 0.70
	pCloseNotified  = 0.60
	closeMedian     = 3 * day
	pNote           = 0.10
	pCaseClose      = 0.60
	caseCloseMedian = 7 * day
	pExternalRef    = 0.30
	latencyMedian   = 2 * time.Second
	latencySigma    = 1.0
	pOutage         = 0.01
	outageMean      = 20 * time.Minute
	gapMin          = time.Second // a step follows the receipt of the previous message by at least this
	gapJitter       = time.Minute // and at most this more
	stepSigma       = 1.0         // the σ of every other log-normal delay
	day             = 24 * time.Hour
)

// categoryWeights is the case category mix (RSIT top level).
var categoryWeights = map[accord.Category]float64{
	"intrusions": 22, "malicious-code": 20, "intrusion-attempts": 12, "fraud": 10,
	"availability": 10, "information-gathering": 8, "vulnerable": 7,
	"information-content-security": 6, "abusive-content": 3, "other": 2, "test": 0,
}

// sectorWeights is the weight of each sector a case may concern.
var sectorWeights = map[string]float64{
	"digital-infrastructure": 12, "public-administration": 12, "banking": 9, "energy": 8,
	"ict-service-management": 8, "digital-providers": 7, "health": 7, "manufacturing": 6,
	"research": 6, "defence": 6, "transport": 5, "education": 4,
	"financial-market-infrastructure": 3, "media": 3, "civil-society": 2, "food": 1,
	"chemicals": 1, "drinking-water": 1, "space": 1, "waste-water": 0.5,
	"postal-and-courier": 0.5, "waste-management": 0.5,
}

// sectorCountWeights is the weight of 1, 2 and 3 sectors.
var sectorCountWeights = []float64{60, 30, 10}

// tlpWeights is the case TLP mix.
var tlpWeights = map[accord.TLP]float64{
	accord.TLPAmber: 55, accord.TLPGreen: 20, accord.TLPAmberStrict: 15, accord.TLPRed: 5, accord.TLPClear: 5,
}

// Countries of cases.
const (
	pAffectedSelf = 0.85 // the requester's own country is affected
	pOriginPeer   = 0.65 // the activity came from the requested party's country
	pOriginThird  = 0.20 // from a third country; otherwise unknown
)

var (
	affectedThird = []string{"GB", "DE", "FR", "JP", "KR", "IN", "SG", "AU", "CA", "NL"}
	originThird   = []string{"RU", "KP", "IR", "NL", "DE", "SG", "VN", "BR", "UA", "RO"}
)

// Officers of each party: liaisons take the steps of requests, analysts
// open cases.
var (
	liaisons = []string{"liaison-1", "liaison-2", "liaison-3", "liaison-4"}
	analysts = []string{"analyst-1", "analyst-2", "analyst-3"}
)

// weighted picks among n choices with the given weights.
type weighted[T any] struct {
	items []T
	cum   []float64
}

func newWeighted[T any](items []T, weight func(T) float64) weighted[T] {
	w := weighted[T]{}
	total := 0.0
	for _, it := range items {
		x := weight(it)
		if x <= 0 {
			continue
		}
		total += x
		w.items = append(w.items, it)
		w.cum = append(w.cum, total)
	}
	return w
}

func (w weighted[T]) pick(r *rand.Rand) T {
	x := r.Float64() * w.cum[len(w.cum)-1]
	for i, c := range w.cum {
		if x < c {
			return w.items[i]
		}
	}
	return w.items[len(w.items)-1]
}

// index returns a weighted choice among 0..len(weights)-1.
func index(r *rand.Rand, weights []float64) int {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	x := r.Float64() * total
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

// logNormal returns a duration whose logarithm is normal, with the given
// median and σ (of the logarithm).
func logNormal(r *rand.Rand, median time.Duration, sigma float64) time.Duration {
	return time.Duration(float64(median) * math.Exp(sigma*r.NormFloat64()))
}

// exponential returns an exponentially distributed duration with the given mean.
func exponential(r *rand.Rand, mean time.Duration) time.Duration {
	return time.Duration(float64(mean) * r.ExpFloat64())
}

// frac returns f of d.
func frac(d accord.Duration, f float64) time.Duration {
	return time.Duration(float64(d) * f)
}
