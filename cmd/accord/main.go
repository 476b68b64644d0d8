// Command accord runs and operates one node of a cyber security cooperation
// accord: see `accord --help` and the README.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// main handles only signals and the exit code; Main does the rest.
func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	m := NewMain()
	code := m.Run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
