package taxii

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/accord-cyber/accord"
)

// Client reads a TAXII 2.1 server. The zero value uses http.DefaultClient
// without credentials.
type Client struct {
	// HTTP is the client requests go through; nil: http.DefaultClient.
	HTTP *http.Client
	// User and Token are the credentials: HTTP Basic with User and Token as
	// password when User is set, else "Bearer Token" when Token is set.
	User, Token string
	// MaxBody caps a response body; 0: 64 MiB.
	MaxBody int64
}

// Envelope is one page of a collection's objects.
type Envelope struct {
	More    bool              `json:"more"`
	Next    string            `json:"next,omitempty"`
	Objects []json.RawMessage `json:"objects,omitempty"`
	// DateAddedLast is the page's X-TAXII-Date-Added-Last (zero when absent).
	DateAddedLast time.Time `json:"-"`
}

// PageRequest says which page of objects to read.
type PageRequest struct {
	AddedAfter time.Time
	Limit      int    // 0: the server's default
	Next       string // from the previous page
}

// Objects reads one page of the objects of collection at the API root
// apiRoot (an absolute URL). A server's refusal becomes an *accord.Error
// (401 EUNAUTHORIZED, 403 EFORBIDDEN, 404 ENOTFOUND, other 4xx EINVALID,
// 5xx and transport failures EUNAVAILABLE) carrying the server's TAXII
// error title and description.
func (c *Client) Objects(ctx context.Context, apiRoot, collection string, p PageRequest) (*Envelope, error) {
	u, err := url.Parse(strings.TrimSuffix(apiRoot, "/") + "/collections/" + url.PathEscape(collection) + "/objects/")
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, accord.FieldError("url", "%q is not an http(s) URL of a TAXII API root", apiRoot)
	}
	q := url.Values{}
	if !p.AddedAfter.IsZero() {
		q.Set("added_after", p.AddedAfter.UTC().Format("2006-01-02T15:04:05.000000Z"))
	}
	if p.Limit > 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	if p.Next != "" {
		q.Set("next", p.Next)
	}
	u.RawQuery = q.Encode()
	res, body, err := c.get(ctx, u.String())
	if err != nil {
		return nil, err
	}
	var env Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, accord.Errorf(accord.EINVALID, "%s: the answer is not a TAXII envelope: %v", u.Redacted(), err)
	}
	if h := res.Header.Get("X-TAXII-Date-Added-Last"); h != "" {
		env.DateAddedLast, _ = time.Parse(time.RFC3339Nano, h)
	}
	if env.More && env.Next == "" {
		return nil, accord.Errorf(accord.EINVALID, "%s: the server says more objects follow but gives no next", u.Redacted())
	}
	return &env, nil
}

// get sends an authenticated TAXII GET and returns the response with its
// body, or the server's refusal as an *accord.Error.
func (c *Client) get(ctx context.Context, u string) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, accord.FieldError("url", "%v", err)
	}
	req.Header.Set("Accept", MediaType)
	switch {
	case c.User != "":
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(c.User+":"+c.Token)))
	case c.Token != "":
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, nil, &accord.Error{Code: accord.EUNAVAILABLE, Message: fmt.Sprintf("GET %s: %v", req.URL.Redacted(), err), Err: err}
	}
	defer res.Body.Close()
	max := c.MaxBody
	if max <= 0 {
		max = 64 << 20
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, max+1))
	if err != nil {
		return nil, nil, &accord.Error{Code: accord.EUNAVAILABLE, Message: fmt.Sprintf("GET %s: %v", req.URL.Redacted(), err), Err: err}
	}
	if int64(len(body)) > max {
		return nil, nil, accord.Errorf(accord.EINVALID, "GET %s: the answer is larger than %d bytes", req.URL.Redacted(), max)
	}
	if res.StatusCode/100 != 2 {
		var te Error
		_ = json.Unmarshal(body, &te)
		msg := fmt.Sprintf("GET %s: %s", req.URL.Redacted(), res.Status)
		if te.Title != "" {
			msg += ": " + te.Error()
		}
		code := accord.EINVALID
		switch {
		case res.StatusCode == http.StatusUnauthorized:
			code = accord.EUNAUTHORIZED
		case res.StatusCode == http.StatusForbidden:
			code = accord.EFORBIDDEN
		case res.StatusCode == http.StatusNotFound:
			code = accord.ENOTFOUND
		case res.StatusCode >= 500:
			code = accord.EUNAVAILABLE
		}
		return nil, nil, accord.Errorf(code, "%s", msg)
	}
	return res, body, nil
}
