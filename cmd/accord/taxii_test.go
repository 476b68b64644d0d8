package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accord-cyber/accord"
	"github.com/accord-cyber/accord/internal/shareddata"
	"github.com/accord-cyber/accord/taxii"
)

// TestTAXIIServeAndPull: one node serves a community collection at
// /taxii2/ on its API listener and a feeder posts the APT1 report's objects
// into it; another node pulls the collection page by page into a case
// (accord taxii pull), pulls again with --added-after for nothing new, and
// refuses bad credentials naming the server's answer.
func TestTAXIIServeAndPull(t *testing.T) {
	dir := t.TempDir()
	us, cn := filepath.Join(dir, "us"), filepath.Join(dir, "cn")
	now := time.Now().UTC()
	mustRun(t, us, now, "init", "--party", "us-cert", "--name", "US-CERT", "--country", "US")
	mustRun(t, cn, now, "init", "--party", "cncert", "--name", "CNCERT/CC", "--country", "CN")
	var tok struct{ Token string }
	if err := json.Unmarshal([]byte(mustRun(t, us, now, "user", "add", "feeder", "--role", "analyst", "--json")), &tok); err != nil {
		t.Fatal(err)
	}
	var coll accord.TAXIICollection
	out := mustRun(t, us, now, "taxii", "collections", "add", "--title", "Community feed", "--audience", "community", "--max-tlp", "green",
		"--read", "user:feeder", "--write", "user:feeder", "--json")
	if err := json.Unmarshal([]byte(out), &coll); err != nil || coll.ID == "" || coll.APIRoot != "accord" {
		t.Fatalf("collections add --json: %v\n%s", err, out)
	}
	if list := mustRun(t, us, now, "taxii", "collections", "list"); !strings.Contains(list, coll.ID) || !strings.Contains(list, "user:feeder") {
		t.Errorf("collections list:\n%s", list)
	}
	if _, errs, code := run(t, us, now, "taxii", "collections", "add", "--title", "x", "--audience", "community", "--max-tlp", "amber"); code != 1 || !strings.Contains(errs, "green") {
		t.Errorf("an amber community collection: exit %d, %s", code, errs)
	}

	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	var errb bytes.Buffer
	m := &Main{Stdout: &bytes.Buffer{}, Stderr: &errb, Getenv: func(string) string { return "" }, Clock: accord.SystemClock{},
		OnListen: func(name, addr string) {
			if name == "api" {
				addrc <- addr
			}
		}}
	done := make(chan int, 1)
	go func() {
		done <- m.Run(ctx, []string{"--home", us, "serve", "--api-addr", "127.0.0.1:0", "--peer-addr", "127.0.0.1:0"})
	}()
	defer func() {
		cancel()
		<-done
	}()
	var addr string
	select {
	case addr = <-addrc:
	case code := <-done:
		t.Fatalf("serve exited %d early: %s", code, errb.String())
	}
	root := "http://" + addr + "/taxii2/accord/"

	// The feeder posts the objects of the APT1 report.
	data, err := os.ReadFile(shareddata.Path(t, "stix", "examples", "threat-reports", "apt1.json"))
	if err != nil {
		t.Fatal(err)
	}
	var bundle struct{ Objects []json.RawMessage }
	json.Unmarshal(data, &bundle)
	env, _ := json.Marshal(map[string]any{"objects": bundle.Objects})
	req, _ := http.NewRequest(http.MethodPost, root+"collections/"+coll.ID+"/objects/", bytes.NewReader(env))
	req.Header.Set("Content-Type", taxii.MediaType)
	req.Header.Set("Accept", taxii.MediaType)
	req.SetBasicAuth("feeder", tok.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		SuccessCount int `json:"success_count"`
		FailureCount int `json:"failure_count"`
	}
	json.NewDecoder(res.Body).Decode(&st)
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted || st.SuccessCount != len(bundle.Objects) {
		t.Fatalf("POST of %d objects: %d, %+v", len(bundle.Objects), res.StatusCode, st)
	}

	var rep pullReport
	out = mustRun(t, cn, now, "taxii", "pull", root, "--collection", coll.ID, "--user", "feeder", "--token", tok.Token, "--limit", "20", "--json")
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("pull --json: %v\n%s", err, out)
	}
	wantPages := (len(bundle.Objects) + 19) / 20
	if rep.CaseID != "cncert-C0001" || rep.Pages != wantPages || rep.Objects != len(bundle.Objects) || rep.Added != len(bundle.Objects) || len(rep.Skipped) != 0 || rep.Last.IsZero() {
		t.Errorf("pull: %+v, want %d pages and %d objects added to cncert-C0001", rep, wantPages, len(bundle.Objects))
	}
	exported := mustRun(t, cn, now, "export", "stix", "--case", "cncert-C0001")
	if n := strings.Count(exported, `"id":`); n < len(bundle.Objects) {
		t.Errorf("the case holds %d ids, want %d", n, len(bundle.Objects))
	}
	// Again, from the last date added: nothing new. A bearer token works too.
	out = mustRun(t, cn, now, "taxii", "pull", root, "--collection", coll.ID, "--token", tok.Token, "--case", "cncert-C0001",
		"--added-after", rep.Last.Format(time.RFC3339Nano))
	if !strings.Contains(out, "1 pages, 0 objects, 0 added") {
		t.Errorf("pull --added-after the last: %s", out)
	}
	if _, errs, code := run(t, cn, now, "taxii", "pull", root, "--collection", coll.ID, "--user", "feeder", "--token", "acc_wrong"); code != 1 || !strings.Contains(errs, "401") {
		t.Errorf("pull with a wrong token: exit %d, %s", code, errs)
	}
	if _, errs, code := run(t, cn, now, "taxii", "pull", root, "--collection", "nope", "--token", tok.Token); code != 1 || !strings.Contains(errs, "404") {
		t.Errorf("pull of an unknown collection: exit %d, %s", code, errs)
	}
}
