package synth

// SetFlushMessages makes Load write transactions of n messages, and
// returns a function that restores the size.
func SetFlushMessages(n int) (restore func()) {
	old := flushMessages
	flushMessages = n
	return func() { flushMessages = old }
}
