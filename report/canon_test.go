package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/gowebpki/jcs"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/node"
)

// TestDigestDocumentIsCanonical writes the shared part of a review with
// every kind of value in it (escapes and non-ASCII text included) and
// checks that the bytes digested are what an RFC 8785 implementation
// makes of them.
func TestDigestDocumentIsCanonical(t *testing.T) {
	at := time.Date(2026, 3, 2, 8, 0, 0, 123456000, time.UTC)
	r := &Review{Agreement: "4e51cf", AsOf: at.Add(time.Hour), Period: Period{From: at, To: at.Add(time.Hour)}, Parties: []string{"cncert", "us-cert"},
		Messages: 2,
		Totals: Group{Requests: 1, Acknowledged: 1, AcknowledgeTime: Stats{Count: 1, Median: 7200, P90: 7200, Max: 7200}, DeclinesByGround: []Count{{Key: "national-law", Count: 1}},
			Ratings: Ratings{Count: 1, Sum: 4, Distribution: [5]int{0, 0, 0, 1, 0}, Mean: 4}, WithinDeadlineShare: 0.5},
		Groups:      []Group{{Type: accord.TypeInformation, Responder: "cncert", Requests: 1}},
		Overdue:     []OverdueItem{{RequestID: "us-cert-R0001", Type: accord.TypePreservation, Priority: accord.PriorityEmergency, Requester: "us-cert", Responder: "cncert", Deadline: accord.OverdueAcknowledge, Due: at, Late: 60}},
		Declines:    []DeclineItem{{RequestID: "us-cert-R0002", Ground: "law <&> «ü» \"q\" \\ \u2028", At: at}},
		Escalations: []Escalation{{RequestID: "us-cert-R0002", Reason: "declined (law)"}},
		Trend:       []TrendRow{{Current: TrendFigures{Requests: 1}}, {Type: accord.TypeInformation, Responder: "cncert"}},
	}
	var doc bytes.Buffer
	d := newDigesterTo(r, &doc)
	d.fact(&node.Exchange{RequestID: "us-cert-R0001", Steps: []node.ExchangeStep{{MessageID: "m1", Digest: "ab", Kind: accord.KindRequest, Sender: "us-cert", Seq: 1, At: at}}})
	d.fact(&node.Exchange{RequestID: "us-cert-R0002", Steps: []node.ExchangeStep{{MessageID: "m2", Digest: "cd", Kind: accord.KindRequest, Sender: "us-cert", Seq: 1, At: at}}})
	sum, err := d.sum(r)
	if err != nil {
		t.Fatal(err)
	}
	canon, err := jcs.Transform(doc.Bytes())
	if err != nil {
		t.Fatalf("the digested document is not JSON: %v\n%s", err, doc.Bytes())
	}
	if !bytes.Equal(canon, doc.Bytes()) {
		t.Errorf("the digested document is not canonical:\n got %s\nwant %s", doc.Bytes(), canon)
	}
	h := sha256.Sum256(canon)
	if hex.EncodeToString(h[:]) != sum {
		t.Errorf("digest %s is not the SHA-256 of the document", sum)
	}
}
