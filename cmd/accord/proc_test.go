package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildAccord builds the accord binary of this checkout into a temporary
// directory and returns its path.
func buildAccord(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "accord")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// accordRun is one finished `accord` command run as a child process.
type accordRun struct {
	Stdout, Stderr string
	Code           int
	Elapsed        time.Duration
	// HWM is the process's peak resident set in bytes (VmHWM of
	// /proc/PID/status), read while it ran: a lower bound that misses at most
	// the last sampling interval.
	HWM int64
	// MaxRSS is the kernel's figure from wait4, in bytes. On Linux it is at
	// least the test process's own peak at the moment of the fork (Go spawns
	// with vfork, and exec records the shared address space's high-water
	// mark), so it is an upper bound, exact only when the child outgrows us.
	MaxRSS int64
}

// accordProc runs `accord --home HOME ARGS...` with bin, sampling its peak
// memory every 20 ms while it runs.
func accordProc(t *testing.T, bin, home string, args ...string) accordRun {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(bin, append([]string{"--home", home}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var hwm int64
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for running := true; running; {
		select {
		case <-tick.C:
			if v, err := procStatus(cmd.Process.Pid, "VmHWM"); err == nil && v > hwm {
				hwm = v
			}
		case err := <-done:
			var ee *exec.ExitError
			if err != nil && !errors.As(err, &ee) {
				t.Fatalf("accord %s: %v", strings.Join(args, " "), err)
			}
			running = false
		}
	}
	return accordRun{Stdout: out.String(), Stderr: errb.String(), Code: cmd.ProcessState.ExitCode(), Elapsed: time.Since(start),
		HWM: hwm, MaxRSS: maxRSS(cmd.ProcessState)}
}

// mustAccord runs an accord command as a child process and fails the test
// unless it exits 0; it returns its stdout.
func mustAccord(t *testing.T, bin, home string, args ...string) string {
	t.Helper()
	r := accordProc(t, bin, home, args...)
	if r.Code != 0 {
		t.Fatalf("accord %s: exit %d\n%s%s", strings.Join(args, " "), r.Code, r.Stdout, r.Stderr)
	}
	return r.Stdout
}

// serveProc is `accord serve` running as a child process.
type serveProc struct {
	cmd  *exec.Cmd
	log  *syncBuffer // its stderr: the node's logs
	api  string      // host:port of its API
	done chan struct{}
}

var servingAPI = regexp.MustCompile(`msg=serving .*api=http://([0-9.:]+)/api/v1`)

// startServe starts `accord --home HOME serve` and returns once it logs
// that it serves. The test's cleanup kills it if it is still running.
func startServe(t *testing.T, bin, home string) *serveProc {
	t.Helper()
	p := &serveProc{cmd: exec.Command(bin, "--home", home, "serve"), log: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Stderr = p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	deadline := time.After(30 * time.Second)
	for p.api == "" {
		if m := servingAPI.FindStringSubmatch(p.log.String()); m != nil {
			p.api = m[1]
			break
		}
		select {
		case <-p.done:
			t.Fatalf("accord serve in %s exited early:\n%s", home, p.log.String())
		case <-deadline:
			t.Fatalf("accord serve in %s did not start in 30 s:\n%s", home, p.log.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	return p
}

// HWM returns the process's peak resident set so far, in bytes (VmHWM).
func (p *serveProc) HWM(t *testing.T) int64 {
	t.Helper()
	v, err := procStatus(p.cmd.Process.Pid, "VmHWM")
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// stop interrupts the process as an operator would (SIGINT), waits for it
// and fails the test unless it stops cleanly; it returns wait4's MaxRSS in
// bytes (see accordRun.MaxRSS for why that is an upper bound).
func (p *serveProc) stop(t *testing.T) int64 {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("accord serve did not stop within 30 s of SIGINT:\n%s", p.log.String())
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("accord serve exited %d after SIGINT:\n%s", code, p.log.String())
	}
	return maxRSS(p.cmd.ProcessState)
}

// logLine returns the first line of the process's log that contains every
// one of parts, waiting up to timeout for it to appear.
func (p *serveProc) logLine(t *testing.T, timeout time.Duration, parts ...string) string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		sc := bufio.NewScanner(strings.NewReader(p.log.String()))
		sc.Buffer(nil, 1<<20)
	lines:
		for sc.Scan() {
			for _, s := range parts {
				if !strings.Contains(sc.Text(), s) {
					continue lines
				}
			}
			return sc.Text()
		}
		select {
		case <-p.done:
			t.Fatalf("accord serve exited before logging %q:\n%s", parts, p.log.String())
		case <-deadline:
			t.Fatalf("no log line with %q within %s:\n%s", parts, timeout, p.log.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// logTime returns the time= field of a line of the text log.
func logTime(t *testing.T, line string) time.Time {
	t.Helper()
	f, _, _ := strings.Cut(strings.TrimPrefix(line, "time="), " ")
	at, err := time.Parse(time.RFC3339Nano, f)
	if err != nil {
		t.Fatalf("log line without a time: %q", line)
	}
	return at
}

// waitUntil polls cond every 50 ms until it holds, failing the test after
// timeout. It waits on other processes, which no channel can tell us about.
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting until %s", timeout, what)
		}
		<-time.After(50 * time.Millisecond)
	}
}

// procStatus reads a "kB" field of /proc/PID/status (VmHWM, VmRSS) in bytes.
func procStatus(pid int, field string) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no %s", pid, field)
}

// maxRSS is wait4's ru_maxrss in bytes (Linux reports KiB).
func maxRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss << 10
	}
	return 0
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }
