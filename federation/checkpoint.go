package federation

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/accord-cyber/accord"
)

// CheckpointPath is the endpoint where a peer offers its ledger checkpoint
// for this node to witness.
const CheckpointPath = BasePath + "checkpoint"

// CheckpointOffer is a node's signed checkpoint (a C2SP signed note) with
// the consistency proof from the size the peer last witnessed (From; no
// proof when From is 0).
type CheckpointOffer struct {
	Note  []byte
	From  int64
	Proof [][32]byte
}

// checkpointRequest and checkpointResponse are the bodies of
// POST /federation/v1/checkpoint. Witnessed is the size of the offering
// node's ledger that the witness has now witnessed (or, on a refusal, last
// witnessed), so that the next offer proves consistency from there.
type checkpointRequest struct {
	Note  string   `json:"note"`
	From  int64    `json:"from"`
	Proof []string `json:"proof"`
}

type checkpointResponse struct {
	Cosigned  string       `json:"cosigned,omitempty"`
	Witnessed int64        `json:"witnessed"`
	Error     *resultError `json:"error,omitempty"`
}

// checkpoint serves POST /federation/v1/checkpoint: it hands the connected
// peer's offer to the node to witness and answers with the cosigned note,
// or with the refusal and the size last witnessed.
func (h *handler) checkpoint(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.problem(w, r, http.StatusMethodNotAllowed, accord.Errorf(accord.EINVALID, "use POST"))
		return
	}
	peer, err := h.peer(r.Context(), r)
	if err != nil {
		h.problem(w, r, 0, err)
		return
	}
	var req checkpointRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		h.problem(w, r, http.StatusBadRequest, accord.Errorf(accord.EINVALID, "body: %v", err))
		return
	}
	off := &CheckpointOffer{Note: []byte(req.Note), From: req.From}
	for _, s := range req.Proof {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b) != 32 {
			h.problem(w, r, http.StatusBadRequest, accord.FieldError("proof", "%q is not a base64 SHA-256 hash", truncate(s, 60)))
			return
		}
		off.Proof = append(off.Proof, [32]byte(b))
	}
	cosigned, witnessed, err := h.n.Witness(r.Context(), peer.ID, off)
	resp := checkpointResponse{Witnessed: witnessed}
	if err != nil {
		resp.Error = &resultError{Code: accord.ErrorCode(err), Message: accord.ErrorMessage(err)}
		if accord.ErrorCode(err) != accord.EUNAVAILABLE {
			h.log.Warn("federation checkpoint refused", "peer", peer.ID, "reason", accord.ErrorMessage(err))
		}
		if accord.ErrorCode(err) == accord.ECONFLICT && h.inconsistent != nil {
			h.inconsistent.WithLabelValues(peer.ID).Inc()
		}
	} else {
		resp.Cosigned = string(cosigned)
	}
	writeJSON(w, http.StatusOK, "application/json", resp)
}

// checkpointDue makes a checkpoint exchange with p due, unless one is due
// already (it will offer this batch's entries too). Idle counts a due
// exchange as a batch in flight, so that it returns only after the peer
// witnessed what was delivered.
func (w *worker) checkpointDue(client *http.Client, p *accord.Party) {
	if w.ckptDue.CompareAndSwap(false, true) {
		w.d.flightStarted(p.ID)
		w.ckpt <- ckptJob{client, p} // never blocks: the last job was taken
	}
}

// checkpoints runs the due checkpoint exchanges of one peer, one at a time,
// beside the delivery loop, so that a batch's slot is free as soon as its
// receipts are recorded. Under load, the batches that land during an
// exchange share the next one.
func (w *worker) checkpoints(ctx context.Context) {
	defer close(w.ckptEnd)
	for {
		select {
		case <-ctx.Done():
			w.dropCheckpoint()
			return
		case j := <-w.ckpt:
			w.ckptDue.Store(false)
			w.exchangeCheckpoint(ctx, j.client, j.p)
			w.d.flightDone(j.p.ID)
		}
	}
}

// dropCheckpoint forgets a due exchange when the worker stops.
func (w *worker) dropCheckpoint() {
	select {
	case j := <-w.ckpt:
		w.ckptDue.Store(false)
		w.d.flightDone(j.p.ID)
	default:
	}
}

// exchangeCheckpoint offers this node's checkpoint to p, records the
// cosignature it gets back, and learns the size p witnessed; a proof from
// the wrong size is offered once more from the size p names. It runs on the
// peer's checkpoint goroutine and only logs its failures: delivery does not
// depend on it.
func (w *worker) exchangeCheckpoint(ctx context.Context, client *http.Client, p *accord.Party) {
	d := w.d
	for try := 0; try < 2; try++ {
		off, err := d.n.Offer(ctx, p.ID)
		if err != nil {
			if ctx.Err() == nil && accord.ErrorCode(err) != accord.EUNAVAILABLE {
				d.log.Warn("federation checkpoint: cannot offer", "peer", p.ID, "reason", err.Error())
			}
			return
		}
		resp, err := postCheckpoint(ctx, client, p, off)
		if err != nil {
			if ctx.Err() == nil {
				d.log.Warn("federation checkpoint: exchange failed", "peer", p.ID, "reason", err.Error())
			}
			return
		}
		d.n.Witnessed(p.ID, resp.Witnessed)
		switch {
		case resp.Error == nil:
			if err := d.n.Cosigned(ctx, p.ID, []byte(resp.Cosigned)); err != nil && ctx.Err() == nil {
				d.log.Warn("federation checkpoint: cosignature not recorded", "peer", p.ID, "reason", err.Error())
			}
			return
		case resp.Error.Code == accord.EUNAVAILABLE:
			continue // offer again, from the size p witnessed
		case resp.Error.Code == accord.ECONFLICT:
			d.log.Error("OUR LEDGER WAS REFUSED BY THE PEER AS INCONSISTENT with what it witnessed before", "peer", p.ID, "reason", resp.Error.Message)
			return
		default:
			d.log.Warn("federation checkpoint refused", "peer", p.ID, "reason", resp.Error.Message)
			return
		}
	}
}

func postCheckpoint(ctx context.Context, client *http.Client, p *accord.Party, off *CheckpointOffer) (*checkpointResponse, error) {
	req := checkpointRequest{Note: string(off.Note), From: off.From, Proof: []string{}}
	for _, h := range off.Proof {
		req.Proof = append(req.Proof, base64.StdEncoding.EncodeToString(h[:]))
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	url := p.FederationURL + "checkpoint"
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Content-Type", "application/json")
	res, err := client.Do(hr)
	if err != nil {
		return nil, fmt.Errorf("post to %s: %w", url, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %s", url, res.Status)
	}
	var out checkpointResponse
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, errors.New("the answer is not a checkpoint response")
	}
	return &out, nil
}
