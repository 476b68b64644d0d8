package federation

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// parallel calls f(i) once for each i in [0, n) on up to
// runtime.GOMAXPROCS(0) goroutines, the caller's among them, and returns
// when every call has returned. Calls take indexes in increasing order but
// run concurrently, so f must write only to what index i owns (results[i]):
// the results keep the order of the input. A panic in a call is re-raised
// in the caller once the others have finished, as if f had run there (an
// HTTP handler's recovery then still applies).
//
// Signature verification is what it spreads: ~50 µs a call, so one atomic
// increment per call costs nothing.
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		panicked atomic.Pointer[any]
	)
	work := func() {
		defer func() {
			if v := recover(); v != nil {
				panicked.CompareAndSwap(nil, &v)
				next.Store(int64(n)) // the others stop at their next index
			}
		}()
		for {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			f(i)
		}
	}
	wg.Add(workers - 1)
	for range workers - 1 {
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work()
	wg.Wait()
	if v := panicked.Load(); v != nil {
		panic(*v)
	}
}
